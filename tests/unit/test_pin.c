/* Unit: officials' PIN hashing, the configuration value, PIN words taken
 * out of texts, one-time codes (gateway/pin.h), and the worker's reading of
 * an SMS, where the PIN words leave the text (worker_inbound). */
#include "gateway/pin.h"
#include "gateway/store.h"
#include "modems/worker.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUDI   "6281311110001"
#define KOMINF "6281311110003"

Test(pin, the_digest_is_salted_with_the_number)
{
    char a[PIN_DIGEST_MAX], b[PIN_DIGEST_MAX], c[PIN_DIGEST_MAX];
    pin_digest(BUDI, "1234", a);
    pin_digest(BUDI, "1234", b);
    pin_digest(KOMINF, "1234", c);
    cr_expect_eq(strlen(a), PIN_DIGEST_HEX);
    cr_expect_str_eq(a, b, "the same PIN and number hash alike");
    cr_expect_str_neq(a, c, "equal PINs of two officials do not");
    cr_expect_eq(strspn(a, "0123456789abcdef"), PIN_DIGEST_HEX);
    pin_digest(BUDI, "1235", c);
    cr_expect_str_neq(a, c);
}

Test(pin, the_configuration_value_round_trips_and_is_checked)
{
    char value[PIN_LINE_MAX], why[160], hex[PIN_DIGEST_MAX], want[PIN_DIGEST_MAX];
    cr_assert_eq(pin_config_value("0813-1111-0001", "4321", value, sizeof(value), why, sizeof(why)),
                 0, "%s", why);
    cr_expect(strncmp(value, "pbkdf2-sha256$50000$" BUDI "$", 34) == 0, "%s", value);
    cr_expect(strstr(value, "4321") == NULL, "no PIN in the value: %s", value);
    cr_assert_eq(pin_config_parse(value, BUDI, hex, why, sizeof(why)), 0, "%s", why);
    pin_digest(BUDI, "4321", want);
    cr_expect_str_eq(hex, want);

    cr_expect_eq(pin_config_parse("1234", BUDI, hex, why, sizeof(why)), -1, "plain text refused");
    cr_expect(strstr(why, "plain text") != NULL, "%s", why);
    cr_expect_str_eq(hex, "", "and no digest");
    cr_expect_eq(pin_config_parse(value, KOMINF, hex, why, sizeof(why)), -1, "another number");
    cr_expect(strstr(why, BUDI) && strstr(why, KOMINF), "%s", why);
    char other[PIN_LINE_MAX];
    snprintf(other, sizeof(other), "pbkdf2-sha256$1000$%s", value + 20);
    cr_expect_eq(pin_config_parse(other, BUDI, hex, why, sizeof(why)), -1, "other rounds");
    snprintf(other, sizeof(other), "sha256$%s", value + 14);
    cr_expect_eq(pin_config_parse(other, BUDI, hex, why, sizeof(why)), -1, "other scheme");
    snprintf(other, sizeof(other), "%.*s", (int)strlen(value) - 1, value);
    cr_expect_eq(pin_config_parse(other, BUDI, hex, why, sizeof(why)), -1, "63 hex digits");
    snprintf(other, sizeof(other), "%sx", value);
    cr_expect_eq(pin_config_parse(other, BUDI, hex, why, sizeof(why)), -1, "trailing junk");

    cr_expect_eq(pin_config_value(BUDI, "123", value, sizeof(value), why, sizeof(why)), -1);
    cr_expect_eq(pin_config_value(BUDI, "123456789", value, sizeof(value), why, sizeof(why)), -1);
    cr_expect_eq(pin_config_value(BUDI, "12a4", value, sizeof(value), why, sizeof(why)), -1);
    cr_expect_eq(pin_config_value("TELKOMSEL", "1234", value, sizeof(value), why, sizeof(why)), -1);
}

Test(pin, digests_compare_only_when_whole_and_equal)
{
    char a[PIN_DIGEST_MAX], b[PIN_DIGEST_MAX];
    pin_digest(BUDI, "1234", a);
    snprintf(b, sizeof(b), "%s", a);
    cr_expect(pin_equal(a, b));
    b[63] = b[63] == '0' ? '1' : '0';
    cr_expect(!pin_equal(a, b), "last digit differs");
    b[63] = a[63];
    b[0] = b[0] == '0' ? '1' : '0';
    cr_expect(!pin_equal(a, b), "first digit differs");
    cr_expect(!pin_equal(a, ""));
    cr_expect(!pin_equal("", ""), "no PIN is never a right PIN");
    cr_expect(!pin_equal(PIN_SPLIT, PIN_SPLIT));
}

/* Takes the PIN words out of text; checks the text left and how many went. */
static void expect_take(const char *text, int continues, const char *left, int found)
{
    char buf[256], digest[PIN_DIGEST_MAX];
    snprintf(buf, sizeof(buf), "%s", text);
    int n = pin_take(buf, "081311110001", continues, digest);
    cr_expect_eq(n, found, "\"%s\": %d PIN words, expected %d", text, n, found);
    cr_expect_str_eq(buf, left, "\"%s\" leaves \"%s\"", text, buf);
    if (found == 0)
        cr_expect_str_eq(digest, "", "no digest for \"%s\"", text);
}

Test(pin, pin_words_leave_the_text)
{
    expect_take("TERIMA 1000017 PIN 4321", 0, "TERIMA 1000017", 1);
    expect_take("TERIMA 1000017 pin 4321", 0, "TERIMA 1000017", 1);
    expect_take("PIN:4321 BALAS 1000017 sudah", 0, "BALAS 1000017 sudah", 1);
    expect_take("BALAS 1000017 PIN: 4321 sudah", 0, "BALAS 1000017 sudah", 1);
    expect_take("YA 4821 PIN=4321", 0, "YA 4821", 1);
    expect_take("PIN1234", 0, "", 1);
    expect_take("BALAS#1000017#PIN#4321#isi", 0, "BALAS#1000017##isi", 1);
    expect_take("BALAS 1 ok PIN     1234", 0, "BALAS 1 ok", 1);
    expect_take("BALAS 1 ok   pin   1234   lanjut", 0, "BALAS 1 ok   lanjut", 1);
    expect_take("BALAS 1 ok\nPIN 1234", 0, "BALAS 1 ok", 1);
    expect_take("pin 1234 dan PIN 5678", 0, "dan", 2);
    expect_take("PIN 123", 0, "", 1); /* too short for a PIN, still never kept */
    /* what is left never holds a PIN word (found by fuzzing) */
    expect_take("#PIN#PIN 1 2345", 0, "#", 2);
    expect_take("x PIN:PIN 1 2345 y", 0, "x y", 2);
}

Test(pin, words_that_only_look_like_a_pin_stay_text)
{
    expect_take("ALIHKAN 1000017 pindahkan ke DPUPR", 0, "ALIHKAN 1000017 pindahkan ke DPUPR", 0);
    expect_take("pindah 1234", 0, "pindah 1234", 0);
    expect_take("SPIN 1234", 0, "SPIN 1234", 0);
    expect_take("PIN 1234x", 0, "PIN 1234x", 0);
    expect_take("PIN ATM saya 1234 hilang", 0, "PIN ATM saya 1234 hilang", 0);
    expect_take("PIN 12345678901234567", 0, "PIN 12345678901234567", 0); /* 17 digits: a number */
    expect_take("\xc3\xa9PIN 1234", 0, "\xc3\xa9PIN 1234", 0);
    expect_take("PIN 1234\xc3\xa9", 0, "PIN 1234\xc3\xa9", 0);
    expect_take("PIN", 0, "PIN", 0);
    expect_take("", 0, "", 0);
}

Test(pin, digits_at_the_end_of_a_part_may_go_on_in_the_next)
{
    expect_take("BALAS 1 ok PIN 12", 1, "BALAS 1 ok PIN 12", 0);
    expect_take("BALAS 1 ok PIN 12", 0, "BALAS 1 ok", 1);
    expect_take("PIN 4321 BALAS 1 ok panjang", 1, "BALAS 1 ok panjang", 1);
}

Test(pin, the_digest_is_of_the_first_pin_for_the_normalised_sender)
{
    char buf[64] = "YA 4821 PIN 4321 PIN 9999", digest[PIN_DIGEST_MAX], want[PIN_DIGEST_MAX];
    cr_assert_eq(pin_take(buf, "+62 813-1111-0001", 0, digest), 2);
    pin_digest(BUDI, "4321", want);
    cr_expect_str_eq(digest, want);
    cr_expect_str_eq(buf, "YA 4821");
    char plain[64] = "BALAS 1 PIN 4321";
    cr_expect_eq(pin_take(plain, "", 0, NULL), 1, "without a digest wanted");
    cr_expect_str_eq(plain, "BALAS 1");
}

Test(pin, the_lua_twin_uses_the_same_limit)
{
    cr_expect_eq(atoi(STORE_PIN_DIGITS_MAX), PIN_WORD_DIGITS_MAX);
    cr_expect(strstr(store_library, "local function pin_strip") != NULL);
}

Test(pin, codes_are_random_digits_and_kept_as_digests)
{
    char seen[32][PIN_CODE_MAX];
    int distinct = 0;
    for (int i = 0; i < 32; i++) {
        cr_assert_eq(pin_code_new(seen[i]), 0);
        cr_expect_eq(strlen(seen[i]), PIN_CODE_DIGITS);
        cr_expect_eq(strspn(seen[i], "0123456789"), PIN_CODE_DIGITS);
        int dup = 0;
        for (int k = 0; k < i; k++)
            dup |= strcmp(seen[k], seen[i]) == 0;
        distinct += !dup;
    }
    /* 32 draws from 10 000: more than 24 distinct unless something is badly wrong */
    cr_expect_gt(distinct, 24, "%d distinct codes of 32", distinct);
    char a[PIN_DIGEST_MAX], b[PIN_DIGEST_MAX], c[PIN_DIGEST_MAX], d[PIN_DIGEST_MAX];
    pin_code_digest("4821", BUDI, "siar", a);
    pin_code_digest("4821", BUDI, "siar", b);
    pin_code_digest("4821", BUDI, "batal:1", c);
    pin_code_digest("4821", KOMINF, "siar", d);
    cr_expect_str_eq(a, b);
    cr_expect_str_neq(a, c, "bound to what it confirms");
    cr_expect_str_neq(a, d, "and to the number");
}

/* ---- where the worker reads an SMS (modems/worker.c) ---- */

static void ucs2(unsigned char *dst, const char *ascii)
{
    size_t i = 0;
    for (; ascii[i]; i++) {
        dst[2 * i] = 0;
        dst[2 * i + 1] = (unsigned char)ascii[i];
    }
    dst[2 * i] = dst[2 * i + 1] = 0;
}

static void read_sms(const char *text, struct worker_inbound *in)
{
    static GSM_SMSMessage sms;
    memset(&sms, 0, sizeof(sms));
    sms.Coding = SMS_Coding_Default_No_Compression;
    ucs2(sms.Number, "+6281311110001");
    ucs2(sms.Text, text);
    sms.Length = (int)strlen(text);
    worker_inbound(&sms, in);
}

Test(pin, the_worker_keeps_the_digest_and_not_the_pin)
{
    static struct worker_inbound a, b, c, plain;
    char want[PIN_DIGEST_MAX];
    read_sms("TERIMA 1000017 PIN 4321", &a);
    cr_expect_str_eq(a.text, "TERIMA 1000017");
    pin_digest(BUDI, "4321", want);
    cr_expect_str_eq(a.pin, want, "the digest for the sender's normalised number");
    read_sms("TERIMA 1000017 PIN 4322", &b);
    cr_expect_str_eq(b.text, "TERIMA 1000017");
    cr_expect_neq(a.content, b.content, "two messages that differ only in the PIN stay two");
    read_sms("TERIMA 1000017 PIN 4321", &c);
    cr_expect_eq(a.content, c.content, "the same message read twice is recognised");
    read_sms("TERIMA 1000017", &plain);
    cr_expect_str_eq(plain.pin, "");
    cr_expect_neq(plain.content, a.content);
}
