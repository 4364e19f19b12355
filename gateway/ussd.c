/* ussd — see ussd.h.
 *
 * One POST per screen:
 *   check source address and shared secret -> parse the form (libevent's
 *   evhttp_parse_query_str) -> check fields -> GET the session (async, on
 *   the router's Redis connection) -> replay the menu over every input so
 *   far (menu_run is pure: a resent screen gets the same answer, and any
 *   gateway can answer any screen) -> CON: save the session, answer ->
 *   leaf action: run the keyword handler through router_submit, which
 *   queues its replies (so the answer also arrives by SMS, as USSD screens
 *   vanish) -> END with the handler's first reply.
 * Every problem is an END screen with HTTP 200: an aggregator shows the
 * resident a sentence, never an error page. */
#include "gateway/ussd.h"

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/phone.h"
#include "gateway/router.h"
#include "handlers/keyword.h"
#include "handlers/menu.h"
#include "handlers/menu_sms.h"
#include "handlers/services.h"
#include "modems/codec.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define USSD_BODY_MAX    4096 /* a USSD form is a few hundred bytes */
#define USSD_TEXT_MAX    1000 /* inputs so far, joined by '*' */
#define USSD_SESSION_MAX 64   /* bytes of a sessionId */

#define END_BUSY  "END Maaf, layanan sedang sibuk. Silakan coba lagi sebentar lagi."
#define END_BAD   "END Maaf, permintaan tidak dapat dibaca."
#define END_PHONE "END Maaf, nomor Anda tidak dikenali."

struct ussd {
    struct router *router;
    const struct config *cfg;
};

struct call {
    struct ussd *u;
    struct evhttp_request *req;
    double started; /* monotonic seconds, for the screen latency histogram */
    char session[USSD_SESSION_MAX + 1];
    char phone[24];
    char service[32];
    char text[USSD_TEXT_MAX + 1];
    struct menu_result result;
};

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every screen answered, refusals included, is one observation of the
 * USSD latency histogram (GET /metrics). */
static void answer(struct evhttp_request *req, const char *body, double started)
{
    metrics_hist_observe(metrics_ussd(), monotonic() - started);
    struct evbuffer *out = evbuffer_new();
    if (out == NULL) {
        evhttp_send_error(req, 503, "out of memory");
        return;
    }
    evbuffer_add(out, body, strlen(body));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
}

static void finish(struct call *c, const char *body)
{
    if (c->req) {
        evhttp_connection_set_closecb(evhttp_request_get_connection(c->req), NULL, NULL);
        answer(c->req, body, c->started);
    }
    free(c);
}

/* The aggregator hung up before we answered (it waits about 15 s): libevent
 * frees the request, so the answer must not be sent to it. */
static void on_close(struct evhttp_connection *conn, void *arg)
{
    struct call *c = arg;
    c->req = NULL;
}

static int valid_session(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > USSD_SESSION_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              strchr("-_.:", *s)))
            return 0;
    return 1;
}

/* 1 when the peer may call us (ussd_allow, a comma-separated list). */
static int allowed(const struct config *cfg, struct evhttp_request *req)
{
    if (cfg->ussd_allow[0] == '\0')
        return 1;
    const char *addr = NULL;
    ev_uint16_t port;
    evhttp_connection_get_peer(evhttp_request_get_connection(req), (char **)&addr, &port);
    if (addr == NULL)
        return 0;
    const char *p = cfg->ussd_allow;
    size_t n = strlen(addr);
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == n && strncmp(p, addr, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

/* Constant-time comparison, so the secret cannot be guessed by timing. */
static int same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0;
}

static void action_done(void *arg, int ok, const char *first_reply)
{
    struct call *c = arg;
    char body[1024];
    if (!ok || first_reply[0] == '\0') {
        finish(c, END_BUSY);
        return;
    }
    snprintf(body, sizeof(body), "END %s", first_reply);
    finish(c, body);
}

/* A leaf action runs the keyword handler an SMS would reach (menu_sms_action). */
static void run_action(struct call *c)
{
    const struct menu_result *m = &c->result;
    const char *args;
    const struct keyword *kw = menu_sms_action(m, &args);
    if (kw == NULL) {
        log_error("event=ussd_unknown_action action=%s node=%s", m->action, m->node);
        finish(c, END_BUSY);
        return;
    }
    struct router_hint hints[MENU_VALUES_MAX];
    int nhints = 0;
    for (int k = 0; k < m->nvalues && nhints < MENU_VALUES_MAX; k++)
        hints[nhints++] = (struct router_hint){m->values[k].key, m->values[k].value};
    char id[USSD_SESSION_MAX + 48];
    /* One action per session and node: a resent last screen does not file
     * a second complaint (the replies' done key carries this id). */
    snprintf(id, sizeof(id), "ussd:%s:%s", c->session, m->node);
    struct router_submission sub = {"ussd", id, c->phone, kw->name, args, hints, nhints};
    char masked[32];
    log_info("event=ussd_action session=%s from=%s action=%s", c->session,
             log_phone(c->phone, masked, sizeof(masked)), m->action);
    if (router_submit(c->u->router, &sub, action_done, c) != 0)
        finish(c, END_BUSY);
}

static void on_session(redisAsyncContext *ac, void *reply, void *priv)
{
    struct call *c = priv;
    redisReply *r = reply;
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        finish(c, END_BUSY);
        return;
    }
    /* A session belongs to the number that opened it. */
    if (r->integer == 0) {
        log_warnx("event=ussd_session_mismatch session=%s", c->session);
        finish(c, END_BAD);
        return;
    }
    const char *inputs[MENU_INPUTS_MAX];
    int n = menu_split(c->text, inputs, MENU_INPUTS_MAX);
    const struct services *svc = router_services(c->u->router);
    if (svc == NULL || svc->menu == NULL) {
        finish(c, END_BUSY);
        return;
    }
    menu_run(svc->menu, inputs, n < 0 ? 0 : n, &c->result);
    if (c->result.kind == MENU_END && c->result.action[0]) {
        run_action(c);
        return;
    }
    char body[sizeof(c->result.screen) + 8];
    snprintf(body, sizeof(body), "%s %s", c->result.kind == MENU_CON ? "CON" : "END",
             c->result.screen);
    finish(c, body);
}

static const char *form(struct evkeyvalq *kv, const char *name)
{
    const char *v = evhttp_find_header(kv, name);
    return v ? v : NULL;
}

void ussd_handle(void *arg, struct evhttp_request *req)
{
    struct ussd *u = arg;
    double started = monotonic();
    if (!allowed(u->cfg, req)) {
        log_warnx("event=ussd_refused reason=source");
        answer(req, END_BAD, started);
        return;
    }
    if (u->cfg->ussd_secret[0]) {
        const char *given =
            evhttp_find_header(evhttp_request_get_input_headers(req), "X-Kentongan-Secret");
        if (given == NULL || !same_secret(given, u->cfg->ussd_secret)) {
            log_warnx("event=ussd_refused reason=secret");
            answer(req, END_BAD, started);
            return;
        }
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > USSD_BODY_MAX) {
        answer(req, END_BAD, started);
        return;
    }
    char body[USSD_BODY_MAX + 1];
    evbuffer_copyout(in, body, len);
    body[len] = '\0';
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    if (memchr(body, '\0', len) != NULL || evhttp_parse_query_str(body, &kv) != 0) {
        evhttp_clear_headers(&kv);
        answer(req, END_BAD, started);
        return;
    }
    const char *session = form(&kv, "sessionId"), *phone = form(&kv, "phoneNumber");
    const char *service = form(&kv, "serviceCode"), *text = form(&kv, "text");
    struct call *c = calloc(1, sizeof(*c));
    const char *problem = NULL;
    if (c == NULL)
        problem = END_BUSY;
    else if (session == NULL || !valid_session(session) || service == NULL || text == NULL ||
             strlen(text) > USSD_TEXT_MAX || strlen(service) >= sizeof(c->service))
        problem = END_BAD;
    else if (phone == NULL || phone_normalise(phone, c->phone, sizeof(c->phone)) != PHONE_MOBILE)
        problem = END_PHONE;
    else {
        char clean[USSD_TEXT_MAX * 3 + 1];
        codec_utf8_sanitize(text, strlen(text), clean, sizeof(clean));
        if (strcmp(clean, text) != 0)
            problem = END_BAD; /* invalid UTF-8 or control characters */
    }
    if (problem) {
        evhttp_clear_headers(&kv);
        free(c);
        answer(req, problem, started);
        return;
    }
    c->u = u;
    c->req = req;
    c->started = started;
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, c);
    snprintf(c->session, sizeof(c->session), "%s", session);
    snprintf(c->service, sizeof(c->service), "%s", service);
    snprintf(c->text, sizeof(c->text), "%s", text);
    evhttp_clear_headers(&kv);
    /* One round trip per screen: check the session's owner and refresh it. */
    redisAsyncContext *rc = router_redis(u->router);
    char key[USSD_SESSION_MAX + 16], ttl[16];
    snprintf(key, sizeof(key), "kt:ussd:%s", c->session);
    snprintf(ttl, sizeof(ttl), "%d", u->cfg->ussd_session_ttl);
    const char *argv[] = {"FCALL", "kt_ussd_touch", "1", key, c->phone, ttl};
    if (rc == NULL || redisAsyncCommandArgv(rc, on_session, c, 6, argv, NULL) != REDIS_OK)
        finish(c, END_BUSY);
}

struct ussd *ussd_new(struct router *router, const struct config *cfg)
{
    struct ussd *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    u->router = router;
    u->cfg = cfg;
    return u;
}

void ussd_set_config(struct ussd *u, const struct config *cfg)
{
    u->cfg = cfg;
}

void ussd_free(struct ussd *u)
{
    free(u);
}
