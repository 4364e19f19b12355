/*
 * codec — text <-> SMS conversions for the modem workers.
 *
 * Pure functions: no I/O, no allocation, no global state; safe from any thread.
 * Outbound recipe:
 *   1. codec_utf8_sanitize() at the edge (HTTP body, handler reply) -> valid UTF-8;
 *   2. optionally codec_gsm_fold() so typographic quotes/dashes do not force UCS-2;
 *   3. codec_plan() -> coding, units and part count (bill/refuse before sending);
 *   4. codec_split() -> byte slices of the text, one per SMS part;
 *   5. codec_utf8_to_ucs2() per slice -> libgammu's GSM_SMSMessage.Text.
 * Inbound: codec_ucs2_to_utf8() on GSM_SMSMessage.Text (Length units), codec_hex() for
 * 8-bit data. None of this depends on libgammu or on the locale.
 */
#ifndef KENTONGAN_CODEC_H
#define KENTONGAN_CODEC_H

#include <stddef.h>

/* The gateway's limit on parts for one outgoing message. */
#define CODEC_MAX_PARTS 10

/* Per-part capacity: single SMS, and each part of a concatenated one (6-byte UDH). */
#define CODEC_GSM7_SINGLE 160
#define CODEC_GSM7_MULTI  153
#define CODEC_UCS2_SINGLE 70
#define CODEC_UCS2_MULTI  67

enum codec_coding { CODEC_GSM7, CODEC_UCS2 };

struct codec_plan {
    enum codec_coding coding;
    int units;    /* septets (extension chars count 2) or UTF-16 code units */
    int parts;    /* >= 1; an empty text is 1 part of 0 units */
    int per_part; /* 160/153 (GSM-7) or 70/67 (UCS-2) */
};

/* One SMS part: bytes [offset, offset + len) of the UTF-8 text, worth `units` units. */
struct codec_part {
    size_t offset;
    size_t len;
    int units;
};

/* Copies `in` to `out` as valid UTF-8: ill-formed sequences (overlong, surrogates, above
 * U+10FFFF, truncated) become U+FFFD; NUL, C0 controls other than \n \r \t, DEL and C1
 * controls (U+0080..U+009F) are dropped.
 * Stops before a code point that does not fit; always NUL-terminates when outlen > 0.
 * Returns bytes written, excluding the NUL. */
size_t codec_utf8_sanitize(const char *in, size_t inlen, char *out, size_t outlen);

/* Replaces typographic characters with GSM 03.38 equivalents (’ ‘ ´ ` -> ', “ ” « » -> ",
 * – — − -> -, … -> ..., no-break and other Unicode spaces and tab -> space; zero-width
 * space, word joiner, BOM and soft hyphen dropped); copies everything else unchanged.
 * The output is never longer than the input, so outlen = strlen(utf8) + 1 always suffices.
 * Stops before a code point that does not fit; always NUL-terminates when outlen > 0.
 * Returns bytes written, excluding the NUL. Expects valid UTF-8 (ill-formed bytes are
 * copied through as they are). */
size_t codec_gsm_fold(const char *utf8, char *out, size_t outlen);

/* Chooses GSM-7 or UCS-2 for the NUL-terminated text and counts units and parts (parts as
 * codec_split will cut them). Returns 0, or -1 if the text is not valid UTF-8 or is over
 * INT_MAX / 2 bytes long. */
int codec_plan(const char *utf8, struct codec_plan *p);

/* Cuts the text planned by codec_plan into at most max_parts slices, packing each part to
 * the full p->per_part but never splitting a character (an extension char's two septets or
 * a surrogate pair stay together). Returns the number of parts, or -1 if more than
 * max_parts are needed or the text is not the one the plan was made for (wrong coding,
 * units or part count). parts[] must hold max_parts entries; nothing past them is written. */
int codec_split(const char *utf8, const struct codec_plan *p, struct codec_part *parts,
                int max_parts);

/* UTF-16BE (nunits units, as in GSM_SMSMessage.Text) -> UTF-8. Surrogate pairs are
 * combined, lone surrogates become U+FFFD, NUL units are dropped. Stops before a code point
 * that does not fit; always NUL-terminates when outlen > 0. Returns bytes written. */
size_t codec_ucs2_to_utf8(const unsigned char *be, size_t nunits, char *out, size_t outlen);

/* UTF-8 -> UTF-16BE followed by two zero bytes (outlen in bytes). Returns the units written,
 * excluding the terminator, or -1 if it does not fit or the input is not valid UTF-8 (then
 * out holds an empty string when outlen >= 2). */
int codec_utf8_to_ucs2(const char *utf8, unsigned char *out, size_t outlen);

/* How codec_ussd_text read a USSD answer. */
enum codec_ussd {
    CODEC_USSD_TEXT,        /* as libgammu decoded it */
    CODEC_USSD_UCS2_HEX,    /* it was UCS-2 written in hex, left undecoded */
    CODEC_USSD_GSM7_PACKED, /* it was GSM 7-bit packed octets (what ENCODED_USSD expects) */
    CODEC_USSD_UNREADABLE,  /* none of these reads as text: out holds the units in hex */
};

/* A USSD answer as libgammu hands it (GSM_USSDMessage.Text, nunits UTF-16BE units) -> UTF-8
 * to show, repairing what a modem in another character set than libgammu assumed did to it:
 * a string of hex digits that reads as UCS-2 or as packed GSM 7-bit text, or units that are
 * really packed GSM 7-bit octets (which come out as CJK or private-use characters). Controls
 * other than \n \r \t are dropped. Stops before a code point that does not fit; always
 * NUL-terminates when outlen > 0. Looks at the first CODEC_USSD_UNITS units only. */
#define CODEC_USSD_UNITS 1000
enum codec_ussd codec_ussd_text(const unsigned char *be, size_t nunits, char *out, size_t outlen);

/* Writes in[0..n) as uppercase hex, whole bytes only, NUL-terminated when outlen > 0
 * (outlen = 2n + 1 holds it all). Returns the characters written, excluding the NUL. */
size_t codec_hex(const unsigned char *in, size_t n, char *out, size_t outlen);

#endif
