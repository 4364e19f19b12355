/*
 * libFuzzer target for handlers/menu: loads the real etc/menu.json and the data files (under
 * $KT_ROOT, else .) once, then treats each input as a USSD text ("1*2*teks", any bytes)
 * through menu_split and menu_run at the USSD and the SMS width. Every promise of menu.h is
 * checked with a trap: a valid kind, a NUL-terminated GSM-7 screen within the width, an
 * action only with MENU_END and an empty screen, values terminated and valid UTF-8, too many
 * inputs ending the session, and the replay giving the same result twice. The text is
 * copied to a heap buffer of its exact size so AddressSanitizer sees any read past the NUL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/category.h"
#include "handlers/menu.h"
#include "handlers/region.h"
#include "modems/codec.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static struct region_db *regions;
static struct category_db *categories;
static struct menu *menu;

static void load(void)
{
    char path[512], err[4096];
    const char *root = getenv("KT_ROOT");

    if (!root || !*root)
        root = ".";
    snprintf(path, sizeof path, "%s/data/batang-wilayah.csv", root);
    regions = region_load(path, err, sizeof err);
    snprintf(path, sizeof path, "%s/data/kategori.csv", root);
    categories = regions ? category_load(path, err, sizeof err) : NULL;
    snprintf(path, sizeof path, "%s/etc/menu.json", root);
    menu = categories ? menu_load(path, regions, categories, err, sizeof err) : NULL;
    if (!menu) {
        fprintf(stderr, "fuzz_menu: %s\n", err);
        abort();
    }
}

static void check(const struct menu_result *r, int rc, int n, int width)
{
    struct codec_plan p;

    CHECK(rc == 0 || rc == -1);
    CHECK(r->kind == MENU_CON || r->kind == MENU_END);
    CHECK(memchr(r->screen, '\0', sizeof r->screen) != NULL);
    CHECK(memchr(r->node, '\0', sizeof r->node) != NULL);
    CHECK(memchr(r->action, '\0', sizeof r->action) != NULL);
    CHECK(codec_plan(r->screen, &p) == 0);
    CHECK(p.coding == CODEC_GSM7 && p.units <= width);
    CHECK(r->node[0] != '\0');
    if (r->action[0])
        CHECK(r->kind == MENU_END && r->screen[0] == '\0' && rc == 0);
    else
        CHECK(r->screen[0] != '\0');
    if (r->kind == MENU_CON)
        CHECK(r->action[0] == '\0');
    if (n > MENU_INPUTS_MAX)
        CHECK(r->kind == MENU_END && rc == -1 && r->action[0] == '\0');
    CHECK(r->nvalues >= 0 && r->nvalues <= MENU_VALUES_MAX);
    for (int i = 0; i < r->nvalues; i++) {
        CHECK(memchr(r->values[i].key, '\0', sizeof r->values[i].key) != NULL);
        CHECK(memchr(r->values[i].value, '\0', sizeof r->values[i].value) != NULL);
        CHECK(r->values[i].key[0] != '\0');
        CHECK(codec_plan(r->values[i].value, &p) == 0);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(r->values[i].key, r->values[j].key) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int widths[] = {MENU_SCREEN_MAX, MENU_SCREEN_MIN};
    const char *in[MENU_INPUTS_MAX];
    struct menu_result r, again;
    char *text;
    int n;

    if (!menu)
        load();
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    n = menu_split(text, in, MENU_INPUTS_MAX);
    CHECK(n >= 0);
    CHECK(n > 0 || text[0] == '\0');
    for (int i = 0; i < n && i < MENU_INPUTS_MAX; i++)
        CHECK(in[i] != NULL && strchr(in[i], '*') == NULL);
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        int rc = menu_run_width(menu, widths[w], in, n, &r);
        check(&r, rc, n, widths[w]);
        CHECK(menu_run_width(menu, widths[w], in, n, &again) == rc);
        CHECK(memcmp(&r, &again, sizeof r) == 0);
    }
    free(text);
    return 0;
}
