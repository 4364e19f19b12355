/* privacy — masking NIK and KK numbers in text before it is stored in a log line or sent.
 *
 *   1. Before logging or echoing a resident's text:
 *        char safe[N]; privacy_mask(text, safe, sizeof safe);
 *      safe needs at most strlen(text) + 1 bytes: masking never lengthens.
 *   2. privacy_has_nik(text) says whether it would change anything (to warn
 *      a resident "jangan kirim NIK lewat SMS", or to count occurrences).
 *
 * A NIK or KK number is 16 digits (the first 4 the regency, 3325 for Batang,
 * but any 16 digits are masked). What is masked, with the last 4 digits kept
 * and the rest replaced by '*' ("NIK 3325 0101 0101 0001" becomes
 * "NIK ************0001"; separators inside the masked number are dropped):
 *   - every run of 15 or more consecutive digits (a NIK, a NIK with a digit
 *     missing or doubled, two numbers glued together), whatever is around it;
 *   - groups of digits joined by 1 to 3 spaces, dots, dashes or tabs
 *     ("3325 0101 0101 0001", "3325.0101.0101.0001", "332501-0101010001")
 *     whose digits add up to exactly 16, or to 15 or 17 (typos) unless one
 *     of the groups is a phone number by itself (10-14 digits starting 08 or
 *     628: "RT 003 081234567890" keeps the phone number).
 * When such stretches overlap ("2024 3325 0101 0101 0001") the whole span is
 * masked as one, keeping only its last 4 digits. No output ever holds more
 * than 14 consecutive digits, nor 8 consecutive original digits of a masked
 * number.
 *
 * Left alone: phone numbers however written ("0812-3456-7890", "+62 812 3456
 * 7890": at most 14 digits), ticket numbers (6-10 digits), dates, amounts,
 * and digits separated by anything else (a word, a comma, a slash). Only
 * ASCII digits count. Digits that cannot be told apart from a NIK (a phone
 * number glued by a single space to a 4-digit number: 16 digits) are masked:
 * leaking a NIK is worse than hiding part of a phone number. */
#ifndef KT_PRIVACY_H
#define KT_PRIVACY_H

#include <stddef.h>

#define PRIVACY_KEEP 4 /* last digits of a masked number left visible */

/* Copies text (NULL is "") into out, masking as above. out is always
 * NUL-terminated when outlen > 0; when it is too small the output is cut at a
 * UTF-8 character boundary (the cut output is a prefix of the full one, so it
 * never shows more). Returns the bytes written, NUL excluded. */
size_t privacy_mask(const char *text, char *out, size_t outlen);

/* 1 when privacy_mask would mask something in text, else 0. */
int privacy_has_nik(const char *text);

#endif
