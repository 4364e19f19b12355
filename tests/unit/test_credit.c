/* Unit: the SIM credit check's pure parts (modems/credit.c) — USSD codes that may be dialled,
 * amounts of rupiah as operators write them, balance patterns, the alert text — and how a
 * USSD answer in the wrong character set is read back (codec_ussd_text). */
#include "modems/codec.h"
#include "modems/credit.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static long long amount(const char *s)
{
    long long v = -12345;
    cr_assert_eq(credit_amount(s, strlen(s), &v), 0, "'%s' should read as an amount", s);
    return v;
}

static int refused(const char *s)
{
    long long v = -12345;
    int rc = credit_amount(s, strlen(s), &v);
    return rc == -1 && v == -12345;
}

Test(credit, amounts_as_indonesian_operators_write_them)
{
    cr_expect_eq(amount("Rp 8.500"), 8500);
    cr_expect_eq(amount("Rp10,000"), 10000);
    cr_expect_eq(amount("Rp 1.250.000"), 1250000);
    cr_expect_eq(amount("8.500"), 8500);
    cr_expect_eq(amount("8500"), 8500);
    cr_expect_eq(amount("0"), 0);
    cr_expect_eq(amount("8.500."), 8500, "the full stop ending the sentence");
    cr_expect_eq(amount("Rp 8.500,-"), 8500);
    cr_expect_eq(amount("Rp. 12.345"), 12345);
    cr_expect_eq(amount("rp 5.000"), 5000);
    cr_expect_eq(amount("  Rp 5.000  "), 5000);
    cr_expect_eq(amount("1.250.000,00"), 1250000, "decimal comma dropped");
    cr_expect_eq(amount("1,250,000.50"), 1250000, "decimal point dropped");
    cr_expect_eq(amount("8,5"), 8, "one decimal digit");
    cr_expect_eq(amount("1.000.000.000.000"), 1000000000000LL);
}

Test(credit, junk_and_ambiguous_numbers_are_refused)
{
    const char *bad[] = {"",
                         "Rp",
                         "abc",
                         "Rp abc",
                         ".500",
                         "8..500",
                         "8.50.0",
                         "12.5.000",
                         "1.2345",
                         "1.250,000",
                         "1.250.5",
                         "8.500abc",
                         "8.500 Rp",
                         "-500",
                         "1.000.000.000.001",
                         "99999999999999",
                         "Rp 1.234.567.890.123.456",
                         "8 500"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect(refused(bad[i]), "'%s' must be refused", bad[i]);
    long long v;
    cr_expect_eq(credit_amount("8.500xyz", 5, &v), 0, "only len bytes are read");
    cr_expect_eq(v, 8500);
}

Test(credit, codes)
{
    cr_expect(credit_code_valid("*888#"));
    cr_expect(credit_code_valid("*123*4*1#"));
    cr_expect(credit_code_valid("1#"));
    cr_expect(!credit_code_valid("#"), "too short");
    cr_expect(!credit_code_valid("*888"), "must end with #");
    cr_expect(!credit_code_valid("*888# "), "no spaces");
    cr_expect(!credit_code_valid("*88a#"));
    cr_expect(!credit_code_valid(""));
    char longest[CREDIT_CODE_MAX + 2];
    memset(longest, '1', CREDIT_CODE_MAX);
    longest[CREDIT_CODE_MAX - 1] = '#';
    longest[CREDIT_CODE_MAX] = '\0';
    cr_expect(credit_code_valid(longest));
    longest[CREDIT_CODE_MAX - 1] = '1';
    longest[CREDIT_CODE_MAX] = '#';
    longest[CREDIT_CODE_MAX + 1] = '\0';
    cr_expect(!credit_code_valid(longest), "41 characters");
}

Test(credit, code_lists)
{
    cr_expect(credit_code_listed("*888#,*123#", "*123#"));
    cr_expect(credit_code_listed(" *888# , *123# ", "*888#"), "spaces around entries");
    cr_expect(!credit_code_listed("*888#,*123#", "*12#"), "whole entries only");
    cr_expect(!credit_code_listed("*888#,*123#", "*123"));
    cr_expect(!credit_code_listed("*888#*123#", "*123#"), "commas separate");
    cr_expect(!credit_code_listed("", "*888#"));
    cr_expect(!credit_code_listed(",, ,", "*888#"));
    char bad[64];
    cr_expect_eq(credit_list_check("", bad, sizeof(bad)), 0);
    cr_expect_eq(credit_list_check("*888#, *123*4#,", bad, sizeof(bad)), 0);
    cr_expect_eq(credit_list_check("*888#, 123, *1#", bad, sizeof(bad)), -1);
    cr_expect_str_eq(bad, "123");
    cr_expect_eq(credit_list_check("*888# *123#", bad, sizeof(bad)), -1, "a space is no comma");
    cr_expect_str_eq(bad, "*888# *123#");
    char longest[2 * CREDIT_CODE_MAX];
    memset(longest, '1', CREDIT_CODE_MAX);
    longest[CREDIT_CODE_MAX] = '#';
    longest[CREDIT_CODE_MAX + 1] = '\0';
    cr_expect_eq(credit_list_check(longest, bad, sizeof(bad)), -1, "41 characters");
}

Test(credit, patterns_need_exactly_one_group)
{
    regex_t re;
    char err[256];
    cr_assert_eq(credit_pattern_compile(&re, CREDIT_PATTERN, err, sizeof(err)), 0, "%s", err);
    regfree(&re);
    cr_expect_eq(credit_pattern_compile(&re, "Pulsa Rp [0-9.]+", err, sizeof(err)), -1);
    cr_expect(strstr(err, "exactly one group") != NULL, "%s", err);
    cr_expect_eq(credit_pattern_compile(&re, "(Pulsa|Saldo) Rp ([0-9.]+)", err, sizeof(err)), -1);
    cr_expect(strstr(err, "has 2") != NULL, "%s", err);
    cr_expect_eq(credit_pattern_compile(&re, "Pulsa (Rp[0-9", err, sizeof(err)), -1);
    cr_expect(strstr(err, "not a valid") != NULL, "%s", err);
}

static int match(const char *pattern, const char *answer, long long *v, char *why, size_t len)
{
    regex_t re;
    char err[256];
    cr_assert_eq(credit_pattern_compile(&re, pattern, err, sizeof(err)), 0, "%s", err);
    int rc = credit_match(&re, answer, v, why, len);
    regfree(&re);
    return rc;
}

Test(credit, balance_answers_of_the_operators)
{
    long long v;
    char why[128];
    const char *tsel = "Sisa Pulsa Rp 8.500. Aktif s.d. 31-12-2026. Info paket *363#";
    cr_expect_eq(match(CREDIT_PATTERN, tsel, &v, why, sizeof(why)), 0, "%s", why);
    cr_expect_eq(v, 8500);
    cr_expect_eq(match("Pulsa[^0-9]*Rp ?([0-9.,]+)", tsel, &v, why, sizeof(why)), 0, "%s", why);
    cr_expect_eq(v, 8500);
    cr_expect_eq(match(CREDIT_PATTERN, "Pulsa Rp10.000 Aktif sd 20/01/2027", &v, why, sizeof(why)),
                 0);
    cr_expect_eq(v, 10000);
    cr_expect_eq(match(CREDIT_PATTERN, "Sisa pulsa Anda Rp5.000,- aktif s/d 01-02-2027", &v, why,
                       sizeof(why)),
                 0);
    cr_expect_eq(v, 5000);
    cr_expect_eq(match(CREDIT_PATTERN, "PULSA: RP 1.250.000", &v, why, sizeof(why)), 0);
    cr_expect_eq(v, 1250000);
    cr_expect_eq(match(CREDIT_PATTERN, "Maaf, layanan sedang sibuk", &v, why, sizeof(why)), -1);
    cr_expect(strstr(why, "does not match") != NULL, "%s", why);
    cr_expect_eq(match("Saldo ([0-9.,]*)", "Saldo ..", &v, why, sizeof(why)), -1);
    cr_expect(strstr(why, "not an amount") != NULL, "%s", why);
}

Test(credit, format_and_alert_text)
{
    char buf[64];
    credit_format(8500, buf, sizeof(buf));
    cr_expect_str_eq(buf, "8.500");
    credit_format(1250000, buf, sizeof(buf));
    cr_expect_str_eq(buf, "1.250.000");
    credit_format(999, buf, sizeof(buf));
    cr_expect_str_eq(buf, "999");
    credit_format(0, buf, sizeof(buf));
    cr_expect_str_eq(buf, "0");
    char text[CREDIT_ALERT_MAX + 1];
    credit_alert_text("telkomsel1", 8500, 10000, text, sizeof(text));
    cr_expect(strstr(text, "telkomsel1") && strstr(text, "Rp 8.500") && strstr(text, "Rp 10.000"),
              "%s", text);
    /* the longest modem name and amounts still fit one GSM-7 SMS */
    size_t n = credit_alert_text("abcdefghijabcdefghijabcdefghij_", CREDIT_RUPIAH_MAX,
                                 CREDIT_RUPIAH_MAX, text, sizeof(text));
    cr_expect_leq(n, CREDIT_ALERT_MAX);
    struct codec_plan plan;
    cr_assert_eq(codec_plan(text, &plan), 0);
    cr_expect_eq(plan.coding, CODEC_GSM7);
    cr_expect_eq(plan.parts, 1, "%s", text);
}

/* ---- USSD answers in the wrong character set ---- */

/* UTF-8 (ASCII here) -> UTF-16BE units; returns the unit count. */
static size_t units(const char *s, unsigned char *be)
{
    size_t n = 0;
    for (; *s; s++, n++) {
        be[2 * n] = 0;
        be[2 * n + 1] = (unsigned char)*s;
    }
    return n;
}

/* ASCII letters, digits and punctuation as GSM 7-bit septets, packed. Returns octets. */
static size_t pack7(const char *s, unsigned char *out)
{
    size_t n = strlen(s), bytes = (n * 7 + 7) / 8;
    memset(out, 0, bytes + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned char)s[i] == '@' ? 0 : (unsigned char)s[i];
        size_t bit = 7 * i, byte = bit / 8, sh = bit % 8;
        out[byte] |= (unsigned char)(v << sh);
        if (sh > 1)
            out[byte + 1] |= (unsigned char)(v >> (8 - sh));
    }
    return bytes;
}

static void hexify(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02X", in[i]);
}

#define ANSWER "Sisa Pulsa Rp 8.500. Aktif s.d. 31-12-2026."

Test(credit, ussd_text_as_libgammu_decoded_it)
{
    unsigned char be[2048];
    char out[1024];
    size_t n = units(ANSWER, be);
    cr_expect_eq(codec_ussd_text(be, n, out, sizeof(out)), CODEC_USSD_TEXT);
    cr_expect_str_eq(out, ANSWER);
    /* digits only is hex too, and stays as it is */
    n = units("12345678", be);
    cr_expect_eq(codec_ussd_text(be, n, out, sizeof(out)), CODEC_USSD_TEXT);
    cr_expect_str_eq(out, "12345678");
    n = units("Saldo: 20000000", be);
    cr_expect_eq(codec_ussd_text(be, n, out, sizeof(out)), CODEC_USSD_TEXT);
    /* non-Latin text of a real answer stays (emoji, a few accents) */
    static const unsigned char emoji[] = {0x00, 'O', 0x00, 'K', 0x00, ' ', 0xD8, 0x3D, 0xDE, 0x4F};
    cr_expect_eq(codec_ussd_text(emoji, 5, out, sizeof(out)), CODEC_USSD_TEXT);
    cr_expect_str_eq(out, "OK 🙏");
    /* controls are dropped */
    n = units("Sisa pulsa\x01 Rp 5.000\tOK", be);
    cr_expect_eq(codec_ussd_text(be, n, out, sizeof(out)), CODEC_USSD_TEXT);
    cr_expect_str_eq(out, "Sisa pulsa Rp 5.000\tOK");
}

Test(credit, ussd_text_left_in_ucs2_hex_is_decoded)
{
    unsigned char be[2048], raw[512];
    char hex[2048], out[1024];
    size_t n = units(ANSWER, raw);
    hexify(raw, 2 * n, hex);
    n = units(hex, be);
    cr_expect_eq(codec_ussd_text(be, n, out, sizeof(out)), CODEC_USSD_UCS2_HEX);
    cr_expect_str_eq(out, ANSWER);
}

Test(credit, ussd_text_in_packed_gsm7_is_decoded_both_ways)
{
    unsigned char be[2048], packed[512];
    char hex[2048], out[1024];
    size_t bytes = pack7(ANSWER, packed);
    /* as a hex string libgammu left alone */
    hexify(packed, bytes, hex);
    size_t n = units(hex, be);
    cr_expect_eq(codec_ussd_text(be, n, out, sizeof(out)), CODEC_USSD_GSM7_PACKED);
    cr_expect_str_eq(out, ANSWER);
    /* as the octets libgammu took for UCS-2 (what AT+CSCS="UCS2" and a modem that prints
     * packed septets give: CJK and Hangul characters) */
    cr_assert_eq(bytes % 2, 0, "43 septets pack into 38 octets");
    cr_expect_eq(codec_ussd_text(packed, bytes / 2, out, sizeof(out)), CODEC_USSD_GSM7_PACKED);
    cr_expect_str_eq(out, ANSWER);
    /* seven septets leave seven spare bits, which read as one more septet: padding (a CR
     * as 23.038 asks, or 0 from careless modems) is not part of the text */
    const char *pads[] = {"Pulsa 1\r", "Pulsa 1@", "Pulsa 1"};
    for (size_t i = 0; i < 3; i++) {
        unsigned char p2[16];
        size_t b2 = pack7(pads[i], p2);
        cr_assert_eq(b2, 7);
        hexify(p2, b2, hex);
        n = units(hex, be);
        cr_expect_eq(codec_ussd_text(be, n, out, sizeof(out)), CODEC_USSD_GSM7_PACKED);
        cr_expect_str_eq(out, "Pulsa 1", "pad %zu", i);
    }
}

Test(credit, unreadable_answers_are_reported_as_hex_never_garbage)
{
    static const unsigned char junk[] = {0xE0, 0x01, 0xE0, 0x02, 0xFF, 0xFD, 0xAC, 0x00};
    char out[64];
    cr_expect_eq(codec_ussd_text(junk, 4, out, sizeof(out)), CODEC_USSD_UNREADABLE);
    cr_expect_str_eq(out, "E001E002FFFDAC00");
    /* tiny buffers: always terminated, never overrun */
    char tiny[4] = "xyz";
    codec_ussd_text(junk, 4, tiny, 3);
    cr_expect_eq(strlen(tiny), 2);
    codec_ussd_text(junk, 0, tiny, 1);
    cr_expect_str_eq(tiny, "");
}
