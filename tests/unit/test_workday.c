/*
 * Unit tests for handlers/workday: WIB days at the UTC boundaries, weekends, holidays and
 * ranges, year end, the deadline rule (filed on a working day, a Friday night, a Saturday, a
 * holiday), counting, the 60-day helper, the holiday list parser and the SMS date format.
 * Times are built with timegm, independent of the code under test and of the process's TZ.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "handlers/workday.h"

/* Unix time of a WIB wall-clock time. */
static long long wib(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (long long)timegm(&tm) - 7 * 3600;
}

/* 23:59:59 WIB of a date. */
static long long eod(int y, int mo, int d)
{
    return wib(y, mo, d, 23, 59, 59);
}

static struct holidays *parse_ok(const char *list)
{
    char err[128] = "untouched";
    struct holidays *h = holidays_parse(list, err, sizeof err);
    cr_assert_not_null(h, "\"%s\" refused: %s", list ? list : "(null)", err);
    return h;
}

static void parse_bad(const char *list, const char *reason_part)
{
    char err[128] = "";
    struct holidays *h = holidays_parse(list, err, sizeof err);
    cr_assert_null(h, "\"%s\" accepted", list);
    cr_assert(strstr(err, reason_part), "\"%s\": err \"%s\" lacks \"%s\"", list, err, reason_part);
}

static void deadline_is(const struct holidays *h, long long from, int n, long long want)
{
    long long got = workday_deadline(h, from, n);
    char g[WORKDAY_DATE_MAX], w[WORKDAY_DATE_MAX];
    workday_format(got, g, sizeof g);
    workday_format(want, w, sizeof w);
    cr_assert_eq(got, want, "deadline(%lld, %d) = %lld (%s), want %lld (%s)", from, n, got, g, want,
                 w);
}

Test(workday, wib_days_at_utc_boundaries)
{
    /* Friday 4 Dec 2026, Saturday 5 Dec */
    cr_assert_eq(workday_is(NULL, wib(2026, 12, 4, 0, 0, 0)), 1);   /* Thu 17:00 UTC */
    cr_assert_eq(workday_is(NULL, wib(2026, 12, 4, 23, 30, 0)), 1); /* Fri 16:30 UTC */
    cr_assert_eq(workday_is(NULL, wib(2026, 12, 4, 23, 59, 59)), 1);
    cr_assert_eq(workday_is(NULL, wib(2026, 12, 5, 0, 0, 0)), 0); /* still Friday in UTC */
    cr_assert_eq(workday_is(NULL, wib(2026, 12, 5, 0, 30, 0)), 0);
    cr_assert_eq(workday_is(NULL, wib(2026, 12, 6, 12, 0, 0)), 0); /* Sunday */
    cr_assert_eq(workday_is(NULL, wib(2026, 12, 7, 6, 0, 0)), 1);  /* Mon 06:00 = Sun UTC */
    cr_assert_eq(workday_is(NULL, wib(2026, 12, 6, 23, 59, 59)), 0);
    cr_assert_eq(workday_is(NULL, 0), 1);  /* Thu 1 Jan 1970 07:00 */
    cr_assert_eq(workday_is(NULL, -1), 0); /* out of range */
    cr_assert_eq(workday_is(NULL, WORKDAY_TIME_MAX + 1), 0);
}

Test(workday, holidays_are_not_working_days)
{
    struct holidays *h = parse_ok("2026-12-25, 2027-01-01");
    cr_assert_eq(holidays_count(h), 2);
    cr_assert_eq(workday_is(h, wib(2026, 12, 25, 9, 0, 0)), 0);
    cr_assert_eq(workday_is(h, wib(2026, 12, 25, 0, 0, 0)), 0);
    cr_assert_eq(workday_is(h, wib(2026, 12, 24, 23, 59, 59)), 1);
    cr_assert_eq(workday_is(h, wib(2026, 12, 26, 0, 0, 0) - 1), 0);
    cr_assert_eq(workday_is(h, wib(2027, 1, 1, 12, 0, 0)), 0);
    cr_assert_eq(workday_is(NULL, wib(2026, 12, 25, 9, 0, 0)), 1);
    holidays_free(h);
}

Test(workday, deadline_from_working_days)
{
    /* Monday 30 Nov 2026 */
    deadline_is(NULL, wib(2026, 11, 30, 8, 0, 0), 3, eod(2026, 12, 3));
    deadline_is(NULL, wib(2026, 11, 30, 0, 0, 0), 3, eod(2026, 12, 3));
    deadline_is(NULL, wib(2026, 11, 30, 23, 59, 59), 3, eod(2026, 12, 3));
    deadline_is(NULL, wib(2026, 11, 30, 8, 0, 0), 5, eod(2026, 12, 7));
    deadline_is(NULL, wib(2026, 11, 30, 8, 0, 0), 10, eod(2026, 12, 14));
    deadline_is(NULL, wib(2026, 11, 30, 8, 0, 0), 0, eod(2026, 11, 30));
    deadline_is(NULL, wib(2026, 11, 30, 8, 0, 0), 1, eod(2026, 12, 1));
    /* Wednesday: 3 days ends on Monday */
    deadline_is(NULL, wib(2026, 12, 2, 8, 0, 0), 3, eod(2026, 12, 7));
}

Test(workday, deadline_friday_night_vs_saturday)
{
    long long fri = wib(2026, 12, 4, 23, 30, 0); /* Friday 16:30 UTC */
    long long sat = wib(2026, 12, 5, 0, 30, 0);  /* Friday 17:30 UTC, Saturday WIB */
    long long sun = wib(2026, 12, 6, 20, 0, 0);

    deadline_is(NULL, fri, 3, eod(2026, 12, 9));
    deadline_is(NULL, sat, 3, eod(2026, 12, 9));
    deadline_is(NULL, sun, 3, eod(2026, 12, 9));
    deadline_is(NULL, fri, 5, eod(2026, 12, 11));
    deadline_is(NULL, sat, 5, eod(2026, 12, 11));
    deadline_is(NULL, fri, 10, eod(2026, 12, 18));
    deadline_is(NULL, sat, 10, eod(2026, 12, 18));
    /* Monday 00:30 WIB is Sunday in UTC: Monday is the filing day, so Thursday */
    deadline_is(NULL, wib(2026, 12, 7, 0, 30, 0), 3, eod(2026, 12, 10));
    /* n = 0 on a Saturday: the end of that Saturday */
    deadline_is(NULL, sat, 0, eod(2026, 12, 5));
    /* the deadline is 16:59:59 UTC */
    cr_assert_eq(workday_deadline(NULL, fri, 3) % 86400, 16 * 3600 + 59 * 60 + 59);
}

Test(workday, deadline_across_holidays_and_year_end)
{
    struct holidays *h = parse_ok("2026-12-25, 2027-01-01");

    /* Thursday 24 Dec: Fri 25 is a holiday -> Mon 28, Tue 29, Wed 30 */
    deadline_is(h, wib(2026, 12, 24, 10, 0, 0), 3, eod(2026, 12, 30));
    /* filed ON the holiday (Friday 25): same as filing in the weekend */
    deadline_is(h, wib(2026, 12, 25, 10, 0, 0), 3, eod(2026, 12, 30));
    /* Wed 30 Dec: Thu 31, (Fri 1 Jan), Mon 4, Tue 5 */
    deadline_is(h, wib(2026, 12, 30, 10, 0, 0), 3, eod(2027, 1, 5));
    deadline_is(h, wib(2026, 12, 30, 10, 0, 0), 5, eod(2027, 1, 7));
    deadline_is(h, wib(2026, 12, 30, 10, 0, 0), 10, eod(2027, 1, 14));
    /* filed on New Year's Eve late at night (UTC still 31 Dec 17:xx) */
    deadline_is(h, wib(2026, 12, 31, 23, 30, 0), 3, eod(2027, 1, 6));
    /* filed in the first minute of the holiday (UTC: 31 Dec 17:00) */
    deadline_is(h, wib(2027, 1, 1, 0, 0, 0), 3, eod(2027, 1, 6));
    /* without the holidays the same filing is due earlier */
    deadline_is(NULL, wib(2026, 12, 30, 10, 0, 0), 3, eod(2027, 1, 4));
    holidays_free(h);
}

Test(workday, deadline_across_a_range)
{
    /* a whole week of cuti bersama */
    struct holidays *h = parse_ok("2027-03-08..2027-03-12");
    cr_assert_eq(holidays_count(h), 5);
    deadline_is(h, wib(2027, 3, 5, 15, 0, 0), 3, eod(2027, 3, 17)); /* Fri -> Wed after */
    deadline_is(h, wib(2027, 3, 9, 15, 0, 0), 1, eod(2027, 3, 15)); /* filed mid-leave */
    deadline_is(h, wib(2027, 3, 4, 15, 0, 0), 1, eod(2027, 3, 5));
    deadline_is(h, wib(2027, 3, 4, 15, 0, 0), 2, eod(2027, 3, 15));
    holidays_free(h);
}

Test(workday, deadline_limits)
{
    long long t = wib(2026, 12, 2, 8, 0, 0);
    cr_assert_eq(workday_deadline(NULL, t, -1), -1);
    cr_assert_eq(workday_deadline(NULL, t, WORKDAY_N_MAX + 1), -1);
    cr_assert_gt(workday_deadline(NULL, t, WORKDAY_N_MAX), t);
    cr_assert_eq(workday_deadline(NULL, -1, 3), -1);
    cr_assert_eq(workday_deadline(NULL, WORKDAY_TIME_MAX + 1, 3), -1);
    cr_assert_eq(workday_deadline(NULL, -9223372036854775807LL - 1, 3), -1);
}

Test(workday, calendar_deadline_sixty_days)
{
    long long t = wib(2026, 12, 2, 10, 0, 0);
    cr_assert_eq(workday_calendar_deadline(t, WORKDAY_LEGAL_MAX_DAYS), eod(2027, 1, 31));
    cr_assert_eq(workday_calendar_deadline(t, 0), eod(2026, 12, 2));
    cr_assert_eq(workday_calendar_deadline(wib(2026, 12, 5, 0, 30, 0), 1), eod(2026, 12, 6));
    cr_assert_eq(workday_calendar_deadline(t, -1), -1);
    cr_assert_eq(workday_calendar_deadline(-5, 60), -1);
}

Test(workday, count)
{
    struct holidays *h = parse_ok("2026-12-25, 2027-01-01, 2027-03-08..2027-03-12");
    long long mon = wib(2026, 11, 30, 8, 0, 0);

    cr_assert_eq(workday_count(NULL, mon, mon), 0);
    cr_assert_eq(workday_count(NULL, mon, wib(2026, 11, 30, 23, 0, 0)), 0);
    cr_assert_eq(workday_count(NULL, mon, wib(2026, 12, 1, 0, 0, 0)), 1);
    cr_assert_eq(workday_count(NULL, mon, wib(2026, 12, 4, 12, 0, 0)), 4);
    cr_assert_eq(workday_count(NULL, mon, wib(2026, 12, 6, 12, 0, 0)), 4);
    cr_assert_eq(workday_count(NULL, mon, wib(2026, 12, 7, 0, 0, 0)), 5);
    cr_assert_eq(workday_count(NULL, wib(2026, 12, 7, 0, 0, 0), mon), 0); /* reversed */
    /* Friday 23:30 WIB to Saturday 00:30 WIB: one calendar day, no working day */
    cr_assert_eq(workday_count(NULL, wib(2026, 12, 4, 23, 30, 0), wib(2026, 12, 5, 0, 30, 0)), 0);
    /* Thursday 23:30 WIB to Friday 00:30 WIB: one working day, though UTC sees one day */
    cr_assert_eq(workday_count(NULL, wib(2026, 12, 3, 23, 30, 0), wib(2026, 12, 4, 0, 30, 0)), 1);
    /* 2027 has 261 weekdays; 1 Jan and the March week are holidays on weekdays */
    long long ny_eve = wib(2026, 12, 31, 12, 0, 0), end27 = wib(2027, 12, 31, 12, 0, 0);
    cr_assert_eq(workday_count(NULL, ny_eve, end27), 261);
    cr_assert_eq(workday_count(h, ny_eve, end27), 255);
    /* a weekend holiday changes nothing */
    struct holidays *wk = parse_ok("2027-01-02 2027-01-03");
    cr_assert_eq(workday_count(wk, ny_eve, end27), 261);
    holidays_free(wk);
    cr_assert_eq(workday_count(NULL, -1, end27), 0);
    holidays_free(h);
}

/* workday_count against a day-by-day walk with workday_is, and deadline against count. */
Test(workday, count_and_deadline_agree)
{
    struct holidays *h = parse_ok("2026-12-25 2027-01-01 2027-03-08..2027-03-12 2027-01-04");
    long long start = wib(2026, 12, 1, 0, 0, 0);
    int checked = 0;

    for (long long from = start; from < start + 120LL * 86400; from += 3600 * 5 + 17) {
        for (int n = 0; n <= 15; n++) {
            long long d = workday_deadline(h, from, n);
            cr_assert_eq(workday_count(h, from, d), n, "from %lld n %d", from, n);
            if (n > 0) {
                cr_assert_eq(workday_is(h, d), 1, "deadline not a working day");
                cr_assert_eq(workday_count(h, from, d - 86400), n - 1);
            }
            cr_assert_eq((d + 7 * 3600) % 86400, 86399, "not the end of a WIB day");
            checked++;
        }
        long long to = from + (from % 50) * 86400 + 3333;
        int walk = 0;
        for (long long t = from - (from + 7 * 3600) % 86400 + 86400; t <= to; t += 86400)
            walk += workday_is(h, t);
        cr_assert_eq(workday_count(h, from, to), walk, "count(%lld, %lld)", from, to);
    }
    cr_assert_gt(checked, 8000);
    holidays_free(h);
}

Test(workday, holidays_parse_accepts)
{
    struct holidays *h;

    h = parse_ok(NULL);
    cr_assert_eq(holidays_count(h), 0);
    holidays_free(h);
    h = parse_ok("");
    cr_assert_eq(holidays_count(h), 0);
    cr_assert_eq(workday_is(h, wib(2026, 12, 25, 9, 0, 0)), 1);
    holidays_free(h);
    h = parse_ok(" ,; \n");
    cr_assert_eq(holidays_count(h), 0);
    holidays_free(h);
    /* any order, duplicates, newlines, semicolons, overlapping ranges */
    h = parse_ok(
        "2027-01-01\n2026-12-25;2026-12-25 , 2026-12-24..2026-12-26,2026-12-26..2026-12-26");
    cr_assert_eq(holidays_count(h), 4);
    holidays_free(h);
    h = parse_ok("2028-02-29, 2000-02-29, 2027-12-31..2028-01-30");
    cr_assert_eq(holidays_count(h), 33);
    holidays_free(h);
    holidays_free(NULL);
}

Test(workday, holidays_parse_refuses)
{
    parse_bad("2026-02-30", "not a date");
    parse_bad("2027-02-29", "not a date");
    parse_bad("2100-02-29", "not a date");
    parse_bad("2026-13-01", "not a date");
    parse_bad("2026-00-10", "not a date");
    parse_bad("2026-12-00", "not a date");
    parse_bad("2026-1-1", "not a date");
    parse_bad("26-12-25", "not a date");
    parse_bad("1969-12-31", "not a date");
    parse_bad("libur", "\"libur\"");
    parse_bad("2026-12-25, natal", "\"natal\"");
    parse_bad("2026-12-25x", "junk");
    parse_bad("2026-12-25/2026-12-26", "junk");
    parse_bad("2027-03-23..2027-03-19", "before");
    parse_bad("2027-03-19..", "range end");
    parse_bad("2027-03-19...2027-03-20", "range end");
    parse_bad("2027-01-01..2027-02-01", "longer");
    /* 70 ranges of 31 days */
    char big[70 * 24 + 1] = "";
    for (int i = 0; i < 70; i++) {
        char r[48];
        snprintf(r, sizeof r, "%d-01-01..%d-01-31,", 2030 + i, 2030 + i);
        strcat(big, r);
    }
    parse_bad(big, "more than");

    /* a tiny or absent error buffer is fine */
    char err[4] = "xxx";
    cr_assert_null(holidays_parse("bad", err, sizeof err));
    cr_assert_eq(strlen(err), 3);
    cr_assert_null(holidays_parse("bad", NULL, 0));
}

Test(workday, format)
{
    char buf[WORKDAY_DATE_MAX];

    cr_assert_eq(workday_format(wib(2026, 12, 2, 10, 0, 0), buf, sizeof buf), 14);
    cr_assert_str_eq(buf, "Rab 2 Des 2026");
    workday_format(wib(2026, 12, 5, 0, 30, 0), buf, sizeof buf);
    cr_assert_str_eq(buf, "Sab 5 Des 2026"); /* UTC says Friday */
    workday_format(wib(2026, 12, 4, 23, 30, 0), buf, sizeof buf);
    cr_assert_str_eq(buf, "Jum 4 Des 2026");
    workday_format(wib(2027, 8, 17, 8, 0, 0), buf, sizeof buf);
    cr_assert_str_eq(buf, "Sel 17 Agu 2027");
    workday_format(wib(2028, 2, 29, 8, 0, 0), buf, sizeof buf);
    cr_assert_str_eq(buf, "Sel 29 Feb 2028");
    workday_format(eod(2026, 12, 6), buf, sizeof buf);
    cr_assert_str_eq(buf, "Min 6 Des 2026");
    workday_format(wib(2027, 1, 4, 0, 0, 0), buf, sizeof buf);
    cr_assert_str_eq(buf, "Sen 4 Jan 2027");
    workday_format(wib(2027, 5, 6, 0, 0, 0), buf, sizeof buf);
    cr_assert_str_eq(buf, "Kam 6 Mei 2027");
    workday_format(wib(2027, 10, 6, 0, 0, 0), buf, sizeof buf);
    cr_assert_str_eq(buf, "Rab 6 Okt 2027");
    workday_format(0, buf, sizeof buf);
    cr_assert_str_eq(buf, "Kam 1 Jan 1970");
    workday_format(WORKDAY_TIME_MAX, buf, sizeof buf);
    cr_assert_str_eq(buf, "Jum 31 Des 9999");

    /* too small: -1 and "", exactly enough: fits */
    memset(buf, 'X', sizeof buf);
    cr_assert_eq(workday_format(wib(2026, 12, 2, 10, 0, 0), buf, 14), -1);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(workday_format(wib(2026, 12, 2, 10, 0, 0), buf, 15), 14);
    cr_assert_eq(workday_format(wib(2026, 12, 2, 10, 0, 0), buf, 0), -1);
    cr_assert_eq(workday_format(-1, buf, sizeof buf), -1);
    cr_assert_str_eq(buf, "");
}
