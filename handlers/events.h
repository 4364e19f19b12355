/* events — handlers for internal events on the kt:events stream.
 *
 * Timers do not call handlers directly: when a deadline falls due, one
 * gateway (atomically, kt_due) moves it to kt:events, and the router treats
 * the event like an inbound message: one handler call, replies queued and
 * the event acknowledged in one step, exactly once across gateways. */
#ifndef KT_EVENTS_H
#define KT_EVENTS_H

#include "handlers/handler.h"

struct event_handler {
    const char *type;
    void (*fn)(struct request *req);
};

/* Terminated by an entry with type == NULL. */
extern const struct event_handler event_table[];

#endif
