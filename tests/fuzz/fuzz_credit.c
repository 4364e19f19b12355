/*
 * libFuzzer target for modems/credit and codec_ussd_text: any bytes as an operator's balance
 * answer (the amount parser, the default balance pattern, the USSD code rule) and, read as
 * UTF-16BE units, as a USSD answer libgammu handed over. Checks that an amount read is in
 * range and survives formatting and reading back, that whatever codec_ussd_text writes is
 * valid UTF-8 within its buffer, and that nothing is read or written out of bounds (inputs
 * are heap copies of exact size, outputs sit between canaries).
 */
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modems/codec.h"
#include "modems/credit.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static regex_t pattern;
static int compiled;

static void check_amount(const char *s, size_t n)
{
    long long v = -1;
    if (credit_amount(s, n, &v) != 0)
        return;
    CHECK(v >= 0 && v <= CREDIT_RUPIAH_MAX);
    char text[64], rp[80];
    size_t k = credit_format(v, text, sizeof text);
    CHECK(k == strlen(text));
    long long again = -1;
    CHECK(credit_amount(text, k, &again) == 0 && again == v);
    memcpy(rp, "Rp ", 3);
    memcpy(rp + 3, text, k + 1);
    CHECK(credit_amount(rp, k + 3, &again) == 0 && again == v);
}

static void check_ussd(const unsigned char *be, size_t units, size_t outlen)
{
    char buf[4 * CODEC_USSD_UNITS + 32];
    char *out = buf + 8;
    memset(buf, 0x5a, sizeof buf);
    enum codec_ussd how = codec_ussd_text(be, units, out, outlen);
    for (size_t i = 0; i < 8; i++)
        CHECK(buf[i] == 0x5a);
    for (size_t i = 8 + outlen; i < sizeof buf; i++)
        CHECK((unsigned char)buf[i] == 0x5a);
    CHECK(how >= CODEC_USSD_TEXT && how <= CODEC_USSD_UNREADABLE);
    if (outlen == 0)
        return;
    CHECK(memchr(out, '\0', outlen) != NULL);
    struct codec_plan p;
    CHECK(codec_plan(out, &p) == 0); /* valid UTF-8 */
    for (const char *c = out; *c; c++)
        CHECK((unsigned char)*c >= 0x20 || *c == '\n' || *c == '\r' || *c == '\t');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    if (!compiled) {
        char err[256];
        CHECK(credit_pattern_compile(&pattern, CREDIT_PATTERN, err, sizeof err) == 0);
        compiled = 1;
    }
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_amount(s, size);
    size_t len = strlen(s);
    if (credit_code_valid(s))
        CHECK(len >= CREDIT_CODE_MIN && len <= CREDIT_CODE_MAX && s[len - 1] == '#');
    long long v = -1;
    char why[128];
    if (credit_match(&pattern, s, &v, why, sizeof why) == 0)
        CHECK(v >= 0 && v <= CREDIT_RUPIAH_MAX);
    else
        CHECK(memchr(why, '\0', sizeof why) != NULL);
    free(s);

    size_t units = size / 2 > CODEC_USSD_UNITS ? CODEC_USSD_UNITS : size / 2;
    unsigned char *be = malloc(2 * units + 1);
    if (be == NULL)
        return 0;
    memcpy(be, data, 2 * units);
    static const size_t lens[] = {0, 1, 2, 3, 5, 16, 4 * CODEC_USSD_UNITS + 16};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        check_ussd(be, units, lens[i]);
    free(be);
    return 0;
}
