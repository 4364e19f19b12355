/* workday — working days in WIB (see workday.h for the deadline rule).
 *
 * Everything works on "day numbers": days since 1970-01-01 of the WIB
 * calendar, so a time is first shifted by +7 h and then floored to a day.
 * That is the whole time-zone story: Indonesia's western zone has had no
 * daylight saving since 1964, and the regency's rules speak of WIB days, so
 * neither the process's TZ nor the C library's tables are consulted (a
 * server left on UTC must still see Friday 23:30 WIB as Friday).
 *
 * The holiday list is a sorted array of distinct day numbers, allocated once
 * by holidays_parse and read-only afterwards, so one list can be shared by
 * everything that computes deadlines. Lookups are binary searches; counting
 * working days between two dates is arithmetic on whole weeks plus a count of
 * the holidays in the range that fall on weekdays, so workday_count is cheap
 * however far apart the dates are. workday_deadline walks day by day: at most
 * WORKDAY_N_MAX working days plus the weekends and holidays in between.
 *
 * Dates are converted with Howard Hinnant's days_from_civil / civil_from_days
 * (proleptic Gregorian, exact for every day number used here). */
#include "handlers/workday.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY        86400LL
#define YEAR_MIN   1970
#define YEAR_MAX   9999
#define TOKEN_SHOW 32 /* bytes of a bad token quoted in an error */
#define STR_(x)    #x
#define STR(x)     STR_(x)

struct holidays {
    size_t n;
    long long day[]; /* sorted, distinct */
};

/* ---- calendar arithmetic ------------------------------------------------ */

static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = floor_div(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long long era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long)yoe + era * 400 + (*m <= 2);
}

static int in_range(long long t)
{
    return t >= 0 && t <= WORKDAY_TIME_MAX;
}

/* The WIB day number of a time in range. */
static long long day_of(long long t)
{
    return floor_div(t + WORKDAY_TZ_OFFSET, DAY);
}

/* 23:59:59 WIB of a day. */
static long long day_end(long long day)
{
    return (day + 1) * DAY - WORKDAY_TZ_OFFSET - 1;
}

/* 0 = Monday .. 6 = Sunday; day 0 (1970-01-01) was a Thursday. */
static int weekday(long long day)
{
    long long w = (day + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* Monday to Friday in the days ..day (a cumulative count; only differences matter). */
static long long weekdays_upto(long long day)
{
    long long k = day + 3; /* Monday-based */
    long long weeks = floor_div(k, 7), r = k - weeks * 7;
    return weeks * 5 + (r < 5 ? r + 1 : 5);
}

/* Index of the first holiday >= day. */
static size_t lower_bound(const struct holidays *h, long long day)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->day[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int is_holiday(const struct holidays *h, long long day)
{
    if (!h)
        return 0;
    size_t i = lower_bound(h, day);
    return i < h->n && h->day[i] == day;
}

static int is_working(const struct holidays *h, long long day)
{
    return weekday(day) < 5 && !is_holiday(h, day);
}

/* ---- the holiday list --------------------------------------------------- */

static int is_sep(char c)
{
    return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads "YYYY-MM-DD" at *p into a day number; advances *p. */
static int read_date(const char **p, long long *day)
{
    const char *s = *p;
    unsigned v[3] = {0, 0, 0};
    static const unsigned width[3] = {4, 2, 2};
    static const unsigned char mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    for (int f = 0; f < 3; f++) {
        if (f > 0 && *s++ != '-')
            return -1;
        for (unsigned i = 0; i < width[f]; i++, s++) {
            if (*s < '0' || *s > '9')
                return -1;
            v[f] = v[f] * 10 + (unsigned)(*s - '0');
        }
    }
    if (v[0] < YEAR_MIN || v[0] > YEAR_MAX || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
        v[2] > mdays[v[1] - 1])
        return -1;
    int leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[1] == 2 && v[2] == 29 && !leap)
        return -1;
    *day = days_from_civil(v[0], v[1], v[2]);
    *p = s;
    return 0;
}

static int cmp_day(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static void set_err(char *err, size_t errlen, const char *what, const char *tok)
{
    size_t n = 0;
    if (!err || errlen == 0)
        return;
    while (tok && tok[n] && !is_sep(tok[n]) && n < TOKEN_SHOW)
        n++;
    if (tok)
        snprintf(err, errlen, "holidays: %s at \"%.*s\"", what, (int)n, tok);
    else
        snprintf(err, errlen, "holidays: %s", what);
}

struct holidays *holidays_parse(const char *list, char *err, size_t errlen)
{
    struct holidays *h = malloc(sizeof *h + HOLIDAYS_MAX * sizeof h->day[0]);
    const char *p = list ? list : "";

    if (err && errlen)
        err[0] = '\0';
    if (!h) {
        set_err(err, errlen, "out of memory", NULL);
        return NULL;
    }
    h->n = 0;
    for (;;) {
        while (is_sep(*p))
            p++;
        if (*p == '\0')
            break;
        const char *tok = p;
        long long first, last;
        if (read_date(&p, &first) != 0) {
            set_err(err, errlen, "not a date YYYY-MM-DD", tok);
            goto err;
        }
        last = first;
        if (p[0] == '.' && p[1] == '.') {
            p += 2;
            if (read_date(&p, &last) != 0) {
                set_err(err, errlen, "range end is not a date YYYY-MM-DD", tok);
                goto err;
            }
            if (last < first) {
                set_err(err, errlen, "range ends before it starts", tok);
                goto err;
            }
            if (last - first + 1 > HOLIDAYS_RANGE_MAX) {
                set_err(err, errlen, "range longer than " STR(HOLIDAYS_RANGE_MAX) " days", tok);
                goto err;
            }
        }
        if (*p != '\0' && !is_sep(*p)) {
            set_err(err, errlen, "junk after a date", tok);
            goto err;
        }
        for (long long d = first; d <= last; d++) {
            if (h->n == HOLIDAYS_MAX) {
                set_err(err, errlen, "more than " STR(HOLIDAYS_MAX) " dates", tok);
                goto err;
            }
            h->day[h->n++] = d;
        }
    }
    qsort(h->day, h->n, sizeof h->day[0], cmp_day);
    size_t n = 0;
    for (size_t i = 0; i < h->n; i++)
        if (n == 0 || h->day[i] != h->day[n - 1])
            h->day[n++] = h->day[i];
    h->n = n;
    struct holidays *shrunk = realloc(h, sizeof *h + (n ? n : 1) * sizeof h->day[0]);
    return shrunk ? shrunk : h;
err:
    free(h);
    return NULL;
}

void holidays_free(struct holidays *h)
{
    free(h);
}

size_t holidays_count(const struct holidays *h)
{
    return h ? h->n : 0;
}

/* ---- working days ------------------------------------------------------- */

int workday_is(const struct holidays *h, long long unix_time)
{
    return in_range(unix_time) && is_working(h, day_of(unix_time));
}

long long workday_deadline(const struct holidays *h, long long from, int n)
{
    if (n < 0 || n > WORKDAY_N_MAX || !in_range(from))
        return -1;
    long long day = day_of(from);
    for (int counted = 0; counted < n;)
        if (is_working(h, ++day))
            counted++;
    return day_end(day);
}

long long workday_calendar_deadline(long long from, int days)
{
    if (days < 0 || !in_range(from))
        return -1;
    return day_end(day_of(from) + days);
}

int workday_count(const struct holidays *h, long long from, long long to)
{
    if (!in_range(from) || !in_range(to))
        return 0;
    long long a = day_of(from), b = day_of(to);
    if (b <= a)
        return 0;
    long long n = weekdays_upto(b) - weekdays_upto(a);
    if (h)
        for (size_t i = lower_bound(h, a + 1); i < h->n && h->day[i] <= b; i++)
            if (weekday(h->day[i]) < 5)
                n--;
    return (int)n;
}

int workday_format(long long unix_time, char *out, size_t outlen)
{
    static const char wd[7][4] = {"Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"};
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "Mei", "Jun",
                                    "Jul", "Agu", "Sep", "Okt", "Nov", "Des"};
    long long y;
    unsigned m, d;

    if (outlen > 0)
        out[0] = '\0';
    if (!in_range(unix_time))
        return -1;
    long long day = day_of(unix_time);
    civil_from_days(day, &y, &m, &d);
    int n = snprintf(out, outlen, "%s %u %s %lld", wd[weekday(day)], d, mon[m - 1], y);
    if (n < 0 || (size_t)n >= outlen) {
        if (outlen > 0)
            out[0] = '\0';
        return -1;
    }
    return n;
}
