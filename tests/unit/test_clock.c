/* Unit tests for gateway/clock: the test offset moves the service's calendar and nothing else,
 * and WIB breakdown at the boundaries of the day and the year (built with timegm, independent
 * of the code under test and of the process's TZ). */
#include "gateway/clock.h"

#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

static void reset(void)
{
    clock_set_offset(0);
}

TestSuite(clock, .fini = reset);

Test(clock, the_offset_moves_the_calendar_not_the_wall_clock)
{
    clock_set_offset(0);
    long long wall0 = clock_wall_ms(), cal0 = clock_now_ms();
    cr_expect_leq(wall0 / 1000 - 1, cal0 / 1000);
    clock_set_offset(10 * 86400);
    cr_expect_eq(clock_offset(), 10 * 86400);
    long long wall1 = clock_wall_ms(), cal1 = clock_now_ms(), s1 = clock_now();
    cr_expect_geq(cal1 - wall1, 10 * 86400 * 1000LL - 1000, "calendar ten days ahead");
    cr_expect_lt(wall1 - wall0, 86400 * 1000LL, "wall clock unmoved");
    cr_expect_geq(s1, cal1 / 1000 - 1);
    clock_set_offset(-365 * 86400LL);
    cr_expect_lt(clock_now(), clock_wall_ms() / 1000 - 364 * 86400LL, "and backwards");
}

Test(clock, monotonic_never_goes_back)
{
    long long a = clock_mono_ms(), b = clock_mono_ms();
    cr_expect_geq(b, a);
}

static long long utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (long long)timegm(&tm);
}

Test(clock, wib_is_seven_hours_east_across_the_year_end)
{
    char buf[32];
    /* 2026-12-31 17:00 UTC is New Year's midnight in Batang */
    cr_expect_gt(clock_wib_format(utc(2026, 12, 31, 17, 0), "%Y-%m-%d %H:%M %a", buf, sizeof(buf)),
                 0);
    cr_expect_str_eq(buf, "2027-01-01 00:00 Fri");
    clock_wib_format(utc(2026, 12, 31, 16, 59), "%Y-%m-%d %H:%M", buf, sizeof(buf));
    cr_expect_str_eq(buf, "2026-12-31 23:59");
    struct tm tm;
    clock_wib(utc(2026, 12, 7, 17, 0), &tm); /* Tuesday 00:00 WIB */
    cr_expect_eq(tm.tm_wday, 2);
    cr_expect_eq(tm.tm_hour, 0);
}

Test(clock, a_format_too_long_gives_an_empty_string)
{
    char buf[4] = "xyz";
    cr_expect_eq(clock_wib_format(0, "%Y-%m-%d", buf, sizeof(buf)), 0);
    cr_expect_str_eq(buf, "");
}
