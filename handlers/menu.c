/* menu — load and check a menu file once, then replay sessions against it.
 *
 * Loading turns the JSON into a table of nodes (gotos resolved to indexes, keys to small
 * numbers, actions to a table row) and checks everything a running session could trip on,
 * so menu_run never meets a dangling goto, a key that was not collected or a line that
 * cannot fit: those are refused at load with the node named. Two graph checks need the
 * whole file: reachability from start, and a "collected on every path" analysis (a forward
 * data-flow fixpoint: the keys surely stored when a node is shown are the intersection, over
 * its predecessors, of what they had plus what they store). `0` pops back along the path
 * and `00` clears it, so the path from start is exactly what a session holds.
 *
 * Running keeps a stack of frames (node, page, what was chosen there) on the C stack, one
 * frame per step, at most MENU_INPUTS_MAX + 1. Values are read off the frames below the
 * top; a frame's choice counts only while the frame it led to is above it, which is what
 * makes `0` undo a choice. Layout (which items go on which page, where a page of text
 * breaks) is recomputed greedily from the first item each time: lists are at most a few
 * dozen short lines, so that costs less than keeping it, and it depends only on the node,
 * the data and the width, never on the session's history.
 *
 * Septets are counted with a 128-entry table for ASCII filled at load from codec_plan and
 * with codec_plan itself for other characters, so the GSM-7 alphabet lives only in codec. */
#include "handlers/menu.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers/privacy.h"
#include "modems/codec.h"

#define TITLE_MAX       512  /* bytes of a title or prompt (the screen limit bites first) */
#define LABEL_MAX       128  /* bytes of an option or show label */
#define PAGE_TEXT_MAX   4096 /* bytes of a page's text */
#define PAGES_MAX       20   /* pages one page node may need at MENU_SCREEN_MIN */
#define DIGITS_MAX      32   /* longest digits input */
#define INPUT_SCAN_MAX  1024 /* bytes of one input looked at; longer is refused */
#define ERRLINE_MAX     20   /* septets of any error line on a paged screen */
#define ERR_RESERVE     (ERRLINE_MAX + 1)
#define HINT_MORE       "98 Lanjut"
#define HINT_NAV        "0 Kembali 00 Awal"
#define HINT_MAX        27 /* "98 Lanjut 0 Kembali 00 Awal" */
#define CONFIRM_CHOICES "1 Ya 2 Batal"
#define CONFIRM_ERROR   "Pilih 1 atau 2."
#define VALUE_MIN_SHOWN 10 /* septets a confirm summary keeps for each value */
#define TEXT_MIN_PAGE   30 /* septets of text the first page of a page node must hold */
#define STACK_MAX       (MENU_INPUTS_MAX + 1)

#define END_CANCEL   "Dibatalkan. Tidak ada yang dikirim."
#define END_TOO_LONG "Terlalu banyak langkah. Silakan mulai lagi dari awal."
#define END_OVER     "Sesi sudah selesai. Silakan mulai lagi."
#define END_NO_MENU  "Layanan belum siap. Silakan coba lagi nanti."

enum node_type { NODE_MENU, NODE_LIST, NODE_INPUT, NODE_PAGE, NODE_CONFIRM, NODE_TYPES };
enum source { SRC_NONE, SRC_CATEGORIES, SRC_KECAMATAN, SRC_DESA };
enum key_kind { KIND_TEXT, KIND_CATEGORY, KIND_KECAMATAN, KIND_DESA };

/* The keys each node type takes; "type" and "comment" are taken by all. */
static const struct {
    const char *name;
    const char *keys[8];
} types[NODE_TYPES] = {
    [NODE_MENU] = {"menu", {"title", "options"}},
    [NODE_LIST] = {"list", {"title", "source", "of", "store", "goto"}},
    [NODE_INPUT] = {"input", {"prompt", "store", "digits", "min", "max", "goto", "action"}},
    [NODE_PAGE] = {"page", {"title", "text"}},
    [NODE_CONFIRM] = {"confirm", {"title", "show", "goto", "action"}},
};

static const struct {
    const char *name;
    enum source source;
    enum key_kind kind;
} sources[] = {
    {"categories", SRC_CATEGORIES, KIND_CATEGORY},
    {"kecamatan", SRC_KECAMATAN, KIND_KECAMATAN},
    {"desa", SRC_DESA, KIND_DESA},
};

/* Keys whose meaning the HTTP/SMS layer relies on: stored only by the matching node. */
static const struct {
    const char *name;
    enum key_kind kind;
    const char *what;
} known_keys[] = {
    {"category", KIND_CATEGORY, "a list of source 'categories'"},
    {"kecamatan", KIND_KECAMATAN, "a list of source 'kecamatan'"},
    {"desa", KIND_DESA, "a list of source 'desa'"},
    {"text", KIND_TEXT, "an input"},
    {"ticket", KIND_TEXT, "an input"},
};

/* The actions the HTTP/SMS layer performs, and the keys each needs on every path. */
static const struct {
    const char *name;
    const char *needs[2];
} actions[] = {
    {"lapor", {"text"}},
    {"cek", {"ticket"}},
    {"daftar", {"desa"}},
    {"berhenti", {NULL}},
};
#define NACTIONS ((int)(sizeof actions / sizeof actions[0]))

struct option {
    char *label;
    int target;
    int septets;
};

struct show {
    char *label;
    int key;
    int septets;
};

struct node {
    char id[MENU_NODE_ID_MAX];
    enum node_type type;
    char *title; /* the prompt of an input */
    int title_septets;
    char *text; /* page */
    size_t text_len;
    struct option *options;
    int noptions;
    struct show *show;
    int nshow;
    enum source source;
    int of;     /* desa list: key holding the kecamatan */
    int store;  /* key, or -1 */
    int target; /* goto, or -1 */
    int action; /* row of actions[], or -1 */
    int leads;  /* the one action every way on from here ends in; -1 none, -2 several */
    bool digits;
    int min, max;
};

struct key {
    char name[24];
    enum key_kind kind;
};

struct menu {
    const struct region_db *regions;
    const struct category_db *categories;
    struct node *nodes;
    int nnodes;
    int start;
    struct key keys[MENU_VALUES_MAX];
    int nkeys;
    int *kecamatan; /* kecamatan indexes, alphabetical */
    int nkecamatan;
    int *desa;                  /* desa indexes grouped by kecamatan, alphabetical within */
    int *desa_first;            /* desa_first[k] .. desa_first[k + 1] are kecamatan k's */
    int *septets[SRC_DESA + 1]; /* septets of each data name, by source and index */
    signed char ascii[128];     /* septets of each ASCII character, 0 if not GSM-7 */
    struct cached *cache;       /* menu_run_cached's slots, allocated at its first call */
};

/* A remembered screen: the path as length-prefixed inputs, and the answer. */
#define CACHE_KEY_MAX (1 + MENU_INPUTS_MAX * (MENU_CACHE_INPUT + 1)) /* count, then each input */
struct cached {
    unsigned char key[CACHE_KEY_MAX];
    size_t keylen; /* 0: an empty slot (a path of no inputs has the key "\0") */
    int ret;
    struct menu_result result;
};

/* ---- characters and septets ---------------------------------------------------------- */

/* next_char for a character outside ASCII: asks codec whether it is GSM-7. */
static size_t next_char_wide(const char *s, size_t n, size_t i, const char **rep, size_t *replen,
                             int *septets)
{
    unsigned char c = (unsigned char)s[i];
    size_t len;
    char tmp[5];
    struct codec_plan p;

    *septets = 1;
    *replen = 1;
    *rep = "?";
    len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || i + len > n)
        return 1;
    for (size_t k = 1; k < len; k++)
        if (((unsigned char)s[i + k] & 0xC0) != 0x80)
            return 1;
    memcpy(tmp, s + i, len);
    tmp[len] = '\0';
    if (codec_plan(tmp, &p) < 0)
        return 1; /* overlong or surrogate */
    if (p.coding == CODEC_GSM7) {
        *rep = s + i;
        *replen = len;
        *septets = p.units;
    }
    return len;
}

/* One character of s[i..n) as it goes on a screen: sets *rep, *replen to its bytes (or a
 * replacement) and *septets; returns the bytes of s it stands for. flat turns line breaks
 * and tabs into spaces (for values on one line). Inline: every screen character passes. */
static inline size_t next_char(const struct menu *m, const char *s, size_t n, size_t i, bool flat,
                               const char **rep, size_t *replen, int *septets)
{
    unsigned char c = (unsigned char)s[i];

    if (c >= 0x80)
        return next_char_wide(s, n, i, rep, replen, septets);
    *replen = 1;
    *septets = 1;
    if (flat && (c == '\n' || c == '\r' || c == '\t'))
        *rep = " ";
    else if (m->ascii[c] > 0) {
        *rep = s + i;
        *septets = m->ascii[c];
    } else
        *rep = "?";
    return 1;
}

/* Septets s[0..n) takes on a screen. */
static int measure(const struct menu *m, const char *s, size_t n, bool flat)
{
    const char *rep;
    size_t replen;
    int total = 0, sept;

    for (size_t i = 0; i < n;) {
        i += next_char(m, s, n, i, flat, &rep, &replen, &sept);
        total += sept;
    }
    return total;
}

/* 0 when s is all GSM-7 with no control character but (if lines) '\n'; else -1 with the
 * first offending character in bad. */
static int check_gsm(const struct menu *m, const char *s, bool lines, char *bad, size_t badlen)
{
    size_t n = strlen(s);
    const char *rep;
    size_t replen;
    int sept;

    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t used = next_char(m, s, n, i, false, &rep, &replen, &sept);
        if (rep != s + i || (c < 0x20 && !(lines && c == '\n'))) {
            if (c < 0x20)
                snprintf(bad, badlen, "control character 0x%02x", c);
            else
                snprintf(bad, badlen, "'%.*s'", (int)used, s + i);
            return -1;
        }
        i += used;
    }
    return 0;
}

/* ---- screen writer ------------------------------------------------------------------- */

struct screen {
    char *buf;
    size_t len, cap;
    int septets, limit;
};

/* Appends whole characters of s[0..n) while they fit both max septets and the screen;
 * returns the septets appended. */
static int add(const struct menu *m, struct screen *sc, const char *s, size_t n, bool flat, int max)
{
    const char *rep;
    size_t replen;
    int sept, done = 0;

    for (size_t i = 0; i < n;) {
        size_t used = next_char(m, s, n, i, flat, &rep, &replen, &sept);
        if (done + sept > max || sc->septets + sept > sc->limit || sc->len + replen >= sc->cap)
            break;
        memcpy(sc->buf + sc->len, rep, replen);
        sc->len += replen;
        sc->buf[sc->len] = '\0';
        sc->septets += sept;
        done += sept;
        i += used;
    }
    return done;
}

static void add_str(const struct menu *m, struct screen *sc, const char *s)
{
    add(m, sc, s, strlen(s), false, INT32_MAX);
}

/* Starts a new line (a '\n' unless the screen is empty). */
static void newline(const struct menu *m, struct screen *sc)
{
    if (sc->len > 0)
        add(m, sc, "\n", 1, false, 1);
}

static int digits_of(int n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* ---- data lists ---------------------------------------------------------------------- */

static const char *item_name(const struct menu *m, enum source src, int index)
{
    switch (src) {
    case SRC_CATEGORIES:
        return category_name(m->categories, index);
    case SRC_KECAMATAN:
        return region_kecamatan_name(m->regions, index);
    case SRC_DESA:
        return region_desa_name(m->regions, index);
    default:
        return NULL;
    }
}

/* Items of a list node: *count, and their global indexes in *items (NULL: 0..count-1). */
static void list_items(const struct menu *m, const struct node *nd, int kecamatan,
                       const int **items, int *count)
{
    *items = NULL;
    *count = 0;
    switch (nd->source) {
    case SRC_CATEGORIES:
        *count = category_count(m->categories);
        break;
    case SRC_KECAMATAN:
        *items = m->kecamatan;
        *count = m->nkecamatan;
        break;
    case SRC_DESA:
        if (kecamatan >= 0 && kecamatan < m->nkecamatan) {
            *items = m->desa + m->desa_first[kecamatan];
            *count = m->desa_first[kecamatan + 1] - m->desa_first[kecamatan];
        }
        break;
    default:
        break;
    }
}

/* ---- layout -------------------------------------------------------------------------- */

struct items {
    const struct node *nd;
    const int *list; /* list node: global indexes (NULL: identity) */
    int count;
};

static const char *items_label(const struct menu *m, const struct items *it, int i)
{
    if (it->nd->type == NODE_MENU)
        return it->nd->options[i].label;
    return item_name(m, it->nd->source, it->list ? it->list[i] : i);
}

/* Items [*first, *end) go on page `page` of a menu or list; -1 if there is no such page.
 * Each page holds at least one item (menu_load made sure one always fits). */
static int items_page(const struct menu *m, const struct items *it, int page, int width, int *first,
                      int *end)
{
    int budget = width - ERR_RESERVE - (it->nd->title_septets + 1) - HINT_MAX;
    int i = 0;

    for (int p = 0;; p++) {
        int used = 0, start = i;
        if (i >= it->count)
            return -1;
        while (i < it->count) {
            int label = it->nd->type == NODE_MENU
                            ? it->nd->options[i].septets
                            : m->septets[it->nd->source][it->list ? it->list[i] : i];
            int line = digits_of(i + 1) + 1 + label + 1;
            if (i > start && used + line > budget)
                break;
            used += line;
            i++;
        }
        if (p == page) {
            *first = start;
            *end = i;
            return 0;
        }
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* Bytes [*start, *end) of a page node's text go on page `page`; -1 if there is no such
 * page. A page ends at a line break in its second half, else after the last word that
 * fits, else mid-word (a word longer than a page). */
static int text_page(const struct menu *m, const struct node *nd, int page, int width,
                     size_t *start, size_t *end)
{
    const char *t = nd->text;
    size_t n = nd->text_len, i = 0;

    for (int p = 0;; p++) {
        int budget = width - ERR_RESERVE - (p == 0 ? nd->title_septets + 1 : 0) - 1 - HINT_MAX;
        int used = 0, nl_used = 0;
        size_t from, brk = 0, nl = 0, stop;
        const char *rep;
        size_t replen;
        int sept;

        while (i < n && is_space(t[i]))
            i++;
        if (i >= n && p > 0)
            return -1;
        from = i;
        while (i < n) {
            size_t used_bytes = next_char(m, t, n, i, false, &rep, &replen, &sept);
            if (used + sept > budget && i > from)
                break;
            if (is_space(t[i]))
                brk = i;
            if (t[i] == '\n') {
                nl = i;
                nl_used = used;
            }
            used += sept;
            i += used_bytes;
        }
        if (i < n && nl > from && nl_used * 2 >= budget)
            i = nl; /* a paragraph ending in the second half of the page ends the page */
        else if (i < n && !is_space(t[i]) && brk > from)
            i = brk;
        stop = i;
        while (stop > from && is_space(t[stop - 1]))
            stop--;
        if (p == page) {
            *start = from;
            *end = stop;
            return 0;
        }
    }
}

/* ---- loading ------------------------------------------------------------------------- */

struct loader {
    const char *path;
    char *err;
    size_t errlen, used;
    int problems;
    struct menu *m;
};

static void problem(struct loader *ld, const char *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct loader *ld, const char *node, const char *fmt, ...)
{
    char line[512], id[MENU_NODE_ID_MAX * 2];
    int n;
    va_list ap;

    ld->problems++;
    if (!ld->err || ld->errlen == 0)
        return;
    if (node) { /* an id from the file may hold anything: keep the line one line */
        size_t i;
        for (i = 0; node[i] && i < sizeof id - 1; i++)
            id[i] = node[i] >= 0x20 && node[i] < 0x7f ? node[i] : '?';
        id[i] = '\0';
        node = id;
    }
    n = node ? snprintf(line, sizeof line, "%s: node '%s': ", ld->path, node)
             : snprintf(line, sizeof line, "%s: ", ld->path);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    n = snprintf(ld->err + ld->used, ld->errlen - ld->used, "%s%s", ld->used ? "\n" : "", line);
    if (n > 0)
        ld->used += (size_t)n < ld->errlen - ld->used ? (size_t)n : ld->errlen - ld->used - 1;
}

static bool allowed_key(enum node_type type, const char *key)
{
    if (strcmp(key, "type") == 0 || strcmp(key, "comment") == 0)
        return true;
    for (int i = 0; i < 8 && types[type].keys[i]; i++)
        if (strcmp(types[type].keys[i], key) == 0)
            return true;
    return false;
}

static bool valid_id(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static int node_by_id(const struct menu *m, const char *id)
{
    for (int i = 0; i < m->nnodes; i++)
        if (strcmp(m->nodes[i].id, id) == 0)
            return i;
    return -1;
}

/* A string member: its copy (heap) or NULL with a problem when required and missing. */
static char *get_text(struct loader *ld, const char *node, json_t *obj, const char *key, size_t max,
                      bool lines, bool required)
{
    json_t *v = json_object_get(obj, key);
    const char *s;
    char bad[64];

    if (!v) {
        if (required)
            problem(ld, node, "'%s' is missing", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        problem(ld, node, "'%s' must be a string", key);
        return NULL;
    }
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        problem(ld, node, "'%s' holds a NUL character", key);
        return NULL;
    }
    if (*s == '\0') {
        problem(ld, node, "'%s' is empty", key);
        return NULL;
    }
    if (strlen(s) >= max) {
        problem(ld, node, "'%s' is longer than %zu bytes", key, max - 1);
        return NULL;
    }
    if (check_gsm(ld->m, s, lines, bad, sizeof bad) < 0) {
        problem(ld, node, "'%s' has %s, outside GSM-7 (screens must not need UCS-2)", key, bad);
        return NULL;
    }
    return strdup(s);
}

static int get_target(struct loader *ld, const char *node, json_t *obj, const char *key,
                      bool required)
{
    json_t *v = json_object_get(obj, key);
    int t;

    if (!v) {
        if (required)
            problem(ld, node, "'%s' is missing", key);
        return -1;
    }
    if (!json_is_string(v)) {
        problem(ld, node, "'%s' must be a node id (a string)", key);
        return -1;
    }
    t = node_by_id(ld->m, json_string_value(v));
    if (t < 0)
        problem(ld, node, "%s '%s' does not exist", key, json_string_value(v));
    return t;
}

/* A key name. define (a node that stores it): its number, added on first sight. Else (a
 * node that reads it): KEY_PENDING, resolved by name once every node is read. -1 with a
 * problem when the name is bad. */
#define KEY_PENDING (-2)
static int get_key(struct loader *ld, const char *node, json_t *obj, const char *member,
                   bool define, enum key_kind kind)
{
    json_t *v = json_object_get(obj, member);
    struct menu *m = ld->m;
    const char *name;

    if (!v) {
        problem(ld, node, "'%s' is missing", member);
        return -1;
    }
    name = json_string_value(v);
    if (!name || !valid_id(name, sizeof m->keys[0].name) || (name[0] >= '0' && name[0] <= '9')) {
        problem(ld, node,
                "'%s' must be a key name: a letter or '_', then letters, digits, '_', "
                "at most %zu",
                member, sizeof m->keys[0].name - 1);
        return -1;
    }
    if (!define)
        return KEY_PENDING;
    for (int k = 0; k < m->nkeys; k++)
        if (strcmp(m->keys[k].name, name) == 0) {
            if (m->keys[k].kind != kind) {
                problem(ld, node, "key '%s' is stored here and by a node of another kind", name);
                return -1;
            }
            return k;
        }
    for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
        if (strcmp(known_keys[i].name, name) == 0 && known_keys[i].kind != kind) {
            problem(ld, node, "key '%s' must be stored by %s", name, known_keys[i].what);
            return -1;
        }
    if (m->nkeys == MENU_VALUES_MAX) {
        problem(ld, node, "key '%s': more than %d different keys in the menu", name,
                MENU_VALUES_MAX);
        return -1;
    }
    snprintf(m->keys[m->nkeys].name, sizeof m->keys[0].name, "%s", name);
    m->keys[m->nkeys].kind = kind;
    return m->nkeys++;
}

static int key_by_name(const struct menu *m, const char *name)
{
    for (int k = 0; k < m->nkeys; k++)
        if (strcmp(m->keys[k].name, name) == 0)
            return k;
    return -1;
}

static int get_int(struct loader *ld, const char *node, json_t *obj, const char *key, int dflt,
                   int lo, int hi)
{
    json_t *v = json_object_get(obj, key);
    json_int_t n;

    if (!v)
        return dflt;
    if (!json_is_integer(v)) {
        problem(ld, node, "'%s' must be a whole number", key);
        return dflt;
    }
    n = json_integer_value(v);
    if (n < lo || n > hi) {
        problem(ld, node, "'%s' must be %d..%d", key, lo, hi);
        return dflt;
    }
    return (int)n;
}

static void check_members(struct loader *ld, const char *node, json_t *obj, const char *what,
                          const char *const *allowed)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        bool ok = strcmp(key, "comment") == 0;
        for (int i = 0; !ok && allowed[i]; i++)
            ok = strcmp(allowed[i], key) == 0;
        if (!ok)
            problem(ld, node, "unknown key '%s' in %s", key, what);
    }
}

static void get_action(struct loader *ld, struct node *nd, json_t *obj)
{
    json_t *act = json_object_get(obj, "action");
    bool has_goto = json_object_get(obj, "goto") != NULL;

    nd->action = -1;
    nd->target = -1;
    if (act && has_goto) {
        problem(ld, nd->id, "has both 'goto' and 'action'; give one");
        return;
    }
    if (!act) {
        nd->target = get_target(ld, nd->id, obj, "goto", false);
        if (!has_goto)
            problem(ld, nd->id, "needs 'goto' or 'action'");
        return;
    }
    for (int a = 0; a < NACTIONS; a++)
        if (json_is_string(act) && strcmp(json_string_value(act), actions[a].name) == 0)
            nd->action = a;
    if (nd->action < 0)
        problem(ld, nd->id, "unknown action '%s' (known: lapor, cek, daftar, berhenti)",
                json_is_string(act) ? json_string_value(act) : "(not a string)");
}

/* Longest item line a list of this source can show, in septets. */
static int longest_item(const struct menu *m, enum source src)
{
    int count = src == SRC_CATEGORIES  ? category_count(m->categories)
                : src == SRC_KECAMATAN ? region_kecamatan_count(m->regions)
                                       : region_desa_count(m->regions);
    int longest = 0, widest = count;

    if (src == SRC_DESA) { /* numbered within a kecamatan */
        widest = 0;
        for (int k = 0; k < m->nkecamatan; k++)
            if (m->desa_first[k + 1] - m->desa_first[k] > widest)
                widest = m->desa_first[k + 1] - m->desa_first[k];
    }
    for (int i = 0; i < count; i++) {
        const char *s = item_name(m, src, i);
        int n = s ? measure(m, s, strlen(s), false) : 0;
        if (n > longest)
            longest = n;
    }
    return digits_of(widest > 0 ? widest : 1) + 1 + longest + 1;
}

static void input_error(const struct node *nd, char *buf, size_t len);

static void parse_node(struct loader *ld, struct node *nd, json_t *obj)
{
    struct menu *m = ld->m;
    const char *key;
    json_t *v, *arr;
    const int W = MENU_SCREEN_MIN;

    nd->store = -1;
    nd->target = -1;
    nd->action = -1;
    nd->of = -1;
    json_object_foreach(obj, key, v)
    {
        if (!allowed_key(nd->type, key))
            problem(ld, nd->id, "unknown key '%s' for a %s", key, types[nd->type].name);
    }
    nd->title = get_text(ld, nd->id, obj, nd->type == NODE_INPUT ? "prompt" : "title", TITLE_MAX,
                         true, true);
    if (nd->title)
        nd->title_septets = measure(m, nd->title, strlen(nd->title), false);

    switch (nd->type) {
    case NODE_MENU: {
        static const char *const option_keys[] = {"label", "goto", NULL};
        size_t i;
        int room;
        arr = json_object_get(obj, "options");
        if (!json_is_array(arr) || json_array_size(arr) == 0 ||
            json_array_size(arr) > MENU_OPTIONS_MAX) {
            problem(ld, nd->id, "'options' must be a list of 1..%d options", MENU_OPTIONS_MAX);
            break;
        }
        nd->options = calloc(json_array_size(arr), sizeof *nd->options);
        if (!nd->options) {
            problem(ld, nd->id, "out of memory");
            break;
        }
        nd->noptions = (int)json_array_size(arr);
        /* room for the title with the shortest option ("1 X") */
        room = W - ERR_RESERVE - 1 - (digits_of(nd->noptions) + 3) - HINT_MAX;
        if (nd->title && nd->title_septets > room) {
            problem(ld, nd->id, "title is %d characters; at most %d fit with the navigation line",
                    nd->title_septets, room);
            room = -1;
        }
        json_array_foreach(arr, i, v)
        {
            struct option *o = &nd->options[i];
            char what[32];
            o->target = -1;
            snprintf(what, sizeof what, "option %zu", i + 1);
            if (!json_is_object(v)) {
                problem(ld, nd->id, "option %zu must be an object with label and goto", i + 1);
                continue;
            }
            check_members(ld, nd->id, v, what, option_keys);
            o->label = get_text(ld, nd->id, v, "label", LABEL_MAX, false, true);
            o->target = get_target(ld, nd->id, v, "goto", true);
            if (o->label) {
                int fit = W - ERR_RESERVE - nd->title_septets - 1 - HINT_MAX -
                          digits_of(nd->noptions) - 2;
                o->septets = measure(m, o->label, strlen(o->label), false);
                if (nd->title && room >= 0 && o->septets > fit)
                    problem(ld, nd->id,
                            "option %zu: label is %d characters; with this title at most %d fit",
                            i + 1, o->septets, fit);
            }
        }
        break;
    }
    case NODE_LIST: {
        json_t *src = json_object_get(obj, "source");
        enum key_kind kind = KIND_TEXT;
        for (size_t s = 0; src && s < sizeof sources / sizeof sources[0]; s++)
            if (json_is_string(src) && strcmp(json_string_value(src), sources[s].name) == 0) {
                nd->source = sources[s].source;
                kind = sources[s].kind;
            }
        if (nd->source == SRC_NONE) {
            problem(ld, nd->id, "unknown list source '%s' (known: categories, kecamatan, desa)",
                    json_is_string(src) ? json_string_value(src) : "(missing)");
            break;
        }
        nd->store = get_key(ld, nd->id, obj, "store", true, kind);
        nd->target = get_target(ld, nd->id, obj, "goto", true);
        if (nd->source == SRC_DESA)
            nd->of = get_key(ld, nd->id, obj, "of", false, KIND_KECAMATAN);
        else if (json_object_get(obj, "of"))
            problem(ld, nd->id, "'of' is only for a list of source 'desa'");
        if (nd->title) {
            int line = longest_item(m, nd->source);
            if (ERR_RESERVE + nd->title_septets + 1 + line + HINT_MAX > W)
                problem(ld, nd->id,
                        "title is %d characters; with the longest %s item at most %d fit",
                        nd->title_septets, json_string_value(src),
                        W - ERR_RESERVE - 1 - line - HINT_MAX);
        }
        break;
    }
    case NODE_INPUT: {
        json_t *d = json_object_get(obj, "digits");
        char msg[64];
        if (d && !json_is_boolean(d))
            problem(ld, nd->id, "'digits' must be true or false");
        nd->digits = d && json_is_true(d);
        if (nd->digits && !json_object_get(obj, "max"))
            problem(ld, nd->id, "'max' is missing (required with digits)");
        nd->min = get_int(ld, nd->id, obj, "min", 1, 1, nd->digits ? DIGITS_MAX : MENU_TEXT_MAX);
        nd->max = get_int(ld, nd->id, obj, "max", nd->digits ? DIGITS_MAX : MENU_TEXT_MAX, 1,
                          nd->digits ? DIGITS_MAX : MENU_TEXT_MAX);
        if (nd->min > nd->max)
            problem(ld, nd->id, "'min' %d is above 'max' %d", nd->min, nd->max);
        nd->store = get_key(ld, nd->id, obj, "store", true, KIND_TEXT);
        get_action(ld, nd, obj);
        input_error(nd, msg, sizeof msg);
        if (nd->title && (int)strlen(msg) + 1 + nd->title_septets + 1 + HINT_MAX > W)
            problem(ld, nd->id, "prompt is %d characters; at most %d fit", nd->title_septets,
                    W - (int)strlen(msg) - 2 - HINT_MAX);
        break;
    }
    case NODE_PAGE: {
        size_t s, e;
        int pages = 0;
        nd->text = get_text(ld, nd->id, obj, "text", PAGE_TEXT_MAX, true, true);
        if (nd->title && W - ERR_RESERVE - nd->title_septets - 2 - HINT_MAX < TEXT_MIN_PAGE) {
            problem(ld, nd->id, "title is %d characters; at most %d fit", nd->title_septets,
                    W - ERR_RESERVE - 2 - HINT_MAX - TEXT_MIN_PAGE);
            break;
        }
        if (!nd->title || !nd->text)
            break;
        nd->text_len = strlen(nd->text);
        while (pages <= PAGES_MAX && text_page(m, nd, pages, W, &s, &e) == 0)
            pages++;
        if (pages > PAGES_MAX)
            problem(ld, nd->id, "text needs more than %d pages", PAGES_MAX);
        break;
    }
    case NODE_CONFIRM: {
        static const char *const show_keys[] = {"label", "key", NULL};
        size_t i;
        int fixed = (int)strlen(CONFIRM_ERROR) + 1 + nd->title_septets + 1 +
                    (int)strlen(CONFIRM_CHOICES) + 1 + (int)strlen(HINT_NAV);
        get_action(ld, nd, obj);
        arr = json_object_get(obj, "show");
        if (arr && (!json_is_array(arr) || json_array_size(arr) > MENU_VALUES_MAX)) {
            problem(ld, nd->id, "'show' must be a list of at most %d {label, key}",
                    MENU_VALUES_MAX);
            break;
        }
        if (!arr || json_array_size(arr) == 0)
            break;
        nd->show = calloc(json_array_size(arr), sizeof *nd->show);
        if (!nd->show) {
            problem(ld, nd->id, "out of memory");
            break;
        }
        nd->nshow = (int)json_array_size(arr);
        json_array_foreach(arr, i, v)
        {
            struct show *sh = &nd->show[i];
            char what[32];
            sh->key = -1;
            snprintf(what, sizeof what, "show %zu", i + 1);
            if (!json_is_object(v)) {
                problem(ld, nd->id, "show %zu must be an object with label and key", i + 1);
                continue;
            }
            check_members(ld, nd->id, v, what, show_keys);
            sh->label = get_text(ld, nd->id, v, "label", LABEL_MAX, false, true);
            sh->key = get_key(ld, nd->id, v, "key", false, KIND_TEXT);
            if (sh->label)
                sh->septets = measure(m, sh->label, strlen(sh->label), false);
            fixed += sh->septets + 2 + VALUE_MIN_SHOWN + 1;
        }
        if (fixed > W)
            problem(ld, nd->id,
                    "title and summary take %d characters; at most %d fit (each value keeps %d)",
                    fixed, W, VALUE_MIN_SHOWN);
        break;
    }
    default:
        break;
    }
}

/* Resolves key names used before they were stored (`of`, `show`), by name. */
static void resolve_keys(struct loader *ld, json_t *nodes)
{
    struct menu *m = ld->m;
    int i = 0;
    const char *id;
    json_t *obj;

    json_object_foreach(nodes, id, obj)
    {
        struct node *nd = &m->nodes[i++];
        if (nd->type == NODE_LIST && nd->source == SRC_DESA && nd->of == KEY_PENDING) {
            const char *name = json_string_value(json_object_get(obj, "of"));
            nd->of = key_by_name(m, name);
            if (nd->of < 0)
                problem(ld, nd->id, "'of' key '%s' is stored by no node", name);
            else if (m->keys[nd->of].kind != KIND_KECAMATAN)
                problem(ld, nd->id, "'of' key '%s' is not stored by a kecamatan list", name);
        }
        for (int s = 0; nd->type == NODE_CONFIRM && s < nd->nshow; s++)
            if (nd->show[s].key == KEY_PENDING) {
                json_t *e = json_array_get(json_object_get(obj, "show"), (size_t)s);
                const char *name = json_string_value(json_object_get(e, "key"));
                nd->show[s].key = key_by_name(m, name);
                if (nd->show[s].key < 0)
                    problem(ld, nd->id, "show key '%s' is stored by no node", name);
            }
    }
}

static int successors(const struct node *nd, int *out)
{
    int n = 0;
    if (nd->type == NODE_MENU) {
        for (int i = 0; i < nd->noptions; i++)
            if (nd->options[i].target >= 0)
                out[n++] = nd->options[i].target;
    } else if (nd->target >= 0)
        out[n++] = nd->target;
    return n;
}

/* Reachability from start, and which keys are collected on every path to each node. */
static void check_graph(struct loader *ld)
{
    struct menu *m = ld->m;
    int n = m->nnodes, succ[MENU_OPTIONS_MAX + 1];
    int queue[MENU_NODES_MAX], head = 0, tail = 0;
    bool reached[MENU_NODES_MAX] = {false}, changed = true;
    uint32_t must[MENU_NODES_MAX];

    reached[m->start] = true;
    queue[tail++] = m->start;
    while (head < tail) {
        int c = queue[head++], ns = successors(&m->nodes[c], succ);
        for (int s = 0; s < ns; s++)
            if (!reached[succ[s]]) {
                reached[succ[s]] = true;
                queue[tail++] = succ[s];
            }
    }
    for (int i = 0; i < n; i++) {
        if (!reached[i])
            problem(ld, m->nodes[i].id, "not reachable from start '%s'", m->nodes[m->start].id);
        must[i] = i == m->start ? 0 : UINT32_MAX;
    }
    while (changed) {
        changed = false;
        for (int i = 0; i < n; i++) {
            const struct node *nd = &m->nodes[i];
            uint32_t out = must[i] | (nd->store >= 0 ? 1u << nd->store : 0);
            int ns;
            if (!reached[i])
                continue;
            ns = successors(nd, succ);
            for (int s = 0; s < ns; s++)
                if ((must[succ[s]] & out) != must[succ[s]]) {
                    must[succ[s]] &= out;
                    changed = true;
                }
        }
    }
    for (int i = 0; i < n; i++) {
        const struct node *nd = &m->nodes[i];
        uint32_t have = must[i] | (nd->store >= 0 ? 1u << nd->store : 0);
        if (!reached[i])
            continue;
        if (nd->type == NODE_LIST && nd->source == SRC_DESA && nd->of >= 0 && nd->of < m->nkeys &&
            !(must[i] & (1u << nd->of)))
            problem(ld, nd->id, "the kecamatan in '%s' is not chosen on every path here",
                    m->keys[nd->of].name);
        for (int s = 0; nd->type == NODE_CONFIRM && s < nd->nshow; s++)
            if (nd->show[s].key >= 0 && nd->show[s].key < m->nkeys &&
                !(must[i] & (1u << nd->show[s].key)))
                problem(ld, nd->id, "show key '%s' is not collected on every path here",
                        m->keys[nd->show[s].key].name);
        if (nd->action >= 0)
            for (int k = 0; k < 2 && actions[nd->action].needs[k]; k++) {
                int key = key_by_name(m, actions[nd->action].needs[k]);
                if (key < 0 || !(have & (1u << key)))
                    problem(ld, nd->id, "action '%s' needs '%s', not collected on every path",
                            actions[nd->action].name, actions[nd->action].needs[k]);
            }
    }
}

/* leads: the action each node's ways forward end in (one, none or several), by fixpoint
 * over the graph (each node only moves up: none -> one action -> several). */
static void find_leads(struct menu *m)
{
    int succ[MENU_OPTIONS_MAX + 1];
    bool changed = true;
    for (int i = 0; i < m->nnodes; i++)
        m->nodes[i].leads = m->nodes[i].action;
    while (changed) {
        changed = false;
        for (int i = 0; i < m->nnodes; i++) {
            struct node *nd = &m->nodes[i];
            int ns = successors(nd, succ);
            for (int s = 0; s < ns; s++) {
                int o = m->nodes[succ[s]].leads, l = nd->leads;
                int merged = o == -1 || o == l ? l : l == -1 ? o : -2;
                if (merged != l) {
                    nd->leads = merged;
                    changed = true;
                }
            }
        }
    }
}

const char *menu_start(const struct menu *m)
{
    return m && m->nnodes > 0 ? m->nodes[m->start].id : NULL;
}

const char *menu_leads_to(const struct menu *m, const char *node)
{
    int i = m && node ? node_by_id(m, node) : -1;
    return i >= 0 && m->nodes[i].leads >= 0 ? actions[m->nodes[i].leads].name : NULL;
}

static int index_data(struct menu *m)
{
    int nk = region_kecamatan_count(m->regions), nd = region_desa_count(m->regions);
    int *fill;

    m->nkecamatan = nk;
    m->kecamatan = calloc((size_t)nk + 1, sizeof *m->kecamatan);
    m->desa = calloc((size_t)nd + 1, sizeof *m->desa);
    m->desa_first = calloc((size_t)nk + 2, sizeof *m->desa_first);
    fill = calloc((size_t)nk + 1, sizeof *fill);
    if (!m->kecamatan || !m->desa || !m->desa_first || !fill) {
        free(fill);
        return -1;
    }
    for (int src = SRC_CATEGORIES; src <= SRC_DESA; src++) {
        int count = src == SRC_CATEGORIES  ? category_count(m->categories)
                    : src == SRC_KECAMATAN ? nk
                                           : nd;
        m->septets[src] = calloc((size_t)count + 1, sizeof *m->septets[src]);
        if (!m->septets[src]) {
            free(fill);
            return -1;
        }
        for (int i = 0; i < count; i++) {
            const char *name = item_name(m, (enum source)src, i);
            m->septets[src][i] = name ? measure(m, name, strlen(name), false) : 0;
        }
    }
    /* insertion sorts: a few hundred names, once */
    for (int k = 0; k < nk; k++) {
        int j = k;
        while (j > 0 && strcasecmp(region_kecamatan_name(m->regions, m->kecamatan[j - 1]),
                                   region_kecamatan_name(m->regions, k)) > 0) {
            m->kecamatan[j] = m->kecamatan[j - 1];
            j--;
        }
        m->kecamatan[j] = k;
    }
    for (int d = 0; d < nd; d++) {
        int k = region_desa_kecamatan(m->regions, d);
        if (k >= 0 && k < nk)
            m->desa_first[k + 1]++;
    }
    for (int k = 0; k < nk; k++)
        m->desa_first[k + 1] += m->desa_first[k];
    for (int d = 0; d < nd; d++) {
        int k = region_desa_kecamatan(m->regions, d), *group, j;
        if (k < 0 || k >= nk)
            continue;
        group = m->desa + m->desa_first[k];
        j = fill[k]++;
        while (j > 0 && strcasecmp(region_desa_name(m->regions, group[j - 1]),
                                   region_desa_name(m->regions, d)) > 0) {
            group[j] = group[j - 1];
            j--;
        }
        group[j] = d;
    }
    free(fill);
    return 0;
}

struct menu *menu_load(const char *path, const struct region_db *regions,
                       const struct category_db *categories, char *err, size_t errlen)
{
    struct loader ld = {.path = path ? path : "(null)", .err = err, .errlen = errlen};
    json_error_t je;
    json_t *root = NULL, *nodes, *start;
    const char *id;
    json_t *obj;
    struct menu *m = NULL;
    int i;
    static const char *const top_keys[] = {"start", "nodes", NULL};

    if (err && errlen)
        err[0] = '\0';
    if (!path || !regions || !categories) {
        problem(&ld, NULL, "menu_load needs a path and the region and category tables");
        return NULL;
    }
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (je.line > 0)
            problem(&ld, NULL, "line %d column %d: %s", je.line, je.column, je.text);
        else
            problem(&ld, NULL, "%s", je.text);
        return NULL;
    }
    m = calloc(1, sizeof *m);
    if (!m) {
        problem(&ld, NULL, "out of memory");
        goto out;
    }
    ld.m = m;
    m->regions = regions;
    m->categories = categories;
    for (int c = 1; c < 128; c++) {
        char s[2] = {(char)c, '\0'};
        struct codec_plan p;
        if (codec_plan(s, &p) == 0 && p.coding == CODEC_GSM7)
            m->ascii[c] = (signed char)p.units;
    }
    if (index_data(m) < 0) {
        problem(&ld, NULL, "out of memory");
        goto out;
    }
    if (!json_is_object(root)) {
        problem(&ld, NULL, "the file must hold one JSON object with 'start' and 'nodes'");
        goto out;
    }
    check_members(&ld, NULL, root, "the top object", top_keys);
    nodes = json_object_get(root, "nodes");
    if (!json_is_object(nodes) || json_object_size(nodes) == 0 ||
        json_object_size(nodes) > MENU_NODES_MAX) {
        problem(&ld, NULL, "'nodes' must be an object of 1..%d nodes", MENU_NODES_MAX);
        goto out;
    }
    m->nodes = calloc(json_object_size(nodes), sizeof *m->nodes);
    if (!m->nodes) {
        problem(&ld, NULL, "out of memory");
        goto out;
    }
    /* first pass: ids and types, so gotos can point forward */
    i = 0;
    json_object_foreach(nodes, id, obj)
    {
        struct node *nd = &m->nodes[i++];
        json_t *type = json_object_get(obj, "type");
        snprintf(nd->id, sizeof nd->id, "%s", id);
        nd->type = NODE_TYPES;
        nd->store = nd->target = nd->action = nd->of = -1;
        if (!valid_id(id, sizeof nd->id))
            problem(&ld, id, "id must be 1..%zu of a-z, 0-9, _", sizeof nd->id - 1);
        if (!json_is_object(obj)) {
            problem(&ld, nd->id, "must be an object");
            continue;
        }
        for (int t = 0; t < NODE_TYPES; t++)
            if (json_is_string(type) && strcmp(json_string_value(type), types[t].name) == 0)
                nd->type = (enum node_type)t;
        if (nd->type == NODE_TYPES)
            problem(&ld, nd->id, "unknown type '%s' (known: menu, list, input, page, confirm)",
                    json_is_string(type) ? json_string_value(type) : "(missing)");
    }
    m->nnodes = i;
    /* second pass: the nodes themselves; keys read before any node stores them wait for
     * resolve_keys */
    i = 0;
    json_object_foreach(nodes, id, obj)
    {
        struct node *nd = &m->nodes[i++];
        if (nd->type != NODE_TYPES && json_is_object(obj))
            parse_node(&ld, nd, obj);
    }
    resolve_keys(&ld, nodes);
    start = json_object_get(root, "start");
    m->start = json_is_string(start) ? node_by_id(m, json_string_value(start)) : -1;
    if (!json_is_string(start))
        problem(&ld, NULL, "'start' must name the first node");
    else if (m->start < 0)
        problem(&ld, NULL, "start '%s' does not exist", json_string_value(start));
    else if (m->nodes[m->start].type == NODE_TYPES)
        ; /* already reported */
    else {
        check_graph(&ld);
        find_leads(m);
    }
out:
    json_decref(root);
    if (ld.problems > 0) {
        menu_free(m);
        return NULL;
    }
    return m;
}

void menu_free(struct menu *m)
{
    if (!m)
        return;
    for (int i = 0; m->nodes && i < m->nnodes; i++) {
        struct node *nd = &m->nodes[i];
        free(nd->title);
        free(nd->text);
        for (int o = 0; nd->options && o < nd->noptions; o++)
            free(nd->options[o].label);
        free(nd->options);
        for (int s = 0; nd->show && s < nd->nshow; s++)
            free(nd->show[s].label);
        free(nd->show);
    }
    free(m->nodes);
    free(m->kecamatan);
    free(m->desa);
    free(m->desa_first);
    for (int src = 0; src <= SRC_DESA; src++)
        free(m->septets[src]);
    free(m->cache);
    free(m);
}

int menu_node_count(const struct menu *m)
{
    return m ? m->nnodes : 0;
}

const char *menu_node_id(const struct menu *m, int node)
{
    return m && node >= 0 && node < m->nnodes ? m->nodes[node].id : NULL;
}

/* ---- running ------------------------------------------------------------------------- */

enum error { E_NONE, E_CHOICE, E_NOMORE, E_INPUT, E_UTF8, E_CONFIRM, E_PAGE };
enum ended { RUNNING, ENDED_ACTION, ENDED_CANCEL };

struct frame {
    int16_t node, page;
    int32_t pick;      /* what was chosen here: option, global item index, 1 (confirm) or the
                        * input's index; -1 while nothing leads on from this frame */
    uint16_t off, len; /* input: the trimmed value in inputs[pick] */
};

struct run {
    const struct menu *m;
    const char *const *inputs;
    int width;
    struct frame stack[STACK_MAX];
    int depth;
    enum error err;
    int err_count; /* E_CHOICE: options on offer */
    enum ended ended;
};

static void input_error(const struct node *nd, char *buf, size_t len)
{
    const char *unit = nd->digits ? "angka" : "huruf";
    if (nd->min == nd->max)
        snprintf(buf, len, "Masukkan %d %s.", nd->min, unit);
    else
        snprintf(buf, len, "Masukkan %d-%d %s.", nd->min, nd->max, unit);
}

/* The kecamatan a desa list at stack[at] shows: the newest choice for its `of` key below. */
static int chosen_kecamatan(const struct run *r, int at, const struct node *nd)
{
    for (int f = at - 1; f >= 0; f--) {
        const struct node *below = &r->m->nodes[r->stack[f].node];
        if (below->store == nd->of && r->stack[f].pick >= 0)
            return r->stack[f].pick;
    }
    return -1;
}

static void frame_items(const struct run *r, int at, struct items *it)
{
    const struct node *nd = &r->m->nodes[r->stack[at].node];
    it->nd = nd;
    it->list = NULL;
    if (nd->type == NODE_MENU)
        it->count = nd->noptions;
    else
        list_items(r->m, nd, nd->source == SRC_DESA ? chosen_kecamatan(r, at, nd) : -1, &it->list,
                   &it->count);
}

static bool page_exists(const struct run *r, int at, int page)
{
    const struct node *nd = &r->m->nodes[r->stack[at].node];
    struct items it;
    int first, end;
    size_t s, e;

    if (nd->type == NODE_PAGE)
        return text_page(r->m, nd, page, r->width, &s, &e) == 0;
    if (nd->type != NODE_MENU && nd->type != NODE_LIST)
        return false;
    frame_items(r, at, &it);
    return items_page(r->m, &it, page, r->width, &first, &end) == 0;
}

static bool same(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* 1..count typed as plain digits (no sign, no leading zero) -> index, else -1. */
static int parse_choice(const char *s, size_t n, int count)
{
    int v = 0;
    if (n == 0 || n > 4 || s[0] == '0')
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= count ? v - 1 : -1;
}

static void push(struct run *r, int node, int page)
{
    if (r->depth >= STACK_MAX || node < 0)
        return; /* cannot happen: one frame per input, gotos checked at load */
    r->stack[r->depth++] = (struct frame){.node = (int16_t)node, .page = (int16_t)page, .pick = -1};
}

static void step(struct run *r, int index)
{
    const struct menu *m = r->m;
    struct frame *top = &r->stack[r->depth - 1];
    const struct node *nd = &m->nodes[top->node];
    const char *raw = r->inputs[index] ? r->inputs[index] : "";
    size_t n = strnlen(raw, INPUT_SCAN_MAX + 1), off = 0, len;
    bool too_long = n > INPUT_SCAN_MAX;
    const char *s;
    int k;

    while (off < n && is_space(raw[off]))
        off++;
    while (n > off && is_space(raw[n - 1]))
        n--;
    s = raw + off;
    len = n - off;
    r->err = E_NONE;
    if (!too_long && same(s, len, "00")) {
        r->depth = 1;
        return;
    }
    if (!too_long && same(s, len, "0")) {
        if (r->depth > 1)
            r->depth--;
        return;
    }
    if (!too_long && same(s, len, "98") &&
        (nd->type == NODE_MENU || nd->type == NODE_LIST || nd->type == NODE_PAGE)) {
        if (page_exists(r, r->depth - 1, top->page + 1)) {
            top->pick = -1;
            push(r, top->node, top->page + 1);
        } else
            r->err = E_NOMORE;
        return;
    }
    switch (nd->type) {
    case NODE_MENU:
    case NODE_LIST: {
        struct items it;
        frame_items(r, r->depth - 1, &it);
        k = too_long ? -1 : parse_choice(s, len, it.count);
        if (k < 0) {
            r->err = E_CHOICE;
            r->err_count = it.count;
            return;
        }
        top->pick = nd->type == NODE_MENU ? k : it.list ? it.list[k] : k;
        push(r, nd->type == NODE_MENU ? nd->options[k].target : nd->target, 0);
        return;
    }
    case NODE_INPUT: {
        size_t chars = 0;
        if (too_long || len >= MENU_VALUE_MAX) {
            r->err = E_INPUT;
            return;
        }
        for (size_t i = 0; i < len; i++) {
            if (nd->digits && (s[i] < '0' || s[i] > '9')) {
                r->err = E_INPUT;
                return;
            }
            chars += ((unsigned char)s[i] & 0xC0) != 0x80;
        }
        if (chars < (size_t)nd->min || chars > (size_t)nd->max) {
            r->err = E_INPUT;
            return;
        }
        {
            struct codec_plan p;
            if (!nd->digits && codec_plan(raw, &p) < 0) { /* raw is under INPUT_SCAN_MAX */
                r->err = E_UTF8;
                return;
            }
        }
        top->pick = index;
        top->off = (uint16_t)off;
        top->len = (uint16_t)len;
        if (nd->action >= 0)
            r->ended = ENDED_ACTION;
        else
            push(r, nd->target, 0);
        return;
    }
    case NODE_CONFIRM:
        if (same(s, len, "1")) {
            top->pick = 1;
            if (nd->action >= 0)
                r->ended = ENDED_ACTION;
            else
                push(r, nd->target, 0);
        } else if (same(s, len, "2"))
            r->ended = ENDED_CANCEL;
        else
            r->err = E_CONFIRM;
        return;
    case NODE_PAGE:
    default:
        r->err = E_PAGE;
        return;
    }
}

/* The value frame f stores, as the HTTP layer gets it (raw) or as a screen shows it. */
static void frame_value(const struct run *r, int f, bool display, char *buf, size_t len)
{
    const struct menu *m = r->m;
    const struct frame *fr = &r->stack[f];
    const struct node *nd = &m->nodes[fr->node];
    const char *s = NULL;

    buf[0] = '\0';
    if (nd->type == NODE_INPUT) {
        const char *raw = r->inputs[fr->pick] ? r->inputs[fr->pick] : "";
        size_t n = fr->len < len ? fr->len : len - 1;
        memcpy(buf, raw + fr->off, n);
        buf[n] = '\0';
        return;
    }
    switch (nd->source) {
    case SRC_CATEGORIES:
        s = display ? category_name(m->categories, fr->pick)
                    : category_code(m->categories, fr->pick);
        break;
    case SRC_KECAMATAN:
        s = region_kecamatan_name(m->regions, fr->pick);
        break;
    case SRC_DESA:
        s = display ? region_desa_name(m->regions, fr->pick)
                    : region_desa_code(m->regions, fr->pick);
        break;
    default:
        break;
    }
    snprintf(buf, len, "%s", s ? s : "");
}

/* The frame holding the newest value of key among frames [0, limit), or -1. */
static int frame_of_key(const struct run *r, int limit, int key)
{
    for (int f = limit - 1; f >= 0; f--)
        if (r->stack[f].pick >= 0 && r->m->nodes[r->stack[f].node].store == key)
            return f;
    return -1;
}

static void fill_values(const struct run *r, int limit, struct menu_result *out)
{
    for (int f = 0; f < limit; f++) {
        const struct node *nd = &r->m->nodes[r->stack[f].node];
        struct menu_value *v;
        /* only the newest frame of each key counts; keys are at most MENU_VALUES_MAX */
        if (nd->store < 0 || r->stack[f].pick < 0 || frame_of_key(r, limit, nd->store) != f ||
            out->nvalues == MENU_VALUES_MAX)
            continue;
        v = &out->values[out->nvalues++];
        snprintf(v->key, sizeof v->key, "%s", r->m->keys[nd->store].name);
        frame_value(r, f, false, v->value, sizeof v->value);
    }
}

static void error_line(const struct run *r, const struct node *nd, char *buf, size_t len)
{
    switch (r->err) {
    case E_CHOICE:
        if (r->err_count > 1)
            snprintf(buf, len, "Salah, pilih 1-%d.", r->err_count);
        else
            snprintf(buf, len, "Salah, pilih 1.");
        break;
    case E_NOMORE:
        snprintf(buf, len, "Tidak ada lanjutan.");
        break;
    case E_INPUT:
        input_error(nd, buf, len);
        break;
    case E_UTF8:
        snprintf(buf, len, "Teks tidak terbaca.");
        break;
    case E_CONFIRM:
        snprintf(buf, len, CONFIRM_ERROR);
        break;
    case E_PAGE:
        snprintf(buf, len,
                 page_exists(r, r->depth - 1, r->stack[r->depth - 1].page + 1)
                     ? "Ketik 98, 0 atau 00."
                     : "Ketik 0 atau 00.");
        break;
    default:
        buf[0] = '\0';
    }
}

static void hint(const struct menu *m, struct screen *sc, bool more, bool nav)
{
    if (!more && !nav)
        return;
    newline(m, sc);
    if (more)
        add_str(m, sc, HINT_MORE);
    if (more && nav)
        add_str(m, sc, " ");
    if (nav)
        add_str(m, sc, HINT_NAV);
}

/* Confirm summary: each value gets a fair share of what is left, short ones in full. */
static void render_confirm(const struct run *r, const struct node *nd, struct screen *sc)
{
    const struct menu *m = r->m;
    char vals[MENU_VALUES_MAX][MENU_VALUE_MAX];
    int need[MENU_VALUES_MAX], allow[MENU_VALUES_MAX];
    bool nav = r->depth > 1, settled[MENU_VALUES_MAX] = {false};
    int left = sc->limit - sc->septets - 1 - (int)strlen(CONFIRM_CHOICES) -
               (nav ? 1 + (int)strlen(HINT_NAV) : 0);
    int open = nd->nshow;

    for (int s = 0; s < nd->nshow; s++) {
        int f = frame_of_key(r, r->depth - 1, nd->show[s].key);
        char raw[MENU_VALUE_MAX], masked[MENU_VALUE_MAX];
        if (f < 0)
            snprintf(raw, sizeof raw, "-");
        else
            frame_value(r, f, true, raw, sizeof raw);
        privacy_mask(raw, masked, sizeof masked); /* a NIK typed in is shown masked */
        codec_gsm_fold(masked, vals[s], sizeof vals[s]);
        need[s] = measure(m, vals[s], strlen(vals[s]), true);
        left -= 1 + nd->show[s].septets + 2; /* "\nLabel: " */
    }
    /* water-filling: values that fit the fair share are shown whole */
    for (bool again = true; again && open > 0;) {
        int share = left > 0 ? left / open : 0;
        again = false;
        for (int s = 0; s < nd->nshow; s++)
            if (!settled[s] && need[s] <= share) {
                settled[s] = true;
                allow[s] = need[s];
                left -= need[s];
                open--;
                again = true;
            }
    }
    for (int s = 0, rest = open; s < nd->nshow; s++)
        if (!settled[s]) {
            allow[s] = left > 0 ? left / rest : 0;
            left -= allow[s];
            rest--;
        }
    for (int s = 0; s < nd->nshow; s++) {
        newline(m, sc);
        add_str(m, sc, nd->show[s].label);
        add_str(m, sc, ": ");
        if (need[s] <= allow[s])
            add(m, sc, vals[s], strlen(vals[s]), true, allow[s]);
        else if (allow[s] >= 3) {
            add(m, sc, vals[s], strlen(vals[s]), true, allow[s] - 2);
            add_str(m, sc, "..");
        }
    }
    newline(m, sc);
    add_str(m, sc, CONFIRM_CHOICES);
    hint(m, sc, false, nav);
}

static void render(const struct run *r, struct menu_result *out)
{
    const struct menu *m = r->m;
    const struct frame *top = &r->stack[r->depth - 1];
    const struct node *nd = &m->nodes[top->node];
    struct screen sc = {out->screen, 0, sizeof out->screen, 0, r->width};
    char err[64];
    bool nav = r->depth > 1;

    out->screen[0] = '\0';
    error_line(r, nd, err, sizeof err);
    if (err[0])
        add_str(m, &sc, err);
    if (nd->type != NODE_PAGE || top->page == 0) {
        newline(m, &sc);
        add_str(m, &sc, nd->title);
    }
    switch (nd->type) {
    case NODE_MENU:
    case NODE_LIST: {
        struct items it;
        int first, end;
        char num[16];
        frame_items(r, r->depth - 1, &it);
        if (items_page(m, &it, top->page, r->width, &first, &end) < 0) {
            /* a desa list with no kecamatan (menu_load rules it out) */
            newline(m, &sc);
            add_str(m, &sc, "(kosong)");
            hint(m, &sc, false, nav);
            break;
        }
        for (int i = first; i < end; i++) {
            const char *label = items_label(m, &it, i);
            snprintf(num, sizeof num, "%d ", i + 1);
            newline(m, &sc);
            add_str(m, &sc, num);
            add(m, &sc, label, strlen(label), true, INT32_MAX);
        }
        hint(m, &sc, items_page(m, &it, top->page + 1, r->width, &first, &end) == 0, nav);
        break;
    }
    case NODE_PAGE: {
        size_t s, e;
        if (text_page(m, nd, top->page, r->width, &s, &e) == 0) {
            newline(m, &sc);
            add(m, &sc, nd->text + s, e - s, false, INT32_MAX);
        }
        hint(m, &sc, text_page(m, nd, top->page + 1, r->width, &s, &e) == 0, nav);
        break;
    }
    case NODE_INPUT:
        hint(m, &sc, false, nav);
        break;
    case NODE_CONFIRM:
        render_confirm(r, nd, &sc);
        break;
    default:
        break;
    }
}

static void end_with(struct menu_result *out, const char *text)
{
    out->kind = MENU_END;
    snprintf(out->screen, sizeof out->screen, "%s", text);
}

int menu_run_width(const struct menu *m, int width, const char *const *inputs, int ninputs,
                   struct menu_result *out)
{
    struct run r;

    if (!out)
        return -1;
    memset(out, 0, sizeof *out);
    out->kind = MENU_CON;
    if (!m || m->nnodes == 0) {
        end_with(out, END_NO_MENU);
        return -1;
    }
    snprintf(out->node, sizeof out->node, "%s", m->nodes[m->start].id);
    if (ninputs < 0 || ninputs > MENU_INPUTS_MAX || (ninputs > 0 && !inputs)) {
        end_with(out, END_TOO_LONG);
        return -1;
    }
    r.m = m;
    r.inputs = inputs;
    r.width = width < MENU_SCREEN_MIN   ? MENU_SCREEN_MIN
              : width > MENU_SCREEN_MAX ? MENU_SCREEN_MAX
                                        : width;
    r.depth = 1;
    r.stack[0] = (struct frame){.node = (int16_t)m->start, .page = 0, .pick = -1};
    r.err = E_NONE;
    r.err_count = 0;
    r.ended = RUNNING;
    for (int i = 0; i < ninputs; i++) {
        if (r.ended != RUNNING) {
            end_with(out, END_OVER);
            return -1;
        }
        step(&r, i);
    }
    snprintf(out->node, sizeof out->node, "%s", m->nodes[r.stack[r.depth - 1].node].id);
    fill_values(&r, r.ended == ENDED_ACTION ? r.depth : r.depth - 1, out);
    if (r.ended == ENDED_ACTION) {
        out->kind = MENU_END;
        snprintf(out->action, sizeof out->action, "%s",
                 actions[m->nodes[r.stack[r.depth - 1].node].action].name);
        return 0;
    }
    if (r.ended == ENDED_CANCEL) {
        end_with(out, END_CANCEL);
        return 0;
    }
    render(&r, out);
    return r.err == E_NONE ? 0 : -1;
}

int menu_run(const struct menu *m, const char *const *inputs, int ninputs, struct menu_result *out)
{
    return menu_run_width(m, MENU_SCREEN_MAX, inputs, ninputs, out);
}

/* Copies what a caller of menu_run reads of a result (the unused tails of
 * the buffers stay as menu_run left them: zeroes). */
static void copy_result(struct menu_result *to, const struct menu_result *from)
{
    memset(to, 0, sizeof *to);
    to->kind = from->kind;
    memcpy(to->screen, from->screen, strlen(from->screen) + 1);
    memcpy(to->node, from->node, sizeof to->node);
    memcpy(to->action, from->action, sizeof to->action);
    memcpy(to->values, from->values, (size_t)from->nvalues * sizeof to->values[0]);
    to->nvalues = from->nvalues;
}

int menu_run_cached(struct menu *m, const char *const *inputs, int ninputs, struct menu_result *out)
{
    unsigned char key[CACHE_KEY_MAX];
    size_t keylen = 0;
    uint32_t hash = 2166136261u; /* FNV-1a */

    if (!m || !out || ninputs < 0 || ninputs > MENU_INPUTS_MAX || (ninputs > 0 && !inputs))
        return menu_run(m, inputs, ninputs, out);
    key[keylen++] = (unsigned char)ninputs;
    for (int i = 0; i < ninputs; i++) {
        size_t n = inputs[i] ? strnlen(inputs[i], MENU_CACHE_INPUT + 1) : MENU_CACHE_INPUT + 1;
        if (n > MENU_CACHE_INPUT)
            return menu_run(m, inputs, ninputs, out); /* typed text: never kept */
        key[keylen++] = (unsigned char)n;
        memcpy(key + keylen, inputs[i], n);
        keylen += n;
    }
    for (size_t i = 0; i < keylen; i++)
        hash = (hash ^ key[i]) * 16777619u;
    if (!m->cache && !(m->cache = calloc(MENU_CACHE_SLOTS, sizeof *m->cache)))
        return menu_run(m, inputs, ninputs, out);
    struct cached *slot = &m->cache[hash % MENU_CACHE_SLOTS];
    if (slot->keylen == keylen && memcmp(slot->key, key, keylen) == 0) {
        copy_result(out, &slot->result);
        return slot->ret;
    }
    int ret = menu_run(m, inputs, ninputs, out);
    memcpy(slot->key, key, keylen);
    slot->keylen = keylen;
    slot->ret = ret;
    copy_result(&slot->result, out);
    return ret;
}

int menu_split(char *text, const char **inputs, int max)
{
    int count = 0;
    char *p = text;

    if (!text || !*text)
        return 0;
    for (;;) {
        char *star = strchr(p, '*');
        if (count < max && inputs)
            inputs[count] = p;
        count++;
        if (!star)
            break;
        if (count <= max)
            *star = '\0';
        p = star + 1;
        if (count == INT32_MAX)
            break;
    }
    return count;
}
