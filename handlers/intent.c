/* intent — runs what intent_of (handlers/lexicon.c) understood of a
 * resident's SMS: the router calls intent_dispatch for every message outside
 * an SMS menu.
 *
 *   - a keyword, a complaint, a status check, an opt-out, a dissatisfied
 *     rating: the kw_table row's handler, with the args intent_of set (the
 *     ticket for CEK, the whole text for a complaint found mid-message);
 *   - thanks and operator senders: nothing, deliberately;
 *   - a text that is only likely a complaint: it is kept in Redis for
 *     [gateway] confirm_ttl seconds (INTENT_PENDING_TTL) under kt:pending:<number> and the resident
 *     is asked once "Balas YA agar pesan ini dicatat sebagai pengaduan"; a YA
 *     (or IYA) from that number files the kept text as a complaint. The take
 *     is one Redis function (kt_pending_take) keyed by the YA's message id,
 *     so the YA read again after a crash files the same text, once;
 *   - nothing understood: the "not recognised" hint (kw_unknown).
 * YA stays the officials' broadcast confirmation for registered officials. */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "gateway/log.h"
#include "handlers/complaint.h"
#include "handlers/lexicon.h"
#include "handlers/services.h"
#include "handlers/textmatch.h"

#define YA_WORDS_MAX 2 /* words after YA for it to still be the answer to the question */
#define PENDING_ASK  "Balas YA agar pesan ini dicatat sebagai pengaduan. Untuk bantuan ketik INFO."

/* [gateway] confirm_ttl, or its default when the configuration is older. */
static int pending_ttl(struct request *req)
{
    int ttl = request_services(req)->confirm_ttl;
    return ttl > 0 ? ttl : INTENT_PENDING_TTL;
}

static void pending_taken(struct request *req, redisReply *r, void *arg)
{
    struct kw_match *m = request_match(req);
    if (r->type == REDIS_REPLY_ERROR) {
        request_fail(req, r->str);
        return;
    }
    if (r->type != REDIS_REPLY_STRING || r->len == 0) {
        kw_unknown(req, m); /* nothing waiting: YA means nothing to a resident */
        return;
    }
    size_t n = r->len < KW_TEXT_MAX - 1 ? r->len : KW_TEXT_MAX - 1;
    while (n > 0 && ((unsigned char)r->str[n] & 0xC0) == 0x80 && n < r->len)
        n--; /* cut on a UTF-8 boundary */
    memcpy(m->buf, r->str, n);
    m->buf[n] = '\0';
    m->args = m->buf;
    m->keyword = kw_find("LAPOR");
    complaint_lapor(req, m);
}

/* YA from a resident: file the text kept by the question, if any. */
static void pending_take(struct request *req)
{
    char key[64], taken[96], ttl[16];
    snprintf(key, sizeof(key), "kt:pending:%s", request_sender(req));
    snprintf(taken, sizeof(taken), "kt:pending-taken:%s", request_id(req));
    snprintf(ttl, sizeof(ttl), "%d", pending_ttl(req));
    const char *argv[] = {"FCALL", "kt_pending_take", "2", key, taken, ttl};
    request_redis_argv(req, pending_taken, NULL, 6, argv);
}

static void pending_kept(struct request *req, redisReply *r, void *arg)
{
    if (r->type == REDIS_REPLY_ERROR) {
        request_fail(req, r->str);
        return;
    }
    request_reply(req, PENDING_ASK);
    request_done(req);
}

static void pending_keep(struct request *req, const char *text)
{
    char key[64], ttl[16];
    snprintf(key, sizeof(key), "kt:pending:%s", request_sender(req));
    snprintf(ttl, sizeof(ttl), "%d", pending_ttl(req));
    const char *argv[] = {"SET", key, text, "EX", ttl};
    request_redis_argv(req, pending_kept, NULL, 5, argv);
}

void intent_dispatch(struct request *req)
{
    const struct services *svc = request_services(req);
    struct intent_result r;
    struct kw_match *m = request_match(req);

    /* the router has already silenced operator senders: no sender here */
    intent_of(svc->lexicon, svc->regions, NULL, request_text(req), &r);
    memcpy(m, &r.match, sizeof(*m));
    m->args = m->buf + (r.match.args - r.match.buf);
    log_debug("event=intent id=%s intent=%s keyword=%s respelled=%d", request_id(req),
              intent_name(r.intent), m->keyword ? m->keyword->name : "-", r.respelled);
    switch (r.intent) {
    case INTENT_SILENT:
    case INTENT_THANKS:
        request_done(req);
        return;
    case INTENT_NONE:
        kw_unknown(req, m);
        return;
    case INTENT_COMPLAINT_LIKELY:
        /* an official's free text is not a resident's complaint to confirm */
        if (services_official(svc, request_sender(req)) != NULL)
            kw_unknown(req, m);
        else
            pending_keep(req, m->args);
        return;
    default:
        break;
    }
    if (m->keyword == NULL || m->keyword->handler == NULL) {
        kw_unknown(req, m);
        return;
    }
    /* "YA", "iya pak": the answer to the question; "kirim foto ..." is not */
    if (m->keyword == kw_find("YA") && services_official(svc, request_sender(req)) == NULL &&
        tm_word_count(m->args) <= YA_WORDS_MAX) {
        pending_take(req);
        return;
    }
    m->keyword->handler(req, m);
}
