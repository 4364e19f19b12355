/* bench_idle — what an idle gateway costs: CPU (% of one core) and resident
 * memory of the gateway and of each modem worker, next to an idle
 * redis-server measured over the same window in the same run.
 *
 *   1. A private redis-server for the gateway, and a second one nobody talks
 *      to (the baseline), both started by the harness.
 *   2. The real gateway with one dummy modem and one AT-simulator modem
 *      (build/atsim through libgammu's proxyat), every modem setting at its
 *      default, HTTP on a loopback port. Wait until HGET kt:modem:NAME state
 *      is "up" for both, then a short settle.
 *   3. Over BENCH_IDLE_SECONDS (20) of no traffic: utime+stime from
 *      /proc/PID/stat of every process, and the Redis commands the idle
 *      gateway issued (INFO commandstats); then VmRSS from
 *      /proc/PID/status.
 * The atsim process stands in for the modem hardware: it is reported but
 * not counted as gateway cost. */
#include "tests/bench/bench.h"
#include "tests/lib/atsim_ctl.h"

#include <dirent.h>

#define BENCH_TIME_BOUND 120  /* seconds for the whole program, plus the window */
#define UP_BOUND         60.0 /* seconds for both modems to come up */
#define SETTLE_SECONDS   3.0
#define TARGET_CPU_PCT   2.0
#define TARGET_GW_MB     30
#define TARGET_WORKER_MB 15

static struct kt_env env, base_env;

static int modem_up(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:%s state", (const char *)arg);
    int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
    freeReplyObject(r);
    return up;
}

static int both_up(struct kt_env *e, void *arg)
{
    return modem_up(e, "dummy") && modem_up(e, "at1");
}

/* First process whose parent is ppid, or -1. */
static pid_t child_of(pid_t ppid)
{
    DIR *d = opendir("/proc");
    pid_t found = -1;
    struct dirent *de;
    if (d == NULL)
        return -1;
    while (found < 0 && (de = readdir(d))) {
        pid_t pid = (pid_t)atoi(de->d_name);
        if (pid > 0 && bench_ppid(pid) == ppid)
            found = pid;
    }
    closedir(d);
    return found;
}

#define MAX_CMDSTATS 64

struct cmdstat {
    char name[48];
    long long calls;
};

/* INFO commandstats into out; returns how many. */
static int command_stats(struct kt_env *e, struct cmdstat *out, int max)
{
    redisReply *r = kt_redis(e, "INFO commandstats");
    int n = 0;
    if (r && r->type == REDIS_REPLY_STRING) {
        for (const char *p = strstr(r->str, "cmdstat_"); p && n < max;
             p = strstr(p + 1, "cmdstat_")) {
            const char *colon = strchr(p, ':'), *calls = strstr(p, "calls=");
            if (colon == NULL || calls == NULL || (size_t)(colon - p - 8) >= sizeof(out->name))
                break;
            snprintf(out[n].name, sizeof(out[n].name), "%.*s", (int)(colon - p - 8), p + 8);
            out[n].calls = atoll(calls + 6);
            n++;
        }
    }
    freeReplyObject(r);
    return n;
}

static long long calls_of(const struct cmdstat *s, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            return s[i].calls;
    return 0;
}

struct proc {
    const char *label;
    pid_t pid;
    long long t0, t1;
    double pct;
    long rss;
};

int main(void)
{
    double seconds = (double)bench_env_long("BENCH_IDLE_SECONDS", 20);
    char simdir[400], atsim[400], device[1024], modems[2048], mb[32], mb2[32];
    long hz = sysconf(_SC_CLK_TCK);

    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_guard(BENCH_TIME_BOUND + (unsigned)seconds);
    if (kt_env_init(&env) != 0 || kt_env_init(&base_env) != 0) {
        fprintf(stderr, "bench_idle: cannot create a temp dir\n");
        return 1;
    }
    bench_track(&env);
    bench_track(&base_env);
    printf("== idle cost: gateway + dummy modem + AT-simulator modem, %.0f s without traffic\n",
           seconds);
    printf("tmpdir: %s (gateway), %s (baseline redis)\n", env.dir, base_env.dir);

    snprintf(simdir, sizeof(simdir), "%s/sim1", env.dir);
    snprintf(atsim, sizeof(atsim), "%s/atsim", env.build);
    if (access(atsim, X_OK) != 0 || atsim_init_dir(simdir) != 0 ||
        atsim_device(atsim, simdir, device, sizeof(device)) != 0) {
        fprintf(stderr, "bench_idle: AT simulator not usable: %s\n", atsim);
        return 1;
    }
    if (kt_redis_start(&env) != 0 || kt_redis_start(&base_env) != 0) {
        fprintf(stderr, "bench_idle: redis-server did not start\n");
        return 1;
    }
    int port = kt_free_port();
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\n\n"
             "[modem:at1]\nmodel = at\nconnection = proxyat\ndevice = %s\n",
             env.modem_dir, device);
    FILE *cf = fopen(env.config, "w");
    if (cf == NULL)
        return 1;
    fprintf(cf,
            "[gateway]\nredis = unix:%s\nhttp = 127.0.0.1:%d\nloglevel = info\nname = bench\n\n%s",
            env.sock, port, modems);
    fclose(cf);
    printf("redis:    $ redis-server --port 0 --unixsocket %s ... (gateway's; AOF everysec)\n"
           "baseline: $ redis-server --port 0 --unixsocket %s ... (idle; no client after its "
           "start-up PING)\n",
           env.sock, base_env.sock);
    printf("gateway:  $ %s/kentongan -c %s\n"
           "          (loglevel = info, http = 127.0.0.1:%d, [modem:dummy] and [modem:at1] with "
           "default poll_seconds etc.;\n"
           "           at1: connection = proxyat, device = %s)\n",
           env.build, env.config, port, device);

    double t = bench_now();
    if (kt_gateway_start(&env) != 0)
        return 1;
    if (!kt_wait(&env, UP_BOUND, both_up, NULL)) {
        fprintf(stderr, "bench_idle: modems not up within %.0f s (dummy %d, at1 %d)\n", UP_BOUND,
                modem_up(&env, "dummy"), modem_up(&env, "at1"));
        kt_dump_log(&env);
        return 1;
    }
    printf("both modems up %.1f s after start (HGET kt:modem:dummy state, HGET kt:modem:at1 "
           "state); settling %.0f s\n",
           bench_now() - t, SETTLE_SECONDS);
    bench_sleep(SETTLE_SECONDS);

    pid_t wd = kt_worker_pid(&env, "dummy"), wa = kt_worker_pid(&env, "at1");
    pid_t sim = wa > 0 ? child_of(wa) : -1;
    struct proc procs[] = {
        {"gateway", env.gateway_pid},
        {"worker dummy", wd},
        {"worker at1", wa},
        {"atsim (modem stand-in)", sim},
        {"redis-server (gateway's)", env.redis_pid},
        {"redis-server idle (baseline)", base_env.redis_pid},
    };
    int np = (int)(sizeof(procs) / sizeof(procs[0]));
    static struct cmdstat cs0[MAX_CMDSTATS], cs1[MAX_CMDSTATS];
    int ncs0 = command_stats(&env, cs0, MAX_CMDSTATS);
    double t0 = bench_now();
    for (int i = 0; i < np; i++)
        procs[i].t0 = procs[i].pid > 0 ? bench_cpu_ticks(procs[i].pid) : -1;
    bench_sleep(seconds);
    for (int i = 0; i < np; i++)
        procs[i].t1 = procs[i].pid > 0 ? bench_cpu_ticks(procs[i].pid) : -1;
    double t1 = bench_now();
    int ncs1 = command_stats(&env, cs1, MAX_CMDSTATS);
    /* Our own INFO calls are left out. */
    double cmd_rate = 0;
    for (int i = 0; i < ncs1; i++)
        if (strcmp(cs1[i].name, "info") != 0)
            cmd_rate += (double)(cs1[i].calls - calls_of(cs0, ncs0, cs1[i].name)) / (t1 - t0);
    for (int i = 0; i < np; i++) {
        procs[i].pct = procs[i].t0 >= 0 && procs[i].t1 >= 0
                           ? 100.0 * (double)(procs[i].t1 - procs[i].t0) / (double)hz / (t1 - t0)
                           : -1;
        procs[i].rss = procs[i].pid > 0 ? bench_rss_kb(procs[i].pid) : -1;
    }
    int restarted = kt_worker_pid(&env, "dummy") != wd || kt_worker_pid(&env, "at1") != wa;

    printf("\nmeasured over %.1f s: CPU = delta(utime+stime) of /proc/PID/stat / %ld Hz / wall; "
           "RSS = VmRSS of /proc/PID/status at the end\n",
           t1 - t0, hz);
    printf("  %-30s %7s %9s %10s\n", "process", "pid", "CPU %core", "RSS");
    for (int i = 0; i < np; i++)
        printf("  %-30s %7d %9.2f %10s\n", procs[i].label, (int)procs[i].pid, procs[i].pct,
               bench_mb(procs[i].rss, mb, sizeof(mb)));
    double total = procs[0].pct + procs[1].pct + procs[2].pct;
    struct proc *base = &procs[5];
    printf("  gateway + workers: %.2f %% of a core (target < %.0f %%); baseline idle redis %.2f "
           "%%\n",
           total, TARGET_CPU_PCT, base->pct);
    printf("  Redis commands the idle gateway and workers issue: %.1f /s (INFO commandstats before "
           "and after, gateway's redis)\n",
           cmd_rate);
    printf("    by command (INFO commandstats, calls/s):");
    for (int i = 0; i < ncs1; i++) {
        double per = (double)(cs1[i].calls - calls_of(cs0, ncs0, cs1[i].name)) / (t1 - t0);
        if (per >= 0.05 && strcmp(cs1[i].name, "info") != 0)
            printf(" %s %.1f", cs1[i].name, per);
    }
    printf("\n");
    if (restarted)
        printf("  WARNING: a worker was restarted during the window\n");
    printf("  targets: CPU %s; gateway RSS < %d MB %s; workers < %d MB each %s\n",
           total < TARGET_CPU_PCT ? "met" : "MISSED", TARGET_GW_MB,
           procs[0].rss >= 0 && procs[0].rss < TARGET_GW_MB * 1024 ? "met" : "MISSED",
           TARGET_WORKER_MB,
           procs[1].rss >= 0 && procs[1].rss < TARGET_WORKER_MB * 1024 && procs[2].rss >= 0 &&
                   procs[2].rss < TARGET_WORKER_MB * 1024
               ? "met"
               : "MISSED");

    double cpu_ratio = base->pct > 0 ? total / base->pct : -1;
    char ratio[32];
    if (cpu_ratio > 0)
        snprintf(ratio, sizeof(ratio), "%.1f ×", cpu_ratio);
    else
        snprintf(ratio, sizeof(ratio), "— (baseline 0)");
    bench_row("| idle CPU, gateway + 2 workers (%.0f s) | %.2f %% of a core | idle redis-server "
              "%.2f %% | %s | < 2 %% | %s |",
              seconds, total, base->pct, ratio, total < TARGET_CPU_PCT ? "met" : "**missed**");
    bench_row("| idle CPU: gateway / dummy / at1 worker | %.2f / %.2f / %.2f %% | (atsim %.2f %%, "
              "gateway's redis %.2f %% at %.0f cmd/s) | — | — | — |",
              procs[0].pct, procs[1].pct, procs[2].pct, procs[3].pct, procs[4].pct, cmd_rate);
    bench_row("| idle RSS, gateway | %s | idle redis-server %s | %.2f × | < 30 MB | %s |",
              bench_mb(procs[0].rss, mb, sizeof(mb)), bench_mb(base->rss, mb2, sizeof(mb2)),
              base->rss > 0 ? (double)procs[0].rss / (double)base->rss : -1,
              procs[0].rss >= 0 && procs[0].rss < TARGET_GW_MB * 1024 ? "met" : "**missed**");
    for (int i = 1; i <= 2; i++)
        bench_row(
            "| idle RSS, %s | %s | idle redis-server %s | %.2f × | < 15 MB | %s |", procs[i].label,
            bench_mb(procs[i].rss, mb, sizeof(mb)), bench_mb(base->rss, mb2, sizeof(mb2)),
            base->rss > 0 ? (double)procs[i].rss / (double)base->rss : -1,
            procs[i].rss >= 0 && procs[i].rss < TARGET_WORKER_MB * 1024 ? "met" : "**missed**");
    int st = kt_gateway_stop(&env, SIGTERM);
    printf("gateway stopped with SIGTERM: exit %d\n", st);
    return restarted ? 1 : 0;
}
