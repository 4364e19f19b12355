/* bench_router — router throughput against the ceiling Redis allows for the
 * same command mix, measured in the same run on the same private Redis.
 *
 *   1. A private redis-server (harness: unix socket in a temp dir, AOF with
 *      appendfsync everysec — a throughput figure, not the production
 *      `always`) is filled with BENCH_N inbound messages on kt:in, written
 *      field for field as kt_ingest writes them, from distinct mobile senders
 *      so that the per-sender limit never applies. XADDs are pipelined.
 *   2. The real gateway starts with one dummy modem whose per_day = 1, so its
 *      worker sends one reply and then stays out of the way. The clock runs
 *      from the gateway's fork until every message is acknowledged: each
 *      message yields exactly one reply on kt:out:m:dummy, so XLEN of that
 *      lane is the number committed; at the end XINFO GROUPS kt:in must show
 *      pending 0 and lag 0.
 *   3. Baseline: redis-benchmark against the same Redis (gateway stopped) for
 *      each command the router issues per message — XREADGROUP COUNT 256 (a
 *      1/256 share), FCALL kt_rate, FCALL kt_commit with realistic arguments —
 *      combined as 1 / sum(1 / rate_i) messages per second.
 *
 * Environment: BENCH_N (100000), BENCH_MIX (mix | info), BENCH_RB_N
 * (requests per redis-benchmark run, 100000), BENCH_RB_CLIENTS (4),
 * BENCH_RB_PIPELINE (16), BENCH_PROFILE_SECONDS (0: when > 0, `perf record`
 * the gateway for that long mid-run and print the top symbols). */
#include "gateway/store.h"
#include "handlers/keyword.h"
#include "tests/bench/bench.h"

#define BENCH_TIME_BOUND   280   /* seconds for the whole program */
#define PREFILL_PIPELINE   1000  /* XADDs in flight while filling */
#define WAIT_BOUND         180.0 /* seconds the router gets for N messages */
#define POLL_INTERVAL      0.01  /* seconds between progress polls */
#define MAX_SAMPLES        40000
#define ROUTER_BATCH_SHARE 256   /* messages per XREADGROUP in gateway/router.c */
#define TARGET_RATE        20000.0
#define TARGET_RATIO       0.5

static struct kt_env env;

struct sample {
    double t;
    long long done;
};
static struct sample samples[MAX_SAMPLES];
static int nsamples;

static const char *mix_text(long i, int info_only)
{
    /* A realistic inbox: mostly INFO in its spellings, greetings before the
     * keyword, and free text no keyword matches (answered with the hint). */
    static const char *mix[10] = {
        "INFO", "info", "INFO", "Info", "Assalamualaikum pak, info", "Selamat pagi. INFO",
        "INFOOO", "halo pak, jalan di desa kami rusak parah", "Permisi, mau tanya bantuan",
        "apa kabar"};
    return info_only ? "INFO" : mix[i % 10];
}

static int xadd_inbound(redisContext *c, const char *stream, long i, int info_only,
                        long long now)
{
    char from[32], received[24];
    snprintf(from, sizeof(from), "+628123%06ld", i % 1000000);
    snprintf(received, sizeof(received), "%lld", now + i / 1000);
    const char *argv[] = {"XADD",      stream,           "MAXLEN",  "~",    STORE_IN_MAXLEN,
                          "*",         "modem",          "dummy",   "from", from,
                          "coding",    "gsm7",           "smsc_time", "20250101120000+07",
                          "text",      mix_text(i, info_only), "data", "",   "parts",
                          "1",         "incomplete",     "0",       "received", received};
    return redisAppendCommandArgv(c, (int)(sizeof(argv) / sizeof(argv[0])), argv, NULL);
}

/* Pipelined XADDs of n messages; returns 0/-1. */
static int prefill(const char *stream, long n, int info_only)
{
    struct timeval tv = {30, 0};
    redisContext *c = redisConnectUnixWithTimeout(env.sock, tv);
    if (c == NULL || c->err)
        return -1;
    struct timeval now;
    gettimeofday(&now, NULL);
    long long ms = (long long)now.tv_sec * 1000 + now.tv_usec / 1000;
    int rc = 0;
    for (long i = 0; i < n && rc == 0;) {
        long batch = n - i < PREFILL_PIPELINE ? n - i : PREFILL_PIPELINE;
        for (long k = 0; k < batch; k++)
            xadd_inbound(c, stream, i + k, info_only, ms);
        for (long k = 0; k < batch; k++) {
            void *r = NULL;
            if (redisGetReply(c, &r) != REDIS_OK || r == NULL ||
                ((redisReply *)r)->type != REDIS_REPLY_STRING)
                rc = -1;
            freeReplyObject(r);
            if (rc)
                break;
        }
        i += batch;
    }
    redisFree(c);
    return rc;
}

static long long lane_len(void)
{
    return kt_redis_int(&env, "XLEN kt:out:m:dummy");
}

/* From XINFO GROUPS kt:in, group "router": pending and lag (-1 unknown). */
static void group_state(long long *pending, long long *lag, long long *read)
{
    *pending = *lag = *read = -1;
    redisReply *r = kt_redis(&env, "XINFO GROUPS kt:in");
    if (r && r->type == REDIS_REPLY_ARRAY) {
        for (size_t g = 0; g < r->elements; g++) {
            redisReply *f = r->element[g];
            int ours = 0;
            long long p = -1, l = -1, e = -1;
            for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2) {
                const char *k = f->element[i]->str;
                redisReply *v = f->element[i + 1];
                if (k == NULL)
                    continue;
                if (!strcmp(k, "name") && v->str && !strcmp(v->str, STORE_IN_GROUP))
                    ours = 1;
                else if (!strcmp(k, "pending") && v->type == REDIS_REPLY_INTEGER)
                    p = v->integer;
                else if (!strcmp(k, "lag") && v->type == REDIS_REPLY_INTEGER)
                    l = v->integer;
                else if (!strcmp(k, "entries-read") && v->type == REDIS_REPLY_INTEGER)
                    e = v->integer;
            }
            if (ours) {
                *pending = p;
                *lag = l;
                *read = e;
            }
        }
    }
    freeReplyObject(r);
}

/* Rate between the samples where `done` first reaches lo and hi fractions. */
static double rate_between(long long n, double lo, double hi)
{
    int a = -1, b = -1;
    for (int i = 0; i < nsamples; i++) {
        if (a < 0 && samples[i].done >= (long long)(lo * (double)n))
            a = i;
        if (b < 0 && samples[i].done >= (long long)(hi * (double)n))
            b = i;
    }
    if (a < 0 || b < 0 || b <= a || samples[b].t <= samples[a].t)
        return -1;
    return (double)(samples[b].done - samples[a].done) / (samples[b].t - samples[a].t);
}

/* Runs one redis-benchmark; returns requests per second or -1. */
static double redis_benchmark(const char *label, char *const args[], long n, int clients,
                              int pipeline, long keyspace)
{
    char nbuf[24], cbuf[16], pbuf[16], rbuf[24];
    snprintf(nbuf, sizeof(nbuf), "%ld", n);
    snprintf(cbuf, sizeof(cbuf), "%d", clients);
    snprintf(pbuf, sizeof(pbuf), "%d", pipeline);
    snprintf(rbuf, sizeof(rbuf), "%ld", keyspace);
    char *argv[64];
    int a = 0;
    argv[a++] = "redis-benchmark";
    argv[a++] = "-s";
    argv[a++] = env.sock;
    argv[a++] = "-n";
    argv[a++] = nbuf;
    argv[a++] = "-c";
    argv[a++] = cbuf;
    argv[a++] = "-P";
    argv[a++] = pbuf;
    if (keyspace > 0) {
        argv[a++] = "-r";
        argv[a++] = rbuf;
    }
    argv[a++] = "--csv";
    for (int i = 0; args[i] && a < 63; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
    char out[8192], shown[BENCH_CMD_MAX];
    int rc = bench_capture(argv, 60, out, sizeof(out));
    /* second CSV line: "command","rps",... */
    double rps = -1;
    char *line = strchr(out, '\n');
    if (rc == 0 && line) {
        char *p = strstr(line + 1, "\",\"");
        if (p)
            rps = atof(p + 3);
    }
    printf("  %-13s %12.0f req/s    $ %s\n", label, rps, bench_argv_str(argv, shown, sizeof(shown)));
    return rps;
}

static void profile_gateway(double seconds)
{
    char pid[16], dur[16], data[400], shown[BENCH_CMD_MAX];
    snprintf(pid, sizeof(pid), "%d", (int)env.gateway_pid);
    snprintf(dur, sizeof(dur), "%.0f", seconds);
    snprintf(data, sizeof(data), "%s/perf.data", env.dir);
    char *rec[] = {"perf", "record", "-F", "999", "-g", "-p", pid, "-o", data, "--", "sleep", dur, NULL};
    char out[4096];
    int rc = bench_capture(rec, seconds + 20, out, sizeof(out));
    printf("\nprofile: $ %s  (exit %d)\n", bench_argv_str(rec, shown, sizeof(shown)), rc);
    if (rc != 0) {
        printf("  perf record failed here; try valgrind --tool=callgrind (see tests/bench/run)\n");
        return;
    }
    char *rep[] = {"perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso,symbol",
                   "-g", "none", "--percent-limit", "1", NULL};
    static char text[65536];
    bench_capture(rep, 60, text, sizeof(text));
    printf("$ %s\n", bench_argv_str(rep, shown, sizeof(shown)));
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
        if (l[0] != '#' && l[0] != '\0')
            printf("  %s\n", l);
}

int main(void)
{
    long n = bench_env_long("BENCH_N", 100000);
    const char *mix = getenv("BENCH_MIX");
    int info_only = mix && strcmp(mix, "info") == 0;
    long rb_n = bench_env_long("BENCH_RB_N", 100000);
    int rb_c = (int)bench_env_long("BENCH_RB_CLIENTS", 4);
    int rb_p = (int)bench_env_long("BENCH_RB_PIPELINE", 16);
    double profile = (double)bench_env_long("BENCH_PROFILE_SECONDS", 0);
    char shown[BENCH_CMD_MAX], mb[32];
    long hz = sysconf(_SC_CLK_TCK);

    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_guard(BENCH_TIME_BOUND);
    if (kt_env_init(&env) != 0) {
        fprintf(stderr, "bench_router: cannot create a temp dir\n");
        return 1;
    }
    bench_track(&env);
    printf("== router throughput (N=%ld, mix=%s)\n", n, info_only ? "info" : "mix");
    printf("tmpdir: %s\n", env.dir);
    if (kt_redis_start(&env) != 0) {
        fprintf(stderr, "bench_router: redis-server did not start\n");
        return 1;
    }
    printf("redis: $ redis-server --port 0 --unixsocket %s --appendonly yes --appendfsync everysec"
           " --save ''\n"
           "       (tests/lib/harness.c; appendfsync everysec as a throughput run should use;\n"
           "        production runs `always` (README), which costs an fsync per write batch)\n",
           env.sock);

    double t = bench_now();
    if (prefill(STORE_IN, n, info_only) != 0) {
        fprintf(stderr, "bench_router: prefill failed\n");
        return 1;
    }
    printf("prefill: %ld XADD kt:in (fields as kt_ingest writes them), pipelined %d deep: %.2f s "
           "(%.0f XADD/s)\n",
           n, PREFILL_PIPELINE, bench_now() - t, (double)n / (bench_now() - t));

    char modems[1024];
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\n"
             "poll_seconds = 60\nper_minute = 10\nper_day = 1\n",
             env.modem_dir);
    FILE *cf = fopen(env.config, "w");
    if (cf == NULL)
        return 1;
    fprintf(cf, "[gateway]\nredis = unix:%s\nhttp =\nloglevel = info\nname = bench\n"
                "sender_per_minute = 10\n\n%s",
            env.sock, modems);
    fclose(cf);

    /* ---- the gateway ---- */
    double t0 = bench_now();
    if (kt_gateway_start(&env) != 0)
        return 1;
    long long gw_cpu0 = -1, redis_cpu0 = bench_cpu_ticks(env.redis_pid);
    double tc0 = bench_now();
    gw_cpu0 = bench_cpu_ticks(env.gateway_pid);
    double t_first = -1, t_end = -1;
    long long done = 0;
    int profiled = 0;
    while (bench_now() - t0 < WAIT_BOUND) {
        done = lane_len();
        double now = bench_now();
        if (done > 0 && t_first < 0)
            t_first = now;
        if (nsamples < MAX_SAMPLES)
            samples[nsamples++] = (struct sample){now, done};
        if (done >= n) {
            t_end = now;
            break;
        }
        if (profile > 0 && !profiled && done > n / 10) {
            profiled = 1;
            profile_gateway(profile);
            continue;
        }
        if (waitpid(env.gateway_pid, NULL, WNOHANG) == env.gateway_pid) {
            fprintf(stderr, "bench_router: the gateway exited\n");
            env.gateway_pid = -1;
            kt_dump_log(&env);
            return 1;
        }
        bench_sleep(POLL_INTERVAL);
    }
    long long gw_cpu1 = bench_cpu_ticks(env.gateway_pid);
    long long redis_cpu1 = bench_cpu_ticks(env.redis_pid);
    double tc1 = bench_now();
    pid_t wpid = kt_worker_pid(&env, "dummy");
    /* Let the last acks land, then check the group agrees. */
    long long pending = -1, lag = -1, read = -1;
    for (int i = 0; i < 100; i++) {
        group_state(&pending, &lag, &read);
        if (pending == 0 && lag == 0)
            break;
        bench_sleep(0.02);
    }
    long gw_rss = bench_rss_kb(env.gateway_pid), gw_hwm = bench_status_kb(env.gateway_pid, "VmHWM");
    long w_rss = wpid > 0 ? bench_rss_kb(wpid) : -1;
    long long logsize = -1;
    FILE *lf = fopen(env.log, "r");
    if (lf) {
        fseek(lf, 0, SEEK_END);
        logsize = ftell(lf);
        fclose(lf);
    }

    double rate = -1, steady = -1, startup = -1;
    printf("\ngateway: $ %s/kentongan -c %s   (loglevel = info, one dummy modem, per_day = 1)\n",
           env.build, env.config);
    printf("measured: poll XLEN kt:out:m:dummy every %.0f ms (one reply per message), then "
           "XINFO GROUPS kt:in\n",
           POLL_INTERVAL * 1000);
    if (t_end < 0) {
        printf("  NOT FINISHED within %.0f s: %lld of %ld committed\n", WAIT_BOUND, done, n);
        rate = (double)done / (bench_now() - t0);
    } else {
        rate = (double)n / (t_end - t0);
        startup = t_first - t0;
        steady = rate_between(n, 0.1, 0.9);
    }
    printf("  committed           %lld of %ld   (group router: pending %lld, lag %lld, "
           "entries-read %lld)\n",
           done, n, pending, lag, read);
    if (t_end >= 0) {
        printf("  wall time           %.2f s from fork to the last ack\n", t_end - t0);
        printf("  startup             %.3f s from fork to the first ack\n", startup);
        printf("  end-to-end rate     %.0f msg/s  (N / wall time, startup included)\n", rate);
        printf("  steady rate         %.0f msg/s  (between 10%% and 90%% committed)\n", steady);
    }
    double gw_pct = hz > 0 ? 100.0 * (double)(gw_cpu1 - gw_cpu0) / (double)hz / (tc1 - tc0) : -1;
    double rd_pct =
        hz > 0 ? 100.0 * (double)(redis_cpu1 - redis_cpu0) / (double)hz / (tc1 - tc0) : -1;
    printf("  CPU during the run  gateway %.0f%% of a core, redis-server %.0f%% of a core "
           "(utime+stime from /proc/PID/stat)\n",
           gw_pct, rd_pct);
    printf("  gateway RSS after   %s (VmRSS; peak VmHWM %s)\n", bench_mb(gw_rss, mb, sizeof(mb)),
           bench_mb(gw_hwm, shown, sizeof(shown)));
    printf("  worker RSS after    %s (dummy worker, pid %d)\n", bench_mb(w_rss, mb, sizeof(mb)),
           (int)wpid);
    printf("  gateway log         %.1f MB (one info line per inbound message)\n",
           (double)logsize / 1048576.0);

    if (profile > 0 && !profiled)
        printf("profile: the run ended before 10%% were committed; nothing profiled\n");

    int st = kt_gateway_stop(&env, SIGTERM);
    printf("gateway stopped with SIGTERM: exit %d\n", st);

    /* ---- the ceiling ---- */
    printf("\nbaseline: the Redis ceiling for the router's per-message commands (same redis, "
           "gateway stopped)\n");
    redisReply *r = kt_redis(&env, "FUNCTION LOAD REPLACE %s", store_library);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "bench_router: FUNCTION LOAD failed: %s\n", r ? r->str : "no reply");
        freeReplyObject(r);
        return 1;
    }
    freeReplyObject(r);
    long calls = n / ROUTER_BATCH_SHARE;
    if (calls < 50)
        calls = 50;
    /* A spare in case redis-benchmark overshoots -n by a pipeline or two. */
    long xn = (calls + 64) * ROUTER_BATCH_SHARE;
    t = bench_now();
    if (prefill("bench:in", xn, info_only) != 0)
        return 1;
    freeReplyObject(kt_redis(&env, "XGROUP CREATE bench:in router 0"));
    printf("  (bench:in: %ld entries like kt:in, filled in %.2f s, group router at 0)\n", xn,
           bench_now() - t);

    char info[INFO_SMS_MAX * 2 + 1];
    if (info_text(info, sizeof(info)) < 0)
        snprintf(info, sizeof(info), "Layanan SMS Pemkab Batang.");
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long long ms = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    char now_s[24], exp_s[24];
    snprintf(now_s, sizeof(now_s), "%lld", ms);
    snprintf(exp_s, sizeof(exp_s), "%lld", ms + 3600000);

    char *xrg[] = {"XREADGROUP", "GROUP", "router", "bench", "COUNT", "256", "STREAMS", "bench:in",
                   ">", NULL};
    char *rate_args[] = {"FCALL", "kt_rate", "1", "kt:rate:628__rand_int__", "60", NULL};
    char *commit_args[] = {"FCALL", "kt_commit", "2", "kt:in", "kt:done:__rand_int__-0", "router",
                           "__rand_int__-0", "604800", "1", now_s, "kt:out:m:bench",
                           "628__rand_int__", info, exp_s, "reply", NULL};
    double x_rps = redis_benchmark("XREADGROUP", xrg, calls, 1, 1, 0);
    double rate_rps = redis_benchmark("kt_rate", rate_args, rb_n, rb_c, rb_p, 1000000000L);
    double commit_rps = redis_benchmark("kt_commit", commit_args, rb_n, rb_c, rb_p, 1000000000L);
    double ceiling = -1;
    if (x_rps > 0 && rate_rps > 0 && commit_rps > 0)
        ceiling = 1.0 / (1.0 / (x_rps * ROUTER_BATCH_SHARE) + 1.0 / rate_rps + 1.0 / commit_rps);
    printf("  notes: XREADGROUP is one call per 256 messages (%.0f msg/s), with 1 client as the "
           "router's\n"
           "         reading connection; the FCALLs with %d clients x %d pipelined; kt_commit "
           "queues the real\n"
           "         INFO reply (%zu bytes) and acks an id that is not pending (slightly cheaper "
           "than a real ack)\n",
           x_rps * ROUTER_BATCH_SHARE, rb_c, rb_p, strlen(info));
    printf("  ceiling = 1 / (1/(XREADGROUP x 256) + 1/kt_rate + 1/kt_commit) = %.0f msg/s\n",
           ceiling);

    double ratio = ceiling > 0 && t_end >= 0 ? steady / ceiling : -1;
    double ratio_e2e = ceiling > 0 ? rate / ceiling : -1;
    printf("\nresult: router %.0f msg/s steady (%.0f end-to-end), Redis ceiling %.0f msg/s -> "
           "ratio %.2f (%.2f end-to-end)\n",
           steady, rate, ceiling, ratio, ratio_e2e);
    printf("targets: >= %.0f msg/s: %s; >= %.1f x ceiling: %s\n", TARGET_RATE,
           steady >= TARGET_RATE ? "met" : "MISSED", TARGET_RATIO,
           ratio >= TARGET_RATIO ? "met" : "MISSED");

    bench_row("| router throughput, steady (10–90 %%) | %.0f msg/s | Redis ceiling %.0f msg/s | "
              "%.2f | ≥ 20 000 msg/s and ≥ 0.5 × | %s |",
              steady, ceiling, ratio,
              steady >= TARGET_RATE && ratio >= TARGET_RATIO ? "met" : "**missed**");
    bench_row("| router end-to-end (%ld msgs, startup %.2f s incl.) | %.0f msg/s | Redis ceiling "
              "%.0f msg/s | %.2f | — | — |",
              n, startup, rate, ceiling, ratio_e2e);
    bench_row("| CPU while routing | gateway %.0f %% of a core | redis-server %.0f %% | — | — | — |",
              gw_pct, rd_pct);
    bench_row("| gateway RSS after %ld msgs | %s | — | — | < 30 MB | %s |", n,
              bench_mb(gw_rss, mb, sizeof(mb)), gw_rss >= 0 && gw_rss < 30 * 1024 ? "met" : "**missed**");
    return 0;
}
