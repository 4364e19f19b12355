/*
 * libFuzzer target for handlers/ticket. Any bytes go through ticket_parse, ticket_scan and
 * ticket_looks_like; the first 8 bytes also become a seq for ticket_format. Every promise of
 * ticket.h is checked with a trap:
 *   - a parsed seq is in range, and formats back to a ticket that parses to the same seq;
 *   - ticket_parse(ticket_format(x)) == x for any x in range, and every one-digit change of
 *     that ticket is refused;
 *   - ticket_scan agrees with ticket_parse on a whole ticket and never reads past the text;
 *   - out-of-range seqs and short buffers are refused with "" written.
 * The input is copied to a heap buffer of its exact size so AddressSanitizer sees any read
 * past the NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/ticket.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void check_seq(unsigned long long seq)
{
    char buf[TICKET_MAX], bad[TICKET_MAX];
    unsigned long long back = 0;

    if (seq < 1 || seq > TICKET_SEQ_MAX) {
        memset(buf, 'X', sizeof buf);
        CHECK(ticket_format(seq, buf, sizeof buf) == -1 && buf[0] == '\0');
        return;
    }
    CHECK(ticket_format(seq, buf, sizeof buf) == 0);
    size_t n = strlen(buf);
    CHECK(n >= TICKET_MIN_DIGITS && n <= TICKET_MAX_DIGITS && buf[0] != '0');
    CHECK(ticket_looks_like(buf) == 1);
    CHECK(ticket_parse(buf, &back) == 0 && back == seq);
    /* one byte too small is refused */
    CHECK(ticket_format(seq, bad, n) == -1 && bad[0] == '\0');
    /* every single-digit error and adjacent swap is refused */
    for (size_t i = 0; i < n; i++) {
        for (char d = '0'; d <= '9'; d++) {
            if (d == buf[i])
                continue;
            memcpy(bad, buf, n + 1);
            bad[i] = d;
            CHECK(ticket_parse(bad, &back) == -1);
        }
        if (i + 1 < n && buf[i] != buf[i + 1]) {
            memcpy(bad, buf, n + 1);
            bad[i] = buf[i + 1];
            bad[i + 1] = buf[i];
            CHECK(ticket_parse(bad, &back) == -1);
        }
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

    unsigned long long seq = 0, seq2 = 0;
    int rc = ticket_parse(text, &seq);
    CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        char buf[TICKET_MAX];
        CHECK(seq >= 1 && seq <= TICKET_SEQ_MAX);
        CHECK(ticket_format(seq, buf, sizeof buf) == 0);
        CHECK(ticket_parse(buf, &seq2) == 0 && seq2 == seq);
        /* the digits of the text are the ticket's digits */
        size_t k = 0;
        for (size_t i = 0; i < len; i++)
            if (text[i] >= '0' && text[i] <= '9')
                CHECK(buf[k++] == text[i]);
        CHECK(buf[k] == '\0');
    }

    const char *end = NULL;
    int rs = ticket_scan(text, &seq2, &end);
    CHECK(rs == 0 || rs == -1);
    if (rc == 0)
        CHECK(rs == 0 && seq2 == seq && end == text + len);
    if (rs == 0) {
        CHECK(end > text && end <= text + len);
        CHECK(seq2 >= 1 && seq2 <= TICKET_SEQ_MAX);
    }

    int looks = ticket_looks_like(text);
    CHECK(looks == 0 || looks == 1);
    if (looks)
        CHECK(len >= TICKET_MIN_DIGITS && len <= TICKET_MAX_DIGITS);

    if (size >= 8) {
        unsigned long long x;
        memcpy(&x, data, sizeof x);
        check_seq(x);
        check_seq(x % (TICKET_SEQ_MAX + 2));
    }
    free(text);
    return 0;
}
