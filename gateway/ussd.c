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
#include "gateway/http.h"
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

#define USSD_EXPIRED_KEEP 3600 /* seconds an expired session is still known as such */

#define END_BUSY  "END Maaf, layanan sedang sibuk. Silakan coba lagi sebentar lagi."
#define END_BAD   "END Maaf, permintaan tidak dapat dibaca."
#define END_PHONE "END Maaf, nomor Anda tidak dikenali."
#define END_EXPIRED                                                                                \
    "END Sesi Anda sudah berakhir karena terlalu lama tidak ada jawaban. Silakan hubungi %s lagi."
#define END_EXPIRED_DRAFT                                                                          \
    "END Sesi Anda sudah berakhir. Laporan yang sedang Anda isi disimpan: hubungi %s lagi untuk "  \
    "melanjutkannya."
#define OFFER_TITLE  "Laporan Anda yang belum terkirim"
#define OFFER_ITEMS  "1 Lanjutkan\n2 Hapus, ke menu awal"
#define OFFER_ERROR  "Pilihan tidak ada."
#define DRAFT_ACTION "lapor" /* the action whose unfinished sessions are kept */

enum draft_op { DRAFT_KEEP, DRAFT_SAVE, DRAFT_DROP };

struct ussd {
    struct router *router;
    const struct config *cfg;
};

struct call {
    struct ussd *u;
    struct evhttp_request *req;
    double started;                   /* monotonic seconds, for the screen latency histogram */
    struct ussd_form form;            /* what the aggregator sent, checked */
    char draft[USSD_TEXT_MAX + 1];    /* inputs of the complaint offered to this session */
    char path[2 * USSD_TEXT_MAX + 2]; /* the inputs replayed: the draft's, then this session's */
    int expired;                      /* the session outlived ussd_session_ttl */
    char answer[MENU_SCREEN_MAX * 4 + 256]; /* the body, while the draft is written */
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
        http_set_closecb(c->req, NULL, NULL);
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

static void draft_key(const struct call *c, char *key, size_t len)
{
    snprintf(key, len, "kt:draft:%s", c->form.phone);
}

static void on_draft(redisAsyncContext *ac, void *reply, void *priv)
{
    struct call *c = priv;
    if (reply == NULL || ((redisReply *)reply)->type == REDIS_REPLY_ERROR)
        log_warnx("event=ussd_draft_failed session=%s", c->form.session);
    finish(c, c->answer);
}

/* Answers body once the draft of a complaint is saved (DRAFT_SAVE: the
 * inputs so far, so a session that dies before its end can be continued by
 * the next one from this number) or dropped (DRAFT_DROP), so the next
 * screen, from any gateway, sees it. A failure only means an interrupted
 * complaint is not offered again: the answer goes out all the same. */
static void reply_with(struct call *c, enum draft_op op, const char *body)
{
    redisAsyncContext *rc = router_redis(c->u->router);
    char key[48], ttl[16];
    draft_key(c, key, sizeof(key));
    snprintf(ttl, sizeof(ttl), "%d", c->u->cfg->ussd_draft_ttl);
    const char *save[] = {"SET", key, c->path, "EX", ttl}, *drop[] = {"DEL", key};
    if (op == DRAFT_KEEP) {
        finish(c, body);
        return;
    }
    snprintf(c->answer, sizeof(c->answer), "%s", body);
    if (rc == NULL || redisAsyncCommandArgv(rc, on_draft, c, op == DRAFT_SAVE ? 5 : 2,
                                            op == DRAFT_SAVE ? save : drop, NULL) != REDIS_OK) {
        log_warnx("event=ussd_draft_failed session=%s", c->form.session);
        finish(c, body);
    }
}

/* 1 when the screen just computed belongs to a complaint the resident has
 * started filling in (a choice made or text typed, the end not reached). */
static int in_draft(const struct menu *m, const struct menu_result *r)
{
    const char *leads = menu_leads_to(m, r->node);
    return r->kind == MENU_CON && r->nvalues > 0 && leads && strcmp(leads, DRAFT_ACTION) == 0;
}

/* 1 when the resident left a complaint on purpose: "2 Batal" on its summary,
 * or back home ("00", or "0" out of it) after at least one input. */
static int left_draft(const struct menu *m, const struct menu_result *r, int ninputs)
{
    const char *leads = menu_leads_to(m, r->node);
    if (r->kind == MENU_END)
        return r->action[0] == '\0' && r->nvalues > 0 && leads && strcmp(leads, DRAFT_ACTION) == 0;
    return ninputs > 0 && strcmp(r->node, menu_start(m)) == 0;
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
    /* filed: nothing left to continue */
    reply_with(c, strcmp(c->result.action, DRAFT_ACTION) == 0 ? DRAFT_DROP : DRAFT_KEEP, body);
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
    snprintf(id, sizeof(id), "ussd:%s:%s", c->form.session, m->node);
    struct router_submission sub = {"ussd", id, c->form.phone, kw->name, args, hints, nhints};
    char masked[32];
    log_info("event=ussd_action session=%s from=%s action=%s", c->form.session,
             log_phone(c->form.phone, masked, sizeof(masked)), m->action);
    if (router_submit(c->u->router, &sub, action_done, c) != 0)
        finish(c, END_BUSY);
}

/* The first screen of a session that inherited an unfinished complaint:
 * what it was about, and whether to go on with it. */
static void offer(struct call *c, const struct services *svc, int refused)
{
    char copy[USSD_TEXT_MAX + 1], about[96] = "", body[512];
    const char *inputs[MENU_INPUTS_MAX];
    struct menu_result r;
    snprintf(copy, sizeof(copy), "%s", c->draft);
    int n = menu_split(copy, inputs, MENU_INPUTS_MAX);
    menu_run(svc->menu, inputs, n < 0 ? 0 : n, &r);
    for (int k = 0; k < r.nvalues; k++) {
        const char *name = NULL;
        if (strcmp(r.values[k].key, "category") == 0) {
            int cat = category_by_code(svc->categories, r.values[k].value);
            name = cat >= 0 ? category_name(svc->categories, cat) : NULL;
        } else if (strcmp(r.values[k].key, "desa") == 0) {
            int desa = region_desa_by_code(svc->regions, r.values[k].value);
            name = desa >= 0 ? region_desa_name(svc->regions, desa) : NULL;
        }
        if (name && strlen(about) + strlen(name) + 3 < 64)
            snprintf(about + strlen(about), sizeof(about) - strlen(about), "%s%s",
                     about[0] ? ", " : "", name);
    }
    char folded[sizeof(about)];
    codec_gsm_fold(about, folded, sizeof(folded));
    snprintf(body, sizeof(body), "CON %s%s%s%s%s:\n" OFFER_ITEMS, refused ? OFFER_ERROR "\n" : "",
             OFFER_TITLE, folded[0] ? " (" : "", folded, folded[0] ? ")" : "");
    finish(c, body);
}

/* Joins inputs with '*' into c->path (the form a draft is kept in). */
static void join_path(struct call *c, const char *const *inputs, int n)
{
    size_t o = 0;
    c->path[0] = '\0';
    for (int i = 0; i < n && o < sizeof(c->path); i++)
        o += (size_t)snprintf(c->path + o, sizeof(c->path) - o, "%s%s", i ? "*" : "",
                              inputs[i] ? inputs[i] : "");
}

static void on_session(redisAsyncContext *ac, void *reply, void *priv)
{
    struct call *c = priv;
    redisReply *r = reply;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_STRING) {
        finish(c, END_BUSY);
        return;
    }
    /* A session belongs to the number that opened it. */
    if (r->element[0]->integer == 0) {
        log_warnx("event=ussd_session_mismatch session=%s", c->form.session);
        finish(c, END_BAD);
        return;
    }
    c->expired = r->element[0]->integer == 2;
    snprintf(c->draft, sizeof(c->draft), "%s", r->element[1]->str);
    const struct services *svc = router_services(c->u->router);
    if (svc == NULL || svc->menu == NULL) {
        finish(c, END_BUSY);
        return;
    }
    /* The inputs to replay: this session's, after the draft's when the
     * resident chose to continue it (the answer to the offer is input 0). */
    const char *mine[MENU_INPUTS_MAX], *inputs[2 * MENU_INPUTS_MAX];
    char draft[USSD_TEXT_MAX + 1];
    int n = menu_split(c->form.text, mine, MENU_INPUTS_MAX), total = 0, skip = 0;
    enum draft_op op = DRAFT_KEEP;
    if (n > MENU_INPUTS_MAX) {
        finish(c, "END Sesi terlalu panjang. Silakan mulai lagi.");
        return;
    }
    if (c->draft[0]) {
        if (n == 0 || (strcmp(mine[0], "1") != 0 && strcmp(mine[0], "2") != 0)) {
            if (c->expired) {
                char body[256];
                snprintf(body, sizeof(body), END_EXPIRED, c->form.service);
                finish(c, body);
            } else
                offer(c, svc, n > 0);
            return;
        }
        skip = 1;
        if (strcmp(mine[0], "1") == 0) {
            snprintf(draft, sizeof(draft), "%s", c->draft);
            total = menu_split(draft, inputs, MENU_INPUTS_MAX);
            if (total > MENU_INPUTS_MAX)
                total = 0;
        } else if (n == 1)
            op = DRAFT_DROP; /* "2": the resident let it go */
    }
    for (int i = skip; i < n && total < 2 * MENU_INPUTS_MAX; i++)
        inputs[total++] = mine[i];
    join_path(c, inputs, total);
    menu_run(svc->menu, inputs, total > MENU_INPUTS_MAX ? MENU_INPUTS_MAX + 1 : total, &c->result);
    if (in_draft(svc->menu, &c->result))
        op = DRAFT_SAVE;
    else if (left_draft(svc->menu, &c->result, total))
        op = DRAFT_DROP;
    char body[sizeof(c->result.screen) + 256];
    if (c->expired) {
        /* Too late to act on; what was typed is kept when it was a complaint. */
        snprintf(body, sizeof(body), op == DRAFT_SAVE ? END_EXPIRED_DRAFT : END_EXPIRED,
                 c->form.service);
        reply_with(c, op, body);
        return;
    }
    if (c->result.kind == MENU_END && c->result.action[0]) {
        run_action(c);
        return;
    }
    snprintf(body, sizeof(body), "%s %s", c->result.kind == MENU_CON ? "CON" : "END",
             c->result.screen);
    reply_with(c, op, body);
}

const char *ussd_parse_form(const char *body, size_t len, struct ussd_form *f)
{
    struct evkeyvalq kv;
    const char *problem = NULL;
    char *copy;
    memset(f, 0, sizeof(*f));
    if (len > USSD_BODY_MAX || memchr(body, '\0', len) != NULL ||
        (copy = strndup(body, len)) == NULL)
        return len > USSD_BODY_MAX || memchr(body, '\0', len) ? END_BAD : END_BUSY;
    TAILQ_INIT(&kv);
    if (evhttp_parse_query_str(copy, &kv) != 0) {
        evhttp_clear_headers(&kv);
        free(copy);
        return END_BAD;
    }
    const char *session = evhttp_find_header(&kv, "sessionId");
    const char *phone = evhttp_find_header(&kv, "phoneNumber");
    const char *service = evhttp_find_header(&kv, "serviceCode");
    const char *text = evhttp_find_header(&kv, "text");
    if (session == NULL || !valid_session(session) || service == NULL || text == NULL ||
        strlen(text) > USSD_TEXT_MAX || strlen(service) >= sizeof(f->service))
        problem = END_BAD;
    else if (phone == NULL || phone_normalise(phone, f->phone, sizeof(f->phone)) != PHONE_MOBILE)
        problem = END_PHONE;
    else {
        char clean[USSD_TEXT_MAX * 3 + 1];
        codec_utf8_sanitize(text, strlen(text), clean, sizeof(clean));
        if (strcmp(clean, text) != 0)
            problem = END_BAD; /* invalid UTF-8 or control characters */
    }
    if (problem == NULL) {
        snprintf(f->session, sizeof(f->session), "%s", session);
        snprintf(f->service, sizeof(f->service), "%s", service);
        snprintf(f->text, sizeof(f->text), "%s", text);
    }
    evhttp_clear_headers(&kv);
    free(copy);
    return problem;
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
    struct call *c = calloc(1, sizeof(*c));
    const char *problem = c ? ussd_parse_form(body, len, &c->form) : END_BUSY;
    if (problem) {
        free(c);
        answer(req, problem, started);
        return;
    }
    c->u = u;
    c->req = req;
    c->started = started;
    http_set_closecb(req, on_close, c);
    /* One round trip per screen: check the session's owner and refresh it. */
    redisAsyncContext *rc = router_redis(u->router);
    char key[USSD_SESSION_MAX + 16], draft[48], ttl[16], now[24], keep[16];
    snprintf(key, sizeof(key), "kt:ussd:%s", c->form.session);
    draft_key(c, draft, sizeof(draft));
    snprintf(ttl, sizeof(ttl), "%d", u->cfg->ussd_session_ttl);
    snprintf(now, sizeof(now), "%lld", router_now(u->router));
    /* kept a while after it expires, so a late screen is told so */
    snprintf(keep, sizeof(keep), "%d", u->cfg->ussd_session_ttl + USSD_EXPIRED_KEEP);
    const char *argv[] = {"FCALL", "kt_ussd_touch",
                          "2",     key,
                          draft,   c->form.phone,
                          ttl,     now,
                          keep,    c->form.text[0] ? "0" : "1"};
    if (rc == NULL || redisAsyncCommandArgv(rc, on_session, c, 10, argv, NULL) != REDIS_OK)
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
