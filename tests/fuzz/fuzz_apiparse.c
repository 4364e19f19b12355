/*
 * libFuzzer target for gateway/apiparse: the admin API's path splitter and
 * route matcher, the bearer header reader, whole numbers and
 * kentongan-ctl's times, on any bytes. Promises checked with a trap:
 *   - apiparse_split returns -1 or 0..max segments, each NUL-terminated,
 *     shorter than APIPARSE_SEG_MAX, free of '/' and control characters;
 *   - a path that splits matches the pattern made of its own segment count
 *     in stars, binding every segment in order;
 *   - a bearer token is non-empty, fits, and holds only token characters;
 *   - a number that parses is within its bounds and prints back the same;
 *   - a time that parses is at or after 1970 (minus 14 h of offset);
 *   - the UTF-8 check answers 0 or 1 and never reads past the NUL.
 * The input is copied to a heap buffer of its exact size so AddressSanitizer
 * sees any read past the NUL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/apiparse.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* any bytes: an answer, and no read past the NUL */
    int utf8 = apiparse_utf8(text);
    CHECK(utf8 == 0 || utf8 == 1);
    CHECK(utf8 == 1 || size > 0);

    static char seg[APIPARSE_SEGS_MAX][APIPARSE_SEG_MAX];
    int n = apiparse_split(text, seg, APIPARSE_SEGS_MAX);
    CHECK(n >= -1 && n <= APIPARSE_SEGS_MAX);
    if (n >= 0) {
        CHECK(text[0] == '/');
        char pattern[APIPARSE_SEGS_MAX * 2 + 2] = "/";
        for (int i = 0; i < n; i++) {
            size_t len = strlen(seg[i]);
            CHECK(len > 0 && len < APIPARSE_SEG_MAX);
            for (size_t k = 0; k < len; k++)
                CHECK((unsigned char)seg[i][k] >= 0x20 && seg[i][k] != 0x7f && seg[i][k] != '/');
            strcat(pattern, i ? "/*" : "*");
        }
        int args[APIPARSE_SEGS_MAX], nargs = -1;
        if (n > 0) {
            CHECK(apiparse_match(pattern, seg, n, args, &nargs) == 1 && nargs == n);
            for (int i = 0; i < n; i++)
                CHECK(args[i] == i);
        }
        /* a literal pattern never matches a different segment count */
        CHECK(apiparse_match("/api/complaints/*/answer", seg, n, args, &nargs) == 0 || n == 4);
    }
    /* the same bytes as a pattern against a fixed path must not crash */
    {
        static char fixed[APIPARSE_SEGS_MAX][APIPARSE_SEG_MAX] = {"api", "complaints", "100014"};
        int args[APIPARSE_SEGS_MAX], nargs;
        apiparse_match(text, fixed, 3, args, &nargs);
    }

    char token[APIPARSE_TOKEN_MAX];
    if (apiparse_bearer(text, token, sizeof(token)) == 0) {
        size_t len = strlen(token);
        CHECK(len > 0 && len < sizeof(token));
        CHECK(strspn(token,
                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/=") ==
              len);
        CHECK(token[0] != '=');
    }

    long v;
    if (apiparse_long(text, -1000, 1000000000L, &v) == 0) {
        char back[32];
        snprintf(back, sizeof(back), "%ld", v);
        CHECK(v >= -1000 && v <= 1000000000L);
        CHECK(strcmp(back, text) == 0 || (text[0] == '0' && v == 0) || text[0] == '-' ||
              text[0] == '0');
    }

    long long t;
    if (apiparse_time(text, &t) == 0)
        CHECK(t >= -14 * 3600);

    unsigned char h[32];
    if (apiparse_hex32(text, h) == 0)
        CHECK(size >= 64);

    free(text);
    return 0;
}
