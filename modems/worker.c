/* worker — see worker.h.
 *
 * The loop, once Redis and the modem are up:
 *
 *   heartbeat
 *   GSM_ReadDevice (AT: waits up to ~50 ms for unsolicited lines; this is
 *                   where +CMTI and send-status callbacks arrive)
 *   delete from the SIM what was stored, once its reply is out (see "replies first")
 *   read each location +CMTI named, alone (AT+CMGR) -> kt_ingest (dedupe, parts, kt:in)
 *   or sweep SIM storage if poll_seconds passed (or +CMTI named no location):
 *       each inbox message -> kt_ingest
 *   release part groups older than multipart_timeout (flagged incomplete)
 *   health every check_seconds: SIM, registration, storage (see "health"), one
 *       question per turn, none while a +CMTI waits to be read or a reply is due;
 *       a modem that is not up only checks (and, with its SIM usable, sweeps)
 *   credit check when due: the SIM's balance code by USSD (kt_credit)
 *   send: retries that are due, then one message from the lanes
 *   wait: blocking XREADGROUP on the lanes and the modem's USSD queue when
 *         nothing else can wake us (dummy driver), or briefly right after an
 *         inbound message, whose reply is about to be queued
 *
 * USSD (staff's codes from kt:ussdq:MODEM, and the balance code) runs in this
 * same loop, between sends, never beside them: libgammu decodes a +CUSD with
 * whatever character set is active when it arrives, so while a code is open
 * nothing else is said to the modem; the worker only reads until the answer
 * or ussd_timeout_seconds, then closes the session (AT+CUSD=2). A request
 * found pending after a restart is answered "interrupted", never dialled
 * again: a code may move credit or buy a package.
 *
 * libgammu callbacks only record what happened; the loop acts on it (never
 * call libgammu from inside its own callback). A connect that fails, a send
 * never answered and a connection lost climb the recovery ladder (see
 * "recovery": reconnect, reset, USB re-enumeration). Every Redis failure drops the
 * connection and backs off; while Redis is away nothing is read from or
 * deleted on the SIM, so messages wait there. */
#include "modems/worker.h"
#include "gateway/clock.h"

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/phone.h"
#include "gateway/pin.h"
#include "gateway/redisauth.h"
#include "gateway/reply.h"
#include "gateway/store.h"
#include "gateway/textsafe.h"
#include "modems/codec.h"
#include "modems/credit.h"
#include "modems/pdu.h"
#include "modems/rawat.h"
#include "handlers/privacy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gammu.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <strings.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define WORKER_OUT_TEXT_MAX  8192  /* an outbound message (CODEC_MAX_PARTS parts) */
#define WORKER_RETRY_MAX     64    /* messages waiting for a retry at once */
#define WORKER_ATTEMPTS      3     /* sends of one message before it is recorded as failed */
#define WORKER_SWEEP_MAX     64    /* messages read from the SIM per sweep */
#define WORKER_RELEASE_EVERY 5     /* seconds between checks for stale part groups */
#define WORKER_REPLY_WAIT_MS 300   /* after an inbound message, wait this long for its reply */
#define WORKER_IDLE_BLOCK_MS 1000  /* longest blocking wait on Redis */
#define WORKER_STOP_BOUND    20    /* seconds from SIGTERM to exit, whatever libgammu does */
#define WORKER_BACKOFF_MAX   30    /* seconds, ceiling of reconnect backoff */
#define WORKER_LOCK_MS       15000 /* a worker's claim on its modem lapses after this */
#define SEND_UNCONFIRMED     997   /* handed to the modem, no answer: counted as sent */
#define DEFER_MINUTE_MS      2000  /* retry a message held back by the per-minute cap */
#define DEFER_DAY_MS         60000 /* ... by the per-day cap */
#define WORKER_USSD_TEXT_MAX 2048  /* UTF-8 bytes of a USSD answer (182 characters, or hex) */
#define WORKER_CREDIT_RAW    320   /* bytes of the balance answer kept in kt:modem:NAME */
#define WORKER_BALANCE_FIRST 5000  /* ms after the modem comes up before its first check */
#define WORKER_ALERT_TTL_MS  (24 * 3600 * 1000LL) /* a credit alert may wait this long */
#define WORKER_RAW_MAX       1024 /* bytes kept of a quarantined message: PDU hex or dummy file */
#define WORKER_PREVIEW_MAX   160  /* bytes of decoded text kept with a special message */
#define WORKER_TRACE_MAX     (512 * 1024) /* bytes of one sweep's AT transcript read back */
#define WORKER_TRACE_DIR     "/tmp"
#define WORKER_TRACE_NAME    "kentongan-trace-" /* see trace_prefix */
/* the installer's probe (see "the installer's probe" below) */
#define PROBE_MARK           "KENTONGAN PROBE " /* the test SMS's text starts with this, then the token */
#define PROBE_TOKEN_LEN      8                  /* hex digits of the token */
#define PROBE_SWEEP_MS       2000               /* SIM sweeps while waiting for the test SMS */
#define PROBE_SIGNAL_WEAK    20                 /* percent: below this the signal is called weak */
#define PROBE_TEXT_MAX       64                 /* bytes of an identity string kept */
#define WORKER_ANNOUNCED_MAX 32 /* locations named by +CMTI waiting to be read; beyond: a sweep */
#define WORKER_DEFERRED_MAX  (2 * WORKER_SWEEP_MAX) /* stored messages waiting for their delete */
#define WORKER_DELETE_WAIT_MS                                                                      \
    WORKER_REPLY_WAIT_MS /* a stored message is deleted this long after at the latest */
/* the recovery ladder ("recovery" below) */
#define WORKER_STABLE_MS 60000 /* up this long (or a send confirmed): the failure count clears */
#define WORKER_RESET_SETTLE_MS                                                                     \
    5000                         /* after a reset or a USB re-enumeration, before reconnecting     \
                                  */
#define WORKER_USB_OFF_MS   1000 /* between writing 0 and 1 to the device's authorized file */
#define WORKER_RESET_WAIT_S 10   /* wait for the answer to the reset command */
#define WORKER_CREG_WAIT_S  4    /* wait for the answer to AT+CREG? (as libgammu does) */

static volatile sig_atomic_t stop_flag;

/* One SIM location to read or delete (see "quarantine" and "replies first" below). */
struct sim_ref {
    int folder, location;
    int raw; /* delete without reading it again (a malformed message) */
};

struct outmsg {
    char lane[64];
    char id[32];
    char to[32];
    char kind[16];
    char origin[48];
    long long expires;
    int attempt;
    long long due; /* ms; when the next attempt may start */
    char *text;
};

struct worker {
    const struct config *cfg;
    const struct modem_config *mc;
    char name[CONFIG_NAME_MAX];
    char own_lane[64];
    redisContext *rc;
    GSM_StateMachine *sm;
    GSM_MultiSMSMessage *multi;
    int dummy;
    int connected;
    int suspect;       /* a send got no answer: check the modem before the next one */
    long long next_bc; /* ms: broadcasts are paced evenly over the minute, not in bursts */
    struct worker_inbound inbound;
    int heartbeat_fd;
    time_t last_beat;
    /* set by libgammu callbacks */
    int cmti;
    int send_status; /* -1 waiting, 0 ok, >0 error code */
    int send_ref;
    /* timers */
    long long next_sweep, next_release, next_status, next_clock, expect_reply_until;
    /* caps */
    long long minute_window[600];
    int minute_head, minute_count;
    int day_sent;
    char day[16];
    /* retries */
    struct outmsg *retry[WORKER_RETRY_MAX];
    int nretry;
    int recovered; /* own pending entries have been re-read */
    char last_error[160];
    char lock_key[CONFIG_VALUE_MAX + 32], lock_val[96];
    char state[12];
    unsigned char smsc[(GSM_MAX_NUMBER_LENGTH + 1) * 2]; /* SIM's SMSC, read once per connection */
    int locked;
    long long lock_refresh;
    /* USSD: set by on_ussd while ussd_waiting */
    char ussd_queue[64];
    int ussd_waiting, ussd_done, ussd_status;
    enum codec_ussd ussd_how;
    char ussd_text[WORKER_USSD_TEXT_MAX];
    /* credit check */
    regex_t balance_re;
    int balance_ready; /* balance_re compiled */
    long long next_balance;
    char staff[CONFIG_MAX_OFFICIALS][24]; /* who hears of low credit (normalised) */
    int nstaff;
    /* the AT transcript of a sweep (see "quarantine" below) */
    FILE *trace;
    char trace_path[CONFIG_NAME_MAX + 64];
    int tracing;
    int kept_malformed; /* the last message read was kept aside as malformed */
    int leave_on_sim;   /* the last location read is not an inbound message: not ours */
    /* replies first: locations +CMTI named (set by on_incoming_sms), and what was stored and
     * waits for its delete until its reply is out */
    struct sim_ref announced[WORKER_ANNOUNCED_MAX];
    int nannounced;
    struct sim_ref deferred[WORKER_DEFERRED_MAX];
    int ndeferred;
    long long delete_due; /* clock_mono_ms: the deferred deletes are done by then */
    int replied;          /* something was handed to the modem since the last store */
    int cmti_works;       /* +CMTI announced a location on this connection */
    int lanes_idle;       /* the last look at the lanes found nothing to send */
    /* health and the recovery ladder ("recovery" below) */
    int recovery_loaded;    /* the failure count was read from kt:modem:NAME */
    int fails;              /* consecutive failures (connect, no answer, connection lost) */
    int pending_step;       /* RECOVERY_RESET or RECOVERY_USB before/at the next connect */
    long long next_attempt; /* wall ms: the next connect attempt */
    long long up_since;     /* mono ms: when the modem last came up */
    int sim_usable;         /* the SIM answers: sweeps and sends may run */
    int sim_full;           /* storage used = size at the last check */
    /* a health check under way, one query per loop turn ("health" below) */
    int check_step;          /* CHECK_IDLE, or the query the next turn asks */
    const char *check_cond;  /* the condition found so far */
    int deferred_owed;       /* the first this many deferred deletes are due already */
    int check_full;          /* the check under way asks the whole network question */
    GSM_NetworkInfo netinfo; /* every GSM_GetNetworkInfo fills this one (see network_info) */
    int netinfo_set;         /* ... and did so on this connection */
};

/* The outcome of one USSD code. outcome: ok, refused (the network said no),
 * timeout, unreadable (a character set we cannot read), unsupported (the
 * modem or driver has no USSD), failed, down (modem lost), interrupted,
 * expired. */
struct ussd_result {
    const char *outcome;
    const char *how; /* how the answer was read (codec_ussd_text) */
    char answer[WORKER_USSD_TEXT_MAX];
    char error[320];
};

static int dummy_inbox_count(struct worker *w);
static int probe_echo(struct worker *w, const GSM_SMSMessage *sms);

static void on_signal(int sig)
{
    stop_flag = 1;
    /* A bound on stopping: a read inside libgammu that never returns (a
     * proxy's pipe) must not keep the worker alive for ever once its
     * gateway is gone. SIGALRM's default action ends the process; what was
     * in flight is recovered from Redis by the next worker. */
    alarm(WORKER_STOP_BOUND);
}

static void heartbeat(struct worker *w)
{
    time_t now = (time_t)(clock_mono_ms() / 1000);
    if (w->heartbeat_fd < 0 || now == w->last_beat)
        return;
    w->last_beat = now;
    /* 'u': alive with the modem connected and its state recorded as up in
     * Redis (the gateway is ready only then); 'h': alive, modem not up. */
    const char *beat = strcmp(w->state, "up") == 0 ? "u" : "h";
    if (write(w->heartbeat_fd, beat, 1) < 0 && errno != EAGAIN)
        w->heartbeat_fd = -1;
}

/* Sleeps ms in small steps, heartbeating, until stop. */
static void nap(struct worker *w, long long ms)
{
    long long end = clock_wall_ms() + ms;
    while (!stop_flag && clock_wall_ms() < end) {
        heartbeat(w);
        long long left = end - clock_wall_ms();
        struct timespec ts = {0, (left > 200 ? 200 : left) * 1000000L};
        if (left > 0)
            nanosleep(&ts, NULL);
    }
}

/* Today's date in WIB (UTC+7), the day per-day caps are counted in. */
static void wib_day(char *buf, size_t len)
{
    clock_wib_format(clock_wall_ms() / 1000, "%Y%m%d", buf, len);
}

/* ---- Redis ---- */

static void redis_drop(struct worker *w, const char *why)
{
    if (w->rc) {
        log_warnx("event=redis_lost modem=%s error=\"%s\"", w->name, why);
        redisFree(w->rc);
        w->rc = NULL;
    }
}

/* Runs a command; NULL (connection dropped) on any transport error. */
static redisReply *cmd_argv(struct worker *w, int argc, const char **argv)
{
    if (w->rc == NULL)
        return NULL;
    redisReply *r = redisCommandArgv(w->rc, argc, argv, NULL);
    if (r == NULL) {
        redis_drop(w, w->rc->errstr);
        return NULL;
    }
    return r;
}

static redisReply *cmd(struct worker *w, const char *fmt, ...)
{
    if (w->rc == NULL)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(w->rc, fmt, ap);
    va_end(ap);
    if (r == NULL)
        redis_drop(w, w->rc->errstr);
    return r;
}

/* Runs a command whose reply is not needed; 1 when Redis carried it out. */
static int cmd_ok(struct worker *w, const char *fmt, ...)
{
    if (w->rc == NULL)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(w->rc, fmt, ap);
    va_end(ap);
    if (r == NULL) {
        redis_drop(w, w->rc->errstr);
        return 0;
    }
    int ok = r->type != REDIS_REPLY_ERROR;
    freeReplyObject(r);
    return ok;
}

static int redis_up(struct worker *w)
{
    static int backoff;
    static long long next_try;
    if (w->rc)
        return 1;
    if (clock_wall_ms() < next_try)
        return 0;
    /* A refused login (wrong password, user disabled) is logged once, and
     * again only when Redis gives another reason; the retries back off. */
    static char auth_why[256];
    struct timeval tv = {2, 0};
    int refused;
    char why[256];
    redisContext *c = redisauth_connect(w->cfg, tv, &refused, why, sizeof(why));
    if (c == NULL) {
        backoff = backoff ? backoff * 2 : 1;
        if (backoff > WORKER_BACKOFF_MAX)
            backoff = WORKER_BACKOFF_MAX;
        next_try = clock_wall_ms() + backoff * 1000LL;
        log_debug("event=redis_connect_failed modem=%s error=\"%s\" retry_in=%ds", w->name,
                  c ? c->errstr : "oom", backoff);
        if (c)
            redisFree(c);
        next_try = clock_wall_ms() + backoff * 1000LL;
        if (refused && strcmp(auth_why, why) != 0)
            log_error("event=redis_auth_failed modem=%s redis=%s error=\"%s\" action=retry "
                      "note=\"check redis_user and redis_password_file against the Redis ACL; "
                      "logged once\"",
                      w->name, w->cfg->redis, why);
        else
            log_debug("event=redis_connect_failed modem=%s error=\"%s\" retry_in=%ds", w->name, why,
                      backoff);
        if (refused)
            snprintf(auth_why, sizeof(auth_why), "%s", why);
        return 0;
    }
    auth_why[0] = '\0';
    struct timeval ct = {10, 0};
    redisSetTimeout(c, ct);
    w->rc = c;
    redisReply *r = cmd(w, "FUNCTION LOAD REPLACE %s", store_library);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        log_error("event=redis_setup_failed modem=%s error=\"%s\"", w->name,
                  r ? r->str : "connection lost");
        freeReplyObject(r);
        redis_drop(w, "setup failed");
        next_try = clock_wall_ms() + 5000;
        return 0;
    }
    freeReplyObject(r);
    const char *lanes[] = {w->ussd_queue, w->own_lane, STORE_OUT_ANY, STORE_OUT_EMERG,
                           STORE_OUT_BULK};
    for (int i = 0; i < 5; i++)
        freeReplyObject(cmd(w, "XGROUP CREATE %s %s 0 MKSTREAM", lanes[i], STORE_OUT_GROUP));
    if (w->rc == NULL)
        return 0;
    backoff = 0;
    w->recovered = 0;
    log_info("event=redis_ready modem=%s", w->name);
    return 1;
}

static void set_status(struct worker *w, const char *field, const char *value)
{
    char key[64];
    snprintf(key, sizeof(key), "kt:modem:%s", w->name);
    freeReplyObject(cmd(w, "HSET %s %s %s updated %lld", key, field, value, clock_wall_ms()));
}

/* The test clock ([gateway] test_clock = 1): the offset a test set in
 * Redis moves this worker's calendar (quiet hours) as it moves the gateway's. */
static void read_test_clock(struct worker *w)
{
    redisReply *r = cmd(w, "GET %s", STORE_CLOCK);
    if (r && r->type == REDIS_REPLY_STRING)
        clock_set_offset(atoll(r->str));
    else if (r && r->type == REDIS_REPLY_NIL)
        clock_set_offset(0);
    freeReplyObject(r);
}

/* 1 for a state in which the modem is out of service: anything but up and
 * stopped (connecting, down, no_network, sim_pin, sim_puk, no_sim). */
static int state_out(const char *state)
{
    return state[0] && strcmp(state, "up") != 0 && strcmp(state, "stopped") != 0;
}

/* state is up, stopped, or one of the out states (state_out). state_since
 * is when the modem came up, or when its outage began: it does not move
 * while an outage goes from one out state to another (connecting, down,
 * connecting, ...), so the gateway's failover and its alert to the
 * coordinators (kt_failover, kt_modem_alert) measure the whole outage. */
static void set_state(struct worker *w, const char *state)
{
    if (strcmp(w->state, state) == 0)
        return;
    char key[64];
    snprintf(key, sizeof(key), "kt:modem:%s", w->name);
    redisReply *r;
    if (state_out(w->state) && state_out(state))
        r = cmd(w, "HSET %s state %s updated %lld pid %d", key, state, clock_wall_ms(),
                (int)getpid());
    else
        r = cmd(w, "HSET %s state %s state_since %lld updated %lld pid %d", key, state,
                clock_wall_ms(), clock_wall_ms(), (int)getpid());
    if (r)
        snprintf(w->state, sizeof(w->state), "%s", state);
    if (strcmp(state, "up") == 0)
        w->up_since = clock_mono_ms();
    freeReplyObject(r);
    log_info("event=modem_state modem=%s state=%s", w->name, state);
    w->last_beat = 0; /* tell the gateway at once */
    heartbeat(w);
}

/* One worker per modem, even across a gateway restart or a second gateway
 * configured with the same modem: the worker holds kt:lock:device:DEVICE
 * ("host:pid") while it runs. A holder on this host that no longer exists
 * (killed -9) is taken over at once; otherwise the lock lapses after
 * WORKER_LOCK_MS without refresh. */
static int modem_lock(struct worker *w)
{
    long long now = clock_wall_ms();
    if (w->locked && now < w->lock_refresh)
        return 1;
    redisReply *r;
    if (w->locked) {
        r = cmd(w, "GET %s", w->lock_key);
        int ours = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, w->lock_val) == 0;
        freeReplyObject(r);
        if (!ours) {
            if (w->rc)
                log_error("event=modem_lock_lost modem=%s", w->name);
            w->locked = 0;
            return 0;
        }
        freeReplyObject(cmd(w, "PEXPIRE %s %d", w->lock_key, WORKER_LOCK_MS));
        freeReplyObject(cmd(w, "HSET kt:modem:%s alive %lld", w->name, now));
        w->lock_refresh = now + 2000;
        return 1;
    }
    r = cmd(w, "SET %s %s NX PX %d", w->lock_key, w->lock_val, WORKER_LOCK_MS);
    int got = r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (!got) {
        r = cmd(w, "GET %s", w->lock_key);
        char host[64] = "";
        int pid = 0;
        if (r && r->type == REDIS_REPLY_STRING)
            sscanf(r->str, "%63[^:]:%d", host, &pid);
        freeReplyObject(r);
        char me[64] = "";
        gethostname(me, sizeof(me) - 1);
        if (pid > 0 && strcmp(host, me) == 0 && kill(pid, 0) != 0 && errno == ESRCH) {
            log_warnx("event=modem_lock_takeover modem=%s dead_pid=%d", w->name, pid);
            freeReplyObject(cmd(w, "DEL %s", w->lock_key));
        }
        return 0;
    }
    w->locked = 1;
    w->lock_refresh = now + 2000;
    freeReplyObject(cmd(w, "HSET kt:modem:%s alive %lld", w->name, now));
    return 1;
}

static void modem_unlock(struct worker *w)
{
    if (!w->locked)
        return;
    redisReply *r = cmd(w, "GET %s", w->lock_key);
    if (r && r->type == REDIS_REPLY_STRING && strcmp(r->str, w->lock_val) == 0)
        freeReplyObject(cmd(w, "DEL %s", w->lock_key));
    freeReplyObject(r);
    w->locked = 0;
}

/* ---- libgammu ---- */

/* +CMTI: "SM",N gives the folder (1 SIM, 3 phone memory) and the location N; the loop reads
 * that location alone. No location (a +CMT with the message itself, an unknown storage), or
 * too many at once: a full sweep. Only records: libgammu is not called from here. */
static void on_incoming_sms(GSM_StateMachine *s, GSM_SMSMessage *sms, void *user)
{
    struct worker *w = user;
    if (sms == NULL || sms->Location <= 0 || (sms->Folder != 1 && sms->Folder != 3) ||
        w->nannounced >= WORKER_ANNOUNCED_MAX) {
        w->cmti = 1;
        return;
    }
    for (int i = 0; i < w->nannounced; i++)
        if (w->announced[i].folder == sms->Folder && w->announced[i].location == sms->Location)
            return; /* announced twice (modems do): read once */
    w->announced[w->nannounced].folder = sms->Folder;
    w->announced[w->nannounced].location = sms->Location;
    w->announced[w->nannounced].raw = 0;
    w->nannounced++;
    w->cmti_works = 1;
}

static void on_send_status(GSM_StateMachine *s, int status, int ref, void *user)
{
    struct worker *w = user;
    w->send_status = status == 0 ? 0 : (status > 0 ? status : 1);
    w->send_ref = ref;
}

static size_t ucs2_units(const unsigned char *s, size_t max);

/* Only while one of our codes is open: an answer the network sends on its own
 * (a network-initiated USSD) is not ours to act on. Decoding is pure (no
 * libgammu call), so it may run here. */
static void on_ussd(GSM_StateMachine *s, GSM_USSDMessage *ussd, void *user)
{
    struct worker *w = user;
    if (!w->ussd_waiting || w->ussd_done)
        return;
    w->ussd_status = ussd->Status;
    w->ussd_how = codec_ussd_text(ussd->Text, ucs2_units(ussd->Text, GSM_MAX_USSD_LENGTH + 1),
                                  w->ussd_text, sizeof(w->ussd_text));
    w->ussd_done = 1;
}

static void trace_stop(struct worker *w);
static void refresh_status(struct worker *w);

static void gammu_close(struct worker *w)
{
    trace_stop(w);
    if (w->sm) {
        if (w->connected)
            GSM_TerminateConnection(w->sm);
        GSM_FreeStateMachine(w->sm);
        w->sm = NULL;
    }
    w->connected = 0;
    /* What was stored and not yet deleted is read again by the sweep after the next connect
     * (kt_ingest's dedupe answers it as a duplicate): a location is deleted only on the
     * connection that read it, never after another may have put a new message there. */
    w->ndeferred = 0;
    w->deferred_owed = 0;
    w->nannounced = 0;
    w->cmti_works = 0;
    w->check_step = 0; /* a check cut short by the close starts afresh after the connect */
    w->netinfo_set = 0;
}

static void remember_error(struct worker *w, const char *what, GSM_Error err)
{
    snprintf(w->last_error, sizeof(w->last_error), "%s: %s", what, GSM_ErrorString(err));
    log_warnx("event=modem_error modem=%s op=%s error=\"%s\"", w->name, what, GSM_ErrorString(err));
    set_status(w, "last_error", w->last_error);
}

/* Hands the modem's gammurc keys to libgammu through a private temporary
 * file: libgammu then reads them exactly as it reads a gammurc. */
static int gammu_open(struct worker *w)
{
    char path[] = "/tmp/kentongan-gammurc-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        log_warn("event=gammurc_failed modem=%s", w->name);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    fprintf(f, "[gammu]\n");
    for (int i = 0; i < w->mc->ngammu; i++)
        fprintf(f, "%s = %s\n", w->mc->gammu[i].key, w->mc->gammu[i].value);
    fclose(f);
    INI_Section *ini = NULL;
    GSM_Error err = INI_ReadFile(path, FALSE, &ini);
    unlink(path);
    if (err != ERR_NONE) {
        remember_error(w, "read_config", err);
        return -1;
    }
    w->sm = GSM_AllocStateMachine();
    err = GSM_ReadConfig(ini, GSM_GetConfig(w->sm, 0), 0);
    INI_Free(ini);
    if (err != ERR_NONE) {
        remember_error(w, "read_config", err);
        gammu_close(w);
        return -1;
    }
    GSM_Config *gc = GSM_GetConfig(w->sm, 0);
    if (gc->DebugFile && gc->DebugFile[0]) {
        /* logfile/logformat from the modem section: libgammu's own trace of
         * the AT dialogue, per modem. */
        GSM_Debug_Info *di = GSM_GetDebug(w->sm);
        GSM_SetDebugGlobal(FALSE, di);
        GSM_SetDebugFile(gc->DebugFile, di);
        GSM_SetDebugLevel(gc->DebugLevel[0] ? gc->DebugLevel : "text", di);
    }
    GSM_SetConfigNum(w->sm, 1);
    set_state(w, "connecting"); /* counts as not up: a hang here fails over too */
    err = GSM_InitConnection(w->sm, 1);
    if (err != ERR_NONE) {
        remember_error(w, "connect", err);
        gammu_close(w);
        return -1;
    }
    w->connected = 1;
    GSM_SetIncomingSMSCallback(w->sm, on_incoming_sms, w);
    GSM_SetSendSMSStatusCallback(w->sm, on_send_status, w);
    GSM_SetIncomingUSSDCallback(w->sm, on_ussd, w);
    if (!w->dummy) {
        err = GSM_SetIncomingSMS(w->sm, TRUE);
        if (err != ERR_NONE)
            log_info("event=no_cmti modem=%s note=\"relying on sweeps\" error=\"%s\"", w->name,
                     GSM_ErrorString(err));
    }
    memset(w->smsc, 0, sizeof(w->smsc));
    if (!w->mc->smsc[0] && !w->dummy) {
        GSM_SMSC smsc;
        memset(&smsc, 0, sizeof(smsc));
        smsc.Location = 1;
        if (GSM_GetSMSC(w->sm, &smsc) == ERR_NONE)
            memcpy(w->smsc, smsc.Number, sizeof(w->smsc));
    }
    log_info("event=modem_connected modem=%s", w->name);
    /* up only once the SIM and the network say so (refresh_status) */
    refresh_status(w);
    w->next_sweep = 0;
    w->next_status = clock_wall_ms() + w->mc->check_seconds * 1000LL;
    /* The first credit check soon, unless one was made recently (a restart
     * or reconnect does not dial the balance code again at once). */
    w->next_balance = clock_wall_ms() + WORKER_BALANCE_FIRST;
    if (w->mc->balance_code[0]) {
        redisReply *r = cmd(w, "HGET kt:modem:%s credit_checked", w->name);
        if (r && r->type == REDIS_REPLY_STRING) {
            long long due = atoll(r->str) + w->mc->balance_every * 1000LL;
            if (due > w->next_balance)
                w->next_balance = due;
        }
        freeReplyObject(r);
    }
    return 0;
}

/* ---- health: the SIM, the network, the storage ----
 *
 * Every check_seconds (and at each connect) the worker asks the modem for the
 * SIM's state (AT+CPIN?), the registration (AT+CREG?) and the storage
 * (AT+CPMS?), and records what it found in kt:modem:NAME:
 *
 *   state         up, or the condition that keeps the modem out of service:
 *                 no_sim (+CME ERROR: 10, SIM not inserted), sim_pin (the SIM
 *                 asks for its PIN), sim_puk (blocked, asks for the PUK),
 *                 no_network (AT+CREG: not registered, searching or denied)
 *   sim           ready, absent, pin, puk
 *   registration  home, roaming, none, searching, denied, unknown
 *   sim_full      1 while the storage is full (the network then keeps new
 *                 messages back); the modem still sends, so state stays up
 *
 * A modem that is not up takes nothing from the lanes (its own replies move
 * to the other modems after failover_seconds, kt_failover) and, without a
 * usable SIM, reads nothing from it either; it keeps checking and comes back
 * by itself when the condition clears. Each change is logged once
 * (event=modem_state, event=sim_full). The dummy driver has no SIM: it is
 * always up once connected.
 *
 * The periodic check is spread over loop turns, one question each (check_next), and waits
 * while a +CMTI is to be read: on a modem taking 100 ms per command the whole check holds it
 * about 0.5 s, which a resident's message arriving meanwhile would otherwise wait for. The state
 * changes only when the last answer is in, so a check cut short by a reply changes nothing
 * until it completes. */

static const char *registration_name(GSM_NetworkInfo_State st)
{
    switch (st) {
    case GSM_HomeNetwork:
        return "home";
    case GSM_RoamingNetwork:
        return "roaming";
    case GSM_NoNetwork:
        return "none";
    case GSM_RequestingNetwork:
        return "searching";
    case GSM_RegistrationDenied:
        return "denied";
    default:
        return "unknown";
    }
}

/* The SIM's condition: "up" (ready, or the modem cannot tell), "no_sim",
 * "sim_pin", "sim_puk"; NULL when the modem did not answer (the connection
 * checks deal with that). */
static const char *sim_condition(struct worker *w)
{
    GSM_SecurityCodeType sec = SEC_None;
    GSM_Error err = GSM_GetSecurityStatus(w->sm, &sec);
    const char *cond = "up", *sim = "ready";
    if (err == ERR_NOSIM) {
        cond = "no_sim", sim = "absent";
    } else if (err == ERR_NONE && (sec == SEC_Puk || sec == SEC_Puk2)) {
        cond = "sim_puk", sim = "puk";
    } else if (err == ERR_NONE && sec != SEC_None) {
        cond = "sim_pin", sim = "pin";
    } else if (err == ERR_TIMEOUT) {
        return NULL;
    }
    set_status(w, "sim", sim);
    return cond;
}

/* The health check asks the modem one question per call: SIM, signal, registration, storage,
 * each one libgammu request (AT+CPIN?, AT+CSQ, the registration queries, AT+CPMS?). The loop
 * calls it once a turn and not while a +CMTI waits to be read, so a resident's message waits
 * for one query at most, never for the whole check (~0.5 s on a modem taking 100 ms per
 * command). The state is set when the last answer is in. Returns 1 when the check is over. */
enum { CHECK_IDLE, CHECK_SIM, CHECK_SIGNAL, CHECK_NETWORK, CHECK_STORAGE };

/* The whole network question: libgammu 1.42 makes it nine exchanges (AT+CREG=2, AT+CGREG=2,
 * AT+CGATT?, AT+CREG?, AT+CGREG?, and AT+COPS twice each for the operator's code and name).
 * Always into w->netinfo: libgammu keeps the pointer it was last given, and its AT+CREG reply
 * handler writes through it (registration_only relies on that). */
static GSM_Error network_info(struct worker *w, GSM_NetworkInfo *ni)
{
    heartbeat(w);
    memset(&w->netinfo, 0, sizeof(w->netinfo));
    GSM_Error err = GSM_GetNetworkInfo(w->sm, &w->netinfo);
    w->netinfo_set = 1;
    *ni = w->netinfo;
    return err;
}

/* The registration alone, one exchange (AT+CREG?), for the periodic check: the reply goes to
 * libgammu's own handler, which writes the state into w->netinfo (the pointer the whole
 * question on this connection left it). The operator's code stays as the connect's check (or
 * the probe) read it. Falls back to the whole question before that, or without the AT
 * driver's reply table. */
static GSM_Error registration_only(struct worker *w, GSM_NetworkInfo *ni)
{
    if (!w->netinfo_set || w->dummy)
        return network_info(w, ni);
    heartbeat(w);
    int rc = rawat_command(w->sm, "AT+CREG?", WORKER_CREG_WAIT_S);
    if (rc < 0)
        return network_info(w, ni);
    *ni = w->netinfo;
    return (GSM_Error)rc;
}

static int check_next(struct worker *w)
{
    char buf[64];
    switch (w->check_step) {
    case CHECK_IDLE:
    case CHECK_SIM:
        w->check_cond = w->dummy ? "up" : sim_condition(w);
        if (w->check_cond == NULL) {
            w->check_step = CHECK_IDLE;
            return 1; /* no answer: a send or the next check finds out more */
        }
        w->sim_usable = strcmp(w->check_cond, "up") == 0;
        w->check_step = CHECK_SIGNAL;
        return 0;
    case CHECK_SIGNAL: {
        GSM_SignalQuality sq;
        if (GSM_GetSignalQuality(w->sm, &sq) == ERR_NONE) {
            snprintf(buf, sizeof(buf), "%d", sq.SignalPercent);
            set_status(w, "signal", buf);
        }
        w->check_step = w->sim_usable ? CHECK_NETWORK : CHECK_STORAGE;
        return 0;
    }
    case CHECK_NETWORK: {
        GSM_NetworkInfo ni;
        memset(&ni, 0, sizeof(ni));
        GSM_Error err = ERR_NOTCONNECTED;
        if (w->sim_usable)
            err = w->check_full ? network_info(w, &ni) : registration_only(w, &ni);
        if (err == ERR_NONE) {
            int registered = ni.State == GSM_HomeNetwork || ni.State == GSM_RoamingNetwork;
            set_status(w, "network", ni.NetworkCode);
            set_status(w, "registered", registered ? "1" : "0");
            set_status(w, "registration", registration_name(ni.State));
            if (!registered && !w->dummy)
                w->check_cond = "no_network";
        }
        w->check_step = CHECK_STORAGE;
        return 0;
    }
    default:
        break;
    }
    GSM_SMSMemoryStatus ms;
    int full = 0;
    if (w->dummy) {
        snprintf(buf, sizeof(buf), "%d", dummy_inbox_count(w));
        set_status(w, "sim_used", buf);
    } else if (w->sim_usable && GSM_GetSMSStatus(w->sm, &ms) == ERR_NONE) {
        snprintf(buf, sizeof(buf), "%d", ms.SIMUsed + ms.PhoneUsed);
        set_status(w, "sim_used", buf);
        snprintf(buf, sizeof(buf), "%d", ms.SIMSize + ms.PhoneSize);
        set_status(w, "sim_size", buf);
        full = ms.SIMSize > 0 && ms.SIMUsed >= ms.SIMSize;
        if (full != w->sim_full)
            log_warnx("event=sim_full modem=%s full=%d used=%d size=%d", w->name, full, ms.SIMUsed,
                      ms.SIMSize);
    }
    w->sim_full = full;
    set_status(w, "sim_full", full ? "1" : "0");
    snprintf(buf, sizeof(buf), "%d", w->day_sent);
    set_status(w, "sent_today", buf);
    snprintf(buf, sizeof(buf), "%d", (int)getpid());
    set_status(w, "pid", buf);
    w->check_step = CHECK_IDLE;
    set_state(w, w->check_cond);
    return 1;
}

/* The whole check at once: right after a connect, before anything else may use the modem. */
static void refresh_status(struct worker *w)
{
    w->check_step = CHECK_SIM;
    w->check_full = 1;
    while (!check_next(w))
        ;
    w->check_full = 0;
}

/* ---- recovery: the ladder for a modem that misbehaves ----
 *
 * A failure is a connect that fails, a send the modem never answered
 * (w->suspect), or the connection lost. Each one counts (kt:modem:NAME
 * fails, so a restarted worker goes on counting) and is followed by a
 * reconnect after a backoff of 1, 2, 4, ... seconds, at most
 * WORKER_BACKOFF_MAX. Every reset_after consecutive failures the modem is
 * reset once it answers again (reset = cfun: AT+CFUN=1,1, or the configured
 * command, said through libgammu's own command path, modems/rawat.c), and every usb_reset_after
 * failures, when usb_reset names the modem's USB device, the device is re-enumerated before the
 * next connect: 0 then 1 written to its sysfs `authorized` file, which needs no answer from the
 * modem. A send the network confirmed, or the modem up for WORKER_STABLE_MS, clears the count.
 * Every step is logged once (event=modem_recovery step=reconnect|reset|usb_reset) and counted in
 * kt:modem:NAME (recover_reconnect, recover_reset, recover_usb_reset). */

enum { RECOVERY_NONE, RECOVERY_RESET, RECOVERY_USB };

static void recovery_count(struct worker *w, const char *step)
{
    freeReplyObject(cmd(w, "HINCRBY kt:modem:%s recover_%s 1", w->name, step));
    set_status(w, "last_recovery", step);
}

static const char *recovery_step_name(int step)
{
    return step == RECOVERY_USB ? "usb_reset" : step == RECOVERY_RESET ? "reset" : "reconnect";
}

/* The step the failure count calls for before (USB) or at (reset) the next
 * connect: every usb_reset_after failures the USB device (when configured),
 * else every reset_after the modem; a step already due stays due. */
static void recovery_plan(struct worker *w)
{
    if (w->mc->usb_reset[0] && w->fails % w->mc->usb_reset_after == 0)
        w->pending_step = RECOVERY_USB;
    else if (strcmp(w->mc->reset, "none") != 0 && w->fails % w->mc->reset_after == 0 &&
             w->pending_step == RECOVERY_NONE)
        w->pending_step = RECOVERY_RESET;
}

/* Reads the failure count a previous worker left; a worker that died while
 * connecting (killed for hanging there) counts as one more failure. */
static void recovery_load(struct worker *w)
{
    redisReply *r = cmd(w, "HMGET kt:modem:%s fails state", w->name);
    if (r == NULL)
        return;
    w->recovery_loaded = 1;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        if (r->element[0]->type == REDIS_REPLY_STRING)
            w->fails = atoi(r->element[0]->str);
        if (r->element[1]->type == REDIS_REPLY_STRING && state_out(r->element[1]->str))
            /* the outage goes on: state_since stays where it began */
            snprintf(w->state, sizeof(w->state), "%s", r->element[1]->str);
    }
    freeReplyObject(r);
    if (strcmp(w->state, "connecting") == 0) {
        /* killed while connecting (hang_seconds): a connect that failed */
        w->fails++;
        freeReplyObject(cmd(w, "HSET kt:modem:%s fails %d", w->name, w->fails));
        recovery_plan(w);
        log_warnx("event=modem_recovery modem=%s step=restart failures=%d cause=died_connecting "
                  "next=%s",
                  w->name, w->fails, recovery_step_name(w->pending_step));
    }
}

static void recovery_failed(struct worker *w, const char *cause)
{
    w->fails++;
    freeReplyObject(cmd(w, "HSET kt:modem:%s fails %d", w->name, w->fails));
    int shift = w->fails - 1 < 5 ? w->fails - 1 : 5;
    long long backoff = 1000LL << shift;
    if (backoff > WORKER_BACKOFF_MAX * 1000LL)
        backoff = WORKER_BACKOFF_MAX * 1000LL;
    w->next_attempt = clock_wall_ms() + backoff;
    recovery_plan(w);
    recovery_count(w, "reconnect");
    log_warnx("event=modem_recovery modem=%s step=reconnect failures=%d cause=%s retry_in_ms=%lld "
              "next=%s",
              w->name, w->fails, cause, backoff, recovery_step_name(w->pending_step));
}

/* The modem works: a send was confirmed, or it has been up long enough. */
static void recovery_ok(struct worker *w)
{
    if (w->fails == 0)
        return;
    log_info("event=modem_recovered modem=%s failures=%d", w->name, w->fails);
    w->fails = 0;
    w->pending_step = RECOVERY_NONE;
    freeReplyObject(cmd(w, "HSET kt:modem:%s fails 0", w->name));
}

/* Writes one value to the device's sysfs authorized file: 0 detaches the
 * device, 1 lets the kernel enumerate it again (as unplugging and plugging
 * it does). 0 or -1 with the reason in why. */
static int usb_authorize(const char *path, const char *value, char *why, size_t len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, len, "open %s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = write(fd, value, 1);
    int saved = errno;
    close(fd);
    if (n != 1) {
        snprintf(why, len, "write %s to %s: %s", value, path, strerror(saved));
        return -1;
    }
    return 0;
}

static void recovery_usb(struct worker *w)
{
    char path[CONFIG_VALUE_MAX], why[CONFIG_VALUE_MAX + 64] = "";
    snprintf(path, sizeof(path), "%s/authorized", w->mc->usb_reset);
    int rc = usb_authorize(path, "0", why, sizeof(why));
    if (rc == 0) {
        nap(w, WORKER_USB_OFF_MS);
        rc = usb_authorize(path, "1", why, sizeof(why));
    }
    recovery_count(w, "usb_reset");
    if (rc == 0)
        log_warnx("event=modem_recovery modem=%s step=usb_reset failures=%d device=%s result=ok",
                  w->name, w->fails, w->mc->usb_reset);
    else
        log_error("event=modem_recovery modem=%s step=usb_reset failures=%d device=%s "
                  "result=failed error=\"%s\"",
                  w->name, w->fails, w->mc->usb_reset, why);
    w->next_attempt = clock_wall_ms() + WORKER_RESET_SETTLE_MS;
}

/* On a connection just opened: resets the modem; it then restarts, so the
 * connection is closed and opened again after WORKER_RESET_SETTLE_MS. */
static void recovery_reset(struct worker *w)
{
    const char *command = strcmp(w->mc->reset, "cfun") == 0 ? "AT+CFUN=1,1" : w->mc->reset;
    int err = rawat_command(w->sm, command, WORKER_RESET_WAIT_S);
    recovery_count(w, "reset");
    if (err == ERR_NONE)
        log_warnx("event=modem_recovery modem=%s step=reset failures=%d command=%s result=ok",
                  w->name, w->fails, command);
    else
        log_error("event=modem_recovery modem=%s step=reset failures=%d command=%s result=failed "
                  "error=\"%s\"",
                  w->name, w->fails, command,
                  err < 0 ? "not an AT modem" : GSM_ErrorString((GSM_Error)err));
    gammu_close(w);
    set_state(w, "down");
    w->next_attempt = clock_wall_ms() + WORKER_RESET_SETTLE_MS;
}

/* ---- receive ---- */

static size_t ucs2_units(const unsigned char *s, size_t max)
{
    size_t n = 0;
    while (n < max && (s[2 * n] || s[2 * n + 1]))
        n++;
    return n;
}

/* The dummy driver answers storage questions by probing every possible
 * location file (tens of milliseconds per folder); its inbox folders are
 * plain directories, so count their files instead. */
static int dummy_inbox_count(struct worker *w)
{
    const char *dev = modem_gammu(w->mc, "device");
    int n = 0;
    for (int folder = 1; folder <= 3; folder += 2) {
        char path[CONFIG_VALUE_MAX + 16];
        snprintf(path, sizeof(path), "%s/sms/%d", dev ? dev : ".", folder);
        DIR *d = opendir(path);
        if (d == NULL)
            continue;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            n += de->d_name[0] != '.';
        closedir(d);
    }
    return n;
}

void worker_inbound(const GSM_SMSMessage *sms, struct worker_inbound *in)
{
    memset(in, 0, sizeof(*in));
    codec_ucs2_to_utf8(sms->Number, ucs2_units(sms->Number, GSM_MAX_NUMBER_LENGTH), in->from,
                       sizeof(in->from));
    if (sms->Coding == SMS_Coding_8bit) {
        in->coding = "8bit";
        size_t n = sms->Length > 0 && sms->Length <= GSM_MAX_SMS_LENGTH ? (size_t)sms->Length : 0;
        codec_hex(sms->Text, n, in->data, sizeof(in->data));
    } else {
        in->coding = sms->Coding == SMS_Coding_Default_No_Compression ? "gsm7" : "ucs2";
        codec_ucs2_to_utf8(sms->Text, ucs2_units(sms->Text, GSM_MAX_SMS_LENGTH), in->text,
                           sizeof(in->text));
    }
    textsafe_clean_line(in->from); /* controls, C1 and bidi overrides go at the edge */
    textsafe_clean(in->text);
    const GSM_DateTime *dt = &sms->DateTime;
    snprintf(in->smsc_time, sizeof(in->smsc_time), "%04d%02d%02d%02d%02d%02d%+03d",
             dt->Year % 10000, dt->Month % 100, dt->Day % 100, dt->Hour % 100, dt->Minute % 100,
             dt->Second % 100, dt->Timezone / 3600 % 100);
    if (sms->UDH.Type != UDH_NoUDH && sms->UDH.Length > 0 && sms->UDH.Length <= GSM_MAX_UDH_LENGTH)
        codec_hex(sms->UDH.Text, (size_t)sms->UDH.Length, in->udh, sizeof(in->udh));

    in->part = in->total = 1;
    in->ref = -1;
    if ((sms->UDH.Type == UDH_ConcatenatedMessages ||
         sms->UDH.Type == UDH_ConcatenatedMessages16bit) &&
        sms->UDH.AllParts > 1 && sms->UDH.PartNumber >= 1 &&
        sms->UDH.PartNumber <= sms->UDH.AllParts) {
        in->part = sms->UDH.PartNumber;
        in->total = sms->UDH.AllParts;
        in->bits = sms->UDH.Type == UDH_ConcatenatedMessages16bit ? 16 : 8;
        in->ref = in->bits == 16 ? sms->UDH.ID16bit : sms->UDH.ID8bit;
    }

    /* An official's "PIN nnnn" never reaches Redis or a log: it leaves the
     * text here and goes on as its salted digest (gateway/pin.h). */
    pin_take(in->text, in->from, in->part < in->total, in->pin);

    /* The content key: the same message read twice hashes the same. */
    unsigned long long h = STORE_HASH_INIT;
    h = store_hash(h, in->from, strlen(in->from) + 1);
    h = store_hash(h, in->smsc_time, strlen(in->smsc_time) + 1);
    h = store_hash(h, in->udh, strlen(in->udh) + 1);
    h = store_hash(h, in->text, strlen(in->text) + 1);
    if (in->pin[0]) /* PIN-less messages keep the content keys they always had */
        h = store_hash(h, in->pin, strlen(in->pin) + 1);
    in->content = store_hash(h, in->data, strlen(in->data) + 1);
    /* The group key: every part of one long message, and only those. */
    char gid[96];
    snprintf(gid, sizeof(gid), "%s|%d|%d|%d", in->from, in->bits, in->ref, in->total);
    in->group = store_hash(STORE_HASH_INIT, gid, strlen(gid));
}

/* ---- delivery reports ---- */

int worker_wants_report(const char *setting, const char *origin)
{
    if (strcmp(setting, "1") == 0)
        return 1;
    return strcmp(setting, "broadcasts") == 0 && strncmp(origin, "bc:", 3) == 0;
}

const char *worker_report_outcome(int tp_status)
{
    if (tp_status >= 0x00 && tp_status <= 0x1F)
        return "delivered";
    if (tp_status >= 0x20 && tp_status <= 0x3F)
        return "pending";
    return "undelivered";
}

/* Remembers which part went out with reference mr, so its report can be
 * matched (kt_report); best effort: a lost entry only leaves a report unmatched. */
static void report_expect(struct worker *w, const struct outmsg *m, const char *to, int mr,
                          int part, int total)
{
    if (mr < 0 || w->dummy || !worker_wants_report(w->mc->delivery_reports, m->origin))
        return;
    cmd_ok(w, "SET kt:mr:%s:%d %s|%s|%s|%s|%d|%d EX %d", w->name, mr, m->lane, m->id, m->origin, to,
           part, total, STORE_MR_TTL);
}

/* Records one status report read from the SIM; 0 done (it may go), -1 Redis away. */
static int report_record(struct worker *w, const GSM_SMSMessage *sms)
{
    char raw[64], to[64], key[96], mr[16], st[16], now[24];
    codec_ucs2_to_utf8(sms->Number, ucs2_units(sms->Number, GSM_MAX_NUMBER_LENGTH), raw,
                       sizeof(raw));
    if (phone_normalise(raw, to, sizeof(to)) != PHONE_MOBILE)
        snprintf(to, sizeof(to), "%s", raw);
    snprintf(key, sizeof(key), "kt:mr:%s:%d", w->name, sms->MessageReference & 0xFF);
    snprintf(mr, sizeof(mr), "%d", sms->MessageReference & 0xFF);
    snprintf(st, sizeof(st), "%d", sms->DeliveryStatus);
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    const char *outcome = worker_report_outcome(sms->DeliveryStatus);
    const char *argv[] = {"FCALL", "kt_report", "2",     key, STORE_REPORTS, w->name, mr,
                          to,      st,          outcome, now};
    redisReply *r = cmd_argv(w, (int)(sizeof(argv) / sizeof(argv[0])), argv);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        if (r)
            log_error("event=report_failed modem=%s error=\"%s\"", w->name, reply_why(r));
        freeReplyObject(r);
        return -1;
    }
    char masked[32];
    static const char *const results[] = {"unmatched", "recorded", "duplicate", "pending"};
    log_info("event=delivery_report modem=%s to=%s mr=%s status=0x%02X outcome=%s result=%s",
             w->name, log_phone(to, masked, sizeof(masked)), mr, sms->DeliveryStatus & 0xFF,
             outcome, r->integer >= 0 && r->integer <= 3 ? results[r->integer] : "?");
    freeReplyObject(r);
    return 0;
}

/* Stores one SIM message in Redis; 0 stored (or already stored), -1 error. */
static int ingest(struct worker *w, GSM_SMSMessage *sms)
{
    struct worker_inbound *in = &w->inbound; /* ~10 KB: not on the stack */
    worker_inbound(sms, in);
    const char *from = in->from, *coding = in->coding, *smsc_time = in->smsc_time;
    const char *text = in->text, *data = in->data, *udh = in->udh;
    int part = in->part, total = in->total;
    char seen[96], partkey[96], zkey[64];
    snprintf(seen, sizeof(seen), "kt:seen:%s:%016llx", w->name, in->content);
    snprintf(partkey, sizeof(partkey), "kt:part:%s:%016llx", w->name, in->group);
    snprintf(zkey, sizeof(zkey), "kt:parts:%s", w->name);

    char ttl[16], partno[16], ntotal[16], now[24];
    snprintf(ttl, sizeof(ttl), "%d", w->cfg->dedupe_ttl);
    snprintf(partno, sizeof(partno), "%d", part);
    snprintf(ntotal, sizeof(ntotal), "%d", total);
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    const char *argv[] = {"FCALL",   "kt_ingest", "4",    seen, STORE_IN, partkey, zkey,
                          ttl,       partno,      ntotal, now,  w->name,  from,    coding,
                          smsc_time, text,        data,   udh,  in->pin};
    redisReply *r = cmd_argv(w, (int)(sizeof(argv) / sizeof(argv[0])), argv);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        if (r)
            log_error("event=ingest_failed modem=%s error=\"%s\"", w->name, reply_why(r));
        freeReplyObject(r);
        return -1;
    }
    char masked[32];
    log_info("event=received modem=%s from=%s coding=%s part=%d/%d result=%s", w->name,
             log_phone(from, masked, sizeof(masked)), coding, part, total,
             r->integer == 0   ? "duplicate"
             : r->integer == 1 ? "queued"
                               : "part_stored");
    freeReplyObject(r);
    return 0;
}

/* ---- quarantine ----
 *
 * One message on the SIM must never silence a modem. libgammu 1.42 decodes a whole SIM
 * listing (AT+CMGL) and hands messages back one by one; a PDU whose lengths lie stops that
 * with an error ("Corrupted data", "Unknown error") and, for some, smashes libgammu's stack.
 * So the sweep:
 *   - keeps the modem's side of the dialogue while it reads (libgammu's binary debug trace of
 *     the frames it receives, in a private file of this worker): the raw PDU of any location
 *     can be found there without decoding it again (pdu_transcript_find);
 *   - before each libgammu call that decodes, records in Redis (kt:decoding:MODEM) the
 *     location it is about to decode, or the last one it read ("after"), with the trace's
 *     path; a worker that dies there leaves the record behind, and the next worker keeps that
 *     location aside WITHOUT decoding it (at most one more crash), then deletes it;
 *   - when libgammu fails on a location, reads that location alone (AT+CMGR; a line glitch in
 *     a long listing decodes fine alone) and, failing again, keeps its PDU aside and moves on;
 *   - checks every PDU it stores with its own parser (modems/pdu.h): a malformed one is kept
 *     aside even when libgammu decoded something from it, and messages a phone handles by
 *     itself (flash, WAP push, MMS notification, voicemail and other message-waiting
 *     indications, SIM data download, type 0) are kept aside with their kind, never answered.
 * Kept aside means one entry on kt:quarantine (modem, location, kind, reason, the PDU hex or
 * the dummy driver's file, time), counted in kt:stats and logged once, then deleted from the
 * SIM. A modem with a logfile of its own keeps that log: its sweeps are not traced, so a
 * failed location is kept aside without its PDU. */

/* Deletes one location; a malformed one without libgammu reading it first (rawat.h). */
static void sim_delete(struct worker *w, const struct sim_ref *ref)
{
    heartbeat(w);
    int rc = ref->raw && !w->dummy && ref->folder <= 1 ? rawat_delete(w->sm, ref->location) : -1;
    if (rc == ERR_NONE || rc == ERR_EMPTY)
        return;
    if (rc >= 0) {
        remember_error(w, "delete_sms", (GSM_Error)rc);
        return;
    }
    GSM_SMSMessage sms;
    memset(&sms, 0, sizeof(sms));
    sms.Folder = ref->folder;
    sms.Location = ref->location;
    GSM_Error err = GSM_DeleteSMS(w->sm, &sms);
    if (err != ERR_NONE && err != ERR_EMPTY)
        remember_error(w, "delete_sms", err);
}

/* "DIR/kentongan-trace-REDIS-MODEM-": REDIS tells kentongans on one host apart (8 hex digits
 * of a hash of the redis setting), so that one never reads or removes another's transcripts
 * of a modem with the same name. Returns the length. */
static int trace_prefix(const struct worker *w, char *out, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *c = w->cfg->redis; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return snprintf(out, len, "%s/%s%08x-%s-", WORKER_TRACE_DIR, WORKER_TRACE_NAME, (unsigned)h,
                    w->name);
}

/* The pid in a transcript's name when path names one of this modem's workers'
 * (trace_prefix, then "PID-XXXXXX"), else 0. The record in Redis is data: only
 * such a file is read or removed. */
static long trace_ours(const struct worker *w, const char *path)
{
    char prefix[CONFIG_NAME_MAX + 64];
    int n = trace_prefix(w, prefix, sizeof(prefix));
    if (strncmp(path, prefix, (size_t)n) != 0)
        return 0;
    const char *p = path + n;
    size_t digits = strspn(p, "0123456789");
    if (digits == 0 || digits > 10 || p[digits] != '-' || strlen(p + digits + 1) != 6 ||
        strchr(p + digits + 1, '/') != NULL)
        return 0;
    return strtol(p, NULL, 10);
}

/* Removes transcripts that dead workers of this modem left (killed outside a sweep's record).
 * Another kentongan on this host may drive a modem of the same name: a transcript whose
 * worker still runs is never touched. */
static void trace_sweep_old(struct worker *w)
{
    DIR *d = opendir(WORKER_TRACE_DIR);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char path[CONFIG_NAME_MAX + 320];
        snprintf(path, sizeof(path), "%s/%s", WORKER_TRACE_DIR, de->d_name);
        long pid = trace_ours(w, path);
        if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            unlink(path);
    }
    closedir(d);
}

/* Starts (fresh: truncating the file) or continues the transcript; 0 tracing, -1 not. */
static int trace_start(struct worker *w, int fresh)
{
    GSM_Config *gc = GSM_GetConfig(w->sm, 0);
    if (w->dummy || (gc->DebugFile && gc->DebugFile[0]))
        return -1;
    if (w->trace == NULL) {
        trace_sweep_old(w);
        int n = trace_prefix(w, w->trace_path, sizeof(w->trace_path));
        snprintf(w->trace_path + n, sizeof(w->trace_path) - (size_t)n, "%ld-XXXXXX",
                 (long)getpid());
        int fd = mkstemp(w->trace_path);
        if (fd < 0) {
            w->trace_path[0] = '\0';
            return -1;
        }
        fcntl(fd, F_SETFL, O_APPEND);
        w->trace = fdopen(fd, "a");
        if (w->trace == NULL) {
            close(fd);
            unlink(w->trace_path);
            w->trace_path[0] = '\0';
            return -1;
        }
        setvbuf(w->trace, NULL, _IONBF, 0); /* on disk at once: it must outlive a crash */
    }
    if (fresh && ftruncate(fileno(w->trace), 0) != 0)
        return -1;
    GSM_Debug_Info *di = GSM_GetDebug(w->sm);
    GSM_SetDebugGlobal(FALSE, di);
    GSM_SetDebugFileDescriptor(w->trace, FALSE, di);
    GSM_SetDebugLevel("binary", di);
    w->tracing = 1;
    return 0;
}

static void trace_stop(struct worker *w)
{
    if (w->tracing && w->sm)
        GSM_SetDebugLevel("nothing", GSM_GetDebug(w->sm));
    w->tracing = 0;
}

/* Reads a transcript file (at most WORKER_TRACE_MAX bytes); NULL when there is none. */
static char *trace_read(const char *path, size_t *len)
{
    *len = 0;
    if (path == NULL || path[0] == '\0')
        return NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(WORKER_TRACE_MAX + 1);
    if (buf) {
        *len = fread(buf, 1, WORKER_TRACE_MAX, f);
        buf[*len] = '\0'; /* a number at its very end is read with strtol */
    }
    fclose(f);
    return buf;
}

/* The PDU hex of location as the modem wrote it during this sweep; "" when unknown. */
static void trace_pdu(const char *path, int location, char *hex, size_t len)
{
    size_t n;
    char *buf = trace_read(path, &n);
    hex[0] = '\0';
    if (buf == NULL || pdu_transcript_find(buf, n, location, hex, len) != 0)
        hex[0] = '\0';
    free(buf);
}

/* The dummy driver's file for a location, as text (control characters escaped). */
static void dummy_file(struct worker *w, int folder, int location, char *out, size_t len)
{
    const char *dev = modem_gammu(w->mc, "device");
    char path[CONFIG_VALUE_MAX + 32], raw[WORKER_RAW_MAX];
    snprintf(path, sizeof(path), "%s/sms/%d/%d", dev ? dev : ".", folder, location);
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return;
    size_t n = fread(raw, 1, sizeof(raw) - 1, f);
    fclose(f);
    raw[n] = '\0';
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c == '\n' || (c >= 0x20 && c != 0x7F && c != '\\'))
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
    }
    out[o] = '\0';
}

/* Text shown to staff: NIK/KK masked, control characters as \xNN (never raw to a terminal). */
static void preview_of(const char *text, char *out, size_t len)
{
    char masked[WORKER_PREVIEW_MAX * 2];
    privacy_mask(text, masked, sizeof(masked));
    size_t o = 0;
    for (size_t i = 0; masked[i] && o + 5 < len && o < WORKER_PREVIEW_MAX; i++) {
        unsigned char c = (unsigned char)masked[i];
        if (c < 0x20 || c == 0x7F || c == '\\')
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    /* never end inside a UTF-8 sequence */
    while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
        o--;
    if (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0)
        o--;
    out[o] = '\0';
}

/* Records which location the next libgammu call decodes (loc), or the last it read (after:
 * the call decodes the next one listed); 0 recorded, -1 Redis away (read nothing then). */
static int decoding_mark(struct worker *w, int folder, int loc, int after)
{
    return cmd_ok(w, "HSET %s%s folder %d loc %d after %d trace %s at %lld pid %d", STORE_DECODING,
                  w->name, folder, loc, after, w->trace_path[0] ? w->trace_path : "-",
                  clock_wall_ms(), (int)getpid())
               ? 0
               : -1;
}

/* 0 cleared, -1 Redis away. */
static int decoding_clear(struct worker *w)
{
    return cmd_ok(w, "DEL %s%s", STORE_DECODING, w->name) ? 0 : -1;
}

/* Keeps one SIM message aside: kind "malformed" (reason why) or a special kind (reason =
 * kind). 0 kept (or kept before), -1 Redis away. */
static int quarantine(struct worker *w, int folder, int location, const char *kind,
                      const char *reason, const char *error, const char *pdu, const char *file,
                      const char *from, const char *preview)
{
    char seen[96], ttl[16], sfolder[16], sloc[16], at[24];
    unsigned long long h = STORE_HASH_INIT;
    h = store_hash(h, pdu, strlen(pdu) + 1);
    h = store_hash(h, file, strlen(file) + 1);
    h = store_hash(h, from, strlen(from) + 1);
    h = store_hash(h, preview, strlen(preview) + 1);
    if (!pdu[0] && !file[0] && !preview[0]) /* nothing to tell it by: the location and time */
        h = store_hash(h, &location, sizeof(location)) ^ (unsigned long long)clock_wall_ms();
    snprintf(seen, sizeof(seen), "kt:qseen:%s:%016llx", w->name, h);
    snprintf(ttl, sizeof(ttl), "%d", w->cfg->dedupe_ttl);
    snprintf(sfolder, sizeof(sfolder), "%d", folder);
    snprintf(sloc, sizeof(sloc), "%d", location);
    snprintf(at, sizeof(at), "%lld", clock_wall_ms());
    const char *argv[] = {"FCALL", "kt_quarantine",
                          "2",     STORE_QUARANTINE,
                          seen,    ttl,
                          w->name, sfolder,
                          sloc,    kind,
                          reason,  error,
                          pdu,     file,
                          from,    preview,
                          at};
    redisReply *r = cmd_argv(w, (int)(sizeof(argv) / sizeof(argv[0])), argv);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        if (r)
            log_error("event=quarantine_failed modem=%s error=\"%s\"", w->name,
                      r->str ? r->str : "unexpected reply");
        freeReplyObject(r);
        return -1;
    }
    char masked[32];
    if (r->integer == 1 && strcmp(kind, "malformed") == 0)
        log_warnx("event=sms_quarantined modem=%s location=%d reason=%s error=\"%s\" "
                  "pdu_octets=%zu",
                  w->name, location, reason, error, strlen(pdu) / 2);
    else if (r->integer == 1)
        log_info("event=sms_special modem=%s location=%d kind=%s from=%s", w->name, location, kind,
                 log_phone(from, masked, sizeof(masked)));
    else
        log_debug("event=sms_quarantined_again modem=%s location=%d reason=%s", w->name, location,
                  reason);
    freeReplyObject(r);
    w->kept_malformed = strcmp(kind, "malformed") == 0;
    return 0;
}

/* One decoded inbox message: stored for the router, kept aside as special or malformed (its
 * own PDU checked when the transcript has it), or matched as a delivery report. 0 done (it
 * may be deleted), -1 Redis away. */
static int take_message(struct worker *w, GSM_SMSMessage *sms)
{
    if (sms->PDU == SMS_Status_Report)
        return report_record(w, sms);
    char hex[WORKER_RAW_MAX] = "";
    if (w->tracing)
        trace_pdu(w->trace_path, sms->Location, hex, sizeof(hex));
    enum pdu_kind kind = PDU_KIND_TEXT;
    if (hex[0]) {
        unsigned char tpdu[PDU_MAX];
        struct pdu_info info;
        int n = pdu_from_hex(hex, 1, tpdu, sizeof(tpdu));
        if (n < 0 || pdu_inspect(tpdu, (size_t)n, &info) != 0) {
            const char *reason = n < 0 ? "not_hex" : info.reason;
            if (n >= 0 && info.mti != 0 && info.mti != 2)
                reason = "reserved_type";
            return quarantine(w, sms->Folder, sms->Location, "malformed", reason,
                              "libgammu decoded it; its lengths do not fit", hex, "", "", "");
        }
        kind = info.kind;
    } else {
        size_t udh = sms->UDH.Type != UDH_NoUDH && sms->UDH.Length > 0 &&
                             sms->UDH.Length <= GSM_MAX_UDH_LENGTH
                         ? (size_t)sms->UDH.Length
                         : 0;
        size_t body =
            sms->Coding == SMS_Coding_8bit && sms->Length > 0 && sms->Length <= GSM_MAX_SMS_LENGTH
                ? (size_t)sms->Length
                : 0;
        kind = pdu_kind_of(sms->Class, udh ? sms->UDH.Text : NULL, udh, sms->Text, body);
    }
    if (kind == PDU_KIND_TEXT) {
        int echo = probe_echo(w, sms); /* the installer's test SMS: never for the router */
        if (echo != 1)
            return echo;
    }
    if (kind == PDU_KIND_TEXT || kind == PDU_KIND_STATUS_REPORT)
        return ingest(w, sms);
    struct worker_inbound *in = &w->inbound;
    worker_inbound(sms, in);
    char preview[WORKER_PREVIEW_MAX * 4 + 8], file[WORKER_RAW_MAX * 4] = "";
    preview_of(in->text[0] ? in->text : in->data, preview, sizeof(preview));
    if (w->dummy)
        dummy_file(w, sms->Folder, sms->Location, file, sizeof(file));
    if (in->pin[0]) {
        /* An official's PIN never reaches Redis: the raw message held it, the preview does
         * not (worker_inbound took it out). */
        hex[0] = file[0] = '\0';
    }
    return quarantine(w, sms->Folder, sms->Location, pdu_kind_name(kind), pdu_kind_name(kind),
                      in->pin[0] ? "raw message not kept: it held a PIN" : "", hex, file, in->from,
                      preview);
}

/* A location libgammu failed on (first) is read alone; if that fails too, it is kept aside
 * with its PDU from the transcript. 0 done (it may be deleted), -1 Redis away. */
static int read_alone(struct worker *w, int folder, int location, int after, GSM_Error first)
{
    if (decoding_mark(w, folder, location, after) != 0)
        return -1;
    memset(w->multi, 0, sizeof(*w->multi));
    w->multi->Number = 1;
    w->multi->SMS[0].Folder = folder;
    w->multi->SMS[0].Location = location;
    heartbeat(w);
    GSM_Error err = GSM_GetSMS(w->sm, w->multi);
    decoding_clear(w); /* decoded, or failed without dying: the record has done its job */
    int rc;
    if (err == ERR_NONE && w->multi->Number < 1)
        err = ERR_CORRUPTED;
    if (err == ERR_NONE && !w->multi->SMS[0].InboxFolder) {
        w->leave_on_sim = 1; /* a message of our own (sent or draft): not ours to touch */
        rc = 0;
    } else if (err == ERR_NONE) {
        GSM_SMSMessage *sms = &w->multi->SMS[0];
        sms->Folder = folder;
        sms->Location = location;
        rc = take_message(w, sms);
    } else {
        GSM_Error why = err != ERR_NONE ? err : first;
        char hex[WORKER_RAW_MAX] = "", file[WORKER_RAW_MAX * 4] = "";
        const char *reason = "decode_error";
        if (w->tracing)
            trace_pdu(w->trace_path, location, hex, sizeof(hex));
        if (w->dummy)
            dummy_file(w, folder, location, file, sizeof(file));
        unsigned char tpdu[PDU_MAX];
        struct pdu_info info;
        int n = hex[0] ? pdu_from_hex(hex, 1, tpdu, sizeof(tpdu)) : 0;
        if (n < 0)
            reason = "not_hex";
        else if (n > 0 && pdu_inspect(tpdu, (size_t)n, &info) != 0)
            reason = info.reason;
        if (n > 0 && (tpdu[0] & 0x03) == 1) {
            /* an SMS-SUBMIT: a message stored to be sent, never one we received */
            log_debug("event=sim_submit_left modem=%s location=%d", w->name, location);
            w->leave_on_sim = 1;
            rc = 0;
        } else {
            rc = quarantine(w, folder, location, "malformed", reason, GSM_ErrorString(why), hex,
                            file, "", "");
        }
    }
    /* GSM_GetNextSMS continues after SMS[0]'s folder and location */
    memset(w->multi, 0, sizeof(*w->multi));
    w->multi->SMS[0].Folder = folder;
    w->multi->SMS[0].Location = location;
    return rc;
}

/* A worker that died while decoding left kt:decoding:MODEM behind: the location it named (or
 * the one listed after the one it named as read) is kept aside without being decoded, then
 * deleted. 0 done (or nothing to do), -1 Redis away. */
static int recover_decoding(struct worker *w)
{
    redisReply *r = cmd(w, "HMGET %s%s folder loc after trace pid", STORE_DECODING, w->name);
    if (r == NULL)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 5 ||
        r->element[1]->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        return 0;
    }
    /* A record of this very worker was left by a Redis that went away between the mark and
     * its clearing (the decode itself came back): nothing crashed, the message is read. */
    if (r->element[4]->type == REDIS_REPLY_STRING && atoi(r->element[4]->str) == (int)getpid()) {
        freeReplyObject(r);
        return decoding_clear(w);
    }
    int folder = r->element[0]->type == REDIS_REPLY_STRING ? atoi(r->element[0]->str) : 0;
    int loc = atoi(r->element[1]->str);
    int after = r->element[2]->type == REDIS_REPLY_STRING ? atoi(r->element[2]->str) : 0;
    char path[CONFIG_NAME_MAX + 64] = "";
    /* Only a transcript of ours is read and removed: the record is data from Redis. */
    if (r->element[3]->type == REDIS_REPLY_STRING && trace_ours(w, r->element[3]->str))
        snprintf(path, sizeof(path), "%s", r->element[3]->str);
    freeReplyObject(r);
    size_t n = 0;
    char *buf = trace_read(path, &n);
    if (loc <= 0 && buf)
        loc = pdu_transcript_next(buf, n, after);
    if (loc <= 0) {
        log_warnx("event=decode_crash_unresolved modem=%s after=%d note=\"the worker died "
                  "while reading the SIM; the location could not be told\"",
                  w->name, after);
        free(buf);
        decoding_clear(w);
        return 0;
    }
    char hex[WORKER_RAW_MAX] = "", file[WORKER_RAW_MAX * 4] = "";
    if (buf && pdu_transcript_find(buf, n, loc, hex, sizeof(hex)) != 0)
        hex[0] = '\0';
    free(buf);
    if (w->dummy)
        dummy_file(w, folder, loc, file, sizeof(file));
    if (quarantine(w, folder, loc, "malformed", "crash",
                   "the worker died while decoding this message", hex, file, "", "") != 0)
        return -1;
    struct sim_ref ref = {folder, loc, 1};
    sim_delete(w, &ref); /* never decoded again: it may crash libgammu once more */
    decoding_clear(w);
    if (path[0] && strcmp(path, w->trace_path) != 0)
        unlink(path); /* the dead worker's transcript */
    return 0;
}

/* ---- replies first ----
 *
 * On a real modem each AT exchange costs 50-300 ms, and a resident waits for all of those the
 * worker makes before the reply. So, when +CMTI names a location, the worker reads that location
 * alone (one AT+CMGR, under the same decoding record and PDU check as the sweep), stores it
 * (kt_ingest), and lets the reply go out before it deletes it from the SIM (AT+CMGR again, as
 * libgammu checks before it deletes, then AT+CMGD). A stored message waits on the deferred list
 * until the lanes are idle after something was sent, or WORKER_DELETE_WAIT_MS passed, whichever
 * comes first (a sweep meanwhile skips it), so a SIM does not fill up. While the reply is due,
 * a periodic sweep, a status refresh and a credit check wait (at most WORKER_REPLY_WAIT_MS).
 * Like every other SIM access, the deletes wait while Redis is away. The list is forgotten when
 * the connection closes: a location is deleted only on the connection that read it, and what
 * was forgotten is read again by the sweep after the next connect (a duplicate, then deleted).
 * Nothing is deleted before kt_ingest answered: a worker killed in between leaves the message on
 * the SIM, the next worker's sweep reads it again and kt_ingest's content key (kt:seen, kept
 * dedupe_ttl seconds) finds it stored, so it is deleted and not answered twice. A location that
 * fails to read alone is left to a full sweep, which keeps it aside when it is malformed. */

/* 1 when ref is on the deferred list (stored, its delete waiting). */
static int deferred_has(const struct worker *w, const struct sim_ref *ref)
{
    for (int i = 0; i < w->ndeferred; i++)
        if (w->deferred[i].folder == ref->folder && w->deferred[i].location == ref->location)
            return 1;
    return 0;
}

/* A +CMTI arrived and waits to be read: periodic work gives way to it. */
static int announced_waiting(const struct worker *w)
{
    return w->nannounced > 0 || w->cmti;
}

/* Deletes the first n locations on the deferred list, one exchange each. A +CMTI arriving
 * meanwhile is read first: the rest stay at the head of the list, owed (w->deferred_owed), and
 * go on a later turn. */
static void deferred_flush(struct worker *w, int n)
{
    int done = 0;
    while (done < n && w->sm) {
        sim_delete(w, &w->deferred[done++]);
        if (announced_waiting(w))
            break;
    }
    if (w->sm == NULL)
        done = n; /* the next connect's sweep finds them (see gammu_close) */
    w->ndeferred -= done;
    memmove(w->deferred, w->deferred + done, sizeof(w->deferred[0]) * (size_t)w->ndeferred);
    w->deferred_owed = n - done;
    if (w->deferred_owed == 0)
        w->replied = 0;
}

/* Puts a stored location on the deferred list (deleted at once when the list is full). */
static void deferred_add(struct worker *w, const struct sim_ref *ref)
{
    if (deferred_has(w, ref))
        return;
    if (w->ndeferred >= WORKER_DEFERRED_MAX) {
        sim_delete(w, ref);
        return;
    }
    if (w->ndeferred == w->deferred_owed) /* nothing but owed deletes: a new wait begins */
        w->delete_due = clock_mono_ms() + WORKER_DELETE_WAIT_MS;
    w->deferred[w->ndeferred++] = *ref;
    w->replied = 0;
}

/* Reads one location +CMTI named; 0 done (stored, kept aside, or left: w->leave_on_sim), -1
 * Redis away. A location that cannot be read alone is left to a full sweep. */
static int read_announced_one(struct worker *w, const struct sim_ref *ref)
{
    w->kept_malformed = w->leave_on_sim = 0;
    if (decoding_mark(w, ref->folder, ref->location, 0) != 0)
        return -1;
    memset(w->multi, 0, sizeof(*w->multi));
    w->multi->Number = 1;
    w->multi->SMS[0].Folder = ref->folder;
    w->multi->SMS[0].Location = ref->location;
    heartbeat(w);
    GSM_Error err = GSM_GetSMS(w->sm, w->multi);
    if (decoding_clear(w) != 0)
        return -1;
    if (err == ERR_NONE && w->multi->Number < 1)
        err = ERR_CORRUPTED;
    if (err == ERR_EMPTY) {
        w->leave_on_sim = 1; /* read and deleted by a sweep meanwhile */
        return 0;
    }
    if (err != ERR_NONE) {
        log_debug("event=announced_read_failed modem=%s location=%d error=\"%s\" "
                  "action=sweep",
                  w->name, ref->location, GSM_ErrorString(err));
        w->leave_on_sim = 1;
        w->cmti = 1; /* the sweep lists it, reads it alone, keeps it aside if malformed */
        return 0;
    }
    GSM_SMSMessage *sms = &w->multi->SMS[0];
    if (!sms->InboxFolder) {
        w->leave_on_sim = 1; /* a message of our own (sent or draft): not ours to touch */
        return 0;
    }
    sms->Folder = ref->folder;
    sms->Location = ref->location;
    return take_message(w, sms);
}

/* Reads the locations +CMTI named, each alone; their deletes wait (deferred_add). Returns the
 * messages read, -1 when Redis is away (they stay on the SIM for the next sweep). */
static int read_announced(struct worker *w)
{
    if (recover_decoding(w) != 0)
        return -1;
    trace_start(w, 1);
    int stored = 0, rc = 0;
    while (w->nannounced > 0 && !stop_flag && !w->cmti) {
        struct sim_ref ref = w->announced[0];
        w->nannounced--;
        memmove(w->announced, w->announced + 1, sizeof(w->announced[0]) * (size_t)w->nannounced);
        if (deferred_has(w, &ref))
            continue; /* stored already; announced again */
        if (read_announced_one(w, &ref) != 0) {
            rc = -1;
            break;
        }
        if (w->leave_on_sim)
            continue;
        ref.raw = w->kept_malformed;
        deferred_add(w, &ref);
        stored++;
    }
    trace_stop(w);
    return rc == 0 ? stored : -1;
}

/* ms between periodic sweeps: poll_seconds, or at least cmti_poll_seconds once +CMTI has
 * announced a message on this connection (each sweep holds the modem for an exchange or more,
 * 50-300 ms on real modems, and a reply arriving meanwhile waits for it). */
static long long sweep_interval(const struct worker *w)
{
    int s = w->mc->poll_seconds;
    if (w->cmti_works && w->mc->cmti_poll_seconds > s)
        s = w->mc->cmti_poll_seconds;
    return s * 1000LL;
}

/* The safety-net sweep: when +CMTI works and every message on the SIM is one already
 * stored that waits for its delete, one status question (one AT exchange) is all it costs,
 * instead of a listing of the SIM that a resident's +CMTI would wait behind. */
static int sweep(struct worker *w);
static int sweep_periodic(struct worker *w)
{
    if (!w->dummy && w->cmti_works && w->ndeferred > 0) {
        GSM_SMSMemoryStatus ms;
        if (GSM_GetSMSStatus(w->sm, &ms) == ERR_NONE && ms.SIMUsed + ms.PhoneUsed <= w->ndeferred)
            return 0;
    }
    return sweep(w);
}

/* Deletes the deferred locations when their replies are out (something was sent since the
 * last store and the lanes are idle now) or their bound passed. */
static void deferred_due(struct worker *w)
{
    if (announced_waiting(w))
        return;
    if (w->deferred_owed > 0)
        deferred_flush(w, w->deferred_owed);
    else if (w->ndeferred > 0 &&
             ((w->replied && w->lanes_idle) || clock_mono_ms() >= w->delete_due))
        deferred_flush(w, w->ndeferred);
}

/* Reads every inbox message and stores it (or keeps it aside); what was read is deleted once
 * its reply is out (deferred_add). */
static int sweep(struct worker *w)
{
    struct sim_ref done[WORKER_SWEEP_MAX];
    int ndone = 0, stored = 0, seen = 0, expected = -1;
    gboolean start = TRUE;
    GSM_Error err;
    w->nannounced = 0; /* listed below */
    /* Ask how many messages storage holds first: an empty SIM costs one
     * status query, and the scan stops once it has seen them all (the
     * dummy driver otherwise probes thousands of locations per folder). */
    GSM_SMSMemoryStatus ms;
    if (w->dummy)
        expected = dummy_inbox_count(w);
    else if (GSM_GetSMSStatus(w->sm, &ms) == ERR_NONE)
        expected = ms.SIMUsed + ms.PhoneUsed;
    if (expected == 0) {
        decoding_clear(w); /* a record left by a dead worker names a message gone since */
        return 0;
    }
    if (recover_decoding(w) != 0)
        return 0; /* Redis away: nothing is read */
    memset(w->multi, 0, sizeof(*w->multi));
    trace_start(w, 1);
    int last_folder = 0, last = 0; /* the last location read */
    while (!stop_flag && ndone < WORKER_SWEEP_MAX && (expected < 0 || seen < expected)) {
        /* With start == FALSE libgammu continues after SMS[0].Folder/Location
         * of the previous answer, so the buffer is not cleared in between. */
        heartbeat(w);
        if (decoding_mark(w, last_folder, 0, last) != 0)
            break;
        err = GSM_GetNextSMS(w->sm, w->multi, start);
        start = FALSE;
        if (err == ERR_EMPTY)
            break;
        if (err == ERR_NONE && w->multi->Number < 1)
            err = ERR_CORRUPTED; /* the dummy driver: a file it read nothing from */
        if (err == ERR_NONE && decoding_clear(w) != 0)
            goto delete; /* Redis went away: what was read stays on the SIM */
        if (err != ERR_NONE) {
            int folder = w->multi->SMS[0].Folder, loc = w->multi->SMS[0].Location;
            if (err == ERR_NOTSUPPORTED || err == ERR_NOTIMPLEMENTED)
                break;
            if (loc <= 0 || (folder == last_folder && loc == last)) {
                /* libgammu did not say where it failed (a listing it could not
                 * read at all): nothing to step past this time. */
                remember_error(w, "read_sms", err);
                break;
            }
            if (w->dummy && folder != 1 && folder != 3) {
                last_folder = folder; /* not an inbox: not ours to keep aside or delete */
                last = loc;
                continue;
            }
            seen++;
            w->kept_malformed = w->leave_on_sim = 0;
            if (read_alone(w, folder, loc, last, err) != 0)
                goto delete; /* Redis is away: leave it on the SIM */
            last_folder = folder;
            last = loc;
            if (w->leave_on_sim)
                continue;
            done[ndone].folder = folder;
            done[ndone].location = loc;
            done[ndone].raw = w->kept_malformed;
            ndone++;
            continue;
        }
        seen += w->multi->Number > 0 ? w->multi->Number : 1;
        for (int i = 0; i < w->multi->Number && ndone < WORKER_SWEEP_MAX; i++) {
            GSM_SMSMessage *sms = &w->multi->SMS[i];
            last_folder = sms->Folder;
            last = sms->Location;
            if (!sms->InboxFolder)
                continue; /* our own drafts or sent items: not ours to touch */
            struct sim_ref listed = {sms->Folder, sms->Location, 0};
            if (deferred_has(w, &listed))
                continue; /* stored already, its delete waits for its reply */
            w->kept_malformed = 0;
            if (take_message(w, sms) != 0)
                goto delete; /* Redis is away: leave it on the SIM */
            done[ndone].folder = sms->Folder;
            done[ndone].location = sms->Location;
            done[ndone].raw = w->kept_malformed;
            ndone++;
            stored++;
        }
    }
    decoding_clear(w);
    delete : trace_stop(w);
    for (int i = 0; i < ndone; i++)
        deferred_add(w, &done[i]);
    return stored;
}

static void release_parts(struct worker *w)
{
    char zkey[64], cutoff[24];
    snprintf(zkey, sizeof(zkey), "kt:parts:%s", w->name);
    snprintf(cutoff, sizeof(cutoff), "%lld", clock_wall_ms() - w->cfg->multipart_timeout * 1000LL);
    redisReply *r = cmd(w, "FCALL kt_release 2 %s %s %s 50", zkey, STORE_IN, cutoff);
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
        log_warnx("event=parts_released modem=%s groups=%lld note=\"missing parts, flagged "
                  "incomplete\"",
                  w->name, r->integer);
    freeReplyObject(r);
}

/* ---- send ---- */

static int minute_used(struct worker *w)
{
    long long cutoff = clock_wall_ms() - 60000;
    while (w->minute_count > 0) {
        int oldest = (w->minute_head - w->minute_count + 600) % 600;
        if (w->minute_window[oldest] > cutoff)
            break;
        w->minute_count--;
    }
    return w->minute_count;
}

static void count_part(struct worker *w)
{
    w->minute_window[w->minute_head] = clock_wall_ms();
    w->minute_head = (w->minute_head + 1) % 600;
    if (w->minute_count < 600)
        w->minute_count++;
    w->day_sent++;
    char key[64];
    snprintf(key, sizeof(key), "kt:cap:%s:%s", w->name, w->day);
    freeReplyObject(cmd(w, "INCR %s", key));
    freeReplyObject(cmd(w, "EXPIRE %s 172800", key));
}

/* Ordinary broadcasts leave a fifth of each cap (at least one SMS) to
 * replies and emergencies, so an announcement never keeps a resident's
 * answer or a disaster warning waiting. */
static int reserve(int cap)
{
    return cap < 2 ? 0 : cap / 5 > 0 ? cap / 5 : 1;
}

static int is_broadcast(const struct outmsg *m)
{
    return strncmp(m->origin, "bc:", 3) == 0;
}

static int is_bulk(const struct outmsg *m)
{
    return strcmp(m->lane, STORE_OUT_BULK) == 0;
}

/* 1 when the SIM may send one more part now. */
static int cap_allows(struct worker *w)
{
    char day[16];
    wib_day(day, sizeof(day));
    if (strcmp(day, w->day) != 0) {
        snprintf(w->day, sizeof(w->day), "%s", day);
        char key[64];
        snprintf(key, sizeof(key), "kt:cap:%s:%s", w->name, w->day);
        redisReply *r = cmd(w, "GET %s", key);
        w->day_sent = r && r->type == REDIS_REPLY_STRING ? atoi(r->str) : 0;
        freeReplyObject(r);
    }
    return w->day_sent < w->mc->per_day && minute_used(w) < w->mc->per_minute;
}

/* 1 when an ordinary broadcast may take one more part now (see reserve). */
static int bulk_allows(struct worker *w)
{
    return cap_allows(w) && clock_wall_ms() >= w->next_bc &&
           w->day_sent < w->mc->per_day - reserve(w->mc->per_day) &&
           minute_used(w) < w->mc->per_minute - reserve(w->mc->per_minute);
}

/* Broadcast parts leave at an even pace, one every 60 s / (their share of
 * per_minute): a SIM that bursts a minute's quota in a second looks like
 * spam to the operator, and the pace spreads a broadcast evenly over the
 * modems. Replies are not paced. */
static void pace_broadcast(struct worker *w, const struct outmsg *m)
{
    int share = w->mc->per_minute - (is_bulk(m) ? reserve(w->mc->per_minute) : 0);
    w->next_bc = clock_wall_ms() + 60000LL / (share > 0 ? share : 1);
}

static void outmsg_free(struct outmsg *m)
{
    if (m) {
        free(m->text);
        free(m);
    }
}

static void finish(struct worker *w, struct outmsg *m, const char *outcome, int parts,
                   const char *mrs, int cms, const char *reason)
{
    char sending[128], nparts[16], ncms[16], attempts[16], at[24], expires[24];
    snprintf(sending, sizeof(sending), "kt:sending:%s:%s", m->lane, m->id);
    snprintf(nparts, sizeof(nparts), "%d", parts);
    snprintf(ncms, sizeof(ncms), "%d", cms);
    snprintf(attempts, sizeof(attempts), "%d", m->attempt);
    snprintf(at, sizeof(at), "%lld", clock_wall_ms());
    snprintf(expires, sizeof(expires), "%lld", m->expires);
    const char *argv[] = {
        "FCALL",   "kt_finish", "3",     m->lane,    STORE_SENT, sending,  STORE_OUT_GROUP,
        m->id,     "id",        m->id,   "modem",    w->name,    "to",     m->to,
        "outcome", outcome,     "parts", nparts,     "mr",       mrs,      "cms",
        ncms,      "reason",    reason,  "attempts", attempts,   "origin", m->origin,
        "kind",    m->kind,     "at",    at,         "expires",  expires,  "text",
        m->text};
    freeReplyObject(cmd_argv(w, (int)(sizeof(argv) / sizeof(argv[0])), argv));
    char masked[32];
    log_info("event=send_%s modem=%s id=%s to=%s parts=%d mr=%s cms=%d attempts=%d reason=%s",
             outcome, w->name, m->id, log_phone(m->to, masked, sizeof(masked)), parts, mrs, cms,
             m->attempt, reason);
}

/* CMS errors worth another try; anything else fails at once. */
static int transient(int cms)
{
    switch (cms) {
    case 41:
    case 42:
    case 47:
    case 330:
    case 331:
    case 332:
    case 340:
    case 500:
    case 512:
    case 513:
    case 514:
    case 515:
    case 516:
    case 517:
    case 518:
    case 519:
    case 520:
        return 1;
    default:
        return cms >= 900;
    }
}

/* Sends one part and waits for the network's answer: 0 ok (ref set), else an error code. */
static int send_part(struct worker *w, const char *to, const char *text, enum codec_coding coding,
                     int ref, int part, int total, int report, int *mr)
{
    GSM_SMSMessage sms;
    GSM_SetDefaultSMSData(&sms);
    char number[40];
    snprintf(number, sizeof(number), "+%s", to);
    codec_utf8_to_ucs2(number, sms.Number, sizeof(sms.Number));
    int units = codec_utf8_to_ucs2(text, sms.Text, sizeof(sms.Text));
    if (units < 0)
        return 1;
    sms.Length = units;
    sms.PDU = report ? SMS_Status_Report : SMS_Submit; /* a submit asking for a report */
    sms.Coding = coding == CODEC_GSM7 ? SMS_Coding_Default_No_Compression
                                      : SMS_Coding_Unicode_No_Compression;
    sms.Class = -1;
    if (w->mc->smsc[0]) {
        sms.SMSC.Location = 0;
        codec_utf8_to_ucs2(w->mc->smsc, sms.SMSC.Number, sizeof(sms.SMSC.Number));
    } else if (w->smsc[0] || w->smsc[1]) {
        /* The SIM's SMSC as read at connect: saves an AT+CSCA? per part. */
        sms.SMSC.Location = 0;
        memcpy(sms.SMSC.Number, w->smsc, sizeof(sms.SMSC.Number));
    } else {
        sms.SMSC.Location = 1;
    }
    if (total > 1) {
        /* Our own reference per message: libgammu's default comes from the
         * clock, and two messages in one second would collide. */
        sms.UDH.Type = UDH_ConcatenatedMessages;
        sms.UDH.ID8bit = ref & 0xFF;
        sms.UDH.ID16bit = -1;
        sms.UDH.PartNumber = part;
        sms.UDH.AllParts = total;
        GSM_EncodeUDHHeader(NULL, &sms.UDH);
    } else {
        sms.UDH.Type = UDH_NoUDH;
    }
    w->send_status = -1;
    w->send_ref = -1;
    heartbeat(w); /* a worker sending back to back is busy, not hung */
    long long started = clock_wall_ms();
    GSM_Error err = GSM_SendSMS(w->sm, &sms);
    if (err == ERR_TIMEOUT) {
        remember_error(w, "send_sms", err);
        return SEND_UNCONFIRMED; /* the PDU may have reached the network */
    }
    if (err != ERR_NONE) {
        remember_error(w, "send_sms", err);
        return 900 + (int)err; /* a local failure before sending: worth a retry */
    }
    long long deadline = clock_wall_ms() + w->mc->send_timeout_seconds * 1000LL;
    while (w->send_status < 0 && clock_wall_ms() < deadline && !w->dummy) {
        heartbeat(w);
        modem_lock(w); /* a long wait must not let the lock lapse */
        GSM_ReadDevice(w->sm, TRUE);
    }
    /* The send latency histogram of this SIM (GET /metrics): handing the
     * part to the modem until the network's answer, or the timeout. */
    char hist[64], field[32], elapsed[24];
    snprintf(hist, sizeof(hist), "kt:stats:send:%s", w->name);
    metrics_send_field((double)(clock_wall_ms() - started), field, sizeof(field));
    snprintf(elapsed, sizeof(elapsed), "%lld", clock_wall_ms() - started);
    const char *observe[] = {"FCALL", "kt_observe", "1", hist, field, elapsed};
    freeReplyObject(cmd_argv(w, 6, observe));
    if (w->send_status < 0)
        return w->dummy ? 0 : SEND_UNCONFIRMED; /* the dummy driver answers nothing */
    *mr = w->send_ref;
    return w->send_status;
}

/* A broadcast's message (origin "bc:ID") is not sent once staff cancelled
 * the broadcast, even though it was already queued. */
static int broadcast_cancelled(struct worker *w, const struct outmsg *m)
{
    if (!is_broadcast(m))
        return 0;
    redisReply *r = cmd(w, "HGET kt:bc:%s status", m->origin + 3);
    int cancelled = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "cancelled") == 0;
    freeReplyObject(r);
    return cancelled;
}

static void send_message(struct worker *w, struct outmsg *m)
{
    m->attempt++;
    if (m->expires > 0 && clock_wall_ms() > m->expires) {
        finish(w, m, "expired", 0, "", 0, "expired");
        outmsg_free(m);
        return;
    }
    if (broadcast_cancelled(w, m)) {
        finish(w, m, "cancelled", 0, "", 0, "cancelled");
        outmsg_free(m);
        return;
    }
    char to[32];
    if (phone_normalise(m->to, to, sizeof(to)) != PHONE_MOBILE) {
        finish(w, m, "failed", 0, "", 0, "bad_number");
        outmsg_free(m);
        return;
    }
    struct codec_plan plan;
    struct codec_part parts[CODEC_MAX_PARTS];
    int n;
    if (codec_plan(m->text, &plan) != 0 ||
        (n = codec_split(m->text, &plan, parts, CODEC_MAX_PARTS)) < 0) {
        finish(w, m, "failed", 0, "", 0, "too_long_or_invalid");
        outmsg_free(m);
        return;
    }
    /* Progress survives a crash: parts already sent are not sent again. */
    /* Stream ids are unique per lane only: the key names both. */
    char key[128];
    snprintf(key, sizeof(key), "kt:sending:%s:%s", m->lane, m->id);
    int done = 0, ref = -1;
    char mrs[128] = "";
    redisReply *r = cmd(w, "HMGET %s done ref mrs inflight", key);
    if (r == NULL) {
        outmsg_free(m); /* Redis away; the entry stays pending */
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 4) {
        if (r->element[0]->type == REDIS_REPLY_STRING)
            done = atoi(r->element[0]->str);
        if (r->element[1]->type == REDIS_REPLY_STRING)
            ref = atoi(r->element[1]->str);
        if (r->element[2]->type == REDIS_REPLY_STRING)
            snprintf(mrs, sizeof(mrs), "%s", r->element[2]->str);
        if (r->element[3]->type == REDIS_REPLY_STRING && atoi(r->element[3]->str) > done) {
            /* We died between handing a part to the modem and hearing back:
             * it may have gone out. Count it as sent rather than risk a
             * duplicate the resident pays attention to twice. */
            log_warnx("event=send_uncertain modem=%s id=%s part=%s action=assume_sent", w->name,
                      m->id, r->element[3]->str);
            done = atoi(r->element[3]->str);
        }
    }
    freeReplyObject(r);
    if (ref < 0 && n > 1) {
        char refkey[64];
        snprintf(refkey, sizeof(refkey), "kt:ref:%s", w->name);
        r = cmd(w, "INCR %s", refkey);
        if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
            if (r)
                log_error("event=send_ref_failed modem=%s id=%s error=\"%s\"", w->name, m->id,
                          reply_why(r));
            freeReplyObject(r);
            outmsg_free(m);
            return;
        }
        ref = (int)(r->integer % 256);
        freeReplyObject(r);
        if (!cmd_ok(w, "HSET %s ref %d", key, ref)) {
            outmsg_free(m);
            return;
        }
    }
    /* Caps are checked for the whole message before its first part: a
     * message is never left half-sent waiting for tomorrow's quota, and the
     * worker does not sit in a long wait (no sweeps, lock not refreshed). */
    int left = n - done;
    int per_minute = w->mc->per_minute, per_day = w->mc->per_day;
    if (is_bulk(m)) {
        per_minute -= reserve(per_minute);
        per_day -= reserve(per_day);
    }
    int need_now = left < per_minute ? left : per_minute;
    int day_short = per_day - w->day_sent < left;
    if ((day_short || per_minute - minute_used(w) < need_now) && w->nretry < WORKER_RETRY_MAX) {
        m->attempt--; /* held back, not tried */
        m->due = clock_wall_ms() + (day_short ? DEFER_DAY_MS : DEFER_MINUTE_MS);
        log_debug("event=send_deferred modem=%s id=%s parts=%d reason=%s", w->name, m->id, left,
                  day_short ? "per_day" : "per_minute");
        w->retry[w->nretry++] = m;
        return;
    }
    int cms = 0;
    for (int p = done; p < n; p++) {
        /* Only a message longer than a minute's cap waits here, part by part. */
        while (!cap_allows(w) && !stop_flag && modem_lock(w)) {
            if (!w->dummy)
                GSM_ReadDevice(w->sm, FALSE);
            nap(w, 200);
        }
        if (stop_flag || !w->locked || !cap_allows(w)) {
            outmsg_free(m); /* stays pending; resumed at part done+1 */
            return;
        }
        char part[WORKER_OUT_TEXT_MAX];
        size_t len = parts[p].len < sizeof(part) - 1 ? parts[p].len : sizeof(part) - 1;
        memcpy(part, m->text + parts[p].offset, len);
        part[len] = '\0';
        /* No send without its progress recorded first: after a crash the
         * record says this part may have gone, and it is not sent again. */
        if (!cmd_ok(w, "HSET %s inflight %d", key, p + 1) || !cmd_ok(w, "EXPIRE %s 604800", key)) {
            outmsg_free(m);
            return;
        }
        int mr = -1;
        if (is_broadcast(m) && clock_wall_ms() < w->next_bc)
            nap(w, w->next_bc - clock_wall_ms());
        cms = send_part(w, to, part, plan.coding, ref, p + 1, n,
                        worker_wants_report(w->mc->delivery_reports, m->origin), &mr);
        if (cms == 0 && !w->dummy)
            recovery_ok(w); /* the network confirmed a part: the modem works */
        if (is_broadcast(m))
            pace_broadcast(w, m);
        if (cms == SEND_UNCONFIRMED) {
            log_warnx("event=send_unconfirmed modem=%s id=%s part=%d action=assume_sent", w->name,
                      m->id, p + 1);
            cms = 0;
            w->suspect = !w->dummy;
        }
        if (cms != 0) {
            cmd_ok(w, "HSET %s inflight %d", key, p);
            break;
        }
        count_part(w);
        report_expect(w, m, to, mr, p + 1, n);
        size_t l = strlen(mrs);
        snprintf(mrs + l, sizeof(mrs) - l, "%s%d", l ? "," : "", mr);
        done = p + 1;
        cmd_ok(w, "HSET %s done %d mrs %s", key, done, mrs);
    }
    if (done == n) {
        finish(w, m, "sent", n, mrs, 0, "ok");
        outmsg_free(m);
        return;
    }
    if (transient(cms) && m->attempt < WORKER_ATTEMPTS && w->nretry < WORKER_RETRY_MAX) {
        long long delay = 5000LL << (2 * (m->attempt - 1)); /* 5 s, 20 s, ... */
        m->due = clock_wall_ms() + delay;
        log_info("event=send_retry modem=%s id=%s cms=%d attempt=%d in_ms=%lld", w->name, m->id,
                 cms, m->attempt, delay);
        w->retry[w->nretry++] = m;
        return;
    }
    char reason[32];
    snprintf(reason, sizeof(reason), cms >= 900 ? "local_error" : "cms_error");
    finish(w, m, "failed", done, mrs, cms, reason);
    outmsg_free(m);
}

static const char *entry_field(redisReply *fields, const char *name)
{
    return reply_field(fields, name);
}

/* ---- USSD ---- */

static const char *ussd_how_name(enum codec_ussd how)
{
    switch (how) {
    case CODEC_USSD_UCS2_HEX:
        return "ucs2_hex";
    case CODEC_USSD_GSM7_PACKED:
        return "gsm7_packed";
    case CODEC_USSD_UNREADABLE:
        return "unreadable";
    default:
        return "text";
    }
}

/* Dials code and waits for the network's answer (at most ussd_timeout_seconds), saying
 * nothing else to the modem meanwhile; then closes the USSD session. */
static void ussd_run(struct worker *w, const char *code, struct ussd_result *res)
{
    memset(res, 0, sizeof(*res));
    res->outcome = "failed";
    res->how = "";
    long long started = clock_wall_ms();
    w->ussd_done = 0;
    w->ussd_waiting = 1;
    heartbeat(w);
    GSM_Error err = GSM_SetIncomingUSSD(w->sm, TRUE);
    GSM_Error dial = ERR_NONE;
    char number[CREDIT_CODE_MAX + 1];
    snprintf(number, sizeof(number), "%s", code);
    if (err == ERR_NONE)
        dial = GSM_DialService(w->sm, number);
    long long deadline = clock_wall_ms() + w->mc->ussd_timeout_seconds * 1000LL;
    while (err == ERR_NONE && (dial == ERR_NONE || dial == ERR_TIMEOUT) && !w->ussd_done &&
           !stop_flag && clock_wall_ms() < deadline && GSM_IsConnected(w->sm)) {
        heartbeat(w);
        modem_lock(w); /* the wait may outlast the lock; Redis only, not the modem */
        if (w->dummy)
            nap(w, 50); /* the dummy driver answers inside GSM_DialService */
        else
            GSM_ReadDevice(w->sm, TRUE);
    }
    w->ussd_waiting = 0;
    int connected = GSM_IsConnected(w->sm);
    if (connected && err == ERR_NONE) {
        heartbeat(w);
        GSM_SetIncomingUSSD(w->sm, FALSE); /* AT+CUSD=2: close what the network left open */
    }
    if (w->ussd_done) {
        res->how = ussd_how_name(w->ussd_how);
        snprintf(res->answer, sizeof(res->answer), "%s", w->ussd_text);
        int text = w->ussd_text[0] != '\0';
        if (w->ussd_how == CODEC_USSD_UNREADABLE) {
            res->outcome = "unreadable";
            snprintf(res->error, sizeof(res->error),
                     "the modem answered in a character set kentongan cannot read "
                     "(UTF-16 units %.64s%s); try features = USSD_GSM_CHARSET or ENCODED_USSD "
                     "in [modem:%s]",
                     w->ussd_text, strlen(w->ussd_text) > 64 ? "..." : "", w->name);
        } else if (w->ussd_status == USSD_NotSupported || w->ussd_status == USSD_AnotherClient) {
            res->outcome = "refused";
            snprintf(res->error, sizeof(res->error), "the network refused %s%s%.200s", code,
                     text ? ": " : " (code not supported)", text ? w->ussd_text : "");
        } else if (w->ussd_status == USSD_Timeout) {
            res->outcome = "timeout";
            snprintf(res->error, sizeof(res->error), "the network timed out on %s", code);
        } else if (!text) {
            res->outcome = "refused";
            snprintf(res->error, sizeof(res->error),
                     "the network closed the session without an answer to %s", code);
        } else {
            res->outcome = "ok";
        }
    } else if (err != ERR_NONE || (dial != ERR_NONE && dial != ERR_TIMEOUT)) {
        GSM_Error e = err != ERR_NONE ? err : dial;
        int unsupported = e == ERR_NOTSUPPORTED || e == ERR_NOTIMPLEMENTED;
        res->outcome = unsupported ? "unsupported" : "failed";
        snprintf(res->error, sizeof(res->error), "%s: %s",
                 unsupported ? "this modem (or its libgammu driver) cannot dial USSD codes"
                             : "the modem refused the code",
                 GSM_ErrorString(e));
    } else if (!connected) {
        res->outcome = "down";
        snprintf(res->error, sizeof(res->error), "the modem was lost while waiting for %s", code);
    } else if (stop_flag) {
        res->outcome = "interrupted";
        snprintf(res->error, sizeof(res->error), "the worker is stopping");
    } else {
        res->outcome = "timeout";
        snprintf(res->error, sizeof(res->error),
                 "no answer from the network to %s within %d s (ussd_timeout_seconds)", code,
                 w->mc->ussd_timeout_seconds);
    }
    if (w->ussd_done && w->ussd_how != CODEC_USSD_TEXT && w->ussd_how != CODEC_USSD_UNREADABLE)
        log_warnx("event=ussd_charset_repaired modem=%s read_as=%s note=\"the modem answers in "
                  "another character set than libgammu expects; features = USSD_GSM_CHARSET "
                  "or ENCODED_USSD may fit it\"",
                  w->name, res->how);
    log_info("event=ussd modem=%s code=%s outcome=%s read_as=%s ms=%lld", w->name, code,
             res->outcome, res->how[0] ? res->how : "-", clock_wall_ms() - started);
}

/* ---- the installer's probe ----
 *
 * kentongan-ctl modem probe NAME (POST /api/modems/NAME/probe) puts a request of kind probe
 * on the modem's USSD queue; ussd_serve hands it here, so it runs in this loop between sends
 * like a USSD code. It asks the modem what an installer needs to know (identity, SIM and
 * operator, signal, registration, SMSC, message storages), then sends a test SMS to the SIM's
 * own number with a fresh token in its text and waits (probe_timeout_seconds) for it to come
 * back to this modem, sweeping the SIM meanwhile. The token is kept in Redis
 * (kt:probe:MODEM:TOKEN) for a day: the returning message is recognised by it in
 * take_message, recorded and deleted, and never reaches the router, even when it arrives after
 * the probe gave up. The answer is one JSON report: the facts, one entry per check (pass,
 * warn, fail or skip, with what to do), and a verdict. Identifiers are masked: the IMEI keeps
 * its last 4 digits, the IMSI is reduced to its operator (MCC/MNC), the own number keeps its
 * operator prefix and last 4 digits. */

/* s as printable ASCII (anything else '?'), at most PROBE_TEXT_MAX bytes: what a modem
 * says about itself goes into JSON and onto a terminal. */
static void probe_clean(const char *s, char *out, size_t len)
{
    size_t o = 0;
    for (; *s && o + 1 < len && o < PROBE_TEXT_MAX; s++)
        out[o++] = (*s >= 0x20 && *s < 0x7F) ? *s : '?';
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

/* A libgammu UCS-2 string as clean ASCII (see probe_clean). */
static void probe_ucs2(const unsigned char *u, size_t max_units, char *out, size_t len)
{
    char utf8[256];
    codec_ucs2_to_utf8(u, ucs2_units(u, max_units), utf8, sizeof(utf8));
    probe_clean(utf8, out, len);
}

/* A number as the report shows it, whatever the log level: the operator prefix, then the
 * last 4 digits (an installer can tell a wrong own_number by them). */
static void probe_mask_number(const char *number, char *out, size_t len)
{
    size_t n = strlen(number);
    if (n < 10)
        snprintf(out, len, "****");
    else
        snprintf(out, len, "%.5s****%s", number, number + n - 4);
}

/* The token in a test SMS's text, or -1 when text is not one. */
static int probe_token_of(const char *text, char token[PROBE_TOKEN_LEN + 1])
{
    size_t n = strlen(PROBE_MARK);
    if (strncmp(text, PROBE_MARK, n) != 0)
        return -1;
    for (int i = 0; i < PROBE_TOKEN_LEN; i++) {
        char c = text[n + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
        token[i] = c;
    }
    token[PROBE_TOKEN_LEN] = '\0';
    return 0;
}

/* An inbox message that is a probe's test SMS is recorded (when its token is known) and
 * never stored for the router. 1: not a test SMS; 0: it was one (it may be deleted);
 * -1: Redis away (it stays on the SIM). */
static int probe_echo(struct worker *w, const GSM_SMSMessage *sms)
{
    struct worker_inbound *in = &w->inbound;
    worker_inbound(sms, in);
    char token[PROBE_TOKEN_LEN + 1];
    if (in->total != 1 || probe_token_of(in->text, token) != 0)
        return 1;
    redisReply *r = cmd(w, "SET %s%s:%s received XX KEEPTTL", STORE_PROBE, w->name, token);
    if (r == NULL)
        return -1;
    int known = r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    char masked[32];
    /* A marked message with an unknown token (a day late, or typed by someone) is dropped
     * too: the marker is ours, and answering it could start a loop between two modems. */
    log_info("event=probe_sms_received modem=%s from=%s token=%s known=%d", w->name,
             log_phone(in->from, masked, sizeof(masked)), token, known);
    return 0;
}

struct probe {
    json_t *report, *checks;
    int failed, warned, skipped;
    char failures[160], skips[160];
};

/* Adds one check: status pass, warn, fail or skip; advice says what to do ("" when none). */
static void probe_check(struct probe *p, const char *name, const char *status, const char *detail,
                        const char *advice)
{
    json_array_append_new(p->checks, json_pack("{s:s, s:s, s:s, s:s}", "check", name, "status",
                                               status, "detail", detail, "advice", advice));
    if (strcmp(status, "fail") == 0) {
        size_t l = strlen(p->failures);
        snprintf(p->failures + l, sizeof(p->failures) - l, "%s%s", p->failed ? ", " : "", name);
        p->failed++;
    } else if (strcmp(status, "warn") == 0) {
        p->warned++;
    } else if (strcmp(status, "skip") == 0) {
        size_t l = strlen(p->skips);
        snprintf(p->skips + l, sizeof(p->skips) - l, "%s%s", p->skipped ? ", " : "", name);
        p->skipped++;
    }
}

static const char *probe_state_name(GSM_NetworkInfo_State st)
{
    switch (st) {
    case GSM_HomeNetwork:
        return "home";
    case GSM_RoamingNetwork:
        return "roaming";
    case GSM_RequestingNetwork:
        return "searching";
    case GSM_NoNetwork:
        return "none";
    case GSM_RegistrationDenied:
        return "denied";
    default:
        return "unknown";
    }
}

/* Manufacturer, model, firmware, IMEI (masked). */
static void probe_identity(struct worker *w, struct probe *p)
{
    char raw[GSM_MAX_VERSION_LENGTH + 1], date[GSM_MAX_VERSION_DATE_LENGTH + 1];
    char maker[PROBE_TEXT_MAX + 1] = "", model[PROBE_TEXT_MAX + 1] = "";
    char firmware[PROBE_TEXT_MAX + 1] = "", imei[PROBE_TEXT_MAX + 1] = "";
    double num = 0;
    heartbeat(w);
    memset(raw, 0, sizeof(raw));
    if (GSM_GetManufacturer(w->sm, raw) == ERR_NONE)
        probe_clean(raw, maker, sizeof(maker));
    heartbeat(w);
    memset(raw, 0, sizeof(raw));
    if (GSM_GetModel(w->sm, raw) == ERR_NONE)
        probe_clean(raw, model, sizeof(model));
    heartbeat(w);
    memset(raw, 0, sizeof(raw));
    memset(date, 0, sizeof(date));
    if (GSM_GetFirmware(w->sm, raw, date, &num) == ERR_NONE)
        probe_clean(raw, firmware, sizeof(firmware));
    heartbeat(w);
    memset(raw, 0, sizeof(raw));
    if (GSM_GetIMEI(w->sm, raw) == ERR_NONE) {
        /* the last 4 digits only, like every other identifier kentongan shows */
        char clean[PROBE_TEXT_MAX + 1];
        probe_clean(raw, clean, sizeof(clean));
        size_t n = strlen(clean);
        for (size_t i = 0; i < n; i++)
            imei[i] = i + 4 < n ? '*' : clean[i];
        imei[n] = '\0';
    }
    json_object_set_new(p->report, "manufacturer", json_string(maker));
    json_object_set_new(p->report, "model", json_string(model));
    json_object_set_new(p->report, "firmware", json_string(firmware));
    json_object_set_new(p->report, "imei", json_string(imei));
    const char *driver = modem_gammu(w->mc, "model");
    json_object_set_new(p->report, "driver", json_string(driver ? driver : "at"));
    char detail[256];
    if (maker[0] || model[0]) {
        snprintf(detail, sizeof(detail), "%s %s, firmware %s", maker[0] ? maker : "?",
                 model[0] ? model : "?", firmware[0] ? firmware : "?");
        probe_check(p, "identity", "pass", detail, "");
    } else {
        probe_check(p, "identity", "fail", "the modem did not say its manufacturer or model",
                    "check the device and connection keys of the modem's section; see "
                    "'Supported modems' in the README for the settings of common modems");
    }
}

/* The operator from the IMSI (MCC/MNC and name; the IMSI itself is never kept). */
static void probe_sim(struct worker *w, struct probe *p)
{
    char imsi[GSM_MAX_IMEI_LENGTH + 1];
    memset(imsi, 0, sizeof(imsi));
    heartbeat(w);
    GSM_Error err = GSM_GetSIMIMSI(w->sm, imsi);
    size_t digits = strspn(imsi, "0123456789");
    if (err != ERR_NONE || digits < 6) {
        json_object_set_new(p->report, "sim", json_pack("{s:b}", "present", 0));
        char detail[160];
        snprintf(detail, sizeof(detail), "the SIM could not be read (%s)",
                 err != ERR_NONE ? GSM_ErrorString(err) : "no IMSI");
        probe_check(p, "sim", "fail", detail,
                    "insert a SIM (contacts down, cut corner as the slot shows) or, if it asks "
                    "for a PIN, remove the PIN with a phone first; then probe again");
        return;
    }
    char mcc[4], mnc2[3], code[8], name[PROBE_TEXT_MAX + 1] = "";
    memcpy(mcc, imsi, 3);
    mcc[3] = '\0';
    memcpy(mnc2, imsi + 3, 2);
    mnc2[2] = '\0';
    /* Two-digit MNCs (Indonesia's) first; libgammu's table tells a three-digit one. */
    char mnc[4];
    snprintf(mnc, sizeof(mnc), "%s", mnc2);
    snprintf(code, sizeof(code), "%s %s", mcc, mnc2);
    probe_ucs2(GSM_GetNetworkName(code), 64, name, sizeof(name));
    if ((name[0] == '\0' || strcasecmp(name, "unknown") == 0) && digits >= 7) {
        char code3[8], name3[PROBE_TEXT_MAX + 1];
        snprintf(code3, sizeof(code3), "%s %.3s", mcc, imsi + 3);
        probe_ucs2(GSM_GetNetworkName(code3), 64, name3, sizeof(name3));
        if (name3[0] && strcasecmp(name3, "unknown") != 0) {
            snprintf(mnc, sizeof(mnc), "%.3s", imsi + 3);
            snprintf(name, sizeof(name), "%s", name3);
        }
    }
    if (strcasecmp(name, "unknown") == 0)
        name[0] = '\0'; /* libgammu's table does not know it */
    json_object_set_new(
        p->report, "sim",
        json_pack("{s:b, s:s, s:s, s:s}", "present", 1, "mcc", mcc, "mnc", mnc, "operator", name));
    char detail[160];
    snprintf(detail, sizeof(detail), "SIM of %s (MCC %s, MNC %s)",
             name[0] ? name : "an operator libgammu does not know", mcc, mnc);
    probe_check(p, "sim", "pass", detail, "");
}

/* Signal and network registration. */
static void probe_network(struct worker *w, struct probe *p)
{
    GSM_SignalQuality sq;
    memset(&sq, 0, sizeof(sq));
    heartbeat(w);
    char detail[200];
    if (GSM_GetSignalQuality(w->sm, &sq) == ERR_NONE) {
        json_object_set_new(p->report, "signal",
                            json_pack("{s:i, s:i, s:i}", "percent", sq.SignalPercent, "dbm",
                                      sq.SignalStrength, "ber", sq.BitErrorRate));
        snprintf(detail, sizeof(detail), "%d%% (%d dBm)", sq.SignalPercent, sq.SignalStrength);
        if (sq.SignalPercent <= 0)
            probe_check(p, "signal", "fail", detail,
                        "no signal: fit the antenna, move the modem (a USB extension cable helps) "
                        "or choose an operator with coverage here");
        else if (sq.SignalPercent < PROBE_SIGNAL_WEAK)
            probe_check(p, "signal", "warn", detail,
                        "weak signal: messages may fail; move the modem or fit an antenna");
        else
            probe_check(p, "signal", "pass", detail, "");
    } else {
        json_object_set_new(p->report, "signal", json_null());
        probe_check(p, "signal", "fail", "the modem did not report its signal",
                    "check that the modem is not stuck (unplug it, plug it in again)");
    }
    GSM_NetworkInfo ni;
    memset(&ni, 0, sizeof(ni));
    heartbeat(w);
    if (network_info(w, &ni) != ERR_NONE) {
        json_object_set_new(p->report, "network", json_null());
        probe_check(p, "network", "fail", "the modem did not report its registration",
                    "check the SIM and the antenna; then probe again");
        return;
    }
    char code[16], name[PROBE_TEXT_MAX + 1], lac[16], cid[16];
    probe_clean(ni.NetworkCode, code, sizeof(code));
    probe_ucs2(ni.NetworkName, sizeof(ni.NetworkName) / 2, name, sizeof(name));
    if (name[0] == '\0' && code[0])
        probe_ucs2(GSM_GetNetworkName(ni.NetworkCode), 64, name, sizeof(name));
    probe_clean(ni.LAC, lac, sizeof(lac));
    probe_clean(ni.CID, cid, sizeof(cid));
    const char *state = probe_state_name(ni.State);
    json_object_set_new(p->report, "network",
                        json_pack("{s:s, s:s, s:s, s:s, s:s}", "registration", state, "code", code,
                                  "name", name, "lac", lac, "cid", cid));
    snprintf(detail, sizeof(detail), "%s network %s%s%s%s", state, code[0] ? code : "?",
             name[0] ? " (" : "", name, name[0] ? ")" : "");
    if (ni.State == GSM_HomeNetwork)
        probe_check(p, "network", "pass", detail, "");
    else if (ni.State == GSM_RoamingNetwork)
        probe_check(p, "network", "warn", detail,
                    "the SIM is roaming: every message may cost more; use a SIM of a local "
                    "operator");
    else if (ni.State == GSM_RegistrationDenied)
        probe_check(p, "network", "fail", detail,
                    "the network refused the SIM: it may be blocked, expired or not registered "
                    "(Indonesian SIMs must be registered with NIK and KK); ask the operator");
    else
        probe_check(p, "network", "fail", detail,
                    "not registered: check the antenna and the coverage, wait a minute after "
                    "power-up, and check that the SIM is active");
}

/* The SMSC number (the SIM's, and the configured one that overrides it). */
static void probe_smsc(struct worker *w, struct probe *p)
{
    GSM_SMSC smsc;
    memset(&smsc, 0, sizeof(smsc));
    smsc.Location = 1;
    char number[PROBE_TEXT_MAX + 1] = "";
    heartbeat(w);
    if (GSM_GetSMSC(w->sm, &smsc) == ERR_NONE)
        probe_ucs2(smsc.Number, GSM_MAX_NUMBER_LENGTH, number, sizeof(number));
    json_object_set_new(p->report, "smsc",
                        json_pack("{s:s, s:s}", "sim", number, "configured", w->mc->smsc));
    char detail[200];
    if (w->mc->smsc[0]) {
        snprintf(detail, sizeof(detail), "%s (configured; the SIM says %s)", w->mc->smsc,
                 number[0] ? number : "nothing");
        probe_check(p, "smsc", "pass", detail, "");
    } else if (number[0]) {
        snprintf(detail, sizeof(detail), "%s (from the SIM)", number);
        probe_check(p, "smsc", "pass", detail, "");
    } else {
        probe_check(p, "smsc", "fail", "the SIM holds no SMSC number and none is configured",
                    "set smsc = +62... (the operator's message centre, e.g. Telkomsel "
                    "+6281100000) in the modem's section");
    }
}

/* Message storages and their fill (SM: the SIM, ME: the modem's own). */
static void probe_storage(struct worker *w, struct probe *p)
{
    GSM_SMSMemoryStatus ms;
    memset(&ms, 0, sizeof(ms));
    heartbeat(w);
    GSM_Error err = GSM_GetSMSStatus(w->sm, &ms);
    if (err != ERR_NONE) {
        json_object_set_new(p->report, "storage", json_null());
        char detail[160];
        snprintf(detail, sizeof(detail), "the modem did not report its message storage (%s)",
                 GSM_ErrorString(err));
        probe_check(p, "storage", "fail", detail,
                    "check the SIM; some modems answer only once the SIM is ready");
        return;
    }
    json_object_set_new(p->report, "storage",
                        json_pack("[{s:s, s:i, s:i, s:i}, {s:s, s:i, s:i, s:i}]", "name", "SM",
                                  "used", ms.SIMUsed, "size", ms.SIMSize, "unread", ms.SIMUnRead,
                                  "name", "ME", "used", ms.PhoneUsed, "size", ms.PhoneSize,
                                  "unread", ms.PhoneUnRead));
    char detail[160];
    snprintf(detail, sizeof(detail), "SM %d of %d used, ME %d of %d used", ms.SIMUsed, ms.SIMSize,
             ms.PhoneUsed, ms.PhoneSize);
    int sim_full = ms.SIMSize > 0 && ms.SIMUsed >= ms.SIMSize;
    int phone_full = ms.PhoneSize > 0 && ms.PhoneUsed >= ms.PhoneSize;
    if (sim_full && (ms.PhoneSize == 0 || phone_full))
        probe_check(p, "storage", "fail", detail,
                    "message storage is full: the network stops delivering; kentongan empties "
                    "the inbox by itself, so messages that stay are sent items or drafts: "
                    "delete them with a phone or gammu deleteallsms");
    else if (sim_full || phone_full)
        probe_check(p, "storage", "warn", detail,
                    "one storage is full; delete what kentongan does not read (sent items, "
                    "drafts) so that it cannot fill up");
    else
        probe_check(p, "storage", "pass", detail, "");
}

/* 1 when the probe's token came back (kt:probe:MODEM:TOKEN says received). */
static int probe_returned(struct worker *w, const char *token)
{
    redisReply *r = cmd(w, "GET %s%s:%s", STORE_PROBE, w->name, token);
    int back = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "received") == 0;
    freeReplyObject(r);
    return back;
}

/* The test SMS to number (normalised, or "" when unknown), and the wait for it. */
static void probe_loop(struct worker *w, struct probe *p, const char *number)
{
    char masked[32], detail[256];
    if (number[0] == '\0') {
        json_object_set_new(p->report, "test_sms", json_pack("{s:b}", "sent", 0));
        probe_check(p, "test_sms", "skip", "the SIM's own number is not known",
                    "set own_number = 08... in the modem's section, or give it: kentongan-ctl "
                    "modem probe NAME --number 08...");
        return;
    }
    probe_mask_number(number, masked, sizeof(masked));
    unsigned char rnd[PROBE_TOKEN_LEN / 2];
    char token[PROBE_TOKEN_LEN + 1], text[128];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(rnd, 1, sizeof(rnd), f) : 0;
    if (f)
        fclose(f);
    if (got != sizeof(rnd)) { /* no urandom: the clock and pid still differ per probe */
        unsigned long long x = (unsigned long long)clock_wall_ms() * 2654435761u ^ getpid();
        memcpy(rnd, &x, sizeof(rnd));
    }
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(token + 2 * i, 3, "%02x", rnd[i]);
    snprintf(text, sizeof(text), "%s%s: test message of modem %.32s; no reply needed", PROBE_MARK,
             token, w->name);
    if (!cmd_ok(w, "SET %s%s:%s sent EX %d", STORE_PROBE, w->name, token, STORE_PROBE_TTL)) {
        json_object_set_new(p->report, "test_sms", json_pack("{s:b}", "sent", 0));
        probe_check(p, "test_sms", "fail", "Redis went away before the test SMS was sent",
                    "probe again once Redis is back");
        return;
    }
    if (!cap_allows(w)) {
        json_object_set_new(p->report, "test_sms",
                            json_pack("{s:b, s:s, s:s}", "sent", 0, "to", masked, "token", token));
        probe_check(p, "test_sms", "fail", "the SIM's per-minute or per-day cap is reached",
                    "probe again in a minute (or tomorrow, for the per-day cap)");
        return;
    }
    int mr = -1;
    long long started = clock_wall_ms();
    int cms = send_part(w, number, text, CODEC_GSM7, -1, 1, 1, 0, &mr);
    if (cms == SEND_UNCONFIRMED)
        cms = 0; /* may have gone: wait for it all the same */
    if (cms != 0) {
        json_object_set_new(p->report, "test_sms",
                            json_pack("{s:b, s:s, s:s, s:i}", "sent", 0, "to", masked, "token",
                                      token, "error", cms));
        snprintf(detail, sizeof(detail), "sending to %s failed (%s %d)", masked,
                 cms >= 900 ? "local error" : "+CMS ERROR", cms >= 900 ? cms - 900 : cms);
        probe_check(p, "test_sms", "fail", detail,
                    cms == 500 || cms == 330 || cms == 331
                        ? "the network refused it: check the SIM's credit (a USSD balance "
                          "check), the SMSC number and the registration"
                        : "check the SIM's credit, the SMSC number and the registration; "
                          "then probe again");
        return;
    }
    count_part(w);
    log_info("event=probe_sms_sent modem=%s to=%s token=%s mr=%d", w->name, masked, token, mr);
    long long deadline = started + w->mc->probe_timeout_seconds * 1000LL, next_sweep = 0;
    int back = 0;
    while (!stop_flag && w->rc && clock_wall_ms() < deadline &&
           !(back = probe_returned(w, token))) {
        heartbeat(w);
        modem_lock(w);
        if (w->dummy)
            nap(w, 200); /* the dummy driver has no events: sweep its folders */
        else
            GSM_ReadDevice(w->sm, FALSE);
        if (!GSM_IsConnected(w->sm))
            break;
        if (w->cmti || clock_wall_ms() >= next_sweep) {
            w->cmti = 0;
            next_sweep = clock_wall_ms() + PROBE_SWEEP_MS;
            sweep(w); /* residents' messages are stored as usual; the test SMS is recognised */
        }
    }
    long long waited = clock_wall_ms() - started;
    json_object_set_new(p->report, "test_sms",
                        json_pack("{s:b, s:s, s:s, s:b, s:I, s:i}", "sent", 1, "to", masked,
                                  "token", token, "received", back, "waited_ms", (json_int_t)waited,
                                  "timeout_s", w->mc->probe_timeout_seconds));
    if (back) {
        snprintf(detail, sizeof(detail), "sent to %s and received back on this modem", masked);
        probe_check(p, "test_sms", "pass", detail, "");
    } else {
        snprintf(detail, sizeof(detail),
                 "sent to %s but not received back within %d s (probe_timeout_seconds)%s", masked,
                 w->mc->probe_timeout_seconds,
                 GSM_IsConnected(w->sm) ? "" : "; the modem was lost");
        probe_check(p, "test_sms", "fail", detail,
                    "check that own_number is this SIM's number, that the SIM has credit and is "
                    "not barred from receiving, and that the storage is not full; a message "
                    "that arrives late is recognised and never answered");
    }
}

/* Runs the whole probe; returns the report (the caller owns it). */
static json_t *probe_run(struct worker *w, const char *number)
{
    struct probe p;
    memset(&p, 0, sizeof(p));
    p.report = json_object();
    p.checks = json_array();
    long long started = clock_wall_ms();
    json_object_set_new(p.report, "modem", json_string(w->name));
    probe_identity(w, &p);
    probe_sim(w, &p);
    probe_network(w, &p);
    probe_smsc(w, &p);
    probe_storage(w, &p);
    probe_loop(w, &p, number);
    json_object_set_new(p.report, "checks", p.checks);
    char summary[256];
    if (p.failed)
        snprintf(summary, sizeof(summary), "%d check%s failed: %s", p.failed,
                 p.failed == 1 ? "" : "s", p.failures);
    else if (p.warned || p.skipped)
        snprintf(summary, sizeof(summary), "usable, with %d warning%s%s%s", p.warned,
                 p.warned == 1 ? "" : "s", p.skipped ? "; not checked: " : "", p.skips);
    else
        snprintf(summary, sizeof(summary), "all checks passed: the modem is ready");
    json_object_set_new(p.report, "verdict", json_string(p.failed ? "fail" : "pass"));
    json_object_set_new(p.report, "summary", json_string(summary));
    log_info("event=probe modem=%s verdict=%s failed=%d warned=%d ms=%lld", w->name,
             p.failed ? "fail" : "pass", p.failed, p.warned, clock_wall_ms() - started);
    return p.report;
}

/* One probe request from kt:ussdq:MODEM (see ussd_serve): run (unless it was left pending by
 * a worker that died, or nobody waits for it any more), answered in kt:ussdres:REQ. */
static void probe_serve(struct worker *w, const char *id, redisReply *f, int recovering)
{
    char req[32], number[32] = "", given[CONFIG_NAME_MAX];
    snprintf(req, sizeof(req), "%s", entry_field(f, "req"));
    snprintf(given, sizeof(given), "%s", entry_field(f, "number"));
    long long expires = atoll(entry_field(f, "expires"));
    const char *outcome = "ok";
    char error[200] = "";
    char *report = NULL;
    const char *own = given[0] ? given : w->mc->own_number;
    if (own[0] && phone_normalise(own, number, sizeof(number)) != PHONE_MOBILE)
        number[0] = '\0';
    if (recovering) {
        outcome = "interrupted";
        snprintf(error, sizeof(error),
                 "the modem's worker was interrupted (a restart, or Redis lost) during the probe");
    } else if (expires > 0 && clock_wall_ms() > expires) {
        outcome = "expired";
        snprintf(error, sizeof(error), "nobody waits for the probe any more; not run");
    } else if (given[0] && number[0] == '\0') {
        outcome = "failed";
        snprintf(error, sizeof(error), "the number to send the test SMS to is not a mobile number");
    } else {
        json_t *doc = probe_run(w, number);
        report = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (report == NULL) {
            outcome = "failed";
            snprintf(error, sizeof(error), "out of memory");
        }
    }
    char result[64], ttl[16], at[24];
    snprintf(result, sizeof(result), "%s%s", STORE_USSD_RESULT, req[0] ? req : "0");
    snprintf(ttl, sizeof(ttl), "%d", STORE_USSD_RESULT_TTL);
    snprintf(at, sizeof(at), "%lld", clock_wall_ms());
    const char *argv[] = {"FCALL",   "kt_ussd_done",
                          "2",       w->ussd_queue,
                          result,    STORE_OUT_GROUP,
                          id,        ttl,
                          "outcome", outcome,
                          "report",  report ? report : "",
                          "error",   error,
                          "modem",   w->name,
                          "at",      at};
    freeReplyObject(cmd_argv(w, (int)(sizeof(argv) / sizeof(argv[0])), argv));
    free(report);
}

/* One request from kt:ussdq:MODEM: dialled (unless it was left pending by a
 * worker that died, or nobody waits for it any more), answered in
 * kt:ussdres:REQ, taken off the queue. */
static void ussd_serve(struct worker *w, redisReply *entry, int recovering)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2 ||
        entry->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *id = entry->element[0]->str;
    redisReply *f = entry->element[1];
    if (f->type == REDIS_REPLY_ARRAY && strcmp(entry_field(f, "kind"), "probe") == 0) {
        probe_serve(w, id, f, recovering); /* the installer's probe rides the same queue */
        return;
    }
    char req[32] = "", code[64] = "";
    long long expires = 0;
    if (f->type == REDIS_REPLY_ARRAY) {
        snprintf(req, sizeof(req), "%s", entry_field(f, "req"));
        snprintf(code, sizeof(code), "%s", entry_field(f, "code"));
        expires = atoll(entry_field(f, "expires"));
    }
    struct ussd_result *res = calloc(1, sizeof(*res));
    if (res == NULL)
        return; /* stays pending: answered "interrupted" after a restart */
    res->how = "";
    if (recovering) {
        res->outcome = "interrupted";
        snprintf(res->error, sizeof(res->error),
                 "the modem's worker was interrupted (a restart, or Redis lost) while %s was "
                 "open; it was not dialled again",
                 code);
    } else if (!credit_code_valid(code)) {
        res->outcome = "failed";
        snprintf(res->error, sizeof(res->error), "'%s' is not a USSD code", code);
    } else if (expires > 0 && clock_wall_ms() > expires) {
        res->outcome = "expired";
        snprintf(res->error, sizeof(res->error),
                 "nobody waits for the answer to %s any more; not dialled", code);
    } else {
        ussd_run(w, code, res);
    }
    char result[64], ttl[16], at[24];
    snprintf(result, sizeof(result), "%s%s", STORE_USSD_RESULT, req[0] ? req : "0");
    snprintf(ttl, sizeof(ttl), "%d", STORE_USSD_RESULT_TTL);
    snprintf(at, sizeof(at), "%lld", clock_wall_ms());
    const char *argv[] = {"FCALL",   "kt_ussd_done",
                          "2",       w->ussd_queue,
                          result,    STORE_OUT_GROUP,
                          id,        ttl,
                          "outcome", res->outcome,
                          "answer",  res->answer,
                          "error",   res->error,
                          "read_as", res->how,
                          "modem",   w->name,
                          "code",    code,
                          "at",      at};
    freeReplyObject(cmd_argv(w, (int)(sizeof(argv) / sizeof(argv[0])), argv));
    free(res);
}

/* Cuts s to at most max bytes without splitting a UTF-8 character. */
static void utf8_cut(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    s[max] = '\0';
}

/* Dials balance_code, reads the credit with balance_pattern and records it
 * (kt_credit); staff hear of it once each time it falls below balance_low. */
static void credit_check(struct worker *w)
{
    w->next_balance = clock_wall_ms() + w->mc->balance_every * 1000LL;
    struct ussd_result *res = calloc(1, sizeof(*res));
    if (res == NULL)
        return;
    ussd_run(w, w->mc->balance_code, res);
    char credit[24] = "", why[320] = "", low[24], now[24], expires[24];
    char text[CREDIT_ALERT_MAX + 1] = "";
    long long rupiah = 0;
    if (strcmp(res->outcome, "ok") != 0)
        snprintf(why, sizeof(why), "%s", res->error);
    else if (!w->balance_ready)
        snprintf(why, sizeof(why), "balance_pattern does not compile");
    else if (credit_match(&w->balance_re, res->answer, &rupiah, why, sizeof(why)) == 0)
        snprintf(credit, sizeof(credit), "%lld", rupiah);
    if (credit[0])
        credit_alert_text(w->name, rupiah, w->mc->balance_low, text, sizeof(text));
    utf8_cut(res->answer, WORKER_CREDIT_RAW);
    snprintf(low, sizeof(low), "%d", w->mc->balance_low);
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    snprintf(expires, sizeof(expires), "%lld", clock_wall_ms() + WORKER_ALERT_TTL_MS);
    char key[64];
    snprintf(key, sizeof(key), "kt:modem:%s", w->name);
    const char *argv[16 + CONFIG_MAX_OFFICIALS]; /* 13 fixed, then the staff */
    int argc = 0;
    argv[argc++] = "FCALL";
    argv[argc++] = "kt_credit";
    argv[argc++] = "2";
    argv[argc++] = key;
    argv[argc++] = STORE_OUT_ANY;
    argv[argc++] = now;
    argv[argc++] = credit;
    argv[argc++] = res->answer;
    argv[argc++] = why;
    argv[argc++] = low;
    argv[argc++] = expires;
    argv[argc++] = text;
    argv[argc++] = w->name;
    for (int i = 0; i < w->nstaff; i++)
        argv[argc++] = w->staff[i];
    redisReply *r = cmd_argv(w, argc, argv);
    const char *status = reply_is_array(r, 2) && reply_text_at(r, 0) ? reply_text_at(r, 0) : "";
    if (strcmp(status, "error") == 0)
        log_warnx("event=credit_unknown modem=%s error=\"%s\"", w->name, why);
    else if (strcmp(status, "crossed") == 0)
        log_warnx("event=credit_low modem=%s credit=%lld low=%d alerts=%lld%s", w->name, rupiah,
                  w->mc->balance_low, reply_int_at(r, 1, 0),
                  w->nstaff ? "" : " note=\"no official with role staff or coordinator to tell\"");
    else if (status[0])
        log_info("event=credit modem=%s credit=%lld low=%d below=%d", w->name, rupiah,
                 w->mc->balance_low, strcmp(status, "low") == 0);
    else
        log_error("event=credit_record_failed modem=%s error=\"%s\"", w->name, reply_why(r));
    freeReplyObject(r);
    free(res);
}

static struct outmsg *outmsg_from(const char *lane, redisReply *entry)
{
    if (!reply_is_array(entry, -1) || entry->elements < 2 || reply_text_at(entry, 0) == NULL)
        return NULL;
    struct outmsg *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    snprintf(m->lane, sizeof(m->lane), "%s", lane);
    snprintf(m->id, sizeof(m->id), "%s", reply_text_at(entry, 0));
    redisReply *f = entry->element[1];
    if (f->type != REDIS_REPLY_ARRAY) {
        m->text = strdup(""); /* deleted entry: finish() acknowledges it */
        return m;
    }
    snprintf(m->to, sizeof(m->to), "%s", entry_field(f, "to"));
    snprintf(m->kind, sizeof(m->kind), "%s", entry_field(f, "kind"));
    snprintf(m->origin, sizeof(m->origin), "%s", entry_field(f, "origin"));
    m->expires = atoll(entry_field(f, "expires"));
    m->text = strndup(entry_field(f, "text"), WORKER_OUT_TEXT_MAX - 1);
    if (m->text == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

static int in_retry(struct worker *w, const char *id)
{
    for (int i = 0; i < w->nretry; i++)
        if (strcmp(w->retry[i]->id, id) == 0)
            return 1;
    return 0;
}

/* Reads the USSD queue and the lanes in priority order, serves the USSD
 * requests, then sends what came; returns messages and requests handled.
 * block_ms > 0 waits on Redis for new work. With capped set (the SIM's cap
 * is reached) only the USSD queue is read: a code needs no SMS. */
static int send_from_lanes(struct worker *w, int block_ms, int capped)
{
    /* The USSD queue first: its requests are served before any send. */
    const char *lanes[] = {w->ussd_queue, w->own_lane, STORE_OUT_ANY, STORE_OUT_EMERG,
                           STORE_OUT_BULK};
    /* No ordinary broadcasts in the quiet hours: the bulk lane waits (once
     * what this worker had taken before a restart is recovered). */
    int nlanes = w->recovered && (config_is_quiet(w->cfg, clock_now()) || !bulk_allows(w))
                     ? 4 /* or ordinary broadcasts used their share of the caps for now */
                     : 5;
    if (capped)
        nlanes = 1;
    const char *from = w->recovered ? ">" : "0";
    char block[16];
    snprintf(block, sizeof(block), "%d", block_ms);
    const char *argv[20];
    int argc = 0;
    argv[argc++] = "XREADGROUP";
    argv[argc++] = "GROUP";
    argv[argc++] = STORE_OUT_GROUP;
    argv[argc++] = w->name;
    argv[argc++] = "COUNT";
    argv[argc++] = w->recovered ? "1" : "100";
    if (block_ms > 0 && w->recovered) {
        argv[argc++] = "BLOCK";
        argv[argc++] = block;
    }
    argv[argc++] = "STREAMS";
    for (int i = 0; i < nlanes; i++)
        argv[argc++] = lanes[i];
    for (int i = 0; i < nlanes; i++)
        argv[argc++] = from;
    if (block_ms > 0 && w->rc) {
        struct timeval tv = {10 + block_ms / 1000, 0};
        redisSetTimeout(w->rc, tv);
    }
    redisReply *r = cmd_argv(w, argc, argv);
    if (r == NULL)
        return 0;
    if (r->type == REDIS_REPLY_ERROR) {
        log_warnx("event=lane_read_failed modem=%s error=\"%s\"", w->name, r->str);
        if (strncmp(r->str, "NOGROUP", 7) == 0)
            redis_drop(w, "lost consumer groups");
        freeReplyObject(r);
        return 0;
    }
    /* USSD requests now; collect per lane, then send in priority order. */
    struct outmsg *batch[400];
    int nb = 0, got = 0, served = 0;
    for (size_t s = 0; r->type == REDIS_REPLY_ARRAY && s < r->elements; s++) {
        redisReply *st = r->element[s];
        if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 ||
            st->element[0]->type != REDIS_REPLY_STRING ||
            strcmp(st->element[0]->str, w->ussd_queue) != 0 ||
            st->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        for (size_t e = 0; e < st->element[1]->elements && !stop_flag && w->rc; e++) {
            got++;
            served++;
            ussd_serve(w, st->element[1]->element[e], !w->recovered);
        }
    }
    for (int prio = 1; prio < nlanes; prio++) {
        if (r->type != REDIS_REPLY_ARRAY)
            break;
        for (size_t s = 0; s < r->elements; s++) {
            redisReply *st = r->element[s];
            const char *name = reply_text_at(st, 0);
            if (!reply_is_array(st, 2) || name == NULL || strcmp(name, lanes[prio]) != 0 ||
                st->element[1]->type != REDIS_REPLY_ARRAY)
                continue;
            for (size_t e = 0; e < st->element[1]->elements && nb < 400; e++) {
                got++;
                struct outmsg *m = outmsg_from(lanes[prio], st->element[1]->element[e]);
                if (m && !in_retry(w, m->id))
                    batch[nb++] = m;
                else
                    outmsg_free(m);
            }
        }
    }
    freeReplyObject(r);
    if (!w->recovered && got == 0) {
        w->recovered = 1;
        if (w->rc) {
            struct timeval tv = {10, 0};
            redisSetTimeout(w->rc, tv);
        }
    }
    for (int i = 0; i < nb; i++) {
        if (stop_flag || w->rc == NULL || w->suspect) {
            outmsg_free(batch[i]); /* stays pending */
            continue;
        }
        if (batch[i]->to[0] == '\0') {
            finish(w, batch[i], "failed", 0, "", 0, "no_recipient");
            outmsg_free(batch[i]);
            continue;
        }
        send_message(w, batch[i]);
    }
    if (block_ms > 0 && w->rc) {
        struct timeval tv = {10, 0};
        redisSetTimeout(w->rc, tv);
    }
    return nb + served;
}

/* 1 while a message this worker holds back is still pending for it: after
 * the modem was down long enough, failover hands it to another modem. */
static int still_mine(struct worker *w, const struct outmsg *m)
{
    redisReply *r =
        cmd(w, "XPENDING %s %s %s %s 1 %s", m->lane, STORE_OUT_GROUP, m->id, m->id, w->name);
    int mine = r == NULL || (r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    freeReplyObject(r);
    return mine; /* Redis away: it stays held, nothing is sent without Redis anyway */
}

static void send_due_retries(struct worker *w)
{
    long long now = clock_wall_ms();
    for (int i = 0; i < w->nretry && !stop_flag && !w->suspect;) {
        if (w->retry[i]->due > now || !cap_allows(w)) {
            i++;
            continue;
        }
        struct outmsg *m = w->retry[i];
        w->retry[i] = w->retry[--w->nretry];
        if (!still_mine(w, m)) {
            log_info("event=send_handed_over modem=%s id=%s lane=%s", w->name, m->id, m->lane);
            outmsg_free(m);
            continue;
        }
        send_message(w, m);
    }
}

/* ---- main loop ---- */

static void run(struct worker *w)
{
    while (!stop_flag) {
        heartbeat(w);
        if (!redis_up(w)) {
            nap(w, 200);
            continue;
        }
        if (!modem_lock(w)) {
            if (w->sm) {
                /* Someone else drives this modem now: let go of it. */
                gammu_close(w);
            }
            nap(w, 500);
            continue;
        }
        if (!w->recovery_loaded)
            recovery_load(w);
        if (w->sm == NULL) {
            /* the recovery ladder: wait out the backoff in short naps (the
             * lock is refreshed at each turn), re-enumerate the USB device
             * when its turn came, then connect, and reset the modem first
             * thing when that is due */
            if (clock_wall_ms() < w->next_attempt) {
                long long left = w->next_attempt - clock_wall_ms();
                nap(w, left < 200 ? left : 200);
                continue;
            }
            if (w->pending_step == RECOVERY_USB) {
                w->pending_step = RECOVERY_NONE;
                recovery_usb(w);
                continue;
            }
            if (gammu_open(w) != 0) {
                set_state(w, "down");
                recovery_failed(w, "connect_failed");
                continue;
            }
            if (w->pending_step == RECOVERY_RESET) {
                w->pending_step = RECOVERY_NONE;
                recovery_reset(w);
                continue;
            }
        }
        long long now = clock_wall_ms();
        /* FALSE: returns after ~50 ms on a quiet line (TRUE would wait ~1 s);
         * unsolicited +CMTI lines are handled inside. */
        if (!w->dummy)
            GSM_ReadDevice(w->sm, FALSE);
        if (!GSM_IsConnected(w->sm)) {
            log_warnx("event=modem_lost modem=%s", w->name);
            set_state(w, "down");
            gammu_close(w);
            recovery_failed(w, "connection_lost");
            continue;
        }
        /* While a stored message's reply is due, the modem is kept for it: the health
         * check, a periodic sweep or a credit check waits (at most WORKER_REPLY_WAIT_MS). A
         * +CMTI waiting to be read goes first too, and the check asks one question per turn,
         * so a message that arrives meanwhile waits for one exchange at most. */
        if (!announced_waiting(w) &&
            !(strcmp(w->state, "up") == 0 && w->expect_reply_until > now)) {
            if (w->check_step == CHECK_IDLE && now >= w->next_status) {
                w->next_status = now + w->mc->check_seconds * 1000LL;
                w->check_step = CHECK_SIM;
            }
            if (w->check_step != CHECK_IDLE)
                check_next(w);
        }
        if (strcmp(w->state, "up") == 0 && w->fails > 0 &&
            clock_mono_ms() - w->up_since >= WORKER_STABLE_MS)
            recovery_ok(w);
        if (strcmp(w->state, "up") != 0) {
            /* Out of service (no SIM, a locked SIM, no network): nothing is
             * taken from the lanes; without a usable SIM nothing is read from
             * it either. The checks above bring it back. */
            if (w->sim_usable && (w->cmti || w->nannounced > 0 || now >= w->next_sweep)) {
                w->cmti = 0;
                w->next_sweep = now + w->mc->poll_seconds * 1000LL;
                sweep(w);
            }
            deferred_due(w); /* no reply can go out from here: stored ones leave the SIM */
            if (w->check_step == CHECK_IDLE)
                nap(w, 200); /* not while a check is under way: its next question is due */
            continue;
        }
        int replying = w->expect_reply_until > now;
        if (w->nannounced > 0 && !w->cmti) {
            if (read_announced(w) > 0)
                w->expect_reply_until = clock_wall_ms() + WORKER_REPLY_WAIT_MS;
        } else if (w->cmti || (now >= w->next_sweep && !replying)) {
            int forced = w->cmti; /* a +CMTI without a location: list the SIM */
            w->cmti = 0;
            w->next_sweep = now + sweep_interval(w);
            if ((forced ? sweep(w) : sweep_periodic(w)) > 0)
                w->expect_reply_until = clock_wall_ms() + WORKER_REPLY_WAIT_MS;
        }
        deferred_due(w);
        if (now >= w->next_release) {
            w->next_release = now + WORKER_RELEASE_EVERY * 1000LL;
            release_parts(w);
        }
        replying = w->expect_reply_until > clock_wall_ms();
        if (w->cfg->test_clock && now >= w->next_clock) {
            w->next_clock = now + 1000;
            read_test_clock(w);
        }
        if (w->suspect) {
            /* No answer to a send: reconnect before handing it anything
             * else, so a modem that died takes one message with it at
             * most; what this worker took and did not send is read again
             * from its pending list (or moved by failover). */
            log_warnx("event=modem_suspect modem=%s action=reconnect", w->name);
            set_state(w, "down");
            gammu_close(w);
            w->suspect = 0;
            w->recovered = 0;
            recovery_failed(w, "no_answer");
            continue;
        }
        if (w->mc->balance_code[0] && clock_wall_ms() >= w->next_balance && !replying &&
            !announced_waiting(w) && w->check_step == CHECK_IDLE)
            credit_check(w);
        send_due_retries(w);
        if (!cap_allows(w)) {
            /* Sends wait for the cap; USSD requests do not (once this
             * worker's own pending entries are recovered, which needs every
             * lane read). */
            if (w->recovered)
                send_from_lanes(w, w->dummy ? 200 : 0, 1);
            else if (w->dummy)
                nap(w, 200);
            continue;
        }
        /* How long may we block on Redis? The dummy driver has no events of
         * its own, so we wait until the next sweep; an AT modem's events
         * arrive in GSM_ReadDevice, so we only wait for an expected reply. */
        long long block = 0;
        now = clock_wall_ms();
        if (w->expect_reply_until > now)
            block = w->expect_reply_until - now;
        else if (w->dummy)
            block = w->next_sweep - now;
        if (block > WORKER_IDLE_BLOCK_MS)
            block = WORKER_IDLE_BLOCK_MS;
        if (block < 0)
            block = 0;
        if (w->nretry > 0 && block > 100)
            block = 100;
        if (w->check_step != CHECK_IDLE)
            block = 0; /* the health check's next question is due */
        if (w->next_bc > now) {
            /* A broadcast is being paced: Redis times a blocking read out
             * in ticks of up to 100 ms, too coarse for the pace, so look at
             * the lanes without blocking and sleep here until it is due. */
            if (send_from_lanes(w, 0, 0) > 0)
                w->expect_reply_until = 0;
            else if (w->next_bc > clock_wall_ms())
                nap(w, w->next_bc - clock_wall_ms() < 50 ? w->next_bc - clock_wall_ms() : 50);
            continue;
        }
        int sent = send_from_lanes(w, (int)block, 0);
        w->lanes_idle = sent == 0;
        if (sent > 0) {
            w->expect_reply_until = 0;
            w->replied = 1;
        }
    }
}

/* Officials with role staff or coordinator hear of low credit, each number
 * once. */
static void credit_recipients(struct worker *w)
{
    for (int i = 0; i < w->cfg->nofficials && w->nstaff < CONFIG_MAX_OFFICIALS; i++) {
        const struct official_config *o = &w->cfg->officials[i];
        char num[24];
        if ((strcmp(o->role, "staff") != 0 && strcmp(o->role, "coordinator") != 0) ||
            phone_normalise(o->phone, num, sizeof(num)) != PHONE_MOBILE)
            continue;
        int seen = 0;
        for (int k = 0; k < w->nstaff; k++)
            seen |= strcmp(w->staff[k], num) == 0;
        if (!seen)
            snprintf(w->staff[w->nstaff++], sizeof(w->staff[0]), "%s", num);
    }
    if (w->nstaff == 0)
        log_warnx("event=credit_no_recipients modem=%s note=\"no official with role staff or "
                  "coordinator: low credit will be recorded but told to nobody\"",
                  w->name);
}

int worker_main(const struct config *cfg, const char *name)
{
    struct worker w;
    memset(&w, 0, sizeof(w));
    w.cfg = cfg;
    w.mc = config_modem(cfg, name);
    if (w.mc == NULL) {
        log_error("event=worker_failed modem=%s reason=\"no such modem in %s\"", name, cfg->path);
        return 2;
    }
    snprintf(w.name, sizeof(w.name), "%s", name);
    snprintf(w.own_lane, sizeof(w.own_lane), "kt:out:m:%s", name);
    snprintf(w.ussd_queue, sizeof(w.ussd_queue), "%s%s", STORE_USSD_QUEUE, name);
    if (w.mc->balance_code[0]) {
        char why[256];
        w.balance_ready =
            credit_pattern_compile(&w.balance_re, w.mc->balance_pattern, why, sizeof(why)) == 0;
        if (!w.balance_ready) /* config_load refuses such a file; never reached */
            log_error("event=balance_pattern_bad modem=%s error=\"%s\"", name, why);
        credit_recipients(&w);
    }
    /* The lock names the device, not the section: a modem renamed in a
     * reload (old worker still stopping) or listed twice is driven once. */
    const char *dev = modem_gammu(w.mc, "device");
    snprintf(w.lock_key, sizeof(w.lock_key), "kt:lock:device:%s", dev ? dev : name);
    char host[64] = "";
    gethostname(host, sizeof(host) - 1);
    snprintf(w.lock_val, sizeof(w.lock_val), "%s:%d", host, (int)getpid());
    const char *model = modem_gammu(w.mc, "model");
    w.dummy = model && strcasecmp(model, "dummy") == 0;
    const char *hb = getenv("KT_HEARTBEAT_FD");
    w.heartbeat_fd = hb ? atoi(hb) : -1;
    if (w.heartbeat_fd >= 0)
        fcntl(w.heartbeat_fd, F_SETFL, O_NONBLOCK);
    w.multi = calloc(1, sizeof(*w.multi)); /* ~260 KB: never on the stack */
    if (w.multi == NULL)
        return 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    /* libgammu's proxyat connection forks the modem command and never reaps
     * it when the connection closes: let the kernel do it. */
    signal(SIGCHLD, SIG_IGN);

    log_info("event=worker_start modem=%s dummy=%d", w.name, w.dummy);
    run(&w);
    log_info("event=worker_stop modem=%s", w.name);
    gammu_close(&w);
    if (w.rc)
        set_state(&w, "stopped");
    modem_unlock(&w);
    for (int i = 0; i < w.nretry; i++)
        outmsg_free(w.retry[i]); /* pending in Redis; resumed by the next worker */
    if (w.rc)
        redisFree(w.rc);
    free(w.multi);
    if (w.trace) {
        fclose(w.trace);
        unlink(w.trace_path);
    }
    if (w.balance_ready)
        regfree(&w.balance_re);
    return 0;
}
