/* siar — broadcasts by SMS from a registered staff number (see siar.h).
 *
 *   SIAR <area> <text>            asks for confirmation, tells how many it reaches
 *   SIAR DARURAT <area> <text>    the same, as an emergency (quiet hours do not apply)
 *   YA [PIN]                      sends what is waiting (10 minutes)
 *   BATAL                         drops what is waiting
 *   BATAL <number>                cancels a running broadcast
 *
 * <area>: SEMUA; a desa or kecamatan named first ("Blado ...", "desa
 * Kalisalak kec Batang ..."); or, exactly, "desa:KODE", "kecamatan:NAMA",
 * several joined by commas; "<area>#<text>" separates them explicitly.
 * What waits for YA lives in kt:siar:NUMBER (a hash, 10 minutes). */
#include "handlers/siar.h"

#include "gateway/broadcast.h"
#include "gateway/log.h"
#include "gateway/reply.h"
#include "gateway/store.h"
#include "handlers/keyword.h"
#include "handlers/region.h"
#include "handlers/services.h"

#include <ctype.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIAR_PARTS   3   /* SMS parts a broadcast by SMS may take */
#define SIAR_WAIT    600 /* seconds a SIAR waits for YA */
#define SIAR_HELP    "Format: SIAR <desa/kecamatan/SEMUA> <isi pengumuman>"
#define NOT_ALLOWED  "Maaf, SIAR hanya untuk petugas terdaftar."
#define NOTHING_WAIT "Tidak ada siaran yang menunggu konfirmasi. " SIAR_HELP

struct siar {
    char spec[256];
    char label[160];
    char text[BROADCAST_TEXT_MAX + 64];
    const char *coding;
    int parts;
    int emergency;
    char key[48]; /* kt:siar:NUMBER */
    char areas[BROADCAST_AREAS_MAX][64];
    int nareas;
};

static const struct official *staff(struct request *req)
{
    const struct official *o = services_official(request_services(req), request_sender(req));
    if (o && (o->role == ROLE_STAFF || o->role == ROLE_COORDINATOR || o->role == ROLE_SEKDA))
        return o;
    return NULL;
}

static struct siar *siar_new(struct request *req)
{
    struct siar *s = request_own(req, calloc(1, sizeof(struct siar)));
    if (s == NULL)
        request_fail(req, "out of memory");
    else
        snprintf(s->key, sizeof(s->key), "kt:siar:%s", request_sender(req));
    return s;
}

static void say(struct request *req, const char *text)
{
    request_reply(req, text);
    request_done(req);
}

/* Splits "<area> <text>" into an audience spec and the text; 0 or -1 with
 * the reason in why (an SMS sentence). */
static int split_area(const struct services *svc, const char *args, char *spec, size_t speclen,
                      const char **text, char *why, size_t whylen)
{
    const char *hash = strchr(args, '#');
    size_t first = strcspn(args, " \t\n");
    if (hash) {
        snprintf(spec, speclen, "%.*s", (int)(hash - args), args);
        *text = hash + 1;
    } else if ((first == 5 && strncasecmp(args, "SEMUA", 5) == 0) ||
               (first == 3 && strncasecmp(args, "ALL", 3) == 0)) {
        snprintf(spec, speclen, "all");
        *text = args + first;
    } else if (memchr(args, ':', first)) {
        snprintf(spec, speclen, "%.*s", (int)first, args);
        *text = args + first;
    } else {
        /* The place is named first: the longest run of leading words that
         * names one place and nothing else (places named later in the
         * announcement are its text). */
        struct region_match m = {.kind = REGION_NONE}, t;
        char prefix[256];
        size_t at = 0;
        for (int words = 0; words < 5 && args[at]; words++) {
            at += strspn(args + at, " \t\n");
            at += strcspn(args + at, " \t\n");
            if (at >= sizeof(prefix))
                break;
            snprintf(prefix, sizeof(prefix), "%.*s", (int)at, args);
            region_find(svc->regions, prefix, &t);
            if (t.kind != REGION_NONE && t.end == at)
                m = t;
        }
        if (m.kind == REGION_NONE || m.start > 5) {
            snprintf(why, whylen, "Sebutkan desa/kecamatan di awal. %s", SIAR_HELP);
            return -1;
        }
        if (m.kind == REGION_AMBIGUOUS && m.kecamatan >= 0)
            m.kind = REGION_KECAMATAN; /* "Blado": the kecamatan (and its desa Blado) */
        if (m.kind == REGION_AMBIGUOUS) {
            snprintf(why, whylen,
                     "Nama tempat itu ada lebih dari satu. Tulis desa:KODE atau "
                     "kecamatan:NAMA, contoh: SIAR kecamatan:Blado <isi>");
            return -1;
        }
        if (m.kind == REGION_DESA)
            snprintf(spec, speclen, "desa:%s", region_desa_code(svc->regions, m.desa));
        else
            snprintf(spec, speclen, "kecamatan:%s",
                     region_kecamatan_name(svc->regions, m.kecamatan));
        *text = args + m.end;
    }
    while (**text && (isspace((unsigned char)**text) || strchr(":,.-", **text)))
        (*text)++;
    if (**text == '\0') {
        snprintf(why, whylen, "Isi pengumuman kosong. %s", SIAR_HELP);
        return -1;
    }
    return 0;
}

static void on_saved(struct request *req, redisReply *r, void *arg)
{
    if (r->type == REDIS_REPLY_ERROR) {
        request_fail(req, r->str);
        return;
    }
    request_done(req);
}

static void on_stored(struct request *req, redisReply *r, void *arg)
{
    struct siar *s = arg;
    char wait[16];
    if (r->type == REDIS_REPLY_ERROR) {
        request_fail(req, r->str);
        return;
    }
    snprintf(wait, sizeof(wait), "%d", SIAR_WAIT);
    const char *argv[] = {"EXPIRE", s->key, wait};
    request_redis_argv(req, on_saved, s, 3, argv);
}

static void on_counted(struct request *req, redisReply *r, void *arg)
{
    struct siar *s = arg;
    if (r->type != REDIS_REPLY_INTEGER) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_bc_audience");
        return;
    }
    char reply[480], parts[8], emergency[4];
    snprintf(reply, sizeof(reply),
             "%s ke %s: %lld penerima, %d SMS/penerima. Isi: \"%.60s%s\". Balas YA untuk "
             "mengirim atau BATAL. Berlaku 10 menit.",
             s->emergency ? "SIAR DARURAT" : "SIAR", s->label, r->integer, s->parts, s->text,
             strlen(s->text) > 60 ? "..." : "");
    request_reply(req, reply);
    snprintf(parts, sizeof(parts), "%d", s->parts);
    snprintf(emergency, sizeof(emergency), "%d", s->emergency);
    /* every field, every time: a later SIAR replaces the one waiting */
    const char *argv[] = {"HSET",  s->key,  "spec", s->spec,  "label",   s->label,    "text",
                          s->text, "parts", parts,  "coding", s->coding, "emergency", emergency};
    request_redis_argv(req, on_stored, s, 14, argv);
}

void siar_handler(struct request *req, const struct kw_match *m)
{
    if (staff(req) == NULL) {
        kw_unknown(req, m); /* residents never learn of the command */
        return;
    }
    const struct services *svc = request_services(req);
    struct siar *s = siar_new(req);
    if (s == NULL)
        return;
    const char *args = m->args, *text;
    char why[320];
    if (strncasecmp(args, "DARURAT", 7) == 0 &&
        (args[7] == '\0' || isspace((unsigned char)args[7]))) {
        s->emergency = 1;
        args += 7;
        while (isspace((unsigned char)*args))
            args++;
    }
    if (*args == '\0') {
        say(req, SIAR_HELP);
        return;
    }
    if (split_area(svc, args, s->spec, sizeof(s->spec), &text, why, sizeof(why)) != 0) {
        say(req, why);
        return;
    }
    s->nareas = broadcast_areas(svc, s->spec, s->areas, BROADCAST_AREAS_MAX, s->label,
                                sizeof(s->label), why, sizeof(why));
    if (s->nareas < 0) {
        char reply[480];
        snprintf(reply, sizeof(reply), "Tujuan siaran tidak dikenal (%s). %s", why, SIAR_HELP);
        say(req, reply);
        return;
    }
    s->parts =
        broadcast_compose(text, SIAR_PARTS, s->text, sizeof(s->text), &s->coding, why, sizeof(why));
    if (s->parts < 0) {
        char reply[480];
        snprintf(reply, sizeof(reply), "Pengumuman terlalu panjang: paling banyak %d SMS (%s).",
                 SIAR_PARTS, why);
        say(req, reply);
        return;
    }
    const char *argv[3 + BROADCAST_AREAS_MAX];
    int argc = 0;
    argv[argc++] = "FCALL";
    argv[argc++] = "kt_bc_audience";
    char nkeys[16];
    snprintf(nkeys, sizeof(nkeys), "%d", s->nareas);
    argv[argc++] = nkeys;
    for (int i = 0; i < s->nareas; i++)
        argv[argc++] = s->areas[i];
    request_redis_argv(req, on_counted, s, argc, argv);
}

/* ---- YA ---- */

static void on_created(struct request *req, redisReply *r, void *arg)
{
    struct siar *s = arg;
    if (!reply_is_array(r, 3) || !reply_at(r, 0, REDIS_REPLY_INTEGER) ||
        !reply_at(r, 1, REDIS_REPLY_INTEGER)) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_bc_create: unexpected reply");
        return;
    }
    long long id = reply_int_at(r, 0, 0), n = reply_int_at(r, 1, 0);
    char reply[320], masked[32];
    log_info("event=broadcast_created id=%lld by=%s channel=sms recipients=%lld emergency=%d", id,
             log_phone(request_sender(req), masked, sizeof(masked)), n, s->emergency);
    snprintf(reply, sizeof(reply),
             "Siaran #%lld ke %s dikirim ke %lld penerima%s. Untuk menghentikan: BATAL %lld", id,
             s->label, n, s->emergency ? " (darurat)" : "", id);
    request_reply(req, reply);
    const char *del[] = {"DEL", s->key};
    request_redis_argv(req, on_saved, s, 2, del);
}

static const char *field(redisReply *r, const char *name)
{
    return reply_field(r, name);
}

static void on_waiting(struct request *req, redisReply *r, void *arg)
{
    struct siar *s = arg;
    const struct official *o = staff(req);
    if (r->type != REDIS_REPLY_ARRAY) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "HGETALL");
        return;
    }
    if (r->elements == 0) {
        say(req, NOTHING_WAIT);
        return;
    }
    if (o->pin[0]) {
        const char *args = request_match(req)->args;
        char given[16] = "";
        size_t d = strcspn(args, "0123456789");
        snprintf(given, sizeof(given), "%.*s", (int)strspn(args + d, "0123456789"), args + d);
        if (strcmp(given, o->pin) != 0) {
            say(req, "PIN salah atau tidak ada. Balas: YA <PIN>");
            return;
        }
    }
    const struct services *svc = request_services(req);
    char why[320];
    snprintf(s->spec, sizeof(s->spec), "%s", field(r, "spec"));
    snprintf(s->text, sizeof(s->text), "%s", field(r, "text"));
    s->parts = atoi(field(r, "parts"));
    s->emergency = atoi(field(r, "emergency"));
    s->coding = strcmp(field(r, "coding"), "ucs2") == 0 ? "ucs2" : "gsm7";
    s->nareas = broadcast_areas(svc, s->spec, s->areas, BROADCAST_AREAS_MAX, s->label,
                                sizeof(s->label), why, sizeof(why));
    if (s->nareas < 0) {
        say(req, "Tujuan siaran tidak lagi dikenal. Kirim SIAR lagi.");
        return;
    }
    char actor[48], idem[96];
    snprintf(actor, sizeof(actor), "sms:%s", request_sender(req));
    snprintf(idem, sizeof(idem), "kt:bc:by-inbound:%s", request_id(req));
    struct broadcast_spec spec = {
        .text = s->text,
        .parts = s->parts,
        .coding = s->coding,
        .emergency = s->emergency,
        .now = request_now(req),
        .actor = actor,
        .label = s->label,
        .idem = idem,
        .keys = s->areas,
        .nkeys = s->nareas,
    };
    const char **argv;
    int argc = broadcast_create_argv(&spec, &argv);
    if (argc < 0) {
        request_fail(req, "out of memory");
        return;
    }
    request_redis_argv(req, on_created, s, argc, argv);
    free(argv);
}

void siar_ya(struct request *req, const struct kw_match *m)
{
    if (staff(req) == NULL) {
        kw_unknown(req, m);
        return;
    }
    struct siar *s = siar_new(req);
    if (s == NULL)
        return;
    const char *argv[] = {"HGETALL", s->key};
    request_redis_argv(req, on_waiting, s, 2, argv);
}

/* ---- BATAL ---- */

static void on_dropped(struct request *req, redisReply *r, void *arg)
{
    if (r->type != REDIS_REPLY_INTEGER) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "DEL");
        return;
    }
    say(req, r->integer ? "Siaran dibatalkan, tidak ada yang dikirim." : NOTHING_WAIT);
}

static void on_cancelled(struct request *req, redisReply *r, void *arg)
{
    const char *id = arg;
    char reply[200], masked[32];
    if (r->type == REDIS_REPLY_NIL)
        snprintf(reply, sizeof(reply), "Siaran #%s tidak ada.", id);
    else if (r->type != REDIS_REPLY_STRING) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_bc_cancel");
        return;
    } else if (strcmp(r->str, "done") == 0 || strcmp(r->str, "cancelled") == 0)
        snprintf(reply, sizeof(reply), "Siaran #%s sudah %s.", id,
                 strcmp(r->str, "done") == 0 ? "selesai" : "dibatalkan");
    else {
        snprintf(reply, sizeof(reply),
                 "Siaran #%s dihentikan. Yang belum diserahkan ke modem tidak dikirim.", id);
        log_info("event=broadcast_cancelled id=%s by=%s channel=sms", id,
                 log_phone(request_sender(req), masked, sizeof(masked)));
    }
    say(req, reply);
}

void siar_batal(struct request *req, const struct kw_match *m)
{
    if (staff(req) == NULL) {
        kw_unknown(req, m);
        return;
    }
    struct siar *s = siar_new(req);
    if (s == NULL)
        return;
    size_t digits = strspn(m->args, "0123456789");
    if (digits == 0 || digits > 12) {
        const char *argv[] = {"DEL", s->key};
        request_redis_argv(req, on_dropped, s, 2, argv);
        return;
    }
    char *id = request_own(req, strndup(m->args, digits));
    if (id == NULL) {
        request_fail(req, "out of memory");
        return;
    }
    char key[48], now[24];
    snprintf(key, sizeof(key), "kt:bc:%s", id);
    snprintf(now, sizeof(now), "%lld", request_now(req));
    const char *argv[] = {"FCALL",         "kt_bc_cancel", "4", key, "kt:bc:active",
                          STORE_OUT_EMERG, STORE_OUT_BULK, now, id,  STORE_OUT_GROUP};
    request_redis_argv(req, on_cancelled, id, 10, argv);
}
