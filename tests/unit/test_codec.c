/*
 * Unit tests for modems/codec: GSM-7 / UCS-2 decision, part counting and splitting at the
 * 160/153 and 70/67 boundaries, UTF-8 <-> UTF-16BE conversion, sanitising and folding.
 * The generator test at the end checks plan and split against an independent oracle.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "modems/codec.h"

#define EURO   "\xE2\x82\xAC"     /* € U+20AC, GSM extension */
#define S_CED  "\xC5\x9F"         /* ş U+015F, not GSM */
#define E_ACU  "\xC3\xA9"         /* é U+00E9, GSM */
#define E_CIRC "\xC3\xAA"         /* ê U+00EA, not GSM */
#define GRIN   "\xF0\x9F\x98\x80" /* 😀 U+1F600 */
#define FFFD   "\xEF\xBF\xBD"

static char buf[8192];

/* buf = `unit` repeated n times, followed by `tail`. */
static const char *rep(const char *unit, int n, const char *tail)
{
    size_t len = strlen(unit), o = 0;
    for (int i = 0; i < n; i++) {
        cr_assert_lt(o + len, sizeof buf);
        memcpy(buf + o, unit, len);
        o += len;
    }
    cr_assert_lt(o + strlen(tail), sizeof buf);
    strcpy(buf + o, tail);
    return buf;
}

static struct codec_plan plan_of(const char *text)
{
    struct codec_plan p;
    cr_assert_eq(codec_plan(text, &p), 0, "codec_plan failed on valid text");
    return p;
}

/* Splits and checks the parts are contiguous, cover the text and respect per_part. */
static int split_checked(const char *text, const struct codec_plan *p, struct codec_part *parts,
                         int max)
{
    int n = codec_split(text, p, parts, max);
    size_t at = 0;
    int units = 0;
    for (int i = 0; i < n; i++) {
        cr_assert_eq(parts[i].offset, at, "part %d does not start where part %d ended", i, i - 1);
        cr_assert_leq(parts[i].units, p->per_part);
        at += parts[i].len;
        units += parts[i].units;
    }
    if (n > 0) {
        cr_assert_eq(at, strlen(text), "parts do not cover the text");
        cr_assert_eq(units, p->units);
    }
    return n;
}

/* ---- GSM-7 boundaries ---- */

Test(codec, gsm7_160_is_one_part)
{
    struct codec_plan p = plan_of(rep("a", 160, ""));
    cr_assert_eq(p.coding, CODEC_GSM7);
    cr_assert_eq(p.units, 160);
    cr_assert_eq(p.parts, 1);
    cr_assert_eq(p.per_part, 160);
}

Test(codec, gsm7_161_is_two_parts_153_plus_8)
{
    const char *t = rep("a", 161, "");
    struct codec_plan p = plan_of(t);
    struct codec_part parts[CODEC_MAX_PARTS];
    cr_assert_eq(p.parts, 2);
    cr_assert_eq(p.per_part, 153);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), 2);
    cr_assert_eq(parts[0].units, 153);
    cr_assert_eq(parts[0].len, 153);
    cr_assert_eq(parts[1].units, 8);
    cr_assert_eq(parts[1].offset, 153);
}

Test(codec, gsm7_306_is_two_parts_307_is_three)
{
    struct codec_part parts[CODEC_MAX_PARTS];
    const char *t = rep("x", 306, "");
    struct codec_plan p = plan_of(t);
    cr_assert_eq(p.parts, 2);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), 2);
    t = rep("x", 307, "");
    p = plan_of(t);
    cr_assert_eq(p.parts, 3);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), 3);
    cr_assert_eq(parts[2].units, 1);
}

Test(codec, empty_text_is_one_part_of_zero_units)
{
    struct codec_part parts[1];
    struct codec_plan p = plan_of("");
    cr_assert_eq(p.coding, CODEC_GSM7);
    cr_assert_eq(p.units, 0);
    cr_assert_eq(p.parts, 1);
    cr_assert_eq(codec_split("", &p, parts, 1), 1);
    cr_assert_eq(parts[0].offset, 0);
    cr_assert_eq(parts[0].len, 0);
}

Test(codec, extension_chars_count_two_septets)
{
    struct codec_plan p = plan_of(rep(EURO, 80, ""));
    cr_assert_eq(p.coding, CODEC_GSM7);
    cr_assert_eq(p.units, 160);
    cr_assert_eq(p.parts, 1);
    p = plan_of(rep(EURO, 81, ""));
    cr_assert_eq(p.units, 162);
    cr_assert_eq(p.parts, 2);
    p = plan_of("^{}\\[~]|\f" EURO);
    cr_assert_eq(p.coding, CODEC_GSM7);
    cr_assert_eq(p.units, 20);
}

Test(codec, extension_char_never_straddles_parts)
{
    /* 81 x € = 162 septets: 76 € fill 152 septets, the 77th would need 153-154. */
    struct codec_part parts[CODEC_MAX_PARTS];
    const char *t = rep(EURO, 81, "");
    struct codec_plan p = plan_of(t);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), 2);
    cr_assert_eq(parts[0].units, 152);
    cr_assert_eq(parts[0].len, 76 * 3);
    cr_assert_eq(parts[1].units, 10);

    /* 152 'a' then €: the € opens part 2, part 1 keeps 152 septets. */
    t = rep("a", 152, EURO "aaaaaaaaaa");
    p = plan_of(t);
    cr_assert_eq(p.units, 164);
    cr_assert_eq(p.parts, 2);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), 2);
    cr_assert_eq(parts[0].len, 152);
    cr_assert_eq(parts[0].units, 152);
    cr_assert_eq(memcmp(t + parts[1].offset, EURO, 3), 0);

    /* One extra part caused purely by the pair rule: 153*2 septets of content, but the
     * € at septets 153-154 cannot straddle, so 3 parts are needed. */
    t = rep("a", 152, EURO);
    memset(buf + 155, 'c', 152);
    buf[155 + 152] = '\0';
    p = plan_of(t);
    cr_assert_eq(p.units, 306);
    cr_assert_eq(p.parts, 3, "306 septets with a pair on the boundary need 3 parts, got %d",
                 p.parts);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), 3);
    cr_assert_eq(parts[0].units, 152);
    cr_assert_eq(parts[1].units, 153);
    cr_assert_eq(parts[2].units, 1);
}

Test(codec, gsm_alphabet_members)
{
    /* The whole default alphabet (127 characters without ESC) and the extension table. */
    const char *basic = "@\xC2\xA3$\xC2\xA5\xC3\xA8\xC3\xA9\xC3\xB9\xC3\xAC\xC3\xB2\xC3\x87\n"
                        "\xC3\x98\xC3\xB8\r\xC3\x85\xC3\xA5\xCE\x94_\xCE\xA6\xCE\x93\xCE\x9B"
                        "\xCE\xA9\xCE\xA0\xCE\xA8\xCE\xA3\xCE\x98\xCE\x9E\xC3\x86\xC3\xA6\xC3\x9F"
                        "\xC3\x89 !\"#\xC2\xA4%&'()*+,-./0123456789:;<=>?\xC2\xA1"
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ\xC3\x84\xC3\x96\xC3\x91\xC3\x9C\xC2\xA7"
                        "\xC2\xBF"
                        "abcdefghijklmnopqrstuvwxyz\xC3\xA4\xC3\xB6\xC3\xB1\xC3\xBC\xC3\xA0";
    struct codec_plan p = plan_of(basic);
    cr_assert_eq(p.coding, CODEC_GSM7);
    cr_assert_eq(p.units, 127);
    p = plan_of("Rp 50.000 " E_ACU " \xCE\xA9");
    cr_assert_eq(p.coding, CODEC_GSM7);
}

Test(codec, non_gsm_chars_flip_to_ucs2)
{
    const char *odd[] = {"`",    "\t",          "\xC2\xB9" /* ¹: libgammu's 0x1B quirk */,
                         E_CIRC, S_CED,         "\xC3\xA7" /* ç */,
                         "\x7F", "\xE2\x80\x99" /* ’ */};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        char t[32];
        snprintf(t, sizeof t, "abc%sdef", odd[i]);
        struct codec_plan p = plan_of(t);
        cr_assert_eq(p.coding, CODEC_UCS2, "odd[%zu] should force UCS-2", i);
        cr_assert_eq(p.units, 7);
    }
}

/* ---- UCS-2 boundaries ---- */

Test(codec, ucs2_70_is_one_part_71_is_two)
{
    struct codec_part parts[CODEC_MAX_PARTS];
    struct codec_plan p = plan_of(rep(S_CED, 70, ""));
    cr_assert_eq(p.coding, CODEC_UCS2);
    cr_assert_eq(p.units, 70);
    cr_assert_eq(p.parts, 1);
    cr_assert_eq(p.per_part, 70);

    const char *t = rep("a", 70, E_CIRC); /* one ê turns 71 chars into UCS-2 */
    p = plan_of(t);
    cr_assert_eq(p.coding, CODEC_UCS2);
    cr_assert_eq(p.units, 71);
    cr_assert_eq(p.parts, 2);
    cr_assert_eq(p.per_part, 67);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), 2);
    cr_assert_eq(parts[0].units, 67);
    cr_assert_eq(parts[1].units, 4);
}

Test(codec, e_acute_stays_gsm7)
{
    struct codec_plan p = plan_of(rep(E_ACU, 160, ""));
    cr_assert_eq(p.coding, CODEC_GSM7);
    cr_assert_eq(p.parts, 1);
}

Test(codec, emoji_counts_two_units_and_never_straddles)
{
    struct codec_part parts[CODEC_MAX_PARTS];
    struct codec_plan p = plan_of(rep(GRIN, 35, ""));
    cr_assert_eq(p.coding, CODEC_UCS2);
    cr_assert_eq(p.units, 70);
    cr_assert_eq(p.parts, 1);

    /* 66 units then an emoji: it would occupy units 67-68 of part 1, so it opens part 2. */
    const char *t = rep("a", 66, GRIN "aaaaaaaaaa");
    p = plan_of(t);
    cr_assert_eq(p.units, 78);
    cr_assert_eq(p.parts, 2);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), 2);
    cr_assert_eq(parts[0].units, 66);
    cr_assert_eq(parts[0].len, 66);
    cr_assert_eq(memcmp(t + parts[1].offset, GRIN, 4), 0);
    cr_assert_eq(parts[1].units, 12);

    t = rep(GRIN, 36, "");
    p = plan_of(t);
    cr_assert_eq(p.parts, 2);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), 2);
    cr_assert_eq(parts[0].units, 66);
    cr_assert_eq(parts[1].units, 6);
}

/* ---- split limits and mismatches ---- */

Test(codec, split_refuses_more_than_max_parts)
{
    struct codec_part parts[CODEC_MAX_PARTS];
    const char *t = rep("a", 153 * CODEC_MAX_PARTS, "");
    struct codec_plan p = plan_of(t);
    cr_assert_eq(p.parts, CODEC_MAX_PARTS);
    cr_assert_eq(split_checked(t, &p, parts, CODEC_MAX_PARTS), CODEC_MAX_PARTS);
    t = rep("a", 153 * CODEC_MAX_PARTS + 1, "");
    p = plan_of(t);
    cr_assert_eq(p.parts, CODEC_MAX_PARTS + 1);
    cr_assert_eq(codec_split(t, &p, parts, CODEC_MAX_PARTS), -1);
}

Test(codec, split_refuses_text_that_does_not_match_plan)
{
    struct codec_part parts[CODEC_MAX_PARTS];
    struct codec_plan p = plan_of("abc");
    cr_assert_eq(codec_split("ab" E_CIRC, &p, parts, CODEC_MAX_PARTS), -1);
    cr_assert_eq(codec_split(rep("a", 200, ""), &p, parts, CODEC_MAX_PARTS), -1);
    cr_assert_eq(codec_split("abc", &p, parts, CODEC_MAX_PARTS), 1);
}

Test(codec, split_never_writes_past_max_parts)
{
    /* A plan for 306 plain septets (2 parts) applied to a text of 306 septets whose € sits
     * on the boundary (3 parts needed): split must fail without touching parts[2]. */
    struct codec_part parts[3];
    struct codec_plan p = plan_of(rep("a", 306, ""));
    cr_assert_eq(p.parts, 2);
    const char *t = rep("a", 152, EURO);
    memset(buf + 155, 'c', 152);
    buf[155 + 152] = '\0';
    parts[2].offset = 12345;
    cr_assert_eq(codec_split(t, &p, parts, 2), -1);
    cr_assert_eq(parts[2].offset, 12345, "split wrote past max_parts");
}

Test(codec, invalid_utf8_is_refused_by_plan_split_and_ucs2)
{
    struct codec_plan p;
    struct codec_part parts[2];
    unsigned char u[64];
    cr_assert_eq(codec_plan("ab\xC0\xAF", &p), -1);
    cr_assert_eq(codec_plan("\xED\xA0\x80", &p), -1);
    p = plan_of("abcd");
    cr_assert_eq(codec_split("ab\xFF", &p, parts, 2), -1);
    cr_assert_eq(codec_utf8_to_ucs2("ab\xE2\x82", u, sizeof u), -1);
    cr_assert_eq(u[0] | u[1], 0, "failed conversion must leave an empty string");
}

/* ---- UTF-8 <-> UTF-16BE ---- */

static void round_trip(const char *text, int units)
{
    unsigned char u[1024];
    char back[1024];
    int n = codec_utf8_to_ucs2(text, u, sizeof u);
    cr_assert_eq(n, units, "units for '%s': %d", text, n);
    cr_assert_eq(u[2 * n], 0);
    cr_assert_eq(u[2 * n + 1], 0);
    size_t len = codec_ucs2_to_utf8(u, (size_t)n, back, sizeof back);
    cr_assert_eq(len, strlen(text));
    cr_assert_str_eq(back, text);
}

Test(codec, round_trip_ascii_indonesian_javanese_emoji)
{
    round_trip("", 0);
    round_trip("REG KTP 3325010101010001", 24);
    round_trip("Selamat pagi Pak RT, surat pengantar sudah bisa diambil besok jam 08.00.", 72);
    round_trip("\xEA\xA6\xB2\xEA\xA6\x8F\xEA\xA7\x80\xEA\xA6\xB1\xEA\xA6\xAB", 5); /* ꦲꦏ꧀ꦱꦫ */
    round_trip(GRIN "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", 6); /* 😀👍🏽 */
    round_trip("Terima kasih " GRIN " " EURO "5 " S_CED "\n", 21);
    round_trip("\xF4\x8F\xBF\xBF", 2); /* U+10FFFF */
}

Test(codec, ucs2_bytes_are_big_endian_with_surrogates)
{
    unsigned char u[16];
    const unsigned char want[] = {0x00, 0x41, 0x20, 0xAC, 0xD8, 0x3D, 0xDE, 0x00, 0x00, 0x00};
    cr_assert_eq(codec_utf8_to_ucs2("A" EURO GRIN, u, sizeof u), 4);
    cr_assert_arr_eq(u, want, sizeof want);
}

Test(codec, utf8_to_ucs2_needs_room_for_terminator)
{
    unsigned char u[8];
    cr_assert_eq(codec_utf8_to_ucs2("abc", u, 8), 3);
    cr_assert_eq(codec_utf8_to_ucs2("abc", u, 7), -1);
    cr_assert_eq(codec_utf8_to_ucs2("ab" GRIN, u, 8), -1, "surrogate pair must fit whole");
    cr_assert_eq(codec_utf8_to_ucs2("", u, 2), 0);
    cr_assert_eq(codec_utf8_to_ucs2("", u, 1), -1);
}

Test(codec, ucs2_lone_surrogates_become_fffd)
{
    char out[64];
    /* high + 'A', lone low, high at the very end */
    const unsigned char be[] = {0xD8, 0x3D, 0x00, 0x41, 0xDE, 0x00, 0x00, 0x42, 0xD8, 0x00};
    codec_ucs2_to_utf8(be, 5, out, sizeof out);
    cr_assert_str_eq(out, FFFD "A" FFFD "B" FFFD);
    /* a high surrogate followed by a non-surrogate above the low range */
    const unsigned char priv[] = {0xD8, 0x3D, 0xE0, 0x00};
    codec_ucs2_to_utf8(priv, 2, out, sizeof out);
    cr_assert_str_eq(out, FFFD "\xEE\x80\x80");
    /* reversed pair is two lone surrogates */
    const unsigned char rev[] = {0xDE, 0x00, 0xD8, 0x3D};
    codec_ucs2_to_utf8(rev, 2, out, sizeof out);
    cr_assert_str_eq(out, FFFD FFFD);
}

Test(codec, ucs2_to_utf8_drops_nul_and_never_cuts_a_code_point)
{
    char out[8];
    const unsigned char be[] = {0x00, 0x61, 0x00, 0x00, 0x00, 0x62, 0xD8, 0x3D, 0xDE, 0x00};
    cr_assert_eq(codec_ucs2_to_utf8(be, 5, out, sizeof out), 6);
    cr_assert_str_eq(out, "ab" GRIN);
    cr_assert_eq(codec_ucs2_to_utf8(be, 5, out, 6), 2, "emoji must not be cut");
    cr_assert_str_eq(out, "ab");
    out[0] = 'x';
    cr_assert_eq(codec_ucs2_to_utf8(be, 5, out, 1), 0);
    cr_assert_eq(out[0], '\0');
}

/* ---- sanitising ---- */

#define SANITIZE_IS(lit, want) sanitize_is(lit, sizeof(lit) - 1, want)

static void sanitize_is(const char *in, size_t inlen, const char *want)
{
    char out[256];
    size_t n = codec_utf8_sanitize(in, inlen, out, sizeof out);
    cr_assert_str_eq(out, want);
    cr_assert_eq(n, strlen(want));
}

Test(codec, sanitize_replaces_ill_formed_sequences)
{
    SANITIZE_IS("caf" E_ACU, "caf" E_ACU);
    SANITIZE_IS("a\xC0\xAF/", "a" FFFD FFFD "/");                  /* overlong '/' */
    SANITIZE_IS("\xE0\x80\xAF", FFFD FFFD FFFD);                   /* 3-byte overlong */
    SANITIZE_IS("\xED\xA0\x80x", FFFD FFFD FFFD "x");              /* UTF-8 surrogate */
    SANITIZE_IS("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);          /* > U+10FFFF */
    SANITIZE_IS("\xF0\x8F\xBF\xBF", FFFD FFFD FFFD FFFD);          /* 4-byte overlong */
    SANITIZE_IS("\xC1\xBF", FFFD FFFD);                            /* 2-byte overlong */
    SANITIZE_IS("\xF8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD); /* 5-byte form */
    SANITIZE_IS("ab\xE2\x82", "ab" FFFD);                          /* truncated € */
    SANITIZE_IS("\xE2\x82.", FFFD ".");
    SANITIZE_IS("\xF0\x9F\x98 ", FFFD " "); /* truncated emoji */
    SANITIZE_IS("\x80\xBF", FFFD FFFD);     /* stray continuations */
    SANITIZE_IS(GRIN, GRIN);
}

Test(codec, sanitize_drops_nul_and_controls)
{
    SANITIZE_IS("a\0b\x01-\x1B\n\r\t\x7F.", "ab-\n\r\t.");
    SANITIZE_IS("x\xC2\x85y", "xy"); /* C1 NEL */
}

Test(codec, sanitize_never_cuts_a_code_point)
{
    char out[8];
    memset(out, 'z', sizeof out);
    cr_assert_eq(codec_utf8_sanitize("a" E_ACU, 3, out, 3), 1);
    cr_assert_str_eq(out, "a");
    cr_assert_eq(codec_utf8_sanitize("ab" GRIN "c", 7, out, 6), 2);
    cr_assert_str_eq(out, "ab");
    cr_assert_eq(codec_utf8_sanitize("ab" GRIN "c", 7, out, 7), 6);
    cr_assert_str_eq(out, "ab" GRIN);
    out[0] = 'q';
    cr_assert_eq(codec_utf8_sanitize("abc", 3, out, 0), 0);
    cr_assert_eq(out[0], 'q', "outlen 0 must not write");
}

/* ---- folding ---- */

Test(codec, fold_turns_smart_punctuation_into_gsm)
{
    const char *in = "\xE2\x80\x9CRapat RT\xE2\x80\x9D \xE2\x80\x93 Jum\xE2\x80\x99"
                     "at\xC2\xA0"
                     "pagi\xE2\x80\xA6 \xE2\x80\x94 `ok\xC2\xB4\t\xE2\x80\x8B"
                     "end";
    char out[128];
    struct codec_plan before = plan_of(in);
    size_t n = codec_gsm_fold(in, out, sizeof out);
    cr_assert_str_eq(out, "\"Rapat RT\" - Jum'at pagi... - 'ok' end");
    cr_assert_eq(n, strlen(out));
    cr_assert_eq(before.coding, CODEC_UCS2);
    cr_assert_eq(plan_of(out).coding, CODEC_GSM7);
}

Test(codec, fold_keeps_other_text_and_never_grows)
{
    const char *in = "Halo " S_CED " " GRIN " " EURO " \xEA\xA6\xB2 caf" E_ACU;
    char out[128];
    cr_assert_eq(codec_gsm_fold(in, out, strlen(in) + 1), strlen(in));
    cr_assert_str_eq(out, in);
    /* "..." fits whole or not at all */
    cr_assert_eq(codec_gsm_fold("ab\xE2\x80\xA6", out, 5), 2);
    cr_assert_str_eq(out, "ab");
}

/* ---- hex ---- */

Test(codec, hex_of_8bit_payload)
{
    const unsigned char data[] = {0x00, 0x7F, 0xAB, 0xFF};
    char out[16];
    cr_assert_eq(codec_hex(data, 4, out, sizeof out), 8);
    cr_assert_str_eq(out, "007FABFF");
    cr_assert_eq(codec_hex(data, 4, out, 6), 4);
    cr_assert_str_eq(out, "007F");
    cr_assert_eq(codec_hex(data, 0, out, 1), 0);
    cr_assert_str_eq(out, "");
}

/* ---- plan and split against an independent oracle ---- */

struct token {
    const char *utf8;
    int septets; /* 0: not GSM-7 */
    int u16;
};

static const struct token pool[] = {
    {"a", 1, 1},        {" ", 1, 1},
    {"Z", 1, 1},        {"\n", 1, 1},
    {"7", 1, 1},        {E_ACU, 1, 1},
    {"\xCE\xA9", 1, 1}, {EURO, 2, 1},
    {"^", 2, 1},        {"[", 2, 1},
    {S_CED, 0, 1},      {E_CIRC, 0, 1},
    {GRIN, 0, 2},       {"\xEA\xA6\xB2", 0, 1},
    {"`", 0, 1},        {"\xF0\x90\x8D\x88", 0, 2},
};

static unsigned rng_state;
static unsigned rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 16;
}

/* Greedy packing over token widths: the rule operators bill by, computed independently. */
static int oracle_parts(const int *w, int n, int total, int single, int multi)
{
    if (total <= single)
        return 1;
    int parts = 1, fill = 0;
    for (int i = 0; i < n; i++) {
        if (fill + w[i] > multi) {
            parts++;
            fill = 0;
        }
        fill += w[i];
    }
    return parts;
}

Test(codec, plan_and_split_agree_with_oracle)
{
    static char text[4096];
    static int w7[1200], w16[1200];
    static int offs[1201];
    struct codec_part parts[64];
    const int npool = (int)(sizeof pool / sizeof pool[0]);

    rng_state = 20240601u;
    for (int iter = 0; iter < 3000; iter++) {
        /* Mostly GSM text; every few rounds allow non-GSM tokens. */
        int gsm_only = iter % 3 != 0;
        int n = (int)(rng() % 700), len = 0, septets = 0, u16 = 0, gsm = 1;
        for (int i = 0; i < n; i++) {
            const struct token *t;
            do
                t = &pool[rng() % (unsigned)npool];
            while (gsm_only && t->septets == 0);
            offs[i] = len;
            memcpy(text + len, t->utf8, strlen(t->utf8));
            len += (int)strlen(t->utf8);
            w7[i] = t->septets;
            w16[i] = t->u16;
            septets += t->septets;
            u16 += t->u16;
            gsm = gsm && t->septets > 0;
        }
        offs[n] = len;
        text[len] = '\0';

        struct codec_plan p = plan_of(text);
        int want = gsm ? oracle_parts(w7, n, septets, 160, 153) : oracle_parts(w16, n, u16, 70, 67);
        cr_assert_eq(p.coding, gsm ? CODEC_GSM7 : CODEC_UCS2, "iter %d", iter);
        cr_assert_eq(p.units, gsm ? septets : u16, "iter %d", iter);
        cr_assert_eq(p.parts, want, "iter %d: plan %d parts, oracle %d", iter, p.parts, want);

        int got = split_checked(text, &p, parts, 64);
        cr_assert_eq(got, p.parts, "iter %d: split %d parts, plan %d", iter, got, p.parts);

        /* Cuts fall on token boundaries, and each non-final part is full: the next token
         * would not have fitted. */
        for (int k = 0; k + 1 < got; k++) {
            size_t end = parts[k].offset + parts[k].len;
            int tok = 0;
            while (tok < n && (size_t)offs[tok] < end)
                tok++;
            cr_assert_eq((size_t)offs[tok], end, "iter %d: cut inside a character", iter);
            int next = gsm ? w7[tok] : w16[tok];
            cr_assert_gt(parts[k].units + next, p.per_part, "iter %d: part %d not full", iter, k);
        }
    }
}
