/* privacy — masking NIK and KK numbers (see privacy.h for what is masked and why).
 *
 * Residents put their NIK in complaints ("NIK saya 3325010101010001, KTP
 * belum jadi"), copy it from the card with the spaces the card prints, type
 * it in groups as it is dictated, with whatever the keypad offers between the
 * groups (a slash, an underscore, a new line), or in full-width digits when
 * the phone's keyboard is a CJK one. DESIGN.md forbids echoing one whole in an
 * SMS, a log line or an API answer, however it is written, so every text that
 * leaves for a log or an answer goes through privacy_mask (and the log, the
 * router's replies and the API's answers pass everything through it once more
 * as a last line of defence).
 *
 * How it works: one pass over the text, decoding UTF-8 strictly (an ill-formed
 * byte is one separator character). At each digit a chain starts; it is
 * walked group by group, looking at most PRIVACY_JOIN_MAX characters past a
 * group for the next one, while counting its digits and noting whether a
 * group is a phone number by itself. A chain to be masked is written again as
 * stars and its last PRIVACY_KEEP digits; everything else is copied byte for
 * byte. Each character is decoded a bounded number of times (a chain is walked
 * twice when masked; the look-ahead past a chain's end is at most
 * PRIVACY_JOIN_MAX characters), so the cost is linear; nothing is allocated.
 *
 * Why the whole chain and not each 16-digit stretch of it: a star is a
 * separator too, so stars and the digits kept around them would join into a
 * chain again ("081234567890 ****0002" still reads as 16 digits); masking the
 * chain as one leaves its last 4 digits after at least 11 stars, which no
 * chain crosses. The promise in privacy.h follows: an unmasked chain has at
 * most 15 digits, and a masked one leaves 4. */
#include "handlers/privacy.h"

#include "gateway/textsafe.h"

#include <stdint.h>
#include <string.h>

#define NIK_MIN   15 /* a NIK with a digit missing: masked unless it holds a phone number */
#define PHONE_MIN 10 /* digits of a phone number written as one group */
#define PHONE_MAX 14
#define BAD_CP    TEXTSAFE_BAD /* an ill-formed byte */

/* The zero of every run of ten Unicode decimal digits (category Nd, Unicode
 * 14), ascending. Every Nd character is zero + value for one of these. */
static const uint32_t nd_zeros[] = {
    0x30,    0x660,   0x6F0,   0x7C0,   0x966,   0x9E6,   0xA66,   0xAE6,   0xB66,   0xBE6,
    0xC66,   0xCE6,   0xD66,   0xDE6,   0xE50,   0xED0,   0xF20,   0x1040,  0x1090,  0x17E0,
    0x1810,  0x1946,  0x19D0,  0x1A80,  0x1A90,  0x1B50,  0x1BB0,  0x1C40,  0x1C50,  0xA620,
    0xA8D0,  0xA900,  0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x10D30, 0x11066,
    0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0,
    0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2,
    0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
};

int privacy_digit_value(unsigned long cp)
{
    if (cp >= '0' && cp <= '9')
        return (int)(cp - '0');
    if (cp < 0x660 || cp > 0x1FBF9)
        return -1;
    /* the last zero not above cp */
    size_t lo = 0, hi = sizeof(nd_zeros) / sizeof(nd_zeros[0]);
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (nd_zeros[mid] <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return cp - nd_zeros[lo] < 10 ? (int)(cp - nd_zeros[lo]) : -1;
}

static int is_letter(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

/* The digit value of the character at s[i] (its length in *len), or -1. */
static int digit_at(const unsigned char *s, size_t i, size_t *len)
{
    uint32_t cp;
    *len = textsafe_decode(s + i, &cp);
    return cp == BAD_CP ? -1 : privacy_digit_value(cp);
}

struct chain {
    size_t start, end; /* bytes [start, end): first digit to just past the last */
    size_t digits;
    int phone; /* one of its groups is a phone number by itself */
};

/* Walks the chain whose first digit is at s[start]. */
static void walk_chain(const unsigned char *s, size_t start, struct chain *c)
{
    size_t i = start, len;
    c->start = start;
    c->digits = 0;
    c->phone = 0;
    for (;;) {
        /* one group */
        size_t n = 0;
        int first[3] = {-1, -1, -1}, d;
        while ((d = digit_at(s, i, &len)) >= 0) {
            if (n < 3)
                first[n] = d;
            n++;
            i += len;
        }
        c->digits += n;
        c->end = i;
        if (n >= PHONE_MIN && n <= PHONE_MAX &&
            ((first[0] == 0 && first[1] == 8) || (first[0] == 6 && first[1] == 2 && first[2] == 8)))
            c->phone = 1;
        /* the gap: 1 to PRIVACY_JOIN_MAX separators, then a digit */
        size_t gap = 0, j = i;
        for (;;) {
            uint32_t cp;
            if (s[j] == '\0')
                return;
            size_t l = textsafe_decode(s + j, &cp);
            if (cp != BAD_CP && privacy_digit_value(cp) >= 0)
                break;
            if (is_letter(cp) || ++gap > PRIVACY_JOIN_MAX)
                return;
            j += l;
        }
        i = j;
    }
}

/* Bounded output. out == NULL: only count masked chains (privacy_has_nik). */
struct writer {
    char *out;
    size_t cap, n; /* cap includes the NUL */
    int full;
    int masked;
};

static void put(struct writer *w, const unsigned char *p, size_t len)
{
    if (!w->out || w->full)
        return;
    if (w->n + len >= w->cap) {
        w->full = 1;
        return;
    }
    memcpy(w->out + w->n, p, len);
    w->n += len;
}

/* Copies s[from, to) character by character, so a cut falls between UTF-8
 * characters (a stray byte is a character of its own). */
static void copy(struct writer *w, const unsigned char *s, size_t from, size_t to)
{
    while (from < to && !w->full) {
        size_t len = 1;
        if (s[from] >= 0xC0) {
            size_t want = s[from] >= 0xF0 ? 4 : s[from] >= 0xE0 ? 3 : 2;
            while (len < want && from + len < to && (s[from + len] & 0xC0) == 0x80)
                len++;
        }
        put(w, s + from, len);
        from += len;
    }
}

/* Writes the chain as stars and its last PRIVACY_KEEP digits in ASCII. */
static void mask(struct writer *w, const unsigned char *s, const struct chain *c)
{
    size_t stars = c->digits - PRIVACY_KEEP, seen = 0, len;
    w->masked++;
    for (size_t i = c->start; i < c->end; i += len) {
        int d = digit_at(s, i, &len);
        if (d < 0)
            continue;
        unsigned char ch = seen++ < stars ? '*' : (unsigned char)('0' + d);
        put(w, &ch, 1);
    }
}

static void scan(const unsigned char *s, struct writer *w)
{
    size_t i = 0, done = 0, len; /* s[0, done) has been written */

    while (s[i]) {
        if (s[i] < 0x80 && !(s[i] >= '0' && s[i] <= '9')) { /* the common case */
            i++;
            continue;
        }
        if (digit_at(s, i, &len) < 0) {
            i += len;
            continue;
        }
        struct chain c;
        walk_chain(s, i, &c);
        if (c.digits >= PRIVACY_DIGITS || (c.digits >= NIK_MIN && !c.phone)) {
            copy(w, s, done, c.start);
            mask(w, s, &c);
            done = c.end;
        }
        i = c.end;
    }
    copy(w, s, done, i);
}

size_t privacy_mask(const char *text, char *out, size_t outlen)
{
    struct writer w = {out, outlen, 0, 0, 0};

    if (!out || outlen == 0)
        return 0;
    scan((const unsigned char *)(text ? text : ""), &w);
    out[w.n] = '\0';
    return w.n;
}

/* Chains never hold a letter and a masked one has at least PRIVACY_DIGITS - 1
 * digits; a non-ASCII byte may be (part of) a digit of another script. */
int privacy_may_mask(const char *text)
{
    int digits = 0;
    if (!text)
        return 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p >= 0x80)
            return 1;
        if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
            digits = 0;
        else if (*p >= '0' && *p <= '9' && ++digits >= PRIVACY_DIGITS - 1)
            return 1;
    }
    return 0;
}

int privacy_has_nik(const char *text)
{
    struct writer w = {NULL, 0, 0, 0, 0};

    if (!text)
        return 0;
    scan((const unsigned char *)text, &w);
    return w.masked > 0;
}
