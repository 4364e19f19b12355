/* http — the gateway's HTTP listener (libevent's evhttp).
 *
 *   struct http *h = http_new(base, "127.0.0.1:8080", &status_fn, arg, err, errlen);
 *   http_free(h);
 *
 * Routes live in one table in http.c (GET /healthz, GET /readyz), plus those
 * other modules add with http_add_route (POST /ussd, /api/, /metrics).
 * /healthz answers 200 with a small JSON document while the process runs
 * (liveness), including whether Redis is connected and how many modem
 * workers are up. /readyz answers 200 when Redis is connected and at least
 * one modem worker is up, else 503, with the reasons (readiness; "redis auth
 * failed: ..." with Redis' answer when it refused the login).
 *
 * Request bodies are limited to HTTP_BODY_MAX bytes for the whole listener
 * (libevent's limit is per server: larger bodies get libevent's own 413 and
 * the connection is closed); routes that take less check their own bound
 * (USSD: 4 KB). Headers are limited to HTTP_HEADERS_MAX. */
#ifndef KT_HTTP_H
#define KT_HTTP_H

#include <stddef.h>

#define HTTP_BODY_MAX    (1024 * 1024) /* the admin API's bound (CSV uploads) */
#define HTTP_HEADERS_MAX 8192

struct event_base;
struct http;

struct http_status {
    int redis_connected;
    const char *redis_auth_error; /* Redis refused the login: why; NULL otherwise */
    int workers_up;
    int modems_up; /* workers whose modem is connected */
    int workers_configured;
    unsigned long long received, committed, replies;
};
typedef void (*http_status_fn)(void *arg, struct http_status *out);

struct evhttp_request;
/* A route added by another module; fn answers req (evhttp_send_reply). A
 * path ending in '/' ("/api/") takes every path under it. Returns 0, or -1
 * when the table is full. */
typedef void (*http_handler_fn)(void *arg, struct evhttp_request *req);
int http_add_route(struct http *h, const char *path, int methods, http_handler_fn fn, void *arg);

/* Binds listen ("ADDR:PORT"); NULL with a reason in err on failure. */
struct http *http_new(struct event_base *base, const char *listen, http_status_fn status, void *arg,
                      char *err, size_t errlen);
void http_free(struct http *h);

#endif
