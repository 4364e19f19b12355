/*
 * Unit tests for handlers/ticket: the shape of ticket numbers, the round trip, the check
 * digit's promise (every single wrong digit and every adjacent swap refused, checked
 * exhaustively over many tickets), what residents may type around a ticket, and junk.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "handlers/ticket.h"

/* A small deterministic generator for seqs across the whole range. */
static unsigned long long rng = 88172645463325252ULL;
static unsigned long long next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void format_ok(unsigned long long seq, char *buf)
{
    cr_assert_eq(ticket_format(seq, buf, TICKET_MAX), 0, "format(%llu) failed", seq);
}

static void parses_to(const char *text, unsigned long long want)
{
    unsigned long long seq = 0;
    cr_assert_eq(ticket_parse(text, &seq), 0, "\"%s\" refused", text);
    cr_assert_eq(seq, want, "\"%s\" -> %llu, want %llu", text, seq, want);
}

static void refused(const char *text)
{
    unsigned long long seq = 4242;
    cr_assert_eq(ticket_parse(text, &seq), -1, "\"%s\" accepted as %llu", text ? text : "(null)",
                 seq);
    cr_assert_eq(seq, 4242, "seq written on refusal");
}

Test(ticket, known_values)
{
    char buf[TICKET_MAX];
    static const struct {
        unsigned long long seq;
        const char *ticket;
    } known[] = {
        {1, "100014"},      {2, "100023"},        {89999, "999999"},
        {90000, "1000002"}, {990000, "10000004"}, {TICKET_SEQ_MAX, "9999999990"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        format_ok(known[i].seq, buf);
        cr_assert_str_eq(buf, known[i].ticket, "seq %llu -> %s", known[i].seq, buf);
    }
    /* Wikipedia's Damm example: 572 -> 4 */
    cr_assert_eq(ticket_check_digit("572", 3), '4');
    cr_assert_eq(ticket_check_digit("5724", 4), '0');
    cr_assert_eq(ticket_check_digit("57a", 3), -1);
}

Test(ticket, format_limits)
{
    char buf[TICKET_MAX];

    memset(buf, 'X', sizeof buf);
    cr_assert_eq(ticket_format(0, buf, sizeof buf), -1);
    cr_assert_str_eq(buf, "");
    memset(buf, 'X', sizeof buf);
    cr_assert_eq(ticket_format(TICKET_SEQ_MAX + 1, buf, sizeof buf), -1);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(ticket_format(~0ULL, buf, sizeof buf), -1);

    /* a 6-digit ticket needs 7 bytes */
    memset(buf, 'X', sizeof buf);
    cr_assert_eq(ticket_format(1, buf, 6), -1);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(ticket_format(1, buf, 7), 0);
    cr_assert_str_eq(buf, "100014");
    cr_assert_eq(ticket_format(1, buf, 0), -1); /* nothing written, no crash */
    cr_assert_eq(ticket_format(TICKET_SEQ_MAX, buf, TICKET_MAX_DIGITS + 1), 0);
}

Test(ticket, shape)
{
    char buf[TICKET_MAX];
    for (unsigned long long seq = 1; seq <= 200000; seq++) {
        format_ok(seq, buf);
        size_t n = strlen(buf);
        cr_assert_neq(buf[0], '0', "seq %llu -> %s starts with 0", seq, buf);
        cr_assert_eq(n, seq <= 89999 ? 6u : 7u, "seq %llu -> %s", seq, buf);
        cr_assert(ticket_looks_like(buf), "%s does not look like a ticket", buf);
    }
}

Test(ticket, round_trip)
{
    char buf[TICKET_MAX];
    unsigned long long seq;
    const char *end;
    int checked = 0;

    for (unsigned long long s = 1; s <= 300000; s++, checked++) {
        format_ok(s, buf);
        cr_assert_eq(ticket_parse(buf, &seq), 0, "%s refused", buf);
        cr_assert_eq(seq, s, "%s -> %llu, want %llu", buf, seq, s);
    }
    for (int i = 0; i < 200000; i++, checked++) {
        unsigned long long s = next_rand() % TICKET_SEQ_MAX + 1;
        format_ok(s, buf);
        cr_assert_eq(ticket_parse(buf, &seq), 0, "%s refused", buf);
        cr_assert_eq(seq, s);
        cr_assert_eq(ticket_scan(buf, &seq, &end), 0);
        cr_assert_eq(seq, s);
        cr_assert_eq(end, buf + strlen(buf));
        cr_assert(ticket_looks_like(buf));
    }
    cr_assert_eq(checked, 500000);
}

/* For one ticket: every other digit at every position, and every swap of two
 * different neighbouring digits, must be refused. Returns the variants tried. */
static int all_typos_refused(unsigned long long s)
{
    char good[TICKET_MAX], bad[TICKET_MAX];
    unsigned long long seq;
    int tried = 0;

    format_ok(s, good);
    size_t n = strlen(good);
    for (size_t i = 0; i < n; i++) {
        for (char d = '0'; d <= '9'; d++) {
            if (d == good[i])
                continue;
            memcpy(bad, good, n + 1);
            bad[i] = d;
            cr_assert_eq(ticket_parse(bad, &seq), -1, "typo %s of %s accepted as %llu", bad, good,
                         seq);
            cr_assert_eq(ticket_scan(bad, &seq, NULL), -1, "typo %s of %s scanned", bad, good);
            tried++;
        }
        if (i + 1 < n && good[i] != good[i + 1]) {
            memcpy(bad, good, n + 1);
            bad[i] = good[i + 1];
            bad[i + 1] = good[i];
            cr_assert_eq(ticket_parse(bad, &seq), -1, "swap %s of %s accepted as %llu", bad, good,
                         seq);
            tried++;
        }
    }
    return tried;
}

Test(ticket, every_single_digit_error_and_adjacent_swap_refused)
{
    long tried = 0;
    for (unsigned long long s = 1; s <= 20000; s++)
        tried += all_typos_refused(s);
    for (int i = 0; i < 20000; i++)
        tried += all_typos_refused(next_rand() % TICKET_SEQ_MAX + 1);
    /* the edges of each length */
    static const unsigned long long edges[] = {
        89998, 89999, 90000, 90001, 989999, 990000, TICKET_SEQ_MAX - 1, TICKET_SEQ_MAX};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        tried += all_typos_refused(edges[i]);
    cr_assert_gt(tried, 2000000, "only %ld variants tried", tried);
}

/* Luhn would accept the 09 <-> 90 swap; Damm must not. */
Test(ticket, swap_09_90_refused)
{
    char buf[TICKET_MAX];
    unsigned long long seq;
    int found = 0;

    for (unsigned long long s = 1; s <= 100000; s++) {
        format_ok(s, buf);
        char *p = strstr(buf, "09");
        if (!p)
            continue;
        p[0] = '9', p[1] = '0';
        cr_assert_eq(ticket_parse(buf, &seq), -1, "%s accepted", buf);
        found++;
    }
    cr_assert_gt(found, 1000);
}

Test(ticket, separators_residents_type)
{
    parses_to("100014", 1);
    parses_to("#100014", 1);
    parses_to("  100014  ", 1);
    parses_to("\t100014\r\n", 1);
    parses_to("100 014", 1);
    parses_to("100-014", 1);
    parses_to("100.014", 1);
    parses_to("10 00 14", 1);
    parses_to("1-0-0-0-1-4", 1);
    parses_to("1.000.002", 90000);
    parses_to("9999 9999 90", TICKET_SEQ_MAX);

    refused("100  014"); /* two separators */
    refused("100--014");
    refused("100 - 014");
    refused("100014-");
    refused("-100014");
    refused("100,014"); /* comma is not a separator */
    refused("100/014");
    refused("# 100014"); /* '#' must touch the number */
    refused("##100014");
    refused("+100014");
    refused("100014 #");
}

Test(ticket, junk_refused)
{
    char digits[2000];

    refused(NULL);
    refused("");
    refused("   ");
    refused("#");
    refused("abc");
    refused("100014a");
    refused("a100014");
    refused("CEK 100014");
    refused("100014 100014");
    refused("100015");  /* wrong check digit */
    refused("0100014"); /* Damm ignores leading zeros; the parser does not */
    refused("00100014");
    refused("14");
    refused("10001");       /* too short */
    refused("99999999909"); /* 11 digits */
    refused("3325010101010001");
    refused("081234567890");
    refused("\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x90"); /* fullwidth digits */
    memset(digits, '1', sizeof digits - 1);
    digits[sizeof digits - 1] = '\0';
    refused(digits);

    char buf[TICKET_MAX];
    format_ok(100, buf);
    cr_assert_eq(ticket_parse(buf, NULL), -1);

    /* seq 0 (body 10000 with a valid check digit) was never issued */
    char zero[8] = "10000";
    zero[5] = (char)ticket_check_digit(zero, 5);
    refused(zero);
}

Test(ticket, scan_leaves_the_rest)
{
    unsigned long long seq = 0;
    const char *end = NULL;
    const char *text = "100014 mohon dicek, terima kasih";

    cr_assert_eq(ticket_scan(text, &seq, &end), 0);
    cr_assert_eq(seq, 1);
    cr_assert_str_eq(end, " mohon dicek, terima kasih");

    text = "#100-014, tks";
    cr_assert_eq(ticket_scan(text, &seq, &end), 0);
    cr_assert_eq(seq, 1);
    cr_assert_str_eq(end, ", tks");

    text = " 100 023 ";
    cr_assert_eq(ticket_scan(text, &seq, &end), 0);
    cr_assert_eq(seq, 2);
    cr_assert_str_eq(end, "");

    cr_assert_eq(ticket_scan("100014", &seq, NULL), 0);
    cr_assert_eq(ticket_scan("100014abc", &seq, &end), -1);
    cr_assert_eq(ticket_scan("100015 mohon", &seq, &end), -1);
    cr_assert_eq(ticket_scan("100 015 mohon", &seq, &end), -1);
    cr_assert_eq(ticket_scan("mohon 100014", &seq, &end), -1);
    cr_assert_eq(ticket_scan("", &seq, &end), -1);
    cr_assert_eq(ticket_scan(NULL, &seq, &end), -1);
}

Test(ticket, looks_like)
{
    cr_assert_eq(ticket_looks_like("100014"), 1);
    cr_assert_eq(ticket_looks_like("100015"), 1); /* check digit is CEK's job */
    cr_assert_eq(ticket_looks_like("9999999990"), 1);
    cr_assert_eq(ticket_looks_like("012345"), 0);
    cr_assert_eq(ticket_looks_like("10001"), 0);
    cr_assert_eq(ticket_looks_like("12345678901"), 0);
    cr_assert_eq(ticket_looks_like("0812345678"), 0);
    cr_assert_eq(ticket_looks_like("6281234567890"), 0);
    cr_assert_eq(ticket_looks_like("3325010101010001"), 0);
    cr_assert_eq(ticket_looks_like("100 014"), 0);
    cr_assert_eq(ticket_looks_like("10a014"), 0);
    cr_assert_eq(ticket_looks_like(""), 0);
    cr_assert_eq(ticket_looks_like(NULL), 0);
}
