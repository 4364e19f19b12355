/* soak — hours of mixed traffic through the real gateway, three simulated AT modems and a
 * private Redis, ending with a verdict: nothing lost, nothing answered twice, memory and
 * descriptors flat after warm-up.
 *
 *   make soak                        an hour (SOAK_SECONDS=3600)
 *   SOAK_SECONDS=86400 make soak     a day
 *
 * What runs: a private redis-server (AOF on, appendfsync everysec; tests/lib/harness.h), the
 * gateway built in $KT_BUILD with three modems [modem:at1..at3], each the AT simulator
 * (tests/atsim) behind libgammu's proxyat, and the USSD callback and admin API on loopback.
 * What this program does, on one thread, ticking every 100 ms:
 *   - inbound SMS at SOAK_RATE a second (INFO, LAPOR, CEK, DAFTAR, MENU) from a pool of
 *     SOAK_SENDERS numbers taken in turn, so that no number comes near the per-sender limits
 *     (sender_per_minute, sender_per_day): every message must be answered; plus a burst of
 *     SOAK_BURST messages every minute;
 *   - a malformed or special PDU (the kinds of tests/integration/test_quarantine.c) every
 *     SOAK_BAD_EVERY seconds: kept aside on kt:quarantine, never answered;
 *   - a USSD complaint (four screens, then the aggregator repeating the last) every
 *     SOAK_USSD_EVERY seconds, each from a number of its own;
 *   - a broadcast through POST /api/broadcasts to SOAK_SUBSCRIBERS subscribers every
 *     SOAK_BROADCAST_EVERY seconds;
 *   - a modem fault every SOAK_FAULT_EVERY seconds, held SOAK_FAULT_HOLD seconds, modems and
 *     faults in turn: hang, slow answers, +CMS ERROR 500 on two sends, noise lines, doubled
 *     +CMTI, the simulator process killed;
 *   - a Redis restart every SOAK_REDIS_EVERY seconds, alternately SIGTERM and SIGKILL, on the
 *     same socket and data directory;
 *   - every SOAK_SAMPLE seconds a sample: gateway RSS and descriptors, the workers' (summed),
 *     Redis used_memory.
 * Then the traffic stops, faults are cleared, and it waits (at most SOAK_DRAIN seconds) until
 * the SIMs are empty and every message is answered, and checks. The table, the data file
 * (soak.dat) and the plot (soak.png, tests/soak/plot_soak.gp) go to $KT_BUILD/soak/ with the
 * gateway's log. Exit status 0 when every check holds, 1 otherwise, 2 when it could not run.
 *
 * Flat after warm-up: the first third of the samples is warm-up; the mean of the last third
 * may exceed the mean of the second third by at most SOAK_TOLERANCE percent (default 10) for
 * RSS, and by at most SOAK_FD_SLACK descriptors (default 2). Redis keeps every message by
 * design (streams, tickets, dedupe keys for dedupe_ttl), so its memory is judged per message
 * handled between those two thirds: at most SOAK_REDIS_BYTES_PER_MSG (default 4096). */
#include "tests/bench/bench.h"
#include "tests/lib/atsim_ctl.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

#define MODEMS          3
#define POOL_MAX        200000          /* SOAK_SENDERS upper bound */
#define USSD_MAX        20000           /* USSD sessions recorded */
#define BC_MAX          2000            /* broadcasts recorded */
#define SAMPLES_MAX     20000           /* samples recorded (a day at 5 s) */
#define BAD_SENDER      "6281234567890" /* the OA of every malformed or special PDU */
#define SUB_AREA        "kec:33.25.03"  /* Blado: the broadcasts' audience */
#define TOKEN           "soak-staff-token-0123456789abcdef"
#define FAULT_SLOW_MS   200
#define FAULT_CMS_CODE  500 /* transient: retried by the worker */
#define FAULT_CMS_COUNT 2   /* below the worker's attempts per message */

/* Sender pools: 628137 + 7 digits (SMS), 628138 + 7 (USSD), 628139 + 7 (subscribers). */
#define SMS_FMT  "628137%07d"
#define USSD_FMT "628138%07d"
#define SUB_FMT  "628139%07d"

struct pool_sender {
    unsigned short delivered, lapor; /* messages delivered to a SIM; of them LAPOR */
    unsigned short in, answered, twice, lost;
};

struct sample {
    double t;
    long gw_rss, wk_rss, gw_fd, wk_fd; /* kB, kB, count, count; -1 unknown */
    double redis_kb;                   /* NAN unknown */
    long handled;                      /* inbound delivered + broadcast recipients so far */
    int nworkers;                      /* workers alive when sampled */
};

static struct kt_env env;
static char simdir[MODEMS][400];
static int port;
static struct pool_sender *pool;
static int npool;
static long ussd_done[USSD_MAX]; /* number index of each completed USSD complaint */
static int nussd, ussd_aborted;
static long long bcs[BC_MAX];
static long long bc_recipients[BC_MAX];
static int nbc, bc_refused;
static struct sample samples[SAMPLES_MAX];
static int nsamples, ntraffic; /* ntraffic: samples taken while the traffic ran */
static long delivered_total, bad_total, faults_total, redis_restarts, handled_total;
static char outdir[512];

/* ---- the malformed and special PDUs (as tests/integration/test_quarantine.c) ---- */

#define OA   "0D91261832547698F0"
#define SCTS "62218001020382"
static const char *const bad_pdus[] = {
    "04" OA "0000" SCTS "0A49A7F109",     /* udl_overrun */
    "44" OA "0004" SCTS "060A0003010201", /* udh_overrun */
    "04FF91261832547698F0000062218001020382"
    "0449A7F109",                   /* address_overrun */
    "04" OA "0008" SCTS "03004900", /* ucs2_odd */
    "04" OA "0000"
    "6221",                                           /* truncated */
    "04" OA "0010" SCTS "0449A7F109",                 /* flash */
    "44" OA "0004" SCTS "0C0605040B8423F0010601AE00", /* wap_push */
    "44" OA "0004" SCTS "0C0605040B8423F0010602BE00", /* mms */
    "04" OA "00C8" SCTS "0449A7F109",                 /* voicemail */
    "44" OA "0004" SCTS "0704010201016869",           /* message_waiting */
    "04" OA "7FF6" SCTS "020102",                     /* sim_download */
    "04" OA "4000" SCTS "00",                         /* silent */
};
#define NBAD ((int)(sizeof(bad_pdus) / sizeof(bad_pdus[0])))

static const char *const lapor_texts[] = {
    "LAPOR jalan berlubang di desa Kalisalak kec Batang",
    "LAPOR lampu jalan mati di desa Kalisalak kec Batang",
    "lapor saluran air mampet di desa Kalisalak kec Batang",
    "LAPOR jalan rusak parah di desa Kalisalak kec Batang",
};

/* ---- small helpers ---- */

static double now_s(void)
{
    return bench_now();
}

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

/* Number of entries in directory path (/proc/PID/fd), -1 when it is gone. */
static long count_dir(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static long fd_count(pid_t pid)
{
    char p[64];
    snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
    return count_dir(p);
}

/* The gateway's children (its modem workers): up to max pids, returns how many. */
static int workers(pid_t gw, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    int n = 0;
    if (d == NULL)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < max) {
        pid_t pid = (pid_t)atoi(de->d_name);
        if (pid > 0 && bench_ppid(pid) == gw)
            out[n++] = pid;
    }
    closedir(d);
    return n;
}

/* pid of the simulator serving dir (its command line names it), -1 if none. */
static pid_t atsim_pid(const char *dir)
{
    DIR *d = opendir("/proc");
    pid_t found = -1;
    if (d == NULL)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && found < 0) {
        pid_t pid = (pid_t)atoi(de->d_name);
        if (pid <= 0)
            continue;
        char p[64], cmd[2048];
        snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
        int fd = open(p, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
        close(fd);
        if (n <= 0)
            continue;
        cmd[n] = '\0';
        /* argv[0] .../atsim, argv[1] --state, argv[2] the directory */
        const char *a0 = cmd, *a1 = a0 + strlen(a0) + 1;
        if (a1 >= cmd + n)
            continue;
        const char *a2 = a1 + strlen(a1) + 1;
        if (a2 >= cmd + n)
            continue;
        size_t l0 = strlen(a0);
        if (l0 >= 5 && strcmp(a0 + l0 - 5, "atsim") == 0 && strcmp(a1, "--state") == 0 &&
            strcmp(a2, dir) == 0)
            found = pid;
    }
    closedir(d);
    return found;
}

static double redis_used_kb(void)
{
    redisReply *r = kt_redis(&env, "INFO memory");
    double kb = NAN;
    if (r && r->type == REDIS_REPLY_STRING) {
        const char *p = strstr(r->str, "used_memory:");
        if (p)
            kb = atof(p + 12) / 1024.0;
    }
    freeReplyObject(r);
    return kb;
}

static void urlencode(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; *in && o + 4 < len; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
    }
    out[o] = '\0';
}

/* One HTTP request, retried while the gateway cannot answer (Redis restarting: 503, or no
 * connection) for up to `seconds`; returns the status and the body in out. */
static int http_retry(const char *method, const char *path, const char *header, const char *body,
                      char *out, size_t len, double seconds)
{
    static char raw[1 << 16];
    double end = now_s() + seconds;
    int code;
    for (;;) {
        code = header ? kt_http_header(port, method, path, header, body, raw, sizeof(raw))
                      : kt_http(port, method, path, body, raw, sizeof(raw));
        if ((code > 0 && code != 503) || now_s() > end)
            break;
        bench_sleep(0.5);
    }
    const char *b = code > 0 ? strstr(raw, "\r\n\r\n") : NULL;
    snprintf(out, len, "%s", b ? b + 4 : "");
    return code;
}

/* ---- traffic ---- */

static int next_sender;

static void deliver_one(void)
{
    int idx = next_sender;
    next_sender = (next_sender + 1) % npool;
    int m = rand() % MODEMS;
    char from[32], text[160];
    snprintf(from, sizeof(from), "+" SMS_FMT, idx);
    int k = rand() % 100;
    int lapor = 0;
    if (k < 35)
        snprintf(text, sizeof(text), "%s", (k & 1) ? "INFO" : "info");
    else if (k < 55) {
        snprintf(text, sizeof(text), "%s", lapor_texts[rand() % 4]);
        lapor = 1;
    } else if (k < 75)
        snprintf(text, sizeof(text), "CEK %d", 1000000 + rand() % 9000000);
    else if (k < 90)
        snprintf(text, sizeof(text), "DAFTAR kec Bandar");
    else
        snprintf(text, sizeof(text), "MENU");
    if (atsim_deliver(simdir[m], from, text, NULL, NULL) != 0) {
        say("soak: cannot deliver to %s: %s\n", simdir[m], strerror(errno));
        return;
    }
    pool[idx].delivered++;
    pool[idx].lapor += (unsigned short)lapor;
    delivered_total++;
    handled_total++;
}

/* The n-th bad PDU, made unique: the gateway keeps one copy of a PDU it has seen (a message
 * read twice), so each carries its own SMSC timestamp (the n-th second of the day), or for the
 * PDU cut inside the timestamp, its own two octets there. */
static void bad_pdu(long n, char *out, size_t len)
{
    const char *tpl = bad_pdus[n % NBAD];
    const char *at = strstr(tpl, SCTS);
    char scts[32];
    long sec = n % 86400;
    int v[3] = {(int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60)};
    if (at) {
        snprintf(scts, sizeof(scts), "622180%d%d%d%d%d%d82", v[0] % 10, v[0] / 10, v[1] % 10,
                 v[1] / 10, v[2] % 10, v[2] / 10);
        snprintf(out, len, "%.*s%s%s", (int)(at - tpl), tpl, scts, at + strlen(SCTS));
    } else
        snprintf(out, len, "%.*s%04lX", (int)strlen(tpl) - 4, tpl, sec & 0xFFFF);
}

static void deliver_bad(void)
{
    int m = rand() % MODEMS;
    char pdu[512];
    bad_pdu(bad_total, pdu, sizeof(pdu));
    if (atsim_deliver_pdu(simdir[m], pdu) == 0)
        bad_total++;
}

static int ussd_screen(const char *session, const char *phone, const char *text, char *out,
                       size_t len)
{
    char t[512], form[1024];
    urlencode(text, t, sizeof(t));
    snprintf(form, sizeof(form),
             "sessionId=%s&serviceCode=%%2A123%%23&phoneNumber=%s&networkCode=51010&text=%s",
             session, phone, t);
    return http_retry("POST", "/ussd", NULL, form, out, len, 30);
}

/* A whole USSD complaint; the final screen is sent twice, as an aggregator retrying would. */
static void ussd_session(void)
{
    if (nussd >= USSD_MAX)
        return;
    static const char *const steps[] = {
        "",
        "1*1*3*3*Jalan berlubang besar depan balai desa",
        "1*1*3*3*Jalan berlubang besar depan balai desa*1",
        "1*1*3*3*Jalan berlubang besar depan balai desa*1",
    };
    long idx = nussd + ussd_aborted;
    char session[48], phone[32], out[1024];
    snprintf(session, sizeof(session), "soak-%ld", idx);
    snprintf(phone, sizeof(phone), USSD_FMT, (int)idx);
    for (int i = 0; i < 4; i++) {
        int code = ussd_screen(session, phone, steps[i], out, sizeof(out));
        if (code != 200 || (i == 2 && strncmp(out, "END ", 4) != 0)) {
            say("soak: USSD session %s step %d: HTTP %d %.60s (counted as aborted)\n", session, i,
                code, out);
            ussd_aborted++;
            return;
        }
    }
    ussd_done[nussd++] = idx;
}

static void broadcast(void)
{
    if (nbc >= BC_MAX)
        return;
    char body[512], out[4096], header[128];
    snprintf(body, sizeof(body),
             "{\"text\": \"Kerja bakti %d Minggu pagi di balai desa.\", \"parts\": 1,"
             " \"areas\": [\"kecamatan:Blado\"]}",
             nbc + 1);
    snprintf(header, sizeof(header), "Authorization: Bearer %s", TOKEN);
    int code = http_retry("POST", "/api/broadcasts", header, body, out, sizeof(out), 30);
    json_t *doc = json_loads(out, 0, NULL);
    if (code != 201 || doc == NULL) {
        say("soak: broadcast refused: HTTP %d %.100s\n", code, out);
        bc_refused++;
        json_decref(doc);
        return;
    }
    bcs[nbc] = json_integer_value(json_object_get(doc, "id"));
    bc_recipients[nbc] = json_integer_value(json_object_get(doc, "recipients"));
    handled_total += bc_recipients[nbc];
    nbc++;
    json_decref(doc);
}

/* ---- faults ---- */

static const char *const fault_names[] = {"hang", "slow", "cms_error", "noise", "dup_cmti", "kill"};
#define NFAULTS 6

static int fault_kind = -1, fault_modem = -1;

static void fault_clear(void)
{
    if (fault_kind < 0)
        return;
    const char *d = simdir[fault_modem];
    switch (fault_kind) {
    case 0:
    case 3:
    case 4:
        atsim_fault(d, fault_names[fault_kind], 0);
        break;
    case 1:
        atsim_fault_value(d, "slow", -1);
        break;
    case 2:
        atsim_fail_sends(d, FAULT_CMS_CODE, 0);
        break;
    default:
        break;
    }
    fault_kind = -1;
}

static void fault_start(double t)
{
    fault_clear();
    int kind = (int)(faults_total % NFAULTS);
    int m = (int)((faults_total / NFAULTS + faults_total) % MODEMS);
    const char *d = simdir[m];
    int rc = 0;
    switch (kind) {
    case 0:
    case 3:
    case 4:
        rc = atsim_fault(d, fault_names[kind], 1);
        break;
    case 1:
        rc = atsim_fault_value(d, "slow", FAULT_SLOW_MS);
        break;
    case 2:
        rc = atsim_fail_sends(d, FAULT_CMS_CODE, FAULT_CMS_COUNT);
        break;
    case 5: {
        pid_t pid = atsim_pid(d);
        rc = pid > 0 ? kill(pid, SIGKILL) : -1;
        break;
    }
    }
    say("soak: t=%.0f fault %s on at%d%s\n", t, fault_names[kind], m + 1, rc ? " (FAILED)" : "");
    faults_total++;
    fault_kind = kind;
    fault_modem = m;
}

static void redis_restart(double t)
{
    int hard = redis_restarts % 2;
    int rc;
    if (hard) {
        kt_redis_kill(&env);
        rc = kt_redis_start(&env);
    } else
        rc = kt_redis_restart(&env);
    redis_restarts++;
    say("soak: t=%.0f redis restarted (%s)%s\n", t, hard ? "SIGKILL" : "SIGTERM",
        rc ? " FAILED" : "");
    if (rc != 0) {
        say("soak: redis did not come back; giving up\n");
        exit(2);
    }
}

/* ---- sampling ---- */

static void sample(double t, FILE *dat)
{
    if (nsamples >= SAMPLES_MAX)
        return;
    struct sample *s = &samples[nsamples++];
    s->t = t;
    s->gw_rss = bench_rss_kb(env.gateway_pid);
    s->gw_fd = fd_count(env.gateway_pid);
    pid_t w[8];
    int n = workers(env.gateway_pid, w, 8);
    s->wk_rss = 0;
    s->wk_fd = 0;
    for (int i = 0; i < n; i++) {
        long r = bench_rss_kb(w[i]), f = fd_count(w[i]);
        s->wk_rss += r > 0 ? r : 0;
        s->wk_fd += f > 0 ? f : 0;
    }
    if (n == 0)
        s->wk_rss = s->wk_fd = -1;
    s->nworkers = n;
    s->redis_kb = redis_used_kb();
    s->handled = handled_total;
    fprintf(dat, "%.0f %ld %ld %ld %ld %.0f %ld %d\n", s->t, s->gw_rss, s->wk_rss, s->gw_fd,
            s->wk_fd, isnan(s->redis_kb) ? -1.0 : s->redis_kb, s->handled, n);
    fflush(dat);
    say("sample t=%6.0f  gateway %6.1f MB %3ld fd  workers(%d) %6.1f MB %3ld fd  redis %7.1f MB  "
        "handled %ld\n",
        s->t, s->gw_rss / 1024.0, s->gw_fd, n, s->wk_rss / 1024.0, s->wk_fd,
        isnan(s->redis_kb) ? -1.0 : s->redis_kb / 1024.0, s->handled);
}

/* ---- the end: drain, then check ---- */

/* Walks a stream oldest first in chunks, calling fn for each entry's fields. */
static long walk(const char *key, void (*fn)(const char *id, redisReply *fields, void *), void *arg)
{
    char start[64] = "-";
    long n = 0;
    for (;;) {
        redisReply *r = kt_redis(&env, "XRANGE %s %s + COUNT 2000", key, start);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(r);
            return -1;
        }
        size_t k = r->elements;
        for (size_t i = 0; i < k; i++) {
            fn(r->element[i]->element[0]->str, r->element[i]->element[1], arg);
            n++;
        }
        if (k > 0)
            snprintf(start, sizeof(start), "(%s", r->element[k - 1]->element[0]->str);
        freeReplyObject(r);
        if (k < 2000)
            return n;
    }
}

static const char *field(redisReply *f, const char *name)
{
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        if (strcmp(f->element[i]->str, name) == 0)
            return f->element[i + 1]->str;
    return "";
}

/* kt:in entries from the pool: id (as two numbers) and sender index, sorted by id. */
struct inrec {
    unsigned long long ms, seq;
    int who;
    int answered;
};
static struct inrec *ins;
static long nins, ins_cap, in_other, in_bad;

static int pool_index(const char *num, const char *prefix)
{
    size_t l = strlen(prefix);
    if (*num == '+')
        num++;
    if (strncmp(num, prefix, l) != 0 || strlen(num) != l + 7)
        return -1;
    return atoi(num + l);
}

static void take_in(const char *id, redisReply *f, void *arg)
{
    const char *from = field(f, "from");
    int who = pool_index(from, "628137");
    if (strcmp(from, BAD_SENDER) == 0)
        in_bad++;
    if (who < 0 || who >= npool) {
        in_other++;
        return;
    }
    if (nins == ins_cap) {
        ins_cap = ins_cap ? ins_cap * 2 : 4096;
        ins = realloc(ins, (size_t)ins_cap * sizeof(*ins));
    }
    struct inrec *r = &ins[nins++];
    sscanf(id, "%llu-%llu", &r->ms, &r->seq);
    r->who = who;
    r->answered = 0;
    pool[who].in++;
}

static int cmp_in(const void *a, const void *b)
{
    const struct inrec *x = a, *y = b;
    if (x->ms != y->ms)
        return x->ms < y->ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct sent_tally {
    long sent, failed, expired, other, to_bad, bc_sent, orphan;
    int *bc_got; /* [broadcast index * SOAK subscribers + subscriber] */
    long bc_stray;
    int subs;
    int *ussd_sms; /* SMS to each USSD number */
};

static void take_sent(const char *id, redisReply *f, void *arg)
{
    struct sent_tally *t = arg;
    const char *outcome = field(f, "outcome"), *origin = field(f, "origin"), *to = field(f, "to");
    if (strcmp(outcome, "sent") == 0)
        t->sent++;
    else if (strcmp(outcome, "failed") == 0)
        t->failed++;
    else if (strcmp(outcome, "expired") == 0)
        t->expired++;
    else
        t->other++;
    if (strcmp(to, BAD_SENDER) == 0)
        t->to_bad++;
    if (strcmp(outcome, "sent") != 0)
        return;
    int u = pool_index(to, "628138");
    if (u >= 0 && u < USSD_MAX)
        t->ussd_sms[u]++;
    if (strncmp(origin, "bc:", 3) == 0) {
        long long bc = atoll(origin + 3);
        int sub = pool_index(to, "628139");
        int i;
        for (i = 0; i < nbc && bcs[i] != bc; i++)
            ;
        if (i == nbc || sub < 0 || sub >= t->subs)
            t->bc_stray++;
        else
            t->bc_got[i * t->subs + sub]++;
        t->bc_sent++;
        return;
    }
    struct inrec key;
    if (sscanf(origin, "%llu-%llu", &key.ms, &key.seq) != 2)
        return;
    struct inrec *r = bsearch(&key, ins, (size_t)nins, sizeof(*ins), cmp_in);
    if (r == NULL)
        return;
    char want[32];
    snprintf(want, sizeof(want), SMS_FMT, r->who);
    if (strcmp(to, want) == 0)
        r->answered++;
}

static int failures;

static void check(int ok, const char *name, const char *fmt, ...)
{
    va_list ap;
    printf("check %-34s %s  ", name, ok ? "ok  " : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    failures += !ok;
}

static double mean_of(int from, int to, int which)
{
    double sum = 0;
    int n = 0;
    for (int i = from; i < to; i++) {
        const struct sample *s = &samples[i];
        double v = which == 0   ? s->gw_rss
                   : which == 1 ? s->wk_rss
                   : which == 2 ? s->gw_fd
                   : which == 3 ? s->wk_fd
                   : which == 4 ? s->redis_kb
                                : s->handled;
        if (isnan(v) || v < 0)
            continue;
        if ((which == 1 || which == 3) && s->nworkers != MODEMS)
            continue; /* a worker being restarted: the sum would dip */
        sum += v;
        n++;
    }
    return n ? sum / n : NAN;
}

/* The samples as a table: every one when there are few, else about SOAK_TABLE_ROWS evenly
 * spaced (soak.dat has them all). */
static void print_samples(void)
{
    int rows = (int)bench_env_long("SOAK_TABLE_ROWS", 25);
    int step = nsamples > rows ? (nsamples + rows - 1) / rows : 1;
    printf("\nsamples (every %d of %d; all in soak.dat):\n", step, nsamples);
    printf("| t (s) | gateway RSS (MB) | workers RSS (MB) | gateway fds | workers fds | Redis "
           "used_memory (MB) | messages handled |\n|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < nsamples; i++) {
        if (i % step != 0 && i != ntraffic - 1 && i != nsamples - 1)
            continue;
        const struct sample *x = &samples[i];
        printf("| %.0f%s | %.1f | %.1f | %ld | %ld | %.1f | %ld |\n", x->t,
               i >= ntraffic ? " (drained)" : "", x->gw_rss / 1024.0, x->wk_rss / 1024.0, x->gw_fd,
               x->wk_fd, isnan(x->redis_kb) ? -1.0 : x->redis_kb / 1024.0, x->handled);
    }
}

static void judge_flat(void)
{
    double tol = (double)bench_env_long("SOAK_TOLERANCE", 10) / 100.0;
    double fd_slack = (double)bench_env_long("SOAK_FD_SLACK", 2);
    double per_msg = (double)bench_env_long("SOAK_REDIS_BYTES_PER_MSG", 4096);
    if (ntraffic < 6) {
        check(0, "flat after warm-up", "only %d samples (need 6: lower SOAK_SAMPLE)", ntraffic);
        return;
    }
    int a = ntraffic / 3, b = 2 * ntraffic / 3;
    printf("\nflat after warm-up: the mean of the last third of the samples (t=%.0f..%.0f s) "
           "against the second third (t=%.0f..%.0f s); the first third is warm-up\n",
           samples[b].t, samples[ntraffic - 1].t, samples[a].t, samples[b - 1].t);
    printf("| series | warm-up mean | second third | last third | change | bound |\n");
    printf("|---|---|---|---|---|---|\n");
    static const char *const names[] = {"gateway RSS (MB)", "workers RSS (MB)", "gateway fds",
                                        "workers fds", "Redis used_memory (MB)"};
    int ok[5];
    char change[5][64], bound[5][64];
    for (int w = 0; w < 5; w++) {
        double m1 = mean_of(0, a, w), m2 = mean_of(a, b, w), m3 = mean_of(b, ntraffic, w);
        double scale = (w == 2 || w == 3) ? 1.0 : 1024.0;
        if (w == 2 || w == 3) {
            ok[w] = m3 <= m2 + fd_slack;
            snprintf(change[w], sizeof(change[w]), "%+.1f", m3 - m2);
            snprintf(bound[w], sizeof(bound[w]), "+%.0f", fd_slack);
        } else if (w < 2) {
            ok[w] = m3 <= m2 * (1.0 + tol);
            snprintf(change[w], sizeof(change[w]), "%+.1f%%", (m3 / m2 - 1.0) * 100.0);
            snprintf(bound[w], sizeof(bound[w]), "+%.0f%%", tol * 100.0);
        } else {
            /* Redis keeps what the service keeps: judged per message handled meanwhile */
            double msgs = mean_of(b, ntraffic, 5) - mean_of(a, b, 5);
            double bytes = msgs > 0 ? (m3 - m2) * 1024.0 / msgs : 0;
            ok[w] = bytes <= per_msg;
            snprintf(change[w], sizeof(change[w]), "%+.1f%% (%.0f B/message)",
                     (m3 / m2 - 1.0) * 100.0, bytes);
            snprintf(bound[w], sizeof(bound[w]), "%.0f B/message", per_msg);
        }
        if (isnan(m2) || isnan(m3))
            ok[w] = 0;
        printf("| %s | %.1f | %.1f | %.1f | %s | %s |\n", names[w], m1 / scale, m2 / scale,
               m3 / scale, change[w], bound[w]);
    }
    for (int w = 0; w < 5; w++) {
        char name[64];
        snprintf(name, sizeof(name), "flat: %s", names[w]);
        check(ok[w], name, "%s (bound %s)", change[w], bound[w]);
    }
}

static void plot(const char *dat)
{
    char png[600], gp[600], e[1400];
    snprintf(png, sizeof(png), "%s/soak.png", outdir);
    const char *root = getenv("KT_ROOT") ? getenv("KT_ROOT") : ".";
    snprintf(gp, sizeof(gp), "%s/tests/soak/plot_soak.gp", root);
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("plot: gnuplot is missing (scripts/setup --bench installs it); data in %s\n", dat);
        return;
    }
    snprintf(e, sizeof(e), "datafile='%s'; outfile='%s'", dat, png);
    char *argv[] = {"gnuplot", "-e", e, gp, NULL};
    char out[256];
    int rc = bench_capture(argv, 60, out, sizeof(out));
    printf("plot: %s (%s)\n", png, rc == 0 ? "ok" : "FAILED");
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "r"), *b = a ? fopen(to, "w") : NULL;
    char buf[65536];
    size_t n;
    while (b && (n = fread(buf, 1, sizeof(buf), a)) > 0)
        fwrite(buf, 1, n, b);
    if (a)
        fclose(a);
    if (b)
        fclose(b);
}

/* kt:quarantine: entries of the PDUs this program made bad (their sender's address is in the
 * PDU), and others: residents' messages kept aside, with the reasons. */
struct qtally {
    long bad, resident;
    char reasons[512];
};

static void take_quarantine(const char *id, redisReply *f, void *arg)
{
    struct qtally *q = arg;
    if (strstr(field(f, "pdu"), "91261832547698F0") != NULL) {
        q->bad++;
        return;
    }
    q->resident++;
    const char *reason = field(f, "reason");
    size_t used = strlen(q->reasons);
    if (strstr(q->reasons, reason) == NULL && used + strlen(reason) + 2 < sizeof(q->reasons))
        snprintf(q->reasons + used, sizeof(q->reasons) - used, "%s%s", used ? "," : "", reason);
}

/* What kt:in and kt:sent say about the traffic delivered so far. */
struct account {
    long nin, nsent, missing_in, extra_in, unanswered, twice;
    long bc_missing, bc_twice, bc_expected, u_sms_bad;
    struct sent_tally t;
};

static void account(struct account *c)
{
    free(c->t.bc_got);
    free(c->t.ussd_sms);
    memset(c, 0, sizeof(*c));
    nins = 0;
    in_other = in_bad = 0;
    for (int i = 0; i < npool; i++)
        pool[i].in = pool[i].answered = 0;
    c->nin = walk("kt:in", take_in, NULL);
    qsort(ins, (size_t)nins, sizeof(*ins), cmp_in);
    c->t.subs = (int)bench_env_long("SOAK_SUBSCRIBERS", 150);
    c->t.bc_got = calloc((size_t)(nbc + 1) * (size_t)c->t.subs, sizeof(int));
    c->t.ussd_sms = calloc(USSD_MAX, sizeof(int));
    c->nsent = walk("kt:sent", take_sent, &c->t);
    for (int i = 0; i < npool; i++) {
        if (pool[i].in < pool[i].delivered)
            c->missing_in += pool[i].delivered - pool[i].in;
        else
            c->extra_in += pool[i].in - pool[i].delivered;
    }
    for (long i = 0; i < nins; i++) {
        c->unanswered += ins[i].answered == 0;
        c->twice += ins[i].answered > 1;
    }
    for (int i = 0; i < nbc; i++) {
        c->bc_expected += bc_recipients[i];
        for (int s = 0; s < c->t.subs; s++) {
            int g = c->t.bc_got[i * c->t.subs + s];
            c->bc_missing += g == 0;
            c->bc_twice += g > 1;
        }
    }
    for (int i = 0; i < nussd; i++)
        c->u_sms_bad += ussd_done[i] < USSD_MAX && c->t.ussd_sms[ussd_done[i]] != 1;
}

static struct account acc;

static int bc_finished(void)
{
    for (int i = 0; i < nbc; i++) {
        redisReply *r = kt_redis(&env, "HGET kt:bc:%lld status", bcs[i]);
        int done = r && r->type == REDIS_REPLY_STRING &&
                   (strcmp(r->str, "done") == 0 || strcmp(r->str, "cancelled") == 0);
        freeReplyObject(r);
        if (!done)
            return 0;
    }
    return 1;
}

/* Everything delivered has been read and acknowledged, answered, broadcast and confirmed. The
 * cheap conditions first; the streams are walked only when they hold. */
static int drained(void)
{
    for (int m = 0; m < MODEMS; m++)
        if (atsim_sim_count(simdir[m]) != 0 || atsim_inbox_count(simdir[m]) != 0)
            return 0;
    if (kt_in_pending(&env) != 0 || !bc_finished())
        return 0;
    account(&acc);
    return acc.missing_in == 0 && acc.unanswered == 0 && acc.bc_missing == 0 && acc.u_sms_bad == 0;
}

static int verdict(long seconds, double drain_s, int drained_ok, const char *dat)
{
    printf("\n== soak verdict (%ld s of traffic; drained in %.0f s)\n", seconds, drain_s);
    printf("traffic: %ld SMS delivered from %d numbers, %ld malformed/special PDUs, %d USSD "
           "complaints (%d aborted), %d broadcasts (%d refused), %ld modem faults, %ld Redis "
           "restarts\n",
           delivered_total, npool, bad_total, nussd, ussd_aborted, nbc, bc_refused, faults_total,
           redis_restarts);
    check(drained_ok, "drained", "SIMs empty, kt:in acknowledged, everything answered");
    account(&acc);
    struct sent_tally t = acc.t;
    printf("kt:in %ld entries (%ld from the pool, %ld others, %ld from the PDU sender); kt:sent "
           "%ld entries: sent %ld, failed %ld, expired %ld\n",
           acc.nin, nins, in_other, in_bad, acc.nsent, t.sent, t.failed, t.expired);
    struct qtally q = {0};
    walk("kt:quarantine", take_quarantine, &q);
    check(acc.missing_in == 0, "inbound: nothing lost",
          "%ld of %ld delivered SMS never reached kt:in (%ld residents' messages on "
          "kt:quarantine%s%s)",
          acc.missing_in, delivered_total, q.resident, q.resident ? ", reason " : "", q.reasons);
    check(acc.extra_in == 0, "inbound: stored once", "%ld stored twice", acc.extra_in);
    check(acc.unanswered == 0, "inbound: every one answered", "%ld of %ld unanswered",
          acc.unanswered, nins);
    check(acc.twice == 0, "inbound: none answered twice", "%ld answered more than once", acc.twice);

    /* SMS complaints: one ticket per LAPOR */
    long tickets_missing = 0, tickets_extra = 0;
    for (int i = 0; i < npool; i++) {
        if (pool[i].lapor == 0)
            continue;
        long long z = kt_redis_int(&env, "ZCARD kt:tickets:by-phone:" SMS_FMT, i);
        if (z < pool[i].lapor)
            tickets_missing += pool[i].lapor - z;
        else
            tickets_extra += z - pool[i].lapor;
    }
    check(tickets_missing == 0 && tickets_extra == 0, "SMS complaints: filed once",
          "%ld LAPOR without a ticket, %ld extra tickets", tickets_missing, tickets_extra);

    /* USSD complaints: one ticket and one SMS confirmation per completed session */
    long u_missing = 0, u_extra = 0;
    for (int i = 0; i < nussd; i++) {
        long long z = kt_redis_int(&env, "ZCARD kt:tickets:by-phone:" USSD_FMT, (int)ussd_done[i]);
        u_missing += z < 1;
        u_extra += z > 1 ? z - 1 : 0;
    }
    check(u_missing == 0 && u_extra == 0, "USSD complaints: filed once",
          "%d sessions: %ld without a ticket, %ld extra tickets", nussd, u_missing, u_extra);
    check(acc.u_sms_bad == 0, "USSD complaints: confirmed once",
          "%ld numbers without exactly one SMS", acc.u_sms_bad);

    /* broadcasts: every recipient sent exactly once */
    check(acc.bc_missing == 0 && acc.bc_twice == 0 && t.bc_stray == 0 &&
              t.bc_sent == acc.bc_expected,
          "broadcasts: each recipient once",
          "%d broadcasts, %ld recipients: %ld sent, %ld missing, %ld twice, %ld stray", nbc,
          acc.bc_expected, t.bc_sent, acc.bc_missing, acc.bc_twice, t.bc_stray);

    /* malformed and special: kept aside once each, never answered */
    check(q.bad == bad_total && t.to_bad == 0 && in_bad == 0, "bad PDUs: kept aside, unanswered",
          "%ld delivered, %ld of them on kt:quarantine, %ld reached kt:in, %ld answers to their "
          "sender",
          bad_total, q.bad, in_bad, t.to_bad);
    long long dead = kt_redis_int(&env, "XLEN kt:dead");
    check(dead <= 0, "nothing dead-lettered", "kt:dead holds %lld", dead < 0 ? 0 : dead);

    print_samples();
    judge_flat();
    plot(dat);
    printf("\nverdict: %s (%d check%s failed)\n", failures ? "FAIL" : "PASS", failures,
           failures == 1 ? "" : "s");
    printf("data: %s  log: %s/gateway.log\n", dat, outdir);
    return failures ? 1 : 0;
}

/* ---- setup ---- */

static int start(void)
{
    if (kt_env_init(&env) != 0)
        return -1;
    bench_track(&env);
    char modems[8192] = "", h[65];
    for (int i = 0; i < MODEMS; i++) {
        char device[1200], atsim[600];
        snprintf(simdir[i], sizeof(simdir[i]), "%s/sim%d", env.dir, i + 1);
        snprintf(atsim, sizeof(atsim), "%s/atsim", env.build);
        if (access(atsim, X_OK) != 0 || atsim_init_dir(simdir[i]) != 0 ||
            atsim_device(atsim, simdir[i], device, sizeof(device)) != 0)
            return -1;
        size_t used = strlen(modems);
        /* --quiet: no transcript of every AT command, which would fill the disk in a day */
        snprintf(modems + used, sizeof(modems) - used,
                 "[modem:at%d]\nmodel = at\nconnection = proxyat\ndevice = %s --quiet\n"
                 "poll_seconds = 30\nper_minute = 100\nper_day = 100000\nhang_seconds = 10\n"
                 "failover_seconds = 20\n",
                 i + 1, device);
    }
    kt_sha256_hex(TOKEN, h);
    size_t used = strlen(modems);
    snprintf(modems + used, sizeof(modems) - used, "[token:desk]\nsha256 = %s\nrole = staff\n", h);
    port = kt_free_port();
    char extra[256];
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nquiet_hours =\n", port);
    if (port <= 0 || kt_redis_start(&env) != 0 || kt_write_config(&env, extra, modems) != 0)
        return -1;
    /* an info-level log: a day at debug level would be gigabytes */
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "sed -i 's/^loglevel = debug$/loglevel = info/' '%s'", env.config);
    if (system(cmd) != 0)
        return -1;
    if (kt_gateway_start(&env) != 0) {
        say("soak: the gateway did not start\n");
        return -1;
    }
    char out[256];
    if (http_retry("GET", "/readyz", NULL, NULL, out, sizeof(out), 30) != 200 ||
        kt_wait_functions(&env, 30) != 0) {
        say("soak: the gateway is not ready\n");
        return -1;
    }
    for (int s = 0; s < (int)bench_env_long("SOAK_SUBSCRIBERS", 150); s++) {
        char num[32];
        snprintf(num, sizeof(num), SUB_FMT, s);
        if (kt_subscribe(&env, num, SUB_AREA) != 0) {
            say("soak: cannot subscribe %s\n", num);
            return -1;
        }
    }
    for (int i = 0; i < 600; i++) {
        int up = 0;
        for (int m = 1; m <= MODEMS; m++) {
            redisReply *r = kt_redis(&env, "HGET kt:modem:at%d state", m);
            up += r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
            freeReplyObject(r);
        }
        if (up == MODEMS)
            return 0;
        bench_sleep(0.1);
    }
    say("soak: the three modems did not come up\n");
    return -1;
}

int main(void)
{
    long seconds = bench_env_long("SOAK_SECONDS", 3600);
    double every_sample = (double)bench_env_long("SOAK_SAMPLE", 30);
    double rate = getenv("SOAK_RATE") ? atof(getenv("SOAK_RATE")) : 1.0;
    long burst = bench_env_long("SOAK_BURST", 20);
    double every_bad = (double)bench_env_long("SOAK_BAD_EVERY", 90);
    double every_ussd = (double)bench_env_long("SOAK_USSD_EVERY", 20);
    double every_bc = (double)bench_env_long("SOAK_BROADCAST_EVERY", 300);
    double every_fault = (double)bench_env_long("SOAK_FAULT_EVERY", 180);
    double fault_hold = (double)bench_env_long("SOAK_FAULT_HOLD", 40);
    double every_redis = (double)bench_env_long("SOAK_REDIS_EVERY", 900);
    double drain_max = (double)bench_env_long("SOAK_DRAIN", 600);
    npool = (int)bench_env_long("SOAK_SENDERS", 20000);
    if (npool < 1000 || npool > POOL_MAX || rate <= 0 || rate > 20 || every_sample < 1 ||
        seconds < 60) {
        fprintf(stderr,
                "soak: SOAK_SENDERS 1000..%d, SOAK_RATE (0, 20], SOAK_SAMPLE >= 1, "
                "SOAK_SECONDS >= 60\n",
                POOL_MAX);
        return 2;
    }
    /* the bound: traffic, drain, and ten minutes for start and checks */
    bench_guard((unsigned)(seconds + drain_max + 600));
    srand((unsigned)bench_env_long("SOAK_SEED", 1));
    pool = calloc((size_t)npool, sizeof(*pool));
    const char *build = getenv("KT_BUILD") ? getenv("KT_BUILD") : "build";
    snprintf(outdir, sizeof(outdir), "%s/soak", build);
    mkdir(outdir, 0755);
    char dat[600];
    snprintf(dat, sizeof(dat), "%s/soak.dat", outdir);
    FILE *df = fopen(dat, "w");
    if (pool == NULL || df == NULL) {
        fprintf(stderr, "soak: cannot write %s\n", dat);
        return 2;
    }
    fprintf(df, "# t_s gateway_rss_kb workers_rss_kb gateway_fds workers_fds redis_used_kb "
                "handled workers\n");
    say("soak: %ld s of traffic at %.1f SMS/s (+%ld every minute) from %d numbers; sample every "
        "%.0f s; fault every %.0f s; Redis restart every %.0f s; output in %s\n",
        seconds, rate, burst, npool, every_sample, every_fault, every_redis, outdir);
    if (start() != 0) {
        say("soak: could not start (built? make soak builds everything)\n");
        kt_dump_log(&env);
        return 2;
    }

    double t0 = now_s();
    double next_in = 0, next_burst = 60, next_bad = every_bad / 2, next_ussd = 5,
           next_bc = every_bc / 3, next_fault = every_fault / 2, fault_end = 0,
           next_redis = every_redis, next_sample = 0;
    for (;;) {
        double t = now_s() - t0;
        if (t >= seconds)
            break;
        if (t >= next_sample) {
            sample(t, df);
            next_sample += every_sample;
        }
        while (t >= next_in) {
            deliver_one();
            next_in += 1.0 / rate;
        }
        if (t >= next_burst) {
            for (long i = 0; i < burst; i++)
                deliver_one();
            next_burst += 60;
        }
        if (t >= next_bad) {
            deliver_bad();
            next_bad += every_bad;
        }
        if (t >= next_ussd) {
            ussd_session();
            next_ussd += every_ussd;
        }
        if (t >= next_bc) {
            broadcast();
            next_bc += every_bc;
        }
        if (fault_kind >= 0 && t >= fault_end) {
            say("soak: t=%.0f fault %s on at%d cleared\n", t, fault_names[fault_kind],
                fault_modem + 1);
            fault_clear();
        }
        if (t >= next_fault) {
            fault_start(t);
            fault_end = t + fault_hold;
            next_fault += every_fault;
        }
        if (t >= next_redis) {
            redis_restart(t);
            next_redis += every_redis;
        }
        bench_sleep(0.1);
    }
    fault_clear();
    double t_end = now_s();
    say("soak: traffic over; draining (at most %.0f s)\n", drain_max);
    int ok = 0;
    while (now_s() - t_end < drain_max && !(ok = drained()))
        bench_sleep(5);
    double drain_s = now_s() - t_end;
    ntraffic = nsamples;
    sample(now_s() - t0, df); /* after the drain: shown, not judged */
    fclose(df);
    char log[600];
    snprintf(log, sizeof(log), "%s/gateway.log", outdir);
    copy_file(env.log, log);
    int rc = verdict(seconds, drain_s, ok, dat);
    bench_cleanup_all();
    return rc;
}
