/* phone — normalise a sender or recipient number where it enters the system.
 *
 *   char num[PHONE_MAX];
 *   if (phone_normalise(raw, num, sizeof num) == PHONE_MOBILE)
 *       ... num is "628..." and may be stored, compared and replied to ...
 *
 * Everything past the edge stores and compares normalised numbers only
 * (DESIGN.md section 5). Alphanumeric senders and short codes are operators,
 * banks and promotions: they never get an automatic reply (section 4). */
#ifndef KT_PHONE_H
#define KT_PHONE_H

#include <stddef.h>

/* Size of a buffer that holds any result: "628" + 11 digits, an alphanumeric
 * sender name (trimmed to PHONE_ALPHA_MAX) or a short code, plus the NUL. */
#define PHONE_MAX 24
/* Longest alphanumeric sender kept in out (GSM allows 11 characters). */
#define PHONE_ALPHA_MAX 20
/* Longest raw input looked at; anything longer is PHONE_INVALID. */
#define PHONE_INPUT_MAX 40

enum phone_kind { PHONE_MOBILE, PHONE_SHORTCODE, PHONE_ALPHA, PHONE_INVALID };

/* Normalises in (NUL-terminated, any bytes) into out (outlen bytes):
 *   PHONE_MOBILE     out = "628..." (628[1-35-9] + 7..10 digits). Accepts
 *                    +62 / 0062 / 62 / 0 / 8 prefixes and "+62 (0)8...";
 *                    spaces, tabs, '-', '.', '(', ')' and a leading '+' are
 *                    ignored.
 *   PHONE_SHORTCODE  out = the 3..6 digits ("3636", "888"), no '+'.
 *   PHONE_ALPHA      the input has an ASCII letter ("TELKOMSEL", "Info-XL");
 *                    out = the name trimmed, cut to PHONE_ALPHA_MAX bytes,
 *                    bytes outside printable ASCII replaced by '?' (safe to log).
 *   PHONE_INVALID    NULL, empty, landline, foreign, too short/long, junk, or a
 *                    result that does not fit out; out = "".
 * Never reads past in's NUL nor past PHONE_INPUT_MAX + 1 bytes of it, never
 * writes more than outlen bytes; out is always NUL-terminated when outlen > 0. */
enum phone_kind phone_normalise(const char *in, char *out, size_t outlen);

/* "mobile", "shortcode", "alpha", "invalid" (for logs). */
const char *phone_kind_name(enum phone_kind kind);

#endif
