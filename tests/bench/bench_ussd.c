/* bench_ussd — USSD screens per second and their latency, multi-step
 * sessions driven by wrk, against two other servers in the same run:
 *
 *   kentongan  the gateway, its private Redis (session check and refresh,
 *              menu replay on every screen);
 *   bare       the ceiling: a bare libevent HTTP server in a child process
 *              that reads the body and answers a fixed "CON ..." screen (no
 *              session, no menu, no Redis);
 *   node       the same menu written with the npm package ussd-menu-builder
 *              on Node.js, sessions in its own private Redis
 *              (tests/bench/ussd-node/server.js). tests/bench/run installs
 *              its npm packages into $KT_BUILD/bench-node and sets
 *              BENCH_NODE_DIR; without them this part is skipped, and said.
 *              Before the runs its answers are compared with the gateway's
 *              on sample paths (paging, back and refused input too); a
 *              difference is reported and marks its row.
 *
 * All three get the same wrk command and script (tests/bench/ussd.lua: each
 * session walks a path of the default menu, then a new one starts), one
 * after the other, BENCH_USSD_ROUNDS rounds of bare, kentongan, node, each
 * run after a 1 s warm-up; a server's median round (by screens/s: the
 * middle of 3) counts, with its latencies; one disturbed run of one server
 * (this machine is shared) then moves no ratio. Then memory: BENCH_USSD_SESSIONS live sessions of
 * three screens each ("", "1", "1*2") on the gateway and on node, and each one's VmRSS and Redis
 * used_memory.
 *
 * Knobs (env): BENCH_USSD_THREADS (2), BENCH_USSD_CONNECTIONS (32),
 * BENCH_USSD_SECONDS (5), BENCH_USSD_ROUNDS (3), BENCH_USSD_LIVE (sessions
 * open per wrk thread, 1024), BENCH_USSD_SESSIONS (10000).
 * Targets: kentongan >= 0.6 x bare screens/s and p99 <= 1.5 x bare p99 in
 * the same run; gateway VmRSS < 30 MB with 10 000 live sessions. */
#include "tests/bench/bench.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define MEM_CLIENTS 4

enum { S_BARE, S_GATEWAY, S_NODE, NSERVERS };
static const char *const names[NSERVERS] = {"bare", "kentongan", "node"};

struct wrk_result {
    int ok;
    double rate, p50, p90, p99, max; /* screens/s; ms */
    long requests, con, end, end_expected, bad, non200, sorry, sockerr, sessions;
    double cpu_server, cpu_redis, cpu_wrk; /* % of a core during the run */
};

static struct kt_env env, node_env;

/* ---- the bare server --------------------------------------------------- */

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
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        struct event_base *base = event_base_new();
        struct evhttp *h = evhttp_new(base);
        evhttp_set_gencb(h, bare_cb, NULL);
        if (evhttp_bind_socket(h, "127.0.0.1", (ev_uint16_t)port) != 0)
            _exit(1);
        event_base_dispatch(base);
        _exit(0);
    }
    bench_track_pid(pid);
    return pid;
}

/* ---- the ussd-menu-builder server ---------------------------------------- */

static pid_t start_node(const char *dir, int port, const char *sock, const char *root,
                        const char *log)
{
    char script[600], portstr[16];
    snprintf(script, sizeof(script), "%s/server.js", dir);
    snprintf(portstr, sizeof(portstr), "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        setpgid(0, 0);
        /* the socket path in argv lets tests/bench/run find it by temp dir */
        execlp("node", "node", script, "--port", portstr, "--redis", sock, "--root", root,
               (char *)NULL);
        _exit(127);
    }
    bench_track_pid(pid);
    return pid;
}

static int wait_http(int port, pid_t pid)
{
    char out[2048];
    for (int i = 0; i < 100; i++) {
        if (kt_http(port, "GET", "/healthz", NULL, out, sizeof(out)) > 0)
            return 0;
        if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid)
            return -1;
        bench_sleep(0.1);
    }
    return -1;
}

/* ---- wrk --------------------------------------------------------------- */

/* The number after " key=" in line, or -1. */
static double field(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), " %s=", key);
    const char *p = strstr(line, pat);
    return p ? atof(p + strlen(pat)) : -1;
}

struct wrk_cfg {
    const char *script;
    int threads, connections, seconds, live;
};

static double tv_seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* One wrk run against port; prints the command the first time. */
static struct wrk_result run_wrk(const struct wrk_cfg *w, int port, const char *tag, int seconds,
                                 pid_t server, pid_t redis)
{
    static int shown;
    char t[16], c[16], d[16], url[64], live[16], cmd[BENCH_CMD_MAX];
    static char out[65536];
    struct wrk_result r = {0};
    snprintf(t, sizeof(t), "%d", w->threads);
    snprintf(c, sizeof(c), "%d", w->connections);
    snprintf(d, sizeof(d), "%ds", seconds);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ussd", port);
    snprintf(live, sizeof(live), "%d", w->live);
    char *argv[] = {
        "wrk", "-t", t,           "-c", c,   "-d", d, "--timeout", "5s", "-s", (char *)w->script,
        url,   "--", (char *)tag, live, NULL};
    if (!shown && seconds == w->seconds) {
        printf("  command: %s\n", bench_argv_str(argv, cmd, sizeof(cmd)));
        shown = 1;
    }
    long long s0 = bench_cpu_ticks(server), r0 = bench_cpu_ticks(redis);
    struct rusage u0, u1;
    getrusage(RUSAGE_CHILDREN, &u0); /* wrk is the only child waited for meanwhile */
    double t0 = bench_now();
    int rc = bench_capture(argv, seconds + 20, out, sizeof(out));
    double el = bench_now() - t0;
    long long s1 = bench_cpu_ticks(server), r1 = bench_cpu_ticks(redis);
    getrusage(RUSAGE_CHILDREN, &u1);
    r.cpu_wrk = 100.0 *
                (tv_seconds(u1.ru_utime) + tv_seconds(u1.ru_stime) - tv_seconds(u0.ru_utime) -
                 tv_seconds(u0.ru_stime)) /
                el;
    long hz = sysconf(_SC_CLK_TCK);
    r.cpu_server = s0 >= 0 && s1 >= 0 ? 100.0 * (double)(s1 - s0) / (double)hz / el : -1;
    r.cpu_redis =
        redis > 0 && r0 >= 0 && r1 >= 0 ? 100.0 * (double)(r1 - r0) / (double)hz / el : -1;
    const char *line = strstr(out, "wrk-ussd ");
    if (rc != 0 || line == NULL) {
        fprintf(stderr, "bench_ussd: wrk failed (exit %d); its output:\n%s\n", rc, out);
        return r;
    }
    r.ok = 1;
    r.requests = (long)field(line, "requests");
    r.rate = field(line, "screens_per_s");
    r.p50 = field(line, "p50_us") / 1000;
    r.p90 = field(line, "p90_us") / 1000;
    r.p99 = field(line, "p99_us") / 1000;
    r.max = field(line, "max_us") / 1000;
    r.con = (long)field(line, "con");
    r.end = (long)field(line, "end");
    r.end_expected = (long)field(line, "end_expected");
    r.bad = (long)field(line, "bad");
    r.non200 = (long)field(line, "non200");
    r.sorry = (long)field(line, "sorry");
    r.sockerr = (long)field(line, "socket_errors");
    r.sessions = (long)field(line, "sessions");
    return r;
}

/* Errors in a run: anything but a CON/END screen, and for a real menu an
 * END count that does not match the paths walked (give or take the
 * requests in flight when wrk stopped). */
static long run_errors(const struct wrk_result *r, int menu, int connections)
{
    long e = r->bad + r->non200 + r->sorry + r->sockerr;
    if (menu && labs(r->end - r->end_expected) > connections)
        e += labs(r->end - r->end_expected);
    return e;
}

static void print_run(int s, int round, const struct wrk_result *r, int connections)
{
    if (!r->ok) {
        printf("  round %d %-10s wrk failed\n", round, names[s]);
        return;
    }
    char cpu[128] = "";
    if (r->cpu_server >= 0)
        snprintf(cpu, sizeof(cpu), "  cpu: server %.0f%%", r->cpu_server);
    if (s != S_BARE && r->cpu_redis >= 0)
        snprintf(cpu + strlen(cpu), sizeof(cpu) - strlen(cpu), " redis %.0f%%", r->cpu_redis);
    snprintf(cpu + strlen(cpu), sizeof(cpu) - strlen(cpu), " wrk %.0f%%", r->cpu_wrk);
    printf("  round %d %-10s %7.0f screens/s  p50 %.2f  p90 %.2f  p99 %.2f  max %.1f ms  "
           "CON %ld END %ld (expected %ld)  errors %ld  sessions %ld%s\n",
           round, names[s], r->rate, r->p50, r->p90, r->p99, r->max, r->con, r->end,
           r->end_expected, run_errors(r, s != S_BARE, connections), r->sessions, cpu);
}

/* ---- memory: live sessions ------------------------------------------------ */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    struct timeval tv = {5, 0};
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One request on a keep-alive connection; 0 when a 200 with a CON screen
 * came back. */
static int roundtrip(int fd, const char *req, size_t len)
{
    if (write(fd, req, len) != (ssize_t)len)
        return -1;
    char buf[8192];
    size_t got = 0, head = 0;
    long body = -1;
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
            return strncmp(buf, "HTTP/1.1 200", 12) == 0 && strncmp(buf + head, "CON ", 4) == 0
                       ? 0
                       : -1;
    }
}

struct opener {
    int port, id, of, sessions;
    const char *tag;
    long failed;
};

static void *open_sessions(void *arg)
{
    struct opener *o = arg;
    static const char *const steps[] = {"", "1", "1%2A2"};
    int fd = connect_to(o->port);
    for (int s = o->id; s < o->sessions && fd >= 0; s += o->of) {
        for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
            char form[256], req[512];
            int n = snprintf(form, sizeof(form),
                             "sessionId=%s-%d&serviceCode=%%2A123%%23&phoneNumber=0813%08d&"
                             "networkCode=51010&text=%s",
                             o->tag, s, 20000000 + s, steps[k]);
            int len = snprintf(req, sizeof(req),
                               "POST /ussd HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                               "application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
                               n, form);
            if (roundtrip(fd, req, (size_t)len) != 0) {
                o->failed++;
                close(fd);
                fd = connect_to(o->port);
            }
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* Opens `sessions` sessions of three screens each; returns the failures. */
static long open_all(int port, const char *tag, int sessions)
{
    struct opener o[MEM_CLIENTS];
    pthread_t th[MEM_CLIENTS];
    long failed = 0;
    for (int i = 0; i < MEM_CLIENTS; i++) {
        o[i] = (struct opener){port, i, MEM_CLIENTS, sessions, tag, 0};
        pthread_create(&th[i], NULL, open_sessions, &o[i]);
    }
    for (int i = 0; i < MEM_CLIENTS; i++) {
        pthread_join(th[i], NULL);
        failed += o[i].failed;
    }
    return failed;
}

static long long redis_used_memory(struct kt_env *e)
{
    redisReply *r = kt_redis(e, "INFO memory");
    long long v = -1;
    if (r && r->type == REDIS_REPLY_STRING) {
        const char *p = strstr(r->str, "used_memory:");
        if (p)
            v = atoll(p + 12);
    }
    freeReplyObject(r);
    return v;
}

static long long redis_count(struct kt_env *e, const char *pattern)
{
    return kt_redis_int(e, "EVAL %s 0 %s", "return #redis.call('KEYS', ARGV[1])", pattern);
}

struct mem {
    long rss_before, rss_after;        /* kB, the server process */
    long long used_before, used_after; /* bytes, its Redis */
    long failed;
    double seconds;
};

static struct mem measure_sessions(int port, pid_t pid, struct kt_env *e, const char *tag,
                                   int sessions)
{
    struct mem m;
    m.rss_before = bench_rss_kb(pid);
    m.used_before = redis_used_memory(e);
    double t0 = bench_now();
    m.failed = open_all(port, tag, sessions);
    m.seconds = bench_now() - t0;
    m.rss_after = bench_rss_kb(pid);
    m.used_after = redis_used_memory(e);
    return m;
}

/* ---- the node menu answers as the gateway does ---------------------------- */

/* The screen of one POST /ussd from number 0812999900NN, "" when there was
 * no 200. Each path has a number of its own: a complaint left unfinished is
 * kept as its number's draft and offered to that number's next session,
 * which node's menu does not do. */
static void screen_of(int port, const char *session, int number, const char *text, char *out,
                      size_t len)
{
    char form[512], resp[4096];
    snprintf(form, sizeof(form),
             "sessionId=%s&serviceCode=%%2A123%%23&phoneNumber=0812999900%02d&text=%s", session,
             number % 100, text);
    out[0] = '\0';
    if (kt_http(port, "POST", "/ussd", form, resp, sizeof(resp)) != 200)
        return;
    const char *body = strstr(resp, "\r\n\r\n");
    if (body)
        snprintf(out, len, "%s", body + 4);
}

/* each path: its screens' texts (URL-encoded), NULL-terminated */
#define T "Jalan%20di%20depan%20balai%20desa%20berlubang%20sejak%20bulan%20lalu"
static const char *const cmp_paths[][11] = {
    {"", "1", "1%2A2", "1%2A2%2A7", "1%2A2%2A7%2A4", "1%2A2%2A7%2A4%2A" T,
     "1%2A2%2A7%2A4%2A" T "%2A2", NULL},
    {"", "3", "3%2A12", "3%2A12%2A5", "3%2A12%2A5%2A2", NULL},
    {"", "5", "5%2A1", "5%2A1%2A98", "5%2A1%2A98%2A98", NULL},
    {"", "5", "5%2A3", "5%2A3%2A98", NULL},
    {"", "2", "2%2A12", NULL},
    /* paging, back, a choice from a second page, a refused input */
    {"", "1", "1%2A98", "1%2A98%2A12", "1%2A98%2A12%2A98", "1%2A98%2A12%2A98%2A13",
     "1%2A98%2A12%2A98%2A13%2A2", "1%2A98%2A12%2A98%2A13%2A2%2A0",
     "1%2A98%2A12%2A98%2A13%2A2%2A0%2A4", "1%2A98%2A12%2A98%2A13%2A2%2A0%2A4%2Apendek", NULL},
    {"", "3", "3%2A98", "3%2A98%2A14", "3%2A98%2A14%2A3", "3%2A98%2A14%2A3%2A0", NULL},
};
#undef T
#define NPATHS (sizeof(cmp_paths) / sizeof(cmp_paths[0]))

/* Walks paths like the ones of ussd.lua on both servers, one session per path
 * on each, and compares every screen. Returns the screens that differ. */
static int compare_menus(int gport, int nport, int *screens)
{
    int differ = 0;
    *screens = 0;
    for (size_t p = 0; p < NPATHS; p++) {
        char session[32];
        snprintf(session, sizeof(session), "cmp-%zu", p);
        for (int k = 0; cmp_paths[p][k]; k++) {
            char g[2048], n[2048];
            screen_of(gport, session, (int)p, cmp_paths[p][k], g, sizeof(g));
            screen_of(nport, session, (int)p, cmp_paths[p][k], n, sizeof(n));
            (*screens)++;
            if (g[0] == '\0' || strcmp(g, n) != 0) {
                if (differ++ == 0)
                    printf("  text=%s: kentongan answers \"%s\", node \"%s\"\n", cmp_paths[p][k], g,
                           n);
            }
        }
    }
    return differ;
}

/* ---- main -------------------------------------------------------------- */

#define MAX_ROUNDS 16

static int by_rate(const void *a, const void *b)
{
    double x = ((const struct wrk_result *)a)->rate, y = ((const struct wrk_result *)b)->rate;
    return x < y ? -1 : x > y;
}

/* The median of a server's usable rounds by screens/s (the upper one of two
 * middles); .ok is 0 when there is none. */
static struct wrk_result median_round(const struct wrk_result *runs, int n)
{
    struct wrk_result ok[MAX_ROUNDS], none = {0};
    int k = 0;
    for (int i = 0; i < n; i++)
        if (runs[i].ok)
            ok[k++] = runs[i];
    if (k == 0)
        return none;
    qsort(ok, (size_t)k, sizeof(ok[0]), by_rate);
    return ok[k / 2];
}

int main(void)
{
    struct wrk_cfg w;
    w.threads = (int)bench_env_long("BENCH_USSD_THREADS", 2);
    w.connections = (int)bench_env_long("BENCH_USSD_CONNECTIONS", 32);
    w.seconds = (int)bench_env_long("BENCH_USSD_SECONDS", 5);
    w.live = (int)bench_env_long("BENCH_USSD_LIVE", 1024);
    int rounds = (int)bench_env_long("BENCH_USSD_ROUNDS", 3);
    int sessions = (int)bench_env_long("BENCH_USSD_SESSIONS", 10000);
    if (w.threads < 1 || w.connections < w.threads || w.seconds < 1 || rounds < 1 ||
        rounds > MAX_ROUNDS || w.live < 1 || sessions < 1) {
        fprintf(stderr, "bench_ussd: bad BENCH_USSD_* setting\n");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_guard((unsigned)(90 + rounds * 3 * (w.seconds + 3)));

    const char *root_env = getenv("KT_ROOT");
    char root[512], script[700], nodedir[600] = "", log[400];
    if (realpath(root_env && *root_env ? root_env : ".", root) == NULL) {
        fprintf(stderr, "bench_ussd: no repository root\n");
        return 1;
    }
    snprintf(script, sizeof(script), "%s/tests/bench/ussd.lua", root);
    w.script = script;
    char ver[256] = "";
    char *wrk_v[] = {"wrk", "-v", NULL};
    bench_capture(wrk_v, 10, ver, sizeof(ver));
    if (strstr(ver, "wrk") == NULL) {
        fprintf(stderr, "bench_ussd: wrk is missing; install it: scripts/setup --bench (or "
                        "apt-get install wrk)\n");
        return 1;
    }
    ver[strcspn(ver, "[\n")] = '\0';

    if (kt_env_init(&env) != 0 || kt_env_init(&node_env) != 0) {
        fprintf(stderr, "bench_ussd: cannot create a temp dir\n");
        return 1;
    }
    bench_track(&env);
    bench_track(&node_env);
    printf("== USSD screens: multi-step sessions driven by wrk, kentongan vs a bare libevent "
           "server vs ussd-menu-builder on Node.js\n");
    printf("tmpdir: %s (gateway), %s (node's redis)\n", env.dir, node_env.dir);
    if (kt_redis_start(&env) != 0) {
        fprintf(stderr, "bench_ussd: cannot start redis\n");
        return 1;
    }

    int port[NSERVERS] = {kt_free_port(), kt_free_port(), 0};
    pid_t pid[NSERVERS] = {0}, redis[NSERVERS] = {0, env.redis_pid, 0};
    char extra[128];
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nloglevel = warn\nsender_per_minute = 100",
             port[S_GATEWAY]);
    if (kt_write_config(&env, extra, NULL) != 0 || kt_gateway_start(&env) != 0 ||
        wait_http(port[S_GATEWAY], env.gateway_pid) != 0) {
        fprintf(stderr, "bench_ussd: gateway did not start\n");
        return 1;
    }
    pid[S_GATEWAY] = env.gateway_pid;
    pid[S_BARE] = start_bare(port[S_BARE]);
    if (wait_http(port[S_BARE], pid[S_BARE]) != 0) {
        fprintf(stderr, "bench_ussd: baseline server did not start\n");
        return 1;
    }

    /* (b): only with its npm packages installed (tests/bench/run does it) */
    const char *nd = getenv("BENCH_NODE_DIR");
    char node_why[512] = "", node_v[64] = "";
    int node_differs = 0;
    const char *skip = getenv("BENCH_NODE_SKIP"); /* why tests/bench/run could not */
    if (nd == NULL || *nd == '\0')
        snprintf(node_why, sizeof(node_why), "%s",
                 skip && *skip ? skip
                               : "its npm packages are not installed (BENCH_NODE_DIR unset: run "
                                 "it through tests/bench/run, which installs them)");
    else {
        snprintf(nodedir, sizeof(nodedir), "%s", nd);
        char *nv[] = {"node", "--version", NULL};
        bench_capture(nv, 10, node_v, sizeof(node_v));
        node_v[strcspn(node_v, "\n")] = '\0';
        snprintf(log, sizeof(log), "%s/node.log", node_env.dir);
        port[S_NODE] = kt_free_port();
        if (kt_redis_start(&node_env) != 0)
            snprintf(node_why, sizeof(node_why), "its redis-server did not start");
        else if ((pid[S_NODE] = start_node(nodedir, port[S_NODE], node_env.sock, root, log)) < 0 ||
                 wait_http(port[S_NODE], pid[S_NODE]) != 0) {
            snprintf(node_why, sizeof(node_why), "node did not start (its log follows)");
            char tail[2048] = "";
            FILE *f = fopen(log, "r"); /* the temp dir goes at exit: show it now */
            if (f) {
                tail[fread(tail, 1, sizeof(tail) - 1, f)] = '\0';
                fclose(f);
            }
            fprintf(stderr, "bench_ussd: node did not start; %s:\n%s\n", log, tail);
        } else {
            redis[S_NODE] = node_env.redis_pid;
            printf("node: %s, %s/server.js, ussd-menu-builder + redis (node-redis) on its own "
                   "redis-server\n",
                   node_v, nodedir);
            int screens, differ = compare_menus(port[S_GATEWAY], port[S_NODE], &screens);
            if (differ)
                printf("node: WARNING: %d of %d screens differ from kentongan's (first above): "
                       "not the same menu\n",
                       differ, screens);
            else
                printf("node: the same answers as kentongan on all %d screens of %zu sample "
                       "paths\n",
                       screens, NPATHS);
            node_differs = differ;
        }
    }
    if (node_why[0]) {
        printf("node: SKIPPED, %s\n", node_why);
        pid[S_NODE] = 0;
    }
    printf("%s; %d threads, %d connections, %d s per run after a 1 s warm-up, %d round%s, %d "
           "live sessions per wrk thread\n",
           ver, w.threads, w.connections, w.seconds, rounds, rounds == 1 ? "" : "s", w.live);

    static struct wrk_result runs[NSERVERS][MAX_ROUNDS];
    long errors[NSERVERS] = {0}; /* over all rounds */
    for (int round = 1; round <= rounds; round++) {
        for (int s = 0; s < NSERVERS; s++) {
            if (pid[s] <= 0)
                continue;
            char tag[32];
            snprintf(tag, sizeof(tag), "w%d%c", round, names[s][0]);
            run_wrk(&w, port[s], tag, 1, pid[s], redis[s]); /* warm-up */
            snprintf(tag, sizeof(tag), "r%d%c", round, names[s][0]);
            struct wrk_result r = run_wrk(&w, port[s], tag, w.seconds, pid[s], redis[s]);
            print_run(s, round, &r, w.connections);
            runs[s][round - 1] = r;
            errors[s] += r.ok ? run_errors(&r, s != S_BARE, w.connections) : 0;
        }
    }
    struct wrk_result med[NSERVERS];
    for (int s = 0; s < NSERVERS; s++)
        med[s] = median_round(runs[s], rounds);
    if (rounds > 1 && runs[S_BARE][0].ok) {
        printf("  kentongan / bare round by round:");
        for (int i = 0; i < rounds; i++)
            if (runs[S_BARE][i].ok && runs[S_GATEWAY][i].ok)
                printf(" %.2f", runs[S_GATEWAY][i].rate / runs[S_BARE][i].rate);
        printf("\n");
    }
    bench_stop_pid(pid[S_BARE]);

    /* memory with live sessions */
    struct mem gm = measure_sessions(port[S_GATEWAY], pid[S_GATEWAY], &env, "mem", sessions);
    long long live_g = redis_count(&env, "kt:ussd:*");
    struct mem nm = {0};
    long long live_n = 0;
    if (pid[S_NODE] > 0) {
        nm = measure_sessions(port[S_NODE], pid[S_NODE], &node_env, "mem", sessions);
        live_n = redis_count(&node_env, "ussd:*");
    }

    struct wrk_result *b = &med[S_BARE], *g = &med[S_GATEWAY], *n = &med[S_NODE];
    if (!b->ok || !g->ok) {
        fprintf(stderr, "bench_ussd: no usable wrk run\n");
        return 1;
    }
    double ratio = g->rate / b->rate, p99r = b->p99 > 0 ? g->p99 / b->p99 : 0;
    long gerr = errors[S_GATEWAY], berr = errors[S_BARE], nerr = errors[S_NODE];
    printf("median rounds (by screens/s; errors over all rounds):\n");
    printf("  bare       %8.0f screens/s  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  errors %ld\n",
           b->rate, b->p50, b->p90, b->p99, berr);
    printf("  kentongan  %8.0f screens/s  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  errors %ld\n",
           g->rate, g->p50, g->p90, g->p99, gerr);
    if (n->ok)
        printf("  node       %8.0f screens/s  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  errors %ld\n",
               n->rate, n->p50, n->p90, n->p99, nerr);
    printf("  kentongan / bare screens/s %.2f (target >= 0.6): %s\n", ratio,
           ratio >= 0.6 ? "met" : "MISSED");
    printf("  kentongan p99 / bare p99   %.2f (target <= 1.5): %s\n", p99r,
           p99r <= 1.5 ? "met" : "MISSED");
    if (n->ok)
        printf("  node / bare screens/s      %.2f; kentongan / node %.1f; node p99 / bare p99 "
               "%.2f\n",
               n->rate / b->rate, g->rate / n->rate, n->p99 / b->p99);
    else
        printf("  node: skipped (%s)\n", node_why[0] ? node_why : "wrk failed");

    char mb1[32], mb2[32], mb3[32], mb4[32];
    long rss_end = bench_rss_kb(pid[S_GATEWAY]);
    printf("memory: %d sessions of three screens (\"\", \"1\", \"1*2\"), %d keep-alive clients\n",
           sessions, MEM_CLIENTS);
    printf("  kentongan  VmRSS %s before, %s with them (%s now, %lld live sessions in Redis); "
           "Redis used_memory +%.1f MB (%.0f bytes a session); %.1f s, failed %ld\n",
           bench_mb(gm.rss_before, mb1, sizeof(mb1)), bench_mb(gm.rss_after, mb2, sizeof(mb2)),
           bench_mb(rss_end, mb3, sizeof(mb3)), live_g,
           (double)(gm.used_after - gm.used_before) / 1048576.0,
           (double)(gm.used_after - gm.used_before) / sessions, gm.seconds, gm.failed);
    if (pid[S_NODE] > 0)
        printf("  node       VmRSS %s before, %s with them (%lld live sessions in Redis); Redis "
               "used_memory +%.1f MB (%.0f bytes a session); %.1f s, failed %ld\n",
               bench_mb(nm.rss_before, mb1, sizeof(mb1)), bench_mb(nm.rss_after, mb4, sizeof(mb4)),
               live_n, (double)(nm.used_after - nm.used_before) / 1048576.0,
               (double)(nm.used_after - nm.used_before) / sessions, nm.seconds, nm.failed);
    long rss_max = gm.rss_after > rss_end ? gm.rss_after : rss_end;
    printf("  kentongan VmRSS < 30 MB with %d live sessions: %s\n", sessions,
           rss_max >= 0 && rss_max < 30 * 1024 ? "met" : "MISSED");

    char what[160];
    snprintf(what, sizeof(what), "wrk %d threads, %d connections, %d s, median of %d", w.threads,
             w.connections, w.seconds, rounds);
    bench_row("| USSD screens, multi-step sessions (%s) | %.0f screens/s, p50 %.2f ms, p90 %.2f "
              "ms, p99 %.2f ms%s | bare libevent server, fixed screen: %.0f/s, p99 %.2f ms | "
              "%.2f | ≥ 0.6 × bare | %s |",
              what, g->rate, g->p50, g->p90, g->p99, gerr ? ", **errors**" : "", b->rate, b->p99,
              ratio, ratio >= 0.6 ? "met" : "**missed**");
    bench_row("| USSD p99 latency, same runs | %.2f ms | bare %.2f ms | %.2f | ≤ 1.5 × bare | %s |",
              g->p99, b->p99, p99r, p99r <= 1.5 ? "met" : "**missed**");
    if (n->ok)
        bench_row("| USSD screens, same menu with ussd-menu-builder on Node.js %s, Redis sessions "
                  "| %.0f screens/s, p50 %.2f ms, p99 %.2f ms%s%s | bare %.0f/s | %.2f (kentongan "
                  "%.1f × node) | comparison | |",
                  node_v, n->rate, n->p50, n->p99, nerr ? ", **errors**" : "",
                  node_differs ? ", **menu differs**" : "", b->rate, n->rate / b->rate,
                  g->rate / n->rate);
    else
        bench_row("| USSD screens, ussd-menu-builder on Node.js | skipped: %s | | | comparison | "
                  "|",
                  node_why[0] ? node_why : "wrk failed");
    char nodemem[160] = "";
    if (pid[S_NODE] > 0)
        snprintf(nodemem, sizeof(nodemem), "; Node.js: VmRSS %s, Redis +%.0f bytes a session",
                 bench_mb(nm.rss_after, mb4, sizeof(mb4)),
                 (double)(nm.used_after - nm.used_before) / sessions);
    bench_row("| gateway memory with %d live USSD sessions | %s (end of run, %lld live: %s) | "
              "Redis used_memory +%.0f bytes a session%s | | < 30 MB | %s |",
              sessions, bench_mb(gm.rss_after, mb2, sizeof(mb2)), live_g,
              bench_mb(rss_end, mb3, sizeof(mb3)),
              (double)(gm.used_after - gm.used_before) / sessions, nodemem,
              rss_max >= 0 && rss_max < 30 * 1024 ? "met" : "**missed**");
    if (pid[S_NODE] > 0) {
        bench_stop_pid(pid[S_NODE]);
    }
    return gerr || gm.failed ? 1 : 0;
}
