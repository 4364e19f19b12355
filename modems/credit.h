/* credit — the pure parts of the SIM credit (pulsa) check: which USSD codes may be dialled,
 * the operator's balance answer read into whole rupiah, and the alert staff get by SMS.
 *
 *   credit_code_valid("*888#")                          1: digits, '*' and '#', ends in '#'
 *   regex_t re;
 *   credit_pattern_compile(&re, pattern, err, len)      0, or -1 with the reason
 *   credit_match(&re, answer, &rupiah, why, len)        0, or -1 with the reason
 *   regfree(&re);
 *   credit_amount("Rp 8.500", 8, &rupiah)               0 and 8500
 *
 * Patterns are POSIX extended regular expressions matched without regard to case, with
 * exactly one group, which holds the amount. Amounts are written as Indonesian operators
 * write them: '.' or ',' between thousands ("8.500", "10,000", "1.250.000"), sometimes a
 * decimal part ("8.500,00", "Rp 8.500,-"), which is dropped. No I/O, no global state. */
#ifndef KT_CREDIT_H
#define KT_CREDIT_H

#include <regex.h>
#include <stddef.h>

#define CREDIT_CODE_MIN   2               /* characters of a USSD code */
#define CREDIT_CODE_MAX   40              /* characters of a USSD code */
#define CREDIT_RUPIAH_MAX 1000000000000LL /* a larger amount is not a SIM's credit */
#define CREDIT_ALERT_MAX  160             /* the alert fits one GSM-7 SMS */
#define CREDIT_PATTERN    /* the default balance_pattern */ "pulsa[^0-9]*rp[^0-9]*([0-9][0-9.,]*)"

/* 1 when code is CREDIT_CODE_MIN..CREDIT_CODE_MAX of 0-9, '*' and '#' and ends in '#'. */
int credit_code_valid(const char *code);

/* Lists of codes are comma-separated ("*888#, *123#"), spaces around an entry ignored.
 * credit_code_listed: 1 when code is one of list's entries, exactly. credit_list_check: 0
 * when every entry is a valid code, else -1 with the first bad entry copied into bad. */
int credit_code_listed(const char *list, const char *code);
int credit_list_check(const char *list, char *bad, size_t badlen);

/* Reads text[0..len) as an amount of rupiah: optional "Rp" (any case, with or without '.'),
 * then digits with '.' or ',' between groups of three, then optionally a decimal part of one
 * or two digits after the other separator (or ",-"), and trailing spaces or separators.
 * 0 with *rupiah set, or -1 when it is not such an amount (or exceeds CREDIT_RUPIAH_MAX). */
int credit_amount(const char *text, size_t len, long long *rupiah);

/* Compiles pattern (extended, case-insensitive); it must have exactly one group.
 * 0, or -1 with the reason in err (re is then not to be used or freed). */
int credit_pattern_compile(regex_t *re, const char *pattern, char *err, size_t errlen);

/* Finds the balance in answer with re from credit_pattern_compile: 0 with *rupiah set, or
 * -1 with the reason in why (no match, or the group holds no amount). */
int credit_match(const regex_t *re, const char *answer, long long *rupiah, char *why,
                 size_t whylen);

/* rupiah with '.' between thousands ("1.250.000"); returns the length written. */
size_t credit_format(long long rupiah, char *out, size_t outlen);

/* The SMS staff get when modem's credit falls below low: GSM-7, at most CREDIT_ALERT_MAX
 * characters (the modem name is cut if it must be). Returns the length written. */
size_t credit_alert_text(const char *modem, long long credit, long long low, char *out,
                         size_t outlen);

#endif
