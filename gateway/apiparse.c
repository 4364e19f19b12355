/* apiparse — see apiparse.h. */
#include "gateway/apiparse.h"
#include "gateway/clock.h"

#include <string.h>
#include <strings.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int apiparse_split(const char *path, char seg[][APIPARSE_SEG_MAX], int max)
{
    if (path == NULL || path[0] != '/')
        return -1;
    int n = 0;
    const char *p = path + 1;
    if (*p == '\0')
        return 0; /* "/" */
    for (;;) {
        size_t len = strcspn(p, "/");
        if (len == 0) {
            /* "/a/" ends with one '/': ignored; "//" anywhere is refused */
            if (*p == '\0' && n > 0)
                return n;
            return -1;
        }
        if (n == max)
            return -1;
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            int c = (unsigned char)p[i];
            if (c == '%') {
                if (i + 2 >= len)
                    return -1; /* both hex digits must be in this segment */
                int hi = hexval(p[i + 1]), lo = hexval(p[i + 2]);
                if (hi < 0 || lo < 0)
                    return -1;
                c = hi * 16 + lo;
                i += 2;
            }
            if (c < 0x20 || c == 0x7f || c == '/')
                return -1;
            if (o + 1 >= APIPARSE_SEG_MAX)
                return -1;
            seg[n][o++] = (char)c;
        }
        seg[n][o] = '\0';
        n++;
        p += len;
        if (*p == '\0')
            return n;
        p++; /* the '/' */
    }
}

int apiparse_match(const char *pattern, char seg[][APIPARSE_SEG_MAX], int n, int *args, int *nargs)
{
    if (pattern == NULL || pattern[0] != '/')
        return 0;
    const char *p = pattern + 1;
    int i = 0, k = 0;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (i == n)
            return 0;
        if (len == 1 && p[0] == '*') {
            if (k == APIPARSE_SEGS_MAX)
                return 0;
            args[k++] = i;
        } else if (strlen(seg[i]) != len || strncmp(seg[i], p, len) != 0) {
            return 0;
        }
        i++;
        p += len;
        if (*p == '/')
            p++;
    }
    if (i != n)
        return 0;
    *nargs = k;
    return 1;
}

int apiparse_bearer(const char *header, char *token, size_t len)
{
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
        return -1;
    const char *t = header + 7;
    while (*t == ' ')
        t++;
    size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/");
    size_t eq = strspn(t + n, "=");
    size_t end = n + eq;
    while (t[end] == ' ')
        end++;
    if (n == 0 || t[end] != '\0' || n + eq >= len)
        return -1;
    memcpy(token, t, n + eq);
    token[n + eq] = '\0';
    return 0;
}

int apiparse_long(const char *text, long lo, long hi, long *out)
{
    if (text == NULL || *text == '\0')
        return -1;
    const char *p = text;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 18)
        return -1;
    long v = 0;
    for (; *p; p++)
        v = v * 10 + (*p - '0');
    if (neg)
        v = -v;
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int apiparse_hex32(const char *hex, unsigned char out[32])
{
    if (hex == NULL || strlen(hex) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly n digits; -1 if any is not a digit. */
static int digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int apiparse_time(const char *text, long long *out)
{
    if (text == NULL || *text == '\0')
        return -1;
    size_t n = strlen(text);
    if (strspn(text, "0123456789") == n) {
        long v;
        if (apiparse_long(text, 0, 32503680000L, &v) != 0) /* before year 3000 */
            return -1;
        *out = v;
        return 0;
    }
    /* YYYY-MM-DD[ T]HH:MM[:SS][Z|+HH:MM|-HH:MM] */
    if (n < 16 || text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T') ||
        text[13] != ':')
        return -1;
    int y = digits(text, 4), mo = digits(text + 5, 2), d = digits(text + 8, 2);
    int h = digits(text + 11, 2), mi = digits(text + 14, 2), s = 0;
    const char *p = text + 16;
    if (*p == ':') {
        s = digits(p + 1, 2);
        p += 3;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
        s > 59)
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return -1;
    long long offset = CLOCK_WIB_OFFSET;
    if (*p == 'Z' && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 14 || om < 0 || om > 59)
            return -1;
        offset = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    } else if (*p != '\0') {
        return -1;
    }
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
    return 0;
}

int apiparse_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, cp, min;
        int n;
        if (c < 0x80) {
            p++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        for (int i = 1; i <= n; i++) { /* stops at the NUL: it is no continuation byte */
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}
