/* Unit: gateway/redisev, hiredis' async connection on our own libevent
 * adapter, against a small fake Redis on a Unix socket served from the same
 * event loop: replies arrive, a disconnect asked for from a reply callback
 * and a server that hangs up both end the way hiredis says, a command too
 * big for one write goes out whole, and a command costs no change to the
 * kernel's watch list (the point of the adapter). */
#include "gateway/redisev.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PINGS     200
#define BIG_VALUE (8 * 1024 * 1024) /* more than a Unix socket takes at once */

static char dir[32], path[96];
static struct event_base *base;
static int lfd = -1;
static struct event *accept_ev, *serve_ev;

/* the fake server */
static int sfd = -1;
static int hang_up;         /* close instead of answering */
static size_t expect_bytes; /* a PING, then +OK once this much arrived (0: answer each PING) */
static size_t got_bytes;
static char tail[8]; /* the last bytes seen, for a PING split across reads */

/* the client's side */
static int replies, errors, disconnects, disconnect_status = -1;

static void serve(evutil_socket_t fd, short what, void *arg)
{
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0 || hang_up) {
        event_del(serve_ev);
        close(fd);
        sfd = -1;
        return;
    }
    got_bytes += (size_t)n;
    if (expect_bytes) { /* a PING (14 bytes), then one big command */
        if (got_bytes == 14)
            cr_assert_eq(write(fd, "+PONG\r\n", 7), 7);
        if (got_bytes == expect_bytes)
            cr_assert_eq(write(fd, "+OK\r\n", 5), 5);
        return;
    }
    /* each PING is "*1\r\n$4\r\nPING\r\n": count the "PING\r\n" */
    char joined[sizeof(tail) + sizeof(buf)];
    size_t t = strlen(tail);
    memcpy(joined, tail, t);
    memcpy(joined + t, buf, (size_t)n);
    size_t len = t + (size_t)n;
    for (size_t i = 0; i + 6 <= len; i++)
        if (memcmp(joined + i, "PING\r\n", 6) == 0)
            cr_assert_eq(write(fd, "+PONG\r\n", 7), 7);
    size_t keep = len < 5 ? len : 5;
    memcpy(tail, joined + len - keep, keep);
    tail[keep] = '\0';
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
    sfd = accept(fd, NULL, NULL);
    cr_assert_geq(sfd, 0);
    evutil_make_socket_nonblocking(sfd);
    serve_ev = event_new(base, sfd, EV_READ | EV_PERSIST, serve, NULL);
    event_add(serve_ev, NULL);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kt-redisev-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/redis.sock", dir);
    base = event_base_new();
    cr_assert_not_null(base);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(lfd, 4), 0);
    accept_ev = event_new(base, lfd, EV_READ | EV_PERSIST, on_accept, NULL);
    event_add(accept_ev, NULL);
    hang_up = 0;
    expect_bytes = got_bytes = 0;
    tail[0] = '\0';
    replies = errors = disconnects = 0;
    disconnect_status = -1;
}

static void teardown(void)
{
    if (serve_ev)
        event_free(serve_ev);
    serve_ev = NULL;
    if (sfd >= 0)
        close(sfd);
    sfd = -1;
    event_free(accept_ev);
    close(lfd);
    event_base_free(base);
    unlink(path);
    rmdir(dir);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    disconnects++;
    disconnect_status = status;
    event_base_loopbreak(base);
}

static redisAsyncContext *connect_here(void)
{
    redisAsyncContext *ac = redisAsyncConnectUnix(path);
    cr_assert_not_null(ac);
    cr_assert_eq(ac->err, 0, "%s", ac->errstr);
    cr_assert_eq(redisev_attach(ac, base), 0);
    cr_assert_eq(redisev_attach(ac, base), -1, "a second attach is refused");
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

/* The loop runs until the client's disconnect callback; the bound only
 * keeps a broken adapter from hanging the suite. */
static void run(void)
{
    struct timeval bound = {30, 0};
    event_base_loopexit(base, &bound);
    event_base_dispatch(base);
    cr_assert_eq(disconnects, 1, "the connection ended (disconnect callback ran)");
}

static void on_pong(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    if (r == NULL) {
        errors++;
        return;
    }
    cr_assert_eq(r->type, REDIS_REPLY_STATUS);
    cr_assert_str_eq(r->str, "PONG");
    if (++replies < PINGS)
        cr_assert_eq(redisAsyncCommand(ac, on_pong, NULL, "PING"), REDIS_OK);
    else
        redisAsyncDisconnect(ac); /* from inside the callback: freed after it */
}

Test(redisev, replies_without_watch_changes, .init = setup, .fini = teardown)
{
    struct redisev_stats s0, s1;
    redisev_stats(&s0);
    redisAsyncContext *ac = connect_here();
    cr_assert_eq(redisAsyncCommand(ac, on_pong, NULL, "PING"), REDIS_OK);
    run();
    redisev_stats(&s1);
    cr_assert_eq(replies, PINGS);
    cr_assert_eq(errors, 0);
    cr_assert_eq(disconnect_status, REDIS_OK);
    /* hiredis' own adapter adds the write event once per command and the
     * read event once per reply; here only the connect watches the socket */
    cr_assert_leq(s1.write_adds - s0.write_adds, 1, "write watches: %llu",
                  s1.write_adds - s0.write_adds);
    cr_assert_eq(s1.read_adds - s0.read_adds, 1, "read watches: %llu", s1.read_adds - s0.read_adds);
    /* the first PING went out as the connect finished; the rest from the
     * loop turn's flush */
    cr_assert_eq(s1.flushes - s0.flushes, PINGS - 1, "flushes: %llu", s1.flushes - s0.flushes);
}

static void on_hung_up(redisAsyncContext *ac, void *reply, void *priv)
{
    if (reply == NULL)
        errors++;
    else
        replies++;
}

Test(redisev, server_hangs_up, .init = setup, .fini = teardown)
{
    hang_up = 1;
    redisAsyncContext *ac = connect_here();
    cr_assert_eq(redisAsyncCommand(ac, on_hung_up, NULL, "PING"), REDIS_OK);
    cr_assert_eq(redisAsyncCommand(ac, on_hung_up, NULL, "PING"), REDIS_OK);
    run();
    cr_assert_eq(replies, 0);
    cr_assert_eq(errors, 2, "each waiting command learns it failed");
    cr_assert_eq(disconnect_status, REDIS_ERR);
}

static void on_ok(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    if (r == NULL) {
        errors++;
        return;
    }
    cr_assert_eq(r->type, REDIS_REPLY_STATUS);
    cr_assert_str_eq(r->str, "OK");
    replies++;
    redisAsyncDisconnect(ac);
}

static const char *big_argv[3];
static size_t big_lens[3];
static struct redisev_stats before_big;

/* Connected now (the PING was answered): the SET is written from the loop
 * turn's flush, which cannot write it all. */
static void on_first_pong(redisAsyncContext *ac, void *reply, void *priv)
{
    cr_assert_not_null(reply);
    redisev_stats(&before_big);
    cr_assert_eq(redisAsyncCommandArgv(ac, on_ok, NULL, 3, big_argv, big_lens), REDIS_OK);
}

Test(redisev, big_command_waits_for_the_socket, .init = setup, .fini = teardown)
{
    char *value = malloc(BIG_VALUE);
    cr_assert_not_null(value);
    memset(value, 'x', BIG_VALUE);
    const char *argv[] = {"SET", "k", value};
    size_t lens[] = {3, 1, BIG_VALUE};
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, 3, argv, lens);
    cr_assert_gt(len, BIG_VALUE);
    expect_bytes = (size_t)len + 14; /* the PING first */
    free(cmd);
    memcpy(big_argv, argv, sizeof(argv));
    memcpy(big_lens, lens, sizeof(lens));

    struct redisev_stats s0, s1;
    redisAsyncContext *ac = connect_here();
    cr_assert_eq(redisAsyncCommand(ac, on_first_pong, NULL, "PING"), REDIS_OK);
    run();
    free(value);
    redisev_stats(&s1);
    s0 = before_big;
    cr_assert_eq(replies, 1);
    cr_assert_eq(errors, 0);
    cr_assert_eq(got_bytes, expect_bytes, "the command arrived whole");
    cr_assert_geq(s1.write_adds - s0.write_adds, 1, "a partial write waits for the socket");
}
