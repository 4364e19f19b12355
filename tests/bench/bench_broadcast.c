/* bench_broadcast — how long a broadcast to M subscribers takes over N
 * modems at R messages per minute each, against the ideal M/(N·R), with all
 * modems healthy and with one of them dying half-way.
 *
 * The gateway drives N modems on libgammu's dummy driver (a send costs
 * nothing, so only kentongan's own pacing, caps, feeding and failover are
 * measured). Each SIM has per_minute = P; an ordinary broadcast may use
 * R = P - P/5 of it (a fifth is kept for replies), paced evenly. The ideal:
 * M/(N·R) minutes; when one modem dies once half the recipients are
 * reached, the ideal is M/2 at N modems then M/2 at N-1: M/(2NR) +
 * M/(2(N-1)R) (kentongan also needs failover_seconds to notice, which the
 * ratio includes). The modem "dies" by losing its device: its directory is
 * taken away and its worker killed, so it cannot come back.
 *
 * Knobs: BENCH_BC_M (600), BENCH_BC_N (3), BENCH_BC_PER_MINUTE (600).
 * With $BENCH_PLOT_DIR set, writes `progress <seconds> <sent>` samples and the
 * ideal curve (`ideal <seconds> <sent>`) to broadcast-healthy.dat and
 * broadcast-dying.dat there and draws each with tests/bench/plot_broadcast.gp
 * (gnuplot) next to it as a PNG.
 * Target: completion within 1.05 × ideal, in both runs. */
#include "tests/bench/bench.h"

#include <sys/stat.h>

#define MAX_MODEMS 8

static struct kt_env env;

static long long bc_field(const char *name)
{
    return kt_redis_int(&env, "HGET kt:bc:1 %s", name);
}

static int modems_up(struct kt_env *e, void *arg)
{
    int n = *(int *)arg;
    for (int i = 1; i <= n; i++) {
        redisReply *r = kt_redis(e, "HGET kt:modem:m%d state", i);
        int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
        freeReplyObject(r);
        if (!up)
            return 0;
    }
    return 1;
}

/* One run; returns the seconds from creation to done, or -1. */
static double run(int m, int n, int per_minute, int kill_one, const char *progress_path)
{
    char modems[4096] = "", dirs[MAX_MODEMS][400];
    if (kt_env_init(&env) != 0 || kt_redis_start(&env) != 0)
        return -1;
    bench_track(&env);
    printf("tmpdir: %s\n", env.dir);
    for (int i = 0; i < n; i++) {
        snprintf(dirs[i], sizeof(dirs[i]), "%s/modem%d", env.dir, i + 1);
        char cmd[17000];
        snprintf(cmd, sizeof(cmd), "mkdir -p %s/sms/1 %s/sms/2 %s/sms/3 %s/sms/4 %s/sms/5", dirs[i],
                 dirs[i], dirs[i], dirs[i], dirs[i]);
        if (system(cmd) != 0)
            return -1;
        size_t used = strlen(modems);
        snprintf(modems + used, sizeof(modems) - used,
                 "[modem:m%d]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 5\n"
                 "per_minute = %d\nper_day = 100000\nfailover_seconds = 2\nhang_seconds = 10\n",
                 i + 1, dirs[i], per_minute);
    }
    if (kt_write_config(&env, "quiet_hours =\nloglevel = info", modems) != 0 ||
        kt_gateway_start(&env) != 0 || !kt_wait_functions(&env, 30) == 0 ||
        !kt_wait(&env, 30, modems_up, &n)) {
        fprintf(stderr, "bench_broadcast: gateway did not come up\n");
        return -1;
    }
    for (int i = 0; i < m; i++) {
        char num[32];
        snprintf(num, sizeof(num), "6281278%06d", i);
        kt_subscribe(&env, num, "kec:33.25.03");
    }
    FILE *prog = progress_path ? fopen(progress_path, "w") : NULL;
    double t0 = bench_now();
    long long reached = 0;
    int ok =
        kt_bc_create(&env, "kt:subs:kec:33.25.03",
                     "Jadwal vaksinasi: Sabtu 08.00 di puskesmas. Balas BERHENTI utk berhenti.", 0,
                     &reached) > 0 &&
        reached == m;
    if (!ok)
        return -1;
    int killed = 0;
    double done = -1, last_print = 0;
    while (bench_now() - t0 < 600) {
        long long sent = bc_field("sent");
        double t = bench_now() - t0;
        if (prog)
            fprintf(prog, "progress %.2f %lld\n", t, sent);
        if (t - last_print >= 5) {
            printf("  %.0f s: %lld/%d sent\n", t, sent, m);
            fflush(stdout);
            last_print = t;
        }
        if (kill_one && !killed && sent >= m / 2) {
            /* modem m2 loses its device for good, and its worker dies */
            char cmd[1000];
            snprintf(cmd, sizeof(cmd), "mv %s %s.gone", dirs[1], dirs[1]);
            if (system(cmd) != 0)
                fprintf(stderr, "bench_broadcast: could not take m2's device away\n");
            pid_t w = kt_worker_pid(&env, "m2");
            if (w > 0)
                kill(w, SIGKILL);
            printf("  %.1f s: modem m2 died at %lld sent\n", t, sent);
            killed = 1;
        }
        redisReply *st = kt_redis(&env, "HGET kt:bc:1 status");
        int finished = st && st->type == REDIS_REPLY_STRING && strcmp(st->str, "done") == 0;
        freeReplyObject(st);
        if (finished) {
            done = bench_now() - t0;
            break;
        }
        bench_sleep(0.1);
    }
    if (prog)
        fclose(prog);
    printf("  sent %lld, failed %lld, expired %lld of %d\n", bc_field("sent"), bc_field("failed"),
           bc_field("expired"), m);
    kt_env_cleanup(&env);
    bench_nenvs = 0;
    return done;
}

/* Draws path.dat as path.png with tests/bench/plot_broadcast.gp, when gnuplot is there. */
static void plot(const char *path, const char *title)
{
    char png[640], cmd[2048];
    snprintf(png, sizeof(png), "%.*s.png", (int)(strlen(path) - 4), path);
    snprintf(cmd, sizeof(cmd),
             "command -v gnuplot >/dev/null && gnuplot -e \"datafile='%s'; outfile='%s'; "
             "plottitle='%s'\" tests/bench/plot_broadcast.gp",
             path, png, title);
    if (system(cmd) == 0)
        printf("plot: %s\n", png);
    else
        printf("plot: not drawn (gnuplot missing or failed): %s\n", png);
}

int main(void)
{
    int m = (int)bench_env_long("BENCH_BC_M", 600), n = (int)bench_env_long("BENCH_BC_N", 3);
    int p = (int)bench_env_long("BENCH_BC_PER_MINUTE", 600);
    if (n < 2 || n > MAX_MODEMS || m < 10 || p < 2) {
        fprintf(stderr, "bench_broadcast: need 2..%d modems, M >= 10, per minute >= 2\n",
                MAX_MODEMS);
        return 2;
    }
    bench_guard(900);
    int r = p - (p / 5 > 0 ? p / 5 : 1);
    double ideal = (double)m / (n * r) * 60;
    double ideal_dying = ((double)m / 2 / (n * r) + (double)m / 2 / ((n - 1) * r)) * 60;
    const char *dir = getenv("BENCH_PLOT_DIR");
    char healthy_path[600], dying_path[600];
    if (dir) {
        snprintf(healthy_path, sizeof(healthy_path), "%s/broadcast-healthy.dat", dir);
        snprintf(dying_path, sizeof(dying_path), "%s/broadcast-dying.dat", dir);
    }
    printf("bench_broadcast: M=%d recipients, N=%d dummy modems, per_minute=%d (broadcast share "
           "R=%d/min each)\n",
           m, n, p, r);
    printf("healthy run: ideal M/(N*R) = %.1f s\n", ideal);
    double healthy = run(m, n, p, 0, dir ? healthy_path : NULL);
    printf("one modem dies half-way: ideal M/(2NR) + M/(2(N-1)R) = %.1f s\n", ideal_dying);
    double dying = run(m, n, p, 1, dir ? dying_path : NULL);
    if (healthy < 0 || dying < 0) {
        fprintf(stderr, "bench_broadcast: a run did not finish\n");
        return 1;
    }
    if (dir) {
        FILE *f = fopen(healthy_path, "a");
        if (f) {
            fprintf(f, "ideal 0 0\nideal %.2f %d\n", ideal, m);
            fclose(f);
        }
        f = fopen(dying_path, "a");
        if (f) {
            fprintf(f, "ideal 0 0\nideal %.2f %d\nideal %.2f %d\n", (double)m / 2 / (n * r) * 60,
                    m / 2, ideal_dying, m);
            fclose(f);
        }
        plot(healthy_path, "Broadcast progress: all modems healthy");
        plot(dying_path, "Broadcast progress: one of the modems dies half-way");
    }
    printf("broadcast: healthy %.1f s = %.3f x ideal; one modem dying %.1f s = %.3f x ideal\n",
           healthy, healthy / ideal, dying, dying / ideal_dying);
    bench_row("| Broadcast to %d over %d modems at %d/min each (healthy) | %.1f s | ideal %.1f s | "
              "%.3f | ≤ 1.05 | %s |",
              m, n, r, healthy, ideal, healthy / ideal, healthy / ideal <= 1.05 ? "met" : "missed");
    bench_row("| Same, one modem dies half-way | %.1f s | ideal %.1f s | %.3f | ≤ 1.05 | %s |",
              dying, ideal_dying, dying / ideal_dying,
              dying / ideal_dying <= 1.05 ? "met" : "missed");
    return 0;
}
