/* events — see events.h. The table is the one place an event type is bound
 * to its handler. */
#include "handlers/events.h"

#include "handlers/complaint.h"

const struct event_handler event_table[] = {
    {"deadline", complaint_deadline},
    {NULL, NULL},
};
