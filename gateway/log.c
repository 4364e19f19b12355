/* log — see log.h. Writes whole lines with one write(2) so that lines of the
 * gateway and its modem workers, which share stderr, never interleave.
 *
 * Every message is formatted, then masked (NIK/KK) and escaped (controls)
 * before it is written: a caller that forgot log_value or privacy_mask still
 * cannot leak a NIK nor split a line. Quotes cannot be repaired at this level
 * (the format's own quotes look the same), which is what log_value is for.
 * Both passes are linear over at most LOG_LINE_MAX bytes. */
#include "gateway/log.h"

#include "gateway/textsafe.h"
#include "handlers/privacy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048
#define STREAM_MS    13 /* digits of the milliseconds of a Redis stream id (until 2286) */

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

/* Length of a stream id value ("1764300000000-5") at s, ending at a space or
 * the end, or 0. */
static size_t stream_id_len(const char *s)
{
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    if (i != STREAM_MS || s[i] != '-' || !(s[i + 1] >= '0' && s[i + 1] <= '9'))
        return 0;
    i++;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    return s[i] == ' ' || s[i] == '\0' ? i : 0;
}

/* privacy_mask over the message, except the values that are stream ids
 * ("key=1764300000000-15"), whose 13 + 2 digits would read as a NIK with a
 * digit missing. The text between them is masked piece by piece; a piece
 * ends with "key=", letters, so no digits join across a kept id. */
static void mask_message(char *msg, char *out, size_t outlen)
{
    size_t o = 0, from = 0;
    for (size_t i = 0; msg[i] && o + 1 < outlen; i++) {
        size_t idl;
        if (msg[i] != '=' || (idl = stream_id_len(msg + i + 1)) == 0)
            continue;
        char keep = msg[i + 1];
        msg[i + 1] = '\0';
        o += privacy_mask(msg + from, out + o, outlen - o);
        msg[i + 1] = keep;
        o += (size_t)snprintf(out + o, outlen - o, "%.*s", (int)idl, msg + i + 1);
        if (o >= outlen)
            o = outlen - 1;
        from = i + 1 + idl;
        i = from - 1;
    }
    if (o + 1 < outlen)
        privacy_mask(msg + from, out + o, outlen - o);
    else
        out[outlen - 1] = '\0';
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
    char msg[LOG_LINE_MAX], masked[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (w < 0)
        msg[0] = '\0';
    mask_message(msg, masked, sizeof(masked));
    n += textsafe_escape(masked, line + n, sizeof(line) - 64 - n, 0);
    if (with_errno)
        n += (size_t)snprintf(line + n, sizeof(line) - n, " error=\"%s\"", strerror(saved));
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
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
    char masked[64];
    if (number == NULL || *number == '\0') {
        snprintf(buf, len, "-");
        return buf;
    }
    size_t n = strlen(number);
    if (current >= LOG_DEBUG || n < 8)
        snprintf(masked, sizeof(masked), "%s", current >= LOG_DEBUG || n < 5 ? number : "****");
    else /* Keep the operator prefix and the last three bytes. */
        snprintf(masked, sizeof(masked), "%.5s****%s", number, number + n - 3);
    return log_value(masked, buf, len);
}

static int bare(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s >= 0x7F || *s == '"' || *s == '=' || *s == '\\')
            return 0;
    return 1;
}

const char *log_value(const char *value, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    if (value == NULL)
        value = "";
    if (bare(value)) {
        snprintf(buf, len, "%s", value);
        return buf;
    }
    if (len < 3) {
        buf[0] = '\0';
        return buf;
    }
    buf[0] = '"';
    size_t n = 1 + textsafe_escape(value, buf + 1, len - 2, TEXTSAFE_QUOTES);
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}
