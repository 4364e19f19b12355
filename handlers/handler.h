/* handler — the contract between the router and what the service does.
 *
 * The router turns each inbound message into a struct request, finds the
 * keyword (handlers/keyword.h) and calls its handler:
 *
 *   1. handler(req, match) runs on the event loop; it must not block.
 *   2. It calls request_reply() zero or more times (each call is one reply to
 *      the sender, split into SMS parts later by the modem worker).
 *   3. It calls request_done() exactly once, now or later from a callback
 *      (handlers that need Redis use request_redis() asynchronously).
 *
 * After request_done() the router queues all replies together with the
 * acknowledgement of the inbound message in one atomic step, keyed by the
 * inbound message id, so a crash never loses or doubles a reply. The request
 * is freed by the router; a handler must not touch it after request_done(). */
#ifndef KT_HANDLER_H
#define KT_HANDLER_H

#include <stddef.h>

struct request;
struct kw_match;
struct redisAsyncContext;
struct redisReply;
struct services;

typedef void (*handler_fn)(struct request *req, const struct kw_match *match);
/* Runs with a reply (possibly an error reply) to request_redis_argv. */
typedef void (*request_cb)(struct request *req, struct redisReply *reply, void *arg);

/* Normalised sender number ("628..."). */
const char *request_sender(const struct request *req);
/* The message text, valid UTF-8. */
const char *request_text(const struct request *req);
/* The salted digest of the "PIN nnnn" the modem worker took out of the text
 * (gateway/pin.h): "" when there was none, "split" when one straddled two
 * parts of a long SMS and could not be read. The PIN itself is never here. */
const char *request_pin(const struct request *req);
/* "sms", or "ussd" for a menu's leaf action. */
const char *request_channel(const struct request *req);
/* Name of the modem the message came in on ("" if none). */
const char *request_modem(const struct request *req);
/* Unix time in seconds the router sees as now (shifted by kt:clock:offset
 * when [gateway] test_clock is on, so tests can jump days ahead). */
long long request_now(const struct request *req);
/* The stream entry id of the message or event: the key for idempotency. */
const char *request_id(const struct request *req);
/* For events (kt:events): the type ("deadline", ...); "" for messages. */
const char *request_event(const struct request *req);
/* For events: a field of the entry, "" when absent. */
const char *request_field(const struct request *req, const char *name);
/* A choice already made elsewhere (a USSD menu): "category" (code), "desa"
 * (code), "kecamatan" (name); "" when absent, as for every SMS. */
const char *request_hint(const struct request *req, const char *name);
/* Records a hint for the handler about to run (the SMS menu hands over its
 * choices this way); 0 or -1. */
int request_set_hint(struct request *req, const char *name, const char *value);
/* The request's own keyword match, for a handler that runs another one. */
struct kw_match *request_match(struct request *req);
/* Loaded data and officials (handlers/services.h), as they were when the
 * message was read. */
const struct services *request_services(const struct request *req);
/* Hands ptr (from malloc) to the request, which frees it when it is freed,
 * whichever way it ends. Returns ptr, or NULL (ptr freed) when ptr is NULL
 * or the request holds too many. Handlers keep their state this way. */
void *request_own(struct request *req, void *ptr);

/* Queues text (UTF-8, copied) as a reply to the sender. Returns 0, or -1 when
 * the request already holds its maximum number of replies. */
int request_reply(struct request *req, const char *text);
/* Queues text as a message to another number (e.g. an official). */
int request_send_to(struct request *req, const char *number, const char *text);
/* Marks the handler finished; see the recipe above. */
void request_done(struct request *req);

/* Sends a command on the gateway's Redis connection for this request; cb
 * gets the reply, which is freed after cb returns. If the connection is lost
 * first, cb is not called and the request is released unacknowledged (it is
 * read again later). Returns 0, or -1 when the request was released. */
int request_redis_argv(struct request *req, request_cb cb, void *arg, int argc, const char **argv);
/* Gives up on a request without acknowledging it (logged with why): it is
 * read again later, by this gateway or another. Instead of request_done. */
void request_fail(struct request *req, const char *why);

/* The gateway's async Redis connection, for handlers that need state. */
struct redisAsyncContext *request_redis(struct request *req);

#endif
