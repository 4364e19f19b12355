/*
 * libFuzzer target for modems/codec: raw bytes go through the outbound pipeline
 * (sanitize -> fold -> plan -> split -> UTF-16BE -> back) and, read as UTF-16BE, through
 * the inbound converter. Every invariant the gateway relies on is checked with a trap.
 */
#include <stdint.h>
#include <string.h>

#include "modems/codec.h"

#define MAX_IN    8192
#define MAX_PARTS 1024 /* 3 bytes -> 1 unit at worst: MAX_IN*3 bytes < 67 * MAX_PARTS units */

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static char clean[3 * MAX_IN + 1], again[3 * MAX_IN + 1], folded[3 * MAX_IN + 1];
static char small[3 * MAX_IN + 1], back[3 * MAX_IN + 1], piece[3 * MAX_IN + 1];
static unsigned char ucs[2 * 3 * MAX_IN + 2];
static struct codec_part parts[MAX_PARTS];

static int is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Valid UTF-8 per codec's own strict reading, with no NUL inside. */
static void check_valid(const char *s, size_t len)
{
    struct codec_plan p;
    CHECK(strlen(s) == len);
    CHECK(codec_plan(s, &p) == 0);
}

/* Units of one code point in the given coding, from codec_plan on that code point alone. */
static int units_of(const char *s, size_t len, enum codec_coding coding)
{
    struct codec_plan p;
    unsigned char u[16];
    memcpy(piece, s, len);
    piece[len] = '\0';
    CHECK(codec_plan(piece, &p) == 0);
    if (coding == CODEC_GSM7) {
        CHECK(p.coding == CODEC_GSM7);
        return p.units;
    }
    return codec_utf8_to_ucs2(piece, u, sizeof u);
}

static size_t cp_len(const char *s)
{
    size_t k = 1;
    while (is_continuation((unsigned char)s[k]))
        k++;
    return k;
}

static void check_outbound(const char *s, size_t len)
{
    struct codec_plan p;
    int n, units;
    size_t at;

    CHECK(codec_plan(s, &p) == 0);
    CHECK(p.parts >= 1 && p.units >= 0);
    if (p.coding == CODEC_GSM7)
        CHECK(p.parts == 1 ? p.units <= 160 && p.per_part == 160
                           : p.units > 160 && p.per_part == 153);
    else
        CHECK(p.parts == 1 ? p.units <= 70 && p.per_part == 70 : p.units > 70 && p.per_part == 67);
    CHECK(p.parts <= MAX_PARTS);

    n = codec_split(s, &p, parts, MAX_PARTS);
    CHECK(n == p.parts);
    if (p.parts > 1)
        CHECK(codec_split(s, &p, parts + 0, p.parts - 1) == -1);
    n = codec_split(s, &p, parts, MAX_PARTS);
    at = 0;
    units = 0;
    for (int i = 0; i < n; i++) {
        CHECK(parts[i].offset == at);
        CHECK(parts[i].units >= 0 && parts[i].units <= p.per_part);
        CHECK(parts[i].len == 0 || !is_continuation((unsigned char)s[parts[i].offset]));
        /* the slice alone carries exactly the units the part claims */
        memcpy(piece, s + at, parts[i].len);
        piece[parts[i].len] = '\0';
        if (p.coding == CODEC_GSM7) {
            struct codec_plan q;
            CHECK(codec_plan(piece, &q) == 0 && q.coding == CODEC_GSM7);
            CHECK(q.units == parts[i].units);
        } else {
            CHECK(codec_utf8_to_ucs2(piece, ucs, sizeof ucs) == parts[i].units);
        }
        at += parts[i].len;
        units += parts[i].units;
        /* maximal packing: the next character would not have fitted */
        if (i + 1 < n)
            CHECK(parts[i].units + units_of(s + at, cp_len(s + at), p.coding) > p.per_part);
    }
    CHECK(at == len);
    CHECK(units == p.units);

    /* UTF-8 -> UTF-16BE -> UTF-8 is the identity on sanitised text */
    int nu = codec_utf8_to_ucs2(s, ucs, sizeof ucs);
    CHECK(nu >= 0);
    CHECK(ucs[2 * nu] == 0 && ucs[2 * nu + 1] == 0);
    if (p.coding == CODEC_UCS2)
        CHECK(nu == p.units);
    CHECK(codec_utf8_to_ucs2(s, ucs, (size_t)nu * 2 + 1) == -1);
    CHECK(codec_utf8_to_ucs2(s, ucs, (size_t)nu * 2 + 2) == nu);
    size_t bl = codec_ucs2_to_utf8(ucs, (size_t)nu, back, sizeof back);
    CHECK(bl == len && memcmp(back, s, len + 1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len, l2, cut;

    if (size > MAX_IN)
        return 0;

    /* sanitize: valid, control-free, idempotent; a short buffer yields a prefix */
    len = codec_utf8_sanitize((const char *)data, size, clean, sizeof clean);
    check_valid(clean, len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)clean[i];
        CHECK(c >= 0x20 || c == '\n' || c == '\r' || c == '\t');
        CHECK(c != 0x7F);
        CHECK(!(c == 0xC2 && (unsigned char)clean[i + 1] < 0xA0)); /* no C1 controls */
    }
    l2 = codec_utf8_sanitize(clean, len, again, sizeof again);
    CHECK(l2 == len && memcmp(again, clean, len) == 0);
    cut = size ? data[0] % (len + 2) : 0;
    l2 = codec_utf8_sanitize((const char *)data, size, small, cut);
    if (cut > 0) {
        CHECK(l2 < cut && memcmp(small, clean, l2) == 0 && small[l2] == '\0');
        CHECK(l2 == len || !is_continuation((unsigned char)clean[l2]));
        CHECK(l2 == len || l2 + cp_len(clean + l2) >= cut); /* stopped only for lack of room */
    }

    check_outbound(clean, len);

    /* fold: never grows, stays valid, idempotent, and whatever it gives also plans/splits */
    l2 = codec_gsm_fold(clean, folded, len + 1);
    CHECK(l2 <= len);
    check_valid(folded, l2);
    CHECK(codec_gsm_fold(folded, again, l2 + 1) == l2 && memcmp(again, folded, l2 + 1) == 0);
    check_outbound(folded, l2);

    /* inbound: arbitrary UTF-16BE -> valid UTF-8 that converts back and forth unchanged */
    len = codec_ucs2_to_utf8(data, size / 2, back, sizeof back);
    check_valid(back, len);
    memcpy(clean, back, len + 1);
    int nu = codec_utf8_to_ucs2(clean, ucs, sizeof ucs);
    CHECK(nu >= 0 && (size_t)nu <= size / 2);
    CHECK(codec_ucs2_to_utf8(ucs, (size_t)nu, back, sizeof back) == len);
    CHECK(memcmp(back, clean, len + 1) == 0);
    cut = size ? data[size - 1] % (len + 2) : 0;
    l2 = codec_ucs2_to_utf8(data, size / 2, small, cut);
    if (cut > 0)
        CHECK(l2 < cut && memcmp(small, clean, l2) == 0 && small[l2] == '\0');

    /* hex: whole bytes only */
    cut = size ? data[0] : 0;
    l2 = codec_hex(data, size, small, cut);
    if (cut > 0) {
        size_t want = size < (cut - 1) / 2 ? size : (cut - 1) / 2;
        CHECK(l2 == 2 * want && strlen(small) == l2);
    }
    return 0;
}
