/* redisauth — logging in to Redis as an ACL user ([gateway] redis_user and
 * redis_password_file), for every process that connects: the gateway's async
 * connections (router.c), the modem workers and the one-shot commands.
 *
 *   config_load reads the password file into cfg->redis_password (the file
 *   must be readable; redisauth_read_password says why not);
 *   redisContext *c = redisauth_connect(cfg, tv, &refused, why, sizeof(why));
 *   or, on an async connection, queue redisauth_argv's AUTH before anything else.
 *
 * hiredis 0.14 (Debian 12) has no AUTH helper: AUTH is sent as a command, in
 * argv form, so the password never goes through a format string, and its
 * answer is checked before anything else is trusted. The password never
 * appears on a command line or in a log line; the user name may. */
#ifndef KT_REDISAUTH_H
#define KT_REDISAUTH_H

#include <stddef.h>
#include <sys/time.h>

#define REDISAUTH_PASSWORD_MAX 256 /* bytes of a password (the file may add one newline) */

struct config;
struct redisContext;

/* Reads the password from path: the whole file, less one trailing newline
 * (\n or \r\n). Returns 0, or -1 with the reason in why (cannot open, empty,
 * longer than REDISAUTH_PASSWORD_MAX - 1 bytes, more than one line, a NUL
 * byte). out is wiped on failure. */
int redisauth_read_password(const char *path, char *out, size_t outlen, char *why, size_t whylen);

/* 1 when the file at path may be read by its group or by others (its mode,
 * e.g. 0644, in *mode); 0 when only its owner may (or it cannot be stat'ed). */
int redisauth_loose(const char *path, unsigned *mode);

/* When cfg's password file may be read by its group or others: 1 with a
 * sentence for the operator in out (`kentongan -t` prints it, the gateway
 * logs it at start); else 0. */
int redisauth_warning(const struct config *cfg, char *out, size_t outlen);

/* The AUTH command for cfg: fills argv (3 slots) and returns argc, 3 for
 * "AUTH user password", 2 for "AUTH password" (no redis_user: the default
 * user, as with requirepass), 0 when no password is configured. argv points
 * into cfg. */
int redisauth_argv(const struct config *cfg, const char *argv[3]);

/* 1 when the two configurations log in differently (user or password). */
int redisauth_changed(const struct config *a, const struct config *b);

/* Connects to cfg->redis (HOST:PORT or unix:PATH) with timeout tv for the
 * connection and for each command, and logs in when a password is configured.
 * Returns the connection, or NULL with the reason in why; *refused is then 1
 * when Redis answered AUTH with an error (wrong user or password, user
 * disabled), 0 for anything else (no answer, refused connection). */
struct redisContext *redisauth_connect(const struct config *cfg, struct timeval tv, int *refused,
                                       char *why, size_t whylen);

#endif
