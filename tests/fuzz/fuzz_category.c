/*
 * libFuzzer target for handlers/category, handlers/urgency and handlers/opd: any bytes go
 * through category_find, category_find_any, urgency_find and opd_find against the real
 * data/kategori.csv, data/darurat.csv and data/opd.csv (under $KT_ROOT, else ./data); every
 * promise of category.h, urgency.h and opd.h is checked with a trap. The
 * input is copied to a heap buffer of its exact size so AddressSanitizer sees any read past
 * the NUL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/category.h"
#include "handlers/opd.h"
#include "handlers/urgency.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static struct category_db *db;
static struct opd_db *odb;
static struct urgency_db *udb;
static int fallback;

static void load(void)
{
    char path[512], err[256];
    const char *root = getenv("KT_ROOT");
    if (!root || !*root)
        root = ".";
    snprintf(path, sizeof path, "%s/data/kategori.csv", root);
    db = category_load(path, err, sizeof err);
    snprintf(path, sizeof path, "%s/data/opd.csv", root);
    odb = db ? opd_load(path, err, sizeof err) : NULL;
    snprintf(path, sizeof path, "%s/data/darurat.csv", root);
    udb = odb ? urgency_load(path, err, sizeof err) : NULL;
    if (!db || !odb || !udb) {
        fprintf(stderr, "fuzz_category: %s\n", err);
        abort();
    }
    fallback = category_by_code(db, "LAIN");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct category_match m, again;

    if (!db)
        load();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);

    int rc = category_find(db, text, &m);
    CHECK(m.category >= 0 && m.category < category_count(db));
    CHECK(category_code(db, m.category) && category_opd(db, m.category));
    if (rc == 0) {
        CHECK(m.category != fallback && m.score > 0);
        CHECK(m.start < m.end && m.end <= len && m.end <= CATEGORY_TEXT_MAX);
    } else {
        CHECK(rc == -1 && m.category == fallback && m.score == 0 && m.start == 0 && m.end == 0);
    }
    CHECK(category_find(db, text, &again) == rc && memcmp(&m, &again, sizeof m) == 0);

    /* without the margin: finds whenever the margin finds, the same category or another
     * with at least its score */
    struct category_match any;
    int rc_any = category_find_any(db, text, &any);
    CHECK(any.category >= 0 && any.category < category_count(db));
    if (rc == 0)
        CHECK(rc_any == 0 && any.score >= m.score);
    if (rc_any == 0)
        CHECK(any.start < any.end && any.end <= len && any.score > 0);

    struct urgency_match u, u2;
    int urgent = urgency_find(udb, text, &u);
    CHECK(urgent == 0 || urgent == 1);
    if (urgent) {
        CHECK(urgency_code(udb, u.kind) && urgency_opd(udb, u.kind));
        CHECK(u.start < u.end && u.end <= len);
    } else {
        CHECK(u.kind == -1 && u.start == 0 && u.end == 0);
    }
    CHECK(urgency_find(udb, text, &u2) == urgent && u.kind == u2.kind && u.start == u2.start &&
          u.end == u2.end);

    int o = opd_find(odb, text);
    CHECK(o >= -1 && o < opd_count(odb));
    CHECK(opd_find(odb, text) == o);
    if (o >= 0) /* what it found, it finds by its code too */
        CHECK(opd_find(odb, opd_code(odb, o)) == o);
    free(text);
    return 0;
}
