/* api — the admin HTTP API under /api/ on the gateway's listener: JSON in
 * and out (jansson), bearer tokens from [token:NAME] sections (stored as
 * SHA-256 hashes, compared in constant time), one role per token.
 *
 *   struct api *a = api_new(http, router, cfg);     registers /api/ routes
 *   api_route(a, "POST", "/api/broadcasts", API_STAFF, fn, arg);
 *   api_route(a, "GET", "/api/broadcasts/" "*", API_STAFF, fn, arg);
 *   api_set_config(a, cfg);                          after a reload
 *   api_listen(a, http2);                            a reload moved the listener
 *   api_free(a);
 *
 * A route's pattern may end in "/x" segments that are "*": each "*" matches
 * one path segment, handed to the handler with api_arg(call, i). Routes are
 * tried in the order they were added. Authentication and role checks happen
 * before the handler runs; a handler only sees authorised calls.
 *
 * A handler answers exactly once, now or later from a callback, with
 * api_reply (takes the reference to doc) or api_error (a JSON body
 * {"error": message} with the status). Every call that changes something
 * (POST, DELETE) is logged by the API with the token's name and the answer's
 * status. */
#ifndef KT_API_H
#define KT_API_H

#include <stddef.h>

struct api;
struct api_call;
struct http;
struct router;
struct config;
typedef struct json_t json_t;

/* Roles, each allowed what the ones below it are. */
enum api_role { API_OFFICIAL = 1, API_STAFF = 2, API_ADMIN = 3 };

typedef void (*api_handler_fn)(void *arg, struct api_call *call);

struct api *api_new(struct http *h, struct router *r, const struct config *cfg);
void api_set_config(struct api *a, const struct config *cfg);
/* Registers the API (/api/, /metrics) on another listener, when a reload
 * opened a new one; 0, or -1 when its route table is full. */
int api_listen(struct api *a, struct http *h);
void api_free(struct api *a);
/* method "GET", "POST" or "DELETE"; 0, or -1 when the table is full. */
int api_route(struct api *a, const char *method, const char *pattern, enum api_role min_role,
              api_handler_fn fn, void *arg);

/* The i-th "*" segment of the path (URL-decoded); "" when absent. */
const char *api_arg(const struct api_call *c, int i);
/* A query parameter (URL-decoded), or NULL. */
const char *api_query(const struct api_call *c, const char *name);
/* offset and limit from the query (defaults 0 and 50, limit at most 500);
 * -1 after answering 400 when they do not parse. */
int api_page(struct api_call *c, long *offset, long *limit);
/* The request body parsed as a JSON object; NULL after answering 400 (or
 * 413) with the reason when it is not one. Owned by the call. */
json_t *api_json(struct api_call *c);
/* The raw body (e.g. a CSV upload) and its length; owned by the call. */
const char *api_body(struct api_call *c, size_t *len);
/* The token's name, role, and OPD (officials; "" otherwise). */
const char *api_token_name(const struct api_call *c);
enum api_role api_token_role(const struct api_call *c);
const char *api_token_opd(const struct api_call *c);
struct router *api_router(const struct api_call *c);
const struct config *api_config(const struct api_call *c);

/* Answers status with doc (reference stolen) and frees the call. */
void api_reply(struct api_call *c, int status, json_t *doc);
/* Answers status with {"error": printf-style message} and frees the call. */
void api_error(struct api_call *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
