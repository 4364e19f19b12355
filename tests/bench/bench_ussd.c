/* bench_ussd — USSD screens per second and their latency, against a bare
 * libevent HTTP server on the same machine in the same run.
 *
 * The gateway answers POST /ussd for a screen three levels deep (replaying
 * the menu, reading the session from Redis, saving it back). The baseline is
 * an evhttp server in a child process that reads the body and answers a
 * fixed "CON ..." text: the most a libevent server can do on this machine
 * with this client. Both are driven by the same client: BENCH_USSD_CLIENTS
 * (4) keep-alive connections, each sending requests back to back for
 * BENCH_USSD_SECONDS (3). Target: gateway >= 0.6 x baseline. */
#include "tests/bench/bench.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>

#define MAX_CLIENTS 16
#define MAX_SAMPLES 400000

struct client {
    int port;
    double until;
    long done, failed;
    double *lat;
    long nlat;
    int id;
};

static const char *form_fmt = "sessionId=bench%d&serviceCode=%%2A123%%23&phoneNumber=0812%08d&"
                              "networkCode=51010&text=1%%2A1%%2A3";

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One request on a keep-alive connection; 0 when a 200 came back. */
static int roundtrip(int fd, const char *req, size_t len)
{
    if (write(fd, req, len) != (ssize_t)len)
        return -1;
    char buf[8192];
    size_t got = 0;
    long body = -1;
    size_t head = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        buf[got] = '\0';
        if (body < 0) {
            char *end = strstr(buf, "\r\n\r\n");
            if (end == NULL)
                continue;
            head = (size_t)(end - buf) + 4;
            char *cl = strcasestr(buf, "Content-Length:");
            body = cl ? atol(cl + 15) : 0;
        }
        if (got >= head + (size_t)body)
            return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
    }
}

static void *run_client(void *arg)
{
    struct client *c = arg;
    int fd = connect_to(c->port);
    if (fd < 0) {
        c->failed++;
        return NULL;
    }
    char form[512], req[1024];
    int n = snprintf(form, sizeof(form), form_fmt, c->id, 30000000 + c->id);
    int len = snprintf(req, sizeof(req),
                       "POST /ussd HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                       "application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
                       n, form);
    while (bench_now() < c->until) {
        double t0 = bench_now();
        if (roundtrip(fd, req, (size_t)len) != 0) {
            c->failed++;
            close(fd);
            if ((fd = connect_to(c->port)) < 0)
                break;
            continue;
        }
        if (c->nlat < MAX_SAMPLES)
            c->lat[c->nlat++] = bench_now() - t0;
        c->done++;
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct load {
    double rate, p50, p99;
    long failed;
};

static struct load drive(int port, int clients, double seconds)
{
    struct client cs[MAX_CLIENTS];
    pthread_t th[MAX_CLIENTS];
    double until = bench_now() + seconds;
    double t0 = bench_now();
    for (int i = 0; i < clients; i++) {
        cs[i] = (struct client){port, until, 0, 0, malloc(sizeof(double) * MAX_SAMPLES), 0, i};
        pthread_create(&th[i], NULL, run_client, &cs[i]);
    }
    long done = 0, failed = 0, nlat = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        done += cs[i].done;
        failed += cs[i].failed;
        nlat += cs[i].nlat;
    }
    double elapsed = bench_now() - t0;
    double *all = malloc(sizeof(double) * (size_t)(nlat ? nlat : 1));
    long k = 0;
    for (int i = 0; i < clients; i++) {
        memcpy(all + k, cs[i].lat, sizeof(double) * (size_t)cs[i].nlat);
        k += cs[i].nlat;
        free(cs[i].lat);
    }
    qsort(all, (size_t)k, sizeof(double), cmp);
    struct load l = {done / elapsed, k ? all[k / 2] * 1000 : 0, k ? all[k * 99 / 100] * 1000 : 0,
                     failed};
    free(all);
    return l;
}

/* The baseline: a bare evhttp server answering a fixed screen. */
static void bare_cb(struct evhttp_request *req, void *arg)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    char body[4096];
    evbuffer_remove(in, body, sizeof(body) - 1);
    struct evbuffer *out = evbuffer_new();
    evbuffer_add_printf(out, "CON Kecamatan:\n1 Bandar\n2 Banyuputih\n3 Batang\n98 Lanjut 0 "
                             "Kembali 00 Awal");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
}

static pid_t start_bare(int port)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct event_base *base = event_base_new();
        struct evhttp *h = evhttp_new(base);
        evhttp_set_gencb(h, bare_cb, NULL);
        if (evhttp_bind_socket(h, "127.0.0.1", (ev_uint16_t)port) != 0)
            _exit(1);
        event_base_dispatch(base);
        _exit(0);
    }
    return pid;
}

static int wait_http(int port)
{
    char out[2048];
    for (int i = 0; i < 100; i++) {
        if (kt_http(port, "GET", "/healthz", NULL, out, sizeof(out)) > 0)
            return 0;
        bench_sleep(0.1);
    }
    return -1;
}

int main(void)
{
    bench_guard(120);
    int clients = (int)bench_env_long("BENCH_USSD_CLIENTS", 16);
    double seconds = (double)bench_env_long("BENCH_USSD_SECONDS", 3);
    if (clients < 1 || clients > MAX_CLIENTS)
        clients = 16;
    static struct kt_env env;
    if (kt_env_init(&env) != 0 || kt_redis_start(&env) != 0) {
        fprintf(stderr, "bench_ussd: cannot start redis\n");
        return 1;
    }
    bench_track(&env);
    int port = kt_free_port(), bare_port = kt_free_port();
    char extra[128];
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nloglevel = warn\nsender_per_minute = 1000",
             port);
    if (kt_write_config(&env, extra, NULL) != 0 || kt_gateway_start(&env) != 0 ||
        wait_http(port) != 0) {
        fprintf(stderr, "bench_ussd: gateway did not start\n");
        return 1;
    }
    pid_t bare = start_bare(bare_port);
    if (wait_http(bare_port) != 0) {
        fprintf(stderr, "bench_ussd: baseline server did not start\n");
        kill(bare, SIGKILL);
        return 1;
    }
    printf("== USSD screens: %d keep-alive clients x %.0f s, POST /ussd text=1*1*3 (a list three "
           "levels deep)\n",
           clients, seconds);
    drive(port, clients, 0.5); /* warm up */
    struct load g = drive(port, clients, seconds);
    struct load b = drive(bare_port, clients, seconds);
    kill(bare, SIGKILL);
    waitpid(bare, NULL, 0);
    double ratio = b.rate > 0 ? g.rate / b.rate : 0;
    printf("  kentongan  %8.0f screens/s  p50 %.2f ms  p99 %.2f ms  failed %ld\n", g.rate, g.p50,
           g.p99, g.failed);
    printf("  bare evhttp %7.0f screens/s  p50 %.2f ms  p99 %.2f ms  failed %ld\n", b.rate, b.p50,
           b.p99, b.failed);
    printf("  ratio %.2f (target >= 0.6)\n", ratio);
    bench_row("| USSD screens (%d clients, menu replay + Redis session) | %.0f screens/s, p50 %.2f "
              "ms, p99 %.2f ms | bare libevent server %.0f/s | %.2f | >= 0.6 x bare | %s |",
              clients, g.rate, g.p50, g.p99, b.rate, ratio, ratio >= 0.6 ? "met" : "**missed**");
    return 0;
}
