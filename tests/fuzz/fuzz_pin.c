/*
 * libFuzzer target for gateway/pin's PIN-word rule (pin_take), which runs on every inbound SMS
 * before it reaches Redis. Checks: the text never grows and stays NUL-terminated; what is left
 * holds no PIN word any more (taking again finds none); "continues" never removes more than
 * the whole-text rule does; the configuration parser never accepts what it did not make. The
 * input is copied to a heap buffer of its exact size so AddressSanitizer sees any read past
 * the NUL. No digest is asked for: PBKDF2 would make each run cost milliseconds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/pin.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *a = malloc(size + 1), *b = malloc(size + 1);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return 0;
    }
    memcpy(a, data, size);
    a[size] = '\0';
    size_t len = strlen(a);
    memcpy(b, a, len + 1);

    int found = pin_take(a, "", 0, NULL);
    CHECK(found >= 0);
    CHECK(strlen(a) <= len);
    CHECK(found > 0 || strcmp(a, b) == 0);
    CHECK(pin_take(a, "", 0, NULL) == 0); /* nothing left to take */

    int part = pin_take(b, "", 1, NULL);
    CHECK(part >= 0 && part <= found);

    char hex[PIN_DIGEST_MAX], why[160];
    memcpy(b, data, size);
    b[size] = '\0';
    if (pin_config_parse(b, "6281311110001", hex, why, sizeof(why)) == 0)
        CHECK(strlen(hex) == PIN_DIGEST_HEX && strncmp(b, PIN_SCHEME "$", 14) == 0);
    free(a);
    free(b);
    return 0;
}
