/* ticket — complaint ticket numbers: numeric, keypad-friendly, with a check digit.
 *
 *   1. A new complaint takes seq = INCR on the Redis ticket counter (>= 1).
 *   2. ticket_format(seq, buf, sizeof buf) gives the number the resident sees.
 *   3. When a resident writes a number back, ticket_parse (whole text) or
 *      ticket_scan (a ticket at the start of a longer text) gives seq back,
 *      or -1: a mistyped number is refused, never read as someone else's.
 *
 * Shape: the decimal digits of seq + TICKET_BASE (so at least 5 digits and
 * never a leading 0), then one Damm check digit. seq 1 is "100014", seq
 * 89999 is "999999", seq 90000 is "1000002"; 6 digits for the first 89,999
 * complaints, 7 for the next 900,000. Every single wrong digit and every swap
 * of two adjacent digits (the check digit included) is detected.
 *
 * What a resident may type (ticket_parse): leading and trailing spaces, one
 * optional '#' before the number ("#100014"), and the digits in groups joined
 * by ONE space, '-' or '.' ("100 014", "100-014", "100.014": Indonesians write
 * thousands with dots). Anything else (letters, two separators in a row, a
 * leading 0, a wrong check digit, fewer than TICKET_MIN_DIGITS or more than
 * TICKET_MAX_DIGITS digits) is refused. */
#ifndef KT_TICKET_H
#define KT_TICKET_H

#include <stddef.h>

#define TICKET_MAX        24           /* buffer for a formatted ticket, NUL included */
#define TICKET_BASE       10000ULL     /* added to seq so the body has >= 5 digits, no leading 0 */
#define TICKET_MIN_DIGITS 6            /* check digit included */
#define TICKET_MAX_DIGITS 10           /* keeps tickets far from phone numbers and NIKs */
#define TICKET_SEQ_MAX    999989999ULL /* largest seq with TICKET_MAX_DIGITS digits */

/* Writes the ticket for seq (1..TICKET_SEQ_MAX) into out. Returns 0, or -1
 * (out set to "" when outlen > 0) for a seq out of range or outlen too small. */
int ticket_format(unsigned long long seq, char *out, size_t outlen);

/* Reads a whole text as one ticket (rules above). Returns 0 and sets *seq, or
 * -1 for NULL, malformed text or a wrong check digit (*seq untouched). */
int ticket_parse(const char *text, unsigned long long *seq);

/* Reads a ticket at the start of text followed by anything: "100014 mohon
 * dicek". The whole text is tried first (so "100 014" works); failing that,
 * only the first word (digits joined by '-' or '.', not by spaces), which
 * must end at the end of text or at a byte that is neither a digit nor a
 * letter. Returns 0, sets *seq and, when end is not NULL, *end to just past
 * the ticket; -1 otherwise. */
int ticket_scan(const char *text, unsigned long long *seq, const char **end);

/* 1 when word is only ASCII digits, TICKET_MIN_DIGITS..TICKET_MAX_DIGITS of
 * them, not starting with 0: the shape of a ticket, check digit NOT verified,
 * so that a mistyped ticket still reaches CEK and gets "nomor tiket salah"
 * rather than "perintah tidak dikenal". Phone numbers (start with 0 or are
 * 11+ digits) and NIKs (16 digits) never look like tickets. */
int ticket_looks_like(const char *word);

/* The Damm check digit ('0'..'9') of the ASCII digits digits[0..n), for tests
 * and tools; -1 if a byte is not a digit. */
int ticket_check_digit(const char *digits, size_t n);

#endif
