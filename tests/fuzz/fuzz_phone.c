/*
 * libFuzzer target for gateway/phone: any bytes, with out buffers of every small size
 * surrounded by canaries. Checks that a mobile result has the documented shape and is a
 * fixed point, that short codes and alphanumeric names are bounded, and that nothing is
 * read past the NUL (the input is a heap copy of exact size) or written past outlen.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/phone.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static int digits(const char *s, size_t from)
{
    for (size_t i = from; s[i]; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static void check(const char *in, size_t outlen)
{
    char buf[PHONE_MAX + 16];
    char *out = buf + 8;

    memset(buf, 0x5a, sizeof buf);
    enum phone_kind k = phone_normalise(in, out, outlen);
    for (size_t i = 0; i < 8; i++)
        CHECK(buf[i] == 0x5a);
    for (size_t i = 8 + outlen; i < sizeof buf; i++)
        CHECK(buf[i] == 0x5a);
    if (outlen == 0) {
        CHECK(k == PHONE_INVALID);
        return;
    }
    CHECK(memchr(out, '\0', outlen) != NULL);
    size_t n = strlen(out);

    switch (k) {
    case PHONE_MOBILE: {
        CHECK(n >= 11 && n <= 14 && memcmp(out, "628", 3) == 0 && digits(out, 0));
        CHECK(out[3] != '0' && out[3] != '4');
        char again[PHONE_MAX];
        CHECK(phone_normalise(out, again, sizeof again) == PHONE_MOBILE);
        CHECK(strcmp(again, out) == 0);
        break;
    }
    case PHONE_SHORTCODE:
        CHECK(n >= 3 && n <= 6 && digits(out, 0));
        break;
    case PHONE_ALPHA:
        CHECK(n <= PHONE_ALPHA_MAX);
        for (size_t i = 0; i < n; i++)
            CHECK(out[i] >= 0x20 && out[i] < 0x7f);
        break;
    case PHONE_INVALID:
        CHECK(n == 0);
        break;
    default:
        CHECK(0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    check(in, PHONE_MAX);
    check(in, (size > 0 ? data[0] : 0) % (PHONE_MAX + 1));
    free(in);
    return 0;
}
