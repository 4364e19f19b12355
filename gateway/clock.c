/* clock — see clock.h. The offset is process-wide: the gateway's router and each modem worker
 * read it from Redis when the test clock is on, so all of them agree on "now". */
#include "gateway/clock.h"

#include <stdatomic.h>

static _Atomic long long offset_s;

static long long read_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long clock_wall_ms(void)
{
    return read_ms(CLOCK_REALTIME);
}

long long clock_mono_ms(void)
{
    return read_ms(CLOCK_MONOTONIC);
}

long long clock_now_ms(void)
{
    return clock_wall_ms() + atomic_load(&offset_s) * 1000;
}

long long clock_now(void)
{
    return clock_now_ms() / 1000;
}

long long clock_offset(void)
{
    return atomic_load(&offset_s);
}

void clock_set_offset(long long seconds)
{
    atomic_store(&offset_s, seconds);
}

void clock_wib(long long unix_s, struct tm *out)
{
    time_t t = (time_t)(unix_s + CLOCK_WIB_OFFSET);
    gmtime_r(&t, out);
}

size_t clock_wib_format(long long unix_s, const char *format, char *buf, size_t len)
{
    struct tm tm;
    clock_wib(unix_s, &tm);
    size_t n = len ? strftime(buf, len, format, &tm) : 0;
    if (n == 0 && len)
        buf[0] = '\0';
    return n;
}
