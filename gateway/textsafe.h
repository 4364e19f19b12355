/* textsafe — text from outside made harmless: filtered where it comes in, escaped where it
 * is printed.
 *
 *   1. At each edge where text enters (the modem worker's SMS text and sender, the USSD
 *      endpoint's form, the admin API's texts, an imported CSV's notes):
 *        textsafe_clean(text);            in place, never longer
 *        textsafe_clean_line(sender);     the same, line breaks removed too
 *   2. Wherever a string from outside is printed for a person (a log line, a terminal):
 *        char out[6 * N + 1]; textsafe_escape(text, out, sizeof out, TEXTSAFE_QUOTES);
 *
 * What goes on ingest: C0 controls (ESC, BEL, NUL...) except the line break, DEL, C1
 * controls (U+0080..U+009F: a terminal may read U+009B as CSI) and the bidirectional
 * embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), which reorder what
 * a terminal or a browser shows ("Trojan Source"). A CR LF or a lone CR becomes LF, a tab a
 * space. The left-to-right and right-to-left marks (U+200E, U+200F, U+061C) stay: they
 * reorder nothing beyond the neutral character next to them, and Arabic script needs them.
 *
 * What is escaped on print: the same characters plus LF, CR and tab, so a value never
 * splits a line: "\n", "\r", "\t", "\u001b", "\u0085", "\u202e"; a byte that is not UTF-8
 * as "\xff" (or "\ufffd" with TEXTSAFE_JSON, which keeps the output a valid JSON string
 * body); with TEXTSAFE_QUOTES also '"' and '\' as "\"" and "\\". */
#ifndef KT_TEXTSAFE_H
#define KT_TEXTSAFE_H

#include <stddef.h>
#include <stdint.h>

#define TEXTSAFE_QUOTES 1           /* escape '"' and '\' too (a quoted value) */
#define TEXTSAFE_JSON   2           /* a byte that is not UTF-8 becomes "\ufffd", not "\xNN" */
#define TEXTSAFE_GROWTH 6           /* escaping makes a text at most this many times longer */
#define TEXTSAFE_BAD    0xFFFFFFFFu /* textsafe_decode: an ill-formed byte */

/* Strict UTF-8 decoding of the character at s (NUL-terminated): its length in bytes (>= 1)
 * and *cp, TEXTSAFE_BAD for an ill-formed byte (overlong, surrogate, above U+10FFFF,
 * truncated). Never reads past the NUL. */
size_t textsafe_decode(const unsigned char *s, uint32_t *cp);

/* Filters s in place as above; a byte that is not UTF-8 becomes '?'. Returns the new
 * length. s may be NULL (returns 0). */
size_t textsafe_clean(char *s);

/* The same for a one-line field (a sender's number or name): line breaks go too. */
size_t textsafe_clean_line(char *s);

/* 1 when textsafe_clean would leave s as it is. */
int textsafe_is_clean(const char *s);

/* Writes s (NULL is "") escaped as above into out; stops before an escape or a character
 * that does not fit, so out is never cut inside one. out is NUL-terminated when outlen > 0;
 * TEXTSAFE_GROWTH * strlen(s) + 1 bytes always suffice. Returns the bytes written. */
size_t textsafe_escape(const char *s, char *out, size_t outlen, int flags);

#endif
