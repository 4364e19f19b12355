/*
 * Unit tests for gateway/phone: the written forms of Indonesian mobile numbers residents and
 * modems produce, landlines and foreign numbers, short codes, alphanumeric senders, and the
 * buffer contract (bounded reads, bounded writes, always terminated).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/phone.h"

static char out[PHONE_MAX];

static void expect_kind(const char *in, enum phone_kind kind, const char *want)
{
    memset(out, 'X', sizeof out);
    enum phone_kind k = phone_normalise(in, out, sizeof out);
    cr_assert_eq(k, kind, "\"%s\": %s, want %s", in ? in : "(null)", phone_kind_name(k),
                 phone_kind_name(kind));
    cr_assert_not_null(memchr(out, '\0', sizeof out), "out not terminated");
    cr_assert_str_eq(out, want, "\"%s\" -> \"%s\", want \"%s\"", in ? in : "(null)", out, want);
}

static void mobile(const char *in, const char *want)
{
    expect_kind(in, PHONE_MOBILE, want);
}

static void invalid(const char *in)
{
    expect_kind(in, PHONE_INVALID, "");
}

Test(phone, written_forms)
{
    mobile("+62 812-3456-7890", "6281234567890");
    mobile("0812 3456 7890", "6281234567890");
    mobile("6281234567890", "6281234567890");
    mobile("006281234567890", "6281234567890");
    mobile("81234567890", "6281234567890");
    mobile("(0812) 345.678.90", "6281234567890");
    mobile("+6281234567890", "6281234567890");
    mobile("+62 (0)812 3456 7890", "6281234567890");
    mobile("  0812-3456-7890\r\n", "6281234567890");
    mobile("\t+62\t812\t3456\t7890", "6281234567890");
    mobile("[0812] 3456 7890", "6281234567890");
}

Test(phone, operators)
{
    mobile("0811 2345 678", "628112345678");   /* Telkomsel */
    mobile("0821 2345 6789", "6282123456789"); /* Telkomsel */
    mobile("0831 2345 6789", "6283123456789"); /* Axis */
    mobile("0856 4000 1234", "6285640001234"); /* Indosat */
    mobile("0877 1234 5678", "6287712345678"); /* XL */
    mobile("0881 1234 5678", "6288112345678"); /* Smartfren */
    mobile("0895 1234 5678", "6289512345678"); /* Tri */
}

Test(phone, length_bounds)
{
    mobile("0812345678", "62812345678");       /* 628 + 1 + 7 digits: shortest */
    mobile("0812345678901", "62812345678901"); /* 628 + 1 + 10 digits: longest */
    invalid("081234567");                      /* one digit short */
    invalid("08123456789012");                 /* one digit long */
    invalid("+62 812 3456 7890 12");
    invalid("6281234567");
}

Test(phone, landlines_foreign_and_bad_prefixes)
{
    invalid("0285 391234"); /* Batang landline */
    invalid("(0285) 391-234");
    invalid("62285391234");
    invalid("+62 285 391234");
    invalid("6280123456789"); /* 628 then 0 */
    invalid("6284123456789"); /* 628 then 4 */
    invalid("0841 2345 6789");
    invalid("+65 9123 4567"); /* Singapore */
    invalid("+1 415 555 0100");
    invalid("0065 9123 4567");
    invalid("021 1234 5678"); /* Jakarta */
    invalid("712345678901");
}

Test(phone, junk)
{
    invalid(NULL);
    invalid("");
    invalid("   ");
    invalid("+");
    invalid("()-.");
    invalid("++6281234567890");
    invalid("62+81234567890");
    invalid("0812#3456#7890");
    invalid("*888#");
    invalid("0812/3456/7890");
    invalid("\xff\xfe");
    invalid("0812\xc2\xa0"
            "3456 7890");
    invalid("1");
    invalid("12");
    invalid("1234567");
    invalid("+3636");
}

Test(phone, short_codes)
{
    expect_kind("3636", PHONE_SHORTCODE, "3636");
    expect_kind("888", PHONE_SHORTCODE, "888");
    expect_kind("123", PHONE_SHORTCODE, "123");
    expect_kind("99999", PHONE_SHORTCODE, "99999");
    expect_kind("100000", PHONE_SHORTCODE, "100000");
    expect_kind(" 36 36 ", PHONE_SHORTCODE, "3636");
}

Test(phone, alphanumeric_senders)
{
    expect_kind("TELKOMSEL", PHONE_ALPHA, "TELKOMSEL");
    expect_kind("BRI", PHONE_ALPHA, "BRI");
    expect_kind("Info-XL", PHONE_ALPHA, "Info-XL");
    expect_kind("  Indosat  ", PHONE_ALPHA, "Indosat");
    expect_kind("BANK BCA", PHONE_ALPHA, "BANK BCA");
    expect_kind("3Care", PHONE_ALPHA, "3Care");
    expect_kind("0812x", PHONE_ALPHA, "0812x"); /* anything with a letter */
    expect_kind("Caf\xc3\xa9", PHONE_ALPHA, "Caf??");
    expect_kind("ABCDEFGHIJKLMNOPQRSTUVWXYZ", PHONE_ALPHA, "ABCDEFGHIJKLMNOPQRST");
}

Test(phone, input_limit)
{
    char in[PHONE_INPUT_MAX + 10];
    memset(in, ' ', sizeof in);
    memcpy(in, "081234567890", 12);
    in[PHONE_INPUT_MAX] = '\0';
    mobile(in, "6281234567890"); /* exactly the limit */
    in[PHONE_INPUT_MAX] = ' ';
    in[PHONE_INPUT_MAX + 1] = '\0';
    invalid(in); /* one byte over */
}

Test(phone, small_out_never_overflows)
{
    char small[16];
    for (size_t len = 0; len <= 15; len++) {
        memset(small, 'X', sizeof small);
        enum phone_kind k = phone_normalise("+62 812-3456-7890", small, len);
        if (len >= 14) {
            cr_assert_eq(k, PHONE_MOBILE, "len %zu", len);
            cr_assert_str_eq(small, "6281234567890");
        } else {
            cr_assert_eq(k, PHONE_INVALID, "len %zu", len);
            if (len > 0)
                cr_assert_eq(small[0], '\0');
        }
        for (size_t i = len; i < sizeof small; i++)
            if (!(len >= 14 && i == 13))
                cr_assert_eq(small[i], 'X', "len %zu: byte %zu written", len, i);
    }
    memset(small, 'X', sizeof small);
    cr_assert_eq(phone_normalise("TELKOMSEL", small, 4), PHONE_ALPHA);
    cr_assert_str_eq(small, "TEL");
    cr_assert_eq(small[4], 'X');
    cr_assert_eq(phone_normalise("0812 3456 7890", NULL, 16), PHONE_INVALID);
}

Test(phone, normalised_is_a_fixed_point)
{
    const char *ins[] = {"+62 812-3456-7890", "0856 4000 1234", "0812345678", "3636", NULL};
    char again[PHONE_MAX];
    for (const char **in = ins; *in; in++) {
        enum phone_kind k = phone_normalise(*in, out, sizeof out);
        cr_assert_neq(k, PHONE_INVALID);
        cr_assert_eq(phone_normalise(out, again, sizeof again), k);
        cr_assert_str_eq(again, out);
    }
}

Test(phone, kind_names)
{
    cr_assert_str_eq(phone_kind_name(PHONE_MOBILE), "mobile");
    cr_assert_str_eq(phone_kind_name(PHONE_SHORTCODE), "shortcode");
    cr_assert_str_eq(phone_kind_name(PHONE_ALPHA), "alpha");
    cr_assert_str_eq(phone_kind_name(PHONE_INVALID), "invalid");
    cr_assert_str_eq(phone_kind_name((enum phone_kind)42), "invalid");
}
