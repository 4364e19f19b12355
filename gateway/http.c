/* http — see http.h.
 *
 * How the limits sit on evhttp. libevent 2.1's evhttp accepts whatever its
 * listener gives it and tells nobody of a connection until a whole request
 * has arrived; it has no connection cap, and without an error callback its
 * listener logs and retries every failed accept() (a busy loop once the
 * process is out of descriptors). So:
 *
 *   - the listening socket is our own evconnlistener (close-on-exec,
 *     reusable, with an error callback), handed to evhttp with
 *     evhttp_bind_listener; pausing means evconnlistener_disable, and the
 *     kernel queues new clients meanwhile;
 *   - evhttp asks our bufferevent callback (evhttp_set_bevcb) for the
 *     bufferevent of each connection it accepts: that is where a connection
 *     is counted, and where the listener is paused once the cap is reached;
 *   - right after (an event made active from there, run in the same loop
 *     turn before any I/O), the connection is set up: evhttp passes its
 *     connection object as the bufferevent's callback argument (all of
 *     libevent 2.1 does; checked by asking the connection for its
 *     bufferevent back), so we set evhttp's close callback on it, which
 *     counts it out again, check its address against max_per_address and
 *     start the request deadline;
 *   - routes that want to know when their client hangs up ask through
 *     http_set_closecb, because a connection has one close callback and it
 *     is ours;
 *   - the deadline stops when dispatch sees the whole request; once the
 *     answer is written (evhttp's on-complete callback) the next request's
 *     first byte on a kept-alive connection starts it again. That byte is
 *     seen by a persistent read event of ours on the connection's socket,
 *     added when the connection is set up and kept: besides telling us of
 *     the first byte, it keeps the socket in epoll's read set while evhttp
 *     stops reading between a whole request and its answer, so evhttp's
 *     disable/enable of its read event costs no epoll_ctl (two a request
 *     saved; evhttp's own write event still costs two). Should bytes come
 *     while a request is with its route (a pipelining client, or one that
 *     hangs up), evhttp is not reading them, so the level-triggered watch
 *     would fire every loop turn: it is dropped when it fires a second time
 *     (the first may be the request's own bytes) and added again with the
 *     answer.
 *
 * Connections are found from a request through a table indexed by their
 * descriptor (unique in the process, so one table serves every listener,
 * including the two that briefly coexist when a reload moves the
 * listener). Nothing here allocates per request. */
#include "gateway/http.h"

#include "gateway/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#if !defined(EVENT__NUMERIC_VERSION) || EVENT__NUMERIC_VERSION < 0x02010000
#error "the HTTP listener needs libevent 2.1 (evhttp_set_bevcb, on-complete callbacks)"
#endif

#define HTTP_EXTRA_ROUTES 16
#define HTTP_PEER_BUCKETS 256   /* hash buckets of client addresses (a power of two) */
#define HTTP_LOG_EVERY_MS 60000 /* refusals and timeouts: at most one log line a minute */

struct extra_route {
    const char *path;
    int methods;
    http_handler_fn fn;
    void *arg;
};

/* Open connections from one client address (IPv4, or an IPv6 /64). */
struct peer {
    unsigned char key[16];
    int count;
    struct peer *next;
};

/* A log line for each first event, then at most one a minute with the count. */
struct throttle {
    long long next_ms;
    unsigned long long pending;
};

/* Pauses of one kind: the first is logged ("paused", then "resumed"); more
 * within a minute after that are only counted, and the next line says how
 * many there were. A listener kept at its cap pauses every few seconds. */
struct pauses {
    int paused; /* now */
    int logged; /* this pause was logged: its end will be too */
    long long since;
    long long quiet_until;
    unsigned long long unlogged;
};

struct http;

struct conn {
    struct http *h;
    struct bufferevent *bev;
    struct evhttp_connection *evcon; /* set once ready */
    evutil_socket_t fd;
    struct event *timer; /* first the set-up step, then the request deadline */
    struct event *watch; /* persistent read watch: a kept-alive connection's next request */
    int watching;        /* watch added */
    int idle;            /* answered; the next request has not begun */
    int answering;       /* a whole request is with its route, not yet answered */
    int woken;           /* the watch fired while answering */
    struct peer *peer;
    int ready;    /* set up: evcon, fd, close callback */
    int released; /* counted out */
    int in_cb;    /* one of our callbacks is closing it: that one frees it */
    void (*closecb)(struct evhttp_connection *, void *); /* a route's (http_set_closecb) */
    void *closecb_arg;
    LIST_ENTRY(conn) link;
};

struct http {
    struct event_base *base;
    struct evhttp *evh;
    struct evconnlistener *lev; /* freed by evhttp_free */
    struct event *retry;        /* accepting again after accept() failed */
    http_status_fn status;
    void *arg;
    struct extra_route extra[HTTP_EXTRA_ROUTES]; /* added by other modules (USSD) */
    int nextra;
    struct http_limits lim; /* defaults filled in */
    long nofile;            /* RLIMIT_NOFILE when the limits were set; -1 unknown */
    int max;                /* the cap in force */
    int low;                /* at the cap, accept again once open <= low */
    int open;
    int full;    /* paused: at the cap */
    int starved; /* paused: accept() failed (until a retry; see starving) */
    int accepting;
    int closing;
    struct pauses full_pauses;
    struct pauses starving; /* from a failed accept() to the next one that works */
    struct throttle refused_log, timeout_log;
    struct peer *peers[HTTP_PEER_BUCKETS];
    LIST_HEAD(, conn) conns;
    LIST_ENTRY(http) link;
};

struct route {
    const char *path;
    int methods; /* EVHTTP_REQ_* mask */
    void (*fn)(struct http *h, struct evhttp_request *req);
};

static struct http_stats stats;
static LIST_HEAD(, http) listeners; /* every http of the process (two during a reload) */
static struct conn **by_fd;         /* open connections by descriptor, every listener */
static size_t by_fd_len;

void http_stats(struct http_stats *out)
{
    *out = stats;
}

static long long now_ms(const struct http *h)
{
    struct timeval tv;
    event_base_gettimeofday_cached(h->base, &tv);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int throttle_due(struct throttle *t, long long now, unsigned long long *count)
{
    t->pending++;
    if (now < t->next_ms)
        return 0;
    *count = t->pending;
    t->pending = 0;
    t->next_ms = now + HTTP_LOG_EVERY_MS;
    return 1;
}

/* ---- client addresses ---- */

/* The key of an address: IPv4 as ::ffff:a.b.c.d, IPv6 cut to its /64 (one
 * host usually holds a whole /64). 0, or -1 for another family. */
static int peer_key(const struct sockaddr_storage *ss, unsigned char key[16])
{
    memset(key, 0, 16);
    if (ss->ss_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
        return 0;
    }
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            memcpy(key, a, 16);
        else
            memcpy(key, a, 8);
        return 0;
    }
    return -1;
}

static void peer_format(const unsigned char key[16], char *out, size_t len)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(key, mapped, 12) == 0) {
        inet_ntop(AF_INET, key + 12, out, (socklen_t)len);
        return;
    }
    char a[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, key, a, sizeof(a));
    snprintf(out, len, "%s/64", a);
}

static struct peer **peer_bucket(struct http *h, const unsigned char key[16])
{
    unsigned hash = 2166136261u; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        hash = (hash ^ key[i]) * 16777619u;
    return &h->peers[hash & (HTTP_PEER_BUCKETS - 1)];
}

/* The entry of key, made (count 0) when absent; NULL without memory. */
static struct peer *peer_get(struct http *h, const unsigned char key[16])
{
    struct peer **b = peer_bucket(h, key);
    for (struct peer *p = *b; p; p = p->next)
        if (memcmp(p->key, key, 16) == 0)
            return p;
    struct peer *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    memcpy(p->key, key, 16);
    p->next = *b;
    *b = p;
    return p;
}

static void peer_unlink(struct http *h, struct peer *p)
{
    for (struct peer **pp = peer_bucket(h, p->key); *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    free(p);
}

/* One connection of p fewer; the entry goes with its last. */
static void peer_put(struct http *h, struct peer *p)
{
    if (--p->count <= 0)
        peer_unlink(h, p);
}

/* ---- accepting or not ---- */

/* The soft RLIMIT_NOFILE now (LONG_MAX for none), or -1. */
static long nofile_now(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > LONG_MAX ? LONG_MAX : (long)rl.rlim_cur;
}

static void update_listener(struct http *h)
{
    int want = !h->closing && !h->full && !h->starved;
    if (want == h->accepting)
        return;
    if (want)
        evconnlistener_enable(h->lev);
    else
        evconnlistener_disable(h->lev);
    h->accepting = want;
    stats.accepting = want;
}

/* 1 when this pause is to be logged (the caller does, with what it knows). */
static int pause_begins(struct http *h, struct pauses *p)
{
    long long now = now_ms(h);
    p->paused = 1;
    p->since = now;
    p->unlogged++;
    p->logged = now >= p->quiet_until;
    return p->logged;
}

static void pause_ends(struct http *h, struct pauses *p, const char *reason)
{
    long long now = now_ms(h);
    p->paused = 0;
    if (!p->logged)
        return;
    log_info("event=http_resumed reason=%s open=%d paused_ms=%lld", reason, h->open,
             now - p->since);
    p->logged = 0;
    p->unlogged = 0;
    p->quiet_until = now + HTTP_LOG_EVERY_MS;
}

static void check_full(struct http *h)
{
    if (!h->full && h->open >= h->max) {
        h->full = 1;
        stats.paused_connections++;
        if (pause_begins(h, &h->full_pauses))
            log_warnx("event=http_paused reason=connections open=%d max=%d pauses=%llu "
                      "note=\"new clients wait until open connections fall to %d\"",
                      h->open, h->max, h->full_pauses.unlogged, h->low);
    } else if (h->full && h->open <= h->low) {
        h->full = 0;
        pause_ends(h, &h->full_pauses, "connections");
    }
    update_listener(h);
}

/* accept() failed for a reason other than "try again": out of descriptors
 * (EMFILE, ENFILE) or memory. libevent would log and retry at once, for
 * ever; instead accepting pauses until a connection closes or the retry
 * timer fires, and one line says so. The line that says it is over comes
 * with the next connection accepted. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    int err = EVUTIL_SOCKET_ERROR();
    struct http *h; /* arg is evhttp's, the listener's callback argument */
    LIST_FOREACH(h, &listeners, link)
    {
        if (h->lev == lev)
            break;
    }
    if (h == NULL) {
        evconnlistener_disable(lev);
        return;
    }
    h->starved = 1;
    h->nofile = nofile_now(); /* someone may have lowered it meanwhile (prlimit) */
    if (!h->starving.paused) {
        stats.paused_descriptors++;
        if (pause_begins(h, &h->starving))
            log_warnx("event=http_paused reason=%s error=\"%s\" open=%d nofile=%ld pauses=%llu "
                      "retry_ms=%d",
                      err == EMFILE || err == ENFILE ? "descriptors" : "accept_failed",
                      evutil_socket_error_to_string(err), h->open, h->nofile, h->starving.unlogged,
                      HTTP_ACCEPT_RETRY_MS);
    }
    struct timeval tv = {HTTP_ACCEPT_RETRY_MS / 1000, (HTTP_ACCEPT_RETRY_MS % 1000) * 1000};
    evtimer_add(h->retry, &tv);
    update_listener(h);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct http *h = arg;
    h->starved = 0;
    update_listener(h);
}

/* ---- connections ---- */

static int by_fd_put(evutil_socket_t fd, struct conn *c)
{
    if (fd < 0)
        return -1;
    if ((size_t)fd >= by_fd_len) {
        size_t n = by_fd_len ? by_fd_len : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct conn **p = realloc(by_fd, n * sizeof(*p));
        if (p == NULL)
            return -1;
        memset(p + by_fd_len, 0, (n - by_fd_len) * sizeof(*p));
        by_fd = p;
        by_fd_len = n;
    }
    by_fd[fd] = c;
    return 0;
}

/* The tracked connection of a request, or NULL (one taken while memory
 * was short goes untracked). */
static struct conn *conn_of(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon == NULL)
        return NULL;
    evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
    if (fd < 0 || (size_t)fd >= by_fd_len)
        return NULL;
    struct conn *c = by_fd[fd];
    return c && c->evcon == evcon ? c : NULL;
}

static void arm_deadline(struct conn *c)
{
    struct timeval tv = {c->h->lim.request_timeout, 0};
    evtimer_add(c->timer, &tv);
}

/* The connection is gone or going: count it out (once). */
static void conn_release(struct conn *c)
{
    if (c->released)
        return;
    c->released = 1;
    struct http *h = c->h;
    event_del(c->timer);
    if (c->watch)
        event_del(c->watch);
    c->watching = 0;
    if (c->ready && (size_t)c->fd < by_fd_len && by_fd[c->fd] == c)
        by_fd[c->fd] = NULL;
    if (c->peer)
        peer_put(h, c->peer);
    c->peer = NULL;
    h->open--;
    stats.open--;
    if (h->closing)
        return;
    if (h->starved) { /* a descriptor comes free: try again */
        h->starved = 0;
        evtimer_del(h->retry);
    }
    check_full(h);
}

static void conn_free(struct conn *c)
{
    LIST_REMOVE(c, link);
    event_free(c->timer);
    if (c->watch)
        event_free(c->watch);
    free(c);
}

/* evhttp closes the connection (client gone, an error, its idle timeout, an
 * answer with Connection: close, or one of ours below). */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    struct conn *c = arg;
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    void (*fn)(struct evhttp_connection *, void *) = c->closecb;
    c->closecb = NULL;
    if (fn)
        fn(evcon, c->closecb_arg);
    conn_release(c);
    if (!c->in_cb)
        conn_free(c);
}

/* Closes a set-up connection from one of our own callbacks: the timer's,
 * which is freed with it (a one-shot event may free itself in its callback
 * in libevent; nothing touches it after). */
static void conn_close(struct conn *c)
{
    c->in_cb = 1;
    evhttp_connection_free(c->evcon);
    conn_release(c);
    conn_free(c);
}

static int watch_add(struct conn *c);

/* Run once, right after evhttp made the connection (see the top). */
static void conn_ready(struct conn *c)
{
    struct http *h = c->h;
    void *cbarg = NULL;
    bufferevent_getcb(c->bev, NULL, NULL, NULL, &cbarg);
    struct evhttp_connection *evcon = cbarg;
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (evcon == NULL || fd < 0 || evhttp_connection_get_bufferevent(evcon) != c->bev) {
        /* evhttp gave up on it while making it (short of memory) */
        conn_release(c);
        bufferevent_decref(c->bev);
        conn_free(c);
        return;
    }
    c->evcon = evcon;
    c->fd = fd;
    c->ready = 1;
    bufferevent_decref(c->bev); /* evhttp's alone from here */
    evhttp_connection_set_closecb(evcon, on_conn_close, c);
    if (by_fd_put(fd, c) != 0) {
        log_error("event=http_refused reason=\"out of memory\"");
        conn_close(c);
        return;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    unsigned char key[16];
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0 && peer_key(&ss, key) == 0) {
        struct peer *p = peer_get(h, key);
        if (p == NULL || p->count >= h->lim.max_per_address) {
            unsigned long long n;
            stats.refused_per_address += p != NULL;
            if (throttle_due(&h->refused_log, now_ms(h), &n)) {
                char addr[INET6_ADDRSTRLEN + 8];
                peer_format(key, addr, sizeof(addr));
                log_warnx("event=http_refused reason=%s address=%s max_per_address=%d "
                          "refused=%llu note=\"at most one line a minute\"",
                          p ? "per_address" : "out_of_memory", addr, h->lim.max_per_address, n);
            }
            if (p && p->count == 0)
                peer_unlink(h, p); /* made for this connection only */
            conn_close(c);
            return;
        }
        p->count++;
        c->peer = p;
    }
    arm_deadline(c);
    watch_add(c); /* failing, on_answered tries again or arms the deadline itself */
}

/* The request deadline passed: the client has not sent a whole request. */
static void conn_timeout(struct conn *c)
{
    struct http *h = c->h;
    unsigned long long n;
    stats.request_timeouts++;
    if (throttle_due(&h->timeout_log, now_ms(h), &n)) {
        char addr[INET6_ADDRSTRLEN + 8] = "-";
        if (c->peer)
            peer_format(c->peer->key, addr, sizeof(addr));
        log_warnx("event=http_request_timeout address=%s request_timeout=%d closed=%llu "
                  "note=\"at most one line a minute\"",
                  addr, h->lim.request_timeout, n);
    }
    conn_close(c);
}

static void on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (c->ready)
        conn_timeout(c);
    else
        conn_ready(c);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (c->answering) {
        /* The first time may be the bytes of the request being answered:
         * the watch was made active with evhttp's read event, which ran
         * first. Firing again, there are bytes evhttp is not reading now
         * (see the top). */
        if (c->woken++) {
            event_del(c->watch);
            c->watching = 0;
        }
        return;
    }
    if (c->idle) {
        c->idle = 0;
        arm_deadline(c);
    }
}

static int watch_add(struct conn *c)
{
    if (c->watching)
        return 0;
    if (c->watch == NULL)
        c->watch = event_new(c->h->base, c->fd, EV_READ | EV_PERSIST, on_readable, c);
    if (c->watch == NULL || event_add(c->watch, NULL) != 0)
        return -1;
    c->watching = 1;
    return 0;
}

/* The answer is written; a kept-alive connection now waits for its next
 * request, whose deadline starts with its first byte (or now, when evhttp
 * already holds some of it). A connection evhttp closes next is counted
 * out by the close callback, which also drops the watch. */
static void on_answered(struct evhttp_request *req, void *arg)
{
    struct conn *c = arg;
    c->closecb = NULL; /* the route is done with its request */
    c->answering = 0;
    if (watch_add(c) != 0 || evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
        arm_deadline(c);
        return;
    }
    c->idle = 1;
}

/* evhttp's bufferevent callback: one call per connection it accepts. */
static struct bufferevent *on_connection(struct event_base *base, void *arg)
{
    struct http *h = arg;
    struct conn *c = calloc(1, sizeof(*c));
    if (c) {
        c->timer = event_new(base, -1, 0, on_conn_timer, c);
        /* Without BEV_OPT_CLOSE_ON_FREE evhttp closes the descriptor itself,
         * at once, as it frees the connection; libevent would otherwise
         * close it in a deferred finalizer, after a listener callback of the
         * same loop turn may have counted it free and met EMFILE. */
        c->bev = bufferevent_socket_new(base, -1, 0);
    }
    if (c == NULL || c->timer == NULL || c->bev == NULL) {
        /* evhttp makes its own: this connection goes uncounted */
        if (c && c->timer)
            event_free(c->timer);
        if (c && c->bev)
            bufferevent_free(c->bev);
        free(c);
        return NULL;
    }
    c->h = h;
    c->fd = -1;
    bufferevent_incref(c->bev); /* kept until conn_ready, whatever evhttp does meanwhile */
    LIST_INSERT_HEAD(&h->conns, c, link);
    h->open++;
    stats.open++;
    stats.accepted++;
    if (h->starving.paused)
        pause_ends(h, &h->starving, "descriptors");
    event_active(c->timer, EV_TIMEOUT, 1);
    check_full(h); /* disabling the listener here stops its accept loop too */
    return c->bev;
}

void http_set_closecb(struct evhttp_request *req, void (*fn)(struct evhttp_connection *, void *),
                      void *arg)
{
    struct conn *c = conn_of(req);
    if (c) {
        c->closecb = fn;
        c->closecb_arg = arg;
    } else if (evhttp_request_get_connection(req)) {
        evhttp_connection_set_closecb(evhttp_request_get_connection(req), fn, arg);
    }
}

/* ---- routes ---- */

static void send_json(struct evhttp_request *req, int code, json_t *doc)
{
    char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
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
        evhttp_send_error(req, 500, "internal error building the answer");
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
    json_t *doc =
        json_pack("{s:b, s:b, s:i, s:i, s:i, s:o}", "ready", ready, "redis", st.redis_connected,
                  "workers_up", st.workers_up, "modems_up", st.modems_up, "workers_configured",
                  st.workers_configured, "reasons", reasons);
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
    /* The request is whole: its deadline stops (the route may take its
     * time, e.g. waiting for a modem), and starts again after the answer. */
    struct conn *c = conn_of(req);
    if (c) {
        event_del(c->timer);
        c->idle = 0;
        c->answering = 1;
        c->woken = 0;
        evhttp_request_set_on_complete_cb(req, on_answered, c);
    }
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

/* ---- life cycle ---- */

/* Fills in defaults, raises the soft descriptor limit as far as the cap
 * needs (never past the hard limit), and sets the cap in force. */
static void apply_limits(struct http *h, const struct http_limits *lim)
{
    struct http_limits l = lim ? *lim : (struct http_limits){0};
    if (l.max_connections <= 0)
        l.max_connections = HTTP_MAX_CONNECTIONS;
    if (l.max_per_address <= 0)
        l.max_per_address = HTTP_MAX_PER_ADDRESS;
    if (l.request_timeout <= 0)
        l.request_timeout = HTTP_REQUEST_TIMEOUT;
    if (l.idle_timeout <= 0)
        l.idle_timeout = HTTP_IDLE_TIMEOUT;
    if (l.reserve_fds <= 0)
        l.reserve_fds = HTTP_FD_RESERVE;
    h->lim = l;

    struct rlimit rl;
    rlim_t want = (rlim_t)l.max_connections + (rlim_t)l.reserve_fds;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want &&
        rl.rlim_max > rl.rlim_cur) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl); /* if refused, the cap is lowered below */
    }
    h->nofile = nofile_now();
    h->max = l.max_connections;
    if (h->nofile >= 0 && h->nofile - l.reserve_fds < h->max) {
        h->max = h->nofile - l.reserve_fds < 1 ? 1 : (int)(h->nofile - l.reserve_fds);
        log_warnx("event=http_limited http_max_connections=%d effective=%d nofile=%ld reserve=%d "
                  "note=\"the descriptor limit (ulimit -n, LimitNOFILE=) is too low for the cap\"",
                  l.max_connections, h->max, h->nofile, l.reserve_fds);
    }
    h->low = h->max - 1 - h->max / 8;
    stats.max = h->max;
    evhttp_set_timeout(h->evh, l.idle_timeout);
}

/* "ADDR:PORT" (ADDR may be a name, or [IPv6]) bound as our evconnlistener. */
static struct evconnlistener *listen_on(struct http *h, const char *listen, char *err,
                                        size_t errlen)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || (size_t)(colon - listen) >= sizeof(host)) {
        snprintf(err, errlen, "bad listen address '%s'", listen);
        return NULL;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    struct evutil_addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG;
    int rc = evutil_getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
    if (rc != 0 || ai == NULL) {
        snprintf(err, errlen, "cannot listen on %s: %s", listen, evutil_gai_strerror(rc));
        return NULL;
    }
    struct evconnlistener *lev = evconnlistener_new_bind(
        h->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
        HTTP_BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
    if (lev == NULL)
        snprintf(err, errlen, "cannot listen on %s: %s", listen,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    evutil_freeaddrinfo(ai);
    return lev;
}

struct http *http_new(struct event_base *base, const char *listen, const struct http_limits *lim,
                      http_status_fn status, void *arg, char *err, size_t errlen)
{
    struct http *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    LIST_INIT(&h->conns);
    h->base = base;
    h->status = status;
    h->arg = arg;
    h->evh = evhttp_new(base);
    h->retry = evtimer_new(base, on_retry, h);
    if (h->evh == NULL || h->retry == NULL) {
        snprintf(err, errlen, "evhttp_new failed");
        http_free(h);
        return NULL;
    }
    evhttp_set_max_body_size(h->evh, HTTP_BODY_MAX);
    evhttp_set_max_headers_size(h->evh, HTTP_HEADERS_MAX);
    evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                           EVHTTP_REQ_DELETE);
    evhttp_set_gencb(h->evh, dispatch, h);
    evhttp_set_bevcb(h->evh, on_connection, h);
    apply_limits(h, lim);
    struct evconnlistener *lev = listen_on(h, listen, err, errlen);
    if (lev == NULL) {
        http_free(h);
        return NULL;
    }
    if (evhttp_bind_listener(h->evh, lev) == NULL) {
        evconnlistener_free(lev);
        snprintf(err, errlen, "cannot listen on %s: out of memory", listen);
        http_free(h);
        return NULL;
    }
    h->lev = lev;
    LIST_INSERT_HEAD(&listeners, h, link);
    evconnlistener_set_error_cb(lev, on_accept_error);
    h->accepting = 1;
    stats.accepting = 1;
    return h;
}

void http_set_limits(struct http *h, const struct http_limits *lim)
{
    if (h == NULL)
        return;
    apply_limits(h, lim);
    check_full(h);
}

void http_free(struct http *h)
{
    if (h == NULL)
        return;
    /* evhttp_free frees the listener first, then each connection, whose
     * close callback must not touch the listener any more. */
    h->closing = 1;
    if (h->lev)
        LIST_REMOVE(h, link);
    if (h->evh)
        evhttp_free(h->evh);
    /* What is left was never set up (its step had not run yet). */
    while (!LIST_EMPTY(&h->conns)) {
        struct conn *c = LIST_FIRST(&h->conns);
        conn_release(c);
        bufferevent_decref(c->bev);
        conn_free(c);
    }
    if (h->retry)
        event_free(h->retry);
    for (int i = 0; i < HTTP_PEER_BUCKETS; i++)
        while (h->peers[i]) {
            struct peer *p = h->peers[i];
            h->peers[i] = p->next;
            free(p);
        }
    free(h);
}
