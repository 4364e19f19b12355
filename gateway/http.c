/* http — see http.h. */
#include "gateway/http.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_EXTRA_ROUTES 16

struct extra_route {
    const char *path;
    int methods;
    http_handler_fn fn;
    void *arg;
};

struct http {
    struct evhttp *evh;
    http_status_fn status;
    void *arg;
    struct extra_route extra[HTTP_EXTRA_ROUTES]; /* added by other modules (USSD) */
    int nextra;
};

struct route {
    const char *path;
    int methods; /* EVHTTP_REQ_* mask */
    void (*fn)(struct http *h, struct evhttp_request *req);
};

static void send_json(struct evhttp_request *req, int code, json_t *doc)
{
    char *body = json_dumps(doc, JSON_COMPACT);
    struct evbuffer *out = evbuffer_new();
    if (body && out) {
        evbuffer_add(out, body, strlen(body));
        evbuffer_add(out, "\n", 1);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "application/json");
        evhttp_send_reply(req, code,
                          code == 200   ? "OK"
                          : code == 503 ? "Unavailable"
                                        : "Error",
                          out);
    } else {
        evhttp_send_error(req, 500, "out of memory");
    }
    if (out)
        evbuffer_free(out);
    free(body);
    json_decref(doc);
}

static void healthz(struct http *h, struct evhttp_request *req)
{
    struct http_status st = {0};
    h->status(h->arg, &st);
    json_t *doc = json_pack("{s:s, s:b, s:i, s:i, s:I, s:I, s:I}", "status", "ok", "redis",
                            st.redis_connected, "workers_up", st.workers_up, "workers_configured",
                            st.workers_configured, "received", (json_int_t)st.received, "committed",
                            (json_int_t)st.committed, "replies", (json_int_t)st.replies);
    send_json(req, 200, doc);
}

/* Readiness: the gateway can do its work only with Redis and a modem. */
static void readyz(struct http *h, struct evhttp_request *req)
{
    struct http_status st = {0};
    h->status(h->arg, &st);
    json_t *reasons = json_array();
    if (!st.redis_connected)
        json_array_append_new(reasons, st.redis_auth_error ? json_sprintf("redis auth failed: %s",
                                                                          st.redis_auth_error)
                                                           : json_string("redis not connected"));
    if (st.workers_up == 0)
        json_array_append_new(reasons, json_string("no modem worker up"));
    else if (st.modems_up == 0)
        json_array_append_new(reasons, json_string("no modem connected"));
    int ready = json_array_size(reasons) == 0;
    json_t *doc = json_pack("{s:b, s:b, s:i, s:i, s:i, s:o}", "ready", ready, "redis",
                            st.redis_connected, "workers_up", st.workers_up, "modems_up",
                            st.modems_up, "workers_configured", st.workers_configured, "reasons",
                            reasons);
    send_json(req, ready ? 200 : 503, doc);
}

static const struct route routes[] = {
    {"/healthz", EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, healthz},
    {"/readyz", EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, readyz},
    {NULL, 0, NULL},
};

int http_add_route(struct http *h, const char *path, int methods, http_handler_fn fn, void *arg)
{
    if (h->nextra == HTTP_EXTRA_ROUTES)
        return -1;
    h->extra[h->nextra++] = (struct extra_route){path, methods, fn, arg};
    return 0;
}

/* An exact path, or every path under a route ending in '/'. */
static int path_matches(const char *route, const char *path)
{
    size_t n = strlen(route);
    if (n > 0 && route[n - 1] == '/')
        return strncmp(route, path, n) == 0;
    return strcmp(route, path) == 0;
}

static void dispatch(struct evhttp_request *req, void *arg)
{
    struct http *h = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (path == NULL)
        path = "/";
    for (int i = 0; i < h->nextra; i++) {
        if (!path_matches(h->extra[i].path, path))
            continue;
        if (!(evhttp_request_get_command(req) & h->extra[i].methods)) {
            send_json(req, 405, json_pack("{s:s}", "error", "method not allowed"));
            return;
        }
        h->extra[i].fn(h->extra[i].arg, req);
        return;
    }
    for (const struct route *r = routes; r->path; r++) {
        if (strcmp(r->path, path) != 0)
            continue;
        if (!(evhttp_request_get_command(req) & r->methods)) {
            send_json(req, 405, json_pack("{s:s}", "error", "method not allowed"));
            return;
        }
        r->fn(h, req);
        return;
    }
    send_json(req, 404, json_pack("{s:s, s:s}", "error", "not found", "path", path));
}

struct http *http_new(struct event_base *base, const char *listen, http_status_fn status, void *arg,
                      char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || (size_t)(colon - listen) >= sizeof(host)) {
        snprintf(err, errlen, "bad listen address '%s'", listen);
        return NULL;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    int port = atoi(colon + 1);
    struct http *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->status = status;
    h->arg = arg;
    h->evh = evhttp_new(base);
    if (h->evh == NULL) {
        snprintf(err, errlen, "evhttp_new failed");
        free(h);
        return NULL;
    }
    evhttp_set_max_body_size(h->evh, HTTP_BODY_MAX);
    evhttp_set_max_headers_size(h->evh, HTTP_HEADERS_MAX);
    evhttp_set_timeout(h->evh, 30);
    evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                           EVHTTP_REQ_DELETE);
    evhttp_set_gencb(h->evh, dispatch, h);
    if (evhttp_bind_socket(h->evh, host, (ev_uint16_t)port) != 0) {
        snprintf(err, errlen, "cannot listen on %s", listen);
        http_free(h);
        return NULL;
    }
    return h;
}

void http_free(struct http *h)
{
    if (h == NULL)
        return;
    if (h->evh)
        evhttp_free(h->evh);
    free(h);
}
