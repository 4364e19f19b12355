/* pin — see pin.h. The PIN-word rule here has a twin in Lua (pin_strip in
 * gateway/store.c), which applies it to a long message once its parts are
 * joined; the two must agree, and tests/unit/test_pin.c holds both to the
 * same cases. */
#include "gateway/pin.h"

#include "gateway/phone.h"

#include <nettle/memops.h>
#include <nettle/pbkdf2.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define SALT_PREFIX "kentongan-pin:"

static void hex_of(const unsigned char *bin, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bin[i] >> 4];
        out[2 * i + 1] = digits[bin[i] & 15];
    }
    out[2 * n] = '\0';
}

void pin_digest(const char *phone, const char *pin, char hex[PIN_DIGEST_MAX])
{
    char salt[64];
    unsigned char out[32];
    int n = snprintf(salt, sizeof(salt), SALT_PREFIX "%s", phone);
    if (n < 0 || (size_t)n >= sizeof(salt))
        n = (int)sizeof(salt) - 1;
    pbkdf2_hmac_sha256(strlen(pin), (const uint8_t *)pin, PIN_HASH_ITERATIONS, (size_t)n,
                       (const uint8_t *)salt, sizeof(out), out);
    hex_of(out, sizeof(out), hex);
}

static int pin_digits_ok(const char *pin)
{
    size_t n = strlen(pin);
    return n >= PIN_MIN_DIGITS && n <= PIN_MAX_DIGITS && strspn(pin, "0123456789") == n;
}

int pin_config_value(const char *phone, const char *pin, char *out, size_t outlen, char *why,
                     size_t whylen)
{
    char norm[32], hex[PIN_DIGEST_MAX];
    if (phone_normalise(phone, norm, sizeof(norm)) != PHONE_MOBILE) {
        snprintf(why, whylen, "'%s' is not an Indonesian mobile number", phone);
        return -1;
    }
    if (!pin_digits_ok(pin)) {
        snprintf(why, whylen, "a PIN is %d to %d digits", PIN_MIN_DIGITS, PIN_MAX_DIGITS);
        return -1;
    }
    pin_digest(norm, pin, hex);
    int n = snprintf(out, outlen, PIN_SCHEME "$%d$%s$%s", PIN_HASH_ITERATIONS, norm, hex);
    if (n < 0 || (size_t)n >= outlen) {
        snprintf(why, whylen, "no room for the value");
        return -1;
    }
    return 0;
}

int pin_config_parse(const char *value, const char *phone, char hex[PIN_DIGEST_MAX], char *why,
                     size_t whylen)
{
    char scheme[32], number[32], digest[PIN_DIGEST_HEX + 2];
    int rounds = 0, end = 0;
    hex[0] = '\0';
    if (strspn(value, "0123456789") == strlen(value)) {
        snprintf(why, whylen, "a PIN is never kept in plain text; put its hash here instead");
        return -1;
    }
    if (sscanf(value, "%31[^$]$%d$%31[^$]$%65[0-9a-fA-F]%n", scheme, &rounds, number, digest,
               &end) != 4 ||
        value[end] != '\0' || strcmp(scheme, PIN_SCHEME) != 0) {
        snprintf(why, whylen, "expected " PIN_SCHEME "$ROUNDS$NUMBER$HASH");
        return -1;
    }
    if (rounds != PIN_HASH_ITERATIONS) {
        snprintf(why, whylen, "made with %d rounds; this kentongan uses %d: make it again", rounds,
                 PIN_HASH_ITERATIONS);
        return -1;
    }
    if (strcmp(number, phone) != 0) {
        snprintf(why, whylen, "made for %s, but this official's phone is %s: make it again", number,
                 phone);
        return -1;
    }
    if (strlen(digest) != PIN_DIGEST_HEX) {
        snprintf(why, whylen, "the hash is not %d hex digits", PIN_DIGEST_HEX);
        return -1;
    }
    for (int i = 0; i <= PIN_DIGEST_HEX; i++)
        hex[i] = (char)(digest[i] >= 'A' && digest[i] <= 'F' ? digest[i] + 32 : digest[i]);
    return 0;
}

int pin_equal(const char *a, const char *b)
{
    if (strlen(a) != PIN_DIGEST_HEX || strlen(b) != PIN_DIGEST_HEX)
        return 0;
    return memeql_sec(a, b, PIN_DIGEST_HEX) != 0;
}

/* ---- PIN words ---- */

static int word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static int space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int separator(char c)
{
    return c != '\0' && strchr(" \t\r\n:=#.*,/;", c) != NULL;
}

static int is_pin_at(const char *p)
{
    return (p[0] == 'p' || p[0] == 'P') && (p[1] == 'i' || p[1] == 'I') &&
           (p[2] == 'n' || p[2] == 'N');
}

int pin_take(char *text, const char *from, int continues, char digest[PIN_DIGEST_MAX])
{
    char first[PIN_WORD_DIGITS_MAX + 1] = "";
    int found = 0;
    size_t i = 0;
    if (digest)
        digest[0] = '\0';
    while (text[i]) {
        if (!is_pin_at(text + i) || (i > 0 && word_char((unsigned char)text[i - 1]))) {
            i++;
            continue;
        }
        size_t d = i + 3;
        while (separator(text[d]))
            d++;
        size_t e = d;
        while (text[e] >= '0' && text[e] <= '9')
            e++;
        size_t ndigits = e - d;
        if (ndigits == 0 || ndigits > PIN_WORD_DIGITS_MAX ||
            (text[e] != '\0' && word_char((unsigned char)text[e])) ||
            (text[e] == '\0' && continues)) {
            i++;
            continue;
        }
        if (found++ == 0)
            snprintf(first, sizeof(first), "%.*s", (int)ndigits, text + d);
        /* The word goes with the spaces before it, or, at the start of a
         * line of text, with the spaces after it. */
        size_t a = i, b = e;
        while (a > 0 && space(text[a - 1]))
            a--;
        if (a == i)
            while (space(text[b]))
                b++;
        memmove(text + a, text + b, strlen(text + b) + 1);
        /* What came before may now run into digits ("#PIN#PIN 1 2345" leaves
         * "#PIN#2345"): look again from the last "PIN" that could start there. */
        i = a;
        while (i > 0 && separator(text[i - 1]))
            i--;
        i = i > 3 ? i - 3 : 0;
    }
    if (found && digest) {
        char norm[32];
        if (phone_normalise(from, norm, sizeof(norm)) != PHONE_MOBILE)
            snprintf(norm, sizeof(norm), "%s", from);
        pin_digest(norm, first, digest);
    }
    explicit_bzero(first, sizeof(first));
    return found;
}

/* ---- one-time codes ---- */

int pin_code_new(char code[PIN_CODE_MAX])
{
    /* Rejection sampling keeps every code equally likely. */
    uint32_t limit = 1;
    for (int i = 0; i < PIN_CODE_DIGITS; i++)
        limit *= 10;
    const uint32_t span = UINT32_MAX - UINT32_MAX % limit;
    for (int tries = 0; tries < 64; tries++) {
        uint32_t v;
        if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
            return -1;
        if (v >= span)
            continue;
        snprintf(code, PIN_CODE_MAX, "%0*u", PIN_CODE_DIGITS, (unsigned)(v % limit));
        return 0;
    }
    return -1;
}

void pin_code_digest(const char *code, const char *phone, const char *purpose,
                     char hex[PIN_DIGEST_MAX])
{
    struct sha256_ctx ctx;
    unsigned char out[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(code), (const uint8_t *)code);
    sha256_update(&ctx, 1, (const uint8_t *)"|");
    sha256_update(&ctx, strlen(phone), (const uint8_t *)phone);
    sha256_update(&ctx, 1, (const uint8_t *)"|");
    sha256_update(&ctx, strlen(purpose), (const uint8_t *)purpose);
    sha256_digest(&ctx, sizeof(out), out);
    hex_of(out, sizeof(out), hex);
}
