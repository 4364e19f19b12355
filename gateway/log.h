/* log — one line per event, key=value pairs, for operators.
 *
 *   log_init("gateway", LOG_INFO);
 *   log_info("event=inbound modem=%s from=%s", m, log_phone(num, buf));
 *   log_warn(...) appends errno's text; log_warnx(...) does not.
 *
 * Lines go to stderr as: TIME LEVEL proc=NAME pid=N <message>. Phone numbers
 * must pass through log_phone(), which masks them unless the level is debug;
 * any other value that came from outside (a sender, a code, a name a client
 * chose) through log_value(), which quotes and escapes it when needed.
 *
 * A last line of defence on every message, whatever its callers did: NIK and
 * KK numbers are masked (privacy_mask; a Redis stream id "id=1764300000000-5",
 * which the server generates, is kept as it is), and control characters, DEL,
 * C1 and bidirectional controls are escaped ("\n", "\u001b"), so one event is
 * always one line and no raw ESC reaches an operator's terminal. */
#ifndef KT_LOG_H
#define KT_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_init(const char *proc, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Returns 0 and sets *out for "error", "warn", "info", "debug"; -1 otherwise. */
int log_level_parse(const char *name, enum log_level *out);

void log_msg(enum log_level level, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(LOG_ERROR, 0, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, 1, __VA_ARGS__)
#define log_warnx(...) log_msg(LOG_WARN, 0, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, 0, __VA_ARGS__)

/* Masks the middle of a phone number ("62812****890") unless logging at
 * debug level; writes into buf (at least 24 bytes) and returns it. What is
 * not a plain number (an alphanumeric sender) comes out as log_value does. */
const char *log_phone(const char *number, char *buf, size_t len);

/* value as one key=value value, written into buf and returned: as it is when
 * it is printable ASCII without space, '"', '=' or '\' (and not empty), else
 * in double quotes with '"', '\', line breaks and controls escaped
 * (textsafe_escape). Cut to fit buf (the quotes stay closed). */
const char *log_value(const char *value, char *buf, size_t len);

#endif
