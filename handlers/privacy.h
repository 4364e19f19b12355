/* privacy — masking NIK and KK numbers in text before it is stored in a log line or sent.
 *
 *   1. Before logging or echoing a resident's text:
 *        char safe[N]; privacy_mask(text, safe, sizeof safe);
 *      safe needs at most strlen(text) + 1 bytes: masking never lengthens.
 *   2. privacy_has_nik(text) says whether it would change anything (to warn
 *      a resident "jangan kirim NIK lewat SMS", or to refuse a broadcast).
 *
 * A NIK or KK number is 16 digits (the first 4 the regency, 3325 for Batang,
 * but any 16 digits are masked), and residents write them every way there is:
 * "3325/0101/0101/0002", "3325 0101  0101 0002", "3325_0101_0101_0002", one
 * group per line, in full-width digits from a phone's CJK keyboard. So:
 *
 *   - a digit is any Unicode decimal digit (category Nd: ASCII 0-9, full-width
 *     U+FF10..U+FF19, Arabic-Indic, Javanese, ... 66 scripts);
 *   - a letter is an ASCII letter; every other character (space, newline,
 *     punctuation, a symbol, an emoji, a non-ASCII letter, a byte that is not
 *     UTF-8) is a separator;
 *   - a chain is a sequence of digit groups where each gap between two groups
 *     is 1 to PRIVACY_JOIN_MAX separators (no letter);
 *   - a chain of PRIVACY_DIGITS (16) digits or more is masked, whatever its
 *     groups; so is a chain of 15 (a NIK with a digit missing) unless one of
 *     its groups is a phone number by itself (10-14 digits starting 08 or 628:
 *     "RT 003 081234567890" keeps the phone number);
 *   - a masked chain is written as stars for all its digits but the last
 *     PRIVACY_KEEP, which are written as ASCII digits; the separators inside
 *     it are dropped ("NIK 3325/0101/0101/0001" becomes "NIK ************0001").
 *
 * The promise, which tests/fuzz/fuzz_privacy.c checks on any input: in the
 * output, no chain (counted the same way, a star being a separator) holds 16
 * digits or more, and a masked chain shows at most its last 4 digits.
 *
 * Left alone: phone numbers however written ("0812-3456-7890", "+62 812 3456
 * 7890": at most 14 digits), ticket numbers (6-10 digits), dates, amounts,
 * and digits with a word between them. What this costs: numbers that follow
 * each other with nothing but up to PRIVACY_JOIN_MAX separators between
 * them are one chain, so a phone number followed by a date or by another
 * phone number ("0285-391234 / 081234567890", 22 digits) is masked as one
 * whole (only its last 4 digits stay). That is deliberate: such a chain cannot
 * be told apart from a NIK written with the same separators, and leaking a
 * NIK is worse than hiding a phone number in a complaint text (the sender's
 * own number is kept apart from the text). A word between them ("0285-391234
 * atau 0812...") keeps both. Letters that stand for digits ("O" for 0) are
 * letters. */
#ifndef KT_PRIVACY_H
#define KT_PRIVACY_H

#include <stddef.h>

#define PRIVACY_KEEP     4  /* last digits of a masked number left visible */
#define PRIVACY_DIGITS   16 /* digits of a NIK or KK number: a chain this long is masked */
#define PRIVACY_JOIN_MAX 4  /* separators (characters) that still join two digit groups */

/* Copies text (NULL is "") into out, masking as above. out is always
 * NUL-terminated when outlen > 0; when it is too small the output is cut at a
 * UTF-8 character boundary (the cut output is a prefix of the full one, so it
 * never shows more). Returns the bytes written, NUL excluded. */
size_t privacy_mask(const char *text, char *out, size_t outlen);

/* 1 when privacy_mask would mask something in text, else 0. */
int privacy_has_nik(const char *text);

/* A quick test for hot paths: 0 when privacy_mask surely leaves text as it is (ASCII where
 * no stretch between two letters holds PRIVACY_DIGITS - 1 digits), else 1 (then mask, or
 * ask privacy_has_nik). One pass, no decoding: most screens and menus answer 0. */
int privacy_may_mask(const char *text);

/* The value 0-9 of a Unicode decimal digit (category Nd), else -1. */
int privacy_digit_value(unsigned long cp);

#endif
