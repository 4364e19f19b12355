/*
 * libFuzzer target for handlers/privacy. Any bytes go through privacy_mask with a buffer
 * big enough and with a buffer size taken from the input, and through privacy_has_nik.
 *
 * The property (privacy.h), checked by an oracle written apart from the code under test
 * (its own UTF-8 decoder and its own copy of the Unicode digit table):
 *   Take the text as characters (strict UTF-8; an ill-formed byte is one character). A
 *   digit is a Unicode decimal digit (Nd), a letter an ASCII letter, anything else a
 *   separator (a star included). A chain is a run of digits where every two neighbouring
 *   digits have between them only separators, at most PRIVACY_JOIN_MAX of them.
 *   P1. No chain of the output holds PRIVACY_DIGITS (16) digits or more. So however a NIK
 *       is separated (slashes, newlines, several spaces, full-width digits, ...), its 16
 *       digits never reach an SMS, a log line or an API answer.
 *   P2. A chain of the input with 16 digits or more leaves at most PRIVACY_KEEP (4) digits
 *       in the output (counted over the whole text: the output holds exactly the digits of
 *       the chains left alone plus 4 per masked chain, a 15-digit chain being either).
 * And the contract around it:
 *   - the output is NUL-terminated inside the buffer, its length is the return value,
 *     never longer than the input nor than the buffer allows;
 *   - letters are never touched: the output with digits and stars taken out is the input
 *     with digits and stars taken out, less some separators (those inside masked chains);
 *   - masking twice changes nothing more (the 4 digits kept sit after 11+ stars);
 *   - privacy_has_nik is 1 exactly when the output differs from the input, and then
 *     privacy_may_mask is 1 too;
 *   - a short buffer gives a prefix of the full output, cut at a UTF-8 boundary when the
 *     input is valid UTF-8, and P1 holds for it too.
 * The input is copied to a heap buffer of its exact size so AddressSanitizer sees any read
 * past the NUL, and the output buffers are heap buffers of their exact size.
 *
 * Run against the code before this property was written (masking only groups joined by
 * spaces, dots, dashes and tabs, ASCII digits only), the seed "3325/0101/0101/0002"
 * (corpus/privacy/nik_slashes) trapped at once on P1, and so did fresh inputs found from
 * the old seeds alone within a second.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/privacy.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#define BAD 0xFFFFFFFFu

/* The oracle's own copy of the zeros of the Nd runs (Unicode 14). */
static const uint32_t zeros[] = {
    0x30,    0x660,   0x6F0,   0x7C0,   0x966,   0x9E6,   0xA66,   0xAE6,   0xB66,   0xBE6,
    0xC66,   0xCE6,   0xD66,   0xDE6,   0xE50,   0xED0,   0xF20,   0x1040,  0x1090,  0x17E0,
    0x1810,  0x1946,  0x19D0,  0x1A80,  0x1A90,  0x1B50,  0x1BB0,  0x1C40,  0x1C50,  0xA620,
    0xA8D0,  0xA900,  0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x10D30, 0x11066,
    0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0,
    0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2,
    0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
};

static int is_digit(uint32_t cp)
{
    for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++)
        if (cp >= zeros[i] && cp < zeros[i] + 10)
            return 1;
    return 0;
}

static int is_letter(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

/* Strict UTF-8: the length of the character at s[i] (< n), its code point or BAD. */
static size_t decode(const unsigned char *s, size_t i, size_t n, uint32_t *cp)
{
    unsigned char c = s[i];
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    *cp = BAD;
    if (len == 0 || i + len > n)
        return 1;
    uint32_t v = len == 1 ? c : len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
    for (size_t k = 1; k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80)
            return 1;
        v = (v << 6) | (s[i + k] & 0x3Fu);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 1;
    *cp = v;
    return len;
}

struct digitseq {
    size_t digits, group;
    int phone, head[3];
};

static void end_group(struct digitseq *c)
{
    if (c->group >= 10 && c->group <= 14 &&
        ((c->head[0] == 0 && c->head[1] == 8) ||
         (c->head[0] == 6 && c->head[1] == 2 && c->head[2] == 8)))
        c->phone = 1;
    c->group = 0;
}

/* The chains of text[0, n): calls fn(arg, digits, phone) for each; phone says whether one
 * of its groups (digits with nothing between them) is 10-14 digits starting 08 or 628. */
static void chains(const char *text, size_t n, void (*fn)(void *, size_t, int), void *arg)
{
    const unsigned char *s = (const unsigned char *)text;
    struct digitseq c = {0};
    size_t gap = 0, i = 0;
    int open = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = decode(s, i, n, &cp);
        i += len;
        if (cp != BAD && is_digit(cp)) {
            if (open && gap > PRIVACY_JOIN_MAX) {
                end_group(&c);
                fn(arg, c.digits, c.phone);
                open = 0;
            }
            if (!open)
                memset(&c, 0, sizeof c);
            else if (gap > 0)
                end_group(&c);
            open = 1;
            gap = 0;
            int value = 0;
            for (size_t z = 0; z < sizeof zeros / sizeof zeros[0]; z++)
                if (cp >= zeros[z] && cp < zeros[z] + 10)
                    value = (int)(cp - zeros[z]);
            if (c.group < 3)
                c.head[c.group] = value;
            c.group++;
            c.digits++;
        } else if (open) {
            if (cp != BAD && is_letter(cp)) {
                end_group(&c);
                fn(arg, c.digits, c.phone);
                open = 0;
            } else {
                gap++;
            }
        }
    }
    if (open) {
        end_group(&c);
        fn(arg, c.digits, c.phone);
    }
}

static void longest(void *arg, size_t digits, int phone)
{
    size_t *best = arg;
    if (digits > *best)
        *best = digits;
}

struct budget {
    size_t lo, hi; /* digits the output may hold */
};

static void budget(void *arg, size_t digits, int phone)
{
    struct budget *b = arg;
    if (digits >= PRIVACY_DIGITS) {
        b->lo += PRIVACY_KEEP;
        b->hi += PRIVACY_KEEP;
    } else if (digits == PRIVACY_DIGITS - 1) {
        b->lo += phone ? digits : PRIVACY_KEEP;
        b->hi += digits;
    } else {
        b->lo += digits;
        b->hi += digits;
    }
}

static size_t longest_chain(const char *s, size_t n)
{
    size_t best = 0;
    chains(s, n, longest, &best);
    return best;
}

static size_t count_digits(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, d = 0;
    while (i < n) {
        uint32_t cp;
        i += decode(s, i, n, &cp);
        d += cp != BAD && is_digit(cp);
    }
    return d;
}

static int utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += decode(s, i, n, &cp);
        if (cp == BAD)
            return 0;
    }
    return 1;
}

/* The text without its digits and stars, as a fresh string. */
static char *skeleton(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    char *out = malloc(n + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = decode(s, i, n, &cp);
        if (!(cp != BAD && is_digit(cp)) && s[i] != '*')
            memcpy(out + o, s + i, len), o += len;
        i += len;
    }
    out[o] = '\0';
    return out;
}

/* Letters untouched: the output's skeleton is the input's with separators left out. */
static int keeps_letters(const char *in, size_t n, const char *out, size_t m)
{
    char *a = skeleton(in, n), *b = skeleton(out, m);
    int ok = 1;
    if (a && b) {
        const char *p = a;
        for (const char *q = b; *q && ok; q++) {
            while (*p && *p != *q && !is_letter((unsigned char)*p))
                p++;
            ok = *p == *q;
            if (ok)
                p++;
        }
        for (; *p && ok; p++)
            ok = !is_letter((unsigned char)*p);
    }
    free(a);
    free(b);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);

    char *full = malloc(len + 1);
    if (!full) {
        free(text);
        return 0;
    }
    size_t n = privacy_mask(text, full, len + 1);
    CHECK(n <= len && full[n] == '\0' && strlen(full) == n);
    /* P1 */
    CHECK(longest_chain(full, n) < PRIVACY_DIGITS);
    /* P2 */
    struct budget b = {0, 0};
    chains(text, len, budget, &b);
    size_t kept = count_digits(full, n);
    CHECK(kept >= b.lo && kept <= b.hi);
    int has = privacy_has_nik(text);
    CHECK(has == (n != len || memcmp(full, text, n) != 0));
    CHECK(!has || privacy_may_mask(text)); /* the quick test never misses one */
    CHECK(keeps_letters(text, len, full, n));
    char *again = malloc(n + 1);
    if (again) {
        CHECK(privacy_mask(full, again, n + 1) == n && memcmp(again, full, n) == 0);
        free(again);
    }

    /* a buffer size from the input: a prefix, cut at a character boundary */
    size_t cap = size ? (size_t)data[0] % (len + 2) : 0;
    char *part = malloc(cap ? cap : 1);
    if (part) {
        size_t m = privacy_mask(text, part, cap);
        if (cap == 0) {
            CHECK(m == 0);
        } else {
            CHECK(m < cap && part[m] == '\0' && m <= n);
            CHECK(memcmp(part, full, m) == 0);
            CHECK(longest_chain(part, m) < PRIVACY_DIGITS);
            if (utf8_valid(text, len))
                CHECK(utf8_valid(part, m));
            if (m + 4 < cap) /* nothing dropped while 4+ bytes were free */
                CHECK(m == n);
        }
        free(part);
    }
    free(full);
    free(text);
    return 0;
}
