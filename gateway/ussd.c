/* ussd — see ussd.h.
 *
 * One POST per screen:
 *   check source address and shared secret (403 otherwise) -> parse the
 *   form (in place, as evhttp_parse_query_str would) -> check fields -> GET the
 *   session (async, on the router's Redis connection) -> replay the menu
 *   over every input so far (menu_run is pure: a resent screen gets the
 *   same answer; menu_run_cached remembers the screens of choice-only
 *   paths) -> CON: answer, saving or dropping a complaint's draft on the
 *   way (not waited for: one round trip per screen) ->
 *   leaf action: the per-number limits and reply budget (kt_rate, as for an
 *   SMS), then the keyword handler through router_submit, which queues its
 *   replies (so the answer also arrives by SMS, as USSD screens vanish) ->
 *   END with the handler's first reply, or with why nothing was done.
 * Every problem is an END screen with HTTP 200: an aggregator shows the
 * resident a sentence, never an error page. Two exceptions are meant for
 * the aggregator's operators, not for residents: a caller that is not the
 * aggregator gets 403, a session id too long to be one gets 400 (with an
 * END sentence all the same). */
#include "gateway/ussd.h"

#include "gateway/apiparse.h"
#include "gateway/config.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/netaddr.h"
#include "gateway/phone.h"
#include "gateway/router.h"
#include "gateway/textsafe.h"
#include "handlers/keyword.h"
#include "handlers/menu.h"
#include "handlers/menu_sms.h"
#include "handlers/privacy.h"
#include "handlers/services.h"
#include "modems/codec.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define USSD_EXPIRED_KEEP  3600 /* seconds an expired session is still known as such */
#define USSD_REFUSAL_SLOTS 64   /* addresses whose refusal was logged lately */
#define USSD_REFUSAL_LOG_S 60   /* seconds before the same address is logged again */
#define USSD_ACTION_HASH   16   /* bytes of SHA-256 naming one action (session, node) */
#define USSD_SPARE_CALLS   64 /* finished calls kept for the next screens (no malloc per screen) */
#define USSD_ANSWER_STACK  2048 /* bytes of an answer masked on the stack (longer: on the heap) */

#define END_BUSY  "END Maaf, layanan sedang sibuk. Silakan coba lagi sebentar lagi."
#define END_BAD   "END Maaf, permintaan tidak dapat dibaca."
#define END_PHONE "END Maaf, nomor Anda tidak dikenali."
#define END_EXPIRED                                                                                \
    "END Sesi Anda sudah berakhir karena terlalu lama tidak ada jawaban. Silakan hubungi %s lagi."
#define END_EXPIRED_DRAFT                                                                          \
    "END Sesi Anda sudah berakhir. Laporan yang sedang Anda isi disimpan: hubungi %s lagi untuk "  \
    "melanjutkannya."
#define END_LIMITED                                                                                \
    "END Maaf, permintaan dari nomor Anda terlalu banyak. Mohon tunggu beberapa menit lalu coba "  \
    "lagi."
#define END_LIMITED_DAY                                                                            \
    "END Maaf, permintaan dari nomor Anda hari ini sudah terlalu banyak. Silakan coba lagi besok."
#define END_SHED                                                                                   \
    "END Maaf, layanan sedang menerima terlalu banyak permintaan. Silakan coba lagi beberapa "     \
    "saat lagi. Keadaan darurat: hubungi 112."
#define FORBIDDEN    "forbidden: this caller may not use /ussd\n"
#define OFFER_TITLE  "Laporan Anda yang belum terkirim"
#define OFFER_ITEMS  "1 Lanjutkan\n2 Hapus, ke menu awal"
#define OFFER_ERROR  "Pilihan tidak ada."
#define DRAFT_ACTION "lapor" /* the action whose unfinished sessions are kept */

enum draft_op { DRAFT_KEEP, DRAFT_SAVE, DRAFT_DROP };

/* An address whose refusal was logged, and when (monotonic seconds). */
struct refusal {
    char addr[64];
    double at;
};

struct ussd {
    struct router *router;
    const struct config *cfg;
    /* ussd_allow and ussd_secret as read (config_load checked them) */
    struct netaddr_range allow[NETADDR_LIST_MAX];
    int nallow;
    unsigned char secret[SHA256_DIGEST_SIZE];
    int has_secret;
    struct refusal refused[USSD_REFUSAL_SLOTS];
    unsigned long long unlogged; /* refusals not logged since the last line */
    /* ussd_session_ttl, and how long a session is kept after it (USSD_EXPIRED_KEEP
     * more) and ussd_draft_ttl, as the decimal strings sent to Redis */
    char ttl[16], keep[16], draft_ttl[16];
    /* Finished calls kept for reuse: a call is a few kilobytes, and a fresh
     * allocation that size per screen costs more than the rest of the
     * screen's own work. At most USSD_SPARE_CALLS; the others are freed. */
    struct call *spare;
    int nspare;
    int live;    /* calls not finished yet */
    int closing; /* ussd_free came while calls were live: the last one frees u */
};

struct call {
    struct ussd *u;
    struct call *next_spare;
    struct evhttp_request *req;
    double started;                   /* monotonic seconds, for the screen latency histogram */
    struct ussd_form form;            /* what the aggregator sent, checked */
    char draft[USSD_TEXT_MAX + 1];    /* inputs of the complaint offered to this session */
    char path[2 * USSD_TEXT_MAX + 2]; /* the inputs replayed, joined (written for DRAFT_SAVE) */
    int expired;                      /* the session outlived ussd_session_ttl */
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
static void answer_status(struct evhttp_request *req, int status, const char *body, double started)
{
    metrics_hist_observe(metrics_ussd(), monotonic() - started);
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    /* A screen may show back what the resident typed (a menu's summary):
     * NIK and KK numbers masked as in every SMS. Most screens are menus
     * ("1 Bandar\n2 Banyuputih..."), which privacy_may_mask spares the
     * masking pass. */
    size_t len = strlen(body);
    if (!privacy_may_mask(body))
        evbuffer_add(out, body, len);
    else {
        char stack[USSD_ANSWER_STACK], *masked = len < sizeof(stack) ? stack : malloc(len + 1);
        if (masked) {
            evbuffer_add(out, masked, privacy_mask(body, masked, len + 1));
            if (masked != stack)
                free(masked);
        } else
            evbuffer_add(out, "END ", 4);
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    evhttp_send_reply(req, status, status == 200 ? "OK" : "Bad Request", NULL);
}

static void answer(struct evhttp_request *req, const char *body, double started)
{
    answer_status(req, 200, body, started);
}

/* A call for a new screen: a spare one when there is one. Only the fields
 * every path reads before writing are reset (the form is filled by
 * ussd_parse_form, the result by menu_run). */
static struct call *call_new(struct ussd *u)
{
    struct call *c = u->spare;
    if (c) {
        u->spare = c->next_spare;
        u->nspare--;
    } else if ((c = malloc(sizeof(*c))) == NULL)
        return NULL;
    c->u = u;
    c->next_spare = NULL;
    c->req = NULL;
    c->started = 0;
    c->draft[0] = c->path[0] = '\0';
    c->expired = 0;
    u->live++;
    return c;
}

static void call_free(struct call *c)
{
    struct ussd *u = c->u;
    u->live--;
    if (u->nspare < USSD_SPARE_CALLS && !u->closing) {
        c->next_spare = u->spare;
        u->spare = c;
        u->nspare++;
    } else
        free(c);
    if (u->closing && u->live == 0)
        ussd_free(u);
}

static void finish(struct call *c, const char *body)
{
    if (c->req) {
        http_set_closecb(c->req, NULL, NULL);
        answer(c->req, body, c->started);
    }
    call_free(c);
}

/* The aggregator hung up before we answered (it waits about 15 s): libevent
 * frees the request, so the answer must not be sent to it. */
static void on_close(struct evhttp_connection *conn, void *arg)
{
    struct call *c = arg;
    c->req = NULL;
}

/* An opaque id, but one that can go into a log line and a Redis key as is. */
static int valid_session(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~' || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

/* 1 when the peer may call us (ussd_allow: addresses and CIDR ranges). */
static int allowed(const struct ussd *u, const char *addr)
{
    return u->nallow == 0 || netaddr_match(u->allow, u->nallow, addr);
}

/* 1 when the request carries the aggregator's secret (ussd_secret), in
 * X-Kentongan-Secret or as a bearer token. Its hash is compared in
 * constant time, so the time taken says nothing about how much was right. */
static int has_secret(const struct ussd *u, struct evhttp_request *req)
{
    if (!u->has_secret)
        return 1;
    const struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *given = evhttp_find_header(h, USSD_SECRET_HEADER);
    const char *auth = evhttp_find_header(h, "Authorization");
    char bearer[APIPARSE_TOKEN_MAX];
    if (given == NULL && auth && apiparse_bearer(auth, bearer, sizeof(bearer)) == 0)
        given = bearer;
    if (given == NULL)
        return 0;
    unsigned char digest[SHA256_DIGEST_SIZE];
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(given), (const uint8_t *)given);
    sha256_digest(&ctx, sizeof(digest), digest);
    return memeql_sec(digest, u->secret, sizeof(digest)) != 0;
}

/* 403 to a caller that is not the aggregator: counted every time, logged at
 * most once a minute per address (and at most USSD_REFUSAL_SLOTS lines a
 * minute in all), so a scan or a misconfigured aggregator cannot flood the
 * log. */
static void refuse(struct ussd *u, struct evhttp_request *req, const char *addr,
                   enum metrics_refusal why, double started)
{
    metrics_ussd_refused(why);
    double now = monotonic();
    struct refusal *slot = NULL, *oldest = &u->refused[0];
    for (int i = 0; i < USSD_REFUSAL_SLOTS && slot == NULL; i++) {
        struct refusal *r = &u->refused[i];
        if (r->addr[0] && strcmp(r->addr, addr) == 0)
            slot = r;
        else if (r->addr[0] == '\0' || (oldest->addr[0] && r->at < oldest->at))
            oldest = r;
    }
    int log = 0;
    if (slot)
        log = now - slot->at >= USSD_REFUSAL_LOG_S;
    else if (oldest->addr[0] == '\0' || now - oldest->at >= USSD_REFUSAL_LOG_S) {
        slot = oldest;
        snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
        log = 1;
    }
    if (log) {
        slot->at = now;
        log_warnx("event=ussd_refused addr=%s reason=%s status=403 unlogged_before=%llu "
                  "note=\"this address is logged again in a minute at the earliest\"",
                  addr, metrics_refusal_name(why), u->unlogged);
        u->unlogged = 0;
    } else
        u->unlogged++;
    metrics_hist_observe(metrics_ussd(), monotonic() - started);
    struct evbuffer *out = evbuffer_new();
    if (out)
        evbuffer_add(out, FORBIDDEN, strlen(FORBIDDEN));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    evhttp_send_reply(req, 403, "Forbidden", out);
    if (out)
        evbuffer_free(out);
}

static void draft_key(const struct call *c, char *key, size_t len)
{
    snprintf(key, len, "kt:draft:%s", c->form.phone);
}

static void on_draft(redisAsyncContext *ac, void *reply, void *priv)
{
    char *session = priv;
    if (reply == NULL || ((redisReply *)reply)->type == REDIS_REPLY_ERROR)
        log_warnx("event=ussd_draft_failed session=%s", session);
    free(session);
}

/* Answers body, saving the draft of a complaint on the way (DRAFT_SAVE: the
 * inputs so far, so a session that dies before its end can be continued by
 * the next one from this number) or dropping it (DRAFT_DROP). The answer
 * does not wait for Redis to confirm: that would be a second round trip on
 * most screens of a complaint. Nothing needs it to: a draft is read only by
 * the first screen of a number's next session, which comes after the
 * resident has read this one and dialled again, while the command is
 * already on its way (and on this connection, ahead of anything this
 * gateway sends later). A failure only means an interrupted complaint is
 * not offered again, and is logged. */
static void reply_with(struct call *c, enum draft_op op, const char *body)
{
    if (op != DRAFT_KEEP) {
        redisAsyncContext *rc = router_redis(c->u->router);
        char key[48], *session = strdup(c->form.session);
        draft_key(c, key, sizeof(key));
        const char *save[] = {"SET", key, c->path, "EX", c->u->draft_ttl}, *drop[] = {"DEL", key};
        if (rc == NULL || session == NULL ||
            redisAsyncCommandArgv(rc, on_draft, session, op == DRAFT_SAVE ? 5 : 2,
                                  op == DRAFT_SAVE ? save : drop, NULL) != REDIS_OK) {
            log_warnx("event=ussd_draft_failed session=%s", c->form.session);
            free(session);
        }
    }
    finish(c, body);
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

static void action_done(void *arg, int outcome, const char *first_reply)
{
    struct call *c = arg;
    char body[1024];
    /* Over a limit nothing was done: the draft of a complaint stays, so the
     * resident can send it from the next session. */
    if (outcome == ROUTER_LIMITED || outcome == ROUTER_LIMITED_DAY || outcome == ROUTER_SHED) {
        finish(c, outcome == ROUTER_SHED          ? END_SHED
                  : outcome == ROUTER_LIMITED_DAY ? END_LIMITED_DAY
                                                  : END_LIMITED);
        return;
    }
    if (outcome != ROUTER_DONE || first_reply[0] == '\0') {
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
    /* One action per session and node: a resent last screen does not file
     * a second complaint (the replies' done key carries this id). The id is
     * a hash of the whole session id and node, never a cut of them: two
     * sessions whose ids share a prefix are two residents. */
    unsigned char digest[SHA256_DIGEST_SIZE];
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(c->form.session) + 1, (const uint8_t *)c->form.session);
    sha256_update(&ctx, strlen(m->node), (const uint8_t *)m->node);
    sha256_digest(&ctx, sizeof(digest), digest);
    char id[ROUTER_ID_MAX] = "ussd:";
    _Static_assert(5 + 2 * USSD_ACTION_HASH < ROUTER_ID_MAX, "an action id fits a request id");
    for (int i = 0; i < USSD_ACTION_HASH; i++)
        snprintf(id + 5 + 2 * i, 3, "%02x", digest[i]);
    struct router_submission sub = {"ussd", id, c->form.phone, kw->name, args, hints, nhints};
    sub.limits = 1;
    char masked[32];
    log_info("event=ussd_action session=%s id=%s from=%s action=%s", c->form.session, id,
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
    for (int i = 0; i < n; i++) {
        const char *in = inputs[i] ? inputs[i] : "";
        size_t len = strlen(in);
        if (o + (i > 0) + len >= sizeof(c->path))
            break; /* cannot happen: two texts of USSD_TEXT_MAX at most */
        if (i > 0)
            c->path[o++] = '*';
        memcpy(c->path + o, in, len);
        o += len;
    }
    c->path[o] = '\0';
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
    menu_run_cached(svc->menu, inputs, total > MENU_INPUTS_MAX ? MENU_INPUTS_MAX + 1 : total,
                    &c->result);
    if (in_draft(svc->menu, &c->result)) {
        op = DRAFT_SAVE;
        join_path(c, inputs, total);
    } else if (left_draft(svc->menu, &c->result, total))
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

/* The form's fields, read as libevent's evhttp_parse_query_str reads a
 * query (this used to call it; the gateway now does the same in place,
 * without its allocation per field): arguments separated by '&', each
 * "key=value" with a non-empty key, or the whole form is unreadable; keys
 * taken as they are and matched without regard to case, the first of a
 * name counting; values decoded ('+' is a space, %XX a byte when both X are
 * hex digits, anything else as it is), a decoded NUL ending the value. */
enum { F_SESSION, F_PHONE, F_SERVICE, F_TEXT, NFIELDS };
static const char *const field_names[NFIELDS] = {"sessionId", "phoneNumber", "serviceCode", "text"};

static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes value in place (it only shrinks). */
static void form_decode(char *value)
{
    char *out = value;
    for (const char *in = value; *in; in++) {
        int hi, lo;
        if (*in == '+')
            *out++ = ' ';
        else if (*in == '%' && (hi = hex_value(in[1])) >= 0 && (lo = hex_value(in[2])) >= 0) {
            *out++ = (char)(hi << 4 | lo);
            in += 2;
        } else
            *out++ = *in;
    }
    *out = '\0';
}

/* Splits form (NUL-terminated, modified) and points fields[] at the values
 * of field_names (NULL when absent). Returns 0, or -1 when an argument has
 * no '=' or an empty key. */
static int form_fields(char *form, const char *fields[NFIELDS])
{
    for (int i = 0; i < NFIELDS; i++)
        fields[i] = NULL;
    for (char *p = form; p != NULL && *p != '\0';) {
        char *arg = strsep(&p, "&");
        char *value = strchr(arg, '=');
        if (value == NULL || value == arg)
            return -1;
        *value++ = '\0';
        for (int i = 0; i < NFIELDS; i++)
            if (fields[i] == NULL && evutil_ascii_strcasecmp(arg, field_names[i]) == 0) {
                form_decode(value);
                fields[i] = value;
                break;
            }
    }
    return 0;
}

const char *ussd_parse_form(const char *body, size_t len, struct ussd_form *f, int *status)
{
    const char *problem = NULL, *fields[NFIELDS];
    char copy[USSD_BODY_MAX + 1];
    memset(f, 0, sizeof(*f));
    *status = 200;
    if (len > USSD_BODY_MAX || memchr(body, '\0', len) != NULL)
        return END_BAD;
    memcpy(copy, body, len);
    copy[len] = '\0';
    if (form_fields(copy, fields) != 0)
        return END_BAD;
    const char *session = fields[F_SESSION], *phone = fields[F_PHONE];
    const char *service = fields[F_SERVICE], *text = fields[F_TEXT];
    if (session && strlen(session) > USSD_SESSION_MAX) {
        problem = END_BAD; /* an identity is never cut: say so, loudly */
        *status = 400;
    } else if (session == NULL || !valid_session(session) || service == NULL || text == NULL ||
               strlen(text) > USSD_TEXT_MAX || strlen(service) >= sizeof(f->service))
        problem = END_BAD;
    else if (phone == NULL || phone_normalise(phone, f->phone, sizeof(f->phone)) != PHONE_MOBILE)
        problem = END_PHONE;
    else {
        struct codec_plan plan;
        if (codec_plan(text, &plan) != 0 || codec_plan(service, &plan) != 0)
            problem = END_BAD; /* invalid UTF-8 */
    }
    if (problem == NULL) {
        snprintf(f->session, sizeof(f->session), "%s", session);
        snprintf(f->service, sizeof(f->service), "%s", service);
        snprintf(f->text, sizeof(f->text), "%s", text);
        /* control characters and bidi overrides go, here at the edge */
        textsafe_clean(f->service);
        textsafe_clean(f->text);
    }
    return problem;
}

void ussd_handle(void *arg, struct evhttp_request *req)
{
    struct ussd *u = arg;
    double started = monotonic();
    char *addr = NULL;
    ev_uint16_t peer_port;
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &addr, &peer_port);
    if (!allowed(u, addr)) {
        refuse(u, req, addr ? addr : "?", METRICS_REFUSED_SOURCE, started);
        return;
    }
    if (!has_secret(u, req)) {
        refuse(u, req, addr ? addr : "?", METRICS_REFUSED_SECRET, started);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > USSD_BODY_MAX) {
        answer(req, END_BAD, started);
        return;
    }
    /* the body in one piece (it mostly is already: no copy then) */
    const char *body = len ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : "";
    struct call *c = body ? call_new(u) : NULL;
    int status = 200;
    const char *problem = c ? ussd_parse_form(body, len, &c->form, &status) : END_BUSY;
    if (problem) {
        if (c)
            call_free(c);
        if (status != 200)
            log_warnx("event=ussd_bad_request status=%d reason=session_id_too_long max=%d", status,
                      USSD_SESSION_MAX);
        answer_status(req, status, problem, started);
        return;
    }
    c->req = req;
    c->started = started;
    http_set_closecb(req, on_close, c);
    /* One round trip per screen: check the session's owner and refresh it. */
    redisAsyncContext *rc = router_redis(u->router);
    char key[USSD_SESSION_MAX + 16], draft[48], now[24];
    size_t slen = strlen(c->form.session);
    memcpy(key, "kt:ussd:", 8);
    memcpy(key + 8, c->form.session, slen + 1);
    draft_key(c, draft, sizeof(draft));
    snprintf(now, sizeof(now), "%lld", router_now(u->router));
    const char *argv[] = {
        "FCALL",       "kt_ussd_touch", "2", key,     draft,
        c->form.phone, u->ttl,          now, u->keep, c->form.text[0] ? "0" : "1"};
    if (rc == NULL || redisAsyncCommandArgv(rc, on_session, c, 10, argv, NULL) != REDIS_OK)
        finish(c, END_BUSY);
}

/* ussd_allow, ussd_secret and the session lifetimes, once per
 * configuration (config_load has checked them). */
static void take_config(struct ussd *u, const struct config *cfg)
{
    snprintf(u->ttl, sizeof(u->ttl), "%d", cfg->ussd_session_ttl);
    /* kept a while after it expires, so a late screen is told so */
    snprintf(u->keep, sizeof(u->keep), "%d", cfg->ussd_session_ttl + USSD_EXPIRED_KEEP);
    snprintf(u->draft_ttl, sizeof(u->draft_ttl), "%d", cfg->ussd_draft_ttl);
    u->nallow = netaddr_parse_list(cfg->ussd_allow, u->allow, NETADDR_LIST_MAX, NULL, 0);
    if (u->nallow < 0) {
        /* cannot happen after config_load; refuse everyone rather than no one */
        log_error("event=ussd_allow_unreadable note=\"every caller is refused\"");
        u->nallow = 1;
        memset(&u->allow[0], 0, sizeof(u->allow[0]));
        u->allow[0].prefix = 128;
        u->allow[0].v6 = 1;
    }
    u->has_secret = cfg->ussd_secret[0] != '\0';
    if (u->has_secret && apiparse_hex32(cfg->ussd_secret, u->secret) != 0) {
        log_error("event=ussd_secret_unreadable note=\"every caller is refused\"");
        memset(u->secret, 0xff, sizeof(u->secret)); /* no known secret hashes to this */
    }
}

struct ussd *ussd_new(struct router *router, const struct config *cfg)
{
    struct ussd *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    u->router = router;
    u->cfg = cfg;
    take_config(u, cfg);
    return u;
}

void ussd_set_config(struct ussd *u, const struct config *cfg)
{
    u->cfg = cfg;
    take_config(u, cfg);
}

/* Calls still waiting for Redis are answered when the router goes (after
 * this, at exit): they need u until then, so the last of them frees it. */
void ussd_free(struct ussd *u)
{
    if (u == NULL)
        return;
    u->closing = 1;
    while (u->spare) {
        struct call *c = u->spare;
        u->spare = c->next_spare;
        free(c);
    }
    u->nspare = 0;
    if (u->live == 0)
        free(u);
}
