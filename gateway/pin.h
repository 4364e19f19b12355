/* pin — officials' PINs: how they are hashed, how "PIN nnnn" leaves a
 * message's text before it reaches Redis, and the one-time codes that
 * confirm wide actions.
 *
 *   kentongan --hash-pin 0812...   reads the PIN from stdin, prints the
 *                                  configuration line (pin_config_line)
 *   config:  pin_config_parse()    checks [official:NAME] pin, gives the digest
 *   worker:  pin_take()            strips the PIN words of an inbound text and
 *                                  gives the digest of the first one
 *   handler: pin_equal()           compares the two digests in constant time
 *
 * The digest is PBKDF2-HMAC-SHA256 of the PIN's digits, salted with the
 * official's normalised number ("kentongan-pin:628..."), PIN_HASH_ITERATIONS
 * rounds, as 64 hex digits. The salt is the number, not a random value, on
 * purpose: the modem worker must compute the digest the moment the text
 * arrives, from nothing but the sender's number, so that the PIN itself never
 * reaches Redis (kt:in carries the digest in its field "pin"). Equal PINs of
 * two officials still hash differently, and the rounds make every guess of a
 * stolen configuration or stream cost milliseconds; a PIN of 4-8 digits
 * cannot be made safe against a patient offline search, which is why the
 * digest is treated as a secret too (never logged) and why guessing through
 * SMS is limited by the lockout (handlers/auth.h). */
#ifndef KT_PIN_H
#define KT_PIN_H

#include <stddef.h>

#define PIN_HASH_ITERATIONS 50000 /* PBKDF2 rounds (~14 ms on the 2-core development machine) */
#define PIN_DIGEST_HEX      64    /* hex digits of a digest */
#define PIN_DIGEST_MAX      (PIN_DIGEST_HEX + 8) /* buffer for a digest or a marker ("split") */
#define PIN_MIN_DIGITS      4                    /* a configured PIN */
#define PIN_MAX_DIGITS      8
#define PIN_WORD_DIGITS_MAX 16 /* a longer run after "PIN" is text, not a PIN */
#define PIN_SCHEME          "pbkdf2-sha256"
#define PIN_LINE_MAX        160     /* "pin = pbkdf2-sha256$50000$628...$<64 hex>" */
#define PIN_SPLIT           "split" /* kt:in "pin": a PIN word straddled two SMS parts */
#define PIN_CODE_DIGITS     4       /* one-time confirmation codes */
#define PIN_CODE_MAX        (PIN_CODE_DIGITS + 1)

/* The digest of pin (digits) for the normalised number phone, 64 hex digits
 * and a NUL into hex. */
void pin_digest(const char *phone, const char *pin, char hex[PIN_DIGEST_MAX]);
/* The configuration value for pin and phone ("pbkdf2-sha256$ROUNDS$PHONE$HEX");
 * 0, or -1 with the reason in why when pin is not 4-8 digits or phone not a
 * mobile number. */
int pin_config_value(const char *phone, const char *pin, char *out, size_t outlen, char *why,
                     size_t whylen);
/* Checks a configured value against the official's normalised number; 0 with
 * the digest in hex, or -1 with the reason in why (an operator's sentence). */
int pin_config_parse(const char *value, const char *phone, char hex[PIN_DIGEST_MAX], char *why,
                     size_t whylen);
/* 1 when a and b are the same digest (64 hex digits each), in time that does
 * not depend on where they differ; 0 otherwise (also for "" or "split"). */
int pin_equal(const char *a, const char *b);

/* Removes every PIN word ("PIN 1234", "pin:1234", "PIN1234", "#PIN#1234"; a
 * word beginning with "pin", as "pindahkan", is text) from text, in place,
 * with the spaces that separated it. When digest is not NULL it receives the
 * digest of the first one for the sender from (any spelling: normalised
 * here), or "" when there was none. continues: the text is a part of a longer
 * message and goes on in the next part, so digits that run to its very end
 * may go on too and are left for the whole message (store.c). Returns the
 * number of PIN words removed. */
int pin_take(char *text, const char *from, int continues, char digest[PIN_DIGEST_MAX]);

/* A fresh random code of PIN_CODE_DIGITS digits (getrandom); 0, or -1 when
 * the kernel gives no randomness. */
int pin_code_new(char code[PIN_CODE_MAX]);
/* What is kept of a code: SHA-256 of "code|phone|purpose" as 64 hex digits. */
void pin_code_digest(const char *code, const char *phone, const char *purpose,
                     char hex[PIN_DIGEST_MAX]);

#endif
