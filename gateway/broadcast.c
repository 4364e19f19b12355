/* broadcast — see broadcast.h. */
#include "gateway/broadcast.h"
#include "gateway/clock.h"

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/router.h"
#include "gateway/store.h"
#include "gateway/textsafe.h"
#include "handlers/privacy.h"
#include "handlers/region.h"
#include "handlers/services.h"
#include "modems/codec.h"

#include <ctype.h>
#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

struct broadcasts {
    struct router *router;
    const struct config *cfg;
    struct event *tick;
    int busy; /* a feed is in flight: never two at once */
};

/* ---- audiences ---- */

static int add_key(char (*keys)[64], int *n, int max, const char *fmt, const char *v)
{
    for (int i = 0; i < *n; i++) {
        char k[64];
        snprintf(k, sizeof(k), fmt, v);
        if (strcmp(keys[i], k) == 0)
            return 0;
    }
    if (*n >= max)
        return -1;
    snprintf(keys[(*n)++], 64, fmt, v);
    return 0;
}

static void add_label(char *label, size_t len, const char *what)
{
    size_t used = strlen(label);
    if (used + strlen(what) + 3 < len)
        snprintf(label + used, len - used, "%s%s", used ? ", " : "", what);
    else if (used + 4 < len && strcmp(label + used - 3, "...") != 0)
        snprintf(label + used, len - used, "...");
}

/* Every subscriber set of a kecamatan: its own and each of its desa's. */
static int kecamatan_keys(const struct region_db *db, int kec, char (*keys)[64], int *n, int max)
{
    char code[REGION_CODE_MAX];
    region_kecamatan_code(db, kec, code, sizeof(code));
    if (add_key(keys, n, max, "kt:subs:kec:%s", code) != 0)
        return -1;
    for (int d = 0; d < region_desa_count(db); d++)
        if (region_desa_kecamatan(db, d) == kec &&
            add_key(keys, n, max, "kt:subs:desa:%s", region_desa_code(db, d)) != 0)
            return -1;
    return 0;
}

static int find_kecamatan(const struct region_db *db, const char *what)
{
    for (int k = 0; k < region_kecamatan_count(db); k++) {
        char code[REGION_CODE_MAX];
        region_kecamatan_code(db, k, code, sizeof(code));
        if (strcasecmp(region_kecamatan_name(db, k), what) == 0 || strcmp(code, what) == 0)
            return k;
    }
    struct region_match m;
    if (region_find(db, what, &m) == 0 &&
        (m.kind == REGION_KECAMATAN || (m.kind == REGION_AMBIGUOUS && m.kecamatan >= 0)))
        return m.kecamatan;
    return -1;
}

static int find_desa(const struct region_db *db, const char *what, char *err, size_t errlen)
{
    int d = region_desa_by_code(db, what);
    if (d >= 0)
        return d;
    struct region_match m;
    region_find(db, what, &m);
    if (m.kind == REGION_DESA)
        return m.desa;
    if (m.kind == REGION_AMBIGUOUS) {
        int desa = 0;
        for (int i = 0; i < m.ncandidates; i++)
            desa += m.candidate_kind[i] == REGION_DESA;
        snprintf(err, errlen,
                 "desa '%s' is ambiguous (%d desa of that name): give its code, e.g. desa:%s", what,
                 desa, region_desa_code(db, m.candidates[0]));
        return -1;
    }
    snprintf(err, errlen, "no desa '%s' in Kabupaten Batang", what);
    return -1;
}

int broadcast_areas(const struct services *svc, const char *spec, char (*keys)[64], int max,
                    char *label, size_t labellen, char *err, size_t errlen)
{
    const struct region_db *db = svc ? svc->regions : NULL;
    char copy[2048];
    int n = 0;
    label[0] = '\0';
    if (db == NULL) {
        snprintf(err, errlen, "the list of desa is not loaded");
        return -1;
    }
    if (strlen(spec) >= sizeof(copy)) {
        snprintf(err, errlen, "audience too long (at most %zu bytes)", sizeof(copy) - 1);
        return -1;
    }
    snprintf(copy, sizeof(copy), "%s", spec);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",;", &save); item; item = strtok_r(NULL, ",;", &save)) {
        while (isspace((unsigned char)*item))
            item++;
        char *end = item + strlen(item);
        while (end > item && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (*item == '\0')
            continue;
        char *colon = strchr(item, ':');
        const char *kind = colon ? item : "", *what = colon ? colon + 1 : item;
        if (colon)
            *colon = '\0';
        while (isspace((unsigned char)*what))
            what++;
        if (strcasecmp(item, "all") == 0 || strcasecmp(item, "semua") == 0) {
            if (add_key(keys, &n, max, "%s", "kt:subscribers") != 0)
                goto full;
            add_label(label, labellen, "semua pelanggan");
        } else if (strcasecmp(kind, "kecamatan") == 0 || strcasecmp(kind, "kec") == 0) {
            int k = find_kecamatan(db, what);
            if (k < 0) {
                snprintf(err, errlen, "no kecamatan '%s' in Kabupaten Batang", what);
                return -1;
            }
            if (kecamatan_keys(db, k, keys, &n, max) != 0)
                goto full;
            char l[96];
            snprintf(l, sizeof(l), "Kec. %s", region_kecamatan_name(db, k));
            add_label(label, labellen, l);
        } else if (strcasecmp(kind, "desa") == 0 || strcasecmp(kind, "kelurahan") == 0) {
            int d = find_desa(db, what, err, errlen);
            if (d < 0)
                return -1;
            if (add_key(keys, &n, max, "kt:subs:desa:%s", region_desa_code(db, d)) != 0)
                goto full;
            char l[96];
            snprintf(l, sizeof(l), "%s %s",
                     strcmp(region_desa_jenis(db, d), "kelurahan") == 0 ? "Kel." : "Desa",
                     region_desa_name(db, d));
            add_label(label, labellen, l);
        } else {
            snprintf(err, errlen,
                     "audience '%s%s%s': expected all, desa:NAME-or-CODE or kecamatan:NAME-or-CODE",
                     item, colon ? ":" : "", colon ? what : "");
            return -1;
        }
    }
    if (n == 0) {
        snprintf(err, errlen, "no audience given");
        return -1;
    }
    return n;
full:
    snprintf(err, errlen, "audience too large (more than %d areas)", max);
    return -1;
}

/* ---- the message ---- */

/* The first character that forces UCS-2, as UTF-8 in out. */
static void first_wide(const char *text, char *out, size_t len)
{
    out[0] = '\0';
    for (const char *p = text; *p;) {
        size_t n = 1;
        while ((p[n] & 0xC0) == 0x80)
            n++;
        char one[8];
        struct codec_plan plan;
        snprintf(one, sizeof(one), "%.*s", (int)n, p);
        if (codec_plan(one, &plan) == 0 && plan.coding == CODEC_UCS2) {
            snprintf(out, len, "%s", one);
            return;
        }
        p += n;
    }
}

static int mentions_berhenti(const char *text)
{
    for (const char *p = text; *p; p++)
        if (strncasecmp(p, "BERHENTI", 8) == 0)
            return 1;
    return 0;
}

int broadcast_compose(const char *text, int max_parts, char *out, size_t outlen,
                      const char **coding, char *err, size_t errlen)
{
    char clean[BROADCAST_TEXT_MAX * 2];
    size_t len = strlen(text);
    if (len == 0) {
        snprintf(err, errlen, "the text is empty");
        return -1;
    }
    if (len > BROADCAST_TEXT_MAX) {
        snprintf(err, errlen, "the text is too long (%zu bytes, at most %d)", len,
                 BROADCAST_TEXT_MAX);
        return -1;
    }
    if (max_parts < 1 || max_parts > BROADCAST_PARTS_MAX) {
        snprintf(err, errlen, "parts must be 1 to %d", BROADCAST_PARTS_MAX);
        return -1;
    }
    codec_utf8_sanitize(text, len, clean, sizeof(clean));
    if (strcmp(clean, text) != 0) {
        snprintf(err, errlen, "the text is not valid UTF-8 or holds control characters");
        return -1;
    }
    textsafe_clean(clean); /* CR LF -> LF, tab -> space, bidi overrides go */
    if (privacy_has_nik(clean)) {
        snprintf(err, errlen,
                 "the text holds %d or more digits with only spaces or punctuation between "
                 "them, which reads as a NIK or KK number; put a word between numbers",
                 PRIVACY_DIGITS - 1);
        return -1;
    }
    char folded[sizeof(clean)];
    codec_gsm_fold(clean, folded, sizeof(folded));
    snprintf(out, outlen, "%s%s", folded, mentions_berhenti(folded) ? "" : BROADCAST_FOOTER);
    struct codec_plan plan;
    if (codec_plan(out, &plan) != 0) {
        snprintf(err, errlen, "the text cannot be sent as SMS");
        return -1;
    }
    *coding = plan.coding == CODEC_UCS2 ? "ucs2" : "gsm7";
    if (plan.parts > max_parts) {
        char wide[8], why[192] = "";
        first_wide(out, wide, sizeof(wide));
        if (plan.coding == CODEC_UCS2)
            snprintf(why, sizeof(why),
                     "; '%s' is not in the GSM alphabet, so the whole text "
                     "is sent as UCS-2 (67 characters per part)",
                     wide);
        snprintf(err, errlen,
                 "the text needs %d SMS parts with the opt-out line (%d %s units), more than "
                 "the %d allowed%s",
                 plan.parts, plan.units, plan.coding == CODEC_UCS2 ? "UCS-2" : "GSM-7", max_parts,
                 why);
        return -1;
    }
    return plan.parts;
}

/* ---- creating ---- */

int broadcast_create_argv(const struct broadcast_spec *s, const char ***out)
{
    int fixed = 3 + 2 + 10; /* FCALL name numkeys, seq index, ARGV 1..10 */
    int argc = fixed + s->nkeys + s->nnumbers;
    size_t numbuf = 6 * 24;
    const char **argv = malloc(sizeof(*argv) * (size_t)argc + numbuf);
    if (argv == NULL)
        return -1;
    char *nb = (char *)(argv + argc);
    char *nkeys = nb, *now = nb + 24, *parts = nb + 48, *at = nb + 72, *n = nb + 96;
    snprintf(nkeys, 24, "%d", 2 + s->nkeys);
    snprintf(now, 24, "%lld", s->now);
    snprintf(parts, 24, "%d", s->parts);
    snprintf(at, 24, "%lld", s->at > 0 ? s->at : s->now);
    snprintf(n, 24, "%d", s->nnumbers);
    int i = 0;
    argv[i++] = "FCALL";
    argv[i++] = "kt_bc_create";
    argv[i++] = nkeys;
    argv[i++] = "kt:bc:seq";
    argv[i++] = "kt:bcs";
    for (int k = 0; k < s->nkeys; k++)
        argv[i++] = s->keys[k];
    argv[i++] = now;
    argv[i++] = s->text;
    argv[i++] = parts;
    argv[i++] = s->coding;
    argv[i++] = s->emergency ? "1" : "0";
    argv[i++] = at;
    argv[i++] = s->actor;
    argv[i++] = s->label;
    argv[i++] = s->idem ? s->idem : "";
    argv[i++] = n;
    for (int k = 0; k < s->nnumbers; k++)
        argv[i++] = s->numbers[k];
    *out = argv;
    return i;
}

/* ---- feeding ---- */

static void on_fed(redisAsyncContext *ac, void *reply, void *priv)
{
    struct broadcasts *b = priv;
    redisReply *r = reply;
    b->busy = 0;
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
        log_debug("event=broadcast_fed queued=%lld", r->integer);
    else if (r && r->type == REDIS_REPLY_ERROR)
        log_warnx("event=broadcast_feed_failed error=\"%s\"", r->str);
}

static void feed(evutil_socket_t fd, short what, void *arg)
{
    struct broadcasts *b = arg;
    redisAsyncContext *ac = router_redis(b->router);
    if (ac == NULL || b->busy)
        return;
    long long now = router_now(b->router);
    char snow[24], quiet[4], window[16], nowms[24], ttl[24];
    snprintf(snow, sizeof(snow), "%lld", now);
    snprintf(quiet, sizeof(quiet), "%d", config_is_quiet(b->cfg, now));
    snprintf(window, sizeof(window), "%d", b->cfg->broadcast_window);
    snprintf(nowms, sizeof(nowms), "%lld", clock_wall_ms());
    snprintf(ttl, sizeof(ttl), "%lld", b->cfg->broadcast_ttl * 1000LL);
    const char *argv[] = {"FCALL",         "kt_bc_feed",   "3",  "kt:bc:active",
                          STORE_OUT_EMERG, STORE_OUT_BULK, snow, quiet,
                          window,          nowms,          ttl};
    if (redisAsyncCommandArgv(ac, on_fed, b, 11, argv, NULL) == REDIS_OK)
        b->busy = 1;
}

struct broadcasts *broadcasts_new(struct event_base *base, struct router *r,
                                  const struct config *cfg)
{
    struct broadcasts *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->router = r;
    b->cfg = cfg;
    b->tick = event_new(base, -1, EV_PERSIST, feed, b);
    struct timeval tick = {0, 250000}; /* a new broadcast starts within a quarter second */
    if (b->tick == NULL || event_add(b->tick, &tick) != 0) {
        broadcasts_free(b);
        return NULL;
    }
    return b;
}

void broadcasts_set_config(struct broadcasts *b, const struct config *cfg)
{
    b->cfg = cfg;
}

void broadcasts_free(struct broadcasts *b)
{
    if (b == NULL)
        return;
    if (b->tick)
        event_free(b->tick);
    free(b);
}
