/*
 * libFuzzer target for handlers/keyword and the reply builders of handlers/info: any bytes
 * go through kw_parse (the real table) and kw_parse_table (a richer table with multi-word,
 * bare-number and official rows); every promise of keyword.h is checked with a trap. The
 * input is copied to a heap buffer of its exact size so AddressSanitizer sees any read past
 * the NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/keyword.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void h_any(struct request *req, const struct kw_match *m)
{
    (void)req;
    (void)m;
}

static const char *const a_info[] = {"BANTUAN", "HELP", "TOLONG", "?", NULL};
static const char *const a_lapor[] = {"ADUAN", "ADU", NULL};
static const char *const a_cek[] = {"STATUS", "LACAK", NULL};
static const char *const a_tp[] = {"TDK PUAS", "ORA PUAS", "GAK PUAS BANGET SIH", NULL};

static const struct keyword table[] = {
    {"INFO", a_info, h_any, "INFO", 0},
    {"LAPOR", a_lapor, h_any, "LAPOR", 0},
    {"CEK", a_cek, h_any, "CEK", KW_BARE_NUMBER},
    {"PUAS", NULL, h_any, "PUAS", KW_HIDDEN},
    {"TIDAK PUAS", a_tp, h_any, "TIDAK PUAS", KW_HIDDEN},
    {"PANGGIL", NULL, h_any, "PANGGIL", 0},
    {"TERIMA", NULL, h_any, "TERIMA", KW_OFFICIAL},
    {"CADANGAN", NULL, NULL, "CADANGAN", 0},
    {NULL, NULL, NULL, NULL, 0},
};

static struct kw_match m, again;

/* Structural UTF-8 check (lead byte, continuation count); enough to catch a cut sequence. */
static int utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t len = s[i] < 0x80             ? 1
                     : (s[i] & 0xE0) == 0xC0 ? 2
                     : (s[i] & 0xF0) == 0xE0 ? 3
                     : (s[i] & 0xF8) == 0xF0 ? 4
                                             : 0;
        if (len == 0 || i + len > n)
            return 0;
        for (size_t j = 1; j < len; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

static void check(const struct keyword *t, const char *text)
{
    int rc = kw_parse_table(t, text, &m);
    size_t n = strnlen(m.buf, KW_TEXT_MAX);

    CHECK(n < KW_TEXT_MAX);
    CHECK(m.args >= m.buf && m.args <= m.buf + n);
    CHECK(m.distance == 0 || m.distance == 1);
    if (rc == 0) {
        CHECK(m.keyword != NULL && m.keyword->handler != NULL && m.suggestion == NULL);
    } else {
        CHECK(rc == -1 && m.keyword == NULL && m.distance == 0);
        CHECK(m.suggestion == NULL ||
              (m.suggestion->handler != NULL && !(m.suggestion->flags & KW_OFFICIAL)));
    }
    /* buf is a prefix of the input; valid UTF-8 stays valid (the cut and the
     * trim never split a sequence) */
    CHECK(memcmp(m.buf, text, n) == 0);
    if (utf8_valid(text, strlen(text)))
        CHECK(utf8_valid(m.buf, n));

    /* deterministic */
    int rc2 = kw_parse_table(t, text, &again);
    CHECK(rc2 == rc && again.keyword == m.keyword && again.suggestion == m.suggestion &&
          again.distance == m.distance && again.args - again.buf == m.args - m.buf);
    CHECK(strcmp(again.args, m.args) == 0);

    char reply[400];
    int len = info_unknown_text(&m, reply, sizeof reply);
    CHECK(len > 0 && (size_t)len == strlen(reply) && len <= INFO_SMS_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    check(kw_table, text);
    check(table, text);
    free(text);
    return 0;
}
