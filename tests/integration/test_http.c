/* Integration: the HTTP listener's limits, against the real gateway.
 *   - at its connection cap the listener pauses (one log line), and /healthz
 *     is answered once the request deadline has dropped the idle clients;
 *   - a client that drips its request byte by byte is closed by the
 *     deadline, while a kept-alive client idling between requests is not;
 *   - so is a kept-alive client that drips its second request; two
 *     requests sent in one go are both answered;
 *   - a fourth connection from one address is closed at once (cap 3), other
 *     addresses are served, and the address may connect again after one of
 *     its connections closes;
 *   - out of descriptors (the gateway's RLIMIT_NOFILE lowered under it), the
 *     listener pauses instead of retrying accept() in a busy loop: the log
 *     stays a few lines, and /healthz answers again once clients leave;
 *   - started under a low RLIMIT_NOFILE, the gateway lowers its cap to fit,
 *     and 300 idle sockets leave the log small and /healthz answering
 *     once they close.
 * Client connections come from several loopback addresses (127.0.x.y) so
 * that the per-address cap is not what a test meets unless it means to. */
#include "tests/lib/harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDLE_MANY 300

static struct kt_env env;
static int port;

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(http, .fini = teardown, .timeout = 150);

/* ---- clients ---- */

/* A TCP connection to the gateway from src (a loopback address); with
 * nonblock the connect may still be under way. -1 on failure. */
static int connect_from(const char *src, int nonblock)
{
    int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    if (fd < 0 || inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        goto fail;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS)
        goto fail;
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

/* 1 when the gateway has closed fd without a word (EOF or reset). */
static int closed_by_gateway(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE));
}

static int is_closed(struct kt_env *e, void *arg)
{
    return closed_by_gateway(*(int *)arg);
}

struct fdset {
    int *fds;
    int n;
};

static int any_closed(struct kt_env *e, void *arg)
{
    struct fdset *s = arg;
    for (int i = 0; i < s->n; i++)
        if (s->fds[i] >= 0 && closed_by_gateway(s->fds[i]))
            return 1;
    return 0;
}

/* Reads an answer on fd until its body is whole (Content-Length) or EOF,
 * waiting at most seconds for each read. The status, or -1. */
static int read_answer(int fd, double seconds, char *out, size_t len)
{
    struct timeval tv = {(long)seconds, (long)((seconds - (long)seconds) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    size_t got = 0;
    out[0] = '\0';
    while (got + 1 < len) {
        ssize_t n = read(fd, out + got, len - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        out[got] = '\0';
        const char *end = strstr(out, "\r\n\r\n"), *cl = strcasestr(out, "Content-Length:");
        if (end && cl && cl < end && (size_t)(end + 4 - out) + (size_t)atol(cl + 15) <= got)
            break;
    }
    int status = -1;
    if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    return status;
}

/* GET path from src over a new connection, HTTP/1.0; each step waits at most
 * seconds (connect included). The status, or -1. */
static int get_from(const char *src, const char *path, double seconds, char *out, size_t len)
{
    int fd = connect_from(src, 0);
    if (fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    int status = -1;
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n)
        status = read_answer(fd, seconds, out, len);
    close(fd);
    return status;
}

static int healthz_ok(struct kt_env *e, void *arg)
{
    char out[4096];
    return get_from(arg ? arg : "127.0.0.1", "/healthz", 5, out, sizeof(out)) == 200;
}

/* The value of one series of GET /metrics (asked from 127.0.0.250), or -1. */
static double metric(const char *series)
{
    static char out[1 << 17];
    if (get_from("127.0.0.250", "/metrics", 10, out, sizeof(out)) != 200)
        return -1;
    char needle[256];
    snprintf(needle, sizeof(needle), "\n%s ", series);
    const char *p = strstr(out, needle);
    return p ? atof(p + strlen(needle)) : -1;
}

static int connections_at_least(struct kt_env *e, void *arg)
{
    return metric("kentongan_http_connections") >= *(int *)arg;
}

/* ---- the gateway and its log ---- */

static void start_env(const char *extra)
{
    cr_assert_eq(kt_env_init(&env), 0);
    signal(SIGPIPE, SIG_IGN);
    cr_assert_eq(kt_redis_start(&env), 0);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    char gw[1024];
    snprintf(gw, sizeof(gw), "http = 127.0.0.1:%d\n%s", port, extra);
    cr_assert_eq(kt_write_config(&env, gw, NULL), 0);
}

static void start(const char *extra)
{
    start_env(extra);
    cr_assert_eq(kt_gateway_start(&env), 0);
    if (!kt_wait(&env, 30, healthz_ok, NULL))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 1, healthz_ok, NULL), "the gateway answers");
}

static int log_count(const char *needle)
{
    FILE *f = fopen(env.log, "r");
    char line[4096];
    int n = 0;
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

static int log_has(struct kt_env *e, void *needle)
{
    return log_count(needle) > 0;
}

static long log_bytes(void)
{
    struct stat sb;
    return stat(env.log, &sb) == 0 ? (long)sb.st_size : -1;
}

/* The client side needs a descriptor for each of its sockets. */
static void allow_own_sockets(int n)
{
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* n idle connections (nonblocking, nothing sent), spread over ten source
 * addresses 127.0.net.1..10. */
static void open_idle(int *fds, int n, int net)
{
    char src[32];
    for (int i = 0; i < n; i++) {
        snprintf(src, sizeof(src), "127.0.%d.%d", net, 1 + i % 10);
        fds[i] = connect_from(src, 1);
        cr_assert_geq(fds[i], 0, "socket %d: %s", i, strerror(errno));
    }
}

static void close_all(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* What the log must not become: libevent's accept warning once per
 * attempt (millions of lines when the process is out of descriptors). */
static void expect_small_log(int max_pauses)
{
    cr_expect_eq(log_count("Error from accept"), 0, "libevent's per-attempt warning");
    cr_expect_leq(log_count("event=http_paused"), max_pauses,
                  "one line per pause, not per attempt");
    cr_expect_lt(log_bytes(), 64 * 1024, "the log stays small: %ld bytes", log_bytes());
}

/* ---- the tests ---- */

Test(http, healthz_answers_at_the_cap_once_the_deadline_drops_idle_clients)
{
    start("http_max_connections = 4\nhttp_request_timeout = 2\nhttp_idle_timeout = 600\n");
    int fds[4];
    char src[32], out[4096];
    for (int i = 0; i < 4; i++) {
        snprintf(src, sizeof(src), "127.0.0.%d", 2 + i);
        fds[i] = connect_from(src, 1);
        cr_assert_geq(fds[i], 0);
    }
    cr_assert(kt_wait(&env, 30, log_has, "event=http_paused reason=connections open=4 max=4"),
              "the listener pauses at its cap");
    /* waits in the kernel's queue until the deadline frees a place */
    int status = get_from("127.0.0.1", "/healthz", 60, out, sizeof(out));
    cr_expect_eq(status, 200, "%s", out);
    for (int i = 0; i < 4; i++)
        cr_expect(kt_wait(&env, 30, is_closed, &fds[i]), "idle client %d closed by the deadline",
                  i);
    cr_expect(log_has(&env, "event=http_resumed reason=connections"));
    expect_small_log(1);
    cr_expect_eq(metric("kentongan_http_connections_max"), 4);
    cr_expect_geq(metric("kentongan_http_paused_total{reason=\"connections\"}"), 1);
    cr_expect_geq(metric("kentongan_http_request_timeouts_total"), 4);
    close_all(fds, 4);
}

Test(http, a_dripping_client_is_closed_by_the_deadline_a_kept_alive_one_is_not)
{
    start("http_request_timeout = 2\nhttp_idle_timeout = 600\n");
    char out[4096];
    /* a client that sends its request whole and keeps the connection */
    int keep = connect_from("127.0.0.3", 0);
    cr_assert_geq(keep, 0);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    cr_assert_eq(send(keep, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    cr_assert_eq(read_answer(keep, 10, out, sizeof(out)), 200, "%s", out);

    /* one that sends its headers a byte at a time, each well within the idle timeout */
    int drip = connect_from("127.0.0.2", 0);
    cr_assert_geq(drip, 0);
    const char *head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    cr_assert_eq(send(drip, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
    int closed = 0;
    for (int i = 0; i < 240 && !closed; i++) { /* at most about two minutes */
        struct pollfd p = {drip, POLLIN, 0};
        poll(&p, 1, 500);
        closed = closed_by_gateway(drip) || send(drip, "a", 1, MSG_NOSIGNAL) != 1;
    }
    cr_expect(closed, "the dripping client is closed");
    close(drip);
    cr_expect_eq(metric("kentongan_http_request_timeouts_total"), 1);
    cr_expect_eq(log_count("event=http_request_timeout address=127.0.0.2"), 1, "one line");

    /* the kept-alive client idled longer than the deadline meanwhile: still served */
    cr_expect(!closed_by_gateway(keep), "idling between requests is the idle timeout's business");
    cr_assert_eq(send(keep, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    cr_expect_eq(read_answer(keep, 10, out, sizeof(out)), 200, "%s", out);
    close(keep);
}

/* The deadline starts again with the first byte of a kept-alive
 * connection's next request (seen by the connection's read watch, which
 * stays in place across requests): a client that drips its second request
 * is closed like one that drips its first, and two requests sent in one
 * go (the second arriving while the first is answered) are both answered. */
Test(http, a_kept_alive_client_dripping_its_next_request_is_closed_pipelined_ones_are_served)
{
    start("http_request_timeout = 2\nhttp_idle_timeout = 600\n");
    char out[4096];
    const char *req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    int two = connect_from("127.0.0.4", 0);
    cr_assert_geq(two, 0);
    char both[256];
    snprintf(both, sizeof(both), "%s%s", req, req);
    cr_assert_eq(send(two, both, strlen(both), MSG_NOSIGNAL), (ssize_t)strlen(both));
    cr_assert_eq(read_answer(two, 10, out, sizeof(out)), 200, "%s", out);
    /* read_answer may have read into the second answer: it is whole by now
     * or arrives next */
    char *second = strstr(out + 1, "HTTP/1.1 ");
    if (second == NULL)
        cr_assert_eq(read_answer(two, 10, out, sizeof(out)), 200, "%s", out);
    close(two);

    int drip = connect_from("127.0.0.5", 0);
    cr_assert_geq(drip, 0);
    cr_assert_eq(send(drip, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    cr_assert_eq(read_answer(drip, 10, out, sizeof(out)), 200, "%s", out);
    const char *head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    cr_assert_eq(send(drip, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
    int closed = 0;
    for (int i = 0; i < 240 && !closed; i++) { /* at most about two minutes */
        struct pollfd p = {drip, POLLIN, 0};
        poll(&p, 1, 500);
        closed = closed_by_gateway(drip) || send(drip, "a", 1, MSG_NOSIGNAL) != 1;
    }
    cr_expect(closed, "the client dripping its second request is closed");
    close(drip);
    cr_expect_eq(metric("kentongan_http_request_timeouts_total"), 1);
    cr_expect_eq(log_count("event=http_request_timeout address=127.0.0.5"), 1, "one line");
}

Test(http, a_connection_over_the_per_address_cap_is_closed_at_once)
{
    start("http_max_per_address = 3\nhttp_request_timeout = 600\nhttp_idle_timeout = 600\n");
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = connect_from("127.0.0.1", 1);
        cr_assert_geq(fds[i], 0);
    }
    int four = 4; /* the three, and the metrics request's own */
    cr_assert(kt_wait(&env, 30, connections_at_least, &four), "the three are open");
    int extra = connect_from("127.0.0.1", 0);
    cr_assert_geq(extra, 0);
    cr_expect(kt_wait(&env, 30, is_closed, &extra), "the fourth from 127.0.0.1 is closed");
    close(extra);
    char out[4096];
    cr_expect_eq(get_from("127.0.0.2", "/healthz", 10, out, sizeof(out)), 200,
                 "another address is served: %s", out);
    cr_expect_eq(metric("kentongan_http_refused_total{reason=\"per_address\"}"), 1);
    cr_expect_eq(log_count("event=http_refused reason=per_address address=127.0.0.1"), 1);
    for (int i = 0; i < 3; i++)
        cr_expect(!closed_by_gateway(fds[i]), "the three stay open");
    /* one of the three leaves: 127.0.0.1 may come again */
    close(fds[0]);
    cr_expect(kt_wait(&env, 30, healthz_ok, "127.0.0.1"), "served again");
    close_all(fds + 1, 2);
}

/* The descriptor limit that leaves pid exactly free free descriptor numbers
 * (a new descriptor takes the lowest free number), or -1. */
static int limit_leaving(pid_t pid, int free)
{
    static char used[4096];
    char path[64];
    memset(used, 0, sizeof(used));
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    for (struct dirent *de; (de = readdir(d));) {
        int fd = atoi(de->d_name);
        if (de->d_name[0] != '.' && fd >= 0 && fd < (int)sizeof(used))
            used[fd] = 1;
    }
    closedir(d);
    for (int fd = 0; fd < (int)sizeof(used); fd++)
        if (!used[fd] && --free == 0)
            return fd + 1;
    return -1;
}

static int readyz_ok(struct kt_env *e, void *arg)
{
    char out[4096];
    return get_from("127.0.0.1", "/readyz", 5, out, sizeof(out)) == 200;
}

Test(http, out_of_descriptors_the_listener_pauses_instead_of_spinning)
{
    start("http_request_timeout = 2\nhttp_idle_timeout = 600\n");
    /* Redis connected and the worker up: nothing else will want a descriptor */
    cr_assert(kt_wait(&env, 30, readyz_ok, NULL), "ready");
    int limit = limit_leaving(env.gateway_pid, 4);
    cr_assert_gt(limit, 0);
    struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
    cr_assert_eq(prlimit(env.gateway_pid, RLIMIT_NOFILE, &rl, NULL), 0, "%s", strerror(errno));
    allow_own_sockets(100);
    int fds[100];
    open_idle(fds, 100, 1);
    cr_assert(kt_wait(&env, 30, log_has, "event=http_paused reason=descriptors"),
              "accept() fails for want of descriptors: the listener pauses");
    /* the deadline closes the few it took; the rest wait in the kernel's queue */
    struct fdset set = {fds, 100};
    cr_expect(kt_wait(&env, 60, any_closed, &set), "the gateway goes on working");
    expect_small_log(2);
    close_all(fds, 100);
    if (!kt_wait(&env, 90, healthz_ok, NULL))
        kt_dump_log(&env);
    cr_expect(kt_wait(&env, 1, healthz_ok, NULL), "answers again once the clients have gone");
    cr_expect(log_has(&env, "event=http_resumed reason=descriptors"));
    cr_expect_geq(metric("kentongan_http_paused_total{reason=\"descriptors\"}"), 1);
    expect_small_log(3);
}

Test(http, under_a_low_descriptor_limit_300_idle_sockets_leave_the_log_small)
{
    start_env("http_request_timeout = 2\nhttp_idle_timeout = 600\n");
    /* the gateway starts with RLIMIT_NOFILE 64 (soft and hard), through a
     * wrapper in place of the binary; its workers are started from the
     * real one */
    char real[PATH_MAX], wrapdir[sizeof(env.build)], wrapper[500], saved[sizeof(env.build)];
    snprintf(wrapper, sizeof(wrapper), "%s/kentongan", env.build);
    cr_assert_not_null(realpath(wrapper, real));
    cr_assert_lt(snprintf(wrapdir, sizeof(wrapdir), "%s/lowfd", env.dir), (int)sizeof(wrapdir));
    cr_assert_eq(mkdir(wrapdir, 0755), 0);
    snprintf(wrapper, sizeof(wrapper), "%s/kentongan", wrapdir);
    FILE *f = fopen(wrapper, "w");
    cr_assert_not_null(f);
    fprintf(f, "#!/bin/sh\nulimit -n 64 || exit 111\nexec '%s' \"$@\"\n", real);
    fclose(f);
    cr_assert_eq(chmod(wrapper, 0755), 0);
    memcpy(saved, env.build, sizeof(saved));
    memcpy(env.build, wrapdir, sizeof(wrapdir));
    cr_assert_eq(kt_gateway_start(&env), 0);
    memcpy(env.build, saved, sizeof(saved));
    if (!kt_wait(&env, 30, healthz_ok, NULL))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 1, healthz_ok, NULL), "the gateway answers");
    cr_expect(log_has(&env, "event=http_limited http_max_connections=256"), "says so once");
    double max = metric("kentongan_http_connections_max");
    cr_expect(max >= 1 && max < 64, "the cap fits the descriptors: %g", max);

    allow_own_sockets(IDLE_MANY);
    static int fds[IDLE_MANY];
    open_idle(fds, IDLE_MANY, 2);
    cr_assert(kt_wait(&env, 30, log_has, "event=http_paused reason=connections"),
              "the listener pauses at its cap");
    struct fdset set = {fds, IDLE_MANY};
    cr_expect(kt_wait(&env, 60, any_closed, &set), "the deadline drops idle clients");
    expect_small_log(2);
    close_all(fds, IDLE_MANY);
    if (!kt_wait(&env, 90, healthz_ok, NULL))
        kt_dump_log(&env);
    cr_expect(kt_wait(&env, 1, healthz_ok, NULL), "answers again once the sockets are closed");
    expect_small_log(3);
    cr_expect_eq(log_count("reason=descriptors"), 0, "the cap keeps clear of the limit");
}
