/*
 * libFuzzer target for handlers/lexicon: any bytes go through intent_of with the real
 * data/lexicon.csv and data/batang-wilayah.csv (under $KT_ROOT, else ./data), as they are
 * and behind a status question and a greeting; every promise of lexicon.h is checked with a
 * trap: args point into the result's own buffer and are a NUL-terminated string within it,
 * a ticket is only ever one with a right check digit, the row matches the intent, thanks,
 * silence and "none" carry no row, the same input gives the same answer, and an operator
 * sender always gets INTENT_SILENT. The input is copied to a heap buffer of its exact size
 * so AddressSanitizer sees any read past the NUL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/lexicon.h"
#include "handlers/region.h"
#include "handlers/ticket.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static struct lexicon *lx;
static struct region_db *rg;

static void load(void)
{
    char path[512], err[256];
    const char *root = getenv("KT_ROOT");
    snprintf(path, sizeof path, "%s/data/lexicon.csv", root && *root ? root : ".");
    lx = lexicon_load(path, err, sizeof err);
    snprintf(path, sizeof path, "%s/data/batang-wilayah.csv", root && *root ? root : ".");
    rg = region_load(path, err, sizeof err);
    if (!lx || !rg) {
        fprintf(stderr, "fuzz_intent: %s\n", err);
        abort();
    }
}

static int is_row(const struct keyword *kw, const char *name)
{
    return kw && strcmp(kw->name, name) == 0;
}

static void check(const char *text)
{
    static struct intent_result r, again;
    enum intent in = intent_of(lx, rg, "6281234567890", text, &r);

    CHECK(in == r.intent);
    CHECK(r.match.args >= r.match.buf && r.match.args < r.match.buf + KW_TEXT_MAX);
    CHECK(memchr(r.match.args, '\0', (size_t)(r.match.buf + KW_TEXT_MAX - r.match.args)));
    if (r.seq) {
        unsigned long long seq;
        CHECK(ticket_parse(r.ticket, &seq) == 0 && seq == r.seq);
    }
    switch (in) {
    case INTENT_NONE:
    case INTENT_THANKS:
    case INTENT_SILENT:
        CHECK(r.match.keyword == NULL);
        break;
    case INTENT_STATUS:
        CHECK(is_row(r.match.keyword, "CEK"));
        break;
    case INTENT_COMPLAINT:
    case INTENT_COMPLAINT_LIKELY:
        CHECK(is_row(r.match.keyword, "LAPOR"));
        CHECK(r.place_kind >= REGION_NONE && r.place_kind <= REGION_AMBIGUOUS);
        CHECK(r.place_kind != REGION_DESA || r.desa >= 0);
        break;
    case INTENT_OPTOUT:
        CHECK(is_row(r.match.keyword, "BERHENTI"));
        break;
    case INTENT_DISSATISFIED:
        CHECK(is_row(r.match.keyword, "TIDAK PUAS"));
        break;
    case INTENT_COMMAND:
        CHECK(r.match.keyword != NULL && r.match.keyword->handler != NULL);
        break;
    default:
        CHECK(0);
    }
    CHECK(intent_of(lx, rg, "6281234567890", text, &again) == in);
    CHECK(again.match.keyword == r.match.keyword && again.seq == r.seq);
    CHECK(strcmp(again.match.args, r.match.args) == 0);
    CHECK(intent_of(lx, rg, "TELKOMSEL", text, &again) == INTENT_SILENT);
    CHECK(again.match.keyword == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const prefixes[] = {"", "piye kabare 100014 ", "assalamualaikum "};

    if (!lx)
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
