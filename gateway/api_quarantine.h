/* api_quarantine — GET /api/quarantine on the admin API: the inbound SMS the modem workers
 * kept aside instead of answering (malformed PDUs, special messages); see api_quarantine.c. */
#ifndef KT_API_QUARANTINE_H
#define KT_API_QUARANTINE_H

struct api;

/* Adds the route; 0, or -1 when the API's route table is full. */
int api_quarantine_routes(struct api *a);

#endif
