/* subscribe — see subscribe.h.
 *
 * Redis: kt:subs:desa:CODE and kt:subs:kec:CODE are sets of numbers;
 * kt:sub:NUMBER is the set of areas a number follows; kt:consent:NUMBER is a
 * stream of consent given and withdrawn. kt_subscribe / kt_unsubscribe
 * change all of them in one step. */
#include "handlers/subscribe.h"

#include "gateway/log.h"
#include "handlers/keyword.h"
#include "handlers/region.h"
#include "handlers/services.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAFTAR_HELP                                                                                \
    "Tulis: DAFTAR <nama desa> <kecamatan>, mis. DAFTAR Kalisalak Batang, atau DAFTAR kec "        \
    "Bandar. Berhenti: ketik BERHENTI"

struct area {
    char key[64];   /* desa:CODE or kec:CODE */
    char label[96]; /* for the reply */
};

static void subscribed(struct request *req, redisReply *r, void *arg)
{
    char *label = arg;
    char text[200];
    if (r->type != REDIS_REPLY_INTEGER) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_subscribe");
        return;
    }
    snprintf(text, sizeof(text),
             "%s: Anda %s menerima pengumuman Pemkab Batang untuk %s. Berhenti: ketik BERHENTI",
             r->integer ? "Terdaftar" : "Sudah terdaftar", r->integer ? "akan" : "sudah", label);
    request_reply(req, text);
    request_done(req);
}

/* The kecamatan's code: the first three parts of any of its desa codes
 * (33.25.01.2001 -> 33.25.01). */
static void ask_which(struct request *req, const struct region_db *db,
                      const struct region_match *rm)
{
    char text[320];
    int n = snprintf(text, sizeof(text), "Maksud Anda");
    for (int i = 0; i < rm->ncandidates && i < 4 && n > 0 && (size_t)n < sizeof(text); i++) {
        int c = rm->candidates[i];
        const char *sep = i == 0 ? ": " : " atau ";
        if (rm->candidate_kind[i] == REGION_KECAMATAN)
            n += snprintf(text + n, sizeof(text) - (size_t)n, "%skec %s", sep,
                          region_kecamatan_name(db, c));
        else
            n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%s %s", sep,
                          region_desa_name(db, c),
                          region_kecamatan_name(db, region_desa_kecamatan(db, c)));
    }
    if (n > 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, "? Kirim DAFTAR lagi seperti itu.");
    request_reply(req, text);
    request_done(req);
}

void subscribe_daftar(struct request *req, const struct kw_match *m)
{
    const struct services *svc = request_services(req);
    const struct region_db *db = svc->regions;
    if (m->args[0] == '\0' && request_hint(req, "desa")[0] == '\0') {
        request_reply(req, DAFTAR_HELP);
        request_done(req);
        return;
    }
    struct region_match rm;
    region_find(db, m->args, &rm);
    int hinted = region_desa_by_code(db, request_hint(req, "desa"));
    if (hinted >= 0) {
        rm.kind = REGION_DESA; /* chosen in a menu */
        rm.desa = hinted;
    }
    char key[64], code[REGION_CODE_MAX];
    char *label = request_own(req, malloc(128));
    if (label == NULL) {
        request_fail(req, "out of memory");
        return;
    }
    if (rm.kind == REGION_DESA) {
        int kec = region_desa_kecamatan(db, rm.desa);
        snprintf(key, sizeof(key), "desa:%s", region_desa_code(db, rm.desa));
        snprintf(label, 128, "%s %s, Kec. %s",
                 strcmp(region_desa_jenis(db, rm.desa), "kelurahan") == 0 ? "Kel." : "Desa",
                 region_desa_name(db, rm.desa), region_kecamatan_name(db, kec));
    } else if (rm.kind == REGION_KECAMATAN) {
        region_kecamatan_code(db, rm.kecamatan, code, sizeof(code));
        snprintf(key, sizeof(key), "kec:%s", code);
        snprintf(label, 128, "Kec. %s", region_kecamatan_name(db, rm.kecamatan));
    } else {
        if (rm.kind == REGION_AMBIGUOUS) {
            ask_which(req, db, &rm);
        } else {
            char text[320];
            snprintf(text, sizeof(text), "Desa/kecamatan tidak dikenal. %s", DAFTAR_HELP);
            request_reply(req, text);
            request_done(req);
        }
        return;
    }
    char now[24], subkey[64], areakey[96], consent[64];
    snprintf(now, sizeof(now), "%lld", request_now(req) * 1000);
    snprintf(subkey, sizeof(subkey), "kt:sub:%s", request_sender(req));
    snprintf(areakey, sizeof(areakey), "kt:subs:%s", key);
    snprintf(consent, sizeof(consent), "kt:consent:%s", request_sender(req));
    const char *argv[] = {"FCALL",        "kt_subscribe",      "3", subkey, areakey,
                          consent,        request_sender(req), key, now,    request_channel(req),
                          request_id(req)};
    request_redis_argv(req, subscribed, label, (int)(sizeof(argv) / sizeof(argv[0])), argv);
}

static void unsubscribed(struct request *req, redisReply *r, void *arg)
{
    if (r->type != REDIS_REPLY_INTEGER) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_unsubscribe");
        return;
    }
    char masked[32];
    log_info("event=unsubscribed id=%s from=%s areas=%lld", request_id(req),
             log_phone(request_sender(req), masked, sizeof(masked)), r->integer);
    request_reply(req, r->integer > 0
                           ? "Anda sudah berhenti menerima pengumuman Pemkab Batang. Daftar lagi: "
                             "DAFTAR <desa>"
                           : "Nomor Anda tidak terdaftar untuk pengumuman. Tidak ada yang perlu "
                             "dihentikan.");
    request_done(req);
}

void subscribe_berhenti(struct request *req, const struct kw_match *m)
{
    char now[24], subkey[64], consent[64], optout[64];
    snprintf(now, sizeof(now), "%lld", request_now(req) * 1000);
    snprintf(subkey, sizeof(subkey), "kt:sub:%s", request_sender(req));
    snprintf(consent, sizeof(consent), "kt:consent:%s", request_sender(req));
    snprintf(optout, sizeof(optout), "kt:optout:%s", request_sender(req));
    const char *argv[] = {"FCALL",
                          "kt_unsubscribe",
                          "3",
                          subkey,
                          consent,
                          optout,
                          request_sender(req),
                          now,
                          request_channel(req),
                          request_id(req)};
    request_redis_argv(req, unsubscribed, NULL, (int)(sizeof(argv) / sizeof(argv[0])), argv);
}
