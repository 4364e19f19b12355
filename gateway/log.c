/* log — see log.h. Writes whole lines with one write(2) so that lines of the
 * gateway and its modem workers, which share stderr, never interleave. */
#include "gateway/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static const char *proc_name = "kentongan";
static enum log_level current = LOG_INFO;
static const char *names[] = {"error", "warn", "info", "debug"};

void log_init(const char *proc, enum log_level level)
{
    proc_name = proc;
    current = level;
}

void log_set_level(enum log_level level)
{
    current = level;
}

enum log_level log_get_level(void)
{
    return current;
}

int log_level_parse(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_msg(enum log_level level, int with_errno, const char *fmt, ...)
{
    if (level > current)
        return;
    int saved = errno;
    char line[LOG_LINE_MAX];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %s proc=%s pid=%d ",
                          (long)(tv.tv_usec / 1000), names[level], proc_name, (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (w < 0)
        w = 0;
    n += (size_t)w;
    if (n > sizeof(line) - 64)
        n = sizeof(line) - 64;
    if (with_errno)
        n += (size_t)snprintf(line + n, sizeof(line) - n, " error=\"%s\"", strerror(saved));
    line[n++] = '\n';
    ssize_t off = 0;
    while (off < (ssize_t)n) {
        ssize_t r = write(STDERR_FILENO, line + off, n - (size_t)off);
        if (r <= 0)
            break;
        off += r;
    }
    errno = saved;
}

const char *log_phone(const char *number, char *buf, size_t len)
{
    if (number == NULL || *number == '\0') {
        snprintf(buf, len, "-");
        return buf;
    }
    size_t n = strlen(number);
    if (current >= LOG_DEBUG || n < 8) {
        snprintf(buf, len, "%s", current >= LOG_DEBUG || n < 5 ? number : "****");
        return buf;
    }
    /* Keep the operator prefix and the last three digits. */
    snprintf(buf, len, "%.5s****%s", number, number + n - 3);
    return buf;
}
