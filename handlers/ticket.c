/* ticket — complaint ticket numbers (see ticket.h for the shape and the input rules).
 *
 * Why a check digit at all: CEK answers with the status of a complaint, and a
 * resident who mistypes one digit must get "nomor tiket salah", not the
 * status (and perhaps the words) of a neighbour's complaint. The errors people
 * make when copying a number on a keypad are, by far, one wrong digit and two
 * neighbouring digits swapped; a check digit that catches all of both makes
 * a typo answer "not found" instead of "someone else's".
 *
 * Why Damm and not Luhn: Luhn (mod 10, doubling every other digit) catches
 * every single wrong digit but misses the adjacent swap 09 <-> 90 (and the
 * twin errors 22 <-> 55, 33 <-> 66, 44 <-> 77). ISBN-style mod 11 catches
 * everything but needs an 11th symbol ('X'), which is not on a keypad's digit
 * keys. Verhoeff catches everything with three tables and dihedral-group
 * arithmetic. Damm catches every single-digit error and every adjacent
 * transposition with one 10x10 table of a totally anti-symmetric quasigroup,
 * digits only, including errors that touch the check digit itself
 * (tests/unit/test_ticket.c checks all of them exhaustively for many tickets).
 *
 * Damm is blind to leading zeros ("0100014" checks like "100014"); bodies
 * never start with 0 (TICKET_BASE) and the parser refuses a leading 0, so each
 * ticket has exactly one written form.
 *
 * Why TICKET_BASE instead of zero-padding: a padded "000017" invites residents
 * to drop the zeros, and a number starting with 0 looks like a phone number
 * to people and to code. seq + 10000 always has 5+ digits and starts 1-9.
 *
 * Nothing here allocates or keeps state; every function is bounded by
 * TICKET_MAX_DIGITS (plus the length of leading/trailing spaces). */
#include "handlers/ticket.h"

#include <string.h>

/* Damm's quasigroup of order 10 (H. M. Damm, 2004): interim = damm[interim][digit]. */
static const unsigned char damm[10][10] = {
    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3}, {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
    {1, 7, 5, 0, 9, 8, 3, 4, 2, 6}, {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7}, {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
    {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int ticket_check_digit(const char *digits, size_t n)
{
    unsigned interim = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(digits[i]))
            return -1;
        interim = damm[interim][digits[i] - '0'];
    }
    return (int)('0' + interim);
}

int ticket_format(unsigned long long seq, char *out, size_t outlen)
{
    char tmp[TICKET_MAX];
    size_t n = 0;

    if (outlen > 0)
        out[0] = '\0';
    if (seq < 1 || seq > TICKET_SEQ_MAX)
        return -1;
    for (unsigned long long body = seq + TICKET_BASE; body > 0; body /= 10)
        tmp[n++] = (char)('0' + body % 10);
    if (n + 2 > outlen) /* body, check digit, NUL */
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = (char)ticket_check_digit(out, n);
    out[n + 1] = '\0';
    return 0;
}

/* Validates the digits d[0..n) (check digit last) and turns them into seq. */
static int digits_to_seq(const char *d, size_t n, unsigned long long *seq)
{
    if (n < TICKET_MIN_DIGITS || n > TICKET_MAX_DIGITS || d[0] == '0')
        return -1;
    if (ticket_check_digit(d, n) != '0') /* a valid number's interim ends at 0 */
        return -1;
    unsigned long long body = 0;
    for (size_t i = 0; i + 1 < n; i++)
        body = body * 10 + (unsigned long long)(d[i] - '0');
    if (body <= TICKET_BASE) /* seq 0: never issued */
        return -1;
    *seq = body - TICKET_BASE;
    return 0;
}

/* Collects the digits of a ticket starting at p (after spaces and one '#'):
 * digit groups joined by one separator from seps. Stops at the first byte that
 * does not continue the number; returns a pointer to it, or NULL when there
 * are no digits or more than TICKET_MAX_DIGITS. The digits go to d, their
 * count to *n. */
static const char *collect(const char *p, const char *seps, char *d, size_t *n)
{
    *n = 0;
    while (is_space(*p))
        p++;
    if (*p == '#')
        p++;
    if (!is_digit(*p))
        return NULL;
    for (;;) {
        while (is_digit(*p)) {
            if (*n == TICKET_MAX_DIGITS)
                return NULL;
            d[(*n)++] = *p++;
        }
        if (*p != '\0' && strchr(seps, *p) && is_digit(p[1]))
            p++;
        else
            return p;
    }
}

int ticket_parse(const char *text, unsigned long long *seq)
{
    char d[TICKET_MAX_DIGITS];
    size_t n;

    if (!text || !seq)
        return -1;
    const char *p = collect(text, " -.", d, &n);
    if (!p)
        return -1;
    while (is_space(*p))
        p++;
    if (*p != '\0')
        return -1;
    return digits_to_seq(d, n, seq);
}

int ticket_scan(const char *text, unsigned long long *seq, const char **end)
{
    char d[TICKET_MAX_DIGITS];
    size_t n;

    if (!text || !seq)
        return -1;
    if (ticket_parse(text, seq) == 0) {
        if (end)
            *end = text + strlen(text);
        return 0;
    }
    const char *p = collect(text, "-.", d, &n);
    if (!p || is_alnum(*p) || digits_to_seq(d, n, seq) != 0)
        return -1;
    if (end)
        *end = p;
    return 0;
}

int ticket_looks_like(const char *word)
{
    size_t n = 0;

    if (!word || word[0] == '0')
        return 0;
    for (; word[n]; n++)
        if (!is_digit(word[n]) || n == TICKET_MAX_DIGITS)
            return 0;
    return n >= TICKET_MIN_DIGITS;
}
