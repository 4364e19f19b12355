/*
 * libFuzzer target for handlers/privacy. Any bytes go through privacy_mask with a buffer
 * big enough and with a buffer size taken from the input, and through privacy_has_nik.
 * Every promise of privacy.h is checked with a trap:
 *   - the output is NUL-terminated inside the buffer, its length is the return value, never
 *     longer than the input nor than the buffer allows;
 *   - no run of 15 or more ASCII digits survives (so no NIK, whole or with a typo);
 *   - a short buffer gives a prefix of the full output, cut at a UTF-8 boundary when the
 *     input is valid UTF-8;
 *   - privacy_has_nik is 1 exactly when the output differs from the input;
 *   - bytes that are not digits are never turned into stars or dropped unless masked: the
 *     output, with stars and digits taken out, is the input with digits and the separators
 *     inside masked numbers taken out.
 * The input is copied to a heap buffer of its exact size so AddressSanitizer sees any read
 * past the NUL, and the output buffers are heap buffers of their exact size.
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

static size_t longest_digits(const char *s, size_t n)
{
    size_t best = 0, run = 0;
    for (size_t i = 0; i < n; i++) {
        run = (s[i] >= '0' && s[i] <= '9') ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best;
}

static int utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t len = s[i] < 0x80             ? 1
                     : (s[i] & 0xE0) == 0xC0 ? 2
                     : (s[i] & 0xF0) == 0xE0 ? 3
                     : (s[i] & 0xF8) == 0xF0 ? 4
                                             : 0;
        if (len == 0 || i + len > n)
            return 0;
        for (size_t j = 1; j < len; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

/* Letters and other bytes that are neither digits, stars nor joiners: masking may drop
 * joiners (inside a masked number) and digits, turn digits into stars, nothing else. */
static int keeps_other_bytes(const char *in, size_t n, const char *out, size_t m)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < n && strchr("0123456789*. -\t", in[i]))
            i++;
        while (j < m && strchr("0123456789*. -\t", out[j]))
            j++;
        if (i == n || j == m)
            return i == n && j == m;
        if (in[i++] != out[j++])
            return 0;
    }
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
    CHECK(longest_digits(full, n) < 15);
    int has = privacy_has_nik(text);
    CHECK(has == (n != len || memcmp(full, text, n) != 0));
    if (!has)
        CHECK(n == len);
    CHECK(keeps_other_bytes(text, len, full, n));

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
            CHECK(longest_digits(part, m) < 15);
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
