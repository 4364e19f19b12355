/* api_broadcast — /api/broadcasts on the admin API (gateway/api.h):
 *
 *   POST /api/broadcasts             staff   create (201), or 400 with the reason
 *   GET  /api/broadcasts             staff   newest first, paginated
 *   GET  /api/broadcasts/ID          staff   one, with progress and failure reasons
 *   POST /api/broadcasts/ID/cancel   staff   stop it (409 when already over)
 *
 * Create body: {"text": "...", "parts": 1, "areas": ["kecamatan:Blado",
 * "desa:33.25.03.2001", "all"], "numbers": ["0812..."], "csv": "nomor\n0812...\n",
 * "emergency": false, "at": UNIX-SECONDS}. The work is gateway/broadcast.c's;
 * this file only translates. */
#include "gateway/api_broadcast.h"

#include "gateway/api.h"
#include "gateway/broadcast.h"
#include "gateway/csv.h"
#include "gateway/log.h"
#include "gateway/phone.h"
#include "gateway/reply.h"
#include "gateway/router.h"
#include "gateway/store.h"
#include "handlers/services.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AT_MAX_AHEAD (30 * 86400LL) /* a broadcast may be scheduled this far ahead */

/* ---- the JSON of a broadcast ---- */

static const char *const int_fields[] = {
    "id",   "parts",  "created", "at",        "started",   "finished",    "recipients", "queued",
    "sent", "failed", "expired", "cancelled", "delivered", "undelivered", NULL};

static int is_int_field(const char *name)
{
    for (const char *const *f = int_fields; *f; f++)
        if (strcmp(*f, name) == 0)
            return 1;
    return 0;
}

/* {hash flat list, fails flat list} -> JSON object */
static json_t *bc_json(const redisReply *pair)
{
    const redisReply *h = reply_at(pair, 0, REDIS_REPLY_ARRAY);
    const redisReply *f = reply_at(pair, 1, REDIS_REPLY_ARRAY);
    if (!reply_is_array(pair, 2) || h == NULL || f == NULL) {
        log_warnx("event=broadcast_read_failed error=\"%s\"", reply_why(pair));
        return NULL;
    }
    json_t *o = json_object(), *fails = json_object();
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        const char *k = reply_text_at(h, i), *v = reply_text_at(h, i + 1);
        if (k == NULL || v == NULL)
            continue;
        if (strcmp(k, "emergency") == 0)
            json_object_set_new(o, k, json_boolean(strcmp(v, "1") == 0));
        else if (is_int_field(k))
            json_object_set_new(o, k, json_integer(atoll(v)));
        else
            json_object_set_new(o, k, json_string(v));
    }
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        if (reply_text_at(f, i) && reply_text_at(f, i + 1))
            json_object_set_new(fails, reply_text_at(f, i),
                                json_integer(atoll(reply_text_at(f, i + 1))));
    json_object_set_new(o, "failures", fails);
    if (json_object_get(o, "delivered") == NULL)
        json_object_set_new(o, "delivered", json_integer(0));
    if (json_object_get(o, "undelivered") == NULL)
        json_object_set_new(o, "undelivered", json_integer(0));
    return o;
}

static redisAsyncContext *redis_of(struct api_call *c)
{
    redisAsyncContext *ac = router_redis(api_router(c));
    if (ac == NULL)
        api_error(c, 503, "Redis is not reachable; try again shortly");
    return ac;
}

/* ---- show ---- */

static void on_get(redisAsyncContext *ac, void *reply, void *priv)
{
    struct api_call *c = priv;
    redisReply *r = reply;
    if (r == NULL) {
        api_error(c, 503, "Redis went away; try again shortly");
        return;
    }
    if (r->type == REDIS_REPLY_NIL) {
        api_error(c, 404, "no broadcast %s", api_arg(c, 0));
        return;
    }
    json_t *o = r->type == REDIS_REPLY_ARRAY ? bc_json(r) : NULL;
    if (o == NULL) {
        api_error(c, 500, "unexpected answer from Redis");
        return;
    }
    api_reply(c, 200, o);
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 12 && strspn(s, "0123456789") == n;
}

static void get_one(struct api_call *c, const char *id)
{
    redisAsyncContext *ac = redis_of(c);
    if (ac == NULL)
        return;
    const char *argv[] = {"FCALL", "kt_bc_get", "0", id};
    if (redisAsyncCommandArgv(ac, on_get, c, 4, argv, NULL) != REDIS_OK)
        api_error(c, 503, "Redis is not reachable; try again shortly");
}

static void show(void *arg, struct api_call *c)
{
    if (!valid_id(api_arg(c, 0))) {
        api_error(c, 404, "no broadcast %s", api_arg(c, 0));
        return;
    }
    get_one(c, api_arg(c, 0));
}

/* ---- list ---- */

static void on_list(redisAsyncContext *ac, void *reply, void *priv)
{
    struct api_call *c = priv;
    redisReply *r = reply;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_INTEGER) {
        if (r)
            log_warnx("event=broadcast_list_failed error=\"%s\"", reply_why(r));
        api_error(c, 503, "Redis went away; try again shortly");
        return;
    }
    long offset, limit;
    api_page(c, &offset, &limit); /* parsed once already in list() */
    json_t *items = json_array();
    for (size_t i = 1; i < r->elements; i++) {
        json_t *o = bc_json(r->element[i]);
        if (o)
            json_array_append_new(items, o);
    }
    api_reply(c, 200,
              json_pack("{s:o, s:I, s:i, s:i}", "items", items, "total",
                        (json_int_t)r->element[0]->integer, "offset", (int)offset, "limit",
                        (int)limit));
}

static void list(void *arg, struct api_call *c)
{
    long offset, limit;
    if (api_page(c, &offset, &limit) != 0)
        return;
    redisAsyncContext *ac = redis_of(c);
    if (ac == NULL)
        return;
    char off[24], lim[24];
    snprintf(off, sizeof(off), "%ld", offset);
    snprintf(lim, sizeof(lim), "%ld", limit);
    const char *argv[] = {"FCALL", "kt_bc_list", "1", "kt:bcs", off, lim};
    if (redisAsyncCommandArgv(ac, on_list, c, 6, argv, NULL) != REDIS_OK)
        api_error(c, 503, "Redis is not reachable; try again shortly");
}

/* ---- cancel ---- */

static void on_cancel(redisAsyncContext *ac, void *reply, void *priv)
{
    struct api_call *c = priv;
    redisReply *r = reply;
    if (r == NULL) {
        api_error(c, 503, "Redis went away; try again shortly");
        return;
    }
    if (r->type == REDIS_REPLY_NIL) {
        api_error(c, 404, "no broadcast %s", api_arg(c, 0));
        return;
    }
    if (r->type != REDIS_REPLY_STRING) {
        api_error(c, 500, "unexpected answer from Redis");
        return;
    }
    if (strcmp(r->str, "done") == 0 || strcmp(r->str, "cancelled") == 0) {
        api_error(c, 409, "broadcast %s is already %s", api_arg(c, 0), r->str);
        return;
    }
    log_info("event=broadcast_cancelled id=%s by=api:%s", api_arg(c, 0), api_token_name(c));
    get_one(c, api_arg(c, 0));
}

static void cancel(void *arg, struct api_call *c)
{
    const char *id = api_arg(c, 0);
    if (!valid_id(id)) {
        api_error(c, 404, "no broadcast %s", id);
        return;
    }
    redisAsyncContext *ac = redis_of(c);
    if (ac == NULL)
        return;
    char key[48], now[24];
    snprintf(key, sizeof(key), "kt:bc:%s", id);
    snprintf(now, sizeof(now), "%lld", router_now(api_router(c)));
    const char *argv[] = {"FCALL",         "kt_bc_cancel", "4", key, "kt:bc:active",
                          STORE_OUT_EMERG, STORE_OUT_BULK, now, id,  STORE_OUT_GROUP};
    if (redisAsyncCommandArgv(ac, on_cancel, c, 10, argv, NULL) != REDIS_OK)
        api_error(c, 503, "Redis is not reachable; try again shortly");
}

/* ---- create ---- */

struct create {
    struct api_call *call;
    char text[BROADCAST_TEXT_MAX + 64];
    char label[256];
    char keys[BROADCAST_AREAS_MAX][64];
    int nkeys;
    char **numbers;
    int nnumbers;
    int parts;
    const char *coding;
    int emergency;
};

static void create_free(struct create *cr)
{
    for (int i = 0; i < cr->nnumbers; i++)
        free(cr->numbers[i]);
    free(cr->numbers);
    free(cr);
}

static void on_created(redisAsyncContext *ac, void *reply, void *priv)
{
    struct create *cr = priv;
    struct api_call *c = cr->call;
    redisReply *r = reply;
    if (!reply_is_array(r, 3) || !reply_at(r, 0, REDIS_REPLY_INTEGER) ||
        !reply_at(r, 1, REDIS_REPLY_INTEGER)) {
        if (r)
            log_error("event=broadcast_create_failed error=\"%s\"", reply_why(r));
        api_error(c, r == NULL ? 503 : 500, "%s",
                  r && r->type == REDIS_REPLY_ERROR ? r->str
                  : r                               ? "unexpected answer from Redis; see the log"
                                                    : "Redis went away; nothing created");
        create_free(cr);
        return;
    }
    long long id = reply_int_at(r, 0, 0), n = reply_int_at(r, 1, 0);
    log_info("event=broadcast_created id=%lld by=api:%s channel=api recipients=%lld emergency=%d",
             id, api_token_name(c), n, cr->emergency);
    api_reply(c, 201,
              json_pack("{s:I, s:I, s:i, s:s, s:s, s:b, s:s}", "id", (json_int_t)id, "recipients",
                        (json_int_t)n, "parts", cr->parts, "coding", cr->coding, "status",
                        n == 0 ? "done" : "scheduled", "emergency", cr->emergency, "audience",
                        cr->label));
    create_free(cr);
}

static int add_number(struct create *cr, const char *raw, char *err, size_t errlen)
{
    char num[32];
    if (phone_normalise(raw, num, sizeof(num)) != PHONE_MOBILE) {
        snprintf(err, errlen, "'%.40s' is not an Indonesian mobile number", raw);
        return -1;
    }
    if (cr->nnumbers >= BROADCAST_NUMBERS_MAX) {
        snprintf(err, errlen, "too many numbers (at most %d)", BROADCAST_NUMBERS_MAX);
        return -1;
    }
    if ((cr->nnumbers & (cr->nnumbers - 1)) == 0) {
        char **more =
            realloc(cr->numbers, sizeof(char *) * (size_t)(cr->nnumbers ? cr->nnumbers * 2 : 1));
        if (more == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        cr->numbers = more;
    }
    if ((cr->numbers[cr->nnumbers] = strdup(num)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    cr->nnumbers++;
    return 0;
}

/* The first column of each row; a first row whose first field holds no
 * digit is a header. */
static int add_csv(struct create *cr, const char *text, char *err, size_t errlen)
{
    struct csv csv;
    const char *fields[CSV_FIELDS_MAX];
    char why[256];
    int n;
    csv_init(&csv, text, strlen(text));
    while ((n = csv_row(&csv, fields, CSV_FIELDS_MAX, why, sizeof(why))) > 0) {
        if (csv.line == 1 && strpbrk(fields[0], "0123456789") == NULL)
            continue;
        if (add_number(cr, fields[0], why, sizeof(why)) != 0) {
            snprintf(err, errlen, "csv line %d: %s", csv.line, why);
            return -1;
        }
    }
    if (n < 0) {
        snprintf(err, errlen, "csv: %s", why);
        return -1;
    }
    return 0;
}

/* Reads and checks the body into cr; 0, or -1 with the reason. */
static int parse_create(struct api_call *c, json_t *body, struct create *cr, long long *at,
                        char *err, size_t errlen)
{
    json_t *text = json_object_get(body, "text"), *parts = json_object_get(body, "parts");
    json_t *areas = json_object_get(body, "areas"), *numbers = json_object_get(body, "numbers");
    json_t *csvtext = json_object_get(body, "csv"), *emergency = json_object_get(body, "emergency");
    json_t *when = json_object_get(body, "at");
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        static const char *const known[] = {"text", "parts",     "areas", "numbers",
                                            "csv",  "emergency", "at",    NULL};
        int ok = 0;
        for (const char *const *k = known; *k; k++)
            ok |= strcmp(*k, key) == 0;
        if (!ok) {
            snprintf(err, errlen, "unknown field '%s'", key);
            return -1;
        }
    }
    if (!json_is_string(text)) {
        snprintf(err, errlen, "'text' (a string) is required");
        return -1;
    }
    if (parts && (!json_is_integer(parts) || json_integer_value(parts) < 1 ||
                  json_integer_value(parts) > BROADCAST_PARTS_MAX)) {
        snprintf(err, errlen, "'parts' must be an integer from 1 to %d", BROADCAST_PARTS_MAX);
        return -1;
    }
    if (emergency && !json_is_boolean(emergency)) {
        snprintf(err, errlen, "'emergency' must be true or false");
        return -1;
    }
    cr->emergency = json_is_true(emergency);
    long long now = router_now(api_router(c));
    *at = 0;
    if (when && !json_is_null(when)) {
        if (!json_is_integer(when)) {
            snprintf(err, errlen, "'at' must be a time in unix seconds");
            return -1;
        }
        *at = json_integer_value(when);
        if (*at > now + AT_MAX_AHEAD) {
            snprintf(err, errlen, "'at' is more than 30 days ahead");
            return -1;
        }
    }
    if ((areas && !json_is_array(areas)) || (numbers && !json_is_array(numbers)) ||
        (csvtext && !json_is_string(csvtext))) {
        snprintf(err, errlen, "'areas' and 'numbers' must be arrays of strings, 'csv' a string");
        return -1;
    }
    char spec[4096] = "";
    size_t i;
    json_array_foreach(areas, i, value)
    {
        if (!json_is_string(value) ||
            strlen(spec) + json_string_length(value) + 2 >= sizeof(spec)) {
            snprintf(err, errlen, "'areas' must be strings (at most %zu bytes in all)",
                     sizeof(spec) - 2);
            return -1;
        }
        if (strchr(json_string_value(value), ',')) {
            snprintf(err, errlen, "one area per entry of 'areas'");
            return -1;
        }
        snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), "%s%s", spec[0] ? "," : "",
                 json_string_value(value));
    }
    if (spec[0]) {
        char why[256];
        cr->nkeys =
            broadcast_areas(router_services(api_router(c)), spec, cr->keys, BROADCAST_AREAS_MAX,
                            cr->label, sizeof(cr->label), why, sizeof(why));
        if (cr->nkeys < 0) {
            snprintf(err, errlen, "areas: %s", why);
            return -1;
        }
    }
    json_array_foreach(numbers, i, value)
    {
        char why[128];
        if (!json_is_string(value)) {
            snprintf(err, errlen, "numbers[%zu] is not a string", i);
            return -1;
        }
        if (add_number(cr, json_string_value(value), why, sizeof(why)) != 0) {
            snprintf(err, errlen, "numbers[%zu]: %s", i, why);
            return -1;
        }
    }
    if (csvtext && add_csv(cr, json_string_value(csvtext), err, errlen) != 0)
        return -1;
    if (cr->nkeys == 0 && cr->nnumbers == 0) {
        snprintf(err, errlen, "no audience: give 'areas', 'numbers' or 'csv'");
        return -1;
    }
    if (cr->nnumbers) {
        size_t used = strlen(cr->label);
        snprintf(cr->label + used, sizeof(cr->label) - used, "%s%d nomor", used ? ", " : "",
                 cr->nnumbers);
    }
    cr->parts =
        broadcast_compose(json_string_value(text), parts ? (int)json_integer_value(parts) : 1,
                          cr->text, sizeof(cr->text), &cr->coding, err, errlen);
    return cr->parts < 0 ? -1 : 0;
}

static void create(void *arg, struct api_call *c)
{
    json_t *body = api_json(c);
    if (body == NULL)
        return;
    struct create *cr = calloc(1, sizeof(*cr));
    char err[512];
    long long at;
    if (cr == NULL) {
        api_error(c, 503, "out of memory");
        return;
    }
    cr->call = c;
    if (parse_create(c, body, cr, &at, err, sizeof(err)) != 0) {
        api_error(c, 400, "%s", err);
        create_free(cr);
        return;
    }
    redisAsyncContext *ac = redis_of(c);
    if (ac == NULL) {
        create_free(cr);
        return;
    }
    char actor[64];
    snprintf(actor, sizeof(actor), "api:%s", api_token_name(c));
    struct broadcast_spec spec = {
        .text = cr->text,
        .parts = cr->parts,
        .coding = cr->coding,
        .emergency = cr->emergency,
        .at = at,
        .now = router_now(api_router(c)),
        .actor = actor,
        .label = cr->label,
        .idem = "",
        .keys = cr->keys,
        .nkeys = cr->nkeys,
        .numbers = (const char *const *)cr->numbers,
        .nnumbers = cr->nnumbers,
    };
    const char **argv;
    int argc = broadcast_create_argv(&spec, &argv);
    if (argc < 0) {
        api_error(c, 503, "out of memory");
        create_free(cr);
        return;
    }
    if (redisAsyncCommandArgv(ac, on_created, cr, argc, argv, NULL) != REDIS_OK) {
        api_error(c, 503, "Redis is not reachable; try again shortly");
        create_free(cr);
    }
    free(argv);
}

int api_broadcast_routes(struct api *a)
{
    if (api_route(a, "POST", "/api/broadcasts", API_STAFF, create, NULL) != 0 ||
        api_route(a, "GET", "/api/broadcasts", API_STAFF, list, NULL) != 0 ||
        api_route(a, "GET", "/api/broadcasts/*", API_STAFF, show, NULL) != 0 ||
        api_route(a, "POST", "/api/broadcasts/*/cancel", API_STAFF, cancel, NULL) != 0)
        return -1;
    return 0;
}
