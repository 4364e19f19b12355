/* credit — see credit.h.
 *
 * The modem worker dials the SIM's balance code every balance_every seconds and hands the
 * operator's answer here; store.c's kt_credit records the amount and tells staff once per
 * crossing of balance_low. Everything in this file is pure so it can be unit-tested and
 * fuzzed alone.
 *
 * Reading amounts: operators write "Rp 8.500", "Rp8.500,-", "Rp 10,000", "Rp 1.250.000,00"
 * and put the amount mid-sentence ("Sisa Pulsa Rp 8.500. Aktif s.d. ..."), so a captured
 * "8.500." must still read as 8500. A separator followed by exactly three digits separates
 * thousands; a last separator followed by one or two digits starts a decimal part (dropped:
 * credit is counted in whole rupiah), and must differ from the thousands separator. Anything
 * else ("8.50.0", "1.2345", "12.5.000") is refused rather than guessed, because a wrong
 * reading would either alert staff for nothing or stay silent while the SIM runs dry. */
#include "modems/credit.h"

#include <stdio.h>
#include <string.h>

#define CREDIT_GROUPS_MAX 8 /* 1.000.000.000.000 has five groups */

int credit_code_valid(const char *code)
{
    size_t n = strlen(code);
    return n >= CREDIT_CODE_MIN && n <= CREDIT_CODE_MAX && strspn(code, "0123456789*#") == n &&
           code[n - 1] == '#';
}

/* The next entry of a code list from *p: its start and length (0 at the end). */
static size_t list_next(const char **p, const char **start)
{
    const char *s = *p + strspn(*p, " ,");
    size_t n = strcspn(s, ",");
    *p = s + n;
    while (n > 0 && s[n - 1] == ' ')
        n--;
    *start = s;
    return n;
}

int credit_code_listed(const char *list, const char *code)
{
    size_t len = strlen(code);
    const char *p = list, *e;
    size_t n;
    while ((n = list_next(&p, &e)) > 0)
        if (n == len && memcmp(e, code, n) == 0)
            return 1;
    return 0;
}

int credit_list_check(const char *list, char *bad, size_t badlen)
{
    const char *p = list, *e;
    size_t n;
    while ((n = list_next(&p, &e)) > 0) {
        char code[CREDIT_CODE_MAX + 1];
        if (n <= CREDIT_CODE_MAX) {
            memcpy(code, e, n);
            code[n] = '\0';
        }
        if (n > CREDIT_CODE_MAX || !credit_code_valid(code)) {
            snprintf(bad, badlen, "%.*s", (int)n, e);
            return -1;
        }
    }
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_sep(char c)
{
    return c == '.' || c == ',';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int credit_amount(const char *text, size_t len, long long *rupiah)
{
    size_t i = 0;
    while (i < len && is_space(text[i]))
        i++;
    if (i + 1 < len && (text[i] == 'R' || text[i] == 'r') &&
        (text[i + 1] == 'P' || text[i + 1] == 'p')) {
        i += 2;
        if (i < len && text[i] == '.')
            i++;
        while (i < len && is_space(text[i]))
            i++;
    }
    if (i >= len || !is_digit(text[i]))
        return -1;
    /* The number: groups of digits and the separators between them. */
    size_t start[CREDIT_GROUPS_MAX], size[CREDIT_GROUPS_MAX];
    char sep[CREDIT_GROUPS_MAX];
    int groups = 0;
    while (i < len && is_digit(text[i])) {
        if (groups == CREDIT_GROUPS_MAX)
            return -1;
        start[groups] = i;
        while (i < len && is_digit(text[i]))
            i++;
        size[groups] = i - start[groups];
        sep[groups] = 0;
        groups++;
        if (i + 1 < len && is_sep(text[i]) && is_digit(text[i + 1])) {
            sep[groups - 1] = text[i];
            i++;
        }
    }
    /* What may follow: separators (a full stop ending the sentence, ",-"), a dash, spaces. */
    while (i < len && (is_sep(text[i]) || text[i] == '-' || is_space(text[i])))
        i++;
    if (i != len)
        return -1;
    int whole = groups; /* groups before a decimal part */
    if (groups >= 2 && size[groups - 1] <= 2 && (groups == 2 || sep[groups - 2] != sep[groups - 3]))
        whole = groups - 1;
    if (size[0] > (whole > 1 ? 3 : 13))
        return -1;
    for (int g = 1; g < whole; g++)
        if (size[g] != 3 || sep[g - 1] != sep[0])
            return -1;
    long long v = 0;
    for (int g = 0; g < whole; g++) {
        for (size_t k = 0; k < size[g]; k++) {
            v = v * 10 + (text[start[g] + k] - '0');
            if (v > CREDIT_RUPIAH_MAX)
                return -1;
        }
    }
    *rupiah = v;
    return 0;
}

int credit_pattern_compile(regex_t *re, const char *pattern, char *err, size_t errlen)
{
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_ICASE);
    if (rc != 0) {
        char why[160];
        regerror(rc, re, why, sizeof(why));
        snprintf(err, errlen, "not a valid extended regular expression: %s", why);
        return -1;
    }
    if (re->re_nsub != 1) {
        snprintf(err, errlen,
                 "needs exactly one group, around the amount, e.g. pulsa[^0-9]*rp ?([0-9.,]+) "
                 "(it has %zu)",
                 re->re_nsub);
        regfree(re);
        return -1;
    }
    return 0;
}

int credit_match(const regex_t *re, const char *answer, long long *rupiah, char *why, size_t whylen)
{
    regmatch_t m[2];
    if (regexec(re, answer, 2, m, 0) != 0) {
        snprintf(why, whylen, "the answer does not match balance_pattern");
        return -1;
    }
    if (m[1].rm_so < 0 || m[1].rm_eo < m[1].rm_so) {
        snprintf(why, whylen, "balance_pattern matched but its group took no part");
        return -1;
    }
    size_t n = (size_t)(m[1].rm_eo - m[1].rm_so);
    if (credit_amount(answer + m[1].rm_so, n, rupiah) != 0) {
        snprintf(why, whylen, "'%.*s' is not an amount of rupiah", n > 40 ? 40 : (int)n,
                 answer + m[1].rm_so);
        return -1;
    }
    return 0;
}

size_t credit_format(long long rupiah, char *out, size_t outlen)
{
    char digits[32];
    int n = snprintf(digits, sizeof(digits), "%lld", rupiah < 0 ? -rupiah : rupiah);
    char buf[48];
    size_t o = 0;
    if (rupiah < 0)
        buf[o++] = '-';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = '.';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    if (outlen == 0)
        return 0;
    return (size_t)snprintf(out, outlen, "%s", buf) < outlen ? o : outlen - 1;
}

size_t credit_alert_text(const char *modem, long long credit, long long low, char *out,
                         size_t outlen)
{
    char c[48], l[48];
    credit_format(credit, c, sizeof(c));
    credit_format(low, l, sizeof(l));
    /* Modem names are letters, digits, '-' and '_' (config.c): all GSM-7, '_' included. */
    char text[CREDIT_ALERT_MAX * 2];
    int n = snprintf(text, sizeof(text),
                     "kentongan: pulsa SIM modem %.32s tinggal Rp %s, di bawah batas Rp %s. "
                     "Mohon segera isi ulang.",
                     modem, c, l);
    if (n > CREDIT_ALERT_MAX)
        n = CREDIT_ALERT_MAX;
    if (outlen == 0)
        return 0;
    size_t k = (size_t)n < outlen ? (size_t)n : outlen - 1;
    memcpy(out, text, k);
    out[k] = '\0';
    return k;
}
