/*
 * Unit tests for handlers/privacy: NIK and KK numbers written the ways residents write them
 * (whole, in groups with any separator between them: spaces, several spaces, dots, dashes,
 * slashes, commas, underscores, new lines; in full-width or other Unicode digits; glued to
 * words, several in one message, with a digit missing or doubled), what must stay untouched
 * (phone numbers however written, tickets, dates, amounts, a 15-digit chain holding a phone
 * number), UTF-8 around them, and the output buffer contract.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "handlers/privacy.h"

#define NIK "3325010101010001"

static char out[512];

static void masks(const char *in, const char *want)
{
    memset(out, 'X', sizeof out);
    size_t n = privacy_mask(in, out, sizeof out);
    cr_assert_str_eq(out, want, "\"%s\" -> \"%s\", want \"%s\"", in, out, want);
    cr_assert_eq(n, strlen(want), "\"%s\": returned %zu, want %zu", in, n, strlen(want));
    cr_assert_leq(n, strlen(in), "output longer than input");
    cr_assert_eq(privacy_has_nik(in), strcmp(in, want) != 0, "privacy_has_nik(\"%s\")", in);
    if (strcmp(in, want) != 0)
        cr_assert_eq(privacy_may_mask(in), 1, "privacy_may_mask(\"%s\")", in);
}

static void untouched(const char *in)
{
    masks(in, in);
}

/* The longest run of ASCII digits in s. */
static size_t longest_digits(const char *s)
{
    size_t best = 0, run = 0;
    for (; *s; s++) {
        run = (*s >= '0' && *s <= '9') ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best;
}

Test(privacy, nik_formats)
{
    masks(NIK, "************0001");
    masks("3325 0101 0101 0001", "************0001");
    masks("3325.0101.0101.0001", "************0001");
    masks("3325-0101-0101-0001", "************0001");
    masks("33.25.01.010101.0001", "************0001");
    masks("332501 010101 0001", "************0001");
    masks("33250101 01010001", "************0001");
    masks("3325 - 0101 - 0101 - 0001", "************0001");
    masks("3325\t0101\t0101\t0001", "************0001");
    masks("3 3 2 5 0 1 0 1 0 1 0 1 0 0 0 1", "************0001");
    /* a region code of another regency, a KK number: any 16 digits */
    masks("6271010101010009", "************0009");
    masks("KK 3325012345678901", "KK ************8901");
}

Test(privacy, nik_in_sentences)
{
    masks("NIK:" NIK, "NIK:************0001");
    masks("NIK" NIK "ok", "NIK************0001ok");
    masks("nik saya " NIK ", ktp belum jadi", "nik saya ************0001, ktp belum jadi");
    masks("(" NIK ")", "(************0001)");
    masks("NIK: 3325 0101 0101 0001. Terima kasih", "NIK: ************0001. Terima kasih");
    masks("No KK 3325.0101.0101.0002 a.n. Budi", "No KK ************0002 a.n. Budi");
    masks(NIK "\n", "************0001\n");
}

Test(privacy, several_numbers)
{
    masks("NIK " NIK " KK 3325010101010777", "NIK ************0001 KK ************0777");
    /* two numbers one separator apart are one chain: masked as one, its last 4 kept */
    masks(NIK " 3325010101010002", "****************************0002");
    masks(NIK "," NIK, "****************************0001");
    masks(NIK " / 3325010101010002", "****************************0002");
    masks("suami 3325 0101 0101 0001, istri 3325 4101 0101 0002",
          "suami ************0001, istri ************0002");
    /* a NIK right after a year, one space apart: both 16-digit readings are
     * masked, so only the last 4 digits of the span remain */
    masks("2024 3325 0101 0101 0001", "****************0001");
    /* groups that cannot be told apart: all hidden but the last 4 */
    masks("3325 0101 0101 0001 3325 0101 0101 0002", "****************************0002");
}

Test(privacy, typos_15_and_17_digits)
{
    masks("332501010101001", "***********1001");
    masks("33250101010100011", "*************0011");
    masks("3325 0101 0101 001", "***********1001");
    masks("3325 0101 0101 00011", "*************0011");
    /* longer runs are masked too: no 15+ digits survive */
    masks("123456789012345678901234", "********************1234");
    /* 14 digits are not a NIK */
    untouched("33250101010100");
    untouched("3325 0101 0101 00");
}

Test(privacy, phone_numbers_untouched)
{
    untouched("081234567890");
    untouched("0812-3456-7890");
    untouched("0812 3456 7890");
    untouched("0812.3456.7890");
    untouched("+62 812-3456-7890");
    untouched("+6281234567890");
    untouched("6281234567890");
    untouched("62812345678901"); /* 14 digits, longest mobile form */
    untouched("(0812) 345.678.90");
    untouched("hubungi 081234567890 atau 0285-391234");
    untouched("HP 081234567890 NIK belum ada");
    /* a phone number next to a short number: 15 digits, kept as a phone */
    untouched("RT 003 081234567890");
    untouched("RT 03 6281234567890");
    /* phone and NIK in one message */
    masks("HP 081234567890 NIK " NIK, "HP 081234567890 NIK ************0001");
    /* a phone number one space before a NIK is one chain with it (privacy.h) */
    masks("081234567890 " NIK, "************************0001");
    /* exactly 16 digits are always masked, even when a group looks like a
     * phone number: a NIK split 4 + 12 whose kecamatan code is 08 */
    masks("NIK 3325 081201950001", "NIK ************0001");
    masks("no 1234 081234567890", "no ************7890");
}

Test(privacy, tickets_dates_amounts_untouched)
{
    untouched("CEK 100014");
    untouched("100014");
    untouched("tiket 1000002 dan 100023");
    untouched("9999999990");
    untouched("12/05/2026");
    untouched("12-05-2026 10.30");
    untouched("Rp 1.500.000.000");
    untouched("RT 003 RW 005 Desa Kandeman");
    untouched("jam 10.30 - 12.00");
    /* digits apart by a word never join */
    untouched("3325 0101 dan 0101 0001");
    untouched("3325/0101 no 0101/0001");
    /* nor do groups more than PRIVACY_JOIN_MAX (4) separators apart */
    untouched("3325     0101     0101     0001"); /* 5 spaces */
    untouched("3325/0101 --- / 0101/0001");       /* 5 between the second and third group */
    untouched("");
}

Test(privacy, utf8_around)
{
    masks("NIK\xC2\xA0" NIK "\xE2\x80\xA6", "NIK\xC2\xA0************0001\xE2\x80\xA6");
    masks("\xF0\x9F\x99\x8F" NIK "\xF0\x9F\x99\x8F",
          "\xF0\x9F\x99\x8F************0001\xF0\x9F\x99\x8F");
    masks("caf\xC3\xA9 " NIK, "caf\xC3\xA9 ************0001");
    /* invalid UTF-8 is copied as it is */
    masks("\xFF\xC3 " NIK " \x80", "\xFF\xC3 ************0001 \x80");
    /* a few full-width digits are a short number like any other: left alone */
    untouched("\xEF\xBC\x93\xEF\xBC\x93\xEF\xBC\x92\xEF\xBC\x95");
}

Test(privacy, never_leaves_a_nik)
{
    /* a NIK at every offset inside digits, letters and separators */
    static const char *const around[] = {"", "a", "1", "12 ", "1234 ", " ", "-", "x9", "0812"};
    char in[128];
    for (size_t b = 0; b < sizeof around / sizeof around[0]; b++) {
        for (size_t a = 0; a < sizeof around / sizeof around[0]; a++) {
            snprintf(in, sizeof in, "%s" NIK "%s", around[b], around[a]);
            privacy_mask(in, out, sizeof out);
            cr_assert_lt(longest_digits(out), 15, "\"%s\" -> \"%s\"", in, out);
            cr_assert_null(strstr(out, "33250101"), "\"%s\" -> \"%s\"", in, out);
            cr_assert(privacy_has_nik(in));
        }
    }
}

Test(privacy, small_buffer)
{
    char small[8];
    const char *in = "NIK " NIK;

    memset(small, 'X', sizeof small);
    cr_assert_eq(privacy_mask(in, small, sizeof small), 7);
    cr_assert_str_eq(small, "NIK ***");

    cr_assert_eq(privacy_mask(in, small, 1), 0);
    cr_assert_str_eq(small, "");
    cr_assert_eq(privacy_mask(in, small, 0), 0);
    cr_assert_eq(privacy_mask(in, NULL, 10), 0);

    /* the output is always a prefix of the full output */
    char full[64], part[64];
    size_t n = privacy_mask(in, full, sizeof full);
    cr_assert_eq(n, 20);
    for (size_t len = 1; len <= n + 1; len++) {
        memset(part, 'X', sizeof part);
        size_t m = privacy_mask(in, part, len);
        cr_assert_eq(m, len - 1);
        cr_assert_eq(part[m], '\0');
        cr_assert_eq(memcmp(part, full, m), 0);
        cr_assert_lt(longest_digits(part), 15);
    }

    /* a cut never splits a UTF-8 character */
    const char *u = "ab\xE2\x80\xA6" NIK;
    cr_assert_eq(privacy_mask(u, small, 5), 2);
    cr_assert_str_eq(small, "ab");
    cr_assert_eq(privacy_mask(u, small, 6), 5);
    cr_assert_str_eq(small, "ab\xE2\x80\xA6");

    /* exactly enough */
    char exact[21];
    cr_assert_eq(privacy_mask(in, exact, sizeof exact), 20);
    cr_assert_str_eq(exact, "NIK ************0001");
}

Test(privacy, null_and_long_text)
{
    cr_assert_eq(privacy_mask(NULL, out, sizeof out), 0);
    cr_assert_str_eq(out, "");
    cr_assert_eq(privacy_has_nik(NULL), 0);
    cr_assert_eq(privacy_has_nik("tidak ada"), 0);

    /* 100 KB of digits and spaces: linear, masked, within the buffer */
    static char big[100001], res[100001];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (i % 5 == 4) ? ' ' : (char)('0' + i % 7);
    big[sizeof big - 1] = '\0';
    size_t n = privacy_mask(big, res, sizeof res);
    cr_assert_leq(n, strlen(big));
    cr_assert_eq(strlen(res), n);
    cr_assert_lt(longest_digits(res), 15);
    cr_assert(privacy_has_nik(big));
}

/* Full-width digits U+FF10..U+FF19, three bytes each. */
#define FW(d) "\xEF\xBC" #d
#define FW_NIK                                                                                     \
    "\xEF\xBC\x93\xEF\xBC\x93\xEF\xBC\x92\xEF\xBC\x95\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC" \
    "\x91\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x90\xEF" \
    "\xBC\x92"

Test(privacy, every_separator)
{
    /* the ways a NIK reached officials whole before */
    masks("3325/0101/0101/0002", "************0002");
    masks("3325,0101,0101,0002", "************0002");
    masks("3325_0101_0101_0002", "************0002");
    masks("3325\n0101\n0101\n0002", "************0002");
    masks("3325\r\n0101\r\n0101\r\n0002", "************0002");
    masks("3325 0101  0101 0002", "************0002");
    masks("3325   0101   0101   0002", "************0002");
    masks("3325    0101    0101    0002", "************0002"); /* 4: PRIVACY_JOIN_MAX */
    /* and every other non-letter */
    masks("3325|0101|0101|0002", "************0002");
    masks("3325\t\t0101\t0101\t0002", "************0002");
    masks("3325+0101=0101#0002", "************0002");
    masks("3325*0101*0101*0002", "************0002");
    masks("(3325)(0101)(0101)(0002)", "(************0002)");
    masks("3325 / 0101 / 0101 / 0002", "************0002");
    masks("3325\xC2\xA0"
          "0101\xC2\xA0"
          "0101\xC2\xA0"
          "0002",
          "************0002"); /* NBSP */
    masks("3325\xE2\x80\x8B"
          "0101\xE2\x80\x8B"
          "0101\xE2\x80\x8B"
          "0002",
          "************0002"); /* zero-width space: invisible */
    masks("3325\xEF\xBC\x8F"
          "0101\xEF\xBC\x8F"
          "0101\xEF\xBC\x8F"
          "0002",
          "************0002"); /* full-width slash */
    masks("3325\xF0\x9F\x99\x8F"
          "0101\xF0\x9F\x99\x8F"
          "0101\xF0\x9F\x99\x8F"
          "0002",
          "************0002"); /* an emoji */
    masks("3325\xFF"
          "0101\xC3"
          "0101\x80"
          "0002",
          "************0002"); /* bytes that are not UTF-8 */
    masks("3325\xC3\xA9"
          "0101\xC3\xA9"
          "0101\xC3\xA9"
          "0002",
          "************0002"); /* non-ASCII letter */
    masks("3325/0101-0101.0002, ok", "************0002, ok");
    masks("NIK: 3325 / 0101\n0101_0002.", "NIK: ************0002.");
}

Test(privacy, unicode_digits)
{
    masks(FW_NIK, "************0002");
    masks("NIK " FW_NIK " ok", "NIK ************0002 ok");
    /* mixed with ASCII, and separated */
    masks(FW(\x93) FW(\x93) "25/0101/" FW(\x90) FW(\x91) "01/000" FW(\x92), "************0002");
    /* Arabic-Indic (U+0660..), extended Arabic-Indic (U+06F0..), Javanese (U+A9D0..) */
    masks("\xD9\xA3\xD9\xA3\xD9\xA2\xD9\xA5 0101 0101 0002", "************0002");
    masks("\xDB\xB3\xDB\xB3\xDB\xB2\xDB\xB5 0101 0101 0002", "************0002");
    masks("\xEA\xA7\x93\xEA\xA7\x93\xEA\xA7\x92\xEA\xA7\x95 0101 0101 \xEA\xA7\x90\xEA\xA7\x90"
          "\xEA\xA7\x90\xEA\xA7\x97",
          "************0007");
    /* mathematical monospace digits (U+1D7F6..), four bytes each */
    masks("\xF0\x9D\x9F\xB9\xF0\x9D\x9F\xB9 250101010100 02", "************0002");
    /* a chain of 15 Unicode digits is 15 digits too */
    masks("\xD9\xA3\xD9\xA3\xD9\xA2\xD9\xA5 0101 0101 002", "***********1002");
    /* an overlong encoding of '3' is not a digit, nor is a superscript */
    untouched("\xC0\xB3"
              "325 0101 0101 002");
    untouched("\xC2\xB3"
              "325 0101 0101 002");
    masks("\xC2\xB3"
          "3325 0101 0101 002",
          "\xC2\xB3"
          "***********1002");
}

Test(privacy, digit_values)
{
    cr_assert_eq(privacy_digit_value('0'), 0);
    cr_assert_eq(privacy_digit_value('9'), 9);
    cr_assert_eq(privacy_digit_value('a'), -1);
    cr_assert_eq(privacy_digit_value('/'), -1);
    cr_assert_eq(privacy_digit_value(0xFF10), 0);
    cr_assert_eq(privacy_digit_value(0xFF19), 9);
    cr_assert_eq(privacy_digit_value(0xFF1A), -1);
    cr_assert_eq(privacy_digit_value(0x0663), 3);
    cr_assert_eq(privacy_digit_value(0x06F5), 5);
    cr_assert_eq(privacy_digit_value(0xA9D7), 7);
    cr_assert_eq(privacy_digit_value(0x1D7CE), 0);
    cr_assert_eq(privacy_digit_value(0x1D7FF), 9);
    cr_assert_eq(privacy_digit_value(0x1FBF9), 9);
    cr_assert_eq(privacy_digit_value(0x1FBFA), -1);
    cr_assert_eq(privacy_digit_value(0xB3), -1);   /* superscript three: not Nd */
    cr_assert_eq(privacy_digit_value(0x2460), -1); /* circled one */
    cr_assert_eq(privacy_digit_value(0x10FFFF), -1);
}

Test(privacy, near_misses_stay)
{
    /* 14 digits in a chain, whatever the separators */
    untouched("3325/0101/0101/00");
    untouched(FW(\x93) FW(\x93) FW(\x92) FW(\x95) " 0101 0101 00");
    /* 15 digits holding a phone number by itself stay (RT next to a phone number) */
    untouched("RT 003/081234567890");
    untouched("RT 003\n081234567890");
    /* but 15 digits without one are a NIK with a digit missing */
    masks("3325/0101/0101/002", "***********1002");
    /* phone numbers, tickets, dates, times, amounts */
    untouched("HP: 0812/3456/7890");
    untouched("+62 (812) 3456_7890");
    untouched("tiket 1000017, CEK 1000017");
    untouched("12/05/2026 10:30");
    untouched("tgl 12/05/2026, jam 10.30-12.00");
    untouched("Rp 1.500.000,00");
    /* a phone number and a date with only separators between them make one chain of 16+
     * digits, which cannot be told apart from a NIK: masked (privacy.h); a word keeps both */
    masks("081234567890 12/05/2026", "****************2026");
    untouched("081234567890 tgl 12/05/2026");
    masks("0285-391234 / 081234567890", "******************7890");
    untouched("0285-391234 atau 081234567890");
}

Test(privacy, idempotent_and_one_region_per_chain)
{
    static const char *const texts[] = {
        "3325/0101/0101/0002",
        NIK " " NIK,
        "081234567890 12/05/2026",
        FW_NIK "\n" NIK,
        "a 3325_0101_0101_0002 b 3325 0101 0101 0003 c",
    };
    char again[512];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        privacy_mask(texts[i], out, sizeof out);
        privacy_mask(out, again, sizeof again);
        cr_assert_str_eq(again, out, "masking \"%s\" twice", texts[i]);
        cr_assert_eq(privacy_has_nik(out), 0, "\"%s\"", out);
    }
    masks("a 3325_0101_0101_0002 b 3325 0101 0101 0003 c",
          "a ************0002 b ************0003 c");
}

/* The quick test says 0 only where nothing is masked, and says it for menu screens. */
Test(privacy, may_mask_is_a_safe_quick_test)
{
    cr_assert_eq(privacy_may_mask(NULL), 0);
    cr_assert_eq(privacy_may_mask(""), 0);
    cr_assert_eq(privacy_may_mask("Kecamatan:\n1 Bandar\n2 Banyuputih\n3 Batang\n4 Bawang\n5 "
                                  "Blado\n6 Gringsing\n7 Kandeman\n98 Lanjut 0 Kembali 00 Awal"),
                 0);
    cr_assert_eq(privacy_may_mask("tiket 12345678 dan 0812-3456-789"),
                 0); /* 14 digits, no letter */
    untouched("tiket 12345678 dan 0812-3456-789");
    /* 15 digits in one stretch: maybe (here: masked) */
    cr_assert_eq(privacy_may_mask("NIK 332501010101009 ya"), 1);
    masks("NIK 332501010101009 ya", "NIK ***********1009 ya");
    cr_assert_eq(privacy_may_mask("NIK 3325/0101/0101/0002"), 1);
    /* 15 digits in two stretches split by a letter: surely not */
    cr_assert_eq(privacy_may_mask("3325010 x 10101009"), 0);
    untouched("3325010 x 10101009");
    /* non-ASCII: a digit of another script may hide there */
    cr_assert_eq(privacy_may_mask("\xef\xbc\x93"), 1);
}
