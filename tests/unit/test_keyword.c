/*
 * Unit tests for handlers/keyword (the parser and kw_table) and the reply builders of
 * handlers/info. Most parser tests run against a table of this file shaped like the one the
 * project will grow into (LAPOR, CEK with bare numbers, TIDAK PUAS, an official command, a
 * reserved row), so they prove that adding rows needs no parser change; the tests named
 * table_* and info_* check the real kw_table.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "handlers/keyword.h"

#define NBSP     "\xC2\xA0"
#define ELLIPSIS "\xE2\x80\xA6"
#define RSQUO    "\xE2\x80\x99"
#define E_ACU    "\xC3\xA9"

static void h_any(struct request *req, const struct kw_match *m)
{
    (void)req;
    (void)m;
}

static const char *const a_info[] = {"BANTUAN", "HELP", "TOLONG", "PITULUNG", "?", NULL};
static const char *const a_lapor[] = {"ADUAN", "ADU", "LAPUR", NULL};
static const char *const a_cek[] = {"STATUS", "LACAK", NULL};
static const char *const a_stop[] = {"STOP", "UNREG", "MANDEG", NULL};
static const char *const a_tidak_puas[] = {"TDK PUAS", "ORA PUAS", "GAK PUAS", NULL};

enum { T_INFO, T_LAPOR, T_CEK, T_DAFTAR, T_STOP, T_PUAS, T_TIDAK_PUAS, T_PANGGIL, T_TERIMA };

static const struct keyword test_table[] = {
    [T_INFO] = {"INFO", a_info, h_any, "INFO: daftar layanan", 0},
    [T_LAPOR] = {"LAPOR", a_lapor, h_any, "LAPOR isi: kirim aduan", 0},
    [T_CEK] = {"CEK", a_cek, h_any, "CEK no tiket: status", KW_BARE_NUMBER},
    [T_DAFTAR] = {"DAFTAR", NULL, h_any, "DAFTAR desa: info desa", 0},
    [T_STOP] = {"BERHENTI", a_stop, h_any, "BERHENTI: stop info", 0},
    [T_PUAS] = {"PUAS", NULL, h_any, "PUAS", KW_HIDDEN},
    [T_TIDAK_PUAS] = {"TIDAK PUAS", a_tidak_puas, h_any, "TIDAK PUAS", KW_HIDDEN},
    [T_PANGGIL] = {"PANGGIL", NULL, h_any, "PANGGIL: minta ditelepon", 0},
    [T_TERIMA] = {"TERIMA", NULL, h_any, "TERIMA no", KW_OFFICIAL},
    {"CADANGAN", NULL, NULL, "CADANGAN", 0}, /* reserved: no handler yet */
    {NULL, NULL, NULL, NULL, 0},
};

static struct kw_match m;

static int parse(const char *text)
{
    return kw_parse_table(test_table, text, &m);
}

/* Asserts text matches row `row` of test_table with the given distance and args. */
static void expect(const char *text, int row, int distance, const char *args)
{
    cr_assert_eq(parse(text), 0, "no keyword in \"%s\"", text);
    cr_assert_eq(m.keyword, &test_table[row], "\"%s\" -> %s, want %s", text, m.keyword->name,
                 test_table[row].name);
    cr_assert_eq(m.distance, distance, "\"%s\": distance %d, want %d", text, m.distance, distance);
    cr_assert_null(m.suggestion);
    if (args)
        cr_assert_str_eq(m.args, args, "\"%s\": args \"%s\", want \"%s\"", text, m.args, args);
    cr_assert(m.args >= m.buf && m.args < m.buf + KW_TEXT_MAX);
}

/* Asserts text matches nothing, suggesting `suggestion` (-1 for none). */
static void expect_none(const char *text, int suggestion)
{
    cr_assert_eq(parse(text), -1, "\"%s\" matched %s", text, m.keyword ? m.keyword->name : "?");
    cr_assert_null(m.keyword);
    if (suggestion < 0)
        cr_assert_null(m.suggestion, "\"%s\" suggested %s", text, m.suggestion->name);
    else
        cr_assert_eq(m.suggestion, &test_table[suggestion], "\"%s\": suggestion %s, want %s", text,
                     m.suggestion ? m.suggestion->name : "none", test_table[suggestion].name);
    cr_assert(m.args >= m.buf && m.args < m.buf + KW_TEXT_MAX);
}

Test(keyword, exact_any_case)
{
    expect("INFO", T_INFO, 0, "");
    expect("info", T_INFO, 0, "");
    expect("iNfO", T_INFO, 0, "");
    expect("lapor jalan rusak", T_LAPOR, 0, "jalan rusak");
    expect("Cek 12345", T_CEK, 0, "12345");
    expect("BERHENTI", T_STOP, 0, "");
}

Test(keyword, aliases)
{
    expect("bantuan", T_INFO, 0, "");
    expect("HELP", T_INFO, 0, "");
    expect("Tolong", T_INFO, 0, "");
    expect("pitulung", T_INFO, 0, "");
    expect("?", T_INFO, 0, "");
    expect("???", T_INFO, 0, "");
    expect("aduan lampu mati", T_LAPOR, 0, "lampu mati");
    expect("ADU lampu mati", T_LAPOR, 0, "lampu mati");
    expect("status 12345", T_CEK, 0, "12345");
    expect("lacak 12345", T_CEK, 0, "12345");
    expect("stop", T_STOP, 0, "");
    expect("UNREG", T_STOP, 0, "");
    expect("mandeg", T_STOP, 0, "");
}

Test(keyword, real_table_info_aliases)
{
    const char *texts[] = {"INFO", "info",      "Bantuan", "HELP",    "tolong",   "PITULUNG",
                           "?",    "informasi", "tulung",  "panduan", "petunjuk", NULL};
    for (const char **t = texts; *t; t++) {
        cr_assert_eq(kw_parse(*t, &m), 0, "\"%s\" not matched", *t);
        cr_assert_str_eq(m.keyword->name, "INFO", "\"%s\" -> %s", *t, m.keyword->name);
        cr_assert_eq(m.keyword->handler, info_handler);
    }
    /* the examples of the issue, on the real table */
    const char *more[] = {"info?",
                          "Info.",
                          "#info",
                          "INFO#",
                          "infooo",
                          "Selamat pagi, info",
                          "assalamualaikum pak, info",
                          "pak?",
                          NULL};
    for (const char **t = more; *t; t++) {
        cr_assert_eq(kw_parse(*t, &m), 0, "\"%s\" not matched", *t);
        cr_assert_str_eq(m.keyword->name, "INFO", "\"%s\" -> %s", *t, m.keyword->name);
    }
}

Test(keyword, separators)
{
    const char *texts[] = {
        "info?",  "Info.",     "#info",  "*info#",   "info:",  "/info",  ";info;",
        "info,",  "\tinfo\n",  "info-",  " info ",   "(info)", "info!!", "\"info\"",
        "'info'", "info" NBSP, "_info_", "info\r\n", NULL};
    for (const char **t = texts; *t; t++)
        expect(*t, T_INFO, 0, NULL);
}

Test(keyword, glued_punctuation_and_args)
{
    expect("lapor:jalan rusak", T_LAPOR, 0, "jalan rusak");
    expect("LAPOR#Kandeman#jalan", T_LAPOR, 0, "Kandeman#jalan");
    expect("LAPOR*Kandeman*jalan*", T_LAPOR, 0, "Kandeman*jalan");
    expect("lapor.jalan rusak.", T_LAPOR, 0, "jalan rusak");
    expect("lapor/jalan", T_LAPOR, 0, "jalan");
    expect("lapor;jalan", T_LAPOR, 0, "jalan");
    expect("lapor,jalan", T_LAPOR, 0, "jalan");
    expect("lapor-jalan-jalan rusak", T_LAPOR, 0, "jalan-jalan rusak");
    expect("LAPOR" ELLIPSIS "jalan", T_LAPOR, 0, "jalan");
    expect("  LAPOR  #  Jalan RUSAK di Kandeman (depan SD)  \n", T_LAPOR, 0,
           "Jalan RUSAK di Kandeman (depan SD)");
    expect("cek#12345#", T_CEK, 0, "12345");
    expect("CEK12345", T_CEK, 0, "12345"); /* digits glued to the keyword */
    expect("info2", T_INFO, 0, "2");
    expect("lapor jalan2 rusak", T_LAPOR, 0, "jalan2 rusak");
    expect_none("12345cek", -1); /* digits then letters: one word, not a number */
}

Test(keyword, elongation)
{
    expect("infooo", T_INFO, 0, "");
    expect("INFOOOOOO", T_INFO, 0, "");
    expect("iiinnnffffooo", T_INFO, 0, "");
    expect("LAPORRR jalan", T_LAPOR, 0, "jalan");
    expect("lapoooor", T_LAPOR, 0, "");
    expect("ceeek 12345", T_CEK, 0, "12345");
    /* args keep what the resident wrote, only matching collapses */
    expect("laporrr jalannn rusakkk", T_LAPOR, 0, "jalannn rusakkk");
}

Test(keyword, keyword_with_double_letter)
{
    expect("PANGGIL", T_PANGGIL, 0, "");
    expect("pangil", T_PANGGIL, 0, "");
    expect("panggggilll", T_PANGGIL, 0, "");
    expect("panggli", T_PANGGIL, 1, ""); /* transposition on top of the double letter */
}

Test(keyword, typos_distance_one)
{
    expect("lpaor jalan", T_LAPOR, 1, "jalan");  /* transposition */
    expect("lapoe jalan", T_LAPOR, 1, "jalan");  /* substitution */
    expect("lapr jalan", T_LAPOR, 1, "jalan");   /* deletion */
    expect("laport jalan", T_LAPOR, 1, "jalan"); /* insertion */
    expect("xlapor", T_LAPOR, 1, "");
    expect("infp", T_INFO, 1, "");
    expect("ifno", T_INFO, 1, "");
    expect("daftra Kandeman", T_DAFTAR, 1, "Kandeman");
    expect("berenti", T_STOP, 1, "");
    expect("stpo", T_STOP, 1, "");
    expect("terma 123", T_TERIMA, 1, "123"); /* officials' commands are corrected too */
}

Test(keyword, short_keywords_exact_only)
{
    expect_none("cel 12345", T_CEK); /* 3 letters: suggested, never corrected */
    expect_none("cekx 12345", T_CEK);
    expect_none("ad lampu", -1); /* words under 3 letters get no guess */
    expect_none("ce", -1);
    expect_none("adi", T_LAPOR); /* ADU, distance 1 */
}

Test(keyword, suggestions_distance_two)
{
    expect_none("lpr jalan", T_LAPOR);
    expect_none("lapxyr", T_LAPOR);
    expect_none("dftr Kandeman", T_DAFTAR);
    expect_none("berhnt", T_STOP);
    expect_none("xyzzy", -1);
    expect_none("jalan rusak", -1);
    expect_none("inxyz", -1); /* INFO has 4 letters: no distance-2 guesses */
}

Test(keyword, officials_never_suggested)
{
    static const struct keyword t[] = {
        {"TERIMA", NULL, h_any, "TERIMA", 0},
        {NULL, NULL, NULL, NULL, 0},
    };
    cr_assert_eq(kw_parse_table(t, "trmia 123", &m), -1);
    cr_assert_eq(m.suggestion, &t[0]); /* a resident's command would be suggested */
    expect_none("trmia 123", -1);      /* TERIMA at distance 2, but officials only */

    /* an official row as close as a resident's must not hide the resident's */
    static const struct keyword t2[] = {
        {"TERIMA", NULL, h_any, "TERIMA", KW_OFFICIAL},
        {"TERIMO", NULL, h_any, "TERIMO", 0},
        {NULL, NULL, NULL, NULL, 0},
    };
    cr_assert_eq(kw_parse_table(t2, "trim", &m), -1);
    cr_assert_eq(m.suggestion, &t2[1]);
}

Test(keyword, ambiguous_correction_refused)
{
    static const struct keyword t[] = {
        {"BALAS", NULL, h_any, "BALAS", 0},
        {"BATAS", NULL, h_any, "BATAS", 0},
        {NULL, NULL, NULL, NULL, 0},
    };
    cr_assert_eq(kw_parse_table(t, "bakas 123", &m), -1);
    cr_assert_eq(m.suggestion, &t[0]);
    cr_assert_eq(kw_parse_table(t, "batas 123", &m), 0);
    cr_assert_eq(m.keyword, &t[1]);
    cr_assert_eq(m.distance, 0);
}

Test(keyword, greetings_skipped)
{
    expect("assalamualaikum pak, lapor jalan rusak", T_LAPOR, 0, "jalan rusak");
    expect("Assalamu'alaikum wr. wb. Selamat pagi bapak, mohon maaf saya mau lapor: jalan rusak",
           T_LAPOR, 0, "jalan rusak");
    expect("Assalamu" RSQUO "alaikum, info", T_INFO, 0, "");
    expect("asalamualaikom pak info", T_INFO, 0, ""); /* greeting with a typo */
    expect("Asslamualaikum info", T_INFO, 0, "");
    expect("ass. min, cek 12345", T_CEK, 0, "12345");
    expect("askum mas, daftar Kandeman", T_DAFTAR, 0, "Kandeman");
    expect("Selamat siang, info", T_INFO, 0, "");
    expect("met malam kak info", T_INFO, 0, "");
    expect("Sugeng enjing, nyuwun sewu, badhe lapor dalan rusak", T_LAPOR, 0, "dalan rusak");
    expect("sugeng dalu, kulo ajeng mandeg", T_STOP, 0, "");
    expect("punten, permisi admin, info", T_INFO, 0, "");
    expect("halo? info", T_INFO, 0, "info"); /* halo is skipped, then "?" means INFO */
    expect("hallo min lapor", T_LAPOR, 0, "");
    expect("hai bu, mohon info", T_INFO, 0, "");
    expect("Yth. Bapak/Ibu, dengan hormat, saya ingin lapor jalan", T_LAPOR, 0, "jalan");
    expect("salam, lpaor jalan", T_LAPOR, 1, "jalan");
}

Test(keyword, longest_real_opening)
{
    expect("Assalamualaikum warahmatullahi wabarakatuh, selamat pagi bapak ibu admin, mohon "
           "maaf, saya mau lapor jalan rusak",
           T_LAPOR, 0, "jalan rusak");
}

Test(keyword, greeting_never_eats_a_keyword)
{
    expect("tolong", T_INFO, 0, "");
    expect("tolong cek 12345", T_CEK, 0, "12345");
    expect("Tolong pak, lapor jalan rusak", T_LAPOR, 0, "jalan rusak");
    expect("tolong jalan rusak", T_INFO, 0, "jalan rusak"); /* no keyword follows: TOLONG */
    expect("pak tolong", T_INFO, 0, "");
    expect("mohon info", T_INFO, 0, "");
    cr_assert_eq(kw_parse("tolong", &m), 0);
    cr_assert_str_eq(m.keyword->name, "INFO");
}

Test(keyword, only_greetings)
{
    expect_none("Assalamualaikum", -1);
    expect_none("selamat pagi pak", -1);
    expect_none("halo min", -1);
}

Test(keyword, first_real_word_decides)
{
    /* free text is never searched for a keyword: a complaint that says "stop"
     * is not an unsubscription */
    expect_none("jalan rusak tolong lapor", -1);
    expect_none("air PDAM mati, stop", -1);
    expect_none("saya tanya info", -1); /* "tanya" is not a courtesy */
}

Test(keyword, scan_limit)
{
    char text[512] = "";
    for (int i = 0; i < KW_SCAN_WORDS - 1; i++)
        strcat(text, "pak ");
    strcat(text, "info");
    expect(text, T_INFO, 0, ""); /* keyword is word KW_SCAN_WORDS */

    text[0] = '\0';
    for (int i = 0; i < KW_SCAN_WORDS; i++)
        strcat(text, "pak ");
    strcat(text, "info");
    expect_none(text, -1); /* one word too far */
}

Test(keyword, multi_word_keyword)
{
    expect("tidak puas", T_TIDAK_PUAS, 0, "");
    expect("TIDAK PUAS, jalan belum diperbaiki", T_TIDAK_PUAS, 0, "jalan belum diperbaiki");
    expect("tidak#puas", T_TIDAK_PUAS, 0, "");
    expect("tidakpuas", T_TIDAK_PUAS, 0, "");
    expect("TIDAKKK PUASSS", T_TIDAK_PUAS, 0, "");
    expect("tdk puas", T_TIDAK_PUAS, 0, "");
    expect("tdkpuas", T_TIDAK_PUAS, 0, "");
    expect("ora puas", T_TIDAK_PUAS, 0, "");
    expect("tidak pusa", T_TIDAK_PUAS, 1, ""); /* one typo over the phrase */
    expect("tidakpuss", T_TIDAK_PUAS, 1, "");
    expect("pak, tidak puas", T_TIDAK_PUAS, 0, "");
    expect("puas", T_PUAS, 0, "");
    expect("puas sekali", T_PUAS, 0, "sekali");
    expect_none("tidak", -1);
    expect_none("tidka pusa", -1); /* two typos */
}

Test(keyword, longest_match_wins_whatever_the_order)
{
    static const struct keyword t[] = {
        {"PUAS", NULL, h_any, "PUAS", 0},
        {"PUAS SEKALI", NULL, h_any, "PUAS SEKALI", 0},
        {"PUAS", NULL, h_any, "PUAS", 0},
        {NULL, NULL, NULL, NULL, 0},
    };
    cr_assert_eq(kw_parse_table(t, "puas sekali pak", &m), 0);
    cr_assert_eq(m.keyword, &t[1]);
    cr_assert_str_eq(m.args, "pak");
    cr_assert_eq(kw_parse_table(t + 1, "puas sekali", &m), 0);
    cr_assert_eq(m.keyword, &t[1]);
    cr_assert_eq(kw_parse_table(t, "puas sekaly", &m), 0); /* exact short beats corrected long */
    cr_assert_eq(m.keyword, &t[0]);
    cr_assert_eq(m.distance, 0);
}

Test(keyword, apostrophes_ignored)
{
    expect("in'fo", T_INFO, 0, "");
    expect("`info`", T_INFO, 0, "");
    expect("lap" RSQUO "or jalan", T_LAPOR, 0, "jalan");
}

Test(keyword, bare_number)
{
    expect("12345", T_CEK, 0, "12345");
    expect("#12345#", T_CEK, 0, "12345");
    expect("pak, 12345 kapan selesai?", T_CEK, 0, "12345 kapan selesai?");
    expect_none("12345x", -1);
    /* in the real table a bare number is a status check */
    cr_assert_eq(kw_parse("100014", &m), 0);
    cr_assert_str_eq(m.keyword->name, "CEK");
    cr_assert_str_eq(m.args, "100014");
}

Test(keyword, reserved_rows_ignored)
{
    expect_none("cadangan", -1);
    expect_none("cadangn", -1);
}

Test(keyword, junk_never_crashes)
{
    expect_none("", -1);
    cr_assert_str_eq(m.args, "");
    expect_none("   ", -1);
    expect_none("#.*,/:;-", -1);
    cr_assert_str_eq(m.args, "");
    expect_none("\x01\x02\x03\xff\xfe", -1);
    expect_none("\xc3\x28 \xa0\xa1", -1);
    expect_none(E_ACU E_ACU, -1);
    expect_none("'''", -1);
    expect("info \xff\xfe", T_INFO, 0, "\xff\xfe");
    cr_assert_eq(kw_parse_table(test_table, NULL, &m), -1);
    cr_assert_str_eq(m.args, "");
    cr_assert_eq(kw_parse(NULL, &m), -1);
}

Test(keyword, long_input_truncated_at_utf8_boundary)
{
    static char text[5001];
    memset(text, 'a', 5000);
    memcpy(text, "info ", 5);
    expect(text, T_INFO, 0, NULL);
    cr_assert_eq(strlen(m.buf), KW_TEXT_MAX - 1);
    cr_assert_eq(strlen(m.args), KW_TEXT_MAX - 1 - 5);

    /* "info  " (6 bytes) then 2-byte characters: a cut at KW_TEXT_MAX - 1 would split one */
    memcpy(text, "info  ", 6);
    for (int i = 6; i + 2 <= 5000; i += 2)
        memcpy(text + i, E_ACU, 2);
    text[5000] = '\0';
    expect(text, T_INFO, 0, NULL);
    size_t n = strlen(m.buf);
    cr_assert_eq(n, KW_TEXT_MAX - 2);
    cr_assert_eq((unsigned char)m.buf[n - 2], 0xC3);
    cr_assert_eq((unsigned char)m.buf[n - 1], 0xA9);

    /* 5000 bytes of junk */
    for (int i = 0; i < 5000; i++)
        text[i] = (char)(1 + (i * 37) % 255);
    text[5000] = '\0';
    parse(text);
    cr_assert_lt(strlen(m.buf), (size_t)KW_TEXT_MAX);
}

Test(keyword, overlong_word)
{
    char text[200];
    memset(text, 'i', 100);
    strcpy(text + 100, "nfo");
    expect_none(text, -1);
}

/* ---- the real table ---------------------------------------------------- */

static int gsm7_chars(const char *s); /* below, independent of info.c */

Test(keyword, table_rows_well_formed)
{
    int rows = 0;
    for (const struct keyword *kw = kw_table; kw->name; kw++, rows++) {
        cr_assert_not_null(kw->help, "%s has no help line", kw->name);
        cr_assert_eq(strncmp(kw->help, kw->name, strlen(kw->name)), 0,
                     "help of %s must start with its name: \"%s\"", kw->name, kw->help);
        cr_assert_geq(gsm7_chars(kw->help), 0, "help of %s is not GSM-7", kw->name);
        for (const char *p = kw->name; *p; p++)
            cr_assert(!(*p >= 'a' && *p <= 'z'), "name %s must be upper case", kw->name);
    }
    cr_assert_geq(rows, 1);
}

/* Every spelling parses to its own row, alone and after a greeting, and no
 * spelling is claimed by two rows. */
Test(keyword, table_every_spelling_reaches_its_row)
{
    char text[128];
    for (const struct keyword *kw = kw_table; kw->name; kw++) {
        if (!kw->handler)
            continue;
        const char *const *al = kw->aliases;
        for (const char *sp = kw->name; sp; sp = (al && *al) ? *al++ : NULL) {
            cr_assert_lt(strlen(sp), (size_t)KW_WORD_MAX);
            cr_assert_eq(kw_parse(sp, &m), 0, "spelling \"%s\" not matched", sp);
            cr_assert_eq(m.keyword, kw, "\"%s\" -> %s, want %s", sp, m.keyword->name, kw->name);
            cr_assert_eq(m.distance, 0, "\"%s\" is not exact", sp);
            snprintf(text, sizeof text, "Assalamualaikum pak, %s", sp);
            cr_assert_eq(kw_parse(text, &m), 0, "\"%s\" not matched", text);
            cr_assert_eq(m.keyword, kw, "\"%s\" -> %s", text, m.keyword->name);
        }
    }
}

/* ---- reply texts -------------------------------------------------------- */

/* GSM-7 characters of s, extension table counted twice; -1 if s holds
 * anything else. Restricted to ASCII on purpose: the replies must be plain. */
static int gsm7_chars(const char *s)
{
    static const char basic[] = " !\"#$%&'()*+,-./:;<=>?@_\n\r";
    static const char ext[] = "^{}\\[~]|";
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr(basic, *p))
            n += 1;
        else if (strchr(ext, *p))
            n += 2;
        else
            return -1;
    }
    return n;
}

Test(keyword, info_text_fits_one_sms_and_lists_every_row)
{
    char buf[400];
    int n = info_text(buf, sizeof buf);
    cr_assert_gt(n, 0);
    cr_assert_eq((size_t)n, strlen(buf));
    int chars = gsm7_chars(buf);
    cr_assert_geq(chars, 0, "INFO reply is not GSM-7: %s", buf);
    cr_assert_leq(chars, 160, "INFO reply is %d characters: %s", chars, buf);
    for (const struct keyword *kw = kw_table; kw->name; kw++)
        if (kw->handler && !(kw->flags & (KW_OFFICIAL | KW_HIDDEN)))
            cr_assert_not_null(strstr(buf, kw->help), "help of %s missing (too long?): %s",
                               kw->name, buf);
}

Test(keyword, info_text_skips_official_hidden_and_reserved)
{
    char buf[400];
    cr_assert_gt(info_text_table(test_table, buf, sizeof buf), 0);
    cr_assert_leq(gsm7_chars(buf), 160, "%s", buf);
    cr_assert_not_null(strstr(buf, "LAPOR isi: kirim aduan"));
    cr_assert_not_null(strstr(buf, "CEK no tiket: status"));
    cr_assert_null(strstr(buf, "TERIMA"));
    cr_assert_null(strstr(buf, "PUAS"));
    cr_assert_null(strstr(buf, "CADANGAN"));
}

Test(keyword, info_text_never_exceeds_one_sms)
{
    static const struct keyword t[] = {
        {"AAAA", NULL, h_any, "AAAA: satu dua tiga empat lima enam tujuh delapan sembilan", 0},
        {"BBBB", NULL, h_any, "BBBB: satu dua tiga empat lima enam tujuh delapan sembilan", 0},
        {"CCCC", NULL, h_any, "CCCC: satu dua tiga empat lima enam tujuh delapan sembilan", 0},
        {"DDDD", NULL, h_any, "DDDD: kurung {kurawal}", 0},
        {"EEEE", NULL, h_any, "EEEE: huruf " E_ACU, 0},
        {NULL, NULL, NULL, NULL, 0},
    };
    char buf[400];
    cr_assert_gt(info_text_table(t, buf, sizeof buf), 0);
    int chars = gsm7_chars(buf);
    cr_assert(chars >= 0 && chars <= 160, "%d: %s", chars, buf);
    cr_assert_not_null(strstr(buf, "AAAA"));
    cr_assert_null(strstr(buf, "CCCC"), "third long line cannot fit: %s", buf);
    cr_assert_null(strstr(buf, "EEEE"), "non-GSM line must be left out: %s", buf);
    /* a small buffer is refused, not overflowed */
    char tiny[8] = "xxxxxxx";
    cr_assert_eq(info_text(tiny, sizeof tiny), -1);
    cr_assert_eq(info_text(NULL, 0), -1);
}

Test(keyword, unknown_text)
{
    char buf[400];
    cr_assert_eq(parse("xyzzy"), -1);
    int n = info_unknown_text(&m, buf, sizeof buf);
    cr_assert_gt(n, 0);
    cr_assert_eq((size_t)n, strlen(buf));
    cr_assert_leq(gsm7_chars(buf), 160, "%s", buf);
    cr_assert_geq(gsm7_chars(buf), 0, "%s", buf);
    cr_assert_not_null(strstr(buf, "INFO"));
    cr_assert_null(strstr(buf, "Maksud"));

    cr_assert_eq(parse("lpr jalan"), -1);
    cr_assert_gt(info_unknown_text(&m, buf, sizeof buf), 0);
    cr_assert_not_null(strstr(buf, "Maksud Anda LAPOR?"), "%s", buf);
    cr_assert(gsm7_chars(buf) >= 0 && gsm7_chars(buf) <= 160, "%s", buf);

    /* the keyword the hint names really is INFO */
    cr_assert_eq(kw_parse("INFO", &m), 0);
    cr_assert_eq(m.keyword->handler, info_handler);
}

Test(keyword, unknown_text_bounded)
{
    static char longname[200];
    memset(longname, 'X', sizeof longname - 1);
    struct keyword k = {longname, NULL, h_any, "x", 0};
    struct kw_match mm = {.suggestion = &k};
    char buf[400];
    cr_assert_gt(info_unknown_text(&mm, buf, sizeof buf), 0);
    cr_assert(gsm7_chars(buf) >= 0 && gsm7_chars(buf) <= 160, "%s", buf);
    cr_assert_gt(info_unknown_text(NULL, buf, sizeof buf), 0);
    char tiny[10];
    cr_assert_eq(info_unknown_text(&mm, tiny, sizeof tiny), -1);
}

Test(keyword, thanks_are_not_the_officials_terima)
{
    cr_assert_eq(kw_parse("terima kasih pak", &m), 0);
    cr_assert_str_eq(m.keyword->name, "TERIMA KASIH");
    cr_assert_eq(kw_parse("Matur nuwun", &m), 0);
    cr_assert_str_eq(m.keyword->name, "TERIMA KASIH");
    cr_assert_eq(kw_parse("TERIMA 100014", &m), 0);
    cr_assert_str_eq(m.keyword->name, "TERIMA");
    cr_assert_eq(kw_parse("tidak puas 100014 masih rusak", &m), 0);
    cr_assert_str_eq(m.keyword->name, "TIDAK PUAS");
    cr_assert_str_eq(m.args, "100014 masih rusak");
}
