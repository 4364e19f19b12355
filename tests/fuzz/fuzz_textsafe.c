/*
 * libFuzzer target for gateway/textsafe on any bytes:
 *   - textsafe_clean never lengthens, leaves valid UTF-8 with no control character but LF,
 *     no DEL, no C1 and no bidi embedding, override or isolate; cleaning twice changes
 *     nothing more, and textsafe_is_clean says so; textsafe_clean_line also leaves no LF;
 *   - textsafe_escape (each flag) writes no byte below 0x20, no DEL, no C1 and no bidi
 *     control at all (so a printed value never splits a line nor drives a terminal), stays
 *     within TEXTSAFE_GROWTH, and with TEXTSAFE_QUOTES leaves no '"' without a backslash
 *     before it; a short buffer gives a prefix of the full output.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/textsafe.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/* No raw control, DEL, C1 or bidi control; allow_lf lets LF through. Also checks that the
 * text is valid UTF-8 when want_utf8. */
static int harmless(const unsigned char *s, size_t n, int allow_lf, int want_utf8)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if ((c < 0x20 && !(allow_lf && c == '\n')) || c == 0x7F)
            return 0;
        if (c == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)
            return 0;
        if (c == 0xE2 && i + 2 < n &&
            ((s[i + 1] == 0x80 && s[i + 2] >= 0xAA && s[i + 2] <= 0xAE) ||
             (s[i + 1] == 0x81 && s[i + 2] >= 0xA6 && s[i + 2] <= 0xA9)))
            return 0;
        if (want_utf8 && c >= 0x80) {
            size_t len = (c & 0xE0) == 0xC0   ? 2
                         : (c & 0xF0) == 0xE0 ? 3
                         : (c & 0xF8) == 0xF0 ? 4
                                              : 0;
            if (len == 0 || i + len > n)
                return 0;
            for (size_t k = 1; k < len; k++)
                if ((s[i + k] & 0xC0) != 0x80)
                    return 0;
            i += len - 1;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *a = malloc(size + 1), *b = malloc(size + 1);
    if (!text || !a || !b)
        goto out;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);

    memcpy(a, text, len + 1);
    size_t n = textsafe_clean(a);
    CHECK(n <= len && strlen(a) == n);
    CHECK(harmless((const unsigned char *)a, n, 1, 1));
    CHECK(textsafe_is_clean(a));
    CHECK(textsafe_is_clean(text) == (n == len && memcmp(a, text, n) == 0));
    memcpy(b, a, n + 1);
    CHECK(textsafe_clean(b) == n && memcmp(a, b, n) == 0);

    memcpy(b, text, len + 1);
    size_t m = textsafe_clean_line(b);
    CHECK(m <= n && strlen(b) == m && harmless((const unsigned char *)b, m, 0, 1));

    for (int flags = 0; flags < 4; flags++) {
        size_t cap = TEXTSAFE_GROWTH * len + 1;
        char *full = malloc(cap);
        if (!full)
            break;
        size_t e = textsafe_escape(text, full, cap, flags);
        CHECK(e < cap && strlen(full) == e);
        CHECK(harmless((const unsigned char *)full, e, 0, 1));
        if (flags & TEXTSAFE_QUOTES) {
            /* every '"' is escaped: preceded by an odd run of backslashes */
            for (size_t i = 0; i < e; i++) {
                if (full[i] != '"')
                    continue;
                size_t k = 0;
                while (k < i && full[i - 1 - k] == '\\')
                    k++;
                CHECK(k % 2 == 1);
            }
        }
        size_t small = size ? data[0] % (e + 2) : 0;
        char *part = malloc(small + 1);
        if (part) {
            size_t p = textsafe_escape(text, part, small, flags);
            if (small > 0)
                CHECK(p < small && memcmp(part, full, p) == 0 && part[p] == '\0');
            else
                CHECK(p == 0);
            free(part);
        }
        free(full);
    }
out:
    free(text);
    free(a);
    free(b);
    return 0;
}
