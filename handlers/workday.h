/* workday — working days in WIB for complaint deadlines (SP4N-LAPOR!, PermenPANRB 62/2018).
 *
 *   1. At config load: h = holidays_parse(config_value, err, sizeof err);
 *      NULL means the list is wrong and err says why (refuse the config).
 *   2. Anywhere, without allocating: workday_deadline(h, filed_at, 3) etc.;
 *      h may be NULL (no holidays).
 *   3. holidays_free(h) when the config is replaced.
 *
 * A working day is a Monday to Friday, as a calendar day in WIB (UTC+7, no
 * daylight saving), that is not on the holiday list. Times are Unix seconds
 * from 0 to WORKDAY_TIME_MAX (1970 to 9999); outside that range
 * workday_is and workday_count give 0 and the others -1.
 *
 * Deadline rule: "N working days" counts whole working days AFTER the
 * calendar day of the event, and the deadline is the end of the Nth one
 * (23:59:59 WIB). The day of the event never counts, working day or not:
 *   - filed Monday 08:00, N=3           -> end of Thursday;
 *   - filed Friday 23:30 WIB, N=3       -> end of Wednesday;
 *   - filed Saturday 00:30 WIB (= Friday 17:30 UTC), Sunday, or on a holiday,
 *     N=3 -> end of the 3rd working day after it: a complaint sent in the
 *     weekend gets the same deadline as one sent on Friday, never a shorter
 *     one, and the OPD always has N full working days.
 * N = 0 is the end of the event's own day. */
#ifndef KT_WORKDAY_H
#define KT_WORKDAY_H

#include "gateway/clock.h"

#include <stddef.h>

#define WORKDAY_TZ_OFFSET CLOCK_WIB_OFFSET /* WIB = UTC+7, seconds */
#define WORKDAY_TIME_MAX  253402275599LL   /* 9999-12-31 23:59:59 WIB */

/* SP4N-LAPOR! deadlines (DESIGN.md section 5). */
#define WORKDAY_FORWARD        3  /* working days to forward to the responsible OPD */
#define WORKDAY_FOLLOW_UP      5  /* working days for the OPD to follow up */
#define WORKDAY_AUTO_CLOSE     10 /* working days after SELESAI without objection */
#define WORKDAY_ESCALATE_AGAIN 2  /* working days between escalation steps */
#define WORKDAY_LEGAL_MAX_DAYS 60 /* CALENDAR days: the legal maximum for a complaint */

#define HOLIDAYS_MAX       2048 /* dates in one list, ranges expanded */
#define HOLIDAYS_RANGE_MAX 31   /* days in one range "a..b" */
#define WORKDAY_N_MAX      1000 /* largest n workday_deadline accepts */

struct holidays;

/* Parses a holiday list: dates "YYYY-MM-DD" and inclusive ranges
 * "YYYY-MM-DD..YYYY-MM-DD" (cuti bersama around Idul Fitri), separated by
 * commas, semicolons or white space, in any order, duplicates and weekend
 * dates allowed. NULL or "" is an empty list. Returns a list the caller frees
 * with holidays_free, or NULL with the reason in err (an impossible date, a
 * reversed or too long range, too many dates, junk). */
struct holidays *holidays_parse(const char *list, char *err, size_t errlen);
void holidays_free(struct holidays *h); /* NULL is a no-op */
/* Distinct dates on the list (weekend ones included). */
size_t holidays_count(const struct holidays *h);

/* 1 when unix_time falls on a working day (WIB), else 0. */
int workday_is(const struct holidays *h, long long unix_time);

/* The end (23:59:59 WIB) of the nth working day after the day of from (rule
 * above). Returns -1 for n < 0, n > WORKDAY_N_MAX or from out of range. */
long long workday_deadline(const struct holidays *h, long long from, int n);

/* The end (23:59:59 WIB) of the calendar day `days` days after the day of
 * from: workday_calendar_deadline(t, WORKDAY_LEGAL_MAX_DAYS) is the legal
 * maximum. Returns -1 for days < 0 or from out of range. */
long long workday_calendar_deadline(long long from, int days);

/* Working days strictly after from's day up to and including to's day (WIB);
 * 0 when to's day is not after from's. workday_count(h, t,
 * workday_deadline(h, t, n)) == n. */
int workday_count(const struct holidays *h, long long from, long long to);

/* The WIB date of unix_time for an SMS, GSM-7 only: "Rab 2 Des 2026" (day and
 * month abbreviated the Indonesian way). Returns the length written, or -1
 * (out set to "" when outlen > 0) when outlen is too small or unix_time out
 * of range. WORKDAY_DATE_MAX is always enough. */
#define WORKDAY_DATE_MAX 24
int workday_format(long long unix_time, char *out, size_t outlen);

#endif
