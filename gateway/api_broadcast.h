/* api_broadcast — the /api/broadcasts routes of the admin API (create, list,
 * show, cancel); see api_broadcast.c for the JSON. */
#ifndef KT_API_BROADCAST_H
#define KT_API_BROADCAST_H

struct api;

/* Adds the routes; 0, or -1 when the API's route table is full. */
int api_broadcast_routes(struct api *a);

#endif
