/*
 * libFuzzer target for modems/pdu: the bytes as a TPDU (pdu_inspect), as hex with and without
 * an SMSC prefix (pdu_from_hex), as a user data header (pdu_kind_of) and as an AT transcript
 * (pdu_transcript_find / _next). Invariants: a well-formed PDU has no reason and a kind with a
 * name; a malformed one has one of pdu_reasons; nothing reads past its input (ASan); a PDU hex
 * found in a transcript is hex digits only and fits its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modems/pdu.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static int known_reason(const char *r)
{
    for (const char *const *p = pdu_reasons; *p; p++)
        if (strcmp(*p, r) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exact-size copies, so ASan sees any read past the end */
    uint8_t *t = malloc(size ? size : 1);
    memcpy(t, data, size);
    struct pdu_info info;
    if (pdu_inspect(t, size, &info) == 0) {
        CHECK(info.reason == NULL);
        CHECK(pdu_kind_name(info.kind)[0] != '\0');
    } else {
        CHECK(info.reason && known_reason(info.reason));
    }
    (void)pdu_kind_of(size ? (int)t[0] % 5 - 1 : -1, t, size, t, size);
    free(t);

    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    unsigned char out[PDU_MAX];
    for (int smsc = 0; smsc <= 1; smsc++) {
        int n = pdu_from_hex(s, smsc, out, sizeof(out));
        CHECK(n >= -1 && n <= PDU_MAX);
        if (n >= 0 && pdu_inspect(out, (size_t)n, &info) != 0)
            CHECK(known_reason(info.reason));
    }
    char hex[64];
    for (int index = 0; index < 4; index++) {
        if (pdu_transcript_find(s, size, index, hex, sizeof(hex)) == 0) {
            size_t n = strlen(hex);
            CHECK(n > 0 && n < sizeof(hex));
            CHECK(strspn(hex, "0123456789abcdefABCDEF") == n);
        }
        int next = pdu_transcript_next(s, size, index);
        CHECK(next >= -1);
    }
    free(s);
    return 0;
}
