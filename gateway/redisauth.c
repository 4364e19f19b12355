/* redisauth — see redisauth.h.
 *
 * The password lives in a file of its own (redis_password_file), never in
 * the configuration file, which is passed around (workers get its text on
 * standard input) and often kept in version control. config_load reads it,
 * so `kentongan -t`, the start and every reload (all-or-nothing) refuse a
 * file that cannot be read, and every process holds what it needs to log in
 * again after a lost connection. */
#include "gateway/redisauth.h"

#include "gateway/config.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int redisauth_read_password(const char *path, char *out, size_t outlen, char *why, size_t whylen)
{
    /* O_NONBLOCK: a FIFO put in its place must not hang a start or a reload. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    if (fd < 0) {
        snprintf(why, whylen, "cannot open: %s", strerror(errno));
        goto fail;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        goto fail;
    }
    /* One byte more than fits, to tell a long file from a full buffer; two
     * more for the newline an editor adds. */
    char buf[REDISAUTH_PASSWORD_MAX + 3];
    size_t n = 0;
    ssize_t got;
    while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            snprintf(why, whylen, "cannot read: %s", strerror(errno));
            goto fail;
        }
        n += (size_t)got;
    }
    close(fd);
    fd = -1;
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    if (n == 0)
        snprintf(why, whylen, "empty (the file holds the password, on one line)");
    else if (n >= REDISAUTH_PASSWORD_MAX || n >= outlen)
        snprintf(why, whylen, "longer than %d bytes", REDISAUTH_PASSWORD_MAX - 1);
    else if (memchr(buf, '\n', n) || memchr(buf, '\r', n) || memchr(buf, '\0', n))
        snprintf(why, whylen, "more than one line (the file holds the password, on one line)");
    else {
        memcpy(out, buf, n);
        out[n] = '\0';
        explicit_bzero(buf, sizeof(buf));
        return 0;
    }
    explicit_bzero(buf, sizeof(buf));
fail:
    if (fd >= 0)
        close(fd);
    if (outlen)
        explicit_bzero(out, outlen);
    return -1;
}

int redisauth_loose(const char *path, unsigned *mode)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return 0;
    *mode = (unsigned)(sb.st_mode & 07777);
    return (sb.st_mode & (S_IRWXG | S_IRWXO)) != 0;
}

int redisauth_warning(const struct config *cfg, char *out, size_t outlen)
{
    unsigned mode;
    if (cfg->redis_password_file[0] == '\0' || !redisauth_loose(cfg->redis_password_file, &mode))
        return 0;
    snprintf(out, outlen,
             "redis_password_file '%s' may be read by its group or others (mode %04o): "
             "chmod 600 it, owned by the user kentongan runs as",
             cfg->redis_password_file, mode);
    return 1;
}

int redisauth_argv(const struct config *cfg, const char *argv[3])
{
    if (cfg->redis_password[0] == '\0')
        return 0;
    argv[0] = "AUTH";
    if (cfg->redis_user[0] == '\0') {
        argv[1] = cfg->redis_password;
        return 2;
    }
    argv[1] = cfg->redis_user;
    argv[2] = cfg->redis_password;
    return 3;
}

int redisauth_changed(const struct config *a, const struct config *b)
{
    return strcmp(a->redis_user, b->redis_user) != 0 ||
           strcmp(a->redis_password, b->redis_password) != 0;
}

redisContext *redisauth_connect(const struct config *cfg, struct timeval tv, int *refused,
                                char *why, size_t whylen)
{
    char host[CONFIG_VALUE_MAX];
    int port;
    *refused = 0;
    if (config_redis_endpoint(cfg->redis, host, sizeof(host), &port) != 0) {
        snprintf(why, whylen, "cannot parse redis = %s", cfg->redis);
        return NULL;
    }
    redisContext *c =
        port ? redisConnectWithTimeout(host, port, tv) : redisConnectUnixWithTimeout(host, tv);
    if (c == NULL || c->err) {
        snprintf(why, whylen, "%s", c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    const char *argv[3];
    int argc = redisauth_argv(cfg, argv);
    if (argc == 0)
        return c;
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (r == NULL)
        snprintf(why, whylen, "no answer to AUTH: %s", c->errstr);
    else if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0) {
        freeReplyObject(r);
        return c;
    } else {
        *refused = 1;
        snprintf(why, whylen, "auth failed for user %s: %s",
                 cfg->redis_user[0] ? cfg->redis_user : "default",
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected answer to AUTH");
    }
    freeReplyObject(r);
    redisFree(c);
    return NULL;
}
