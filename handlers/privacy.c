/* privacy — masking NIK and KK numbers (see privacy.h for what is masked and why).
 *
 * Residents put their NIK in complaints ("NIK saya 3325010101010001, KTP
 * belum jadi"), copy it from the card with the spaces the card prints, or
 * type it in groups of four as it is dictated. DESIGN.md forbids echoing one
 * whole in an SMS or a log line, so every text that leaves the handlers for a
 * log or an answer goes through privacy_mask.
 *
 * How it works: one pass over the text. A "group" is a maximal run of ASCII
 * digits; a "chain" is a sequence of groups joined by short separator runs
 * (JOIN_MAX bytes of space, dot, dash or tab). For each group of a chain we
 * look ahead, adding the following groups while the total stays within
 * NIK_MAX digits, and keep the longest stretch starting there that qualifies
 * (privacy.h). Stretches are intervals of the chain; overlapping ones merge
 * into one "region", and each region is written as stars plus its last
 * PRIVACY_KEEP digits. Text outside regions is copied unchanged. Each group is
 * looked at by at most NIK_MAX lookaheads (a group has at least one digit),
 * so the cost is linear in the text; nothing is allocated.
 *
 * Why stretches that overlap merge: "2024 3325 0101 0101 0001" holds two
 * 16-digit stretches (2024..0101 and 3325..0001); masking only the first would
 * leave "0101 0001", 8 digits of the NIK. Merging hides everything but the
 * last 4 digits of the span. Stretches that merely touch ("NIK1 NIK2", two
 * 16-digit runs one space apart) stay separate, so each keeps its own last 4.
 *
 * Why a phone number stops only the 15/17-digit rule: a 15 or 17-digit
 * reading that holds a whole phone number (a group of 10-14 digits starting 08
 * or 628) is a phone number next to a short one ("RT 003 081234567890"), which
 * residents write all the time. A NIK written with such a group (4 + 12 with
 * kecamatan code 08: "3325 081201950001") has exactly 16 digits, and exactly
 * 16 is always masked, phone-looking group or not. */
#include "handlers/privacy.h"

#include <string.h>

#define JOIN_MAX  3  /* separator bytes that still join two groups of one number */
#define NIK_LEN   16 /* digits of a NIK or KK number */
#define NIK_MIN   15 /* a NIK with a digit missing */
#define NIK_MAX   17 /* a NIK with a digit doubled */
#define PHONE_MIN 10 /* digits of a phone number written as one group */
#define PHONE_MAX 14
#define NONE      ((size_t)-1) /* no next group */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_joiner(unsigned char c)
{
    return c == ' ' || c == '.' || c == '-' || c == '\t';
}

/* End of the run of digits starting at s[i]. */
static size_t digits_end(const unsigned char *s, size_t i)
{
    while (is_digit(s[i]))
        i++;
    return i;
}

/* Start of the next group of the chain after a group ending at s[end], or
 * NONE when the chain ends there. */
static size_t next_group(const unsigned char *s, size_t end)
{
    size_t j = end;
    while (j - end < JOIN_MAX && is_joiner(s[j]))
        j++;
    return (j > end && is_digit(s[j])) ? j : NONE;
}

/* A group that is a phone number by itself: 08... or 628..., 10-14 digits. */
static int phone_like(const unsigned char *s, size_t start, size_t end)
{
    size_t n = end - start;
    if (n < PHONE_MIN || n > PHONE_MAX)
        return 0;
    return (s[start] == '0' && s[start + 1] == '8') ||
           (s[start] == '6' && s[start + 1] == '2' && s[start + 2] == '8');
}

/* End of the longest stretch starting with the group [start, end) that must
 * be masked, or 0 when none does. */
static size_t stretch_end(const unsigned char *s, size_t start, size_t end)
{
    size_t total = end - start, best = total >= NIK_MIN ? end : 0;
    int phone = phone_like(s, start, end);
    size_t g;

    while (total <= NIK_MAX && (g = next_group(s, end)) != NONE) {
        end = digits_end(s, g);
        total += end - g;
        phone |= phone_like(s, g, end);
        if (total == NIK_LEN || (total >= NIK_MIN && total <= NIK_MAX && !phone))
            best = end;
    }
    return best;
}

/* Bounded output. out == NULL: only count regions (privacy_has_nik). */
struct writer {
    char *out;
    size_t cap, n; /* cap includes the NUL */
    int full;
    int regions;
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

/* Writes the region s[from, to) as stars and its last PRIVACY_KEEP digits. */
static void mask(struct writer *w, const unsigned char *s, size_t from, size_t to)
{
    size_t digits = 0;
    w->regions++;
    for (size_t i = from; i < to; i++)
        digits += is_digit(s[i]);
    size_t stars = digits - PRIVACY_KEEP, seen = 0;
    for (size_t i = from; i < to; i++) {
        if (!is_digit(s[i]))
            continue;
        put(w, seen++ < stars ? (const unsigned char *)"*" : s + i, 1);
    }
}

static void scan(const unsigned char *s, struct writer *w)
{
    size_t i = 0, done = 0; /* s[0, done) has been written */

    while (s[i]) {
        if (!is_digit(s[i])) {
            i++;
            continue;
        }
        /* a chain starts at i: walk its groups, merging overlapping stretches */
        size_t rs = 0, re = 0, g = i, end = i; /* re == 0: no region yet */
        while (g != NONE) {
            end = digits_end(s, g);
            size_t st = stretch_end(s, g, end);
            if (st && re && g < re) {
                if (st > re)
                    re = st;
            } else if (st) {
                if (re) {
                    copy(w, s, done, rs);
                    mask(w, s, rs, re);
                    done = re;
                }
                rs = g, re = st;
            }
            g = next_group(s, end);
        }
        if (re) {
            copy(w, s, done, rs);
            mask(w, s, rs, re);
            done = re;
        }
        i = end;
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

int privacy_has_nik(const char *text)
{
    struct writer w = {NULL, 0, 0, 0, 0};

    if (!text)
        return 0;
    scan((const unsigned char *)text, &w);
    return w.regions > 0;
}
