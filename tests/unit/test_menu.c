/*
 * Unit tests for handlers/menu against the real etc/menu.json, data/batang-wilayah.csv and
 * data/kategori.csv (from the repo root, or $KT_ROOT): every path of the default menu walked
 * programmatically at the USSD and the SMS width (every node visited, every page turned,
 * every category, kecamatan and desa chosen, every action reached with the values the
 * screens promised); back, home and paging at several depths; refused inputs (letters,
 * out of range, empty, 99, very long, 40 inputs, invalid UTF-8); every screen GSM-7 and
 * within its width; the same inputs always giving the same result; menu_split; and broken
 * menu files in a temporary directory giving one line per problem, naming the node.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers/category.h"
#include "handlers/menu.h"
#include "handlers/region.h"
#include "modems/codec.h"

static struct region_db *regions;
static struct category_db *categories;
static struct menu *menu;

static void root_path(char *buf, size_t len, const char *rel)
{
    const char *root = getenv("KT_ROOT");
    snprintf(buf, len, "%s/%s", root && *root ? root : ".", rel);
}

static void setup(void)
{
    char path[512], err[4096];
    root_path(path, sizeof path, "data/batang-wilayah.csv");
    regions = region_load(path, err, sizeof err);
    cr_assert_not_null(regions, "region_load: %s", err);
    root_path(path, sizeof path, "data/kategori.csv");
    categories = category_load(path, err, sizeof err);
    cr_assert_not_null(categories, "category_load: %s", err);
    root_path(path, sizeof path, "etc/menu.json");
    menu = menu_load(path, regions, categories, err, sizeof err);
    cr_assert_not_null(menu, "menu_load:\n%s", err);
}

static void teardown(void)
{
    menu_free(menu);
    category_free(categories);
    region_free(regions);
    menu = NULL;
    categories = NULL;
    regions = NULL;
}

TestSuite(menu, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------------------- */

/* What every result must be, whatever the input. */
static void check_result(const struct menu_result *r, int width)
{
    size_t n = strnlen(r->screen, sizeof r->screen);
    struct codec_plan p;

    cr_assert_lt(n, sizeof r->screen, "screen not NUL-terminated");
    cr_assert(r->kind == MENU_CON || r->kind == MENU_END);
    cr_assert_eq(codec_plan(r->screen, &p), 0, "screen not UTF-8");
    cr_assert_eq(p.coding, CODEC_GSM7, "screen needs UCS-2:\n%s", r->screen);
    cr_assert_leq(p.units, width, "screen of %d septets (max %d):\n%s", p.units, width, r->screen);
    cr_assert_lt(strnlen(r->node, sizeof r->node), sizeof r->node);
    cr_assert_lt(strnlen(r->action, sizeof r->action), sizeof r->action);
    cr_assert(r->nvalues >= 0 && r->nvalues <= MENU_VALUES_MAX);
    for (int i = 0; i < r->nvalues; i++) {
        cr_assert_lt(strnlen(r->values[i].key, sizeof r->values[i].key), sizeof r->values[i].key);
        cr_assert_lt(strnlen(r->values[i].value, sizeof r->values[i].value),
                     sizeof r->values[i].value);
        for (int j = 0; j < i; j++)
            cr_assert_str_neq(r->values[i].key, r->values[j].key, "key twice");
    }
    /* nothing was cut off the end of a screen of the default menu */
    if (r->kind == MENU_CON && strcmp(r->node, "home") != 0) {
        const char *last = strrchr(r->screen, '\n');
        cr_assert(last && (strcmp(last, "\n0 Kembali 00 Awal") == 0 ||
                           strcmp(last, "\n98 Lanjut 0 Kembali 00 Awal") == 0),
                  "screen does not end with the navigation line:\n%s", r->screen);
    }
    if (r->action[0]) {
        cr_assert_eq(r->kind, MENU_END, "an action ends the session");
        cr_assert_str_empty(r->screen, "the caller writes the END text of an action");
    } else
        cr_assert_gt(n, 0, "an empty screen without an action");
}

/* Runs inputs twice (the replay must answer the same) and checks the result. */
static int run_inputs(int width, const char *const *in, int n, struct menu_result *r)
{
    struct menu_result again;
    int rc = menu_run_width(menu, width, in, n, r);
    check_result(r, width);
    cr_assert_eq(menu_run_width(menu, width, in, n, &again), rc);
    cr_assert(memcmp(r, &again, sizeof again) == 0, "replay gave another result");
    return rc;
}

/* A USSD text ("1*2*teks") at the given width. */
static int run_width(int width, const char *text, struct menu_result *r)
{
    char buf[8192];
    const char *in[MENU_INPUTS_MAX];
    int n;

    cr_assert_lt(strlen(text), sizeof buf);
    snprintf(buf, sizeof buf, "%s", text);
    n = menu_split(buf, in, MENU_INPUTS_MAX);
    return run_inputs(width, in, n, r);
}

static int run(const char *text, struct menu_result *r)
{
    return run_width(MENU_SCREEN_MAX, text, r);
}

static const char *value(const struct menu_result *r, const char *key)
{
    for (int i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i].key, key) == 0)
            return r->values[i].value;
    return NULL;
}

static void expect_screen(const char *text, const char *node, const char *needle)
{
    struct menu_result r;
    run(text, &r);
    cr_assert_eq(r.kind, MENU_CON, "%s: END\n%s", text, r.screen);
    cr_assert_str_eq(r.node, node, "%s: node", text);
    if (needle)
        cr_assert_not_null(strstr(r.screen, needle), "%s: no '%s' in\n%s", text, needle, r.screen);
}

/* The same screen and values for two input lists. */
static void expect_same(const char *a, const char *b)
{
    struct menu_result ra, rb;
    run(a, &ra);
    run(b, &rb);
    cr_assert_str_eq(ra.node, rb.node, "'%s' vs '%s'", a, b);
    cr_assert_str_eq(ra.screen, rb.screen, "'%s' vs '%s'", a, b);
    cr_assert_eq(ra.nvalues, rb.nvalues, "'%s' vs '%s'", a, b);
    for (int i = 0; i < ra.nvalues; i++) {
        cr_assert_str_eq(ra.values[i].key, rb.values[i].key);
        cr_assert_str_eq(ra.values[i].value, rb.values[i].value);
    }
}

static int category_named(const char *name)
{
    for (int c = 0; c < category_count(categories); c++)
        if (strcmp(category_name(categories, c), name) == 0)
            return c;
    return -1;
}

static int desa_named(const char *name, const char *kec)
{
    for (int d = 0; d < region_desa_count(regions); d++)
        if (strcmp(region_desa_name(regions, d), name) == 0 &&
            strcmp(region_kecamatan_name(regions, region_desa_kecamatan(regions, d)), kec) == 0)
            return d;
    return -1;
}

static int kecamatan_named(const char *name)
{
    for (int k = 0; k < region_kecamatan_count(regions); k++)
        if (strcmp(region_kecamatan_name(regions, k), name) == 0)
            return k;
    return -1;
}

static int desa_in(int kec)
{
    int n = 0;
    for (int d = 0; d < region_desa_count(regions); d++)
        n += region_desa_kecamatan(regions, d) == kec;
    return n;
}

/* ---- walking every path of the default menu ----------------------------------------- */

enum kind { K_MENU, K_LIST, K_TEXT, K_DIGITS, K_PAGE, K_CONFIRM };

/* The default menu's nodes, as these tests drive them. */
static const struct {
    const char *id;
    enum kind kind;
} default_nodes[] = {
    {"home", K_MENU},         {"lapor_kategori", K_LIST},   {"lapor_kecamatan", K_LIST},
    {"lapor_desa", K_LIST},   {"lapor_isi", K_TEXT},        {"lapor_kirim", K_CONFIRM},
    {"cek", K_DIGITS},        {"daftar_kecamatan", K_LIST}, {"daftar_desa", K_LIST},
    {"daftar_ok", K_CONFIRM}, {"berhenti", K_CONFIRM},      {"info", K_MENU},
    {"info_jam", K_PAGE},     {"info_akta", K_PAGE},        {"info_wisata", K_PAGE},
};
#define NDEFAULT ((int)(sizeof default_nodes / sizeof default_nodes[0]))

#define WALK_TEXT   "Jalan di depan balai desa berlubang besar, sudah dua bulan"
#define WALK_TICKET "1234567"

struct walk {
    int width;
    bool visited[NDEFAULT];
    int lapor, cek, daftar, berhenti, cancels, page_turns, screens;
    bool category_seen[CATEGORY_MAX];
    bool lapor_desa[REGION_DESA_MAX], daftar_desa[REGION_DESA_MAX];
    bool lapor_kec[REGION_KECAMATAN_MAX], daftar_kec[REGION_KECAMATAN_MAX];
};

struct path {
    char category[80]; /* as labels[] below */
    char kecamatan[80];
    char desa[80];
};

static int node_index(const char *id)
{
    for (int i = 0; i < NDEFAULT; i++)
        if (strcmp(default_nodes[i].id, id) == 0)
            return i;
    return -1;
}

static bool is_nav_line(const char *line)
{
    return strncmp(line, "98 Lanjut", 9) == 0 || strncmp(line, "0 Kembali", 9) == 0;
}

/* Numbered lines of a menu or list screen: numbers[], labels[]; returns how many. */
static int options_of(const char *screen, int *numbers, char (*labels)[80], int max)
{
    char copy[MENU_SCREEN_MAX * 4 + 1], *save = NULL;
    int n = 0;

    snprintf(copy, sizeof copy, "%s", screen);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *end;
        long v = strtol(line, &end, 10);
        if (end == line || *end != ' ' || is_nav_line(line) || n == max)
            continue;
        numbers[n] = (int)v;
        snprintf(labels[n], sizeof labels[n], "%s", end + 1);
        n++;
    }
    return n;
}

static void leaf(struct walk *w, const struct menu_result *r, const struct path *p)
{
    if (strcmp(r->action, "lapor") == 0) {
        int c = category_named(p->category), k = kecamatan_named(p->kecamatan);
        int d = desa_named(p->desa, p->kecamatan);
        cr_assert(c >= 0 && k >= 0 && d >= 0, "lapor: %s / %s / %s", p->category, p->kecamatan,
                  p->desa);
        cr_assert_eq(r->nvalues, 4);
        cr_assert_str_eq(value(r, "category"), category_code(categories, c));
        cr_assert_str_eq(value(r, "kecamatan"), p->kecamatan);
        cr_assert_str_eq(value(r, "desa"), region_desa_code(regions, d), "desa %s", p->desa);
        cr_assert_str_eq(value(r, "text"), WALK_TEXT);
        cr_assert_str_eq(r->node, "lapor_kirim");
        w->category_seen[c] = true;
        w->lapor_kec[k] = true;
        w->lapor_desa[d] = true;
        w->lapor++;
    } else if (strcmp(r->action, "daftar") == 0) {
        int k = kecamatan_named(p->kecamatan), d = desa_named(p->desa, p->kecamatan);
        cr_assert(k >= 0 && d >= 0, "daftar: %s / %s", p->kecamatan, p->desa);
        cr_assert_eq(r->nvalues, 2);
        cr_assert_str_eq(value(r, "kecamatan"), p->kecamatan);
        cr_assert_str_eq(value(r, "desa"), region_desa_code(regions, d));
        cr_assert_str_eq(r->node, "daftar_ok");
        w->daftar_kec[k] = true;
        w->daftar_desa[d] = true;
        w->daftar++;
    } else if (strcmp(r->action, "cek") == 0) {
        cr_assert_eq(r->nvalues, 1);
        cr_assert_str_eq(value(r, "ticket"), WALK_TICKET);
        cr_assert_str_eq(r->node, "cek");
        w->cek++;
    } else if (strcmp(r->action, "berhenti") == 0) {
        cr_assert_eq(r->nvalues, 0);
        cr_assert_str_eq(r->node, "berhenti");
        w->berhenti++;
    } else {
        cr_assert_str_empty(r->action);
        cr_assert_str_eq(r->screen, "Dibatalkan. Tidak ada yang dikirim.");
        w->cancels++;
    }
}

/* How many items the list shown at node id should have in all. */
static int list_size(const char *id, const struct path *p)
{
    if (strcmp(id, "lapor_kategori") == 0)
        return category_count(categories);
    if (strstr(id, "_kecamatan"))
        return region_kecamatan_count(regions);
    return desa_in(kecamatan_named(p->kecamatan));
}

static void walk(struct walk *w, const char *text, const struct path *p, int expect_first)
{
    struct menu_result r;
    char next[8192];
    int idx, numbers[64];
    char labels[64][80];

    cr_assert_eq(run_width(w->width, text, &r), 0, "'%s' refused:\n%s", text, r.screen);
    w->screens++;
    if (r.kind == MENU_END) {
        leaf(w, &r, p);
        return;
    }
    idx = node_index(r.node);
    cr_assert_geq(idx, 0, "unknown node '%s'", r.node);
    w->visited[idx] = true;
    cr_assert_eq(strstr(r.screen, "0 Kembali 00 Awal") != NULL, strcmp(r.node, "home") != 0,
                 "'%s': back/home hint on every screen but the first:\n%s", text, r.screen);

    switch (default_nodes[idx].kind) {
    case K_MENU:
    case K_LIST: {
        int n = options_of(r.screen, numbers, labels, 64);
        bool more = strstr(r.screen, "\n98 Lanjut") != NULL;
        cr_assert_gt(n, 0, "'%s': no options:\n%s", text, r.screen);
        cr_assert_eq(numbers[0], expect_first, "'%s': page starts at %d", text, numbers[0]);
        for (int i = 0; i < n; i++) {
            struct path q = *p;
            cr_assert_eq(numbers[i], expect_first + i, "'%s': numbering", text);
            if (strcmp(r.node, "lapor_kategori") == 0)
                snprintf(q.category, sizeof q.category, "%.79s", labels[i]);
            else if (strstr(r.node, "_kecamatan"))
                snprintf(q.kecamatan, sizeof q.kecamatan, "%.79s", labels[i]);
            else if (strstr(r.node, "_desa"))
                snprintf(q.desa, sizeof q.desa, "%.79s", labels[i]);
            snprintf(next, sizeof next, "%s%s%d", text, *text ? "*" : "", numbers[i]);
            walk(w, next, &q, 1);
        }
        if (default_nodes[idx].kind == K_LIST && !more)
            cr_assert_eq(numbers[n - 1], list_size(r.node, p), "'%s': last item", text);
        if (more) {
            w->page_turns++;
            snprintf(next, sizeof next, "%s%s98", text, *text ? "*" : "");
            walk(w, next, p, numbers[n - 1] + 1);
        }
        break;
    }
    case K_PAGE:
        if (strstr(r.screen, "\n98 Lanjut")) {
            w->page_turns++;
            snprintf(next, sizeof next, "%s*98", text);
            walk(w, next, p, 1);
        }
        break;
    case K_TEXT:
        snprintf(next, sizeof next, "%s*%s", text, WALK_TEXT);
        walk(w, next, p, 1);
        break;
    case K_DIGITS:
        snprintf(next, sizeof next, "%s*%s", text, WALK_TICKET);
        walk(w, next, p, 1);
        break;
    case K_CONFIRM:
        cr_assert_not_null(strstr(r.screen, "\n1 Ya 2 Batal"), "%s", r.screen);
        snprintf(next, sizeof next, "%s*1", text);
        walk(w, next, p, 1);
        snprintf(next, sizeof next, "%s*2", text);
        walk(w, next, p, 1);
        break;
    }
}

static void walk_all(int width)
{
    static struct walk w;
    struct path p = {"", "", ""};
    int ndesa = region_desa_count(regions), nkec = region_kecamatan_count(regions);

    memset(&w, 0, sizeof w);
    w.width = width;
    cr_assert_eq(menu_node_count(menu), NDEFAULT, "the test knows every node of the menu");
    walk(&w, "", &p, 1);

    for (int i = 0; i < menu_node_count(menu); i++) {
        int idx = node_index(menu_node_id(menu, i));
        cr_assert_geq(idx, 0, "node '%s' unknown to the test", menu_node_id(menu, i));
        cr_assert(w.visited[idx], "node '%s' never shown", menu_node_id(menu, i));
    }
    for (int c = 0; c < category_count(categories); c++)
        cr_assert(w.category_seen[c], "category %s never chosen", category_code(categories, c));
    for (int k = 0; k < nkec; k++)
        cr_assert(w.lapor_kec[k] && w.daftar_kec[k], "kecamatan %s",
                  region_kecamatan_name(regions, k));
    for (int d = 0; d < ndesa; d++)
        cr_assert(w.lapor_desa[d] && w.daftar_desa[d], "desa %s never chosen",
                  region_desa_name(regions, d));
    /* every category with every desa; one per desa; one each */
    cr_assert_eq(w.lapor, category_count(categories) * ndesa);
    cr_assert_eq(w.daftar, ndesa);
    cr_assert_eq(w.cek, 1);
    cr_assert_eq(w.berhenti, 1);
    cr_assert_eq(w.cancels, w.lapor + w.daftar + w.berhenti, "each confirm can be cancelled");
    cr_assert_gt(w.page_turns, 0);
    cr_log_info("menu walk at %d: %d screens, %d actions, %d page turns", width, w.screens,
                w.lapor + w.daftar + w.cek + w.berhenti, w.page_turns);
}

Test(menu, walk_every_path_ussd)
{
    walk_all(MENU_SCREEN_MAX);
}

Test(menu, walk_every_path_sms)
{
    walk_all(MENU_SCREEN_MIN);
}

Test(menu, where_each_node_leads)
{
    cr_expect_null(menu_leads_to(menu, "home"), "home leads to every action");
    cr_expect_str_eq(menu_leads_to(menu, "lapor_kategori"), "lapor");
    cr_expect_str_eq(menu_leads_to(menu, "lapor_isi"), "lapor");
    cr_expect_str_eq(menu_leads_to(menu, "lapor_kirim"), "lapor");
    cr_expect_str_eq(menu_leads_to(menu, "cek"), "cek");
    cr_expect_str_eq(menu_leads_to(menu, "daftar_desa"), "daftar");
    cr_expect_null(menu_leads_to(menu, "info"), "information pages lead to no action");
    cr_expect_null(menu_leads_to(menu, "no_such_node"));
    cr_expect_null(menu_leads_to(NULL, "home"));
    cr_expect_str_eq(menu_start(menu), "home");
    cr_expect_null(menu_start(NULL));
}

/* ---- screens ------------------------------------------------------------------------- */

Test(menu, home_screen)
{
    struct menu_result r;
    cr_assert_eq(run("", &r), 0);
    cr_assert_eq(r.kind, MENU_CON);
    cr_assert_str_eq(r.node, "home");
    cr_assert_str_eq(r.screen, "Layanan Pemkab Batang\n1 Lapor/aduan\n2 Cek status laporan\n"
                               "3 Langganan info desa\n4 Berhenti langganan\n5 Informasi");
    cr_assert_eq(r.nvalues, 0);
    cr_assert_str_empty(r.action);
}

Test(menu, list_pages_and_global_numbers)
{
    struct menu_result r;
    /* categories: page 2 continues the numbering; any number works on any page */
    expect_screen("1", "lapor_kategori", "1 Jalan dan jembatan rusak");
    expect_screen("1", "lapor_kategori", "\n98 Lanjut 0 Kembali 00 Awal");
    expect_screen("1*98", "lapor_kategori", "\n10 Pariwisata");
    run("1*98", &r);
    cr_assert_null(strstr(r.screen, "Jalan dan jembatan"));
    run("1*98*1", &r); /* 1 is on page 1, still valid on page 2 */
    cr_assert_str_eq(r.node, "lapor_kecamatan");
    cr_assert_str_eq(value(&r, "category"), "JLN");
    run("1*21", &r); /* Lainnya, on the last page, from the first */
    cr_assert_str_eq(value(&r, "category"), "LAIN");
    /* the last page has no 98 */
    run("1*98*98*98*98", &r);
    cr_assert_null(strstr(r.screen, "98 Lanjut"));
    cr_assert_not_null(strstr(r.screen, "21 Lainnya"));
    cr_assert_not_null(strstr(r.screen, "\n0 Kembali 00 Awal"));
}

Test(menu, desa_list_follows_the_kecamatan)
{
    struct menu_result r;
    int k = kecamatan_named("Batang");
    /* kecamatan alphabetical: Bandar, Banyuputih, Batang */
    run("3*3", &r);
    cr_assert_str_eq(r.node, "daftar_desa");
    cr_assert_str_eq(value(&r, "kecamatan"), "Batang");
    cr_assert_not_null(strstr(r.screen, "1 Cepokokuning"), "%s", r.screen);
    /* page through Batang's 21 desa/kelurahan: the last number is the count */
    {
        char t[64] = "3*3", want[16];
        for (int p = 0; p < 10; p++) {
            run(t, &r);
            if (!strstr(r.screen, "98 Lanjut"))
                break;
            strcat(t, "*98");
        }
        cr_assert_null(strstr(r.screen, "98 Lanjut"), "%s", r.screen);
        snprintf(want, sizeof want, "\n%d ", desa_in(k));
        cr_assert_not_null(strstr(r.screen, want), "%s", r.screen);
        cr_assert_eq(desa_in(k), 21);
    }
    /* back to the kecamatan, choose Kandeman: its desa, not Batang's */
    run("3*3*0*7*1", &r);
    cr_assert_str_eq(value(&r, "kecamatan"), "Kandeman");
    cr_assert_str_eq(region_kecamatan_name(
                         regions, region_desa_kecamatan(
                                      regions, region_desa_by_code(regions, value(&r, "desa")))),
                     "Kandeman");
}

Test(menu, confirm_summary)
{
    struct menu_result r;
    run("1*1*3*6*Lampu jalan mati di gang masjid", &r);
    cr_assert_str_eq(r.node, "lapor_kirim");
    cr_assert_str_eq(r.screen, "Kirim laporan ini?\nJenis: Jalan dan jembatan rusak\n"
                               "Desa: Kalisalak\nIsi: Lampu jalan mati di gang masjid\n"
                               "1 Ya 2 Batal\n0 Kembali 00 Awal");
    cr_assert_eq(r.nvalues, 4, "values so far");
    run("3*3*6", &r);
    cr_assert_str_eq(r.screen, "Terima pengumuman lewat SMS dari:\nDesa: Kalisalak\nKec: Batang\n"
                               "1 Ya 2 Batal\n0 Kembali 00 Awal");
}

Test(menu, confirm_cuts_long_values_to_fit)
{
    struct menu_result r;
    char text[MENU_TEXT_MAX + 1], input[512];
    memset(text, 'a', MENU_TEXT_MAX);
    for (int i = 4; i < MENU_TEXT_MAX; i += 10)
        text[i] = ' ';
    text[MENU_TEXT_MAX] = '\0';
    /* the longest category, a long desa name, the longest text */
    snprintf(input, sizeof input, "1*13*3*8*%s", text);
    for (int width = MENU_SCREEN_MIN; width <= MENU_SCREEN_MAX; width += 22) {
        cr_assert_eq(run_width(width, input, &r), 0);
        cr_assert_str_eq(r.node, "lapor_kirim");
        cr_assert_not_null(strstr(r.screen, "Desa: Karangasem Selatan\n"), "%s", r.screen);
        cr_assert_not_null(strstr(r.screen, "..\n1 Ya 2 Batal"), "%s", r.screen);
        cr_assert_str_eq(value(&r, "text"), text, "the value is whole, only the screen is cut");
    }
    /* after a refused reply the error line takes room from the values, not the choices */
    strcat(input, "*3");
    cr_assert_eq(run(input, &r), -1);
    cr_assert(strncmp(r.screen, "Pilih 1 atau 2.\nKirim laporan ini?\n", 35) == 0, "%s", r.screen);
    cr_assert_not_null(strstr(r.screen, "\n1 Ya 2 Batal\n0 Kembali 00 Awal"), "%s", r.screen);
}

Test(menu, typed_text_outside_gsm7_is_shown_as_gsm7_and_kept_whole)
{
    struct menu_result r;
    /* curly quotes fold; CJK and emoji become '?'; the value keeps what was typed */
    const char *typed = "\xe2\x80\x9cJalan\xe2\x80\x9d rusak \xe5\x9d\x8f \xf0\x9f\x98\xa1 "
                        "parah\nsekali";
    const char *in[] = {"1", "1", "3", "6", typed};
    cr_assert_eq(run_inputs(MENU_SCREEN_MAX, in, 5, &r), 0);
    cr_assert_str_eq(r.node, "lapor_kirim");
    cr_assert_not_null(strstr(r.screen, "Isi: \"Jalan\" rusak ? ? parah sekali\n"), "%s", r.screen);
    cr_assert_str_eq(value(&r, "text"), typed);
}

Test(menu, pages_turn_and_go_back)
{
    struct menu_result r;
    expect_screen("5*1", "info_jam", "Jam layanan Disdukcapil\nDisdukcapil");
    expect_screen("5*1", "info_jam", "\n98 Lanjut 0 Kembali 00 Awal");
    run("5*1*98", &r);
    cr_assert_null(strstr(r.screen, "Jam layanan Disdukcapil\n"), "title on the first page only");
    expect_same("5*1*98*0", "5*1");
    expect_same("5*2*98*98*0*0", "5*2");
    expect_same("5*3*98*0*0", "5");
    /* the last page: no 98, and 98 there says so */
    for (int p = 0; p < 10; p++) {
        char t[64] = "5*3";
        for (int i = 0; i < p; i++)
            strcat(t, "*98");
        run(t, &r);
        if (!strstr(r.screen, "98 Lanjut")) {
            strcat(t, "*98");
            cr_assert_eq(run(t, &r), -1);
            cr_assert(strncmp(r.screen, "Tidak ada lanjutan.\n", 20) == 0, "%s", r.screen);
            break;
        }
        cr_assert_lt(p, 9, "page text never ends");
    }
    /* a page takes no choice */
    cr_assert_eq(run("5*1*1", &r), -1);
    cr_assert(strncmp(r.screen, "Ketik 98, 0 atau 00.\n", 21) == 0, "%s", r.screen);
}

/* ---- navigation ---------------------------------------------------------------------- */

Test(menu, back_undoes_the_last_step)
{
    struct menu_result r;
    expect_same("0", "");
    expect_same("0*0*0", "");
    expect_same("1*0", "");
    expect_same("1*98*0", "1");
    expect_same("1*1*0", "1");
    expect_same("1*1*3*0", "1*1");
    expect_same("1*1*98*3*0", "1*1*98"); /* back to the page the choice was made on */
    expect_same("1*1*3*98*98*0*0", "1*1*3");
    expect_same("1*1*3*5*Jalan rusak parah sekali*0", "1*1*3*5");
    expect_same("1*1*3*5*Jalan rusak parah sekali*0*0", "1*1*3");
    /* the brief's example: page 2, choose 3, back, choose 2 */
    run("1*98*3*0*2", &r);
    cr_assert_str_eq(r.node, "lapor_kecamatan");
    cr_assert_str_eq(value(&r, "category"), "PJU");
    cr_assert_eq(r.nvalues, 1);
    /* a choice undone is no longer collected */
    run("1*1*3*0", &r);
    cr_assert_null(value(&r, "kecamatan"));
    cr_assert_str_eq(value(&r, "category"), "JLN");
    /* a refused input is not a step: back goes past it */
    expect_same("1*99*0", "");
    expect_same("2*abc*0", "");
    /* choose again after going back: the new choice counts */
    run("1*1*3*0*0*7*6*6*Sampah menumpuk di pasar*1", &r);
    cr_assert_str_eq(r.action, "lapor");
    cr_assert_str_eq(value(&r, "category"), "LH");
    cr_assert_str_eq(value(&r, "kecamatan"), "Gringsing");
}

Test(menu, home_from_anywhere)
{
    struct menu_result r;
    expect_same("00", "");
    expect_same("1*00", "");
    expect_same("1*98*98*00", "");
    expect_same("1*1*3*5*Jalan rusak parah sekali*00", "");
    expect_same("5*2*98*00", "");
    expect_same("2*00", "");
    /* nothing collected survives home */
    run("1*1*3*00*3*3*7*1", &r);
    cr_assert_str_eq(r.action, "daftar");
    cr_assert_null(value(&r, "category"));
    cr_assert_eq(r.nvalues, 2);
    cr_assert_str_eq(value(&r, "kecamatan"), "Batang");
    /* back after home goes nowhere */
    expect_same("1*1*00*0", "");
}

Test(menu, inputs_are_trimmed)
{
    expect_same(" 1 ", "1");
    expect_same("1*\t98 ", "1*98");
    expect_same(" 00", "");
}

/* ---- refused inputs ------------------------------------------------------------------ */

static void expect_refused(const char *text, const char *node, const char *error)
{
    struct menu_result r;
    cr_assert_eq(run(text, &r), -1, "'%s' accepted:\n%s", text, r.screen);
    cr_assert_eq(r.kind, MENU_CON, "'%s'", text);
    cr_assert_str_eq(r.node, node, "'%s'", text);
    cr_assert(strncmp(r.screen, error, strlen(error)) == 0 && r.screen[strlen(error)] == '\n',
              "'%s': want first line '%s':\n%s", text, error, r.screen);
}

Test(menu, out_of_range_and_junk_choices)
{
    expect_refused("6", "home", "Salah, pilih 1-5.");
    expect_refused("99", "home", "Salah, pilih 1-5.");
    expect_refused("98", "home", "Tidak ada lanjutan.");
    expect_refused("-1", "home", "Salah, pilih 1-5.");
    expect_refused("01", "home", "Salah, pilih 1-5.");
    expect_refused("1.0", "home", "Salah, pilih 1-5.");
    expect_refused("satu", "home", "Salah, pilih 1-5.");
    expect_refused("1*", "lapor_kategori", "Salah, pilih 1-21.");
    expect_refused("1*22", "lapor_kategori", "Salah, pilih 1-21.");
    expect_refused("3*3*22", "daftar_desa", "Salah, pilih 1-21.");
    expect_refused("1*1*99", "lapor_kecamatan", "Salah, pilih 1-15.");
    expect_refused("1*1*99999999999999999999", "lapor_kecamatan", "Salah, pilih 1-15.");
    expect_refused("4*3", "berhenti", "Pilih 1 atau 2.");
    expect_refused("4*98", "berhenti", "Pilih 1 atau 2.");
    expect_refused("4*", "berhenti", "Pilih 1 atau 2.");
    /* the error line keeps the screen whole */
    expect_screen("99", "home", "\n5 Informasi");
    /* a refused input does not stick: the next one is judged alone */
    expect_same("99*1", "1");
    expect_same("1*abc*98", "1*98");
}

Test(menu, digits_input)
{
    struct menu_result r;
    expect_refused("2*abc123", "cek", "Masukkan 6-10 angka.");
    expect_refused("2*12345", "cek", "Masukkan 6-10 angka.");
    expect_refused("2*12345678901", "cek", "Masukkan 6-10 angka.");
    expect_refused("2*123 456", "cek", "Masukkan 6-10 angka.");
    expect_refused("2*", "cek", "Masukkan 6-10 angka.");
    expect_refused("2*98", "cek", "Masukkan 6-10 angka.");
    expect_refused("2*\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6", "cek",
                   "Masukkan 6-10 angka."); /* Arabic-Indic digits are not digits here */
    cr_assert_eq(run("2*abc*1234567", &r), 0);
    cr_assert_eq(r.kind, MENU_END);
    cr_assert_str_eq(r.action, "cek");
    cr_assert_str_eq(value(&r, "ticket"), "1234567");
    cr_assert_eq(run("2* 123456 ", &r), 0);
    cr_assert_str_eq(value(&r, "ticket"), "123456", "trimmed");
}

Test(menu, text_input)
{
    struct menu_result r;
    char text[MENU_TEXT_MAX + 2], input[512];
    expect_refused("1*1*3*5*pendek", "lapor_isi", "Masukkan 10-160 huruf.");
    expect_refused("1*1*3*5*", "lapor_isi", "Masukkan 10-160 huruf.");
    expect_refused("1*1*3*5*          ", "lapor_isi", "Masukkan 10-160 huruf.");
    memset(text, 'x', MENU_TEXT_MAX + 1);
    text[MENU_TEXT_MAX + 1] = '\0';
    snprintf(input, sizeof input, "1*1*3*5*%s", text);
    expect_refused(input, "lapor_isi", "Masukkan 10-160 huruf.");
    text[MENU_TEXT_MAX] = '\0';
    snprintf(input, sizeof input, "1*1*3*5*%s", text);
    cr_assert_eq(run(input, &r), 0);
    cr_assert_str_eq(r.node, "lapor_kirim");
    /* characters, not bytes: 40 two-byte letters are 40 */
    {
        const char *in[] = {"1", "1", "3", "5",
                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"};
        cr_assert_eq(run_inputs(MENU_SCREEN_MAX, in, 5, &r), -1, "9 characters");
    }
    /* invalid UTF-8 */
    {
        const char *in[] = {"1", "1", "3", "5", "jalan rusak \xff\xfe parah"};
        cr_assert_eq(run_inputs(MENU_SCREEN_MAX, in, 5, &r), -1);
        cr_assert(strncmp(r.screen, "Teks tidak terbaca.\n", 20) == 0, "%s", r.screen);
    }
    /* 0 and 00 are navigation even where text is expected */
    expect_same("1*1*3*5*0", "1*1*3");
}

Test(menu, very_long_input)
{
    struct menu_result r;
    size_t n = 100000;
    char *big = malloc(n + 1);
    cr_assert_not_null(big);
    memset(big, '1', n);
    big[n] = '\0';
    {
        const char *in[] = {big};
        cr_assert_eq(run_inputs(MENU_SCREEN_MAX, in, 1, &r), -1);
        cr_assert_str_eq(r.node, "home");
    }
    {
        const char *in[] = {"1", "1", "3", "5", big};
        cr_assert_eq(run_inputs(MENU_SCREEN_MAX, in, 5, &r), -1);
        cr_assert_str_eq(r.node, "lapor_isi");
    }
    {
        const char *in[] = {"2", big};
        cr_assert_eq(run_inputs(MENU_SCREEN_MAX, in, 2, &r), -1);
        cr_assert_str_eq(r.node, "cek");
    }
    memset(big, ' ', n - 1); /* "0" behind a huge run of spaces is refused, not back */
    big[n - 1] = '0';
    {
        const char *in[] = {"1", big};
        cr_assert_eq(run_inputs(MENU_SCREEN_MAX, in, 2, &r), -1);
        cr_assert_str_eq(r.node, "lapor_kategori");
    }
    free(big);
}

Test(menu, too_many_inputs_end_the_session)
{
    struct menu_result r;
    char text[256] = "";
    for (int i = 0; i < 40; i++)
        strcat(text, i ? "*1" : "1");
    cr_assert_eq(run(text, &r), -1);
    cr_assert_eq(r.kind, MENU_END);
    cr_assert_str_empty(r.action);
    cr_assert_str_eq(r.screen, "Terlalu banyak langkah. Silakan mulai lagi dari awal.");
    /* exactly MENU_INPUTS_MAX is still a session */
    text[0] = '\0';
    for (int i = 0; i < MENU_INPUTS_MAX / 2; i++)
        strcat(text, i ? "*1*0" : "1*0");
    cr_assert_eq(run(text, &r), 0);
    cr_assert_eq(r.kind, MENU_CON);
    cr_assert_str_eq(r.node, "home");
    strcat(text, "*1");
    cr_assert_eq(run(text, &r), -1);
    cr_assert_eq(r.kind, MENU_END);
}

Test(menu, nothing_after_an_end)
{
    struct menu_result r;
    cr_assert_eq(run("2*1234567*1", &r), -1);
    cr_assert_eq(r.kind, MENU_END);
    cr_assert_str_empty(r.action, "a stale session must not repeat the action");
    cr_assert_str_eq(r.screen, "Sesi sudah selesai. Silakan mulai lagi.");
    cr_assert_eq(run("4*2*1", &r), -1);
    cr_assert_str_empty(r.action);
    cr_assert_eq(run("4*1*00", &r), -1);
    cr_assert_str_empty(r.action);
}

Test(menu, bad_arguments)
{
    struct menu_result r;
    const char *in[] = {NULL, "1"};
    cr_assert_eq(menu_run(NULL, in, 0, &r), -1);
    check_result(&r, MENU_SCREEN_MAX);
    cr_assert_eq(r.kind, MENU_END);
    cr_assert_eq(menu_run(menu, in, 0, NULL), -1);
    cr_assert_eq(menu_run(menu, NULL, 3, &r), -1);
    cr_assert_eq(r.kind, MENU_END);
    cr_assert_eq(menu_run(menu, in, -1, &r), -1);
    cr_assert_eq(r.kind, MENU_END);
    cr_assert_eq(menu_run(menu, NULL, 0, &r), 0);
    cr_assert_str_eq(r.node, "home");
    /* a NULL input is an empty one */
    cr_assert_eq(run_inputs(MENU_SCREEN_MAX, in, 2, &r), 0);
    cr_assert_str_eq(r.node, "lapor_kategori");
    cr_assert_eq(run_inputs(MENU_SCREEN_MAX, in, 1, &r), -1);
    cr_assert_str_eq(r.node, "home");
    /* widths are clamped */
    cr_assert_eq(menu_run_width(menu, 10, in + 1, 1, &r), 0);
    check_result(&r, MENU_SCREEN_MIN);
    cr_assert_eq(menu_run_width(menu, 100000, in + 1, 1, &r), 0);
    check_result(&r, MENU_SCREEN_MAX);
    cr_assert_null(menu_node_id(menu, -1));
    cr_assert_null(menu_node_id(menu, menu_node_count(menu)));
    cr_assert_eq(menu_node_count(NULL), 0);
    menu_free(NULL);
}

/* Random sessions: every result well-formed and replayed identically. */
Test(menu, random_sessions)
{
    static const char *const pool[] = {"1",
                                       "2",
                                       "3",
                                       "4",
                                       "5",
                                       "6",
                                       "7",
                                       "9",
                                       "12",
                                       "14",
                                       "21",
                                       "0",
                                       "00",
                                       "98",
                                       "99",
                                       "",
                                       "abc",
                                       "1234567",
                                       "Jalan rusak sekali"};
    unsigned seed = 12345;
    struct menu_result r;

    for (int s = 0; s < 3000; s++) {
        const char *in[MENU_INPUTS_MAX + 4];
        int n;
        seed = seed * 1103515245u + 12345u;
        n = (int)((seed >> 16) % (MENU_INPUTS_MAX + 4));
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = pool[(seed >> 16) % (sizeof pool / sizeof pool[0])];
        }
        run_inputs((s & 1) ? MENU_SCREEN_MAX : MENU_SCREEN_MIN, in, n, &r);
        if (n > MENU_INPUTS_MAX)
            cr_assert_eq(r.kind, MENU_END);
    }
}

/* menu_run_cached answers as menu_run does, for paths it keeps (short choices) and for those
 * it does not (typed text, NULL, too many inputs), on a first call and on a repeat; far more
 * different paths than it has slots, so slots are shared and replaced. */
Test(menu, cached_screens_are_the_replayed_ones)
{
    static const char *const pool[] = {"1",  "2",   "3",  "4",  "5",       "6",
                                       "12", "14",  "0",  "00", "98",      "99",
                                       "",   "abc", NULL, "1 ", "1234567", "Jalan rusak sekali"};
    unsigned seed = 777;

    for (int s = 0; s < 6000; s++) {
        const char *in[MENU_INPUTS_MAX + 2];
        struct menu_result want, got;
        int n, ret;
        seed = seed * 1103515245u + 12345u;
        n = (int)((seed >> 16) % 9);
        if (s % 500 == 0)
            n = MENU_INPUTS_MAX + 1;
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = pool[(seed >> 16) % (sizeof pool / sizeof pool[0])];
        }
        ret = menu_run(menu, in, n, &want);
        for (int again = 0; again < 2; again++) {
            cr_assert_eq(menu_run_cached(menu, in, n, &got), ret, "session %d", s);
            cr_assert_eq(got.kind, want.kind, "session %d", s);
            cr_assert_str_eq(got.screen, want.screen, "session %d", s);
            cr_assert_str_eq(got.node, want.node, "session %d", s);
            cr_assert_str_eq(got.action, want.action, "session %d", s);
            cr_assert_eq(got.nvalues, want.nvalues, "session %d", s);
            for (int v = 0; v < want.nvalues; v++) {
                cr_assert_str_eq(got.values[v].key, want.values[v].key);
                cr_assert_str_eq(got.values[v].value, want.values[v].value);
            }
        }
    }
    /* NULL menu and bad arguments as menu_run */
    struct menu_result r;
    cr_assert_eq(menu_run_cached(NULL, NULL, 0, &r), -1);
    cr_assert_eq(r.kind, MENU_END);
    cr_assert_eq(menu_run_cached(menu, NULL, 2, &r), -1);
    cr_assert_eq(menu_run_cached(menu, NULL, 0, NULL), -1);
}

/* ---- menu_split ---------------------------------------------------------------------- */

Test(menu, split)
{
    char t1[] = "", t2[] = "1", t3[] = "1*2*teks panjang", t4[] = "1**2", t5[] = "*";
    const char *in[MENU_INPUTS_MAX];
    char big[256] = "";

    cr_assert_eq(menu_split(t1, in, MENU_INPUTS_MAX), 0);
    cr_assert_eq(menu_split(NULL, in, MENU_INPUTS_MAX), 0);
    cr_assert_eq(menu_split(t2, in, MENU_INPUTS_MAX), 1);
    cr_assert_str_eq(in[0], "1");
    cr_assert_eq(menu_split(t3, in, MENU_INPUTS_MAX), 3);
    cr_assert_str_eq(in[0], "1");
    cr_assert_str_eq(in[1], "2");
    cr_assert_str_eq(in[2], "teks panjang");
    cr_assert_eq(menu_split(t4, in, MENU_INPUTS_MAX), 3);
    cr_assert_str_eq(in[1], "");
    cr_assert_str_eq(in[2], "2");
    cr_assert_eq(menu_split(t5, in, MENU_INPUTS_MAX), 2);
    cr_assert_str_eq(in[0], "");
    cr_assert_str_eq(in[1], "");
    for (int i = 0; i < 40; i++)
        strcat(big, i ? "*7" : "7");
    cr_assert_eq(menu_split(big, in, MENU_INPUTS_MAX), 40, "the count, beyond max");
    cr_assert_str_eq(in[MENU_INPUTS_MAX - 1], "7");
    cr_assert_str_eq(in[MENU_INPUTS_MAX - 1] + 2, "7*7*7*7*7*7*7*7",
                     "the text past the stored inputs is left alone");
    cr_assert_eq(menu_split(t2, NULL, 0), 1, "counting only");
}

/* ---- broken files -------------------------------------------------------------------- */

static char tmpdir[64];

static void tmp_setup(void)
{
    setup();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kt-menu-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/menu.json", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    teardown();
}

/* Loads content as a menu file: the menu (freed) or NULL, with the problems in err. */
static bool load_text(const char *content, char *err, size_t errlen)
{
    char path[128];
    FILE *f;
    struct menu *m;

    snprintf(path, sizeof path, "%s/menu.json", tmpdir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(content, f);
    fclose(f);
    m = menu_load(path, regions, categories, err, errlen);
    menu_free(m);
    return m != NULL;
}

static int count_lines(const char *s)
{
    int n = *s ? 1 : 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* content fails to load, with a line holding each of the needles. */
static void expect_problems(const char *content, int lines, const char *const *needles)
{
    char err[4096];
    cr_assert_not(load_text(content, err, sizeof err), "loaded:\n%s", content);
    for (int i = 0; needles[i]; i++)
        cr_assert_not_null(strstr(err, needles[i]), "no '%s' in:\n%s", needles[i], err);
    if (lines > 0)
        cr_assert_eq(count_lines(err), lines, "want %d lines:\n%s", lines, err);
    /* every line names the file */
    {
        char copy[4096], *save = NULL;
        snprintf(copy, sizeof copy, "%s", err);
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            cr_assert(strncmp(l, tmpdir, strlen(tmpdir)) == 0, "line without the file: %s", l);
    }
}

#define PROBLEMS(content, lines, ...)                                                              \
    do {                                                                                           \
        const char *const needles_[] = {__VA_ARGS__, NULL};                                        \
        expect_problems(content, lines, needles_);                                                 \
    } while (0)

#define CEK_NODE                                                                                   \
    "\"cek\": {\"type\": \"input\", \"prompt\": \"Nomor tiket:\", \"digits\": true, \"min\": 6, "  \
    "\"max\": 10, \"store\": \"ticket\", \"action\": \"cek\"}"

TestSuite(menu_file, .init = tmp_setup, .fini = tmp_teardown);

Test(menu_file, a_small_menu_loads_and_runs)
{
    char err[1024];
    cr_assert(load_text("{\"comment\": \"x\", \"start\": \"home\", \"nodes\": {\n"
                        "\"home\": {\"type\": \"menu\", \"title\": \"Awal\", \"comment\": \"y\",\n"
                        "  \"options\": [{\"label\": \"Cek\", \"goto\": \"cek\", \"comment\": "
                        "\"z\"},\n"
                        "               {\"label\": \"Lagi\", \"goto\": \"home\"}]},\n" CEK_NODE
                        "}}",
                        err, sizeof err),
              "%s", err);
    cr_assert_str_empty(err);
}

Test(menu_file, dangling_goto)
{
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"menu\", \"title\": \"Awal\",\n"
             "  \"options\": [{\"label\": \"Cek\", \"goto\": \"cekk\"}]},\n" CEK_NODE "}}",
             2, "/menu.json: node 'home': goto 'cekk' does not exist",
             "node 'cek': not reachable from start 'home'");
}

Test(menu_file, unreachable_node)
{
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"menu\", \"title\": \"Awal\",\n"
             "  \"options\": [{\"label\": \"Cek\", \"goto\": \"cek\"}]},\n" CEK_NODE ",\n"
             "\"yatim\": {\"type\": \"page\", \"title\": \"Info\", \"text\": \"Teks.\"}}}",
             1, "node 'yatim': not reachable from start 'home'");
}

Test(menu_file, overlong_title)
{
    char content[2048], title[151];
    memset(title, 'T', 150);
    title[150] = '\0';
    snprintf(content, sizeof content,
             "{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"menu\", \"title\": \"%s\",\n"
             "  \"options\": [{\"label\": \"Cek\", \"goto\": \"cek\"}]},\n" CEK_NODE "}}",
             title);
    PROBLEMS(content, 1, "node 'home': title is 150 characters; at most");
    /* a list title too long for the longest category */
    memset(title, 'T', 100);
    title[100] = '\0';
    snprintf(content, sizeof content,
             "{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"list\", \"title\": \"%s\", \"source\": \"categories\",\n"
             "  \"store\": \"category\", \"goto\": \"teks\"},\n"
             "\"teks\": {\"type\": \"input\", \"prompt\": \"Tulis:\", \"store\": \"text\", "
             "\"action\": \"lapor\"}}}",
             title);
    PROBLEMS(content, 1, "node 'home': title is 100 characters; with the longest categories item");
    /* a prompt and a label */
    snprintf(content, sizeof content,
             "{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"menu\", \"title\": \"Awal\",\n"
             "  \"options\": [{\"label\": \"%s%.20s\", \"goto\": \"teks\"}]},\n"
             "\"teks\": {\"type\": \"input\", \"prompt\": \"%s%s\", \"store\": \"text\", "
             "\"action\": \"lapor\"}}}",
             title, title, title, title);
    PROBLEMS(content, 2, "node 'home': option 1: label is 120 characters; with this title at most",
             "node 'teks': prompt is 200 characters");
}

Test(menu_file, bad_json)
{
    PROBLEMS("{\"start\": \"home\",\n\"nodes\": {\n\"home\": {\"type\": \"menu\" \"title\": "
             "\"Awal\"}}}",
             1, "/menu.json: line 3 column");
    PROBLEMS("", 1, "/menu.json: line 1");
    PROBLEMS("[1, 2]", 1, "one JSON object");
    PROBLEMS("{\"start\": \"home\", \"start\": \"home\", \"nodes\": {}}", 1, "duplicate");
}

Test(menu_file, missing_file)
{
    char err[512];
    struct menu *m = menu_load("/nonexistent/menu.json", regions, categories, err, sizeof err);
    cr_assert_null(m);
    cr_assert_not_null(strstr(err, "/nonexistent/menu.json"), "%s", err);
    cr_assert_null(menu_load(NULL, regions, categories, err, sizeof err));
    cr_assert_null(menu_load("x", NULL, categories, err, sizeof err));
}

Test(menu_file, unknown_things)
{
    PROBLEMS("{\"start\": \"home\", \"version\": 2, \"nodes\": {\n"
             "\"home\": {\"type\": \"menuu\", \"title\": \"Awal\"}}}",
             2, "unknown key 'version' in the top object", "node 'home': unknown type 'menuu'");
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"menu\", \"titel\": \"Awal\",\n"
             "  \"options\": [{\"label\": \"Cek\", \"goto\": \"cek\", \"warna\": 1}]},\n" CEK_NODE
             "}}",
             3, "node 'home': unknown key 'titel' for a menu", "node 'home': 'title' is missing",
             "node 'home': unknown key 'warna' in option 1");
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"list\", \"title\": \"Dusun:\", \"source\": \"dusun\",\n"
             "  \"store\": \"dusun\", \"goto\": \"cek\"},\n" CEK_NODE "}}",
             -1, "node 'home': unknown list source 'dusun'");
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"input\", \"prompt\": \"Nomor:\", \"store\": \"ticket\",\n"
             "  \"action\": \"hapus\"}}}",
             -1, "node 'home': unknown action 'hapus' (known: lapor, cek, daftar, berhenti)");
    PROBLEMS("{\"start\": \"awal\", \"nodes\": {" CEK_NODE "}}", 1, "start 'awal' does not exist");
    PROBLEMS("{\"nodes\": {" CEK_NODE "}}", 1, "'start' must name the first node");
    PROBLEMS("{\"start\": \"Home!\", \"nodes\": {\"Home!\": {\"type\": \"page\", "
             "\"title\": \"a\", \"text\": \"b\"}}}",
             -1, "node 'Home!': id must be");
    PROBLEMS("{\"start\": \"a\", \"nodes\": {\"a\": {\"type\": \"page\", \"title\": \"a\", "
             "\"text\": \"b\"}, \"x\\ny\": {\"type\": \"page\", \"title\": \"a\", "
             "\"text\": \"b\"}}}",
             2, "node 'x?y': id must be", "node 'x?y': not reachable");
}

Test(menu_file, values_not_collected_on_every_path)
{
    /* option 2 reaches the desa list without a kecamatan */
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"menu\", \"title\": \"Awal\", \"options\": [\n"
             "  {\"label\": \"Pilih kec\", \"goto\": \"kec\"}, {\"label\": \"Langsung\", "
             "\"goto\": \"desa\"}]},\n"
             "\"kec\": {\"type\": \"list\", \"title\": \"Kec:\", \"source\": \"kecamatan\", "
             "\"store\": \"kecamatan\", \"goto\": \"desa\"},\n"
             "\"desa\": {\"type\": \"list\", \"title\": \"Desa:\", \"source\": \"desa\", \"of\": "
             "\"kecamatan\", \"store\": \"desa\", \"goto\": \"ok\"},\n"
             "\"ok\": {\"type\": \"confirm\", \"title\": \"Daftar?\", \"show\": [{\"label\": "
             "\"Kec\", \"key\": \"kecamatan\"}], \"action\": \"daftar\"}}}",
             2, "node 'desa': the kecamatan in 'kecamatan' is not chosen on every path here",
             "node 'ok': show key 'kecamatan' is not collected on every path here");
    /* lapor without a text */
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"confirm\", \"title\": \"Lapor?\", \"action\": \"lapor\"}}}",
             1, "node 'home': action 'lapor' needs 'text', not collected on every path");
    /* well-known keys keep their meaning */
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"input\", \"prompt\": \"Desa:\", \"store\": \"desa\", "
             "\"action\": \"daftar\"}}}",
             -1, "node 'home': key 'desa' must be stored by a list of source 'desa'");
    /* of names a key no kecamatan list stores */
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"input\", \"prompt\": \"Kec:\", \"store\": \"kec\", "
             "\"goto\": \"desa\"},\n"
             "\"desa\": {\"type\": \"list\", \"title\": \"Desa:\", \"source\": \"desa\", \"of\": "
             "\"kec\", \"store\": \"desa\", \"action\": \"daftar\"}}}",
             -1, "node 'desa': 'of' key 'kec' is not stored by a kecamatan list",
             "node 'desa': unknown key 'action' for a list");
}

Test(menu_file, limits)
{
    char content[8192];
    size_t len;
    /* 31 options */
    len = (size_t)snprintf(content, sizeof content,
                           "{\"start\": \"home\", \"nodes\": {\n"
                           "\"home\": {\"type\": \"menu\", \"title\": \"Awal\", \"options\": [");
    for (int i = 0; i < MENU_OPTIONS_MAX + 1; i++)
        len += (size_t)snprintf(content + len, sizeof content - len,
                                "%s{\"label\": \"Cek\", \"goto\": \"cek\"}", i ? ", " : "");
    snprintf(content + len, sizeof content - len, "]},\n" CEK_NODE "}}");
    PROBLEMS(content, -1, "node 'home': 'options' must be a list of 1..30 options");
    /* nine different keys */
    len = (size_t)snprintf(content, sizeof content, "{\"start\": \"k0\", \"nodes\": {\n");
    for (int i = 0; i < MENU_VALUES_MAX + 1; i++)
        len += (size_t)snprintf(content + len, sizeof content - len,
                                "\"k%d\": {\"type\": \"input\", \"prompt\": \"Isi:\", \"store\": "
                                "\"key%d\", \"goto\": \"k%d\"},\n",
                                i, i, i + 1);
    snprintf(content + len, sizeof content - len,
             "\"k%d\": {\"type\": \"input\", \"prompt\": \"Isi:\", \"store\": \"text\", "
             "\"action\": \"lapor\"}}}",
             MENU_VALUES_MAX + 1);
    PROBLEMS(content, -1, "more than 8 different keys in the menu");
    /* a page text needing more than 20 pages */
    len = (size_t)snprintf(content, sizeof content,
                           "{\"start\": \"home\", \"nodes\": {\n"
                           "\"home\": {\"type\": \"page\", \"title\": \"Info\", \"text\": \"");
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(content + len, sizeof content - len, "kata ke %03d ", i);
    snprintf(content + len, sizeof content - len, "\"}}}");
    PROBLEMS(content, 1, "node 'home': text needs more than 20 pages");
    /* min above max, digits without max, both goto and action */
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"input\", \"prompt\": \"Nomor:\", \"store\": \"ticket\", "
             "\"digits\": true, \"min\": 8, \"goto\": \"home\", \"action\": \"cek\"}}}",
             -1, "node 'home': 'max' is missing (required with digits)",
             "node 'home': has both 'goto' and 'action'");
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"input\", \"prompt\": \"Nomor:\", \"store\": \"ticket\", "
             "\"digits\": true, \"min\": 8, \"max\": 6, \"action\": \"cek\"}}}",
             1, "node 'home': 'min' 8 is above 'max' 6");
}

Test(menu_file, screens_must_be_gsm7)
{
    PROBLEMS("{\"start\": \"home\", \"nodes\": {\n"
             "\"home\": {\"type\": \"menu\", \"title\": \"Layanan \xe2\x80\x9c"
             "Batang\xe2\x80\x9d\",\n"
             "  \"options\": [{\"label\": \"Cek\\tstatus\", \"goto\": \"cek\"}]},\n" CEK_NODE "}}",
             2, "node 'home': 'title' has '\xe2\x80\x9c', outside GSM-7",
             "node 'home': 'label' has control character 0x09");
}

Test(menu_file, several_problems_one_line_each)
{
    char err[4096];
    cr_assert_not(load_text("{\"start\": \"home\", \"nodes\": {\n"
                            "\"home\": {\"type\": \"menu\", \"title\": \"Awal\", \"options\": [\n"
                            "  {\"label\": \"A\", \"goto\": \"x\"}, {\"label\": \"B\", "
                            "\"goto\": \"b\"}]},\n"
                            "\"b\": {\"type\": \"list\", \"title\": \"B\", \"source\": \"rt\", "
                            "\"store\": \"rt\", \"goto\": \"home\"},\n"
                            "\"c\": {\"type\": \"page\", \"title\": \"C\"}}}",
                            err, sizeof err));
    cr_assert_eq(count_lines(err), 4, "%s", err);
    cr_assert_not_null(strstr(err, "node 'home': goto 'x' does not exist"));
    cr_assert_not_null(strstr(err, "node 'b': unknown list source 'rt'"));
    cr_assert_not_null(strstr(err, "node 'c': 'text' is missing"));
    cr_assert_not_null(strstr(err, "node 'c': not reachable"));
    /* a small buffer gets what fits, terminated */
    {
        char small[40];
        memset(small, 'x', sizeof small);
        cr_assert_not(load_text("{\"start\": 1}", small, sizeof small));
        cr_assert_lt(strnlen(small, sizeof small), sizeof small);
    }
}
