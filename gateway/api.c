/* api — see api.h.
 *
 * Life of one call (everything on the gateway's event loop):
 *   http.c hands every /api/ path here -> the path is split into decoded
 *   segments and the query parsed (apiparse), each segment and parameter
 *   checked to be UTF-8 (400 otherwise) -> the bearer token is hashed
 *   with SHA-256 and compared with every configured hash in constant time
 *   (401) -> the route table is walked: no pattern matches (404), patterns
 *   match but not the method (405), the token's role is too low (403) ->
 *   the handler runs and answers once with api_reply / api_error, now or
 *   from a Redis or router callback -> POST and DELETE calls are logged with
 *   the token's name and the status.
 *
 * A call belongs to this module until it is answered: when the client hangs
 * up first, libevent frees the request and only the request pointer is
 * forgotten (on_close); the handler still answers, to nobody, and that
 * frees the call. So a callback may always use its call.
 *
 * Redis: the router's command connection (router_redis); each handler keeps
 * at most one command outstanding per call, so a lost connection (NULL
 * reply) answers 503 exactly once. The complaint actions run the officials'
 * SMS handlers through router_submit, with the acting official's number as
 * the sender and the hint authenticated=1 in place of a PIN; the router
 * hands back the handler's answer instead of sending it by SMS.
 *
 * Built-in routes: complaints, status import, subscribers, modems (here),
 * and GET /metrics (Prometheus text format) on the same listener. Other
 * modules add theirs with api_route (broadcasts). */
#include "gateway/api.h"
#include "gateway/clock.h"

#include "gateway/adminduk.h"
#include "gateway/apiparse.h"
#include "gateway/config.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/phone.h"
#include "gateway/reply.h"
#include "gateway/router.h"
#include "gateway/store.h"
#include "gateway/textsafe.h"
#include "handlers/complaint_state.h"
#include "handlers/opd.h"
#include "handlers/privacy.h"
#include "handlers/region.h"
#include "handlers/services.h"
#include "handlers/ticket.h"
#include "modems/codec.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#define API_ROUTES_MAX   48
#define API_PATTERN_MAX  96
#define API_JSON_MAX     (256 * 1024) /* bytes of a JSON body (CSV uploads may be larger) */
#define API_PAGE_DEFAULT 50           /* items per page unless limit= says otherwise */
#define API_PAGE_MAX     500          /* the largest limit= */
#define API_OFFSET_MAX   1000000000L  /* the largest offset= */
#define API_TEXT_MAX     1000         /* bytes of an answer or reason, as a complaint keeps */
#define API_LOG_MAX      500          /* entries of a ticket's history shown */
#define API_CONSENT_MAX  50           /* consent records of a number shown */
#define API_PROBLEMS_MAX 200          /* problems of a CSV listed */
#define MODEM_ALIVE_MS   60000        /* a worker silent longer than this counts as down */
#define API_LOG_PATH_MAX 300

struct route {
    int method; /* EVHTTP_REQ_* */
    char pattern[API_PATTERN_MAX];
    enum api_role min_role;
    api_handler_fn fn;
    void *arg;
};

struct token {
    char name[CONFIG_NAME_MAX];
    unsigned char hash[SHA256_DIGEST_SIZE];
    enum api_role role;
    char opd[CONFIG_NAME_MAX];
    char official[CONFIG_NAME_MAX];
};

struct api {
    struct router *router;
    const struct config *cfg;
    struct route routes[API_ROUTES_MAX];
    int nroutes;
    struct token tokens[CONFIG_MAX_TOKENS];
    int ntokens;
};

struct api_call {
    struct api *api;
    struct evhttp_request *req; /* NULL once the client has gone */
    int method;
    char seg[APIPARSE_SEGS_MAX][APIPARSE_SEG_MAX];
    int nseg;
    int args[APIPARSE_SEGS_MAX];
    int nargs;
    struct evkeyvalq query;
    char *body;
    size_t body_len;
    json_t *json;
    int authenticated;
    char token[CONFIG_NAME_MAX];
    enum api_role role;
    char opd[CONFIG_NAME_MAX];
    char official[CONFIG_NAME_MAX];
    void *state;                     /* a handler's own state, freed with the call */
    void (*state_free)(void *state); /* what it holds besides itself (JSON) */
};

/* ---- small helpers ---- */

static const char *method_name(int m)
{
    switch (m) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    default:
        return "OTHER";
    }
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

/* Milliseconds as stored ("1764300000000", "" when unset) -> unix seconds or null. */
static json_t *seconds_of(const char *ms)
{
    if (ms == NULL || ms[0] == '\0')
        return json_null();
    return json_integer(atoll(ms) / 1000);
}

/* A JSON string of any bytes: invalid UTF-8 (which jansson refuses) is
 * repaired rather than dropping the whole answer. */
static json_t *str_json(const char *v)
{
    json_t *s = json_string(v ? v : "");
    if (s)
        return s;
    size_t n = strlen(v) * 3 + 1;
    char *buf = malloc(n);
    if (buf == NULL)
        return json_string("");
    codec_utf8_sanitize(v, strlen(v), buf, n);
    s = json_string(buf);
    free(buf);
    return s ? s : json_string("");
}

/* Text a resident wrote, for staff: NIK and KK numbers masked as in every SMS. */
static json_t *masked_string(const char *text)
{
    size_t n = strlen(text) + 1;
    char *buf = malloc(n);
    if (buf == NULL)
        return json_string("");
    privacy_mask(text, buf, n);
    json_t *s = str_json(buf);
    free(buf);
    return s;
}

static const char *reply_str(const redisReply *r)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? r->str : "";
}

/* A field of a {field, value, ...} array reply, from index start; "" when absent. */
static const char *kv_get(const redisReply *r, size_t start, const char *name)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return "";
    for (size_t i = start; i + 1 < r->elements; i += 2)
        if (strcmp(reply_str(r->element[i]), name) == 0)
            return reply_str(r->element[i + 1]);
    return "";
}

/* The path for a log line: segments re-encoded so the line stays one
 * key=value, phone numbers masked as everywhere in the logs. */
static void log_path(const struct api_call *c, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < c->nseg && o + 1 < len; i++) {
        char masked[32], num[24];
        const char *s = c->seg[i];
        unsigned long long seq;
        if (ticket_parse(s, &seq) != 0 && phone_normalise(s, num, sizeof(num)) == PHONE_MOBILE)
            s = log_phone(num, masked, sizeof(masked));
        out[o++] = '/';
        for (; *s && o + 4 < len; s++) {
            unsigned char ch = (unsigned char)*s;
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                strchr("-._:*", ch))
                out[o++] = (char)ch;
            else
                o += (size_t)snprintf(out + o, len - o, "%%%02X", ch);
        }
        out[o] = '\0';
    }
    if (o == 0)
        snprintf(out, len, "/");
}

/* ---- answering ---- */

/* A Redis stream id ("1764300000000-15"): generated by the server, kept as it
 * is even though its digits would read as a NIK with a digit missing. */
static int stream_id(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n == 13 && s[n] == '-' && s[n + 1] &&
           strspn(s + n + 1, "0123456789") == strlen(s + n + 1);
}

/* Masks NIK and KK numbers in every string of an answer, at any depth: the
 * fields known to hold a resident's words are masked where they are built;
 * this is the last line of defence for the rest (an error message quoting
 * input, a note, an imported value). */
static void mask_strings(json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, item) mask_strings(item);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item) mask_strings(item);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!privacy_has_nik(s) || stream_id(s))
            return;
        size_t n = json_string_length(v) + 1;
        char *buf = malloc(n);
        if (buf == NULL) {
            json_string_set(v, "");
            return;
        }
        privacy_mask(s, buf, n);
        json_string_set(v, buf);
        free(buf);
    }
}

static void call_free(struct api_call *c)
{
    if (c == NULL)
        return;
    evhttp_clear_headers(&c->query);
    json_decref(c->json);
    free(c->body);
    if (c->state && c->state_free)
        c->state_free(c->state);
    free(c->state);
    free(c);
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
    struct api_call *c = arg;
    c->req = NULL;
}

static void send_doc(struct api_call *c, int status, json_t *doc, const char *header,
                     const char *value)
{
    if (c->req == NULL)
        return;
    http_set_closecb(c->req, NULL, NULL);
    if (doc == NULL) {
        /* json_pack failed: a bug or no memory, never an empty success */
        log_error("event=api_bug reason=\"answer could not be built\" status=%d", status);
        status = 500;
    }
    mask_strings(doc);
    char *body = doc ? json_dumps(doc, JSON_COMPACT)
                     : strdup("{\"error\":\"internal error building the answer\"}");
    struct evbuffer *out = evbuffer_new();
    if (body == NULL || out == NULL) {
        evhttp_send_error(c->req, 500, "out of memory");
    } else {
        struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
        evhttp_add_header(h, "Content-Type", "application/json");
        evhttp_add_header(h, "Cache-Control", "no-store");
        if (header)
            evhttp_add_header(h, header, value);
        evbuffer_add(out, body, strlen(body));
        evbuffer_add(out, "\n", 1);
        evhttp_send_reply(c->req, status, reason_phrase(status), out);
    }
    if (out)
        evbuffer_free(out);
    free(body);
    c->req = NULL;
}

static void finish(struct api_call *c, int status, json_t *doc, const char *header,
                   const char *value)
{
    send_doc(c, status, doc, header, value);
    json_decref(doc);
    char path[API_LOG_PATH_MAX];
    if (c->method == EVHTTP_REQ_POST || c->method == EVHTTP_REQ_DELETE || status == 401 ||
        status == 403) {
        log_path(c, path, sizeof(path));
        log_msg(status == 401 || status == 403 ? LOG_WARN : LOG_INFO, 0,
                "event=api token=%s method=%s path=%s status=%d", c->token[0] ? c->token : "-",
                method_name(c->method), path, status);
    }
    call_free(c);
}

void api_reply(struct api_call *c, int status, json_t *doc)
{
    finish(c, status, doc, NULL, NULL);
}

static json_t *error_doc(const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    return json_pack("{s:s}", "error", msg);
}

void api_error(struct api_call *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *doc = error_doc(fmt, ap);
    va_end(ap);
    finish(c, status, doc, NULL, NULL);
}

static void error_with_header(struct api_call *c, int status, const char *header, const char *value,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void error_with_header(struct api_call *c, int status, const char *header, const char *value,
                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *doc = error_doc(fmt, ap);
    va_end(ap);
    finish(c, status, doc, header, value);
}

/* ---- what handlers read ---- */

const char *api_arg(const struct api_call *c, int i)
{
    if (i < 0 || i >= c->nargs)
        return "";
    return c->seg[c->args[i]];
}

const char *api_query(const struct api_call *c, const char *name)
{
    return evhttp_find_header(&c->query, name);
}

int api_page(struct api_call *c, long *offset, long *limit)
{
    const char *o = api_query(c, "offset"), *l = api_query(c, "limit");
    *offset = 0;
    *limit = API_PAGE_DEFAULT;
    if (o && apiparse_long(o, 0, API_OFFSET_MAX, offset) != 0) {
        api_error(c, 400, "offset: a whole number from 0 to %ld", API_OFFSET_MAX);
        return -1;
    }
    if (l && apiparse_long(l, 1, API_PAGE_MAX, limit) != 0) {
        api_error(c, 400, "limit: a whole number from 1 to %d", API_PAGE_MAX);
        return -1;
    }
    return 0;
}

json_t *api_json(struct api_call *c)
{
    if (c->json)
        return c->json;
    if (c->body_len > API_JSON_MAX) {
        api_error(c, 413, "a JSON body is at most %d bytes", API_JSON_MAX);
        return NULL;
    }
    if (c->body_len == 0) {
        api_error(c, 400, "a JSON object is needed in the body");
        return NULL;
    }
    json_error_t err;
    json_t *doc = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
    if (doc == NULL) {
        api_error(c, 400, "malformed JSON: %s (line %d, column %d)", err.text, err.line,
                  err.column);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        api_error(c, 400, "the body must be a JSON object");
        return NULL;
    }
    c->json = doc;
    return doc;
}

const char *api_body(struct api_call *c, size_t *len)
{
    *len = c->body_len;
    return c->body ? c->body : "";
}

const char *api_token_name(const struct api_call *c)
{
    return c->token;
}

enum api_role api_token_role(const struct api_call *c)
{
    return c->role;
}

const char *api_token_opd(const struct api_call *c)
{
    return c->role == API_OFFICIAL ? c->opd : "";
}

struct router *api_router(const struct api_call *c)
{
    return c->api->router;
}

const struct config *api_config(const struct api_call *c)
{
    return c->api->cfg;
}

/* ---- Redis, one command at a time per call ---- */

typedef void (*reply_fn)(struct api_call *c, redisReply *r);

struct pending {
    struct api_call *c;
    reply_fn fn;
};

static void on_redis(redisAsyncContext *ac, void *reply, void *priv)
{
    struct pending *p = priv;
    struct api_call *c = p->c;
    reply_fn fn = p->fn;
    free(p);
    redisReply *r = reply;
    if (r == NULL) {
        api_error(c, 503, "redis connection lost");
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        log_error("event=api_redis_error error=\"%s\"", r->str);
        api_error(c, 503, "redis: %s", r->str);
        return;
    }
    fn(c, r);
}

/* Sends argv; fn gets the reply (never NULL, never an error reply). On
 * failure answers 503 and returns -1. */
static int call_redis(struct api_call *c, reply_fn fn, int argc, const char **argv)
{
    redisAsyncContext *rc = router_redis(c->api->router);
    struct pending *p = malloc(sizeof(*p));
    if (p) {
        p->c = c;
        p->fn = fn;
    }
    if (rc == NULL || p == NULL ||
        redisAsyncCommandArgv(rc, on_redis, p, argc, argv, NULL) != REDIS_OK) {
        free(p);
        api_error(c, 503, "redis not ready");
        return -1;
    }
    return 0;
}

/* ---- authentication ---- */

static int find_token(const struct api *a, const char *token)
{
    unsigned char digest[SHA256_DIGEST_SIZE];
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(token), (const uint8_t *)token);
    sha256_digest(&ctx, sizeof(digest), digest);
    /* Every hash is compared in full, whatever matched before: the time
     * taken says nothing about which token, or how much of one, was right. */
    unsigned found = ~0u;
    for (int i = 0; i < a->ntokens; i++) {
        /* nettle's comparison takes the same time whatever the bytes */
        unsigned mask = 0u - (unsigned)(memeql_sec(digest, a->tokens[i].hash, sizeof(digest)) != 0);
        found = (found & ~mask) | ((unsigned)i & mask);
    }
    return found == ~0u ? -1 : (int)found;
}

/* 0 when the call carries a valid token; else answers 401 and returns -1. */
static int authenticate(struct api_call *c)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(c->req), "Authorization");
    char token[APIPARSE_TOKEN_MAX];
    if (h == NULL) {
        error_with_header(c, 401, "WWW-Authenticate", "Bearer realm=\"kentongan\"",
                          "a token is needed: Authorization: Bearer TOKEN");
        return -1;
    }
    int i = apiparse_bearer(h, token, sizeof(token)) == 0 ? find_token(c->api, token) : -1;
    if (i < 0) {
        error_with_header(c, 401, "WWW-Authenticate",
                          "Bearer realm=\"kentongan\", error=\"invalid_token\"",
                          "the token is not valid");
        return -1;
    }
    const struct token *t = &c->api->tokens[i];
    snprintf(c->token, sizeof(c->token), "%s", t->name);
    c->role = t->role;
    snprintf(c->opd, sizeof(c->opd), "%s", t->opd);
    /* The OPD as data/opd.csv spells its code ("dpupr" in the file is DPUPR). */
    const struct services *svc = router_services(c->api->router);
    int opd = c->opd[0] && svc && svc->opds ? opd_by_code(svc->opds, c->opd) : -1;
    if (opd >= 0)
        snprintf(c->opd, sizeof(c->opd), "%s", opd_code(svc->opds, opd));
    snprintf(c->official, sizeof(c->official), "%s", t->official);
    c->authenticated = 1;
    return 0;
}

/* ---- the route table ---- */

static struct api_call *call_new(struct api *a, struct evhttp_request *req)
{
    struct api_call *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        evhttp_send_error(req, 503, "out of memory");
        return NULL;
    }
    TAILQ_INIT(&c->query);
    c->api = a;
    c->req = req;
    c->method = (int)evhttp_request_get_command(req);
    http_set_closecb(req, on_close, c);
    return c;
}

/* Splits the path and parses the query; answers 400 and returns -1 when
 * either is malformed. */
static int parse_target(struct api_call *c)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(c->req);
    c->nseg = apiparse_split(evhttp_uri_get_path(uri), c->seg, APIPARSE_SEGS_MAX);
    if (c->nseg < 0) {
        c->nseg = 0;
        api_error(c, 400, "malformed path");
        return -1;
    }
    for (int i = 0; i < c->nseg; i++)
        if (!apiparse_utf8(c->seg[i])) {
            api_error(c, 400, "the path is not valid UTF-8 (segment %d, after decoding)", i + 1);
            return -1;
        }
    const char *q = evhttp_uri_get_query(uri);
    if (q && evhttp_parse_query_str(q, &c->query) != 0) {
        api_error(c, 400, "malformed query string");
        return -1;
    }
    /* Every parameter, known to the route or not: handlers and answers
     * trust them to be text (jansson refuses anything else). */
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, &c->query, next)
    {
        if (!apiparse_utf8(kv->key)) {
            api_error(c, 400, "the name of a query parameter is not valid UTF-8");
            return -1;
        }
        if (!apiparse_utf8(kv->value)) {
            api_error(c, 400, "query parameter '%s' is not valid UTF-8 (after decoding)", kv->key);
            return -1;
        }
    }
    return 0;
}

static void take_body(struct api_call *c)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
    size_t len = evbuffer_get_length(in);
    c->body = malloc(len + 1);
    if (c->body == NULL)
        return;
    evbuffer_copyout(in, c->body, len);
    c->body[len] = '\0';
    c->body_len = len;
}

static void api_handle(void *arg, struct evhttp_request *req)
{
    struct api *a = arg;
    struct api_call *c = call_new(a, req);
    if (c == NULL || parse_target(c) != 0 || authenticate(c) != 0)
        return;
    const struct route *found = NULL;
    char allow[64] = "";
    for (int i = 0; i < a->nroutes && found == NULL; i++) {
        const struct route *r = &a->routes[i];
        int args[APIPARSE_SEGS_MAX], nargs = 0;
        if (!apiparse_match(r->pattern, c->seg, c->nseg, args, &nargs))
            continue;
        if (r->method != c->method) {
            const char *m = method_name(r->method);
            if (strstr(allow, m) == NULL) {
                size_t n = strlen(allow);
                snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "", m);
            }
            continue;
        }
        found = r;
        memcpy(c->args, args, sizeof(args));
        c->nargs = nargs;
    }
    if (found == NULL) {
        if (allow[0])
            error_with_header(c, 405, "Allow", allow, "method %s not allowed here (allowed: %s)",
                              method_name(c->method), allow);
        else
            api_error(c, 404, "no such endpoint");
        return;
    }
    if (c->role < found->min_role) {
        api_error(c, 403, "token %s (%s) may not do this", c->token,
                  c->role == API_ADMIN   ? "admin"
                  : c->role == API_STAFF ? "staff"
                                         : "official");
        return;
    }
    take_body(c);
    if (c->body == NULL) {
        api_error(c, 503, "out of memory");
        return;
    }
    found->fn(found->arg, c);
}

int api_route(struct api *a, const char *method, const char *pattern, enum api_role min_role,
              api_handler_fn fn, void *arg)
{
    int m = strcmp(method, "GET") == 0      ? EVHTTP_REQ_GET
            : strcmp(method, "POST") == 0   ? EVHTTP_REQ_POST
            : strcmp(method, "DELETE") == 0 ? EVHTTP_REQ_DELETE
                                            : 0;
    if (a->nroutes == API_ROUTES_MAX || m == 0 || strlen(pattern) >= API_PATTERN_MAX)
        return -1;
    struct route *r = &a->routes[a->nroutes++];
    r->method = m;
    snprintf(r->pattern, sizeof(r->pattern), "%s", pattern);
    r->min_role = min_role;
    r->fn = fn;
    r->arg = arg;
    return 0;
}

/* ---- complaints ---- */

static const struct services *services_of(struct api_call *c)
{
    const struct services *svc = router_services(c->api->router);
    if (svc == NULL)
        api_error(c, 503, "not ready");
    return svc;
}

/* A ticket as JSON from a {field, value, ...} reply starting at start. */
static json_t *complaint_json(const redisReply *r, size_t start)
{
    json_t *o = json_object();
    char ticket[TICKET_MAX];
    unsigned long long seq = strtoull(kv_get(r, start, "seq"), NULL, 10);
    ticket_format(seq, ticket, sizeof(ticket));
    json_object_set_new(o, "ticket", json_string(ticket));
    json_object_set_new(o, "seq", json_integer((json_int_t)seq));
    for (size_t i = start; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const char *k = reply_str(r->element[i]), *v = reply_str(r->element[i + 1]);
        if (strcmp(k, "seq") == 0)
            continue;
        if (strcmp(k, "created") == 0 || strcmp(k, "updated") == 0 || strcmp(k, "deadline") == 0)
            json_object_set_new(o, k, seconds_of(v));
        else if (strcmp(k, "escalation") == 0)
            json_object_set_new(o, k, json_integer(atoi(v)));
        else if (strcmp(k, "text") == 0)
            json_object_set_new(o, k, masked_string(v));
        else
            json_object_set_new(o, k, str_json(v));
    }
    return o;
}

/* Officials see their own OPD's complaints only. */
static int visible(const struct api_call *c, const char *opd)
{
    return c->role != API_OFFICIAL || strcasecmp(opd, c->opd) == 0;
}

struct page {
    long offset, limit;
};

static void list_answer(struct api_call *c, redisReply *r)
{
    struct page *pg = c->state;
    long offset = pg->offset, limit = pg->limit;
    json_t *items = json_array();
    for (size_t i = 1; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        json_array_append_new(items, complaint_json(r->element[i], 0));
    if (reply_at(r, 0, REDIS_REPLY_INTEGER) == NULL) {
        json_decref(items);
        log_error("event=api_redis_error error=\"%s\"", reply_why(r));
        api_error(c, 503, "unexpected reply from redis");
        return;
    }
    json_int_t total = reply_int_at(r, 0, 0);
    api_reply(c, 200,
              json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total", total, "offset",
                        (json_int_t)offset, "limit", (json_int_t)limit));
}

static void complaints_list(void *arg, struct api_call *c)
{
    const struct services *svc = services_of(c);
    struct page *pg = calloc(1, sizeof(*pg));
    c->state = pg;
    if (svc == NULL)
        return;
    if (pg == NULL) {
        api_error(c, 503, "out of memory");
        return;
    }
    if (api_page(c, &pg->offset, &pg->limit) != 0)
        return;
    long offset = pg->offset, limit = pg->limit;
    const char *status = api_query(c, "status"), *opd = api_query(c, "opd");
    enum cstate st;
    if (status && status[0] && cstate_parse(status, &st) != 0) {
        api_error(c, 400,
                  "status '%s': expected DITERIMA, DITERUSKAN, DITINDAKLANJUTI, SELESAI, "
                  "BUKAN_WEWENANG, DITOLAK, DIBUKA_KEMBALI or DITUTUP",
                  status);
        return;
    }
    const char *opd_code_s = "";
    if (opd && opd[0]) {
        int i = opd_by_code(svc->opds, opd);
        if (i < 0) {
            api_error(c, 400, "opd '%s': no such OPD code", opd);
            return;
        }
        opd_code_s = opd_code(svc->opds, i);
    }
    if (c->role == API_OFFICIAL) {
        if (opd_code_s[0] && strcasecmp(opd_code_s, c->opd) != 0) {
            api_error(c, 403, "token %s sees the complaints of %s only", c->token, c->opd);
            return;
        }
        opd_code_s = c->opd;
    }
    char off[24], lim[24];
    snprintf(off, sizeof(off), "%ld", offset);
    snprintf(lim, sizeof(lim), "%ld", limit);
    const char *argv[] = {"FCALL",    "kt_complaints_list",
                          "0",        status && status[0] ? cstate_name(st) : "",
                          opd_code_s, off,
                          lim};
    call_redis(c, list_answer, 7, argv);
}

struct show {
    unsigned long long seq;
    json_t *complaint;
};

static void show_log(struct api_call *c, redisReply *r)
{
    struct show *s = c->state;
    json_t *log = json_array();
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
            continue;
        redisReply *f = e->element[1];
        json_array_append_new(
            log, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                           str_json(reply_str(e->element[0])), "at", seconds_of(kv_get(f, 0, "at")),
                           "actor", str_json(kv_get(f, 0, "actor")), "action",
                           str_json(kv_get(f, 0, "action")), "from", str_json(kv_get(f, 0, "from")),
                           "to", str_json(kv_get(f, 0, "to")), "note",
                           masked_string(kv_get(f, 0, "note"))));
    }
    json_t *doc = s->complaint;
    s->complaint = NULL;
    json_object_set_new(doc, "log", log);
    api_reply(c, 200, doc);
}

static void show_ticket(struct api_call *c, redisReply *r)
{
    struct show *s = c->state;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || !visible(c, kv_get(r, 1, "opd"))) {
        api_error(c, 404, "no such ticket %s", api_arg(c, 0));
        return;
    }
    s->complaint = complaint_json(r, 1);
    char key[64], count[16];
    snprintf(key, sizeof(key), "kt:ticket:%llu:log", s->seq);
    snprintf(count, sizeof(count), "%d", API_LOG_MAX);
    const char *argv[] = {"XRANGE", key, "-", "+", "COUNT", count};
    if (call_redis(c, show_log, 6, argv) != 0)
        return;
}

/* The ticket named by the path; answers 400 and returns -1 when it is not one. */
static int ticket_arg(struct api_call *c, unsigned long long *seq)
{
    if (ticket_parse(api_arg(c, 0), seq) != 0) {
        api_error(c, 400, "'%s' is not a ticket number (digits ending in a check digit)",
                  api_arg(c, 0));
        return -1;
    }
    return 0;
}

static void show_free(void *state)
{
    struct show *s = state;
    json_decref(s->complaint);
}

static void complaints_show(void *arg, struct api_call *c)
{
    struct show *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        api_error(c, 503, "out of memory");
        return;
    }
    c->state = s;
    c->state_free = show_free;
    if (ticket_arg(c, &s->seq) != 0)
        return;
    char key[64];
    snprintf(key, sizeof(key), "kt:ticket:%llu", s->seq);
    const char *argv[] = {"FCALL", "kt_ticket_read", "2", key, "kt:applied:none"};
    call_redis(c, show_ticket, 5, argv);
}

/* The officials' SMS commands, as API actions. */
struct action {
    const char *name;    /* path segment */
    const char *keyword; /* the SMS command it runs */
    const char *field;   /* body field with its text; NULL: none */
};

static const struct action actions[] = {
    {"forward", "ALIHKAN", "opd"}, {"answer", "BALAS", "text"},   {"resolve", "SELESAI", "text"},
    {"accept", "TERIMA", NULL},    {"reject", "TOLAK", "reason"},
};

struct act {
    const struct action *action;
    unsigned long long seq;
    char ticket[TICKET_MAX];
    char id[32];
    char applied[64];
    char key[64];
    char sender[24];
    char via[CONFIG_NAME_MAX + 8];
    char args[TICKET_MAX + API_TEXT_MAX + 8];
    char reply[1024];
};

static void act_result(struct api_call *c, redisReply *r)
{
    struct act *s = c->state;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) {
        api_error(c, 404, "no such ticket %s", s->ticket);
        return;
    }
    int applied = r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer == 1;
    json_t *complaint = complaint_json(r, 1);
    if (!applied) {
        /* The handler refused (the status does not allow it, or the ticket
         * changed meanwhile): its answer says why. */
        api_reply(c, 409,
                  json_pack("{s:s, s:s, s:o}", "error", s->reply[0] ? s->reply : "refused", "reply",
                            s->reply, "complaint", complaint));
        return;
    }
    api_reply(c, 200,
              json_pack("{s:s, s:s, s:s, s:o}", "ticket", s->ticket, "action", s->action->name,
                        "reply", s->reply, "complaint", complaint));
}

static void act_done(void *arg, int ok, const char *first_reply)
{
    struct api_call *c = arg;
    struct act *s = c->state;
    if (!ok) {
        api_error(c, 503, "the command could not be completed (redis); nothing was changed");
        return;
    }
    snprintf(s->reply, sizeof(s->reply), "%s", first_reply);
    const char *argv[] = {"FCALL", "kt_ticket_read", "2", s->key, s->applied};
    call_redis(c, act_result, 5, argv);
}

static void new_id(char *out, size_t len)
{
    unsigned long long r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        static unsigned long long n;
        r = (unsigned long long)clock_wall_ms() * 1000003ULL ^ (unsigned long long)++n;
    }
    snprintf(out, len, "api:%016llx", r);
}

static void act_ticket(struct api_call *c, redisReply *r)
{
    struct act *s = c->state;
    const struct services *svc = services_of(c);
    if (svc == NULL)
        return;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || !visible(c, kv_get(r, 1, "opd"))) {
        api_error(c, 404, "no such ticket %s", s->ticket);
        return;
    }
    /* Who acts: an official's token acts as its official; admin and staff
     * tokens as the coordinator (Diskominfo triage). */
    const struct official *o = NULL;
    if (c->role == API_OFFICIAL) {
        for (int i = 0; i < svc->nofficials && c->official[0]; i++)
            if (strcmp(svc->officials[i].name, c->official) == 0)
                o = &svc->officials[i];
        if (o == NULL) {
            api_error(c, 409, "token %s acts as no official: set official = NAME in [token:%s]",
                      c->token, c->token);
            return;
        }
    } else {
        const struct official *list[1];
        if (services_officials(svc, -1, ROLE_COORDINATOR, list, 1) == 1)
            o = list[0];
        if (o == NULL) {
            api_error(c, 409, "no coordinator official is configured to act in the name of");
            return;
        }
    }
    snprintf(s->sender, sizeof(s->sender), "%s", o->phone);
    struct router_hint hints[] = {{"authenticated", "1"}, {"via", s->via}};
    struct router_submission sub = {"api",   s->id, s->sender, s->action->keyword,
                                    s->args, hints, 2,         1};
    char masked[32];
    log_info("event=api_action token=%s ticket=%s action=%s as=%s id=%s", c->token, s->ticket,
             s->action->keyword, log_phone(s->sender, masked, sizeof(masked)), s->id);
    if (router_submit(c->api->router, &sub, act_done, c) != 0)
        api_error(c, 503, "redis not ready");
}

/* The text of an action from the body: present, a string, not blank, bounded. */
static int action_text(struct api_call *c, const char *field, char *out, size_t len)
{
    json_t *doc = api_json(c);
    if (doc == NULL)
        return -1;
    json_t *v = json_object_get(doc, field);
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (s && strlen(s) <= API_TEXT_MAX) {
        codec_utf8_sanitize(s, strlen(s), out, len); /* valid UTF-8 */
        textsafe_clean(out);                         /* controls and bidi overrides go */
    }
    if (s == NULL || strlen(s) > API_TEXT_MAX || strspn(out, " \t\r\n") == strlen(out)) {
        api_error(c, 400, "%s: required, a text of 1 to %d bytes", field, API_TEXT_MAX);
        return -1;
    }
    return 0;
}

static void complaints_act(void *arg, struct api_call *c)
{
    const struct action *action = arg;
    const struct services *svc = services_of(c);
    if (svc == NULL)
        return;
    struct act *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        api_error(c, 503, "out of memory");
        return;
    }
    c->state = s;
    s->action = action;
    if (ticket_arg(c, &s->seq) != 0)
        return;
    ticket_format(s->seq, s->ticket, sizeof(s->ticket));
    char text[API_TEXT_MAX * 2] = "";
    if (action->field && action_text(c, action->field, text, sizeof(text)) != 0)
        return;
    if (strcmp(action->name, "forward") == 0) {
        int opd = opd_find(svc->opds, text);
        if (opd < 0) {
            api_error(c, 400, "opd '%s': no such OPD", text);
            return;
        }
        snprintf(text, sizeof(text), "%s", opd_code(svc->opds, opd));
    }
    snprintf(s->via, sizeof(s->via), "api:%s", c->token);
    snprintf(s->args, sizeof(s->args), "%s%s%s", s->ticket, text[0] ? " " : "", text);
    new_id(s->id, sizeof(s->id));
    snprintf(s->applied, sizeof(s->applied), "kt:applied:%s", s->id);
    snprintf(s->key, sizeof(s->key), "kt:ticket:%llu", s->seq);
    const char *argv[] = {"FCALL", "kt_ticket_read", "2", s->key, "kt:applied:none"};
    call_redis(c, act_ticket, 5, argv);
}

/* ---- civil-registration status import ---- */

static void collect_problem(void *arg, int line, const char *problem)
{
    /* the problem quotes the file's bytes, which need not be UTF-8 */
    json_array_append_new(arg, json_pack("{s:i, s:o}", "line", line, "problem", str_json(problem)));
}

static void import_done(struct api_call *c, redisReply *r)
{
    if (!reply_is_array(r, 3) || !reply_at(r, 0, REDIS_REPLY_INTEGER) ||
        !reply_at(r, 1, REDIS_REPLY_INTEGER) || !reply_at(r, 2, REDIS_REPLY_INTEGER)) {
        log_error("event=api_redis_error error=\"%s\"", reply_why(r));
        api_error(c, 503, "unexpected reply from redis");
        return;
    }
    log_info("event=status_import token=%s rows=%lld changed=%lld notified=%lld", c->token,
             r->element[0]->integer, r->element[1]->integer, r->element[2]->integer);
    api_reply(c, 200,
              json_pack("{s:I, s:I, s:I}", "imported", (json_int_t)r->element[0]->integer,
                        "changed", (json_int_t)r->element[1]->integer, "notified",
                        (json_int_t)r->element[2]->integer));
}

static void status_import(void *arg, struct api_call *c)
{
    size_t len;
    const char *text = api_body(c, &len);
    if (len == 0) {
        api_error(c, 400, "the body must be the CSV (nomor,jenis,telepon,status,catatan)");
        return;
    }
    json_t *problems = json_array();
    int count = 0;
    struct adminduk_batch *b = adminduk_check(text, len, collect_problem, problems, &count);
    if (b == NULL) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%d problem%s; nothing imported", count, count == 1 ? "" : "s");
        api_reply(c, 400,
                  json_pack("{s:s, s:i, s:o}", "error", msg, "count", count, "problems", problems));
        return;
    }
    json_decref(problems);
    const char **argv;
    int argc = adminduk_command(b, clock_now(), &argv);
    /* hiredis copies the command before returning: the batch may go. */
    if (argc < 0)
        api_error(c, 503, "out of memory");
    else
        call_redis(c, import_done, argc, argv);
    adminduk_free(b);
}

/* ---- subscribers ---- */

/* The kecamatan's code: the first three parts of its desa codes
 * (33.25.01.2001 -> 33.25.01), as subscriptions name it. */
static int kecamatan_code(const struct region_db *db, int kec, char *out, size_t len)
{
    for (int i = 0; i < region_desa_count(db); i++) {
        if (region_desa_kecamatan(db, i) != kec)
            continue;
        const char *code = region_desa_code(db, i);
        const char *dot = strrchr(code, '.');
        if (dot == NULL)
            return -1;
        snprintf(out, len, "%.*s", (int)(dot - code), code);
        return 0;
    }
    return -1;
}

struct area {
    char key[64];  /* as stored: desa:CODE or kec:CODE */
    char api[80];  /* as the API shows it: desa:CODE or kecamatan:CODE */
    char name[80]; /* "Kalisalak (Batang)", "Kec. Blado" */
};

/* "desa:CODE", "kecamatan:CODE" or "kecamatan:NAME" (also "kec:"). 0 or -1. */
static int parse_area(const struct services *svc, const char *in, struct area *out)
{
    const struct region_db *db = svc->regions;
    if (strncmp(in, "desa:", 5) == 0) {
        int d = region_desa_by_code(db, in + 5);
        if (d < 0)
            return -1;
        snprintf(out->key, sizeof(out->key), "desa:%s", region_desa_code(db, d));
        snprintf(out->name, sizeof(out->name), "%s (%s)", region_desa_name(db, d),
                 region_kecamatan_name(db, region_desa_kecamatan(db, d)));
    } else {
        const char *v = strncmp(in, "kecamatan:", 10) == 0 ? in + 10
                        : strncmp(in, "kec:", 4) == 0      ? in + 4
                                                           : NULL;
        if (v == NULL || *v == '\0')
            return -1;
        for (int k = 0; k < region_kecamatan_count(db); k++) {
            char code[32];
            if (kecamatan_code(db, k, code, sizeof(code)) != 0)
                continue;
            if (strcmp(code, v) == 0 || strcasecmp(region_kecamatan_name(db, k), v) == 0) {
                snprintf(out->key, sizeof(out->key), "kec:%s", code);
                snprintf(out->name, sizeof(out->name), "Kec. %s", region_kecamatan_name(db, k));
                break;
            }
        }
        if (out->key[0] == '\0')
            return -1;
    }
    if (strncmp(out->key, "kec:", 4) == 0)
        snprintf(out->api, sizeof(out->api), "kecamatan:%s", out->key + 4);
    else
        snprintf(out->api, sizeof(out->api), "%s", out->key);
    return 0;
}

/* A stored area key as the API shows it. */
static json_t *area_json(const struct services *svc, const char *key)
{
    struct area a = {0};
    char in[96];
    snprintf(in, sizeof(in), "%s", key);
    if (parse_area(svc, in, &a) == 0)
        return json_pack("{s:s, s:s}", "area", a.api, "name", a.name);
    return json_pack("{s:o, s:s}", "area", str_json(key), "name", "");
}

struct subs {
    struct area area;
    char number[24];
    char key[96];
    long offset, limit;
    json_t *items;
    json_t *areas;
    json_t *optout;
};

static void subs_free(void *state)
{
    struct subs *s = state;
    json_decref(s->items);
    json_decref(s->areas);
    json_decref(s->optout);
}

static int area_arg(struct api_call *c, const char *value, struct area *out)
{
    const struct services *svc = services_of(c);
    if (svc == NULL)
        return -1;
    if (value == NULL || value[0] == '\0') {
        api_error(c, 400, "area: required (desa:CODE or kecamatan:CODE)");
        return -1;
    }
    if (parse_area(svc, value, out) != 0) {
        api_error(c, 400, "area '%s': no such desa or kecamatan (desa:CODE or kecamatan:CODE)",
                  value);
        return -1;
    }
    return 0;
}

static int number_arg(struct api_call *c, const char *value, char *out, size_t len)
{
    if (value == NULL || phone_normalise(value, out, len) != PHONE_MOBILE) {
        api_error(c, 400, "number '%s': not an Indonesian mobile number", value ? value : "");
        return -1;
    }
    return 0;
}

static struct subs *subs_state(struct api_call *c)
{
    struct subs *s = calloc(1, sizeof(*s));
    if (s == NULL)
        api_error(c, 503, "out of memory");
    c->state = s;
    c->state_free = subs_free;
    return s;
}

static void subs_count(struct api_call *c, redisReply *r)
{
    struct subs *s = c->state;
    if (r->type != REDIS_REPLY_INTEGER) {
        log_error("event=api_redis_error error=\"%s\"", reply_why(r));
        api_error(c, 503, "unexpected reply from redis");
        return;
    }
    json_t *items = s->items;
    s->items = NULL;
    api_reply(c, 200,
              json_pack("{s:s, s:s, s:o, s:I, s:I, s:I}", "area", s->area.api, "name", s->area.name,
                        "items", items, "total", (json_int_t)r->integer, "offset",
                        (json_int_t)s->offset, "limit", (json_int_t)s->limit));
}

static void subs_page(struct api_call *c, redisReply *r)
{
    struct subs *s = c->state;
    s->items = json_array();
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        json_array_append_new(s->items,
                              json_pack("{s:o}", "number", str_json(reply_str(r->element[i]))));
    const char *argv[] = {"SCARD", s->key};
    call_redis(c, subs_count, 2, argv);
}

static void subscribers_list(void *arg, struct api_call *c)
{
    struct subs *s = subs_state(c);
    if (s == NULL || api_page(c, &s->offset, &s->limit) != 0 ||
        area_arg(c, api_query(c, "area"), &s->area) != 0)
        return;
    snprintf(s->key, sizeof(s->key), "kt:subs:%s", s->area.key);
    char off[24], lim[24];
    snprintf(off, sizeof(off), "%ld", s->offset);
    snprintf(lim, sizeof(lim), "%ld", s->limit);
    const char *argv[] = {"SORT", s->key, "ALPHA", "LIMIT", off, lim};
    call_redis(c, subs_page, 6, argv);
}

static void subscriber_consent(struct api_call *c, redisReply *r)
{
    struct subs *s = c->state;
    json_t *consent = json_array();
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
            continue;
        redisReply *f = e->element[1];
        json_array_append_new(consent, json_pack("{s:o, s:b, s:o, s:o, s:o}", "at",
                                                 seconds_of(kv_get(f, 0, "at")), "consent",
                                                 strcmp(kv_get(f, 0, "consent"), "yes") == 0,
                                                 "area", str_json(kv_get(f, 0, "area")), "channel",
                                                 str_json(kv_get(f, 0, "channel")), "message",
                                                 str_json(kv_get(f, 0, "message"))));
    }
    if (json_array_size(s->areas) == 0 && json_is_null(s->optout) &&
        json_array_size(consent) == 0) {
        json_decref(consent);
        api_error(c, 404, "no subscriptions or consent records for this number");
        return;
    }
    json_t *areas = s->areas, *optout = s->optout;
    s->areas = s->optout = NULL;
    api_reply(c, 200,
              json_pack("{s:s, s:o, s:o, s:o}", "number", s->number, "areas", areas, "opted_out",
                        optout, "consent", consent));
}

static void subscriber_optout(struct api_call *c, redisReply *r)
{
    struct subs *s = c->state;
    s->optout = r->type == REDIS_REPLY_STRING ? seconds_of(r->str) : json_null();
    char key[64], count[16];
    snprintf(key, sizeof(key), "kt:consent:%s", s->number);
    snprintf(count, sizeof(count), "%d", API_CONSENT_MAX);
    const char *argv[] = {"XREVRANGE", key, "+", "-", "COUNT", count};
    call_redis(c, subscriber_consent, 6, argv);
}

static void subscriber_areas(struct api_call *c, redisReply *r)
{
    struct subs *s = c->state;
    const struct services *svc = services_of(c);
    if (svc == NULL)
        return;
    s->areas = json_array();
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        json_array_append_new(s->areas, area_json(svc, reply_str(r->element[i])));
    char key[64];
    snprintf(key, sizeof(key), "kt:optout:%s", s->number);
    const char *argv[] = {"GET", key};
    call_redis(c, subscriber_optout, 2, argv);
}

static void subscribers_show(void *arg, struct api_call *c)
{
    struct subs *s = subs_state(c);
    if (s == NULL || number_arg(c, api_arg(c, 0), s->number, sizeof(s->number)) != 0)
        return;
    char key[64];
    snprintf(key, sizeof(key), "kt:sub:%s", s->number);
    const char *argv[] = {"SMEMBERS", key};
    call_redis(c, subscriber_areas, 2, argv);
}

static void subscribed(struct api_call *c, redisReply *r)
{
    struct subs *s = c->state;
    if (r->type != REDIS_REPLY_INTEGER) {
        log_error("event=api_redis_error error=\"%s\"", reply_why(r));
        api_error(c, 503, "unexpected reply from redis");
        return;
    }
    int created = r->integer == 1;
    char masked[32];
    log_info("event=api_subscribe token=%s number=%s area=%s new=%d", c->token,
             log_phone(s->number, masked, sizeof(masked)), s->area.key, created);
    api_reply(c, created ? 201 : 200,
              json_pack("{s:s, s:s, s:s, s:b}", "number", s->number, "area", s->area.api, "name",
                        s->area.name, "new", created));
}

static void subscribers_add(void *arg, struct api_call *c)
{
    struct subs *s = subs_state(c);
    json_t *doc;
    if (s == NULL || (doc = api_json(c)) == NULL)
        return;
    json_t *n = json_object_get(doc, "number"), *a = json_object_get(doc, "area");
    if (!json_is_string(n) || !json_is_string(a)) {
        api_error(c, 400, "number and area are required strings");
        return;
    }
    if (number_arg(c, json_string_value(n), s->number, sizeof(s->number)) != 0 ||
        area_arg(c, json_string_value(a), &s->area) != 0)
        return;
    char now[24], sub[64], subs[96], consent[64], via[CONFIG_NAME_MAX + 8];
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    snprintf(sub, sizeof(sub), "kt:sub:%s", s->number);
    snprintf(subs, sizeof(subs), "kt:subs:%s", s->area.key);
    snprintf(consent, sizeof(consent), "kt:consent:%s", s->number);
    snprintf(via, sizeof(via), "api:%s", c->token);
    const char *argv[] = {"FCALL",   "kt_subscribe", "3", sub,   subs, consent,
                          s->number, s->area.key,    now, "api", via};
    call_redis(c, subscribed, 11, argv);
}

static void unsubscribed_area(struct api_call *c, redisReply *r)
{
    struct subs *s = c->state;
    if (r->type != REDIS_REPLY_INTEGER || r->integer == 0) {
        api_error(c, 404, "%s is not subscribed to %s", s->number, s->area.api);
        return;
    }
    api_reply(c, 200,
              json_pack("{s:s, s:s, s:i}", "number", s->number, "area", s->area.api, "removed", 1));
}

static void unsubscribed_all(struct api_call *c, redisReply *r)
{
    struct subs *s = c->state;
    if (r->type != REDIS_REPLY_INTEGER) {
        log_error("event=api_redis_error error=\"%s\"", reply_why(r));
        api_error(c, 503, "unexpected reply from redis");
        return;
    }
    char masked[32];
    log_info("event=api_optout token=%s number=%s areas=%lld", c->token,
             log_phone(s->number, masked, sizeof(masked)), r->integer);
    api_reply(c, 200,
              json_pack("{s:s, s:I, s:b}", "number", s->number, "removed", (json_int_t)r->integer,
                        "opted_out", 1));
}

static void subscribers_remove(void *arg, struct api_call *c)
{
    struct subs *s = subs_state(c);
    if (s == NULL || number_arg(c, api_arg(c, 0), s->number, sizeof(s->number)) != 0)
        return;
    const char *area = api_query(c, "area");
    if (area && area_arg(c, area, &s->area) != 0)
        return;
    char now[24], sub[64], subs[96], consent[64], optout[64], via[CONFIG_NAME_MAX + 8];
    snprintf(now, sizeof(now), "%lld", clock_wall_ms());
    snprintf(sub, sizeof(sub), "kt:sub:%s", s->number);
    snprintf(consent, sizeof(consent), "kt:consent:%s", s->number);
    snprintf(via, sizeof(via), "api:%s", c->token);
    if (area) {
        snprintf(subs, sizeof(subs), "kt:subs:%s", s->area.key);
        const char *argv[] = {"FCALL",   "kt_unsubscribe_area", "3", sub,   subs, consent,
                              s->number, s->area.key,           now, "api", via};
        call_redis(c, unsubscribed_area, 11, argv);
        return;
    }
    /* No area: everything, recorded as an opt-out (as BERHENTI). */
    snprintf(optout, sizeof(optout), "kt:optout:%s", s->number);
    const char *argv[] = {"FCALL", "kt_unsubscribe", "3", sub,   consent,
                          optout,  s->number,        now, "api", via};
    call_redis(c, unsubscribed_all, 10, argv);
}

/* ---- modems and metrics: one snapshot of Redis ---- */

/* Today in WIB by the wall clock: the day the workers count per-day caps in. */
static void wib_day(char *buf, size_t len)
{
    clock_wib_format(clock_wall_ms() / 1000, "%Y%m%d", buf, len);
}

/* FCALL kt_snapshot for every configured modem; 0, or -1 (nothing sent). */
static int send_snapshot(struct api_call *c, reply_fn fn)
{
    const struct config *cfg = c->api->cfg;
    redisAsyncContext *rc = router_redis(c->api->router);
    const char *argv[5 + CONFIG_MAX_MODEMS];
    char day[16];
    wib_day(day, sizeof(day));
    int argc = 0;
    argv[argc++] = "FCALL";
    argv[argc++] = "kt_snapshot";
    argv[argc++] = "0";
    argv[argc++] = STORE_OUT_GROUP;
    argv[argc++] = day;
    for (int i = 0; i < cfg->nmodems; i++)
        argv[argc++] = cfg->modems[i].name;
    struct pending *p = malloc(sizeof(*p));
    if (p) {
        p->c = c;
        p->fn = fn;
    }
    if (rc == NULL || p == NULL ||
        redisAsyncCommandArgv(rc, on_redis, p, argc, argv, NULL) != REDIS_OK) {
        free(p);
        return -1;
    }
    return 0;
}

static const redisReply *snap_part(const redisReply *r, size_t i)
{
    static const redisReply empty = {.type = REDIS_REPLY_ARRAY};
    if (r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
        r->element[i]->type != REDIS_REPLY_ARRAY)
        return &empty;
    return r->element[i];
}

static long long snap_int(const redisReply *r, size_t i)
{
    if (r->type != REDIS_REPLY_ARRAY || i >= r->elements)
        return 0;
    const redisReply *e = r->element[i];
    if (e->type == REDIS_REPLY_INTEGER)
        return e->integer;
    return e->type == REDIS_REPLY_STRING ? atoll(e->str) : 0;
}

static json_t *lane_json(const redisReply *lane)
{
    return json_pack("{s:I, s:I}", "waiting", (json_int_t)snap_int(lane, 0), "pending",
                     (json_int_t)snap_int(lane, 1));
}

static int modem_up(const redisReply *status)
{
    long long alive = atoll(kv_get(status, 0, "alive"));
    return strcmp(kv_get(status, 0, "state"), "up") == 0 && alive > 0 &&
           clock_wall_ms() - alive < MODEM_ALIVE_MS;
}

/* A numeric field as a number, null when absent or not a number. */
static json_t *number_or_null(const char *v)
{
    char *end;
    if (v[0] == '\0')
        return json_null();
    double d = strtod(v, &end);
    if (*end != '\0')
        return str_json(v);
    if (d == (double)(long long)d)
        return json_integer((json_int_t)d);
    return json_real(d);
}

/* ---- modem health (modems/worker.c, "health" and "recovery") ---- */

/* Every condition /metrics reports for a modem, 1 or 0: the states the
 * worker records (up, connecting, down, stopped, and the out-of-service
 * conditions no_network, sim_pin, sim_puk, no_sim) plus sim_full, which a
 * modem that is up may also be in. */
static const char *const modem_conditions[] = {
    "up",      "connecting", "down",   "stopped",  "no_network",
    "sim_pin", "sim_puk",    "no_sim", "sim_full", NULL,
};
static const char *const recovery_steps[] = {"reconnect", "reset", "usb_reset", NULL};

static void modem_health_json(json_t *o, const redisReply *st)
{
    const char *sim = kv_get(st, 0, "sim"), *reg = kv_get(st, 0, "registration");
    const char *full = kv_get(st, 0, "sim_full"), *last = kv_get(st, 0, "last_recovery");
    json_object_set_new(o, "sim", sim[0] ? str_json(sim) : json_null());
    json_object_set_new(o, "registration", reg[0] ? str_json(reg) : json_null());
    json_object_set_new(o, "sim_full", full[0] ? json_boolean(atoi(full)) : json_null());
    json_object_set_new(o, "failures", json_integer(atoll(kv_get(st, 0, "fails"))));
    json_object_set_new(o, "last_recovery", last[0] ? str_json(last) : json_null());
    json_t *rec = json_object();
    for (const char *const *step = recovery_steps; *step; step++) {
        char field[32];
        snprintf(field, sizeof(field), "recover_%s", *step);
        json_object_set_new(rec, *step, json_integer(atoll(kv_get(st, 0, field))));
    }
    json_object_set_new(o, "recovery", rec);
}

static void modems_answer(struct api_call *c, redisReply *r)
{
    const struct config *cfg = c->api->cfg;
    json_t *modems = json_array();
    for (int i = 0; i < cfg->nmodems; i++) {
        const struct modem_config *m = &cfg->modems[i];
        const redisReply *mod = snap_part(r, 3 + (size_t)i);
        const redisReply *st = snap_part(mod, 0);
        json_t *o = json_pack(
            "{s:s, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:i, s:i, s:o, s:o, s:o}",
            "name", m->name, "state",
            str_json(kv_get(st, 0, "state")[0] ? kv_get(st, 0, "state") : "unknown"), "up",
            modem_up(st), "since", seconds_of(kv_get(st, 0, "state_since")), "alive",
            seconds_of(kv_get(st, 0, "alive")), "signal", number_or_null(kv_get(st, 0, "signal")),
            "network",
            kv_get(st, 0, "network")[0] ? str_json(kv_get(st, 0, "network")) : json_null(),
            "registered",
            kv_get(st, 0, "registered")[0] ? json_boolean(atoi(kv_get(st, 0, "registered")))
                                           : json_null(),
            "sim_used", number_or_null(kv_get(st, 0, "sim_used")), "sim_size",
            number_or_null(kv_get(st, 0, "sim_size")), "sent_today", (json_int_t)snap_int(mod, 2),
            "per_day", m->per_day, "per_minute", m->per_minute, "credit",
            number_or_null(kv_get(st, 0, "credit")), "last_error",
            str_json(kv_get(st, 0, "last_error")), "queue", lane_json(snap_part(mod, 1)));
        /* The credit check (modems/credit.h): when it read the credit, why the
         * last answer gave none, and whether the credit is below balance_low. */
        const char *credit = kv_get(st, 0, "credit"), *error = kv_get(st, 0, "credit_error");
        int checked = m->balance_code[0] != '\0';
        json_object_set_new(o, "credit_at", seconds_of(kv_get(st, 0, "credit_at")));
        json_object_set_new(o, "credit_error", error[0] ? str_json(error) : json_null());
        json_object_set_new(o, "balance_low", checked ? json_integer(m->balance_low) : json_null());
        json_object_set_new(o, "credit_low",
                            checked && credit[0] ? json_boolean(atoll(credit) < m->balance_low)
                                                 : json_null());
        modem_health_json(o, st);
        json_array_append_new(modems, o);
    }
    const redisReply *lanes = snap_part(r, 2);
    json_t *shared =
        json_pack("{s:o, s:o, s:o}", "any", lane_json(snap_part(lanes, 0)), "emergency",
                  lane_json(snap_part(lanes, 1)), "bulk", lane_json(snap_part(lanes, 2)));
    api_reply(c, 200, json_pack("{s:o, s:o}", "modems", modems, "lanes", shared));
}

static void modems_list(void *arg, struct api_call *c)
{
    if (send_snapshot(c, modems_answer) != 0)
        api_error(c, 503, "redis not ready");
}

/* The value of field in a {field, value, ...} reply as a number; 0 when absent. */
static double kv_num(const redisReply *r, const char *field)
{
    return atof(kv_get(r, 0, field));
}

/* Counters kt:stats keeps per modem ("in:NAME"): every configured modem, 0
 * when it has none yet, then modems that are no longer configured. */
static void per_modem(struct evbuffer *out, const struct config *cfg, const redisReply *stats,
                      const char *prefix, const char *metric)
{
    char labels[METRICS_LABELS_MAX], field[96];
    size_t plen = strlen(prefix);
    for (int i = 0; i < cfg->nmodems; i++) {
        snprintf(field, sizeof(field), "%s%s", prefix, cfg->modems[i].name);
        metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
        metrics_value(out, metric, labels, kv_num(stats, field));
    }
    for (size_t i = 0; i + 1 < stats->elements; i += 2) {
        const char *f = reply_str(stats->element[i]);
        if (strncmp(f, prefix, plen) != 0 || config_modem(cfg, f + plen) != NULL)
            continue;
        metrics_labels(labels, sizeof(labels), 1, "modem", f + plen);
        metrics_value(out, metric, labels, atof(reply_str(stats->element[i + 1])));
    }
}

/* Counters kt_auth keeps per official ("pinfail:NAME", "lockout:NAME"):
 * every official with a PIN, 0 when none yet, then names no longer configured. */
static void per_official(struct evbuffer *out, const struct config *cfg, const redisReply *stats,
                         const char *prefix, const char *metric)
{
    char labels[METRICS_LABELS_MAX], field[96];
    size_t plen = strlen(prefix);
    for (int i = 0; i < cfg->nofficials; i++) {
        if (cfg->officials[i].pin_digest[0] == '\0')
            continue;
        snprintf(field, sizeof(field), "%s%s", prefix, cfg->officials[i].name);
        metrics_labels(labels, sizeof(labels), 1, "official", cfg->officials[i].name);
        metrics_value(out, metric, labels, kv_num(stats, field));
    }
    for (size_t i = 0; i + 1 < stats->elements; i += 2) {
        const char *f = reply_str(stats->element[i]);
        int known = 0;
        if (strncmp(f, prefix, plen) != 0)
            continue;
        for (int k = 0; k < cfg->nofficials && !known; k++)
            known =
                cfg->officials[k].pin_digest[0] && strcmp(cfg->officials[k].name, f + plen) == 0;
        if (known)
            continue;
        metrics_labels(labels, sizeof(labels), 1, "official", f + plen);
        metrics_value(out, metric, labels, atof(reply_str(stats->element[i + 1])));
    }
}

static const char *const outcomes[] = {"sent", "failed", "expired", NULL};

/* The listener's limits at work (http.h). */
static void write_http_metrics(struct evbuffer *out)
{
    struct http_stats hs;
    char labels[METRICS_LABELS_MAX];
    http_stats(&hs);
    metrics_head(out, "kentongan_http_connections", "gauge",
                 "HTTP connections open on this gateway process's listener.");
    metrics_value(out, "kentongan_http_connections", "", hs.open);
    metrics_head(out, "kentongan_http_connections_max", "gauge",
                 "The cap on open HTTP connections in force (http_max_connections, or less "
                 "when the descriptor limit is lower).");
    metrics_value(out, "kentongan_http_connections_max", "", hs.max);
    metrics_head(out, "kentongan_http_accepting", "gauge",
                 "1 while the listener accepts connections, 0 while paused.");
    metrics_value(out, "kentongan_http_accepting", "", hs.accepting);
    metrics_head(out, "kentongan_http_connections_total", "counter", "HTTP connections accepted.");
    metrics_value(out, "kentongan_http_connections_total", "", (double)hs.accepted);
    metrics_head(out, "kentongan_http_paused_total", "counter",
                 "Times accepting paused: at the connection cap, or out of descriptors.");
    metrics_labels(labels, sizeof(labels), 1, "reason", "connections");
    metrics_value(out, "kentongan_http_paused_total", labels, (double)hs.paused_connections);
    metrics_labels(labels, sizeof(labels), 1, "reason", "descriptors");
    metrics_value(out, "kentongan_http_paused_total", labels, (double)hs.paused_descriptors);
    metrics_head(out, "kentongan_http_refused_total", "counter",
                 "Connections closed at once: too many from one address (http_max_per_address).");
    metrics_labels(labels, sizeof(labels), 1, "reason", "per_address");
    metrics_value(out, "kentongan_http_refused_total", labels, (double)hs.refused_per_address);
    metrics_head(out, "kentongan_http_request_timeouts_total", "counter",
                 "Connections closed because a request was not whole within "
                 "http_request_timeout.");
    metrics_value(out, "kentongan_http_request_timeouts_total", "", (double)hs.request_timeouts);
}

/* Inbound SMS the workers kept aside (kt_quarantine counts "quarantine:MODEM|KIND|REASON"):
 * only the combinations that happened, each once. */
static void quarantined(struct evbuffer *out, const redisReply *stats)
{
    static const char prefix[] = "quarantine:";
    char labels[METRICS_LABELS_MAX];
    metrics_head(
        out, "kentongan_sms_quarantined_total", "counter",
        "Inbound SMS kept aside on kt:quarantine instead of answered, by modem, kind "
        "(malformed, or a special kind: flash, wap_push, mms, voicemail, ...) and reason.");
    for (size_t i = 0; i + 1 < stats->elements; i += 2) {
        const char *f = reply_str(stats->element[i]);
        if (strncmp(f, prefix, sizeof(prefix) - 1) != 0)
            continue;
        char modem[96], kind[32], reason[32];
        if (sscanf(f + sizeof(prefix) - 1, "%95[^|]|%31[^|]|%31s", modem, kind, reason) != 3)
            continue;
        metrics_labels(labels, sizeof(labels), 3, "modem", modem, "kind", kind, "reason", reason);
        metrics_value(out, "kentongan_sms_quarantined_total", labels,
                      atof(reply_str(stats->element[i + 1])));
    }
}

static void write_metrics(struct api_call *c, const redisReply *r)
{
    const struct config *cfg = c->api->cfg;
    struct evbuffer *out = evbuffer_new();
    char labels[METRICS_LABELS_MAX];
    struct router_stats rs;
    router_get_stats(c->api->router, &rs);
    static const redisReply none = {.type = REDIS_REPLY_ARRAY};
    if (r == NULL)
        r = &none;
    const redisReply *stats = snap_part(r, 0), *complaints = snap_part(r, 1);
    const redisReply *lanes = snap_part(r, 2);

    metrics_head(out, "kentongan_redis_connected", "gauge",
                 "1 when this gateway's Redis connections are up and ready.");
    metrics_value(out, "kentongan_redis_connected", "", rs.connected);
    metrics_head(out, "kentongan_router_messages_total", "counter",
                 "Inbound messages and events this gateway process has handled, by stage.");
    const char *stages[] = {"received", "committed", "silenced", "limited", "shed"};
    unsigned long long values[] = {rs.received, rs.committed, rs.silenced, rs.limited, rs.shed};
    for (int i = 0; i < 5; i++) {
        metrics_labels(labels, sizeof(labels), 1, "stage", stages[i]);
        metrics_value(out, "kentongan_router_messages_total", labels, (double)values[i]);
    }
    metrics_head(out, "kentongan_router_replies_total", "counter",
                 "Replies and notices this gateway process has queued.");
    metrics_value(out, "kentongan_router_replies_total", "", (double)rs.replies);
    metrics_head(out, "kentongan_reply_budget_per_minute", "gauge",
                 "Messages from the public answered per minute, all numbers together; above it "
                 "they are shed (stage=\"shed\").");
    metrics_value(out, "kentongan_reply_budget_per_minute", "", config_reply_budget(cfg));
    metrics_head(out, "kentongan_ussd_refused_total", "counter",
                 "Callers of POST /ussd this gateway process refused (403), by reason: source "
                 "(not in ussd_allow) or secret (missing or wrong).");
    for (int i = 0; i < METRICS_REFUSED_N; i++) {
        metrics_labels(labels, sizeof(labels), 1, "reason",
                       metrics_refusal_name((enum metrics_refusal)i));
        metrics_value(out, "kentongan_ussd_refused_total", labels,
                      (double)metrics_ussd_refused_total((enum metrics_refusal)i));
    }
    write_http_metrics(out);

    if (r != &none) {
        metrics_head(out, "kentongan_messages_in_total", "counter",
                     "Whole inbound SMS stored, by modem (all gateways).");
        per_modem(out, cfg, stats, "in:", "kentongan_messages_in_total");
        metrics_head(out, "kentongan_messages_duplicate_total", "counter",
                     "Inbound SMS read again and recognised as already stored, by modem.");
        per_modem(out, cfg, stats, "dup:", "kentongan_messages_duplicate_total");
        metrics_head(out, "kentongan_messages_out_total", "counter",
                     "Outbound messages finished, by modem and outcome (sent, failed, expired).");
        for (int i = 0; i < cfg->nmodems; i++)
            for (const char *const *o = outcomes; *o; o++) {
                char field[96];
                snprintf(field, sizeof(field), "out:%s:%s", cfg->modems[i].name, *o);
                metrics_labels(labels, sizeof(labels), 2, "modem", cfg->modems[i].name, "outcome",
                               *o);
                metrics_value(out, "kentongan_messages_out_total", labels, kv_num(stats, field));
            }
        metrics_head(out, "kentongan_sms_parts_sent_total", "counter",
                     "SMS parts handed to the network, by modem.");
        per_modem(out, cfg, stats, "parts:", "kentongan_sms_parts_sent_total");
        quarantined(out, stats);

        metrics_head(out, "kentongan_queue_messages", "gauge",
                     "Outbound messages by lane: waiting (not yet taken by a worker) and pending "
                     "(taken, not yet finished).");
        const char *shared[] = {"any", "emergency", "bulk"};
        for (int i = 0; i < 3; i++) {
            const redisReply *lane = snap_part(lanes, (size_t)i);
            metrics_labels(labels, sizeof(labels), 2, "lane", shared[i], "state", "waiting");
            metrics_value(out, "kentongan_queue_messages", labels, (double)snap_int(lane, 0));
            metrics_labels(labels, sizeof(labels), 2, "lane", shared[i], "state", "pending");
            metrics_value(out, "kentongan_queue_messages", labels, (double)snap_int(lane, 1));
        }
        for (int i = 0; i < cfg->nmodems; i++) {
            const redisReply *lane = snap_part(snap_part(r, 3 + (size_t)i), 1);
            char name[64];
            snprintf(name, sizeof(name), "modem:%s", cfg->modems[i].name);
            metrics_labels(labels, sizeof(labels), 2, "lane", name, "state", "waiting");
            metrics_value(out, "kentongan_queue_messages", labels, (double)snap_int(lane, 0));
            metrics_labels(labels, sizeof(labels), 2, "lane", name, "state", "pending");
            metrics_value(out, "kentongan_queue_messages", labels, (double)snap_int(lane, 1));
        }

        metrics_head(out, "kentongan_send_duration_seconds", "histogram",
                     "One SMS part handed to the modem until the network's answer, by modem.");
        for (int i = 0; i < cfg->nmodems; i++) {
            const redisReply *h = snap_part(snap_part(r, 3 + (size_t)i), 3);
            const char *kv[64];
            int n = 0;
            for (size_t k = 0; k < h->elements && n < 64; k++)
                kv[n++] = reply_str(h->element[k]);
            struct metrics_hist hist;
            metrics_send_from_fields(&hist, kv, n);
            metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
            metrics_write_hist(out, "kentongan_send_duration_seconds", labels, &hist);
        }

        metrics_head(out, "kentongan_modem_up", "gauge",
                     "1 when the modem's worker is connected to it and alive.");
        for (int i = 0; i < cfg->nmodems; i++) {
            metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
            metrics_value(out, "kentongan_modem_up", labels,
                          modem_up(snap_part(snap_part(r, 3 + (size_t)i), 0)));
        }
        metrics_head(out, "kentongan_modem_condition", "gauge",
                     "1 for the condition the modem is in (its state: up, connecting, down, "
                     "stopped, no_network, sim_pin, sim_puk, no_sim; and sim_full), else 0.");
        for (int i = 0; i < cfg->nmodems; i++) {
            const redisReply *st = snap_part(snap_part(r, 3 + (size_t)i), 0);
            const char *state = kv_get(st, 0, "state");
            for (const char *const *cond = modem_conditions; *cond; cond++) {
                int on = strcmp(*cond, "sim_full") == 0 ? atoi(kv_get(st, 0, "sim_full")) != 0
                                                        : strcmp(state, *cond) == 0;
                metrics_labels(labels, sizeof(labels), 2, "modem", cfg->modems[i].name, "condition",
                               *cond);
                metrics_value(out, "kentongan_modem_condition", labels, on);
            }
        }
        metrics_head(out, "kentongan_modem_failures", "gauge",
                     "Consecutive failures of the modem (connect failed, no answer to a send, "
                     "connection lost); 0 once it works.");
        for (int i = 0; i < cfg->nmodems; i++) {
            const redisReply *st = snap_part(snap_part(r, 3 + (size_t)i), 0);
            metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
            metrics_value(out, "kentongan_modem_failures", labels, kv_num(st, "fails"));
        }
        metrics_head(out, "kentongan_modem_recovery_total", "counter",
                     "Steps of the recovery ladder taken, by modem and step (reconnect, reset, "
                     "usb_reset).");
        for (int i = 0; i < cfg->nmodems; i++) {
            const redisReply *st = snap_part(snap_part(r, 3 + (size_t)i), 0);
            for (const char *const *step = recovery_steps; *step; step++) {
                char field[32];
                snprintf(field, sizeof(field), "recover_%s", *step);
                metrics_labels(labels, sizeof(labels), 2, "modem", cfg->modems[i].name, "step",
                               *step);
                metrics_value(out, "kentongan_modem_recovery_total", labels, kv_num(st, field));
            }
        }
        metrics_head(out, "kentongan_modem_signal_percent", "gauge",
                     "Signal quality the modem last reported.");
        for (int i = 0; i < cfg->nmodems; i++) {
            const redisReply *st = snap_part(snap_part(r, 3 + (size_t)i), 0);
            if (kv_get(st, 0, "signal")[0] == '\0')
                continue;
            metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
            metrics_value(out, "kentongan_modem_signal_percent", labels, kv_num(st, "signal"));
        }
        metrics_head(out, "kentongan_modem_sent_today", "gauge",
                     "SMS parts the SIM has sent today (WIB).");
        for (int i = 0; i < cfg->nmodems; i++) {
            metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
            metrics_value(out, "kentongan_modem_sent_today", labels,
                          (double)snap_int(snap_part(r, 3 + (size_t)i), 2));
        }
        metrics_head(out, "kentongan_modem_daily_cap", "gauge",
                     "SMS parts the SIM may send per day (per_day).");
        for (int i = 0; i < cfg->nmodems; i++) {
            metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
            metrics_value(out, "kentongan_modem_daily_cap", labels, cfg->modems[i].per_day);
        }
        /* Written by the worker's balance check (balance_code); absent until
         * one answer held a balance. */
        metrics_head(out, "kentongan_sim_credit_rupiah", "gauge",
                     "SIM credit in rupiah from the last balance check by USSD (only once known).");
        for (int i = 0; i < cfg->nmodems; i++) {
            const redisReply *st = snap_part(snap_part(r, 3 + (size_t)i), 0);
            const char *credit = kv_get(st, 0, "credit");
            char *end;
            double v = strtod(credit, &end);
            if (credit[0] == '\0' || *end != '\0')
                continue;
            metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
            metrics_value(out, "kentongan_sim_credit_rupiah", labels, v);
        }
        metrics_head(out, "kentongan_sim_credit_timestamp_seconds", "gauge",
                     "When the SIM credit was last read (unix time; only once known).");
        for (int i = 0; i < cfg->nmodems; i++) {
            const redisReply *st = snap_part(snap_part(r, 3 + (size_t)i), 0);
            const char *at = kv_get(st, 0, "credit_at");
            if (at[0] == '\0')
                continue;
            metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
            metrics_value(out, "kentongan_sim_credit_timestamp_seconds", labels,
                          (double)(atoll(at) / 1000));
        }
        metrics_head(out, "kentongan_sim_credit_low_rupiah", "gauge",
                     "balance_low: below this SIM credit staff are told by SMS (checked modems).");
        for (int i = 0; i < cfg->nmodems; i++) {
            if (cfg->modems[i].balance_code[0] == '\0')
                continue;
            metrics_labels(labels, sizeof(labels), 1, "modem", cfg->modems[i].name);
            metrics_value(out, "kentongan_sim_credit_low_rupiah", labels,
                          cfg->modems[i].balance_low);
        }

        metrics_head(out, "kentongan_complaints", "gauge", "Complaints by status and OPD.");
        for (size_t i = 0; i + 1 < complaints->elements; i += 2) {
            const char *f = reply_str(complaints->element[i]);
            const char *bar = strchr(f, '|');
            if (bar == NULL)
                continue;
            char status[32];
            snprintf(status, sizeof(status), "%.*s", (int)(bar - f), f);
            metrics_labels(labels, sizeof(labels), 2, "status", status, "opd", bar + 1);
            metrics_value(out, "kentongan_complaints", labels,
                          atof(reply_str(complaints->element[i + 1])));
        }
        metrics_head(out, "kentongan_complaint_deadlines_missed_total", "counter",
                     "Complaint deadlines missed (each escalation), by OPD.");
        for (size_t i = 0; i + 1 < stats->elements; i += 2) {
            const char *f = reply_str(stats->element[i]);
            if (strncmp(f, "missed:", 7) != 0)
                continue;
            metrics_labels(labels, sizeof(labels), 1, "opd", f + 7);
            metrics_value(out, "kentongan_complaint_deadlines_missed_total", labels,
                          atof(reply_str(stats->element[i + 1])));
        }
        metrics_head(out, "kentongan_official_pin_failures_total", "counter",
                     "Wrong PINs and one-time codes given in an official's name, by official.");
        per_official(out, cfg, stats, "pinfail:", "kentongan_official_pin_failures_total");
        metrics_head(out, "kentongan_official_lockouts_total", "counter",
                     "Officials locked after pin_failures wrong PINs or codes, by official.");
        per_official(out, cfg, stats, "lockout:", "kentongan_official_lockouts_total");
    }
    metrics_head(out, "kentongan_ussd_screen_duration_seconds", "histogram",
                 "USSD screens answered by this gateway process, request to answer.");
    metrics_write_hist(out, "kentongan_ussd_screen_duration_seconds", "", metrics_ussd());

    if (c->req) {
        http_set_closecb(c->req, NULL, NULL);
        evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type",
                          "text/plain; version=0.0.4; charset=utf-8");
        evhttp_send_reply(c->req, 200, "OK", out);
        c->req = NULL;
    }
    evbuffer_free(out);
    call_free(c);
}

static void metrics_snapshot(struct api_call *c, redisReply *r)
{
    write_metrics(c, r);
}

static void metrics_handle(void *arg, struct evhttp_request *req)
{
    struct api *a = arg;
    struct api_call *c = call_new(a, req);
    if (c == NULL || parse_target(c) != 0)
        return;
    if (!a->cfg->metrics_public) {
        if (authenticate(c) != 0)
            return;
        if (c->role < API_STAFF) {
            api_error(c, 403, "token %s may not read metrics", c->token);
            return;
        }
    }
    /* Without Redis the gateway's own figures still go out, with
     * kentongan_redis_connected 0: a scrape that fails says less. */
    if (send_snapshot(c, metrics_snapshot) != 0)
        write_metrics(c, NULL);
}

/* ---- life cycle ---- */

static void load_tokens(struct api *a, const struct config *cfg)
{
    a->ntokens = 0;
    for (int i = 0; i < cfg->ntokens; i++) {
        const struct token_config *tc = &cfg->tokens[i];
        struct token *t = &a->tokens[a->ntokens];
        if (apiparse_hex32(tc->sha256, t->hash) != 0)
            continue; /* config_load refuses such a file; never reached */
        snprintf(t->name, sizeof(t->name), "%s", tc->name);
        t->role = strcmp(tc->role, "admin") == 0   ? API_ADMIN
                  : strcmp(tc->role, "staff") == 0 ? API_STAFF
                                                   : API_OFFICIAL;
        snprintf(t->opd, sizeof(t->opd), "%s", tc->opd);
        snprintf(t->official, sizeof(t->official), "%s", tc->official);
        a->ntokens++;
    }
}

int api_listen(struct api *a, struct http *h)
{
    if (h == NULL)
        return 0;
    int rc = http_add_route(h, "/api/",
                            EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD,
                            api_handle, a);
    if (rc == 0)
        rc = http_add_route(h, "/metrics", EVHTTP_REQ_GET, metrics_handle, a);
    return rc;
}

struct api *api_new(struct http *h, struct router *r, const struct config *cfg)
{
    struct api *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->router = r;
    a->cfg = cfg;
    load_tokens(a, cfg);
    api_route(a, "GET", "/api/complaints", API_OFFICIAL, complaints_list, NULL);
    api_route(a, "GET", "/api/complaints/*", API_OFFICIAL, complaints_show, NULL);
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        char pattern[API_PATTERN_MAX];
        snprintf(pattern, sizeof(pattern), "/api/complaints/*/%s", actions[i].name);
        api_route(a, "POST", pattern, API_OFFICIAL, complaints_act, (void *)&actions[i]);
    }
    api_route(a, "POST", "/api/status/import", API_STAFF, status_import, NULL);
    api_route(a, "GET", "/api/subscribers", API_STAFF, subscribers_list, NULL);
    api_route(a, "POST", "/api/subscribers", API_STAFF, subscribers_add, NULL);
    api_route(a, "GET", "/api/subscribers/*", API_STAFF, subscribers_show, NULL);
    api_route(a, "DELETE", "/api/subscribers/*", API_STAFF, subscribers_remove, NULL);
    api_route(a, "GET", "/api/modems", API_STAFF, modems_list, NULL); /* USSD: api_modem.c */
    if (api_listen(a, h) != 0) {
        api_free(a);
        return NULL;
    }
    return a;
}

void api_set_config(struct api *a, const struct config *cfg)
{
    a->cfg = cfg;
    load_tokens(a, cfg);
}

void api_free(struct api *a)
{
    free(a);
}
