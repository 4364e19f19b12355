/* auth — see auth.h. */
#include "handlers/auth.h"

#include "gateway/clock.h"

#include "gateway/log.h"
#include "gateway/pin.h"
#include "handlers/services.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTH_RESULT_TTL  (7 * 86400) /* s: a message read again meets its first answer */
#define AUTH_MAX_NOTICES 8           /* coordinators told of one lockout */
#define AUTH_NO_PENDING  "kt:none"   /* a key that is never written */

struct auth {
    struct auth_step step;
    auth_fn fn;
    void *arg;
    char pending[64], result[64], confirmed[64], failures[80], lock[80];
    char drop[2][64];
};

void auth_pending_key(const char *kind, const char *phone, char *out, size_t len)
{
    snprintf(out, len, "kt:%s:%s", kind, phone);
}

/* "14:35 WIB", or "09-12 14:35 WIB" when that is another day (WIB) than now. */
static void wib_time(long long at_ms, long long now, char *out, size_t len)
{
    long long at = at_ms / 1000;
    int same_day = (at + CLOCK_WIB_OFFSET) / 86400 == (now + CLOCK_WIB_OFFSET) / 86400;
    clock_wib_format(at, same_day ? "%H:%M WIB" : "%d-%m %H:%M WIB", out, len);
}

static void refuse(struct request *req, const char *text, const char *why)
{
    char masked[32];
    const struct official *o = services_official(request_services(req), request_sender(req));
    log_warnx("event=official_refused id=%s from=%s official=%s reason=%s", request_id(req),
              log_phone(request_sender(req), masked, sizeof(masked)), o ? o->name : "-", why);
    request_reply(req, text);
    request_done(req);
}

static void on_checked(struct request *req, redisReply *r, void *arg)
{
    struct auth *a = arg;
    const struct official *o = a->step.official;
    const struct services *svc = request_services(req);
    char text[320], when[32], masked[32];
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
        r->element[0]->type != REDIS_REPLY_STRING) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_auth");
        return;
    }
    const char *status = r->element[0]->str;
    long long until = r->element[1]->integer, failures = r->element[2]->integer;
    redisReply *fields = r->element[3];
    int with_code = a->step.mode == AUTH_PENDING;
    if (strcmp(status, "ok") == 0) {
        a->fn(req, AUTH_OK, fields, a->arg);
        return;
    }
    if (strcmp(status, "nothing") == 0) {
        a->fn(req, AUTH_NOTHING, NULL, a->arg);
        return;
    }
    if (strcmp(status, "nocode") == 0) {
        snprintf(text, sizeof(text), "Perlu kode konfirmasi yang dikirim ke nomor ini. %s",
                 a->step.usage);
        refuse(req, text, "no_code");
        return;
    }
    wib_time(until, request_now(req), when, sizeof(when));
    if (strcmp(status, "locked") == 0) {
        snprintf(text, sizeof(text),
                 "Nomor ini dikunci sampai %s karena PIN atau kode salah berulang kali. Perintah "
                 "tidak dijalankan.",
                 when);
        refuse(req, text, "locked");
        return;
    }
    if (strcmp(status, "lockout") == 0) {
        log_warnx("event=official_locked id=%s official=%s from=%s failures=%lld until_ms=%lld",
                  request_id(req), o->name, log_phone(o->phone, masked, sizeof(masked)), failures,
                  until);
        snprintf(text, sizeof(text),
                 "PIN atau kode salah %lld kali. Nomor ini dikunci sampai %s; perintah yang "
                 "menunggu konfirmasi dibatalkan.",
                 failures, when);
        request_reply(req, text);
        const struct official *c[AUTH_MAX_NOTICES];
        int n = services_officials(svc, -1, ROLE_COORDINATOR, c, AUTH_MAX_NOTICES);
        snprintf(text, sizeof(text),
                 "kentongan: PIN/kode petugas %s (%s) salah %lld kali; dikunci sampai %s. Bila "
                 "bukan dia yang mengirim, nomornya mungkin dipalsukan.",
                 o->name, services_role_name(o->role), failures, when);
        for (int i = 0; i < n; i++)
            request_send_to(req, c[i]->phone, text);
        if (n == 0)
            log_warnx("event=official_locked_unreported official=%s reason=no_coordinator",
                      o->name);
        request_done(req);
        return;
    }
    snprintf(text, sizeof(text), "%s. %s", with_code ? "PIN atau kode salah" : "PIN salah",
             a->step.usage);
    refuse(req, text, "wrong_pin");
}

void auth_check(struct request *req, const struct auth_step *step, auth_fn fn, void *arg)
{
    const struct official *o = step->official;
    const struct services *svc = request_services(req);
    const char *given = request_pin(req);
    char text[320];
    if (o->pin[0] && given[0] == '\0') {
        snprintf(text, sizeof(text), "PIN tidak ada. %s", step->usage);
        refuse(req, text, "no_pin");
        return;
    }
    if (o->pin[0] && strcmp(given, PIN_SPLIT) == 0) {
        refuse(req,
               "PIN terpotong di antara dua bagian SMS dan tidak terbaca. Tulis PIN di awal "
               "pesan, mis. PIN 1234 BALAS ...",
               "pin_split");
        return;
    }
    struct auth *a = request_own(req, calloc(1, sizeof(*a)));
    if (a == NULL) {
        request_fail(req, "out of memory");
        return;
    }
    a->step = *step;
    a->fn = fn;
    a->arg = arg;
    snprintf(a->pending, sizeof(a->pending), "%s",
             step->pending && step->mode != AUTH_COMMAND ? step->pending : AUTH_NO_PENDING);
    snprintf(a->result, sizeof(a->result), "kt:auth:%s", request_id(req));
    snprintf(a->confirmed, sizeof(a->confirmed), "kt:auth:ok:%s", request_id(req));
    snprintf(a->failures, sizeof(a->failures), "kt:pin:fail:%s", o->name);
    snprintf(a->lock, sizeof(a->lock), "kt:pin:lock:%s", o->name);
    auth_pending_key("siar", o->phone, a->drop[0], sizeof(a->drop[0]));
    auth_pending_key("batal", o->phone, a->drop[1], sizeof(a->drop[1]));

    int pin_ok = o->pin[0] == '\0' || pin_equal(given, o->pin);
    char code[PIN_DIGEST_MAX] = "";
    if (step->code && step->code[0])
        pin_code_digest(step->code, o->phone, step->purpose ? step->purpose : "", code);
    char now[24], max[16], window[24], lock[24], ttl[16];
    snprintf(now, sizeof(now), "%lld", request_now(req) * 1000);
    snprintf(max, sizeof(max), "%d", svc->pin_failures);
    snprintf(window, sizeof(window), "%lld", svc->pin_window * 1000LL);
    snprintf(lock, sizeof(lock), "%lld", svc->pin_lockout * 1000LL);
    snprintf(ttl, sizeof(ttl), "%d", AUTH_RESULT_TTL);
    const char *mode = step->mode == AUTH_PENDING ? "pending"
                       : step->mode == AUTH_DROP  ? "drop"
                                                  : "none";
    const char *argv[] = {"FCALL",
                          "kt_auth",
                          "7",
                          a->failures,
                          a->lock,
                          a->result,
                          a->pending,
                          a->confirmed,
                          a->drop[0],
                          a->drop[1],
                          now,
                          pin_ok ? "1" : "0",
                          code,
                          max,
                          window,
                          lock,
                          ttl,
                          o->name,
                          mode,
                          step->match_field ? step->match_field : "",
                          step->match_value ? step->match_value : ""};
    request_redis_argv(req, on_checked, a, (int)(sizeof(argv) / sizeof(argv[0])), argv);
}
