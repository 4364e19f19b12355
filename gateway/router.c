/* router — see router.h.
 *
 * Life of one inbound message here:
 *   XREADGROUP (batch) -> request_new -> sender check -> kt_rate (per-number
 *     limits, reply budget; officials skip it)
 *     -> handler (keyword table) -> request_reply()* -> request_done()
 *     -> kt_commit (replies queued + done key + XACK, atomically) -> freed.
 * A message whose commit never happened (crash, lost connection) stays in
 * the consumer's pending list and is read again; the done key set by
 * kt_commit makes the second commit queue nothing. */
#include "gateway/router.h"

#include "gateway/clock.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/phone.h"
#include "gateway/redisauth.h"
#include "gateway/redisev.h"
#include "gateway/reply.h"
#include "gateway/store.h"
#include "handlers/handler.h"
#include "handlers/events.h"
#include "handlers/keyword.h"
#include "handlers/lexicon.h"
#include "handlers/menu_sms.h"
#include "handlers/privacy.h"
#include "handlers/services.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define ROUTER_BATCH          256  /* messages per XREADGROUP */
#define ROUTER_MAX_INFLIGHT   1024 /* requests between read and commit */
#define ROUTER_BLOCK_MS       2000 /* XREADGROUP BLOCK */
#define ROUTER_TEXT_MAX       8192 /* longer inbound text is cut (50 parts fit) */
#define ROUTER_MAX_REPLIES    8    /* replies one request may queue */
#define ROUTER_CLAIM_SECONDS  5    /* how often to claim dead consumers' messages and fail over */
#define ROUTER_RECONNECT_MAX  5000 /* ms, ceiling of the reconnect backoff */
#define ROUTER_STOP_BOUND_MS  5000 /* router_stop waits at most this long */
#define ROUTER_SHED_TTL       120  /* seconds a "too many, try later" answer may wait */
#define ROUTER_SHED_SHARE     5    /* "try later" SMS a minute: at most budget / this */
#define ROUTER_DUE_SECONDS    1    /* how often due deadlines are looked for */
#define ROUTER_MAX_DELIVERIES 10   /* reads of one message before it goes to kt:dead */

/* What a number over its limits, or anyone over the reply budget, is told
 * (once per window; then silence). One GSM-7 SMS each. */
#define TEXT_LIMITED                                                                               \
    "Maaf, pesan Anda terlalu banyak. Mohon tunggu beberapa menit lalu kirim lagi. Ketik INFO "    \
    "untuk bantuan."
#define TEXT_LIMITED_DAY                                                                           \
    "Maaf, pesan dari nomor Anda hari ini sudah terlalu banyak. Silakan kirim lagi besok."
#define TEXT_SHED                                                                                  \
    "Maaf, layanan sedang menerima terlalu banyak pesan. Silakan kirim lagi beberapa saat lagi. "  \
    "Keadaan darurat: hubungi 112."

struct reply {
    char stream[64];
    char to[24];
    char kind[12];
    char *text;
};

#define ROUTER_EVENT_FIELDS 16 /* fields kept from an event entry */

struct request {
    struct router *router;
    unsigned epoch;     /* connection generation the request was read on */
    const char *stream; /* STORE_IN or STORE_EVENTS */
    /* The services in force when the message was read: one request sees
     * one consistent set of data and officials across a reload. */
    const struct services *services;
    void *owned[4]; /* freed with the request (request_own) */
    int nowned;
    /* Requests that came from elsewhere than a stream (router_submit). */
    const char *channel;
    router_done_fn done_fn;
    void *done_arg;
    int answer_only; /* replies to the sender are not queued (router_submit) */
    int committed;
    int outcome;   /* enum router_outcome when not run (limited, shed); 0 otherwise */
    int in_menu;   /* the sender is inside an SMS menu session */
    int reply_ttl; /* seconds its replies may wait; 0: reply_ttl */
    char id[ROUTER_ID_MAX];
    char event[32]; /* event type, "" for an inbound message */
    char *fields[2 * ROUTER_EVENT_FIELDS];
    int nfields;
    char modem[CONFIG_NAME_MAX];
    char from[64];
    char sender[24];
    char coding[8];
    char pin[72]; /* the kt:in field "pin": a digest, never a PIN (gateway/pin.h) */
    int parts, incomplete;
    char *text;
    struct reply replies[ROUTER_MAX_REPLIES];
    int nreplies;
    int done;
    struct kw_match match;
};

struct router {
    struct event_base *base;
    const struct config *cfg;
    redisAsyncContext *cmd, *blk;
    int cmd_ready, blk_ready;
    unsigned epoch;
    int reading;
    int stopping;
    int freeing;       /* router_free in progress: connection callbacks do nothing */
    int pending_phase; /* 1 while re-reading our own pending entries */
    /* Where the pending re-read has got to, per stream: a message that
     * fails again is not read again in the same pass (XAUTOCLAIM retries it
     * after claim_idle), so one bad message cannot hold up the rest. */
    char cursor[2][32];
    int inflight;
    int backoff_ms;
    int auth_failed;    /* the last login was refused: auth_why says why (logged once) */
    char auth_why[160]; /* Redis' answer to AUTH */
    const struct services *services;
    struct event *reconnect_ev, *claim_ev, *stop_ev, *due_ev;
    void (*stop_done)(void *);
    void *stop_arg;
    struct router_stats stats;
};

static void connect_all(struct router *r);
static void maybe_read(struct router *r);
static void commit(struct request *req);

/* ---- the handler contract (handler.h) ---- */

const char *request_sender(const struct request *req)
{
    return req->sender;
}

const char *request_text(const struct request *req)
{
    return req->text;
}

const char *request_pin(const struct request *req)
{
    return req->pin;
}

const char *request_channel(const struct request *req)
{
    return req->channel ? req->channel : "sms";
}

const char *request_hint(const struct request *req, const char *name)
{
    return request_field(req, name);
}

int request_set_hint(struct request *req, const char *name, const char *value)
{
    if (req->nfields + 2 > 2 * ROUTER_EVENT_FIELDS)
        return -1;
    char *k = strdup(name), *v = strdup(value);
    if (k == NULL || v == NULL) {
        free(k);
        free(v);
        return -1;
    }
    req->fields[req->nfields++] = k;
    req->fields[req->nfields++] = v;
    return 0;
}

struct kw_match *request_match(struct request *req)
{
    return &req->match;
}

const char *request_modem(const struct request *req)
{
    return req->modem;
}

long long request_now(const struct request *req)
{
    /* An event stamped when it fired (a deadline) is handled as of then,
     * by whichever gateway takes it. */
    if (req->event[0]) {
        long long at = atoll(request_field(req, "at"));
        if (at > 0)
            return at / 1000;
    }
    return router_now(req->router);
}

long long router_now(const struct router *r)
{
    return clock_now();
}

const char *request_id(const struct request *req)
{
    return req->id;
}

const char *request_event(const struct request *req)
{
    return req->event;
}

const char *request_field(const struct request *req, const char *name)
{
    for (int i = 0; i + 1 < req->nfields; i += 2)
        if (strcmp(req->fields[i], name) == 0)
            return req->fields[i + 1];
    return "";
}

const struct services *request_services(const struct request *req)
{
    return req->services;
}

void *request_own(struct request *req, void *ptr)
{
    if (ptr == NULL || req->nowned == (int)(sizeof(req->owned) / sizeof(req->owned[0]))) {
        free(ptr);
        return NULL;
    }
    req->owned[req->nowned++] = ptr;
    return ptr;
}

struct command {
    struct request *req;
    request_cb cb;
    void *arg;
};

static void request_finished(struct request *req);

static void on_command(redisAsyncContext *c, void *reply, void *priv)
{
    struct command *cmd = priv;
    struct request *req = cmd->req;
    request_cb cb = cmd->cb;
    void *arg = cmd->arg;
    free(cmd);
    if (reply == NULL || req->epoch != req->router->epoch) {
        /* Connection lost: let go without acknowledging; read again later. */
        log_warnx("event=handler_redis_lost id=%s", req->id);
        request_finished(req);
        return;
    }
    cb(req, reply, arg);
}

int request_redis_argv(struct request *req, request_cb cb, void *arg, int argc, const char **argv)
{
    struct router *r = req->router;
    struct command *cmd = malloc(sizeof(*cmd));
    if (cmd == NULL || r->cmd == NULL || req->epoch != r->epoch) {
        free(cmd);
        request_finished(req);
        return -1;
    }
    cmd->req = req;
    cmd->cb = cb;
    cmd->arg = arg;
    if (redisAsyncCommandArgv(r->cmd, on_command, cmd, argc, argv, NULL) != REDIS_OK) {
        free(cmd);
        request_finished(req);
        return -1;
    }
    return 0;
}

void request_fail(struct request *req, const char *why)
{
    log_warnx("event=handler_failed id=%s reason=\"%s\" note=\"left pending, retried later\"",
              req->id, why);
    request_finished(req);
}

struct redisAsyncContext *request_redis(struct request *req)
{
    return req->router->cmd;
}

static int add_reply(struct request *req, const char *stream, const char *to, const char *kind,
                     const char *text)
{
    if (req->nreplies == ROUTER_MAX_REPLIES) {
        log_warnx("event=reply_dropped id=%s reason=too_many_replies", req->id);
        return -1;
    }
    struct reply *rp = &req->replies[req->nreplies];
    /* Handlers mask what they quote; this catches what one did not (every
     * SMS, USSD screen and API answer a handler writes passes here). */
    size_t len = strlen(text) + 1;
    rp->text = malloc(len);
    if (rp->text == NULL)
        return -1;
    privacy_mask(text, rp->text, len);
    snprintf(rp->stream, sizeof(rp->stream), "%s", stream);
    snprintf(rp->to, sizeof(rp->to), "%s", to);
    snprintf(rp->kind, sizeof(rp->kind), "%s", kind);
    req->nreplies++;
    return 0;
}

int request_reply(struct request *req, const char *text)
{
    char lane[64];
    /* A resident gets the answer from the number they texted. */
    if (req->modem[0])
        snprintf(lane, sizeof(lane), "kt:out:m:%s", req->modem);
    else
        snprintf(lane, sizeof(lane), "%s", STORE_OUT_ANY);
    return add_reply(req, lane, req->sender, "reply", text);
}

int request_send_to(struct request *req, const char *number, const char *text)
{
    return add_reply(req, STORE_OUT_ANY, number, "notice", text);
}

void request_done(struct request *req)
{
    if (req->done) {
        log_error("event=handler_bug id=%s reason=request_done_twice", req->id);
        return;
    }
    req->done = 1;
    commit(req);
}

/* ---- requests ---- */

static void request_free(struct request *req)
{
    for (int i = 0; i < req->nreplies; i++)
        free(req->replies[i].text);
    for (int i = 0; i < req->nfields; i++)
        free(req->fields[i]);
    for (int i = 0; i < req->nowned; i++)
        free(req->owned[i]);
    free(req->text);
    free(req);
}

static void request_finished(struct request *req)
{
    struct router *r = req->router;
    if (req->done_fn) {
        /* The answer is the first reply to the sender: an official's
         * command tells the resident first and answers the official after. */
        const char *first = "";
        for (int i = 0; i < req->nreplies && first[0] == '\0'; i++)
            if (strcmp(req->replies[i].kind, "reply") == 0)
                first = req->replies[i].text;
        req->done_fn(req->done_arg, req->outcome ? req->outcome : req->committed, first);
    }
    r->inflight--;
    request_free(req);
    maybe_read(r);
    if (r->stopping && r->inflight == 0 && r->stop_ev)
        event_active(r->stop_ev, EV_TIMEOUT, 0);
}

static void on_commit(redisAsyncContext *c, void *reply, void *priv)
{
    struct request *req = priv;
    redisReply *rep = reply;
    if (rep == NULL || rep->type != REDIS_REPLY_INTEGER) {
        /* Not acknowledged (or not known to be): the message stays pending
         * and is read again; kt_commit's done key stops a second queueing. */
        log_warnx("event=commit_failed id=%s error=\"%s\"", req->id, reply_why(rep));
    } else {
        req->router->stats.committed++;
        req->router->stats.replies += (unsigned long long)rep->integer;
        req->committed = 1;
    }
    request_finished(req);
}

static void commit(struct request *req)
{
    struct router *r = req->router;
    if (r->cmd == NULL || req->epoch != r->epoch) {
        request_finished(req);
        return;
    }
    int argc;
    const char *argv[4 + 2 + 5 + 5 * ROUTER_MAX_REPLIES];
    char done_key[64], ttl[16], n[16], now[24], expires[24];
    snprintf(done_key, sizeof(done_key), "kt:done:%s%s", req->event[0] ? "ev:" : "", req->id);
    snprintf(ttl, sizeof(ttl), "%d", r->cfg->dedupe_ttl);
    int queued = 0;
    for (int k = 0; k < req->nreplies; k++)
        queued += !(req->answer_only && strcmp(req->replies[k].kind, "reply") == 0);
    snprintf(n, sizeof(n), "%d", queued);
    long long t = clock_wall_ms();
    snprintf(now, sizeof(now), "%lld", t);
    snprintf(expires, sizeof(expires), "%lld",
             t + (long long)(req->reply_ttl ? req->reply_ttl : r->cfg->reply_ttl) * 1000);
    int i = 0;
    argv[i++] = "FCALL";
    argv[i++] = "kt_commit";
    argv[i++] = "2";
    argv[i++] = req->stream;
    argv[i++] = done_key;
    argv[i++] = STORE_IN_GROUP;
    argv[i++] = req->id;
    argv[i++] = ttl;
    argv[i++] = n;
    argv[i++] = now;
    for (int k = 0; k < req->nreplies; k++) {
        if (req->answer_only && strcmp(req->replies[k].kind, "reply") == 0)
            continue;
        argv[i++] = req->replies[k].stream;
        argv[i++] = req->replies[k].to;
        argv[i++] = req->replies[k].text;
        argv[i++] = expires;
        argv[i++] = req->replies[k].kind;
    }
    argc = i;
    if (redisAsyncCommandArgv(r->cmd, on_commit, req, argc, argv, NULL) != REDIS_OK)
        request_finished(req);
}

static void dispatch_event(struct request *req)
{
    for (const struct event_handler *e = event_table; e->type; e++) {
        if (strcmp(e->type, req->event) == 0) {
            e->fn(req);
            return;
        }
    }
    log_warnx("event=unknown_event id=%s type=%s action=acknowledged", req->id, req->event);
    request_done(req);
}

static void dispatch(struct request *req)
{
    /* Inside an SMS menu every reply is a menu input, except the keywords
     * that must always work (BERHENTI: an opt-out is honoured at once) or
     * that start over (MENU, INFO). */
    if (req->in_menu) {
        int matched = kw_parse(req->text, &req->match) == 0 && req->match.keyword->handler;
        if (!matched || !(req->match.keyword->flags & KW_MENU_EXIT)) {
            menu_sms_step(req);
            return;
        }
        menu_sms_leave(req);
        req->match.keyword->handler(req, &req->match);
        return;
    }
    intent_dispatch(req); /* keywords, and what residents write around them */
}

/* A message that passed the limits: a stream entry goes to the keyword
 * table, a submitted action (router_submit) to its own handler. */
static void run(struct request *req)
{
    if (req->done_fn)
        req->match.keyword->handler(req, &req->match);
    else
        dispatch(req);
}

static void on_rate(redisAsyncContext *c, void *reply, void *priv)
{
    struct request *req = priv;
    struct router *r = req->router;
    redisReply *rep = reply;
    if (!reply_is_array(rep, 3) || !reply_at(rep, 0, REDIS_REPLY_INTEGER) ||
        !reply_at(rep, 1, REDIS_REPLY_INTEGER) || !reply_at(rep, 2, REDIS_REPLY_INTEGER)) {
        log_warnx("event=rate_failed id=%s error=\"%s\"", req->id, reply_why(rep));
        request_finished(req);
        return;
    }
    int verdict = (int)reply_int_at(rep, 0, -1), count = (int)reply_int_at(rep, 1, 0);
    req->in_menu = reply_int_at(rep, 2, 0) == 1;
    if (verdict == STORE_RATE_OK) {
        run(req);
        return;
    }
    int shed = verdict == STORE_RATE_SHED || verdict == STORE_RATE_SHED_QUIET;
    int day = verdict == STORE_RATE_DAY || verdict == STORE_RATE_DAY_QUIET;
    int told =
        verdict == STORE_RATE_LIMITED || verdict == STORE_RATE_DAY || verdict == STORE_RATE_SHED;
    char masked[32];
    if (shed)
        r->stats.shed++;
    else
        r->stats.limited++;
    /* One line per number and window; the rest of a flood only at debug. */
    log_msg(told ? LOG_INFO : LOG_DEBUG, 0, "event=%s id=%s channel=%s from=%s count=%d limit=%s",
            shed ? "shed" : "rate_limited", req->id, request_channel(req),
            log_phone(req->sender, masked, sizeof(masked)), count,
            shed  ? "reply_budget_per_minute"
            : day ? "sender_per_day"
                  : "sender_per_minute");
    if (req->done_fn) {
        /* A USSD action: its screen tells the resident; nothing runs, no SMS. */
        req->outcome = shed ? ROUTER_SHED : day ? ROUTER_LIMITED_DAY : ROUTER_LIMITED;
        request_finished(req);
        return;
    }
    req->done = 1;
    if (verdict == STORE_RATE_LIMITED)
        request_reply(req, TEXT_LIMITED);
    else if (verdict == STORE_RATE_DAY)
        request_reply(req, TEXT_LIMITED_DAY);
    else if (verdict == STORE_RATE_SHED) {
        /* late is useless here, and must not queue up in front of others */
        req->reply_ttl = ROUTER_SHED_TTL;
        request_reply(req, TEXT_SHED);
    }
    commit(req);
}

/* The per-number limits and the reply budget (kt_rate), then on_rate.
 * free_answer: the caller answers on its own screen (USSD), not by SMS. */
static void rate_check(struct router *r, struct request *req, int free_answer)
{
    int budget = config_reply_budget(r->cfg);
    struct store_rate in = {req->sender,
                            req->id,
                            r->cfg->sender_per_minute,
                            r->cfg->sender_per_day,
                            budget,
                            budget / ROUTER_SHED_SHARE > 0 ? budget / ROUTER_SHED_SHARE : 1,
                            free_answer};
    struct store_rate_args args;
    if (store_rate_argv(&in, &args) != 0 ||
        redisAsyncCommandArgv(r->cmd, on_rate, req, STORE_RATE_ARGC, args.argv, NULL) != REDIS_OK)
        request_finished(req);
}

static const char *field(redisReply *fields, const char *name)
{
    return reply_field(fields, name);
}

/* An event (kt:events: deadlines, imports) keeps its fields for its handler. */
static void take_event(struct request *req, redisReply *fields)
{
    snprintf(req->event, sizeof(req->event), "%s", field(fields, "type"));
    if (req->event[0] == '\0')
        snprintf(req->event, sizeof(req->event), "?");
    for (size_t i = 0; i + 1 < fields->elements && req->nfields < 2 * ROUTER_EVENT_FIELDS; i += 2) {
        if (fields->element[i]->type != REDIS_REPLY_STRING ||
            fields->element[i + 1]->type != REDIS_REPLY_STRING)
            continue;
        req->fields[req->nfields] = strdup(fields->element[i]->str);
        req->fields[req->nfields + 1] = strdup(fields->element[i + 1]->str);
        if (req->fields[req->nfields] == NULL || req->fields[req->nfields + 1] == NULL) {
            free(req->fields[req->nfields]);
            free(req->fields[req->nfields + 1]);
            break;
        }
        req->nfields += 2;
    }
    req->text = strdup("");
    log_debug("event=event_taken id=%s type=%s", req->id, req->event);
    dispatch_event(req);
}

/* One stream entry [id, [field, value, ...]] becomes a request. */
static void take_entry(struct router *r, const char *stream, redisReply *entry)
{
    if (r->cmd == NULL || entry->type != REDIS_REPLY_ARRAY || entry->elements < 2 ||
        entry->element[0]->type != REDIS_REPLY_STRING)
        return;
    struct request *req = calloc(1, sizeof(*req));
    if (req == NULL)
        return; /* stays pending; read again later */
    req->router = r;
    req->epoch = r->epoch;
    req->stream = stream;
    req->services = r->services;
    snprintf(req->id, sizeof(req->id), "%s", entry->element[0]->str);
    r->inflight++;
    r->stats.received++;
    redisReply *fields = entry->element[1];
    if (fields->type != REDIS_REPLY_ARRAY) {
        /* Entry trimmed or deleted: nothing to answer, acknowledge it. */
        req->done = 1;
        commit(req);
        return;
    }
    if (strcmp(stream, STORE_EVENTS) == 0) {
        take_event(req, fields);
        return;
    }
    snprintf(req->modem, sizeof(req->modem), "%s", field(fields, "modem"));
    snprintf(req->from, sizeof(req->from), "%s", field(fields, "from"));
    snprintf(req->coding, sizeof(req->coding), "%s", field(fields, "coding"));
    snprintf(req->pin, sizeof(req->pin), "%s", field(fields, "pin"));
    req->parts = atoi(field(fields, "parts"));
    req->incomplete = atoi(field(fields, "incomplete"));
    const char *text = field(fields, "text");
    size_t len = strnlen(text, ROUTER_TEXT_MAX);
    req->text = malloc(len + 1);
    if (req->text == NULL) {
        request_finished(req);
        return;
    }
    memcpy(req->text, text, len);
    req->text[len] = '\0';
    /* Cut at a UTF-8 boundary (the worker wrote valid UTF-8). */
    while (len > 0 && ((unsigned char)req->text[len] & 0xC0) == 0x80)
        req->text[--len] = '\0';

    char masked[32];
    enum phone_kind kind = phone_normalise(req->from, req->sender, sizeof(req->sender));
    log_info("event=inbound id=%s modem=%s from=%s kind=%s coding=%s parts=%d incomplete=%d "
             "len=%zu",
             req->id, req->modem,
             log_phone(kind == PHONE_MOBILE ? req->sender : req->from, masked, sizeof(masked)),
             phone_kind_name(kind), req->coding, req->parts, req->incomplete, len);
    /* Operators, banks and short codes never get an automatic answer: that
     * is how reply loops and wasted credit start. Binary data is kept in the
     * stream but is not text to answer. */
    if (kind != PHONE_MOBILE || strcmp(req->coding, "8bit") == 0) {
        r->stats.silenced++;
        req->done = 1;
        commit(req);
        return;
    }
    /* Officials act on many tickets in a row: the flood limit is for the
     * public, not for them. */
    if (services_official(r->services, req->sender) != NULL) {
        dispatch(req);
        return;
    }
    rate_check(r, req, 0);
}

static const char *const streams[] = {STORE_IN, STORE_EVENTS};
#define NSTREAMS 2

static void take_entries(struct router *r, const char *stream, redisReply *entries)
{
    if (entries == NULL || entries->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < entries->elements; i++)
        take_entry(r, stream, entries->element[i]);
}

static void create_groups(struct router *r)
{
    for (int i = 0; i < NSTREAMS; i++)
        redisAsyncCommand(r->cmd, NULL, NULL, "XGROUP CREATE %s %s 0 MKSTREAM", streams[i],
                          STORE_IN_GROUP);
}

static void on_read(redisAsyncContext *c, void *reply, void *priv)
{
    struct router *r = c->data;
    redisReply *rep = reply;
    if (c != r->blk || r->cmd == NULL)
        return; /* from a dropped connection: its entries stay pending */
    r->reading = 0;
    if (rep == NULL)
        return; /* connection lost; reconnect re-reads pending */
    if (rep->type == REDIS_REPLY_ERROR) {
        log_warnx("event=read_failed error=\"%s\"", rep->str);
        if (strncmp(rep->str, "NOGROUP", 7) == 0 && r->cmd)
            create_groups(r);
        return; /* retried by the claim timer */
    }
    if (r->stopping)
        return; /* not taken: stays pending for the next start */
    size_t got = 0;
    for (size_t k = 0; rep->type == REDIS_REPLY_ARRAY && k < rep->elements; k++) {
        redisReply *st = rep->element[k];
        if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 ||
            st->element[0]->type != REDIS_REPLY_STRING)
            continue;
        for (int i = 0; i < NSTREAMS; i++) {
            if (strcmp(st->element[0]->str, streams[i]) != 0)
                continue;
            redisReply *entries = st->element[1];
            if (entries->type != REDIS_REPLY_ARRAY)
                continue;
            got += entries->elements;
            if (r->pending_phase && entries->elements > 0) {
                redisReply *last = entries->element[entries->elements - 1];
                if (last->type == REDIS_REPLY_ARRAY && last->elements >= 1 &&
                    last->element[0]->type == REDIS_REPLY_STRING)
                    snprintf(r->cursor[i], sizeof(r->cursor[i]), "%s", last->element[0]->str);
            }
            take_entries(r, streams[i], entries);
        }
    }
    if (r->pending_phase && got == 0)
        r->pending_phase = 0; /* our own backlog is done; now new messages */
    maybe_read(r);
}

static void maybe_read(struct router *r)
{
    if (r->reading || r->stopping || !r->cmd_ready || !r->blk_ready)
        return;
    /* Re-reading our own pending list must not race with commits of the
     * same entries: wait for the previous batch to finish first. */
    if (r->pending_phase ? r->inflight > 0 : r->inflight >= ROUTER_MAX_INFLIGHT - ROUTER_BATCH)
        return;
    r->reading = 1;
    char count[8], block[8];
    snprintf(count, sizeof(count), "%d", ROUTER_BATCH);
    snprintf(block, sizeof(block), "%d", ROUTER_BLOCK_MS);
    const char *from_in = r->pending_phase ? r->cursor[0] : ">";
    const char *from_ev = r->pending_phase ? r->cursor[1] : ">";
    const char *argv[] = {"XREADGROUP", "GROUP", STORE_IN_GROUP, r->cfg->name, "COUNT",
                          count,        "BLOCK", block,          "STREAMS",    STORE_IN,
                          STORE_EVENTS, from_in, from_ev};
    if (redisAsyncCommandArgv(r->blk, on_read, NULL, 13, argv, NULL) != REDIS_OK)
        r->reading = 0;
}

static void on_claim(redisAsyncContext *c, void *reply, void *priv)
{
    struct router *r = c->data;
    const char *stream = priv;
    redisReply *rep = reply;
    /* XAUTOCLAIM: [next cursor, [entries], (deleted ids)] */
    if (!reply_at(rep, 1, REDIS_REPLY_ARRAY) || r->stopping || c != r->cmd) {
        if (rep && rep->type != REDIS_REPLY_ARRAY)
            log_warnx("event=claim_failed stream=%s error=\"%s\"", stream, reply_why(rep));
        return;
    }
    if (rep->element[1]->elements)
        log_info("event=claimed stream=%s count=%zu", stream, rep->element[1]->elements);
    take_entries(r, stream, rep->element[1]);
}

static void on_failover(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *rep = reply;
    char *modem = priv;
    if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer > 0)
        log_warnx("event=failover modem=%s moved=%lld to=%s", modem, rep->integer, STORE_OUT_ANY);
    else if (rep && rep->type == REDIS_REPLY_ERROR)
        log_warnx("event=failover_failed modem=%s error=\"%s\"", modem, rep->str);
    free(modem);
}

/* Replies wait for the modem the resident texted; when that modem has been
 * down for failover_seconds they move to the lane every modem serves. */
static void failover_check(struct router *r)
{
    char now[24], after[24], hash[64], lane[64];
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    for (int i = 0; i < r->cfg->nmodems; i++) {
        const struct modem_config *m = &r->cfg->modems[i];
        if (m->failover_seconds == 0)
            continue;
        snprintf(after, sizeof(after), "%lld", m->failover_seconds * 1000LL);
        snprintf(hash, sizeof(hash), "kt:modem:%s", m->name);
        snprintf(lane, sizeof(lane), "kt:out:m:%s", m->name);
        const char *argv[] = {
            "FCALL",         "kt_failover",  "6",        hash, lane,  STORE_OUT_ANY,
            STORE_OUT_EMERG, STORE_OUT_BULK, STORE_SENT, now,  after, STORE_OUT_GROUP,
            m->name};
        char *name = strdup(m->name); /* the callback may outlive a reloaded config */
        if (name && redisAsyncCommandArgv(r->cmd, on_failover, name, 13, argv, NULL) != REDIS_OK)
            free(name);
    }
}

/* ---- modems out of service: the coordinators are told ----
 * A modem out (no SIM, a locked SIM, no network, not connected: see
 * modems/worker.c, "health") for modem_alert_after seconds is told to every
 * coordinator once, through another modem that is up, and its return once
 * (kt_modem_alert, SET NX per outage: once however many gateways share the
 * Redis). Plain Indonesian; {...} are filled in by kt_modem_alert. */
#define ROUTER_ALERT_OUT                                                                           \
    "kentongan: modem {modem} mati sejak {since} WIB ({reason}). Pesan dikirim lewat modem "       \
    "lain. Mohon segera diperiksa."
#define ROUTER_ALERT_BACK                                                                          \
    "kentongan: modem {modem} aktif kembali sejak {since} WIB, setelah mati {minutes} menit."
#define ROUTER_ALERT_TTL_MS 3600000LL /* an alert may wait this long for a modem */
#define ROUTER_ALERT_ALIVE  "60000"   /* ms: a modem silent longer cannot carry an alert */

static void on_modem_alert(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *rep = reply;
    char *modem = priv;
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[0]->type == REDIS_REPLY_STRING) {
        const char *what = rep->element[0]->str;
        long long n = rep->element[1]->integer;
        if (strcmp(what, "alerted") == 0)
            log_warnx("event=modem_alert modem=%s told=%lld what=out", modem, n);
        else if (strcmp(what, "back") == 0)
            log_info("event=modem_alert modem=%s told=%lld what=back", modem, n);
    } else if (rep && rep->type == REDIS_REPLY_ERROR) {
        log_warnx("event=modem_alert_failed modem=%s error=\"%s\"", modem, rep->str);
    }
    free(modem);
}

static void modem_alert_check(struct router *r)
{
    const struct config *cfg = r->cfg;
    if (cfg->modem_alert_after == 0)
        return;
    char numbers[CONFIG_MAX_OFFICIALS][24];
    int nnum = 0;
    for (int i = 0; i < cfg->nofficials; i++) {
        char num[24];
        if (strcmp(cfg->officials[i].role, "coordinator") != 0 ||
            phone_normalise(cfg->officials[i].phone, num, sizeof(num)) != PHONE_MOBILE)
            continue;
        snprintf(numbers[nnum++], sizeof(numbers[0]), "%s", num);
    }
    if (nnum == 0)
        return;
    char now[24], after[24], expires[24], hash[64], nother[16];
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    snprintf(after, sizeof(after), "%lld", cfg->modem_alert_after * 1000LL);
    snprintf(expires, sizeof(expires), "%lld", clock_wall_ms() + ROUTER_ALERT_TTL_MS);
    snprintf(nother, sizeof(nother), "%d", cfg->nmodems - 1);
    for (int i = 0; i < cfg->nmodems; i++) {
        const char *argv[12 + CONFIG_MAX_MODEMS + CONFIG_MAX_OFFICIALS];
        int argc = 0;
        snprintf(hash, sizeof(hash), "kt:modem:%s", cfg->modems[i].name);
        argv[argc++] = "FCALL";
        argv[argc++] = "kt_modem_alert";
        argv[argc++] = "1";
        argv[argc++] = hash;
        argv[argc++] = now;
        argv[argc++] = after;
        argv[argc++] = cfg->modems[i].name;
        argv[argc++] = expires;
        argv[argc++] = ROUTER_ALERT_OUT;
        argv[argc++] = ROUTER_ALERT_BACK;
        argv[argc++] = ROUTER_ALERT_ALIVE;
        argv[argc++] = nother;
        for (int k = 0; k < cfg->nmodems; k++)
            if (k != i)
                argv[argc++] = cfg->modems[k].name;
        for (int k = 0; k < nnum; k++)
            argv[argc++] = numbers[k];
        char *name = strdup(cfg->modems[i].name);
        if (name &&
            redisAsyncCommandArgv(r->cmd, on_modem_alert, name, argc, argv, NULL) != REDIS_OK)
            free(name);
    }
}

static void on_dead(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *rep = reply;
    if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer > 0)
        log_error("event=dead_letter stream=%s count=%lld note=\"kept on %s for staff\"",
                  (const char *)priv, rep->integer, STORE_DEAD);
}

static void on_trim(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *rep = reply;
    if (rep && rep->type == REDIS_REPLY_ERROR)
        log_warnx("event=lane_trim_failed error=\"%s\"", rep->str);
}

/* Outbound lanes would keep every message ever sent: what the workers are
 * done with goes once lane_keep_seconds old (kt:sent holds the record). */
static void trim_lanes(struct router *r)
{
    char now[24], keep[24], lane[64];
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    snprintf(keep, sizeof(keep), "%lld", r->cfg->lane_keep_seconds * 1000LL);
    for (int i = -3; i < r->cfg->nmodems; i++) {
        const char *name = i == -3   ? STORE_OUT_ANY
                           : i == -2 ? STORE_OUT_EMERG
                           : i == -1 ? STORE_OUT_BULK
                                     : lane;
        if (i >= 0)
            snprintf(lane, sizeof(lane), "kt:out:m:%s", r->cfg->modems[i].name);
        const char *argv[] = {"FCALL", "kt_trim", "1", name, STORE_OUT_GROUP, now, keep};
        redisAsyncCommandArgv(r->cmd, on_trim, NULL, 7, argv, NULL);
    }
}

static void claim_tick(evutil_socket_t fd, short what, void *arg)
{
    struct router *r = arg;
    if (!r->cmd_ready || r->stopping)
        return;
    failover_check(r);
    modem_alert_check(r);
    trim_lanes(r);
    char idle[16], count[8];
    /* Pending this long belongs to a consumer that died (claim_idle). */
    snprintf(idle, sizeof(idle), "%lld", r->cfg->claim_idle * 1000LL);
    snprintf(count, sizeof(count), "%d", ROUTER_BATCH);
    for (int i = 0; i < NSTREAMS; i++)
        redisAsyncCommand(r->cmd, on_dead, (void *)streams[i], "FCALL kt_deadletter 2 %s %s %s %d",
                          streams[i], STORE_DEAD, STORE_IN_GROUP, ROUTER_MAX_DELIVERIES);
    for (int i = 0; i < NSTREAMS && r->inflight < ROUTER_MAX_INFLIGHT - ROUTER_BATCH; i++)
        redisAsyncCommand(r->cmd, on_claim, (void *)streams[i],
                          "XAUTOCLAIM %s %s %s %s 0-0 COUNT %s", streams[i], STORE_IN_GROUP,
                          r->cfg->name, idle, count);
    maybe_read(r); /* in case a read failed */
}

static void on_due(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *rep = reply;
    if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer > 0)
        log_info("event=deadlines_due count=%lld", rep->integer);
    else if (rep && rep->type == REDIS_REPLY_ERROR)
        log_warnx("event=due_failed error=\"%s\"", rep->str);
}

static void fire_due(struct router *r)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", clock_now_ms());
    const char *argv[] = {"FCALL", "kt_due", "2", STORE_DEADLINES, STORE_EVENTS, now, "100"};
    redisAsyncCommandArgv(r->cmd, on_due, NULL, 7, argv, NULL);
}

static void on_clock(redisAsyncContext *c, void *reply, void *priv)
{
    struct router *r = c->data;
    redisReply *rep = reply;
    if (rep == NULL)
        return;
    if (rep->type != REDIS_REPLY_STRING && rep->type != REDIS_REPLY_NIL)
        return; /* e.g. LOADING: keep the offset we have */
    long long offset = rep->type == REDIS_REPLY_STRING ? atoll(rep->str) : 0;
    if (offset != clock_offset())
        log_warnx("event=clock_shifted offset_seconds=%lld note=test_clock", offset);
    clock_set_offset(offset);
    fire_due(r);
}

/* Deadlines (complaint escalation and closing) live in Redis, not in
 * memory: they survive restarts and any gateway can fire them. */
static void due_tick(evutil_socket_t fd, short what, void *arg)
{
    struct router *r = arg;
    if (!r->cmd_ready || r->stopping)
        return;
    if (r->cfg->test_clock)
        redisAsyncCommand(r->cmd, on_clock, NULL, "GET %s", STORE_CLOCK);
    else
        fire_due(r);
}

/* ---- connections ---- */

static void schedule_reconnect(struct router *r)
{
    if (r->stopping || evtimer_pending(r->reconnect_ev, NULL))
        return;
    r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : 100;
    if (r->backoff_ms > ROUTER_RECONNECT_MAX)
        r->backoff_ms = ROUTER_RECONNECT_MAX;
    struct timeval tv = {r->backoff_ms / 1000, (r->backoff_ms % 1000) * 1000};
    evtimer_add(r->reconnect_ev, &tv);
}

static void drop_connections(struct router *r)
{
    /* Freeing a context runs its pending callbacks with a NULL reply. */
    redisAsyncContext *cmd = r->cmd, *blk = r->blk;
    r->cmd = r->blk = NULL;
    r->cmd_ready = r->blk_ready = 0;
    r->reading = 0;
    r->epoch++;
    if (cmd)
        redisAsyncDisconnect(cmd);
    if (blk)
        redisAsyncDisconnect(blk);
}

static void on_disconnect(const redisAsyncContext *c, int status)
{
    struct router *r = c->data;
    /* A connection dropped earlier finishing its close: the current ones
     * are not affected. */
    if (r->freeing || (c != r->cmd && c != r->blk))
        return;
    if (c == r->cmd)
        r->cmd = NULL;
    if (c == r->blk)
        r->blk = NULL;
    if (r->stats.connected)
        log_warnx("event=redis_lost error=\"%s\"", c->errstr[0] ? c->errstr : "closed");
    r->stats.connected = 0;
    drop_connections(r);
    schedule_reconnect(r);
}

static void on_connect(const redisAsyncContext *c, int status)
{
    struct router *r = c->data;
    if (r->freeing || (c != r->cmd && c != r->blk))
        return;
    if (status != REDIS_OK) {
        if (c == r->cmd)
            r->cmd = NULL;
        if (c == r->blk)
            r->blk = NULL;
        log_debug("event=redis_connect_failed error=\"%s\"", c->errstr);
        r->auth_failed = 0; /* unreachable now: /readyz says so, not an old refusal */
        drop_connections(r);
        schedule_reconnect(r);
    }
}

static void on_load(redisAsyncContext *c, void *reply, void *priv)
{
    struct router *r = c->data;
    redisReply *rep = reply;
    if (rep == NULL || c != r->cmd || rep->type != REDIS_REPLY_ERROR)
        return;
    /* Without its functions the gateway can do nothing: start over. */
    log_error("event=redis_setup_failed step=function_load error=\"%s\" action=reconnect",
              rep->str);
    drop_connections(r);
    schedule_reconnect(r);
}

/* The answer to AUTH, the first command on each connection. A refusal (a
 * wrong password, a disabled user) is logged once, not at every retry, and
 * again only when Redis gives another reason; the retries keep the backoff. */
static void on_auth(redisAsyncContext *c, void *reply, void *priv)
{
    struct router *r = c->data;
    redisReply *rep = reply;
    if (rep == NULL || (c != r->cmd && c != r->blk))
        return;
    if (rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "OK") == 0) {
        if (r->auth_failed)
            log_info("event=redis_auth_ok redis=%s user=%s", r->cfg->redis,
                     r->cfg->redis_user[0] ? r->cfg->redis_user : "default");
        r->auth_failed = 0;
        return;
    }
    const char *why = rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected answer to AUTH";
    if (!r->auth_failed || strcmp(r->auth_why, why) != 0)
        log_error("event=redis_auth_failed redis=%s user=%s error=\"%s\" action=retry "
                  "note=\"check redis_user and redis_password_file against the Redis ACL; "
                  "logged once\"",
                  r->cfg->redis, r->cfg->redis_user[0] ? r->cfg->redis_user : "default", why);
    else
        log_debug("event=redis_auth_retry error=\"%s\"", why);
    r->auth_failed = 1;
    snprintf(r->auth_why, sizeof(r->auth_why), "%s", why);
    drop_connections(r);
    schedule_reconnect(r);
}

static void setup_failed(struct router *r, const char *why)
{
    /* e.g. LOADING while a restarted Redis reads its AOF: try again, with
     * backoff, on fresh connections. */
    log_error("event=redis_setup_failed error=\"%s\" action=reconnect", why);
    drop_connections(r);
    schedule_reconnect(r);
}

static void mark_ready(struct router *r)
{
    if (!r->cmd_ready || !r->blk_ready)
        return;
    r->backoff_ms = 0;
    r->stats.connected = 1;
    r->pending_phase = 1;
    snprintf(r->cursor[0], sizeof(r->cursor[0]), "0");
    snprintf(r->cursor[1], sizeof(r->cursor[1]), "0");
    log_info("event=redis_ready redis=%s consumer=%s", r->cfg->redis, r->cfg->name);
    maybe_read(r);
}

/* PING, after the functions and groups on the command connection. */
static void on_setup(redisAsyncContext *c, void *reply, void *priv)
{
    struct router *r = c->data;
    redisReply *rep = reply;
    if (rep == NULL || c != r->cmd)
        return;
    if (rep->type != REDIS_REPLY_STATUS) {
        setup_failed(r, rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected answer to PING");
        return;
    }
    r->cmd_ready = 1;
    mark_ready(r);
}

/* PING on the blocking connection: it answers (and, with a password, has
 * logged in) before the first XREADGROUP. */
static void on_blk_setup(redisAsyncContext *c, void *reply, void *priv)
{
    struct router *r = c->data;
    redisReply *rep = reply;
    if (rep == NULL || c != r->blk)
        return;
    if (rep->type != REDIS_REPLY_STATUS) {
        setup_failed(r, rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected answer to PING");
        return;
    }
    r->blk_ready = 1;
    mark_ready(r);
}

static redisAsyncContext *open_one(struct router *r)
{
    char host[CONFIG_VALUE_MAX];
    int port;
    if (config_redis_endpoint(r->cfg->redis, host, sizeof(host), &port) != 0)
        return NULL;
    redisAsyncContext *c = port ? redisAsyncConnect(host, port) : redisAsyncConnectUnix(host);
    if (c == NULL)
        return NULL;
    if (c->err) {
        log_debug("event=redis_connect_failed error=\"%s\"", c->errstr);
        redisAsyncFree(c);
        return NULL;
    }
    if (redisev_attach(c, r->base) != 0) {
        log_warnx("event=redis_connect_failed error=\"out of memory\"");
        redisAsyncFree(c);
        return NULL;
    }
    c->data = r;
    redisAsyncSetConnectCallback(c, on_connect);
    redisAsyncSetDisconnectCallback(c, on_disconnect);
    return c;
}

static void connect_all(struct router *r)
{
    if (r->stopping)
        return;
    r->cmd = open_one(r);
    r->blk = r->cmd ? open_one(r) : NULL;
    if (r->cmd == NULL || r->blk == NULL) {
        r->auth_failed = 0;
        drop_connections(r);
        schedule_reconnect(r);
        return;
    }
    /* Queued now, sent once connected; Redis answers in order, so AUTH
     * (when a password is configured) is the first thing each connection
     * says, and a refusal is seen before any other answer. */
    const char *auth[3];
    int nauth = redisauth_argv(r->cfg, auth);
    if (nauth) {
        redisAsyncCommandArgv(r->cmd, on_auth, NULL, nauth, auth, NULL);
        redisAsyncCommandArgv(r->blk, on_auth, NULL, nauth, auth, NULL);
    }
    redisAsyncCommand(r->cmd, on_load, NULL, "FUNCTION LOAD REPLACE %s", store_library);
    create_groups(r);
    /* A test clock is read before the first message is taken, so that no
     * request sees the unshifted calendar. */
    if (r->cfg->test_clock)
        redisAsyncCommand(r->cmd, on_clock, NULL, "GET %s", STORE_CLOCK);
    redisAsyncCommand(r->cmd, on_setup, NULL, "PING");
    redisAsyncCommand(r->blk, on_blk_setup, NULL, "PING");
}

static void reconnect_tick(evutil_socket_t fd, short what, void *arg)
{
    connect_all(arg);
}

static void stop_tick(evutil_socket_t fd, short what, void *arg)
{
    struct router *r = arg;
    void (*done)(void *) = r->stop_done;
    r->stop_done = NULL;
    if (r->inflight)
        log_warnx("event=stop_with_inflight count=%d note=\"left pending, read again at start\"",
                  r->inflight);
    if (done)
        done(r->stop_arg);
}

struct router *router_new(struct event_base *base, const struct config *cfg)
{
    struct router *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->base = base;
    r->cfg = cfg;
    r->reconnect_ev = evtimer_new(base, reconnect_tick, r);
    r->claim_ev = event_new(base, -1, EV_PERSIST, claim_tick, r);
    r->stop_ev = evtimer_new(base, stop_tick, r);
    r->due_ev = event_new(base, -1, EV_PERSIST, due_tick, r);
    if (!r->reconnect_ev || !r->claim_ev || !r->stop_ev || !r->due_ev) {
        router_free(r);
        return NULL;
    }
    struct timeval tv = {ROUTER_CLAIM_SECONDS, 0};
    evtimer_add(r->claim_ev, &tv);
    struct timeval due = {ROUTER_DUE_SECONDS, 0};
    evtimer_add(r->due_ev, &due);
    connect_all(r);
    return r;
}

void router_set_config(struct router *r, const struct config *cfg)
{
    int moved = strcmp(r->cfg->redis, cfg->redis) != 0 || strcmp(r->cfg->name, cfg->name) != 0 ||
                redisauth_changed(r->cfg, cfg);
    r->cfg = cfg;
    if (moved) {
        log_info("event=redis_switch redis=%s", cfg->redis);
        drop_connections(r);
        r->backoff_ms = 0;
        schedule_reconnect(r);
    }
}

int router_submit(struct router *r, const struct router_submission *sub, router_done_fn done,
                  void *arg)
{
    if (r->cmd == NULL || !r->cmd_ready || r->stopping || r->services == NULL)
        return -1;
    const struct keyword *kw = kw_find(sub->keyword);
    if (kw == NULL || kw->handler == NULL)
        return -1;
    /* An identity is never cut: two ids that share a prefix are two. */
    if (strlen(sub->id) >= ROUTER_ID_MAX) {
        log_error("event=submit_refused channel=%s reason=id_too_long len=%zu max=%d", sub->channel,
                  strlen(sub->id), ROUTER_ID_MAX - 1);
        return -1;
    }
    struct request *req = calloc(1, sizeof(*req));
    if (req == NULL)
        return -1;
    req->router = r;
    req->epoch = r->epoch;
    req->stream = "kt:none"; /* nothing to acknowledge: XACK on it is a no-op */
    req->services = r->services;
    req->channel = sub->channel;
    req->done_fn = done;
    req->done_arg = arg;
    req->answer_only = sub->answer_only;
    snprintf(req->id, sizeof(req->id), "%s", sub->id);
    snprintf(req->sender, sizeof(req->sender), "%s", sub->sender);
    for (int i = 0; i < sub->nhints && req->nfields < 2 * ROUTER_EVENT_FIELDS; i++) {
        req->fields[req->nfields++] = strdup(sub->hints[i].key);
        req->fields[req->nfields++] = strdup(sub->hints[i].value);
    }
    req->text = strdup(sub->args);
    r->inflight++;
    if (req->text == NULL) {
        request_finished(req);
        return 0;
    }
    /* The handler sees the same match an SMS "KEYWORD args" would give it. */
    req->match.keyword = kw;
    snprintf(req->match.buf, sizeof(req->match.buf), "%s", sub->args);
    req->match.args = req->match.buf;
    /* The public's actions count as their messages would (officials act
     * on many tickets in a row: the limits are not for them). */
    if (sub->limits && services_official(r->services, req->sender) == NULL)
        rate_check(r, req, 1);
    else
        kw->handler(req, &req->match);
    return 0;
}

struct redisAsyncContext *router_redis(struct router *r)
{
    return r->cmd_ready && !r->stopping ? r->cmd : NULL;
}

const struct services *router_services(const struct router *r)
{
    return r->services;
}

void router_set_services(struct router *r, const struct services *svc)
{
    r->services = svc;
}

void router_stop(struct router *r, void (*done)(void *), void *arg)
{
    r->stopping = 1;
    r->stop_done = done;
    r->stop_arg = arg;
    struct timeval tv = {0, 0};
    if (r->inflight > 0) {
        tv.tv_sec = ROUTER_STOP_BOUND_MS / 1000;
        tv.tv_usec = (ROUTER_STOP_BOUND_MS % 1000) * 1000;
    }
    evtimer_add(r->stop_ev, &tv);
}

void router_free(struct router *r)
{
    if (r == NULL)
        return;
    r->stopping = 1;
    r->freeing = 1;
    redisAsyncContext *cmd = r->cmd, *blk = r->blk;
    r->cmd = r->blk = NULL;
    /* Freeing runs pending callbacks with NULL replies; they see no
     * connection and only release their requests. */
    if (cmd)
        redisAsyncFree(cmd);
    if (blk)
        redisAsyncFree(blk);
    if (r->reconnect_ev)
        event_free(r->reconnect_ev);
    if (r->claim_ev)
        event_free(r->claim_ev);
    if (r->stop_ev)
        event_free(r->stop_ev);
    if (r->due_ev)
        event_free(r->due_ev);
    free(r);
}

void router_get_stats(const struct router *r, struct router_stats *out)
{
    *out = r->stats;
    out->inflight = r->inflight;
    out->auth_error = r->auth_failed ? r->auth_why : NULL;
}
