/* menu — the menu tree residents walk over USSD and over SMS, as a pure replay engine.
 *
 *   1. At startup: m = menu_load("etc/menu.json", regions, categories, err, sizeof err);
 *      NULL means the file is unusable and err holds one line per problem, each naming the
 *      node ("etc/menu.json: node 'cek': goto 'cekk' does not exist"). regions and
 *      categories must outlive m.
 *   2. Per screen, any thread: n = menu_split(text, inputs, MENU_INPUTS_MAX);
 *      menu_run(m, inputs, n, &r). m is read-only after load; menu_run allocates nothing,
 *      touches no global and does no I/O (a few microseconds per screen).
 *      menu_run_cached(m, inputs, n, &r) gives the same answer from a small cache in m.
 *   3. At exit: menu_free(m) (NULL is a no-op).
 *
 * Replay. menu_run gets every input of the session so far (the USSD `text` split on `*`)
 * and replays them from `start`, so the same inputs always give the same screen: a request
 * the aggregator resends gets the same answer, and any gateway can answer any screen
 * without session state. The engine keeps a stack of the screens shown; each input either
 * pushes one (a choice, a valid input, `98`), pops one (`0`), resets it (`00`) or is refused
 * (the same screen again with an error line first, CON, menu_run returns -1).
 *
 * Navigation. `0` back: undoes the last step that changed the screen (a choice or a `98`);
 * at the first screen it does nothing. `00` home: back to `start`, everything collected is
 * dropped. `98` next page: only on menu, list and page screens (elsewhere it is an ordinary
 * input). `0` and `00` are navigation on every screen, so no input node can take them as a
 * value. Option numbers are global (page 2 of a list starts at the number after page 1's
 * last), and any number of the list is accepted on any of its pages.
 *
 * Screens. Every screen is GSM-7 only and at most MENU_SCREEN_MAX septets (an extension
 * character such as `[` or `€` counts 2), so it never forces UCS-2 (whose 182 *units* would
 * hold far less text). Static text of the file must be GSM-7 (menu_load refuses anything
 * else). Names from the data files and what residents typed are folded (codec_gsm_fold:
 * typographic quotes and dashes), characters outside GSM-7 become `?`, newlines in typed
 * text become spaces, and a value too long for the confirm summary is cut with "..".
 * Lines: an error line (only after a refused input), the title, the numbered items, then
 * the navigation line: "98 Lanjut" when there is a next page, "0 Kembali 00 Awal" below
 * the first screen. Pages are laid out leaving room for the longest error and navigation
 * line, so a refused input never moves items between pages. menu_load checks every node
 * against MENU_SCREEN_MIN (one single SMS, for the SMS channel), which implies the USSD
 * limit.
 *
 * The JSON file (etc/menu.json is the default, in Bahasa Indonesia):
 *   { "start": "home", "nodes": { "ID": { "type": ..., ... }, ... } }
 * ID: 1..MENU_NODE_ID_MAX-1 of [a-z0-9_]. A "comment" string is allowed (and ignored) at
 * the top, in any node, option or show entry; any other unknown key is an error. Types:
 *   menu     "title", "options": [{"label", "goto"}]        1..MENU_OPTIONS_MAX options,
 *            numbered 1..n, paged with 98.
 *   list     "title", "source", "store", "goto"             items from the data, paged:
 *            "categories": category names of kategori.csv in file order (Lainnya included);
 *              stores the kode ("JLN")
 *            "kecamatan": the kecamatan, alphabetical; stores the name ("Batang")
 *            "desa": desa/kelurahan of the kecamatan stored under "of" (required, a key a
 *              kecamatan list stores on every path here), alphabetical; stores the kode
 *              ("33.25.11.2007")
 *   input    "prompt", "store", "digits" (false), "min" (1), "max" (MENU_TEXT_MAX for text,
 *            required for digits), then "goto" or "action". Stores what was typed, trimmed.
 *            digits: ASCII digits only; text: valid UTF-8, min..max characters.
 *   page     "title", "text" (\n breaks a line): information, paged with 98 at word breaks,
 *            title on the first page; CON, so residents can go back.
 *   confirm  "title", "show": [{"label", "key"}] (a summary of collected values, shown by
 *            name, cut to fit), then "action" or "goto"; reply 1 Ya, 2 Batal.
 * Keys ("store"): [a-z_][a-z0-9_]*, at most MENU_VALUES_MAX different ones in a file. The
 * well-known keys mean the same everywhere: category (kode, from a categories list),
 * kecamatan (name, kecamatan list), desa (kode, desa list), text and ticket (typed).
 * menu_load also refuses: unknown types, keys, sources or actions; goto to a missing node;
 * nodes not reachable from start; a key, show entry or action need not collected on every
 * path; text that cannot fit a screen even when paged (title, label, prompt, longest item).
 *
 * Actions (the contract with the HTTP and SMS layers). When the resident completes a leaf
 * (an input with "action", or `1` on a confirm with "action") menu_run returns kind
 * MENU_END, action set, screen "" and values: the caller performs the action and writes
 * the END text itself (ticket number, status, error). Actions and the values they get:
 *   lapor     text; category, kecamatan, desa when the menu asked for them
 *   cek       ticket
 *   daftar    desa (and kecamatan)
 *   berhenti  none
 * `2` on a confirm ends the session (MENU_END "Dibatalkan..."). Any input after an END
 * gives MENU_END "Sesi sudah selesai..." with no action, so a stale session never repeats
 * an action; an aggregator that resends the very request that completed an action gets
 * the action again, so the caller must make actions idempotent per (session, text).
 */
#ifndef KT_MENU_H
#define KT_MENU_H

#include <stddef.h>

#include "handlers/category.h"
#include "handlers/region.h"

#define MENU_SCREEN_MAX  182 /* GSM-7 septets of a USSD screen */
#define MENU_SCREEN_MIN  160 /* one SMS; menu_load checks every node against this */
#define MENU_INPUTS_MAX  32  /* inputs in one session; more ends it */
#define MENU_VALUES_MAX  8   /* different keys in a menu file */
#define MENU_VALUE_MAX   200 /* bytes of a value, NUL included */
#define MENU_TEXT_MAX    160 /* characters of a typed text (one SMS) */
#define MENU_NODES_MAX   200
#define MENU_OPTIONS_MAX 30
#define MENU_NODE_ID_MAX 32
#define MENU_ACTION_MAX  32
#define MENU_CACHE_SLOTS 256 /* screens menu_run_cached remembers (about 3 KB each) */
#define MENU_CACHE_INPUT 3   /* bytes of an input a remembered path may hold ("98", "12") */

struct menu;

enum menu_kind { MENU_CON, MENU_END };

struct menu_value {
    char key[24];
    char value[MENU_VALUE_MAX];
};

struct menu_result {
    enum menu_kind kind;
    char screen[MENU_SCREEN_MAX * 4 + 1];      /* UTF-8, GSM-7 characters only; "" with an action */
    char node[MENU_NODE_ID_MAX];               /* node shown, or the leaf of the action */
    char action[MENU_ACTION_MAX];              /* "" or the action to perform now (kind MENU_END) */
    struct menu_value values[MENU_VALUES_MAX]; /* collected on the way, first chosen first */
    int nvalues;
};

/* Reads and checks the menu file. Returns the menu, or NULL with one line per problem in
 * err (lines separated by '\n'). The menu keeps pointers to regions and categories. */
struct menu *menu_load(const char *path, const struct region_db *regions,
                       const struct category_db *categories, char *err, size_t errlen);
void menu_free(struct menu *m);

/* Replays inputs[0..ninputs) from the start and fills out with the screen to show (always
 * filled when out is not NULL; inputs[i] may be NULL, any bytes, any length). Returns 0,
 * or -1 when the last input was refused or the session cannot go on (more than
 * MENU_INPUTS_MAX inputs, input after an END, m NULL): the screen then says so. */
int menu_run(const struct menu *m, const char *const *inputs, int ninputs, struct menu_result *out);

/* menu_run, remembering the screens of paths made of short inputs only (option numbers and
 * navigation, at most MENU_CACHE_INPUT bytes each, so never a text or a number a resident
 * typed): the USSD endpoint asks for the same few hundred screens over and over, and a
 * remembered one is a copy instead of a replay. The same answer as menu_run, always (menu_run
 * is pure and m does not change after load); at most MENU_CACHE_SLOTS screens, freed with m.
 * Unlike menu_run it writes to m: call it from one thread only (the gateway's loop). */
int menu_run_cached(struct menu *m, const char *const *inputs, int ninputs,
                    struct menu_result *out);

/* The same with screens of at most width septets, clamped to MENU_SCREEN_MIN..MAX; use
 * MENU_SCREEN_MIN for the SMS channel so each screen is one SMS. Paging depends on width:
 * keep one width for a whole session. */
int menu_run_width(const struct menu *m, int width, const char *const *inputs, int ninputs,
                   struct menu_result *out);

/* Splits a USSD text ("1*2*teks") in place at each '*' into inputs[0..max). Returns the
 * number of inputs the text holds ("" holds 0), which may exceed max: only max are stored,
 * and menu_run given that count answers that the session is too long. */
int menu_split(char *text, const char **inputs, int max);

/* The nodes of the file, in file order (for tests, logs and tools). */
int menu_node_count(const struct menu *m);
const char *menu_node_id(const struct menu *m, int node); /* NULL out of range */
/* The action every way on from node ends in ("lapor" for the nodes of the complaint
 * path), or NULL when it leads to none or to several (the home menu). The USSD layer
 * keeps a session on such a path as a draft. */
const char *menu_leads_to(const struct menu *m, const char *node);
/* The id of the start node (NULL for NULL). */
const char *menu_start(const struct menu *m);

#endif
