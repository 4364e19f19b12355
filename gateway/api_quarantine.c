/* api_quarantine — see api_quarantine.h.
 *
 *   GET /api/quarantine[?modem=NAME][&kind=KIND|special][&offset=N][&limit=N]   staff
 *     200 {"items": [{"id", "modem", "folder", "location", "kind", "reason", "error", "pdu",
 *                     "file", "from", "preview", "at"}], "total", "matched", "offset", "limit"}
 *     newest first; total is the length of kt:quarantine, matched how many fit the filter.
 *     400 a kind that is none of pdu_kind_name's names, "malformed" or "special".
 *
 * Entries come from the workers (modems/worker.c, kt_quarantine): pdu is the PDU hex as the
 * modem wrote it (SMSC prefix first; "" when unknown), file the dummy driver's file, preview
 * the start of a special message's decoded text. The workers store preview and file with
 * control characters written as \xNN and NIK/KK numbers masked; the preview is masked here
 * once more, so an entry written by an older worker never shows one whole. */
#include "gateway/api_quarantine.h"

#include "gateway/api.h"
#include "gateway/router.h"
#include "gateway/store.h"
#include "handlers/privacy.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_QUARANTINE_FIELD_MAX 4096 /* bytes of one field passed on */

static const char *const kinds[] = {"malformed", "special",   "flash",           "wap_push",
                                    "mms",       "voicemail", "message_waiting", "sim_download",
                                    "silent",    NULL};

static json_t *entry_json(const redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(e->element[0]->str));
    const redisReply *f = e->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        if (f->element[i]->type != REDIS_REPLY_STRING ||
            f->element[i + 1]->type != REDIS_REPLY_STRING)
            continue;
        const char *k = f->element[i]->str, *v = f->element[i + 1]->str;
        char buf[API_QUARANTINE_FIELD_MAX];
        if (strcmp(k, "preview") == 0) {
            privacy_mask(v, buf, sizeof(buf));
            v = buf;
        }
        if (strcmp(k, "folder") == 0 || strcmp(k, "location") == 0 || strcmp(k, "at") == 0)
            json_object_set_new(o, k, json_integer(atoll(v)));
        else
            json_object_set_new(o, k, json_stringn(v, strnlen(v, API_QUARANTINE_FIELD_MAX)));
    }
    return o;
}

static void on_list(redisAsyncContext *ac, void *reply, void *priv)
{
    struct api_call *c = priv;
    redisReply *r = reply;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
        api_error(c, 503, "Redis went away; try again shortly");
        return;
    }
    long offset, limit;
    api_page(c, &offset, &limit); /* parsed once already in list() */
    json_t *items = json_array();
    for (size_t i = 2; i < r->elements; i++) {
        json_t *o = entry_json(r->element[i]);
        if (o)
            json_array_append_new(items, o);
    }
    api_reply(c, 200,
              json_pack("{s:o, s:I, s:I, s:i, s:i}", "items", items, "total",
                        (json_int_t)r->element[0]->integer, "matched",
                        (json_int_t)r->element[1]->integer, "offset", (int)offset, "limit",
                        (int)limit));
}

static void list(void *arg, struct api_call *c)
{
    long offset, limit;
    if (api_page(c, &offset, &limit) != 0)
        return;
    const char *modem = api_query(c, "modem"), *kind = api_query(c, "kind");
    if (kind && kind[0]) {
        int known = 0;
        for (const char *const *k = kinds; *k; k++)
            known |= strcmp(*k, kind) == 0;
        if (!known) {
            api_error(c, 400, "kind must be malformed, special or a special kind");
            return;
        }
    }
    redisAsyncContext *ac = router_redis(api_router(c));
    if (ac == NULL) {
        api_error(c, 503, "Redis is not reachable; try again shortly");
        return;
    }
    char off[24], lim[24];
    snprintf(off, sizeof(off), "%ld", offset);
    snprintf(lim, sizeof(lim), "%ld", limit);
    const char *argv[] = {"FCALL",
                          "kt_quarantine_list",
                          "1",
                          STORE_QUARANTINE,
                          modem ? modem : "",
                          kind ? kind : "",
                          off,
                          lim};
    if (redisAsyncCommandArgv(ac, on_list, c, 8, argv, NULL) != REDIS_OK)
        api_error(c, 503, "Redis is not reachable; try again shortly");
}

int api_quarantine_routes(struct api *a)
{
    return api_route(a, "GET", "/api/quarantine", API_STAFF, list, NULL);
}
