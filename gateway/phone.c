/* phone — see phone.h.
 *
 * One pass over at most PHONE_INPUT_MAX bytes sorts every byte into digit,
 * letter, ignorable formatting or junk; the digits are then matched against
 * the Indonesian prefixes. No allocation, no locale: isdigit() and friends are
 * avoided because their answer for bytes >= 0x80 depends on the locale. */
#include "gateway/phone.h"

#include <string.h>

/* National significant number after the country code: 8, an operator digit,
 * then 7..10 digits (DESIGN.md section 5). */
#define NATIONAL_MIN 9
#define NATIONAL_MAX 12
#define SHORT_MIN    3
#define SHORT_MAX    6

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Formatting people and phones put into numbers: "+62 (0812) 345-678.90". */
static int is_ignorable(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '-' || c == '.' || c == '(' ||
           c == ')' || c == '[' || c == ']';
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum phone_kind write_alpha(const char *in, size_t len, char *out, size_t outlen)
{
    size_t start = 0, end = len, n = 0;

    while (start < end && is_space((unsigned char)in[start]))
        start++;
    while (end > start && is_space((unsigned char)in[end - 1]))
        end--;
    for (size_t i = start; i < end && n < PHONE_ALPHA_MAX && n + 1 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
    return PHONE_ALPHA;
}

static enum phone_kind write_digits(const char *prefix, const char *digits, size_t n, char *out,
                                    size_t outlen, enum phone_kind kind)
{
    size_t plen = strlen(prefix);

    if (plen + n + 1 > outlen)
        return PHONE_INVALID;
    memcpy(out, prefix, plen);
    memcpy(out + plen, digits, n);
    out[plen + n] = '\0';
    return kind;
}

enum phone_kind phone_normalise(const char *in, char *out, size_t outlen)
{
    char digits[PHONE_INPUT_MAX];
    size_t nd = 0, len;
    int plus = 0, letter = 0, junk = 0;

    if (out == NULL || outlen == 0)
        return PHONE_INVALID;
    out[0] = '\0';
    if (in == NULL)
        return PHONE_INVALID;
    len = strnlen(in, PHONE_INPUT_MAX + 1);
    if (len == 0 || len > PHONE_INPUT_MAX)
        return PHONE_INVALID;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_digit(c))
            digits[nd++] = (char)c;
        else if (is_letter(c))
            letter = 1;
        else if (c == '+' && nd == 0 && !plus)
            plus = 1; /* only in front: "62+812" is junk, not a number */
        else if (!is_ignorable(c))
            junk = 1;
    }

    if (letter)
        return write_alpha(in, len, out, outlen);
    if (junk || nd == 0)
        return PHONE_INVALID;
    if (!plus && nd >= SHORT_MIN && nd <= SHORT_MAX)
        return write_digits("", digits, nd, out, outlen, PHONE_SHORTCODE);

    /* Strip the prefix down to the national number. With '+' only +62 is
     * ours; a foreign number is not a resident we can serve by SMS. */
    const char *p = digits;
    size_t n = nd;
    int country = 0;
    if (plus) {
        if (n < 2 || p[0] != '6' || p[1] != '2')
            return PHONE_INVALID;
        p += 2, n -= 2, country = 1;
    } else if (n >= 4 && memcmp(p, "0062", 4) == 0) {
        p += 4, n -= 4, country = 1;
    } else if (n >= 2 && p[0] == '6' && p[1] == '2') {
        p += 2, n -= 2, country = 1;
    } else if (p[0] == '0') {
        p += 1, n -= 1;
    }
    /* "+62 (0)812...": the trunk 0 written after the country code. */
    if (country && n >= 2 && p[0] == '0' && p[1] == '8')
        p += 1, n -= 1;

    if (n < NATIONAL_MIN || n > NATIONAL_MAX)
        return PHONE_INVALID;
    if (p[0] != '8' || p[1] == '0' || p[1] == '4')
        return PHONE_INVALID;
    return write_digits("62", p, n, out, outlen, PHONE_MOBILE);
}

const char *phone_kind_name(enum phone_kind kind)
{
    switch (kind) {
    case PHONE_MOBILE:
        return "mobile";
    case PHONE_SHORTCODE:
        return "shortcode";
    case PHONE_ALPHA:
        return "alpha";
    case PHONE_INVALID:
        break;
    }
    return "invalid";
}
