/* menu_sms — see menu_sms.h. The engine is the same pure replay as USSD
 * (menu_run_width at one SMS wide); the inputs live in a Redis list because
 * typed text may contain the '*' that joins USSD inputs. */
#include "handlers/menu_sms.h"

#include "gateway/log.h"
#include "handlers/keyword.h"
#include "handlers/menu.h"
#include "handlers/services.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#define SMS_WIDTH 160

static const struct {
    const char *action, *keyword, *args_from;
} actions[] = {
    {"lapor", "LAPOR", "text"},
    {"cek", "CEK", "ticket"},
    {"daftar", "DAFTAR", ""},
    {"berhenti", "BERHENTI", ""},
};

static void call(struct request *req, const char *op, const char *input, request_cb cb)
{
    char key[48], guard[64], ttl[16];
    snprintf(key, sizeof(key), "kt:menu:%s", request_sender(req));
    snprintf(guard, sizeof(guard), "kt:menu:seen:%s", request_id(req));
    const struct services *svc = request_services(req);
    snprintf(ttl, sizeof(ttl), "%d",
             svc && svc->menu_sms_ttl > 0 ? svc->menu_sms_ttl : MENU_SMS_TTL);
    const char *argv[] = {"FCALL", "kt_menu", "2", key, guard, op, input, ttl};
    request_redis_argv(req, cb, NULL, 8, argv);
}

/* Fire and forget, not tied to the request (which may be gone first). */
static void forget(struct request *req, int argc, const char **argv)
{
    struct redisAsyncContext *ac = request_redis(req);
    if (ac)
        redisAsyncCommandArgv(ac, NULL, NULL, argc, argv, NULL);
}

static void end_session(struct request *req)
{
    char key[48];
    snprintf(key, sizeof(key), "kt:menu:%s", request_sender(req));
    const char *argv[] = {"DEL", key};
    forget(req, 2, argv);
}

const struct keyword *menu_sms_action(const struct menu_result *res, const char **args)
{
    *args = "";
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(actions[i].action, res->action) != 0)
            continue;
        for (int k = 0; k < res->nvalues; k++)
            if (strcmp(res->values[k].key, actions[i].args_from) == 0)
                *args = res->values[k].value;
        const struct keyword *kw = kw_find(actions[i].keyword);
        return kw && kw->handler ? kw : NULL;
    }
    return NULL;
}

/* Runs the leaf action's keyword handler on this very request. */
static void act(struct request *req, const struct menu_result *res)
{
    const char *args;
    const struct keyword *kw = menu_sms_action(res, &args);
    if (kw == NULL || kw->handler == NULL) {
        log_error("event=menu_unknown_action action=%s", res->action);
        request_reply(req, "Maaf, pilihan ini belum tersedia. Ketik INFO untuk bantuan.");
        request_done(req);
        return;
    }
    for (int k = 0; k < res->nvalues; k++)
        request_set_hint(req, res->values[k].key, res->values[k].value);
    struct kw_match *m = request_match(req);
    m->keyword = kw;
    snprintf(m->buf, sizeof(m->buf), "%s", args);
    m->args = m->buf;
    kw->handler(req, m);
}

static void stepped(struct request *req, redisReply *r, void *arg)
{
    const struct services *svc = request_services(req);
    if (r->type == REDIS_REPLY_NIL) {
        request_reply(req, "Sesi menu sudah berakhir. Ketik MENU untuk mulai lagi.");
        request_done(req);
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || svc == NULL || svc->menu == NULL) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_menu");
        return;
    }
    /* One more than the engine takes, so an overlong session ends there. */
    const char *inputs[MENU_INPUTS_MAX + 1];
    int n = 0;
    for (size_t i = 0; i < r->elements && n < MENU_INPUTS_MAX + 1; i++)
        inputs[n++] = r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : "";
    struct menu_result res;
    menu_run_width(svc->menu, SMS_WIDTH, inputs, n, &res);
    if (res.kind == MENU_END) {
        end_session(req);
        if (res.action[0]) {
            act(req, &res);
            return;
        }
    }
    request_reply(req, res.screen);
    request_done(req);
}

void menu_sms_start(struct request *req, const struct kw_match *m)
{
    call(req, "start", "", stepped);
}

void menu_sms_step(struct request *req)
{
    call(req, "push", request_text(req), stepped);
}

void menu_sms_leave(struct request *req)
{
    end_session(req);
}
