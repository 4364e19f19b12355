/* Unit: the admin API's small parsers — paths, route patterns, bearer
 * headers, numbers, token hashes and kentongan-ctl's times. */
#include "gateway/apiparse.h"

#include <criterion/criterion.h>
#include <string.h>

static char seg[APIPARSE_SEGS_MAX][APIPARSE_SEG_MAX];

Test(apiparse, split_decodes_segments)
{
    cr_assert_eq(apiparse_split("/api/complaints/100014/answer", seg, APIPARSE_SEGS_MAX), 4);
    cr_expect_str_eq(seg[0], "api");
    cr_expect_str_eq(seg[3], "answer");
    cr_assert_eq(apiparse_split("/api/subscribers/%2B62%20812", seg, APIPARSE_SEGS_MAX), 3);
    cr_expect_str_eq(seg[2], "+62 812");
    cr_expect_eq(apiparse_split("/api/modems/", seg, APIPARSE_SEGS_MAX), 2, "one trailing slash");
    cr_expect_eq(apiparse_split("/", seg, APIPARSE_SEGS_MAX), 0);
}

Test(apiparse, split_refuses_what_is_not_a_clean_path)
{
    const char *bad[] = {
        NULL,    "",       "api/x",  "//api",  "/api//x", "/api/x//", "/a/%",
        "/a/%4", "/a/%zz", "/a/%00", "/a/%2F", "/a/%0a",  "/a/b\x01", "/1/2/3/4/5/6/7/8/9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(apiparse_split(bad[i], seg, APIPARSE_SEGS_MAX), -1, "case %zu", i);
    char longseg[APIPARSE_SEG_MAX + 8] = "/";
    memset(longseg + 1, 'a', APIPARSE_SEG_MAX);
    longseg[APIPARSE_SEG_MAX + 1] = '\0';
    cr_expect_eq(apiparse_split(longseg, seg, APIPARSE_SEGS_MAX), -1, "segment too long");
}

Test(apiparse, match_binds_stars_and_needs_every_segment)
{
    int args[APIPARSE_SEGS_MAX], nargs = -1;
    int n = apiparse_split("/api/complaints/100014/answer", seg, APIPARSE_SEGS_MAX);
    cr_assert(apiparse_match("/api/complaints/*/answer", seg, n, args, &nargs));
    cr_expect_eq(nargs, 1);
    cr_expect_str_eq(seg[args[0]], "100014");
    cr_expect_not(apiparse_match("/api/complaints/*", seg, n, args, &nargs), "too short");
    cr_expect_not(apiparse_match("/api/complaints/*/answer/x", seg, n, args, &nargs), "too long");
    cr_expect_not(apiparse_match("/api/complaints/*/resolve", seg, n, args, &nargs));
    n = apiparse_split("/api/complaints", seg, APIPARSE_SEGS_MAX);
    cr_expect(apiparse_match("/api/complaints", seg, n, args, &nargs));
    cr_expect_eq(nargs, 0);
    cr_expect_not(apiparse_match("/api/complaint", seg, n, args, &nargs), "prefix is not a match");
}

Test(apiparse, bearer_takes_the_token_and_nothing_else)
{
    char t[APIPARSE_TOKEN_MAX];
    cr_assert_eq(apiparse_bearer("Bearer abc.DEF-123_~+/==", t, sizeof(t)), 0);
    cr_expect_str_eq(t, "abc.DEF-123_~+/==");
    cr_assert_eq(apiparse_bearer("bearer  xyz ", t, sizeof(t)), 0, "scheme in any case");
    cr_expect_str_eq(t, "xyz");
    const char *bad[] = {
        NULL,         "",           "Bearer",       "Bearer ",  "Basic dXNlcjpwdw==",
        "Bearer a b", "Bearer a=b", "Bearer \"x\"", "Bearerxyz"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(apiparse_bearer(bad[i], t, sizeof(t)), -1, "case %zu", i);
    cr_expect_eq(apiparse_bearer("Bearer abcdef", t, 4), -1, "does not fit");
}

Test(apiparse, long_is_strict)
{
    long v;
    cr_expect_eq(apiparse_long("500", 1, 500, &v), 0);
    cr_expect_eq(v, 500);
    cr_expect_eq(apiparse_long("0", 0, 10, &v), 0);
    const char *bad[] = {"",     "501", " 5", "5 ",  "1e3",
                         "0x10", "-1",  "+5", "abc", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(apiparse_long(bad[i], 0, 500, &v), -1, "case %zu: %s", i, bad[i]);
}

Test(apiparse, hex32)
{
    unsigned char h[32];
    const char *ok = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    cr_assert_eq(apiparse_hex32(ok, h), 0);
    cr_expect_eq(h[0], 0x5e);
    cr_expect_eq(h[31], 0xd8);
    cr_expect_eq(apiparse_hex32("5e88", h), -1);
    cr_expect_eq(
        apiparse_hex32("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542dg", h), -1);
}

Test(apiparse, times_in_wib_utc_or_unix)
{
    long long t;
    cr_assert_eq(apiparse_time("1767225600", &t), 0);
    cr_expect_eq(t, 1767225600);
    /* 2026-01-01 07:00 WIB is 2026-01-01 00:00 UTC */
    cr_assert_eq(apiparse_time("2026-01-01 07:00", &t), 0);
    cr_expect_eq(t, 1767225600);
    cr_assert_eq(apiparse_time("2026-01-01T00:00:00Z", &t), 0);
    cr_expect_eq(t, 1767225600);
    cr_assert_eq(apiparse_time("2026-01-01T09:00+09:00", &t), 0);
    cr_expect_eq(t, 1767225600);
    cr_assert_eq(apiparse_time("2024-02-29 12:00", &t), 0, "leap day");
    const char *bad[] = {"",
                         "tomorrow",
                         "2026-13-01 00:00",
                         "2026-02-29 00:00",
                         "2026-01-01",
                         "2026-01-01 24:00",
                         "2026-01-01 07:00 WIB",
                         "2026-01-01 07:00+7",
                         "1969-12-31 00:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(apiparse_time(bad[i], &t), -1, "case %zu: %s", i, bad[i]);
}

Test(apiparse, utf8_is_what_json_strings_may_hold)
{
    cr_expect(apiparse_utf8(""));
    cr_expect(apiparse_utf8("DITERIMA"));
    cr_expect(apiparse_utf8("Pak \xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x8f"), "2, 3 and 4 bytes");
    cr_expect(!apiparse_utf8("\xff"), "not a lead byte");
    cr_expect(!apiparse_utf8("a\x80"), "a lone continuation byte");
    cr_expect(!apiparse_utf8("\xc3"), "cut short at the end");
    cr_expect(!apiparse_utf8("\xe2\x82"), "cut short at the end");
    cr_expect(!apiparse_utf8("\xc3x"), "cut short by an ASCII byte");
    cr_expect(!apiparse_utf8("\xc0\xaf"), "overlong '/'");
    cr_expect(!apiparse_utf8("\xe0\x80\xaf"), "overlong '/'");
    cr_expect(!apiparse_utf8("\xed\xa0\x80"), "a surrogate");
    cr_expect(!apiparse_utf8("\xf4\x90\x80\x80"), "past U+10FFFF");
    cr_expect(apiparse_utf8("\xf4\x8f\xbf\xbf"), "U+10FFFF");
}
