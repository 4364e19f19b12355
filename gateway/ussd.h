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
 *
 * Trust: callers can be limited to source addresses and CIDR ranges
 * (ussd_allow) and to those presenting the aggregator's shared secret
 * (ussd_secret holds its SHA-256) in X-Kentongan-Secret or as
 * "Authorization: Bearer SECRET"; config_load refuses a listener off
 * loopback with neither. A refused caller gets 403, is counted
 * (kentongan_ussd_refused_total) and logged at most once a minute per
 * address. A leaf action passes the same per-number limits and reply budget
 * as an SMS (router_submit with limits); over them the resident gets an END
 * screen saying so, and no SMS. */
#ifndef KT_USSD_H
#define KT_USSD_H

#include <stddef.h>

struct router;
struct config;
struct ussd;
struct evhttp_request;

struct ussd *ussd_new(struct router *router, const struct config *cfg);
void ussd_set_config(struct ussd *u, const struct config *cfg);
void ussd_free(struct ussd *u);
/* The route handler (http_handler_fn). */
void ussd_handle(void *arg, struct evhttp_request *req);

#define USSD_BODY_MAX      4096 /* a USSD form is a few hundred bytes */
#define USSD_TEXT_MAX      1000 /* inputs so far, joined by '*' */
#define USSD_SESSION_MAX   128  /* bytes of a sessionId; a longer one is refused (400), never cut */
#define USSD_SECRET_HEADER "X-Kentongan-Secret"

/* One screen's form, checked: the session id (1-USSD_SESSION_MAX printable
 * ASCII characters other than space, '"' and '\\'), the caller's number
 * normalised (628...), the service code and the inputs so far (valid UTF-8;
 * control characters and bidi overrides removed). */
struct ussd_form {
    char session[USSD_SESSION_MAX + 1];
    char phone[24];
    char service[32];
    char text[USSD_TEXT_MAX + 1];
};
/* Parses an application/x-www-form-urlencoded body of len bytes (any
 * bytes). Returns NULL with f filled, or the END screen to answer (a clear
 * sentence for the resident) with *status the HTTP status to answer it
 * with: 200, or 400 for a request no aggregator should send (a session id
 * longer than USSD_SESSION_MAX). */
const char *ussd_parse_form(const char *body, size_t len, struct ussd_form *f, int *status);

#endif
