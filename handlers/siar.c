/* siar — broadcasts by SMS from a registered staff number (see siar.h).
 *
 *   SIAR <area> <text>            asks for confirmation, tells how many it reaches
 *   SIAR DARURAT <area> <text>    the same, as an emergency (quiet hours do not apply)
 *   YA [code] PIN <pin>           sends what is waiting (10 minutes)
 *   BATAL PIN <pin>               drops what is waiting
 *   BATAL <number>                asks for the code that confirms a cancellation
 *   BATAL <number> <code> PIN <pin>   cancels a broadcast not yet finished
 *
 * Whoever may broadcast has a PIN (the configuration insists), and every
 * step that changes something carries it (handlers/auth.h checks it). A wide
 * broadcast (anything but one desa: a kecamatan, several areas, SEMUA) and
 * every emergency is confirmed with a one-time code as well, and so is every
 * cancellation: the code goes in the answer to the registered number, which
 * a forger of that number does not receive. Only its digest is kept (in the
 * waiting hash, field code), it works once (kt_auth moves the hash away)
 * and dies with the hash after 10 minutes.
 *
 * <area>: SEMUA; a desa or kecamatan named first ("Blado ...", "desa
 * Kalisalak kec Batang ..."); or, exactly, "desa:KODE", "kecamatan:NAMA",
 * several joined by commas; "<area>#<text>" separates them explicitly.
 * What waits for YA lives in kt:siar:NUMBER (a hash, 10 minutes). */
#include "handlers/siar.h"

#include "gateway/broadcast.h"
#include "gateway/log.h"
#include "gateway/pin.h"
#include "gateway/store.h"
#include "handlers/auth.h"
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
#define BATAL_WAIT   600 /* seconds a BATAL <id> waits for its code */

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
    char code[PIN_CODE_MAX];   /* the code typed (YA, BATAL <id> <code>) */
    char id[16];               /* BATAL <id> */
    char usage[96];            /* how to write the confirmation, for a refusal */
    const struct official *by; /* who asks */
};

/* Wide: anything but one desa, and every emergency; confirmed with a code. */
static int wide(const struct siar *s)
{
    return s->emergency || s->nareas != 1 || strncmp(s->areas[0], "kt:subs:desa:", 13) != 0;
}

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
    if (s == NULL) {
        request_fail(req, "out of memory");
        return NULL;
    }
    auth_pending_key("siar", request_sender(req), s->key, sizeof(s->key));
    s->by = staff(req);
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

static void on_counted(struct request *req, redisReply *r, void *arg)
{
    struct siar *s = arg;
    if (r->type != REDIS_REPLY_INTEGER) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_bc_audience");
        return;
    }
    char reply[480], parts[8], emergency[4], code[PIN_CODE_MAX] = "", digest[PIN_DIGEST_MAX] = "";
    char confirm[64];
    if (wide(s)) {
        if (pin_code_new(code) != 0) {
            request_fail(req, "no randomness for a confirmation code");
            return;
        }
        pin_code_digest(code, request_sender(req), "siar", digest);
        snprintf(confirm, sizeof(confirm), "YA %s PIN <pin>", code);
    } else {
        snprintf(confirm, sizeof(confirm), "YA PIN <pin>");
    }
    snprintf(reply, sizeof(reply),
             "%s ke %s: %lld penerima, %d SMS/penerima. Isi: \"%.60s%s\". Balas %s dalam 10 "
             "menit untuk mengirim, atau BATAL PIN <pin>.",
             s->emergency ? "SIAR DARURAT" : "SIAR", s->label, r->integer, s->parts, s->text,
             strlen(s->text) > 60 ? "..." : "", confirm);
    explicit_bzero(code, sizeof(code));
    request_reply(req, reply);
    snprintf(parts, sizeof(parts), "%d", s->parts);
    snprintf(emergency, sizeof(emergency), "%d", s->emergency);
    /* a later SIAR replaces the one waiting, and its code */
    char wait[16];
    snprintf(wait, sizeof(wait), "%d", SIAR_WAIT);
    const char *argv[] = {"FCALL",     "kt_pending_set", "1",     s->key,   wait,
                          "spec",      s->spec,          "label", s->label, "text",
                          s->text,     "parts",          parts,   "coding", s->coding,
                          "emergency", emergency,        "code",  digest};
    request_redis_argv(req, on_saved, s, (int)(sizeof(argv) / sizeof(argv[0])), argv);
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

/* The code an official typed: the first run of digits in args ("" none). */
static void code_of(const char *args, char *code, size_t len)
{
    size_t d = strcspn(args, "0123456789"), n = strspn(args + d, "0123456789");
    code[0] = '\0';
    if (n > 0 && n < len)
        snprintf(code, len, "%.*s", (int)n, args + d);
}

static void on_created(struct request *req, redisReply *r, void *arg)
{
    struct siar *s = arg;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_bc_create");
        return;
    }
    long long id = r->element[0]->integer, n = r->element[1]->integer;
    char reply[320], masked[32];
    log_info("event=broadcast_created id=%lld by=%s channel=sms recipients=%lld emergency=%d", id,
             log_phone(request_sender(req), masked, sizeof(masked)), n, s->emergency);
    snprintf(reply, sizeof(reply),
             "Siaran #%lld ke %s dikirim ke %lld penerima%s. Untuk menghentikan: BATAL %lld", id,
             s->label, n, s->emergency ? " (darurat)" : "", id);
    say(req, reply);
}

static const char *field(redisReply *r, const char *name)
{
    for (size_t i = 0; r && i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1]->str;
    return "";
}

/* YA with the right PIN (and code): what was waiting has been moved out of
 * the official's reach (kt_auth), so it is sent once. */
static void ya_allowed(struct request *req, enum auth_result res, redisReply *r, void *arg)
{
    struct siar *s = arg;
    if (res == AUTH_NOTHING) {
        say(req, NOTHING_WAIT);
        return;
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
    char *args = (char *)m->args; /* in the request's own buffer */
    pin_take(args, "", 0, NULL);
    code_of(args, s->code, sizeof(s->code));
    snprintf(s->usage, sizeof(s->usage), "Balas: YA PIN <pin>, atau YA <kode> PIN <pin>");
    struct auth_step step = {.official = s->by,
                             .mode = AUTH_PENDING,
                             .pending = s->key,
                             .code = s->code,
                             .purpose = "siar",
                             .usage = s->usage};
    auth_check(req, &step, ya_allowed, s);
}

/* ---- BATAL ---- */

static void batal_dropped(struct request *req, enum auth_result res, redisReply *r, void *arg)
{
    say(req, res == AUTH_OK ? "Siaran dibatalkan, tidak ada yang dikirim." : NOTHING_WAIT);
}

static void on_cancelled(struct request *req, redisReply *r, void *arg)
{
    struct siar *s = arg;
    char reply[200], masked[32];
    if (r->type == REDIS_REPLY_NIL)
        snprintf(reply, sizeof(reply), "Siaran #%s tidak ada.", s->id);
    else if (r->type != REDIS_REPLY_STRING) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_bc_cancel");
        return;
    } else if (strcmp(r->str, "done") == 0 || strcmp(r->str, "cancelled") == 0)
        snprintf(reply, sizeof(reply), "Siaran #%s sudah %s.", s->id,
                 strcmp(r->str, "done") == 0 ? "selesai" : "dibatalkan");
    else {
        snprintf(reply, sizeof(reply),
                 "Siaran #%s dihentikan. Yang belum diserahkan ke modem tidak dikirim.", s->id);
        log_info("event=broadcast_cancelled id=%s by=%s channel=sms", s->id,
                 log_phone(request_sender(req), masked, sizeof(masked)));
    }
    say(req, reply);
}

static void batal_allowed(struct request *req, enum auth_result res, redisReply *r, void *arg)
{
    struct siar *s = arg;
    if (res == AUTH_NOTHING) {
        char reply[200];
        snprintf(reply, sizeof(reply),
                 "Tidak ada pembatalan siaran #%s yang menunggu kode. Kirim dulu: BATAL %s", s->id,
                 s->id);
        say(req, reply);
        return;
    }
    char key[48], now[24];
    snprintf(key, sizeof(key), "kt:bc:%s", s->id);
    snprintf(now, sizeof(now), "%lld", request_now(req));
    const char *argv[] = {"FCALL",         "kt_bc_cancel", "4", key,   "kt:bc:active",
                          STORE_OUT_EMERG, STORE_OUT_BULK, now, s->id, STORE_OUT_GROUP};
    request_redis_argv(req, on_cancelled, s, 10, argv);
}

/* BATAL <id> without a code: a broadcast not yet finished gets a code, sent
 * to the registered number, that the cancellation must carry. */
static void on_batal_status(struct request *req, redisReply *r, void *arg)
{
    struct siar *s = arg;
    char reply[240], key[48], code[PIN_CODE_MAX], digest[PIN_DIGEST_MAX], ttl[16];
    if (r->type == REDIS_REPLY_ERROR) {
        request_fail(req, r->str);
        return;
    }
    if (r->type != REDIS_REPLY_STRING) {
        snprintf(reply, sizeof(reply), "Siaran #%s tidak ada.", s->id);
        say(req, reply);
        return;
    }
    if (strcmp(r->str, "done") == 0 || strcmp(r->str, "cancelled") == 0) {
        snprintf(reply, sizeof(reply), "Siaran #%s sudah %s.", s->id,
                 strcmp(r->str, "done") == 0 ? "selesai" : "dibatalkan");
        say(req, reply);
        return;
    }
    if (pin_code_new(code) != 0) {
        request_fail(req, "no randomness for a confirmation code");
        return;
    }
    char purpose[32];
    snprintf(purpose, sizeof(purpose), "batal:%s", s->id);
    pin_code_digest(code, request_sender(req), purpose, digest);
    snprintf(reply, sizeof(reply),
             "Untuk menghentikan siaran #%s balas: BATAL %s %s PIN <pin> dalam 10 menit.", s->id,
             s->id, code);
    explicit_bzero(code, sizeof(code));
    request_reply(req, reply);
    auth_pending_key("batal", request_sender(req), key, sizeof(key));
    snprintf(ttl, sizeof(ttl), "%d", BATAL_WAIT);
    /* one waiting cancellation per official: a new BATAL <id> replaces it */
    const char *argv[] = {"FCALL", "kt_pending_set", "1", key, ttl, "id", s->id, "code", digest};
    request_redis_argv(req, on_saved, s, 9, argv);
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
    char *args = (char *)m->args; /* in the request's own buffer */
    pin_take(args, "", 0, NULL);
    while (*args == ' ' || *args == '\t')
        args++;
    size_t digits = strspn(args, "0123456789");
    if (digits == 0 || digits >= sizeof(s->id)) {
        snprintf(s->usage, sizeof(s->usage), "Balas: BATAL PIN <pin>");
        struct auth_step step = {
            .official = s->by, .mode = AUTH_DROP, .pending = s->key, .usage = s->usage};
        auth_check(req, &step, batal_dropped, s);
        return;
    }
    snprintf(s->id, sizeof(s->id), "%.*s", (int)digits, args);
    code_of(args + digits, s->code, sizeof(s->code));
    if (s->code[0] == '\0') {
        char key[48];
        snprintf(key, sizeof(key), "kt:bc:%s", s->id);
        const char *argv[] = {"HGET", key, "status"};
        request_redis_argv(req, on_batal_status, s, 3, argv);
        return;
    }
    char key[48], purpose[32];
    auth_pending_key("batal", request_sender(req), key, sizeof(key));
    snprintf(purpose, sizeof(purpose), "batal:%s", s->id);
    snprintf(s->usage, sizeof(s->usage), "Balas: BATAL %s <kode> PIN <pin>", s->id);
    struct auth_step step = {.official = s->by,
                             .mode = AUTH_PENDING,
                             .pending = key,
                             .match_field = "id",
                             .match_value = s->id,
                             .code = s->code,
                             .purpose = purpose,
                             .usage = s->usage};
    auth_check(req, &step, batal_allowed, s);
}
