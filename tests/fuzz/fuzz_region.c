/*
 * libFuzzer target for handlers/region: any bytes go through region_find against the real
 * data/batang-wilayah.csv (under $KT_ROOT, else ./data), as they are and behind "desa " and
 * "kec " to reach the prefix paths; every promise of region.h is checked with a trap. The
 * input is copied to a heap buffer of its exact size so AddressSanitizer sees any read past
 * the NUL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/region.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static struct region_db *db;

static void load(void)
{
    char path[512], err[256];
    const char *root = getenv("KT_ROOT");
    snprintf(path, sizeof path, "%s/data/batang-wilayah.csv", root && *root ? root : ".");
    db = region_load(path, err, sizeof err);
    if (!db) {
        fprintf(stderr, "fuzz_region: %s\n", err);
        abort();
    }
}

static int in_kecamatan(int kec, enum region_kind kind, int index)
{
    return kind == REGION_KECAMATAN ? index == kec : region_desa_kecamatan(db, index) == kec;
}

static void check(const char *text)
{
    struct region_match m, again;
    size_t len = strlen(text);
    int rc = region_find(db, text, &m);
    int nd = region_desa_count(db), nk = region_kecamatan_count(db);

    CHECK((rc == 0) == (m.kind != REGION_NONE));
    switch (m.kind) {
    case REGION_NONE:
        CHECK(rc == -1 && m.desa == -1 && m.kecamatan == -1 && m.ncandidates == 0);
        CHECK(m.start == 0 && m.end == 0);
        break;
    case REGION_DESA:
        CHECK(m.desa >= 0 && m.desa < nd && m.kecamatan == region_desa_kecamatan(db, m.desa));
        CHECK(m.ncandidates == 0);
        break;
    case REGION_KECAMATAN:
        CHECK(m.kecamatan >= 0 && m.kecamatan < nk && m.desa == -1 && m.ncandidates == 0);
        break;
    case REGION_AMBIGUOUS:
        CHECK(m.desa == -1 && m.ncandidates >= 2 && m.ncandidates <= REGION_CANDIDATES_MAX);
        CHECK(m.kecamatan >= -1 && m.kecamatan < nk);
        for (int i = 0; i < m.ncandidates; i++) {
            CHECK(m.candidate_kind[i] == REGION_DESA || m.candidate_kind[i] == REGION_KECAMATAN);
            CHECK(m.candidates[i] >= 0 &&
                  m.candidates[i] < (m.candidate_kind[i] == REGION_DESA ? nd : nk));
            if (m.kecamatan >= 0)
                CHECK(in_kecamatan(m.kecamatan, m.candidate_kind[i], m.candidates[i]));
            for (int j = 0; j < i; j++)
                CHECK(m.candidate_kind[j] != m.candidate_kind[i] ||
                      m.candidates[j] != m.candidates[i]);
        }
        break;
    default:
        CHECK(0);
    }
    if (m.kind != REGION_NONE)
        CHECK(m.start < m.end && m.end <= len && m.end <= REGION_TEXT_MAX);

    /* deterministic */
    CHECK(region_find(db, text, &again) == rc && memcmp(&m, &again, sizeof m) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const prefixes[] = {"", "desa ", "kec "};

    if (!db)
        load();
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        size_t pl = strlen(prefixes[p]);
        char *text = malloc(pl + size + 1);
        if (!text)
            return 0;
        memcpy(text, prefixes[p], pl);
        memcpy(text + pl, data, size);
        text[pl + size] = '\0';
        check(text);
        free(text);
    }
    return 0;
}
