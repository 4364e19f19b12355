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

typedef void (*handler_fn)(struct request *req, const struct kw_match *match);

/* Normalised sender number ("628..."). */
const char *request_sender(const struct request *req);
/* The message text, valid UTF-8. */
const char *request_text(const struct request *req);
/* "sms" for now. */
const char *request_channel(const struct request *req);
/* Name of the modem the message came in on ("" if none). */
const char *request_modem(const struct request *req);
/* Unix time in seconds the router sees as now (injectable in tests). */
long long request_now(const struct request *req);

/* Queues text (UTF-8, copied) as a reply to the sender. Returns 0, or -1 when
 * the request already holds its maximum number of replies. */
int request_reply(struct request *req, const char *text);
/* Queues text as a message to another number (e.g. an official). */
int request_send_to(struct request *req, const char *number, const char *text);
/* Marks the handler finished; see the recipe above. */
void request_done(struct request *req);

/* The gateway's async Redis connection, for handlers that need state. */
struct redisAsyncContext *request_redis(struct request *req);

#endif
