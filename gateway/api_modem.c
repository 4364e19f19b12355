/* api_modem — see api_modem.h.
 *
 *   POST /api/modems/NAME/ussd  {"code": "*888#"}   staff: listed codes; admin: any
 *     200 {"modem", "code", "answer"}   the network's answer, UTF-8
 *     400 a code that is not 2-40 of 0-9 * #, ending in #; 404 no such modem;
 *     403 a staff token and a code other than the modem's balance_code or one
 *         of its ussd_allowed;
 *     502 the network or the modem refused it, or answered unreadably;
 *     503 the modem is down, busy with too many codes, or Redis is away;
 *     504 no answer within the modem's ussd_timeout_seconds (+ API_USSD_SLACK_S)
 *
 *   POST /api/modems/NAME/probe {"number": "0812..."}  admin only; number optional
 *     200 the worker's report: {"modem", "manufacturer", "model", "firmware", "imei"
 *         (last 4 digits), "driver", "sim" {present, mcc, mnc, operator}, "signal",
 *         "network", "smsc", "storage" [SM, ME], "test_sms", "checks" [{check, status
 *         (pass|warn|fail|skip), detail, advice}], "verdict" (pass|fail), "summary"}
 *     400 a number that is not a mobile number, or an unknown field; 404 no such modem;
 *     403 a staff token; 503 and 504 as for USSD (the bound is the modem's
 *         probe_timeout_seconds + API_PROBE_SLACK_S)
 *   A probe goes on the same queue as the USSD codes (kind probe, FCALL kt_probe_ask)
 *   and its answer comes back the same way: the worker runs it between two sends.
 *
 * The gateway never speaks to a modem itself (DESIGN: one process per modem,
 * one libgammu state machine each). The code goes on the modem's queue
 * (kt:ussdq:NAME, FCALL kt_ussd_ask, refused at once when the modem is not
 * up); its worker reads that queue in the same blocking XREADGROUP as its
 * lanes, so it wakes at once, and dials the code between two sends. Its
 * answer comes back in kt:ussdres:REQ, which this module reads every
 * API_USSD_POLL_MS with an evtimer until it is there or the bound passes:
 * only a call that waits polls, and the event loop never blocks. A request
 * carries its deadline, so a worker that gets to it after the caller gave up
 * does not dial it. */
#include "gateway/api_modem.h"
#include "gateway/clock.h"

#include "gateway/api.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/phone.h"
#include "gateway/router.h"
#include "gateway/store.h"
#include "modems/credit.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/time.h>

#define API_USSD_POLL_MS    200   /* between two looks for the worker's answer */
#define API_USSD_SLACK_S    10    /* on top of ussd_timeout_seconds: a send to finish first */
#define API_USSD_WAITING    8     /* codes one modem may have waiting */
#define API_MODEM_ALIVE_MS  60000 /* a worker silent longer than this counts as down */
#define API_USSD_ANSWER_MAX 2048  /* bytes of an answer passed on */

#define API_PROBE_SLACK_S    90    /* on top of probe_timeout_seconds: the questions, the send */
#define API_PROBE_REPORT_MAX 16384 /* bytes of a probe's report passed on */

struct wait {
    struct api_modem *m;
    struct api_call *call; /* NULL once answered */
    struct event *timer;
    char modem[CONFIG_NAME_MAX];
    char code[CREDIT_CODE_MAX + 1]; /* "probe" for a probe */
    int probe;                      /* a probe: the answer is a report */
    char key[64];                   /* kt:ussdres:REQ */
    long long deadline;
    int wait_s;
    LIST_ENTRY(wait) link;
};

struct api_modem {
    struct event_base *base;
    LIST_HEAD(, wait) waits;
};

static void wait_free(struct wait *w)
{
    LIST_REMOVE(w, link);
    if (w->timer)
        event_free(w->timer);
    free(w);
}

/* Answers with {"error": msg} and ends the wait. */
static void wait_error(struct wait *w, int status, const char *msg)
{
    api_error(w->call, status, "%s", msg);
    wait_free(w);
}

static const char *field(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING &&
            r->element[i + 1]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1]->str;
    return "";
}

/* The worker's outcome as an HTTP status. */
static int outcome_status(const char *outcome)
{
    static const struct {
        const char *outcome;
        int status;
    } table[] = {
        {"ok", 200},      {"timeout", 504},    {"expired", 504},
        {"refused", 502}, {"unreadable", 502}, {"unsupported", 502},
        {"failed", 502},  {"down", 503},       {"interrupted", 503},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].outcome, outcome) == 0)
            return table[i].status;
    return 502;
}

static void arm(struct wait *w);

static void on_result(redisAsyncContext *ac, void *reply, void *priv)
{
    struct wait *w = priv;
    redisReply *r = reply;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        wait_error(w, 503, "Redis went away while waiting for the modem's answer");
        return;
    }
    if (r->elements == 0) {
        if (clock_wall_ms() < w->deadline) {
            arm(w);
            return;
        }
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "no answer from modem %s to %s within %d s (the modem is busy or stuck)", w->modem,
                 w->probe ? "the probe" : w->code, w->wait_s);
        log_warnx("event=ussd_api_timeout modem=%s code=%s", w->modem, w->code);
        wait_error(w, 504, msg);
        return;
    }
    /* Read once: the answer goes to this caller only. */
    redisAsyncCommand(ac, NULL, NULL, "DEL %s", w->key);
    const char *outcome = field(r, "outcome");
    int status = outcome_status(outcome);
    if (status != 200) {
        const char *error = field(r, "error");
        char msg[512];
        snprintf(msg, sizeof(msg), "modem %s: %s", w->modem, error[0] ? error : outcome);
        wait_error(w, status, msg);
        return;
    }
    if (w->probe) {
        const char *text = field(r, "report");
        json_t *report = strlen(text) <= API_PROBE_REPORT_MAX ? json_loads(text, 0, NULL) : NULL;
        if (!json_is_object(report)) {
            json_decref(report);
            wait_error(w, 502, "the modem's worker answered the probe unreadably");
            return;
        }
        api_reply(w->call, 200, report);
        wait_free(w);
        return;
    }
    char answer[API_USSD_ANSWER_MAX];
    snprintf(answer, sizeof(answer), "%s", field(r, "answer"));
    json_t *doc =
        json_pack("{s:s, s:s, s:s?}", "modem", w->modem, "code", w->code, "answer", answer);
    if (doc == NULL) /* not UTF-8: the worker writes UTF-8, so only a stranger's key */
        doc = json_pack("{s:s, s:s, s:s}", "modem", w->modem, "code", w->code, "answer", "");
    api_reply(w->call, 200, doc);
    wait_free(w);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct wait *w = arg;
    redisAsyncContext *ac = router_redis(api_router(w->call));
    if (ac == NULL || redisAsyncCommand(ac, on_result, w, "HGETALL %s", w->key) != REDIS_OK)
        wait_error(w, 503, "Redis is not reachable; the code may still be dialled");
}

static void arm(struct wait *w)
{
    struct timeval tv = {0, API_USSD_POLL_MS * 1000};
    evtimer_add(w->timer, &tv);
}

static void on_asked(redisAsyncContext *ac, void *reply, void *priv)
{
    struct wait *w = priv;
    redisReply *r = reply;
    if (r == NULL) {
        wait_error(w, 503, "Redis went away; nothing was dialled");
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
        log_error("event=ussd_api_redis_error error=\"%s\"",
                  r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        wait_error(w, 503, "unexpected answer from Redis; nothing was dialled");
        return;
    }
    const char *what = r->element[0]->str, *detail = r->element[1]->str;
    char msg[256];
    if (strcmp(what, "down") == 0) {
        snprintf(msg, sizeof(msg), "modem %s is not up (state %s); nothing was dialled", w->modem,
                 detail);
        wait_error(w, 503, msg);
        return;
    }
    if (strcmp(what, "busy") == 0) {
        snprintf(msg, sizeof(msg), "modem %s already has %s requests waiting; try again shortly",
                 w->modem, detail);
        wait_error(w, 503, msg);
        return;
    }
    snprintf(w->key, sizeof(w->key), "%s%s", STORE_USSD_RESULT, detail);
    w->timer = evtimer_new(w->m->base, on_tick, w);
    if (w->timer == NULL) {
        wait_error(w, 503, "out of memory");
        return;
    }
    arm(w);
}

/* The modem NAME of a POST and its JSON body, which may hold only the field
 * named; NULL when the answer (404, 400) was given. */
static json_t *modem_request(struct api_call *c, const char *name, const char *field,
                             const struct modem_config **mc)
{
    *mc = config_modem(api_config(c), name);
    if (*mc == NULL) {
        api_error(c, 404, "no modem %s", name);
        return NULL;
    }
    json_t *body = api_json(c);
    if (body == NULL)
        return NULL;
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        if (strcmp(key, field) != 0) {
            api_error(c, 400, "unknown field '%s' (only '%s')", key, field);
            return NULL;
        }
    }
    return body;
}

static void ussd_handle(void *arg, struct api_call *c)
{
    struct api_modem *m = arg;
    const char *name = api_arg(c, 0);
    const struct modem_config *mc;
    json_t *body = modem_request(c, name, "code", &mc);
    if (body == NULL)
        return;
    const char *code = json_string_value(json_object_get(body, "code"));
    if (code == NULL) {
        api_error(c, 400, "'code' (a string such as \"*888#\") is required");
        return;
    }
    if (!credit_code_valid(code)) {
        api_error(c, 400,
                  "'code' must be %d to %d characters of 0-9, * and #, ending in # (e.g. *888#)",
                  CREDIT_CODE_MIN, CREDIT_CODE_MAX);
        return;
    }
    /* A free-form code can buy a package or transfer credit: staff dial only
     * the modem's balance check and the codes listed for it. */
    if (api_token_role(c) < API_ADMIN && strcmp(code, mc->balance_code) != 0 &&
        !credit_code_listed(mc->ussd_allowed, code)) {
        api_error(c, 403,
                  "token %s (staff) may not dial %s on modem %s: staff may dial only the "
                  "modem's balance_code and its ussd_allowed codes (admin tokens dial any)",
                  api_token_name(c), code, mc->name);
        return;
    }
    redisAsyncContext *ac = router_redis(api_router(c));
    if (ac == NULL) {
        api_error(c, 503, "Redis is not reachable; try again shortly");
        return;
    }
    struct wait *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        api_error(c, 503, "out of memory");
        return;
    }
    w->m = m;
    w->call = c;
    snprintf(w->modem, sizeof(w->modem), "%s", mc->name);
    snprintf(w->code, sizeof(w->code), "%s", code);
    w->wait_s = mc->ussd_timeout_seconds + API_USSD_SLACK_S;
    w->deadline = clock_wall_ms() + w->wait_s * 1000LL;
    LIST_INSERT_HEAD(&m->waits, w, link);
    char status_key[64], queue[64], now[24], alive[16], waiting[16], expires[24], by[64];
    snprintf(status_key, sizeof(status_key), "kt:modem:%s", mc->name);
    snprintf(queue, sizeof(queue), "%s%s", STORE_USSD_QUEUE, mc->name);
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    snprintf(alive, sizeof(alive), "%d", API_MODEM_ALIVE_MS);
    snprintf(waiting, sizeof(waiting), "%d", API_USSD_WAITING);
    snprintf(expires, sizeof(expires), "%lld", w->deadline);
    snprintf(by, sizeof(by), "api:%s", api_token_name(c));
    const char *argv[] = {"FCALL", "kt_ussd_ask", "2",     status_key, queue, now,
                          alive,   waiting,       w->code, expires,    by};
    if (redisAsyncCommandArgv(ac, on_asked, w, (int)(sizeof(argv) / sizeof(argv[0])), argv, NULL) !=
        REDIS_OK) {
        wait_error(w, 503, "Redis is not reachable; try again shortly");
        return;
    }
    log_info("event=ussd_requested modem=%s code=%s by=api:%s", w->modem, w->code,
             api_token_name(c));
}

/* POST /api/modems/NAME/probe: the installer's check of a modem (see the top). */
static void probe_handle(void *arg, struct api_call *c)
{
    struct api_modem *m = arg;
    const char *name = api_arg(c, 0);
    const struct modem_config *mc;
    json_t *body = modem_request(c, name, "number", &mc);
    if (body == NULL)
        return;
    json_t *jn = json_object_get(body, "number");
    const char *given = json_string_value(jn);
    char number[32] = "";
    if (jn != NULL && !json_is_null(jn) &&
        (given == NULL || phone_normalise(given, number, sizeof(number)) != PHONE_MOBILE)) {
        api_error(c, 400, "'number' must be the SIM's own mobile number (e.g. \"0812 3456 7890\")");
        return;
    }
    redisAsyncContext *ac = router_redis(api_router(c));
    if (ac == NULL) {
        api_error(c, 503, "Redis is not reachable; try again shortly");
        return;
    }
    struct wait *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        api_error(c, 503, "out of memory");
        return;
    }
    w->m = m;
    w->call = c;
    w->probe = 1;
    snprintf(w->modem, sizeof(w->modem), "%s", mc->name);
    snprintf(w->code, sizeof(w->code), "probe");
    w->wait_s = mc->probe_timeout_seconds + API_PROBE_SLACK_S;
    w->deadline = clock_wall_ms() + w->wait_s * 1000LL;
    LIST_INSERT_HEAD(&m->waits, w, link);
    char status_key[64], queue[64], now[24], alive[16], waiting[16], expires[24], by[64];
    snprintf(status_key, sizeof(status_key), "kt:modem:%s", mc->name);
    snprintf(queue, sizeof(queue), "%s%s", STORE_USSD_QUEUE, mc->name);
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    snprintf(alive, sizeof(alive), "%d", API_MODEM_ALIVE_MS);
    snprintf(waiting, sizeof(waiting), "%d", API_USSD_WAITING);
    snprintf(expires, sizeof(expires), "%lld", w->deadline);
    snprintf(by, sizeof(by), "api:%s", api_token_name(c));
    const char *argv[] = {"FCALL", "kt_probe_ask", "2",    status_key, queue, now,
                          alive,   waiting,        number, expires,    by};
    if (redisAsyncCommandArgv(ac, on_asked, w, (int)(sizeof(argv) / sizeof(argv[0])), argv, NULL) !=
        REDIS_OK) {
        wait_error(w, 503, "Redis is not reachable; try again shortly");
        return;
    }
    log_info("event=probe_requested modem=%s by=api:%s", w->modem, api_token_name(c));
}

struct api_modem *api_modem_new(struct api *a, struct event_base *base)
{
    struct api_modem *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->base = base;
    LIST_INIT(&m->waits);
    if (api_route(a, "POST", "/api/modems/*/ussd", API_STAFF, ussd_handle, m) != 0 ||
        api_route(a, "POST", "/api/modems/*/probe", API_ADMIN, probe_handle, m) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void api_modem_free(struct api_modem *m)
{
    if (m == NULL)
        return;
    /* Calls waiting on their timer (those waiting on Redis were answered when
     * the router's connection closed). */
    while (!LIST_EMPTY(&m->waits))
        wait_error(LIST_FIRST(&m->waits), 503, "the gateway is stopping");
    free(m);
}
