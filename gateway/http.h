/* http — the gateway's HTTP listener (libevent's evhttp) and its limits.
 *
 *   struct http_limits lim = {...};                     see below; 0 = default
 *   struct http *h = http_new(base, "127.0.0.1:8080", &lim, &status_fn, arg, err, errlen);
 *   http_set_limits(h, &lim2);                          after a reload
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
 * (USSD: 4 KB). Headers are limited to HTTP_HEADERS_MAX.
 *
 * Connections are limited (DESIGN: every listener has limits and stays
 * answerable at them):
 *   - at most max_connections open at once, and never more than the
 *     process's descriptor limit (RLIMIT_NOFILE) minus reserve_fds; at the
 *     cap the listener stops accepting (new clients wait in the kernel's
 *     queue) until open connections fall below seven eighths of it;
 *   - when accept() fails for want of descriptors (EMFILE, ENFILE) or
 *     memory, accepting pauses until a connection closes or
 *     HTTP_ACCEPT_RETRY_MS passes: no busy loop, one log line when pausing
 *     and one when accepting again;
 *   - at most max_per_address connections from one client address (IPv6:
 *     one /64); more are closed at once;
 *   - a request must arrive whole (headers and body) within
 *     request_timeout seconds of the connection opening, or, on a
 *     kept-alive connection, of its first byte; else the connection is
 *     closed. Between requests a kept-alive connection may idle for
 *     idle_timeout seconds (evhttp's own timeout, which also bounds each
 *     read and write).
 * So a client that holds connections without finishing requests holds them
 * for request_timeout at most, and /healthz answers within that even while
 * the listener is at its cap. Figures are in http_stats (GET /metrics). */
#ifndef KT_HTTP_H
#define KT_HTTP_H

#include <stddef.h>

#define HTTP_BODY_MAX    (1024 * 1024) /* the admin API's bound (CSV uploads) */
#define HTTP_HEADERS_MAX 8192

#define HTTP_MAX_CONNECTIONS      256  /* open connections at once */
#define HTTP_MAX_PER_ADDRESS      32   /* open connections from one client address */
#define HTTP_REQUEST_TIMEOUT      10   /* seconds for a whole request to arrive */
#define HTTP_IDLE_TIMEOUT         30   /* seconds a connection may idle (evhttp's timeout) */
#define HTTP_FD_RESERVE           32   /* descriptors kept for stdio, Redis, signals, reloads */
#define HTTP_FD_RESERVE_PER_MODEM 2    /* and for each modem worker's pipes */
#define HTTP_ACCEPT_RETRY_MS      1000 /* accept again after running out of descriptors */
#define HTTP_BACKLOG              128  /* connections the kernel queues for us */

struct event_base;
struct evhttp_connection;
struct evhttp_request;
struct http;

struct http_limits {
    int max_connections; /* 0: HTTP_MAX_CONNECTIONS */
    int max_per_address; /* 0: HTTP_MAX_PER_ADDRESS */
    int request_timeout; /* seconds; 0: HTTP_REQUEST_TIMEOUT */
    int idle_timeout;    /* seconds; 0: HTTP_IDLE_TIMEOUT */
    int reserve_fds;     /* 0: HTTP_FD_RESERVE */
};

struct http_status {
    int redis_connected;
    const char *redis_auth_error; /* Redis refused the login: why; NULL otherwise */
    int workers_up;
    int modems_up; /* workers whose modem is connected */
    int workers_configured;
    unsigned long long received, committed, replies;
};
typedef void (*http_status_fn)(void *arg, struct http_status *out);

/* This process's listener figures (all listeners it had; the gauges are
 * the current listener's). */
struct http_stats {
    int open;                    /* connections open now */
    int max;                     /* the cap in force (max_connections, or less for RLIMIT_NOFILE) */
    int accepting;               /* 0 while accepting is paused */
    unsigned long long accepted; /* connections taken */
    unsigned long long paused_connections;  /* times accepting paused at the cap */
    unsigned long long paused_descriptors;  /* ... for want of descriptors (or memory) */
    unsigned long long refused_per_address; /* closed at once: too many from one address */
    unsigned long long request_timeouts;    /* closed: a request not whole in time */
};
void http_stats(struct http_stats *out);

/* A route added by another module; fn answers req (evhttp_send_reply). A
 * path ending in '/' ("/api/") takes every path under it. Returns 0, or -1
 * when the table is full. */
typedef void (*http_handler_fn)(void *arg, struct evhttp_request *req);
int http_add_route(struct http *h, const char *path, int methods, http_handler_fn fn, void *arg);

/* Use in place of evhttp_connection_set_closecb for the connection of a
 * request on this listener: the listener keeps evhttp's close callback to
 * count its connections, and calls fn(conn, arg) from it while set (fn NULL:
 * none). */
void http_set_closecb(struct evhttp_request *req, void (*fn)(struct evhttp_connection *, void *),
                      void *arg);

/* Binds listen ("ADDR:PORT") with the limits (NULL: all defaults); NULL with
 * a reason in err on failure. */
struct http *http_new(struct event_base *base, const char *listen, const struct http_limits *lim,
                      http_status_fn status, void *arg, char *err, size_t errlen);
/* New limits for connections from now on (a lower cap pauses accepting
 * until enough have closed; no connection is cut). */
void http_set_limits(struct http *h, const struct http_limits *lim);
/* Closes the listener and every connection on it. */
void http_free(struct http *h);

#endif
