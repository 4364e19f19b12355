/* bench_latency — reply latency end to end on the AT modem simulator: from the moment the
 * simulator writes +CMTI for an incoming "INFO" to the moment it accepts the reply's AT+CMGS,
 * for four systems, each on its own simulator (tests/atsim, libgammu's proxyat connection):
 *
 *   bare        the baseline: a minimal libgammu client, this program run as
 *               `bench_latency --bare-client GAMMURC READYFILE`: +CMTI callback
 * (GSM_SetIncomingSMS), GSM_GetSMS of the announced location, GSM_SendSMS of a fixed reply (the
 * text kentongan answers INFO with, so the PDUs are alike; the SMSC read once), wait for the +CMGS
 * answer, GSM_DeleteSMS. No storage, no queue: the least any libgammu gateway can do. kentongan
 * build/kentongan with one AT modem (receive settings at their defaults: poll_seconds unset, +CMTI
 * drives receive) and its private redis-server (harness; appendfsync everysec). Sending caps are
 * raised so that they never hold a reply. gammu-smsd  the Debian package's daemon, files backend,
 * RunOnReceive = a shell script that answers INFO with `gammu-smsd-inject TEXT <SMS_1_NUMBER> -text
 * ...`, no timing option set (CommTimeout 30 s, ReceiveFrequency 15 s, LoopSleep 1 s, ...).
 *   smsd-tuned  the same with ReceiveFrequency = 1 and CommTimeout = 1 (what an administrator
 *               can do without busy-looping: LoopSleep stays 1).
 *
 * Measurement. The simulator stamps both ends with the wall clock (tests/atsim/atsim.c:
 * DIR/cmti.log t= just before it writes +CMTI; DIR/sent.log t= when it accepts the PDU, before
 * the +CMGS answer, and cmgs_t= when the AT+CMGS command came), so neither polling here nor the
 * bench's own scheduling is in the figures. libgammu 1.42 pauses about 0.6 s between the
 * modem's "> " prompt and the end of the PDU (ATGEN_SendSMS), the same for every libgammu
 * program: the time to the AT+CMGS command is therefore printed too, the part a gateway decides.
 * Messages go one at a time, each from a number of its own, after a random gap (so that no
 * system's periodic work is always met at the same phase). The time from atsim_deliver's rename
 * to +CMTI (the simulator's pickup) is printed, not counted.
 *
 * Order: bare and kentongan run side by side, alternating message by message (one message in
 * flight overall), BENCH_LATENCY_WARMUP messages each first, not counted; so both see the same
 * machine. Then the same two again on a slow profile: both simulators wait
 * BENCH_LATENCY_SLOW_MS (100) before every answer (atsim's slow fault), as real modems take
 * 50-300 ms per AT command, so every exchange a gateway makes before its reply shows;
 * BENCH_LATENCY_SLOW_N (30) messages each, after the same warm-up. Then both gammu-smsd
 * configurations run side by side (their figures are seconds; the other's rare activity cannot move
 * them). gammu-smsd reads a message on +CMTI at once, but its reply waits in the outbox for the
 * next outbox scan, every CommTimeout once a scan found nothing, a cycle that restarts with each
 * send: the gap before each of its messages is random over a whole cycle (0-30 s; tuned 0-2 s), so
 * each meets the cycle at any phase as a resident's message would (one after a reply at once would
 * always wait the whole cycle). Each gammu-smsd message is bounded by BENCH_LATENCY_SMSD_BOUND
 * seconds and the phase by BENCH_LATENCY_SMSD_SECONDS; what did not fit is said.
 *
 * Percentiles: nearest rank over the measured messages (with fewer than 100, p99 is the
 * largest). Ratios: kentongan p50 / bare p50 and p99 / bare p99 (target <= 1.05), gammu-smsd p50
 * / kentongan p50 (target >= 30). Plot: each system's latencies by percentile, log scale, with
 * gnuplot (tests/bench/plot_latency.gp) into $BENCH_PLOT_DIR (default $KT_BUILD/bench-plots) as
 * latency.png, its data beside it (latency.dat, latency-cmgs.dat).
 *
 * Knobs (env): BENCH_LATENCY_N (60, per system, bare and kentongan), BENCH_LATENCY_WARMUP (5),
 * BENCH_LATENCY_SMSD_N (10), BENCH_LATENCY_SMSD_TUNED_N (30), BENCH_LATENCY_SMSD_BOUND (120),
 * BENCH_LATENCY_SMSD_SECONDS (380), BENCH_LATENCY_SMSD (1; 0 skips gammu-smsd),
 * BENCH_LATENCY_SLOW_MS (100; 0 skips the slow profile), BENCH_LATENCY_SLOW_N (30),
 * BENCH_PLOT_DIR. About 10 minutes with the defaults, 6 of them gammu-smsd's. */
#include "handlers/keyword.h"
#include "tests/bench/bench.h"
#include "tests/lib/atsim_ctl.h"

#include <gammu.h>
#include <math.h>
#include <sys/stat.h>

#define BENCH_TIME_BOUND 890 /* seconds for the whole program */
#define MAX_MSGS         1000
#define START_BOUND      60.0 /* seconds for a system to come up */
#define FAST_BOUND       20.0 /* seconds for one bare/kentongan reply */
#define FAST_GAP_MIN     0.02 /* random gap before each bare/kentongan message, seconds */
#define FAST_GAP_MAX     0.12
/* After a gammu-smsd reply, a random gap as long as its outbox cycle (CommTimeout, which
 * restarts with each send), so that messages meet the cycle at any phase, as residents do. */
#define SMSD_CYCLE  30.0
#define TUNED_CYCLE 2.0
#define TARGET_BARE 1.05
#define TARGET_SMSD 30.0

enum { S_BARE, S_KT, S_BARE_SLOW, S_KT_SLOW, S_SMSD, S_SMSD_TUNED, NSYS };

struct sys {
    const char *name;  /* short, for rows and the plot */
    const char *label; /* what it is */
    char simdir[400];
    int target, warmup; /* messages to measure, and to send before */
    double bound;       /* seconds one reply may take */
    double gap_min, gap_max;
    pid_t pid; /* process that must stay alive (-1: none) */
    /* progress */
    int delivered, measured, timeouts, wrong_text, active;
    int inflight;
    char from[32];
    double t_deliver; /* atsim_now_ms() before the rename */
    double due;       /* bench_now() when the next message may go */
    off_t sent_size;
    /* results, ms */
    double lat[MAX_MSGS], cmd[MAX_MSGS], pickup[MAX_MSGS];
    char first_text[200];
};

static struct kt_env env;
static struct sys sys[NSYS];
static char info[INFO_SMS_MAX * 2 + 1];

/* ---- the bare libgammu client (a mode of this program) ------------------------------------ */

static volatile sig_atomic_t bare_stop;
static struct {
    int folder, location;
} bare_q[64];
static int bare_nq, bare_status, bare_ref;

static void bare_on_signal(int sig)
{
    bare_stop = 1;
}

static void bare_on_sms(GSM_StateMachine *sm, GSM_SMSMessage *sms, void *user)
{
    if (bare_nq < 64) {
        bare_q[bare_nq].folder = sms->Folder;
        bare_q[bare_nq].location = sms->Location;
        bare_nq++;
    }
}

static void bare_on_status(GSM_StateMachine *sm, int status, int ref, void *user)
{
    bare_status = status == 0 ? 0 : 1;
    bare_ref = ref;
}

/* Answers every incoming message with `info` until a signal or the connection ends. */
static int bare_client(const char *gammurc, const char *ready)
{
    signal(SIGTERM, bare_on_signal);
    signal(SIGINT, bare_on_signal);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    INI_Section *ini = NULL;
    GSM_StateMachine *sm = GSM_AllocStateMachine();
    if (sm == NULL || INI_ReadFile(gammurc, FALSE, &ini) != ERR_NONE ||
        GSM_ReadConfig(ini, GSM_GetConfig(sm, 0), 0) != ERR_NONE) {
        fprintf(stderr, "bare: cannot read %s\n", gammurc);
        return 1;
    }
    INI_Free(ini);
    GSM_SetConfigNum(sm, 1);
    GSM_Error err = GSM_InitConnection(sm, 1);
    if (err != ERR_NONE) {
        fprintf(stderr, "bare: connect: %s\n", GSM_ErrorString(err));
        return 1;
    }
    GSM_SetIncomingSMSCallback(sm, bare_on_sms, NULL);
    GSM_SetSendSMSStatusCallback(sm, bare_on_status, NULL);
    if ((err = GSM_SetIncomingSMS(sm, TRUE)) != ERR_NONE) {
        fprintf(stderr, "bare: +CMTI: %s\n", GSM_ErrorString(err));
        return 1;
    }
    /* The reply, prepared once: the SIM's SMSC read now, not per message. */
    GSM_SMSMessage reply;
    GSM_SetDefaultSMSData(&reply);
    GSM_SMSC smsc;
    memset(&smsc, 0, sizeof(smsc));
    smsc.Location = 1;
    if (GSM_GetSMSC(sm, &smsc) == ERR_NONE) {
        reply.SMSC.Location = 0;
        memcpy(reply.SMSC.Number, smsc.Number, sizeof(reply.SMSC.Number));
    }
    char text[INFO_SMS_MAX * 2 + 1];
    if (info_text(text, sizeof(text)) < 0)
        snprintf(text, sizeof(text), "Layanan SMS Pemkab Batang.");
    DecodeUTF8(reply.Text, text, strlen(text));
    reply.Length = (int)UnicodeLength(reply.Text);
    reply.PDU = SMS_Submit;
    reply.Coding = SMS_Coding_Default_No_Compression;
    reply.Class = -1;
    reply.UDH.Type = UDH_NoUDH;
    int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0)
        close(fd);
    int answered = 0;
    while (!bare_stop && GSM_IsConnected(sm)) {
        if (bare_nq == 0)
            GSM_ReadDevice(sm, TRUE); /* until a line comes, or the second changes */
        while (bare_nq > 0 && !bare_stop) {
            GSM_MultiSMSMessage in;
            memset(&in, 0, sizeof(in));
            in.Number = 1;
            in.SMS[0].Folder = bare_q[0].folder;
            in.SMS[0].Location = bare_q[0].location;
            memmove(bare_q, bare_q + 1, sizeof(bare_q[0]) * (size_t)--bare_nq);
            if ((err = GSM_GetSMS(sm, &in)) != ERR_NONE) {
                fprintf(stderr, "bare: read: %s\n", GSM_ErrorString(err));
                continue;
            }
            memcpy(reply.Number, in.SMS[0].Number, sizeof(reply.Number));
            bare_status = -1;
            if ((err = GSM_SendSMS(sm, &reply)) != ERR_NONE)
                fprintf(stderr, "bare: send: %s\n", GSM_ErrorString(err));
            for (double end = bench_now() + 10;
                 err == ERR_NONE && bare_status < 0 && bench_now() < end && !bare_stop;)
                GSM_ReadDevice(sm, TRUE); /* the +CMGS answer */
            if ((err = GSM_DeleteSMS(sm, &in.SMS[0])) != ERR_NONE)
                fprintf(stderr, "bare: delete: %s\n", GSM_ErrorString(err));
            answered++;
        }
    }
    GSM_TerminateConnection(sm);
    GSM_FreeStateMachine(sm);
    fprintf(stderr, "bare: answered %d\n", answered);
    return 0;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static int file_exists(const char *p)
{
    return access(p, F_OK) == 0;
}

static int write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    if (fclose(f) != 0)
        return -1;
    return chmod(path, mode);
}

/* Single-quotes s for sh. */
static void sh_quote(const char *s, char *out, size_t len)
{
    size_t o = 0;
    out[o++] = '\'';
    for (; *s && o + 6 < len; s++) {
        if (*s == '\'') {
            memcpy(out + o, "'\\''", 4);
            o += 4;
        } else
            out[o++] = *s;
    }
    out[o++] = '\'';
    out[o] = '\0';
}

static pid_t spawn_logged(char *const argv[], const char *log)
{
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
        execvp(argv[0], argv);
        _exit(127);
    }
    bench_track_pid(pid);
    return pid;
}

/* SIGTERM (gammu-smsd then frees its shared memory segment), SIGKILL after 5 s. */
static void stop_gently(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            bench_stop_pid(pid); /* forget it (already reaped: kill fails harmlessly) */
            return;
        }
        bench_sleep(0.05);
    }
    bench_stop_pid(pid);
}

static int alive(pid_t pid)
{
    return pid <= 0 || waitpid(pid, NULL, WNOHANG) == 0;
}

static double rnd(double lo, double hi)
{
    return lo + (hi - lo) * ((double)random() / (double)RAND_MAX);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n-1]. */
static double pct(const double *v, int n, double q)
{
    if (n <= 0)
        return NAN;
    int k = (int)ceil(q / 100.0 * n);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

static const char *digits(const char *num)
{
    return num[0] == '+' ? num + 1 : num;
}

/* ---- driving messages -------------------------------------------------------------------- */

static void deliver(struct sys *s, int idx)
{
    snprintf(s->from, sizeof(s->from), "+6281%d%02d%05d", 3 + idx, s->delivered / 100000,
             s->delivered % 100000);
    s->t_deliver = atsim_now_ms();
    if (atsim_deliver(s->simdir, s->from, "INFO", NULL, NULL) != 0) {
        fprintf(stderr, "bench_latency: atsim_deliver(%s): %s\n", s->simdir, strerror(errno));
        s->active = 0;
        return;
    }
    s->delivered++;
    s->inflight = 1;
}

/* Looks for the reply to s->from; 1 when recorded, 0 not yet. */
static int check_reply(struct sys *s)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/sent.log", s->simdir);
    if (stat(p, &st) != 0 || st.st_size == s->sent_size)
        return 0;
    static struct atsim_sent sent[MAX_MSGS + 64];
    static struct atsim_cmti cmti[MAX_MSGS + 64];
    int ns = atsim_read_sent(s->simdir, sent, MAX_MSGS + 64);
    int nc = atsim_read_cmti(s->simdir, cmti, MAX_MSGS + 64);
    const struct atsim_sent *reply = NULL;
    const struct atsim_cmti *in = NULL;
    for (int i = 0; i < ns && i < MAX_MSGS + 64 && !reply; i++)
        if (strcmp(digits(sent[i].to), digits(s->from)) == 0)
            reply = &sent[i];
    for (int i = 0; i < nc && i < MAX_MSGS + 64 && !in; i++)
        if (strcmp(digits(cmti[i].from), digits(s->from)) == 0)
            in = &cmti[i];
    if (reply == NULL)
        return 0; /* sent.log grew with something else; look again when it grows */
    s->sent_size = st.st_size;
    s->inflight = 0;
    int warm = s->delivered <= s->warmup;
    if (in == NULL || reply->t < 0) {
        fprintf(stderr, "bench_latency: %s: no timestamps for %s (atsim too old?)\n", s->name,
                s->from);
        s->active = 0;
        return 1;
    }
    if (!s->first_text[0])
        snprintf(s->first_text, sizeof(s->first_text), "%.199s", reply->text);
    if (strcmp(reply->text, info) != 0)
        s->wrong_text++;
    double lat = reply->t - in->t, pick = in->t - s->t_deliver;
    double cmd = reply->cmgs_t >= 0 ? reply->cmgs_t - in->t : NAN;
    if (warm) {
        printf("  %-12s warm-up %d: %.1f ms\n", s->name, s->delivered, lat);
    } else if (s->measured < MAX_MSGS) {
        s->lat[s->measured] = lat;
        s->cmd[s->measured] = cmd;
        s->pickup[s->measured] = pick;
        s->measured++;
        if (s->bound > FAST_BOUND || s->measured % 10 == 0 || s->measured == s->target)
            printf("  %-12s %3d/%d: %.1f ms (AT+CMGS command after %.1f ms; pickup %.2f ms)\n",
                   s->name, s->measured, s->target, lat, cmd, pick);
    }
    if (s->measured >= s->target)
        s->active = 0;
    return 1;
}

/* Runs the active systems until each has measured its target. exclusive: one message in flight
 * overall, the systems taking turns; otherwise each runs on its own. budget: seconds. */
static void drive(int *idx, int n, int exclusive, double poll, double budget)
{
    double start = bench_now();
    int turn = 0;
    for (;;) {
        int any = 0, busy = 0;
        for (int k = 0; k < n; k++) {
            struct sys *s = &sys[idx[k]];
            any |= s->active;
            busy |= s->inflight;
        }
        if (!any)
            return;
        double now = bench_now();
        if (now - start > budget) {
            for (int k = 0; k < n; k++)
                if (sys[idx[k]].active) {
                    printf("  %s: phase budget of %.0f s spent, %d of %d measured\n",
                           sys[idx[k]].name, budget, sys[idx[k]].measured, sys[idx[k]].target);
                    sys[idx[k]].active = 0;
                }
            return;
        }
        for (int k = 0; k < n; k++) {
            struct sys *s = &sys[idx[k]];
            if (!s->active)
                continue;
            if (!alive(s->pid)) {
                printf("  %s: its process exited; stopping it\n", s->name);
                s->active = 0;
                s->inflight = 0;
                continue;
            }
            if (s->inflight) {
                if (check_reply(s)) {
                    s->due = bench_now() + rnd(s->gap_min, s->gap_max);
                    if (exclusive)
                        turn = (k + 1) % n;
                } else if (atsim_now_ms() - s->t_deliver > s->bound * 1000) {
                    printf("  %-12s no reply to %s within %.0f s\n", s->name, s->from, s->bound);
                    s->inflight = 0;
                    if (s->delivered > s->warmup)
                        s->timeouts++;
                    if (s->timeouts >= 3) {
                        printf("  %s: 3 messages unanswered; stopping it\n", s->name);
                        s->active = 0;
                    }
                    s->due = bench_now();
                    if (exclusive)
                        turn = (k + 1) % n;
                }
            } else if (now >= s->due && (!exclusive || (!busy && k == turn))) {
                deliver(s, idx[k]);
                busy = 1;
            }
        }
        if (exclusive && !sys[idx[turn]].active)
            turn = (turn + 1) % n;
        bench_sleep(poll);
    }
}

/* ---- starting the systems ---------------------------------------------------------------- */

static int start_bare(struct sys *s, const char *device)
{
    char rc[512], ready[512], log[512], self[512];
    snprintf(rc, sizeof(rc), "%s/gammurc", s->simdir);
    snprintf(ready, sizeof(ready), "%s/bare.ready", s->simdir);
    snprintf(log, sizeof(log), "%s/bare.log", s->simdir);
    char text[1200];
    snprintf(text, sizeof(text), "[gammu]\nmodel = at\nconnection = proxyat\ndevice = %s\n",
             device);
    ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (k <= 0 || write_text(rc, text, 0644) != 0)
        return -1;
    self[k] = '\0';
    char *argv[] = {self, "--bare-client", rc, ready, NULL};
    char shown[BENCH_CMD_MAX];
    printf("bare:      $ %s\n", bench_argv_str(argv, shown, sizeof(shown)));
    s->pid = spawn_logged(argv, log);
    for (double end = bench_now() + START_BOUND; bench_now() < end; bench_sleep(0.05)) {
        if (file_exists(ready))
            return 0;
        if (!alive(s->pid))
            break;
    }
    fprintf(stderr, "bench_latency: the bare client did not come up (%s)\n", log);
    return -1;
}

static int modem_up(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:at1 state");
    int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
    freeReplyObject(r);
    return up;
}

static int start_kentongan(struct sys *s, const char *device)
{
    if (kt_redis_start(&env) != 0) {
        fprintf(stderr, "bench_latency: redis-server did not start\n");
        return -1;
    }
    FILE *cf = fopen(env.config, "w");
    if (cf == NULL)
        return -1;
    /* Receive as shipped (poll_seconds unset, +CMTI); caps high enough never to hold a reply. */
    fprintf(cf,
            "[gateway]\nredis = unix:%s\nhttp =\nloglevel = info\nname = bench\n\n"
            "[modem:at1]\nmodel = at\nconnection = proxyat\ndevice = %s\n"
            "per_minute = 600\nper_day = 100000\n",
            env.sock, device);
    if (fclose(cf) != 0)
        return -1;
    printf("kentongan: $ %s/kentongan -c %s   (redis: appendfsync everysec, harness)\n", env.build,
           env.config);
    if (kt_gateway_start(&env) != 0)
        return -1;
    if (!kt_wait(&env, START_BOUND, modem_up, NULL)) {
        fprintf(stderr, "bench_latency: modem at1 not up in %.0f s\n", START_BOUND);
        kt_dump_log(&env);
        return -1;
    }
    s->pid = env.gateway_pid;
    return 0;
}

static int start_smsd(struct sys *s, const char *device, int tuned)
{
    char conf[512], script[512], log[512], dir[440], text[4096], q[1024], qc[600];
    snprintf(dir, sizeof(dir), "%s/smsd", s->simdir);
    static const char *const subs[] = {"", "/inbox", "/outbox", "/sent", "/error"};
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        snprintf(text, sizeof(text), "%s%s", dir, subs[i]);
        if (mkdir(text, 0755) != 0 && errno != EEXIST)
            return -1;
    }
    snprintf(conf, sizeof(conf), "%s/smsdrc", dir);
    snprintf(script, sizeof(script), "%s/on-receive.sh", dir);
    snprintf(log, sizeof(log), "%s/smsd.log", dir);
    /* The keyword answer the way Kalkun/playSMS-style setups do it: a script per message. */
    sh_quote(info, q, sizeof(q));
    sh_quote(conf, qc, sizeof(qc));
    snprintf(text, sizeof(text),
             "#!/bin/sh\n# gammu-smsd RunOnReceive: answers INFO (any case) with the same text as "
             "kentongan.\ncase \"$SMS_1_TEXT\" in\n"
             "[Ii][Nn][Ff][Oo]*) exec gammu-smsd-inject -c %s TEXT \"$SMS_1_NUMBER\" -text %s ;;\n"
             "esac\n",
             qc, q);
    if (write_text(script, text, 0755) != 0)
        return -1;
    snprintf(text, sizeof(text),
             "[gammu]\nmodel = at\nconnection = proxyat\ndevice = %s\n\n"
             "[smsd]\nService = files\nInboxPath = %s/inbox/\nOutboxPath = %s/outbox/\n"
             "SentSMSPath = %s/sent/\nErrorSMSPath = %s/error/\nLogFile = %s\n"
             "RunOnReceive = %s\n%s",
             device, dir, dir, dir, dir, log, script,
             tuned ? "ReceiveFrequency = 1\nCommTimeout = 1\n" : "");
    if (write_text(conf, text, 0644) != 0)
        return -1;
    char *argv[] = {"gammu-smsd", "-c", conf, NULL};
    char shown[BENCH_CMD_MAX];
    printf("%-10s $ %s   (%s)\n",
           tuned ? "smsd-tuned:" : "smsd:", bench_argv_str(argv, shown, sizeof(shown)),
           tuned ? "ReceiveFrequency = 1, CommTimeout = 1, the rest default"
                 : "no timing option set: all defaults");
    s->pid = spawn_logged(argv, log);
    /* Up once it has asked the simulator about its message store (its first check). */
    char alog[512];
    snprintf(alog, sizeof(alog), "%s/atsim.log", s->simdir);
    for (double end = bench_now() + START_BOUND; bench_now() < end; bench_sleep(0.1)) {
        FILE *f = fopen(alog, "r");
        char line[1024];
        int seen = 0;
        while (f && !seen && fgets(line, sizeof(line), f))
            seen = strstr(line, "> AT+CPMS=\"SM\",\"SM\"") != NULL;
        if (f)
            fclose(f);
        if (seen)
            return 0;
        if (!alive(s->pid))
            break;
    }
    fprintf(stderr, "bench_latency: gammu-smsd did not come up (%s)\n", log);
    return -1;
}

/* ---- report ------------------------------------------------------------------------------ */

struct stats {
    int n;
    double p50, p90, p99, max;
};

static struct stats stats_of(const double *src, int n)
{
    struct stats st = {n, NAN, NAN, NAN, NAN};
    double v[MAX_MSGS];
    if (n <= 0)
        return st;
    memcpy(v, src, sizeof(double) * (size_t)n);
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    st.p50 = pct(v, n, 50);
    st.p90 = pct(v, n, 90);
    st.p99 = pct(v, n, 99);
    st.max = pct(v, n, 100);
    return st;
}

static const char *ms(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "n/a");
    else if (v >= 1000)
        snprintf(buf, len, "%.2f s", v / 1000);
    else if (v >= 10)
        snprintf(buf, len, "%.1f ms", v);
    else
        snprintf(buf, len, "%.2f ms", v);
    return buf;
}

/* One block per system: a title line, then "percentile ms" of its sorted values. */
static int write_blocks(const char *path, int what, const char *suffix)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "# bench_latency: from +CMTI written to %s, ms; one block per system,\n"
            "# percentile (nearest rank) and value of each measured message, sorted\n",
            what ? "the reply's AT+CMGS command" : "the reply's AT+CMGS accepted");
    int blocks = 0;
    for (int i = 0; i < NSYS; i++) {
        struct sys *s = &sys[i];
        if (s->measured == 0 || (what && i >= S_SMSD))
            continue;
        double v[MAX_MSGS];
        memcpy(v, what ? s->cmd : s->lat, sizeof(double) * (size_t)s->measured);
        qsort(v, (size_t)s->measured, sizeof(double), cmp_double);
        if (blocks++)
            fprintf(f, "\n\n");
        fprintf(f, "\"%s%s (n=%d)\"\n0 %.3f\n", s->label, suffix, s->measured, v[0]);
        for (int k = 0; k < s->measured; k++)
            fprintf(f, "%.2f %.3f\n", 100.0 * (k + 1) / s->measured, v[k]);
    }
    return fclose(f);
}

/* latency.dat, latency-cmgs.dat and latency.png in $BENCH_PLOT_DIR. */
static void plot(void)
{
    const char *dir = getenv("BENCH_PLOT_DIR");
    char d[512], dat[600], cdat[600], png[600], gp[600];
    if (dir && *dir)
        snprintf(d, sizeof(d), "%s", dir);
    else
        snprintf(d, sizeof(d), "%s/bench-plots", env.build);
    mkdir(d, 0755);
    snprintf(dat, sizeof(dat), "%s/latency.dat", d);
    snprintf(cdat, sizeof(cdat), "%s/latency-cmgs.dat", d);
    snprintf(png, sizeof(png), "%s/latency.png", d);
    const char *root = getenv("KT_ROOT");
    snprintf(gp, sizeof(gp), "%s/tests/bench/plot_latency.gp", root && *root ? root : ".");
    if (write_blocks(dat, 0, "") != 0 || write_blocks(cdat, 1, ": to the AT+CMGS command") != 0) {
        printf("plot: cannot write %s\n", dat);
        return;
    }
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf(
            "plot: gnuplot is missing (scripts/setup --bench installs gnuplot-nox); data in %s\n",
            dat);
        return;
    }
    char e[2000];
    snprintf(e, sizeof(e), "datafile='%s'; cmgsfile='%s'; outfile='%s'", dat, cdat, png);
    char *argv[] = {"gnuplot", "-e", e, gp, NULL};
    char out[4096];
    int rc = bench_capture(argv, 30, out, sizeof(out));
    printf("plot: $ gnuplot -e \"%s\" %s (%s)\n", e, gp, rc == 0 ? "ok" : "FAILED");
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--bare-client") == 0)
        return bare_client(argv[2], argv[3]);
    if (argc != 1) {
        fprintf(stderr, "usage: bench_latency | bench_latency --bare-client GAMMURC READYFILE\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_guard(BENCH_TIME_BOUND);
    srandom((unsigned)getpid());
    int n = (int)bench_env_long("BENCH_LATENCY_N", 60);
    int warm = (int)bench_env_long("BENCH_LATENCY_WARMUP", 5);
    int smsd_n = (int)bench_env_long("BENCH_LATENCY_SMSD_N", 10);
    int tuned_n = (int)bench_env_long("BENCH_LATENCY_SMSD_TUNED_N", 30);
    double smsd_bound = (double)bench_env_long("BENCH_LATENCY_SMSD_BOUND", 120);
    double smsd_budget = (double)bench_env_long("BENCH_LATENCY_SMSD_SECONDS", 380);
    int with_smsd = (int)bench_env_long("BENCH_LATENCY_SMSD", 1);
    long slow_ms = bench_env_long("BENCH_LATENCY_SLOW_MS", 100);
    int slow_n = (int)bench_env_long("BENCH_LATENCY_SLOW_N", 30);
    slow_n = slow_n < 1 ? 1 : slow_n > MAX_MSGS ? MAX_MSGS : slow_n;
    n = n < 1 ? 1 : n > MAX_MSGS ? MAX_MSGS : n;
    smsd_n = smsd_n > MAX_MSGS ? MAX_MSGS : smsd_n;
    tuned_n = tuned_n > MAX_MSGS ? MAX_MSGS : tuned_n;
    if (info_text(info, sizeof(info)) < 0)
        snprintf(info, sizeof(info), "Layanan SMS Pemkab Batang.");

    if (kt_env_init(&env) != 0) {
        fprintf(stderr, "bench_latency: cannot create a temp dir\n");
        return 1;
    }
    bench_track(&env);
    printf("== reply latency: +CMTI written -> reply's AT+CMGS accepted (both stamped by the "
           "simulator), \"INFO\" from a new number each time, one at a time\n");
    printf("tmpdir: %s\n", env.dir);
    static const char *const names[NSYS] = {"bare",    "kentongan",  "bare-slow",
                                            "kt-slow", "gammu-smsd", "smsd-tuned"};
    static char slow_labels[2][64];
    snprintf(slow_labels[0], sizeof(slow_labels[0]), "bare libgammu client, %ld ms/command",
             slow_ms);
    snprintf(slow_labels[1], sizeof(slow_labels[1]), "kentongan, %ld ms/command", slow_ms);
    const char *const labels[NSYS] = {
        "bare libgammu client", "kentongan",
        slow_labels[0],         slow_labels[1],
        "gammu-smsd, defaults", "gammu-smsd, ReceiveFrequency=1 CommTimeout=1"};
    char atsim[400];
    snprintf(atsim, sizeof(atsim), "%s/atsim", env.build);
    for (int i = 0; i < NSYS; i++) {
        struct sys *s = &sys[i];
        s->name = names[i];
        s->label = labels[i];
        s->pid = -1;
        /* the slow profile runs on the fast profile's simulators and processes */
        int on = i == S_BARE_SLOW ? S_BARE : i == S_KT_SLOW ? S_KT : i;
        snprintf(s->simdir, sizeof(s->simdir), "%s/sim-%s", env.dir, names[on]);
        if (atsim_init_dir(s->simdir) != 0) {
            fprintf(stderr, "bench_latency: %s: %s\n", s->simdir, strerror(errno));
            return 1;
        }
    }
    char device[NSYS][1024];
    for (int i = 0; i < NSYS; i++)
        if (atsim_device(atsim, sys[i].simdir, device[i], sizeof(device[i])) != 0)
            return 1;
    printf("simulator: [gammu] model = at, connection = proxyat, device = %s/atsim --state "
           "%s/sim-NAME (one each)\n",
           env.build, env.dir);
    printf("reply text (%zu chars, the INFO answer): %s\n", strlen(info), info);

    /* Phase 1: bare and kentongan, alternating. */
    printf("\n-- bare libgammu client and kentongan, alternating, %d warm-up + %d measured each, "
           "gap %.0f-%.0f ms\n",
           warm, n, FAST_GAP_MIN * 1000, FAST_GAP_MAX * 1000);
    if (start_bare(&sys[S_BARE], device[S_BARE]) != 0 ||
        start_kentongan(&sys[S_KT], device[S_KT]) != 0)
        return 1;
    for (int i = S_BARE; i <= S_KT; i++) {
        sys[i].target = n;
        sys[i].warmup = warm;
        sys[i].bound = FAST_BOUND;
        sys[i].gap_min = FAST_GAP_MIN;
        sys[i].gap_max = FAST_GAP_MAX;
        sys[i].active = 1;
        sys[i].due = bench_now();
    }
    int fast[] = {S_BARE, S_KT};
    double t1 = bench_now();
    drive(fast, 2, 1, 0.005, 60 + n * 2.0);
    printf("  (phase 1: %.1f s)\n", bench_now() - t1);

    /* Phase 1b: the same two, every answer of their simulators slowed down. */
    if (slow_ms > 0) {
        printf("\n-- slow profile: every simulator answer after %ld ms (atsim's slow fault), bare "
               "and kentongan alternating, %d warm-up + %d measured each\n",
               slow_ms, warm, slow_n);
        int slowed = 1;
        for (int i = S_BARE_SLOW; i <= S_KT_SLOW; i++) {
            struct sys *s = &sys[i];
            s->pid = sys[i == S_BARE_SLOW ? S_BARE : S_KT].pid;
            s->target = slow_n;
            s->warmup = warm;
            s->bound = FAST_BOUND + slow_ms * 0.05; /* ~50 exchanges at most */
            s->gap_min = FAST_GAP_MIN;
            s->gap_max = FAST_GAP_MAX;
            s->active = 1;
            s->due = bench_now();
            if (atsim_fault_value(s->simdir, "slow", slow_ms) != 0)
                slowed = 0;
        }
        int slowidx[] = {S_BARE_SLOW, S_KT_SLOW};
        double t1b = bench_now();
        if (slowed)
            drive(slowidx, 2, 1, 0.005, 60 + slow_n * (4.0 + slow_ms * 0.04));
        else
            printf("  cannot set the slow fault; skipped\n");
        printf("  (phase 1b: %.1f s)\n", bench_now() - t1b);
    }
    stop_gently(sys[S_BARE].pid);
    kt_gateway_stop(&env, SIGTERM);
    kt_redis_stop(&env);

    /* Phase 2: gammu-smsd with its defaults and tuned, side by side. */
    int have_smsd = system("command -v gammu-smsd >/dev/null 2>&1 && command -v "
                           "gammu-smsd-inject >/dev/null 2>&1") == 0;
    if (with_smsd && !have_smsd)
        printf("\n-- gammu-smsd skipped: not installed (scripts/setup --bench installs "
               "gammu-smsd)\n");
    if (with_smsd && have_smsd) {
        printf("\n-- gammu-smsd (files backend, RunOnReceive script + gammu-smsd-inject), defaults "
               "(%d messages, gap 0-%.0f s) and tuned (%d, gap 0-%.0f s), side by side; each reply "
               "bounded by %.0f s, the phase by %.0f s\n",
               smsd_n, SMSD_CYCLE, tuned_n, TUNED_CYCLE, smsd_bound, smsd_budget);
        int slow[2], ns = 0;
        for (int i = S_SMSD; i <= S_SMSD_TUNED; i++) {
            struct sys *s = &sys[i];
            if (start_smsd(s, device[i], i == S_SMSD_TUNED) != 0)
                continue;
            s->target = i == S_SMSD ? smsd_n : tuned_n;
            s->warmup = 0; /* the first message meets a random phase too: no warm-up needed */
            s->bound = smsd_bound;
            s->gap_min = 0;
            s->gap_max = i == S_SMSD ? SMSD_CYCLE : TUNED_CYCLE;
            s->due = bench_now() + rnd(0, s->gap_max);
            s->active = s->target > 0;
            slow[ns++] = i;
        }
        double t2 = bench_now();
        if (ns > 0)
            drive(slow, ns, 0, 0.05, smsd_budget);
        printf("  (phase 2: %.1f s)\n", bench_now() - t2);
        for (int i = S_SMSD; i <= S_SMSD_TUNED; i++)
            stop_gently(sys[i].pid);
    }

    /* Results. */
    struct stats st[NSYS], sc[NSYS], sp[NSYS];
    char a[32], b[32], c[32], d[32], e[32], f[32];
    printf("\n== reply latency, ms from +CMTI written (nearest-rank percentiles)\n");
    printf("  %-46s %4s %9s %9s %9s %9s\n", "system: to the reply's AT+CMGS accepted", "n", "p50",
           "p90", "p99", "max");
    for (int i = 0; i < NSYS; i++) {
        st[i] = stats_of(sys[i].lat, sys[i].measured);
        sc[i] = stats_of(sys[i].cmd, sys[i].measured);
        sp[i] = stats_of(sys[i].pickup, sys[i].measured);
        if (sys[i].target == 0)
            continue;
        printf("  %-46s %4d %9s %9s %9s %9s\n", sys[i].label, st[i].n, ms(st[i].p50, a, sizeof(a)),
               ms(st[i].p90, b, sizeof(b)), ms(st[i].p99, c, sizeof(c)),
               ms(st[i].max, d, sizeof(d)));
        if (sys[i].timeouts)
            printf("      %d message(s) unanswered within %.0f s (not in the figures)\n",
                   sys[i].timeouts, sys[i].bound);
        if (sys[i].wrong_text)
            printf("      %d repl%s differed from the INFO text; first: %s\n", sys[i].wrong_text,
                   sys[i].wrong_text == 1 ? "y" : "ies", sys[i].first_text);
    }
    printf("  %-46s\n", "the same, only to the AT+CMGS command (before libgammu types the PDU):");
    for (int i = S_BARE; i <= S_KT_SLOW; i++)
        printf("  %-46s %4d %9s %9s %9s %9s\n", sys[i].label, sc[i].n, ms(sc[i].p50, a, sizeof(a)),
               ms(sc[i].p90, b, sizeof(b)), ms(sc[i].p99, c, sizeof(c)),
               ms(sc[i].max, d, sizeof(d)));
    printf("  simulator pickup (atsim_deliver's rename -> +CMTI), p50: bare %s, kentongan %s "
           "(not counted)\n",
           ms(sp[S_BARE].p50, a, sizeof(a)), ms(sp[S_KT].p50, b, sizeof(b)));
    double r50 = st[S_KT].p50 / st[S_BARE].p50, r99 = st[S_KT].p99 / st[S_BARE].p99;
    double s50 = st[S_KT_SLOW].p50 / st[S_BARE_SLOW].p50;
    double s99 = st[S_KT_SLOW].p99 / st[S_BARE_SLOW].p99;
    double s90 = st[S_KT_SLOW].p90 / st[S_BARE_SLOW].p90;
    int met_slow = s50 <= TARGET_BARE && s99 <= TARGET_BARE;
    double c50 = sc[S_KT].p50 / sc[S_BARE].p50, c99 = sc[S_KT].p99 / sc[S_BARE].p99;
    double rs = st[S_SMSD].p50 / st[S_KT].p50, rt = st[S_SMSD_TUNED].p50 / st[S_KT].p50;
    int met_bare = r50 <= TARGET_BARE && r99 <= TARGET_BARE;
    int met_smsd = rs >= TARGET_SMSD;
    printf("  ratios: kentongan / bare: p50 %.3f, p99 %.3f (target <= %.2f: %s); kentongan adds "
           "%s at p50, %s at p99\n",
           r50, r99, TARGET_BARE, met_bare ? "met" : "MISSED",
           ms(st[S_KT].p50 - st[S_BARE].p50, a, sizeof(a)),
           ms(st[S_KT].p99 - st[S_BARE].p99, b, sizeof(b)));
    printf("          to the AT+CMGS command only: kentongan / bare p50 %.2f, p99 %.2f\n", c50,
           c99);
    if (st[S_KT_SLOW].n > 0)
        printf("          slow profile (%ld ms/command): kentongan / bare p50 %.3f, p90 %.3f, p99 "
               "%.3f (target <= %.2f: %s); kentongan adds %s at p50, %s at p99\n",
               slow_ms, s50, s90, s99, TARGET_BARE, met_slow ? "met" : "MISSED",
               ms(st[S_KT_SLOW].p50 - st[S_BARE_SLOW].p50, a, sizeof(a)),
               ms(st[S_KT_SLOW].p99 - st[S_BARE_SLOW].p99, b, sizeof(b)));
    printf("          gammu-smsd defaults / kentongan p50: %.0f (target >= %.0f: %s); tuned "
           "gammu-smsd / kentongan p50: %.2f\n",
           rs, TARGET_SMSD,
           isnan(rs)  ? "not measured"
           : met_smsd ? "met"
                      : "MISSED",
           rt);

    bench_row("| reply latency, bare libgammu client on the AT simulator (+CMTI → reply AT+CMGS "
              "accepted, %d msgs) | p50 %s, p90 %s, p99 %s, max %s | — | — | baseline | |",
              st[S_BARE].n, ms(st[S_BARE].p50, a, sizeof(a)), ms(st[S_BARE].p90, b, sizeof(b)),
              ms(st[S_BARE].p99, c, sizeof(c)), ms(st[S_BARE].max, d, sizeof(d)));
    bench_row(
        "| reply latency, kentongan (same simulator, alternating with bare, %d msgs) | p50 %s, "
        "p90 %s, p99 %s, max %s | bare p50 %s, p99 %s | p50 %.3f, p99 %.3f | ≤ 1.05 × bare "
        "| %s |",
        st[S_KT].n, ms(st[S_KT].p50, a, sizeof(a)), ms(st[S_KT].p90, b, sizeof(b)),
        ms(st[S_KT].p99, c, sizeof(c)), ms(st[S_KT].max, d, sizeof(d)),
        ms(st[S_BARE].p50, e, sizeof(e)), ms(st[S_BARE].p99, f, sizeof(f)), r50, r99,
        met_bare ? "met" : "**missed**");
    bench_row("| reply latency to the AT+CMGS command (before libgammu's PDU pause): kentongan | "
              "p50 %s, p99 %s | bare p50 %s, p99 %s | p50 %.2f, p99 %.2f | — | |",
              ms(sc[S_KT].p50, a, sizeof(a)), ms(sc[S_KT].p99, b, sizeof(b)),
              ms(sc[S_BARE].p50, c, sizeof(c)), ms(sc[S_BARE].p99, d, sizeof(d)), c50, c99);
    if (st[S_KT_SLOW].n > 0 && st[S_BARE_SLOW].n > 0) {
        bench_row("| reply latency, bare libgammu client, slow profile (atsim %ld ms before every "
                  "answer, %d msgs) | p50 %s, p90 %s, p99 %s, max %s | — | — | baseline | |",
                  slow_ms, st[S_BARE_SLOW].n, ms(st[S_BARE_SLOW].p50, a, sizeof(a)),
                  ms(st[S_BARE_SLOW].p90, b, sizeof(b)), ms(st[S_BARE_SLOW].p99, c, sizeof(c)),
                  ms(st[S_BARE_SLOW].max, d, sizeof(d)));
        bench_row("| reply latency, kentongan, slow profile (%ld ms/command, alternating with "
                  "bare, %d msgs) | p50 %s, p90 %s, p99 %s, max %s | bare p50 %s, p99 %s | p50 "
                  "%.3f, p90 %.3f, p99 %.3f | ≤ 1.05 × bare | %s |",
                  slow_ms, st[S_KT_SLOW].n, ms(st[S_KT_SLOW].p50, a, sizeof(a)),
                  ms(st[S_KT_SLOW].p90, b, sizeof(b)), ms(st[S_KT_SLOW].p99, c, sizeof(c)),
                  ms(st[S_KT_SLOW].max, d, sizeof(d)), ms(st[S_BARE_SLOW].p50, e, sizeof(e)),
                  ms(st[S_BARE_SLOW].p99, f, sizeof(f)), s50, s90, s99,
                  met_slow ? "met" : "**missed**");
    }
    if (st[S_SMSD].n > 0)
        bench_row(
            "| reply latency, gammu-smsd defaults + RunOnReceive/gammu-smsd-inject (%d msgs%s) "
            "| p50 %s, p90 %s, max %s | kentongan p50 %s | %.0f × kentongan | ≥ 30 × "
            "kentongan | %s |",
            st[S_SMSD].n, sys[S_SMSD].timeouts ? ", some unanswered" : "",
            ms(st[S_SMSD].p50, a, sizeof(a)), ms(st[S_SMSD].p90, b, sizeof(b)),
            ms(st[S_SMSD].max, c, sizeof(c)), ms(st[S_KT].p50, d, sizeof(d)), rs,
            met_smsd ? "met" : "**missed**");
    else if (with_smsd)
        bench_row("| reply latency, gammu-smsd | not measured (see the log) | | | ≥ 30 × kentongan "
                  "| |");
    if (st[S_SMSD_TUNED].n > 0)
        bench_row("| reply latency, gammu-smsd tuned (ReceiveFrequency = 1, CommTimeout = 1; %d "
                  "msgs) | p50 %s, p90 %s, max %s | kentongan p50 %s | %.2f × kentongan | "
                  "comparison | |",
                  st[S_SMSD_TUNED].n, ms(st[S_SMSD_TUNED].p50, a, sizeof(a)),
                  ms(st[S_SMSD_TUNED].p90, b, sizeof(b)), ms(st[S_SMSD_TUNED].max, c, sizeof(c)),
                  ms(st[S_KT].p50, d, sizeof(d)), rt);
    plot();
    return st[S_BARE].n > 0 && st[S_KT].n > 0 ? 0 : 1;
}
