/* api_modem — POST /api/modems/NAME/ussd on the admin API: a USSD code dialled through one
 * modem, answered with the network's text (see api_modem.c).
 *
 *   struct api_modem *m = api_modem_new(api, base);   adds the route
 *   ...
 *   api_modem_free(m);    after router_free: answers calls still waiting (503) */
#ifndef KT_API_MODEM_H
#define KT_API_MODEM_H

struct api;
struct event_base;
struct api_modem;

/* Adds the route; NULL when out of memory or the API's route table is full. */
struct api_modem *api_modem_new(struct api *a, struct event_base *base);
void api_modem_free(struct api_modem *m);

#endif
