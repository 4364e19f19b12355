/* apiparse — the admin API's small text inputs, checked once at the edge:
 * request paths, the Authorization header, whole numbers in a query, UTF-8,
 * times given to kentongan-ctl. Pure functions: no allocation, no I/O.
 *
 *   char seg[APIPARSE_SEGS_MAX][APIPARSE_SEG_MAX];
 *   int n = apiparse_split("/api/complaints/100014/answer", seg, APIPARSE_SEGS_MAX);
 *   if (apiparse_match("/api/complaints/x/answer", seg, n, args, &nargs)) ...
 *
 * A pattern segment "*" matches any one segment (its index goes into args). */
#ifndef KT_APIPARSE_H
#define KT_APIPARSE_H

#include <stddef.h>

#define APIPARSE_SEGS_MAX  8   /* segments of a path */
#define APIPARSE_SEG_MAX   128 /* bytes of one decoded segment, NUL included */
#define APIPARSE_TOKEN_MAX 256 /* bytes of a bearer token, NUL included */

/* Splits an absolute, percent-encoded path into decoded segments ("/a/b%20c"
 * -> "a", "b c"); one trailing '/' is ignored. Returns the number of
 * segments, or -1 for a path that is not absolute, has an empty segment
 * ("//"), a bad or NUL escape, a decoded '/' or control character, more than
 * max segments or a segment longer than APIPARSE_SEG_MAX - 1 bytes. */
int apiparse_split(const char *path, char seg[][APIPARSE_SEG_MAX], int max);

/* 1 when the n segments match pattern ("/api/complaints/x/forward", '*'
 * matching one segment); the indexes of the segments matched by '*' go into
 * args (at most APIPARSE_SEGS_MAX), their number into *nargs. 0 otherwise. */
int apiparse_match(const char *pattern, char seg[][APIPARSE_SEG_MAX], int n, int *args, int *nargs);

/* The token of "Bearer TOKEN" (scheme in any case, RFC 6750 token
 * characters) copied into token. 0, or -1 when header is not that shape. */
int apiparse_bearer(const char *header, char *token, size_t len);

/* A whole decimal number lo..hi, nothing else ("12", not " 12", "1e3", "0x1").
 * 0 and *out set, or -1. */
int apiparse_long(const char *text, long lo, long hi, long *out);

/* 1 when s is well-formed UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF: what JSON strings may hold), else 0. */
int apiparse_utf8(const char *s);

/* 64 hex digits into 32 bytes; 0 or -1. */
int apiparse_hex32(const char *hex, unsigned char out[32]);

/* A time for kentongan-ctl: unix seconds ("1767225600"), or a date and time
 * in WIB ("2026-12-01 08:00", "2026-12-01T08:00:30"), or the same with a
 * "Z" or "+HH:MM" / "-HH:MM" offset. 0 and *out (unix seconds) set, or -1. */
int apiparse_time(const char *text, long long *out);

#endif
