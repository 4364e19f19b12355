/* ussd — the endpoint an operator's (or aggregator's) USSD gateway calls for
 * every screen: POST /ussd, form-encoded sessionId, serviceCode,
 * phoneNumber, networkCode, text (every input of the session joined by '*'),
 * answered 200 text/plain "CON <screen>" (show and wait) or "END <screen>"
 * (show and close).
 *
 *   struct ussd *u = ussd_new(router, cfg);
 *   http_add_route(http, "/ussd", EVHTTP_REQ_POST, ussd_handle, u);
 *   ussd_set_config(u, cfg)   after a reload
 *   ussd_free(u)
 *
 * The menu is the one loaded with the services (handlers/menu.h; [gateway]
 * menu), replayed from the root over every input on each screen.
 *
 * Sessions live in Redis (kt:ussd:SESSION, ussd_session_ttl seconds after
 * the last screen), so any gateway sharing the Redis answers any screen.
 * Requests can be limited to source addresses (ussd_allow) and to callers
 * that present X-Kentongan-Secret (ussd_secret). */
#ifndef KT_USSD_H
#define KT_USSD_H

struct router;
struct config;
struct ussd;
struct evhttp_request;

struct ussd *ussd_new(struct router *router, const struct config *cfg);
void ussd_set_config(struct ussd *u, const struct config *cfg);
void ussd_free(struct ussd *u);
/* The route handler (http_handler_fn). */
void ussd_handle(void *arg, struct evhttp_request *req);

#endif
