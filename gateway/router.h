/* router — reads inbound messages from Redis and turns each into a handler
 * call, then queues the replies.
 *
 *   struct router *r = router_new(base, cfg);   starts connecting at once
 *   router_set_config(r, cfg)                   after a reload (cfg must outlive r)
 *   router_stop(r, done_cb, arg)                stop reading, finish what is in flight
 *   router_free(r)
 *
 * The router owns two hiredis async connections on the libevent loop: one
 * blocks in XREADGROUP on kt:in, the other carries everything else
 * pipelined. Batches of up to ROUTER_BATCH messages are read at once; each
 * message goes through kt_rate, its handler and kt_commit, which queues the
 * replies and acknowledges the message in one atomic step. Lost connections
 * are retried with backoff; unacknowledged messages are read again from the
 * consumer's pending list when the connection returns. With a Redis password
 * (redis_user, redis_password_file) each connection sends AUTH first; a
 * refusal is logged once (again only when its reason changes), retried with
 * the same backoff and shown in router_stats.auth_error (/readyz). */
#ifndef KT_ROUTER_H
#define KT_ROUTER_H

struct event_base;
struct config;
struct router;
struct services;
struct redisAsyncContext;

struct router_stats {
    unsigned long long received;  /* inbound messages taken from the stream */
    unsigned long long committed; /* messages acknowledged with their replies queued */
    unsigned long long replies;   /* replies queued */
    unsigned long long silenced;  /* messages deliberately not answered */
    unsigned long long limited;   /* messages over a sender's rate limit (SMS and USSD) */
    unsigned long long shed;      /* messages over the reply budget (SMS and USSD) */
    int connected;                /* both Redis connections up and ready */
    const char *auth_error;       /* why Redis refused the login (AUTH); NULL when it has not */
    int inflight;
};

struct router *router_new(struct event_base *base, const struct config *cfg);
void router_set_config(struct router *r, const struct config *cfg);
/* Data and officials handed to handlers (must outlive every request read
 * before the next call). */
void router_set_services(struct router *r, const struct services *svc);
/* Stops reading; calls done(arg) once nothing is in flight (or after a bound). */
void router_stop(struct router *r, void (*done)(void *), void *arg);
void router_free(struct router *r);
void router_get_stats(const struct router *r, struct router_stats *out);

/* Bytes of a request id with its NUL: a stream id ("MS-SEQ", two 20-digit
 * numbers at most) fits, and so do the keys handlers derive from an id. */
#define ROUTER_ID_MAX 42

/* A handler call that did not come from a stream: a USSD menu's leaf action.
 * It runs exactly as "KEYWORD args" by SMS would, on channel `channel`, with
 * `hints` (e.g. category=JLN, desa=33.25.01.2001) the handler may use; its
 * replies are queued (and reach the resident by SMS) under the idempotency
 * id `id` (at most ROUTER_ID_MAX - 1 bytes, never cut), so a repeated
 * submission queues nothing twice. With `limits`, the sender (unless an
 * official) first passes the same per-number limits and reply budget as an
 * SMS (kt_rate), counted once per id. done(arg, outcome, first_reply) runs
 * once when it is over, outcome one of enum router_outcome; first_reply is
 * the handler's first reply to the sender ("" when none, and when limited
 * or shed: nothing was run or sent). With answer_only, replies to the
 * sender are handed to done and not sent by SMS (the admin API answers over
 * HTTP); messages to others (the resident, officials) are queued as usual.
 * Returns 0, or -1 when Redis is not ready or the id is too long (done is
 * not called). */
enum router_outcome {
    ROUTER_FAILED = 0,  /* nothing could be queued (Redis) */
    ROUTER_DONE = 1,    /* the handler ran and its replies are queued */
    ROUTER_LIMITED,     /* over sender_per_minute: not run */
    ROUTER_LIMITED_DAY, /* over sender_per_day: not run */
    ROUTER_SHED,        /* over the reply budget (too many from everyone): not run */
};
struct router_hint {
    const char *key, *value;
};
struct router_submission {
    const char *channel, *id, *sender, *keyword, *args;
    const struct router_hint *hints;
    int nhints;
    int answer_only;
    int limits; /* the public's action: per-number limits and the reply budget apply */
};
/* The command connection when ready (NULL otherwise), for other modules on
 * the same loop (USSD sessions). */
struct redisAsyncContext *router_redis(struct router *r);
const struct services *router_services(const struct router *r);
/* Unix time in seconds as handlers see it (shifted when test_clock is on). */
long long router_now(const struct router *r);
typedef void (*router_done_fn)(void *arg, int outcome, const char *first_reply);
int router_submit(struct router *r, const struct router_submission *sub, router_done_fn done,
                  void *arg);

#endif
