/* auth — may this SMS act in an official's name? The one place that checks
 * an official's PIN and one-time code, counts wrong ones and locks.
 *
 *   struct auth_step s = {.official = o, .mode = AUTH_PENDING, .pending = key, ...};
 *   auth_check(req, &s, on_allowed, arg);
 *      on_allowed(req, AUTH_OK, fields, arg)       go ahead; fields: what was pending
 *      on_allowed(req, AUTH_NOTHING, NULL, arg)    nothing pending (or not that one)
 *   Every refusal (no PIN, a wrong PIN or code, locked) is answered, logged
 *   and finished here: the callback is not called.
 *
 * A sender number proves little (anyone can set it at some SMSCs and bulk
 * services), so a command that changes something carries the official's
 * PIN, and an action with a wide effect is also confirmed with a one-time
 * code the gateway sent *to* the registered number, which a forger does not
 * receive. The PIN never reaches here in clear: the modem worker took the
 * "PIN nnnn" words out of the text and left their salted digest on the
 * message (gateway/pin.h, request_pin); here it is compared in constant time
 * with the configured one.
 *
 * Whether it was right is then settled in one Redis step (kt_auth), so that
 * every gateway sharing the Redis counts the same: wrong PINs and codes are
 * counted per official over pin_window seconds; at pin_failures the official
 * is locked for pin_lockout seconds (the right PIN is refused too), what was
 * waiting for the official's confirmation is dropped, the coordinators get
 * one SMS, an operator's log line is written and the metrics count it. The
 * same step consumes the confirmed pending action, so a code works once even
 * when two gateways read two confirmations at the same time, and it records
 * its result under the inbound message's id, so a message read again after a
 * crash gets the same answer and counts once. A PIN or code that is missing
 * is refused without counting: it is no guess. */
#ifndef KT_AUTH_H
#define KT_AUTH_H

#include "handlers/handler.h"

struct official;

enum auth_mode {
    AUTH_COMMAND, /* a command acting at once (TERIMA, ...): the PIN only */
    AUTH_PENDING, /* confirms what waits under pending: PIN, and its code if it has one */
    AUTH_DROP,    /* drops what waits under pending: PIN only */
};

enum auth_result { AUTH_OK, AUTH_NOTHING };

struct auth_step {
    const struct official *official;
    enum auth_mode mode;
    const char *pending;     /* hash waiting for confirmation (AUTH_PENDING, AUTH_DROP) */
    const char *match_field; /* the pending hash must hold match_value here (NULL: any) */
    const char *match_value;
    const char *code;    /* the one-time code the official typed ("" none) */
    const char *purpose; /* what the code was made for (pin_code_digest) */
    const char *usage;   /* how to write the command, for the refusal */
};

/* Runs fn once the official is allowed (see above). step's strings are read
 * during the call, except usage, which must live as long as the request.
 * fields is the reply of
 * HGETALL on what was pending (AUTH_PENDING, AUTH_DROP), valid during fn. */
typedef void (*auth_fn)(struct request *req, enum auth_result res, struct redisReply *fields,
                        void *arg);
void auth_check(struct request *req, const struct auth_step *step, auth_fn fn, void *arg);

/* The key of what waits for an official's confirmation: kind "siar" or
 * "batal", for the official's number. */
void auth_pending_key(const char *kind, const char *phone, char *out, size_t len);

#endif
