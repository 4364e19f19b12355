/* clock — the one place kentongan asks what time it is.
 *
 * Three clocks, each for its own purpose:
 *   clock_now(), clock_now_ms()  the calendar as the service's rules see it: complaint deadlines
 *                                and working days, quiet hours, scheduled broadcasts, dates shown
 *                                to people. The system's wall clock, shifted by an offset that
 *                                only a test sets ([gateway] test_clock = 1 and kt:clock:offset
 *                                in Redis): a test pins it to a chosen instant and moves it on.
 *   clock_wall_ms()              the system's wall clock, never shifted: stamps that several
 *                                processes compare (expiries of queued messages, leases,
 *                                modem liveness, stream records).
 *   clock_mono_ms()              monotonic: durations and timeouts inside one process.
 *
 * WIB (UTC+7, no daylight saving) is the only local time: clock_wib() breaks a Unix time down in
 * it. Nothing here allocates or blocks. */
#ifndef KT_CLOCK_H
#define KT_CLOCK_H

#include <time.h>

#define CLOCK_WIB_OFFSET 25200 /* seconds east of UTC: Waktu Indonesia Barat */

long long clock_now(void);     /* the service's calendar, Unix seconds */
long long clock_now_ms(void);  /* the same in milliseconds */
long long clock_wall_ms(void); /* the system's wall clock, ms, never shifted */
long long clock_mono_ms(void); /* monotonic ms, for durations */

/* The offset of the service's calendar from the wall clock, in seconds (0 in production). */
long long clock_offset(void);
void clock_set_offset(long long seconds);

/* Breaks unix_s down as a WIB calendar time (tm_gmtoff and tm_zone are not set). */
void clock_wib(long long unix_s, struct tm *out);

/* Formats unix_s in WIB with strftime's format; returns the length written (0 on overflow). */
size_t clock_wib_format(long long unix_s, const char *format, char *buf, size_t len);

#endif
