/* complaint — complaints by SMS: LAPOR, CEK, the officials' commands
 * (TERIMA, BALAS, SELESAI, ALIHKAN, TOLAK), the resident's PUAS / TIDAK
 * PUAS, and the deadline event that escalates or closes a ticket.
 *
 * Every change goes through one Redis function call that is idempotent per
 * inbound message (kt_complaint_new, kt_ticket_update with an "applied"
 * key), so a message read twice after a crash creates one ticket and applies
 * one change; the texts sent are derived from the ticket and the command, so
 * the second reading produces the same answers, which kt_commit then queues
 * at most once. Texts shown to anyone pass through privacy_mask: NIK and KK
 * numbers never leave in an SMS or a log line. */
#include "handlers/complaint.h"

#include "gateway/log.h"
#include "gateway/phone.h"
#include "gateway/store.h"
#include "gateway/pin.h"
#include "handlers/auth.h"
#include "handlers/category.h"
#include "handlers/complaint_state.h"
#include "handlers/keyword.h"
#include "handlers/opd.h"
#include "handlers/privacy.h"
#include "handlers/region.h"
#include "handlers/services.h"
#include "handlers/ticket.h"
#include "handlers/urgency.h"
#include "handlers/workday.h"
#include "modems/codec.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COMPLAINT_TEXT_MAX 1000 /* bytes of a complaint kept; longer text is cut */
#define NOTICE_PARTS       2    /* an official's notice fits this many SMS parts */
#define MAX_RECIPIENTS     8    /* officials notified of one event */
#define FIELD_MAX          32

/* ---- small helpers ---- */

static long long ms(long long seconds)
{
    return seconds * 1000;
}

/* Copies text cut to at most max bytes at a UTF-8 boundary, "..." added
 * when cut. */
static void cut(const char *text, size_t max, char *out, size_t outlen)
{
    size_t n = strlen(text);
    if (n <= max && n < outlen) {
        memcpy(out, text, n + 1);
        return;
    }
    if (max + 4 > outlen)
        max = outlen > 4 ? outlen - 4 : 0;
    while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80)
        max--;
    memcpy(out, text, max);
    memcpy(out + max, "...", 4);
}

/* Builds prefix + text + suffix, shortening text until the whole fits
 * `parts` SMS. text is masked (NIK) first. */
static void compose(char *out, size_t outlen, const char *prefix, const char *text,
                    const char *suffix, int parts)
{
    char masked[COMPLAINT_TEXT_MAX * 2], piece[COMPLAINT_TEXT_MAX * 2];
    privacy_mask(text, masked, sizeof(masked));
    size_t limit = strlen(masked);
    for (;;) {
        cut(masked, limit, piece, sizeof(piece));
        int n = snprintf(out, outlen, "%s%s%s", prefix, piece, suffix);
        struct codec_plan plan;
        if (n >= 0 && (size_t)n < outlen && codec_plan(out, &plan) == 0 && plan.parts <= parts)
            return;
        if (limit == 0)
            return;
        limit = limit > 10 ? limit - 10 : 0;
    }
}

/* A ticket's fields, copied out of the reply: replies are freed when their
 * callback returns, and the ticket is needed again in the next one. */
#define FIELDS_ARENA (COMPLAINT_TEXT_MAX * 3)
struct fields {
    const char *v[40];
    int n;
    size_t used;
    char arena[FIELDS_ARENA];
};

static const char *keep(struct fields *f, const char *s)
{
    size_t n = strlen(s) + 1;
    if (f->used + n > sizeof(f->arena))
        return "";
    char *p = f->arena + f->used;
    memcpy(p, s, n);
    f->used += n;
    return p;
}

static const char *get(const struct fields *f, const char *name)
{
    for (int i = 0; i + 1 < f->n; i += 2)
        if (strcmp(f->v[i], name) == 0)
            return f->v[i + 1];
    return "";
}

/* Reply of kt_ticket_read: {applied, field, value, ...}. */
static int read_ticket(redisReply *r, int *applied, struct fields *f)
{
    f->n = 0;
    f->used = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_INTEGER)
        return -1;
    *applied = (int)r->element[0]->integer;
    for (size_t i = 1; i < r->elements && f->n < 40; i++)
        f->v[f->n++] = keep(f, r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : "");
    return f->n > 0 ? 0 : -1;
}

static const char *opd_short_of(const struct services *svc, const char *code)
{
    int i = svc->opds ? opd_find(svc->opds, code) : -1;
    return i >= 0 ? opd_short(svc->opds, i) : code;
}

static void date_of(long long msec, char *out, size_t len)
{
    if (workday_format(msec / 1000, out, len) < 0)
        snprintf(out, len, "-");
}

static void send_officials(struct request *req, const struct services *svc, int opd,
                           enum official_role role, const char *text)
{
    const struct official *o[MAX_RECIPIENTS];
    int n = services_officials(svc, opd, role, o, MAX_RECIPIENTS);
    for (int i = 0; i < n; i++)
        request_send_to(req, o[i]->phone, text);
}

/* The liaison of an OPD, or the coordinator when the OPD has none. */
static void notify_opd(struct request *req, const struct services *svc, int opd, const char *text)
{
    const struct official *o[MAX_RECIPIENTS];
    int n = services_officials(svc, opd, ROLE_LIAISON, o, MAX_RECIPIENTS);
    if (n == 0) {
        log_warnx("event=no_liaison opd=%s action=coordinator",
                  opd >= 0 ? opd_code(svc->opds, opd) : "-");
        n = services_officials(svc, -1, ROLE_COORDINATOR, o, MAX_RECIPIENTS);
    }
    for (int i = 0; i < n; i++)
        request_send_to(req, o[i]->phone, text);
}

/* ---- LAPOR ---- */

/* The answer to an emergency (fits one SMS): the numbers to call now, then
 * the ticket. A number configured "" is left out. */
static void urgent_reply(const struct services *svc, const char *ticket, const char *office,
                         char *out, size_t len)
{
    char calls[96];
    int n = snprintf(calls, sizeof(calls), "telp %s", svc->emergency_number);
    if (svc->bpbd_number[0] && n > 0 && (size_t)n < sizeof(calls))
        n += snprintf(calls + n, sizeof(calls) - (size_t)n, ", BPBD %s", svc->bpbd_number);
    if (svc->fire_number[0] && n > 0 && (size_t)n < sizeof(calls))
        snprintf(calls + n, sizeof(calls) - (size_t)n, ", Damkar %s", svc->fire_number);
    snprintf(out, len,
             "DARURAT? Segera %s. Laporan tiket %s langsung diteruskan ke %s. Cek: CEK %s", calls,
             ticket, office, ticket);
}

/* Matters outside the regency's authority: the right number instead of a
 * ticket (kategori.csv rows LST and POL). */
static const struct {
    const char *category;
    size_t number;    /* offset in struct services */
    const char *text; /* %s: the number */
} referrals[] = {
    {"LST", offsetof(struct services, pln_number),
     "Gangguan listrik ditangani PLN, bukan Pemkab Batang. Hubungi PLN %s atau aplikasi PLN "
     "Mobile. Pesan ini tidak dibuat tiket."},
    {"POL", offsetof(struct services, police_number),
     "Urusan keamanan dan kejahatan ditangani Polri, bukan Pemkab Batang. Hubungi Polisi %s "
     "(darurat 112). Pesan ini tidak dibuat tiket."},
};

/* 1 with the answer in out when the category belongs to another
 * authority whose number is configured. */
static int referral(const struct services *svc, const char *category, char *out, size_t len)
{
    for (size_t i = 0; category && i < sizeof(referrals) / sizeof(referrals[0]); i++) {
        const char *number = (const char *)svc + referrals[i].number;
        if (strcmp(referrals[i].category, category) == 0 && number[0]) {
            snprintf(out, len, referrals[i].text, number);
            return 1;
        }
    }
    return 0;
}

/* 1 when text fits one SMS. */
static int one_sms(const char *text)
{
    struct codec_plan plan;
    return codec_plan(text, &plan) == 0 && plan.parts <= 1;
}

/* "Ds Kalisalak, Kec Batang" from names cut to max bytes (0: whole), or
 * "" when no place was understood. */
static void place_text(char *out, size_t len, const char *desa, const char *kec, size_t max)
{
    char d[REGION_NAME_MAX + 4], k[REGION_NAME_MAX + 4];
    cut(desa, max ? max : REGION_NAME_MAX, d, sizeof(d));
    cut(kec, max ? max : REGION_NAME_MAX, k, sizeof(k));
    if (desa[0])
        snprintf(out, len, "Ds %s, Kec %s", d, k);
    else if (kec[0])
        snprintf(out, len, "Kec %s", k);
    else
        out[0] = '\0';
}

/* The resident's confirmation: ticket, office (NULL: triage, by triage_by
 * when known), deadline, and the place understood with how to correct it, in
 * one SMS: the place names are shortened, then the status hint left out,
 * until it fits. */
void confirmation_text(char *out, size_t len, const char *ticket, const char *office,
                       const char *triage_by, const char *when, const char *desa, const char *kec)
{
    static const size_t name_max[] = {0, 0, 10, 6};
    char head[200], where[REGION_NAME_MAX * 2 + 96], place[REGION_NAME_MAX * 2 + 16];
    if (office)
        snprintf(head, sizeof(head), "Laporan diterima, tiket %s, diteruskan ke %s, batas %s.",
                 ticket, office, when);
    else if (triage_by)
        snprintf(head, sizeof(head),
                 "Laporan diterima, tiket %s. %s meneruskan ke dinas terkait, batas %s.", ticket,
                 triage_by, when);
    else
        snprintf(head, sizeof(head),
                 "Laporan diterima, tiket %s. Diteruskan ke dinas terkait paling lambat %s.",
                 ticket, when);
    for (size_t i = 0; i < sizeof(name_max) / sizeof(name_max[0]); i++) {
        place_text(place, sizeof(place), desa, kec, name_max[i]);
        if (place[0])
            snprintf(where, sizeof(where), " Lokasi: %s. Salah? LOKASI %s <desa>", place, ticket);
        else
            snprintf(where, sizeof(where), " Lokasi belum jelas: kirim LOKASI %s <desa> <kec>",
                     ticket);
        snprintf(out, len, "%s%s%s%s", head, where, i == 0 ? ". Cek: CEK " : "",
                 i == 0 ? ticket : "");
        if (one_sms(out))
            return;
    }
}

static void lapor_answer(struct request *req, redisReply *r, void *arg);

static void lapor_created(struct request *req, redisReply *r, void *arg)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[0]->integer <= 0) {
        request_fail(req,
                     r->type == REDIS_REPLY_ERROR ? r->str : "kt_complaint_new: unexpected reply");
        return;
    }
    unsigned long long seq = (unsigned long long)r->element[0]->integer;
    char ticket[TICKET_MAX], key[64];
    ticket_format(seq, ticket, sizeof(ticket));
    snprintf(key, sizeof(key), "kt:ticket:%llu", seq);
    /* Read back what was stored: on a second reading of the same message
     * the answer must describe the ticket made the first time. */
    const char *argv[] = {"FCALL", "kt_ticket_read", "2", key, "kt:applied:none"};
    request_redis_argv(req, lapor_answer, NULL, 5, argv);
}

static void lapor_answer(struct request *req, redisReply *r, void *arg)
{
    const struct services *svc = request_services(req);
    struct fields f;
    int applied;
    if (read_ticket(r, &applied, &f) != 0) {
        request_fail(req, "ticket vanished");
        return;
    }
    char ticket[TICKET_MAX], when[WORKDAY_DATE_MAX], text[480], place[96] = "";
    ticket_format(strtoull(get(&f, "seq"), NULL, 10), ticket, sizeof(ticket));
    date_of(atoll(get(&f, "deadline")), when, sizeof(when));
    const char *opd = get(&f, "opd");
    int opd_i = opd_find(svc->opds, opd);
    int triage = strcmp(get(&f, "status"), cstate_name(CSTATE_DITERIMA)) == 0;
    int urgent = strcmp(get(&f, "urgent"), "1") == 0;
    if (urgent)
        urgent_reply(svc, ticket, opd_short_of(svc, opd), text, sizeof(text));
    else
        confirmation_text(text, sizeof(text), ticket, triage ? NULL : opd_short_of(svc, opd),
                          triage ? opd_short_of(svc, opd) : NULL, when, get(&f, "desa"),
                          get(&f, "kecamatan"));
    request_reply(req, text);

    if (get(&f, "desa")[0])
        snprintf(place, sizeof(place), " | %s, Kec. %s", get(&f, "desa"), get(&f, "kecamatan"));
    else if (get(&f, "kecamatan")[0])
        snprintf(place, sizeof(place), " | Kec. %s", get(&f, "kecamatan"));
    char prefix[256], suffix[96];
    const char *cat = get(&f, "category");
    int ci = category_by_code(svc->categories, cat);
    snprintf(prefix, sizeof(prefix), "Pengaduan %s [%s]%s: ", ticket,
             ci >= 0 ? category_name(svc->categories, ci) : cat, place);
    if (urgent) /* the liaison sees at once that it cannot wait */
        snprintf(prefix, sizeof(prefix), "DARURAT %s [%s]%s: ", ticket,
                 ci >= 0 ? category_name(svc->categories, ci) : cat, place);
    if (triage)
        snprintf(suffix, sizeof(suffix), " | Teruskan: ALIHKAN %s <OPD>", ticket);
    else
        snprintf(suffix, sizeof(suffix), " | Balas: TERIMA %s", ticket);
    compose(text, sizeof(text), prefix, get(&f, "text"), suffix, NOTICE_PARTS);
    if (triage)
        send_officials(req, svc, -1, ROLE_COORDINATOR, text);
    else
        notify_opd(req, svc, opd_i, text);
    if (urgent) /* and the head of the office, as an escalation would */
        send_officials(req, svc, opd_i, ROLE_HEAD, text);
    request_done(req);
}

void complaint_lapor(struct request *req, const struct kw_match *m)
{
    const struct services *svc = request_services(req);
    const char *args = m->args;
    if (args[0] == '\0') {
        request_reply(req, "Tulis: LAPOR <isi laporan>, sebutkan desa/kecamatan. Contoh: LAPOR "
                           "jalan berlubang di desa Kalisalak kec Batang");
        request_done(req);
        return;
    }
    char text[COMPLAINT_TEXT_MAX + 4];
    cut(args, COMPLAINT_TEXT_MAX, text, sizeof(text));

    struct region_match rm;
    region_find(svc->regions, text, &rm);
    /* A menu (USSD) hands over the place and category already chosen. */
    int hinted = region_desa_by_code(svc->regions, request_hint(req, "desa"));
    if (hinted >= 0) {
        rm.kind = REGION_DESA;
        rm.desa = hinted;
    }
    const char *kec = "", *desa = "";
    if (rm.kind == REGION_DESA) {
        desa = region_desa_name(svc->regions, rm.desa);
        kec = region_kecamatan_name(svc->regions, region_desa_kecamatan(svc->regions, rm.desa));
    } else if (rm.kind == REGION_KECAMATAN || (rm.kind == REGION_AMBIGUOUS && rm.kecamatan >= 0)) {
        /* "di Limpung": kec Limpung or its desa Limpung; the kecamatan is sure */
        kec = region_kecamatan_name(svc->regions, rm.kecamatan);
    }
    /* The place named is no evidence of the subject: desa Banjiran is no
     * flood, Kalisari no market. */
    char subject[COMPLAINT_TEXT_MAX + 4];
    memcpy(subject, text, sizeof(subject));
    if (rm.end > rm.start && rm.end < sizeof(subject))
        memset(subject + rm.start, ' ', rm.end - rm.start);
    struct category_match cm;
    category_find(svc->categories, subject, &cm);
    int hinted_cat = category_by_code(svc->categories, request_hint(req, "category"));
    if (hinted_cat >= 0)
        cm.category = hinted_cat;
    const char *cat = category_code(svc->categories, cm.category);
    int opd = opd_find(svc->opds, category_opd(svc->categories, cm.category));
    if (opd < 0)
        opd = svc->coordinator_opd;
    /* An emergency goes to its office (BPBD) at once, with hours, not days,
     * to follow up; a matter of another authority gets its number instead. */
    struct urgency_match um;
    int urgent = urgency_find(svc->urgent, subject, &um);
    char refer[200];
    if (!urgent && referral(svc, cat, refer, sizeof(refer))) {
        log_info("event=complaint_referred id=%s category=%s", request_id(req), cat);
        request_reply(req, refer);
        request_done(req);
        return;
    }
    if (urgent) {
        int u = opd_find(svc->opds, urgency_opd(svc->urgent, um.kind));
        if (u >= 0)
            opd = u;
    }
    /* "No wrong door": what has no category, or belongs to the coordinator,
     * waits for triage (3 working days to forward); the rest goes straight
     * to its OPD, which has 5 working days to follow up. */
    int triage = opd == svc->coordinator_opd && !urgent;
    long long now = request_now(req);
    long long due =
        urgent ? now + (long long)svc->urgent_deadline_hours * 3600
               : workday_deadline(svc->holidays, now, triage ? WORKDAY_FORWARD : WORKDAY_FOLLOW_UP);
    char now_s[24], due_s[24], actor[48];
    snprintf(now_s, sizeof(now_s), "%lld", ms(now));
    snprintf(due_s, sizeof(due_s), "%lld", ms(due));
    snprintf(actor, sizeof(actor), "warga:%s", request_sender(req));
    char byin[64], byphone[64];
    snprintf(byin, sizeof(byin), "kt:ticket:by-inbound:%s", request_id(req));
    snprintf(byphone, sizeof(byphone), "kt:tickets:by-phone:%s", request_sender(req));
    const char *opd_code_s = opd >= 0 ? opd_code(svc->opds, opd) : "";
    const char *status = cstate_name(triage ? CSTATE_DITERIMA : CSTATE_DITERUSKAN);
    const char *argv[] = {"FCALL",
                          "kt_complaint_new",
                          "4",
                          "kt:ticket:seq",
                          byin,
                          STORE_DEADLINES,
                          byphone,
                          now_s,
                          request_sender(req),
                          text,
                          cat,
                          opd_code_s,
                          kec,
                          desa,
                          status,
                          due_s,
                          triage ? "forward" : "followup",
                          request_channel(req),
                          request_id(req),
                          actor,
                          urgent ? "1" : ""};
    char masked[32], kec_v[96], desa_v[96]; /* place names may hold spaces */
    log_info("event=complaint id=%s from=%s category=%s opd=%s urgent=%s kecamatan=%s desa=%s "
             "place=%s",
             request_id(req), log_phone(request_sender(req), masked, sizeof(masked)), cat,
             opd_code_s, urgent ? urgency_code(svc->urgent, um.kind) : "no",
             log_value(kec[0] ? kec : "-", kec_v, sizeof(kec_v)),
             log_value(desa[0] ? desa : "-", desa_v, sizeof(desa_v)),
             rm.kind == REGION_AMBIGUOUS ? "ambiguous" : "ok");
    request_redis_argv(req, lapor_created, NULL, (int)(sizeof(argv) / sizeof(argv[0])), argv);
}

/* ---- CEK ---- */

static void cek_answer(struct request *req, redisReply *r, void *arg)
{
    const struct services *svc = request_services(req);
    const char *asked = arg;
    struct fields f;
    int applied;
    char text[320];
    const struct official *o = services_official(svc, request_sender(req));
    /* The same answer whether the ticket does not exist or is someone
     * else's: a guessed number learns nothing. */
    if (read_ticket(r, &applied, &f) != 0 ||
        (strcmp(get(&f, "phone"), request_sender(req)) != 0 && o == NULL)) {
        snprintf(text, sizeof(text),
                 "Tiket %s tidak ditemukan untuk nomor ini. Periksa nomor tiket Anda.", asked);
        request_reply(req, text);
        request_done(req);
        return;
    }
    enum cstate st = CSTATE_DITERIMA;
    cstate_parse(get(&f, "status"), &st);
    char updated[WORKDAY_DATE_MAX], due[WORKDAY_DATE_MAX] = "";
    date_of(atoll(get(&f, "updated")), updated, sizeof(updated));
    if (get(&f, "deadline")[0])
        date_of(atoll(get(&f, "deadline")), due, sizeof(due));
    const char *opd = get(&f, "opd");
    int n = snprintf(text, sizeof(text), "Tiket %s: %s, %s. Terakhir: %s %s.", asked,
                     cstate_name(st), opd_short_of(svc, opd), get(&f, "last_action"), updated);
    if (due[0] && cstate_is_open(st) && n > 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, " Batas: %s.", due);
    request_reply(req, text);
    request_done(req);
}

static void adminduk_answer(struct request *req, redisReply *r, void *arg)
{
    const char *asked = arg;
    char text[320];
    struct fields f = {.n = 0};
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements && f.n < 40; i++)
            f.v[f.n++] = r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : "";
    const struct official *o = services_official(request_services(req), request_sender(req));
    if (f.n == 0 || (strcmp(get(&f, "phone"), request_sender(req)) != 0 && o == NULL)) {
        snprintf(text, sizeof(text),
                 "Nomor %s tidak ditemukan untuk nomor ini. Periksa nomor tiket atau nomor "
                 "permohonan Anda.",
                 asked);
    } else {
        char note[96];
        char masked[COMPLAINT_TEXT_MAX];
        privacy_mask(get(&f, "note"), masked, sizeof(masked));
        cut(masked, 80, note, sizeof(note));
        snprintf(text, sizeof(text), "Permohonan %s (%s): %s.%s%s", asked, get(&f, "doc"),
                 get(&f, "status"), note[0] ? " " : "", note);
    }
    request_reply(req, text);
    request_done(req);
}

void complaint_cek(struct request *req, const struct kw_match *m)
{
    char word[TICKET_MAX + 40];
    size_t n = strcspn(m->args, " \t\r\n");
    if (m->args[0] == '\0' || n >= sizeof(word)) {
        request_reply(req, "Tulis: CEK <nomor tiket>, atau CEK <nomor permohonan> untuk "
                           "dokumen kependudukan.");
        request_done(req);
        return;
    }
    memcpy(word, m->args, n);
    word[n] = '\0';
    /* Echoed in the answer, so masked: a resident may type a NIK here. */
    char *asked = request_own(req, malloc(sizeof(word)));
    if (asked == NULL) {
        request_fail(req, "out of memory");
        return;
    }
    privacy_mask(word, asked, sizeof(word));
    unsigned long long seq;
    if (ticket_parse(word, &seq) == 0) {
        char key[64];
        snprintf(key, sizeof(key), "kt:ticket:%llu", seq);
        const char *argv[] = {"FCALL", "kt_ticket_read", "2", key, "kt:applied:none"};
        request_redis_argv(req, cek_answer, asked, 5, argv);
        return;
    }
    /* Not a valid ticket: perhaps a civil-registration application number. */
    char key[96];
    for (char *p = word; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32); /* application numbers are stored upper case */
    snprintf(key, sizeof(key), "kt:adminduk:%s", word);
    const char *argv[] = {"HGETALL", key};
    request_redis_argv(req, adminduk_answer, asked, 2, argv);
}

/* ---- LOKASI: the resident corrects the place of their complaint ---- */

#define LOKASI_USAGE                                                                               \
    "Tulis: LOKASI <nomor tiket> <desa> <kecamatan>. Contoh: LOKASI 100014 Kalisalak Batang"

struct lokasi {
    char ticket[TICKET_MAX], key[64], applied[80];
    char desa[REGION_NAME_MAX], kec[REGION_NAME_MAX];
};

static void lokasi_done(struct request *req, redisReply *r, void *arg)
{
    struct lokasi *l = arg;
    char text[320], place[REGION_NAME_MAX * 2 + 16];
    if (r->type != REDIS_REPLY_INTEGER) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_ticket_place");
        return;
    }
    if (r->integer <= 0) {
        /* the same answer for a ticket that does not exist or is someone else's */
        snprintf(text, sizeof(text),
                 "Tiket %s tidak ditemukan untuk nomor ini. Lokasi hanya bisa diubah dari "
                 "nomor pelapor.",
                 l->ticket);
    } else {
        place_text(place, sizeof(place), l->desa, l->kec, 0);
        snprintf(text, sizeof(text), "Lokasi tiket %s diubah: %s. Terima kasih.", l->ticket, place);
        log_info("event=complaint_placed id=%s ticket=%s", request_id(req), l->ticket);
    }
    request_reply(req, text);
    request_done(req);
}

/* "Desa Kalisalak ada di Kec Limpung, Batang. Kirim: LOKASI 100014 Kalisalak <kecamatan>" */
static void lokasi_ambiguous(struct request *req, const struct region_db *db,
                             const struct region_match *rm, const char *ticket, const char *asked)
{
    char text[320], names[200] = "", word[REGION_NAME_MAX];
    int seen[REGION_CANDIDATES_MAX], nseen = 0;
    size_t used = 0;
    for (int i = 0; i < rm->ncandidates; i++) {
        int k = rm->candidate_kind[i] == REGION_DESA ? region_desa_kecamatan(db, rm->candidates[i])
                                                     : rm->candidates[i];
        int dup = 0;
        for (int j = 0; j < nseen; j++)
            dup |= seen[j] == k;
        if (dup || k < 0)
            continue;
        seen[nseen++] = k;
        int n = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
                         region_kecamatan_name(db, k));
        if (n < 0 || (size_t)n >= sizeof(names) - used)
            break;
        used += (size_t)n;
    }
    char masked[COMPLAINT_TEXT_MAX];
    privacy_mask(asked, masked, sizeof(masked)); /* echoed: a NIK never whole */
    cut(masked, 20, word, sizeof(word));
    snprintf(text, sizeof(text),
             "\"%s\" ada di lebih dari satu tempat (Kec %s). Kirim: LOKASI %s %s <kecamatan>", word,
             names, ticket, word);
    if (!one_sms(text))
        snprintf(text, sizeof(text),
                 "Nama itu ada di beberapa kecamatan. Kirim: LOKASI %s <desa> "
                 "<kecamatan>",
                 ticket);
    request_reply(req, text);
    request_done(req);
}

void complaint_lokasi(struct request *req, const struct kw_match *m)
{
    const struct services *svc = request_services(req);
    unsigned long long seq;
    const char *rest = NULL;
    char text[320], word[TICKET_MAX + 8];
    size_t n = strcspn(m->args, " \t");
    snprintf(word, sizeof(word), "%.*s", (int)(n < sizeof(word) - 1 ? n : sizeof(word) - 1),
             m->args);
    if (n == 0 || ticket_parse(word, &seq) != 0) {
        request_reply(req, LOKASI_USAGE);
        request_done(req);
        return;
    }
    rest = m->args + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    struct lokasi *l = request_own(req, calloc(1, sizeof(*l)));
    if (l == NULL) {
        request_fail(req, "out of memory");
        return;
    }
    ticket_format(seq, l->ticket, sizeof(l->ticket));
    if (*rest == '\0') {
        request_reply(req, LOKASI_USAGE);
        request_done(req);
        return;
    }
    struct region_match rm;
    region_find(svc->regions, rest, &rm);
    if (rm.kind == REGION_AMBIGUOUS) {
        lokasi_ambiguous(req, svc->regions, &rm, l->ticket, rest);
        return;
    }
    if (rm.kind == REGION_NONE) {
        char masked[COMPLAINT_TEXT_MAX], asked[48];
        privacy_mask(rest, masked, sizeof(masked)); /* echoed: a NIK never whole */
        cut(masked, 30, asked, sizeof(asked));
        snprintf(text, sizeof(text),
                 "Desa \"%s\" tidak dikenal di Kab. Batang. Kirim: LOKASI %s <desa> <kecamatan>",
                 asked, l->ticket);
        request_reply(req, text);
        request_done(req);
        return;
    }
    if (rm.kind == REGION_DESA) {
        snprintf(l->desa, sizeof(l->desa), "%s", region_desa_name(svc->regions, rm.desa));
        rm.kecamatan = region_desa_kecamatan(svc->regions, rm.desa);
    }
    snprintf(l->kec, sizeof(l->kec), "%s", region_kecamatan_name(svc->regions, rm.kecamatan));
    snprintf(l->key, sizeof(l->key), "kt:ticket:%llu", seq);
    snprintf(l->applied, sizeof(l->applied), "kt:applied:%s", request_id(req));
    char now_s[24], actor[48];
    snprintf(now_s, sizeof(now_s), "%lld", ms(request_now(req)));
    snprintf(actor, sizeof(actor), "warga:%s", request_sender(req));
    /* The office follows the category, not the place (category_opd), so a
     * new place changes who is told nothing; only the ticket's place. */
    const char *argv[] = {
        "FCALL", "kt_ticket_place", "2",   l->key, l->applied, request_sender(req),
        l->kec,  l->desa,           now_s, actor};
    request_redis_argv(req, lokasi_done, l, 10, argv);
}

/* ---- officials' commands ---- */

struct command {
    enum caction action;
    const struct official *official;
    unsigned long long seq;
    char ticket[TICKET_MAX];
    const char *rest; /* the text after the ticket (answer, reason, OPD), in req */
    int target_opd;   /* ALIHKAN */
    char key[64], applied[64];
    char *args;     /* the command's words after the keyword, in req */
    char usage[96]; /* how to write it, for a refusal */
    struct fields f;
    enum cstate from, to;
};

static const char *action_word(enum caction a)
{
    switch (a) {
    case CACTION_ACK:
        return "TERIMA";
    case CACTION_ANSWER:
        return "BALAS";
    case CACTION_RESOLVE:
        return "SELESAI";
    case CACTION_REASSIGN:
    case CACTION_FORWARD:
        return "ALIHKAN";
    case CACTION_REJECT:
    case CACTION_REJECT_AUTHORITY:
        return "TOLAK";
    default:
        return "?";
    }
}

/* ALIHKAN: the ticket goes to another OPD. */
static int moves(const struct command *c)
{
    return c->action == CACTION_REASSIGN || c->action == CACTION_FORWARD;
}

static void refuse(struct request *req, struct command *c, const char *text, const char *why)
{
    char masked[32];
    log_warnx("event=official_refused id=%s from=%s command=%s ticket=%s reason=%s",
              request_id(req), log_phone(request_sender(req), masked, sizeof(masked)),
              action_word(c->action), c->ticket[0] ? c->ticket : "-", why);
    request_reply(req, text);
    request_done(req);
}

/* Texts for the resident and the officials once a command is applied. */
static void command_applied(struct request *req, struct command *c)
{
    const struct services *svc = request_services(req);
    const char *resident = get(&c->f, "phone");
    const char *opd = moves(c) ? opd_code(svc->opds, c->target_opd) : get(&c->f, "opd");
    const char *opd_s = opd_short_of(svc, opd);
    char text[480], prefix[160], suffix[64];
    switch (c->action) {
    case CACTION_ACK:
        snprintf(text, sizeof(text),
                 "Tiket %s: laporan Anda sudah diterima %s dan sedang diproses. Cek status: "
                 "CEK %s",
                 c->ticket, opd_s, c->ticket);
        request_send_to(req, resident, text);
        break;
    case CACTION_ANSWER:
        snprintf(prefix, sizeof(prefix), "Tiket %s, jawaban %s: ", c->ticket, opd_s);
        compose(text, sizeof(text), prefix, c->rest, "", NOTICE_PARTS);
        request_send_to(req, resident, text);
        break;
    case CACTION_RESOLVE:
        snprintf(prefix, sizeof(prefix), "Tiket %s SELESAI (%s): ", c->ticket, opd_s);
        snprintf(suffix, sizeof(suffix), " Balas PUAS atau TIDAK PUAS.");
        compose(text, sizeof(text), prefix, c->rest, suffix, NOTICE_PARTS);
        request_send_to(req, resident, text);
        break;
    case CACTION_REASSIGN:
    case CACTION_FORWARD:
        snprintf(text, sizeof(text), "Tiket %s: laporan Anda diteruskan ke %s. Cek status: CEK %s",
                 c->ticket, opd_s, c->ticket);
        request_send_to(req, resident, text);
        snprintf(prefix, sizeof(prefix), "Pengaduan %s dialihkan ke %s: ", c->ticket, opd_s);
        snprintf(suffix, sizeof(suffix), " | Balas: TERIMA %s", c->ticket);
        compose(text, sizeof(text), prefix, get(&c->f, "text"), suffix, NOTICE_PARTS);
        notify_opd(req, svc, c->target_opd, text);
        break;
    case CACTION_REJECT:
    case CACTION_REJECT_AUTHORITY:
        snprintf(prefix, sizeof(prefix), "Tiket %s: %s. Alasan: ", c->ticket,
                 c->action == CACTION_REJECT ? "laporan tidak dapat diproses"
                                             : "bukan wewenang Pemkab Batang");
        compose(text, sizeof(text), prefix, c->rest, "", NOTICE_PARTS);
        request_send_to(req, resident, text);
        break;
    default:
        break;
    }
    snprintf(text, sizeof(text), "OK: tiket %s %s (%s).", c->ticket, cstate_name(c->to), opd_s);
    request_reply(req, text);
    log_info("event=complaint_%s id=%s ticket=%s from=%s to=%s opd=%s", action_word(c->action),
             request_id(req), c->ticket, cstate_name(c->from), cstate_name(c->to), opd);
    request_done(req);
}

static void command_updated(struct request *req, redisReply *r, void *arg)
{
    struct command *c = arg;
    if (r->type != REDIS_REPLY_INTEGER) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_ticket_update");
        return;
    }
    if (r->integer == 0) {
        refuse(req, c, "Tiket baru saja berubah. Cek status lalu kirim perintah lagi.", "race");
        return;
    }
    if (r->integer < 0) {
        refuse(req, c, "Tiket tidak ditemukan.", "no_ticket");
        return;
    }
    command_applied(req, c);
}

static void command_read(struct request *req, redisReply *r, void *arg)
{
    struct command *c = arg;
    const struct services *svc = request_services(req);
    int applied = 0;
    char text[200];
    if (read_ticket(r, &applied, &c->f) != 0) {
        snprintf(text, sizeof(text), "Tiket %s tidak ditemukan.", c->ticket);
        refuse(req, c, text, "no_ticket");
        return;
    }
    cstate_parse(get(&c->f, "status"), &c->from);
    if (applied) {
        /* A second reading of a command already applied: answer as before. */
        c->to = c->from;
        command_applied(req, c);
        return;
    }
    const struct official *o = c->official;
    int own = o->role == ROLE_COORDINATOR || o->role == ROLE_SEKDA ||
              (o->opd >= 0 && strcmp(opd_code(svc->opds, o->opd), get(&c->f, "opd")) == 0);
    if (!own) {
        snprintf(text, sizeof(text), "Tiket %s ditangani %s, bukan %s Anda.", c->ticket,
                 opd_short_of(svc, get(&c->f, "opd")),
                 o->opd >= 0 ? opd_short(svc->opds, o->opd) : "-");
        refuse(req, c, text, "other_opd");
        return;
    }
    enum cactor who =
        o->role == ROLE_COORDINATOR || o->role == ROLE_SEKDA ? CACTOR_COORDINATOR : CACTOR_OFFICIAL;
    /* ALIHKAN on a complaint still in triage is its first forwarding. */
    if (c->action == CACTION_REASSIGN && c->from == CSTATE_DITERIMA)
        c->action = CACTION_FORWARD;
    if (cstate_apply_as(c->from, c->action, who, &c->to) != 0) {
        snprintf(text, sizeof(text), "Tiket %s berstatus %s: %s tidak bisa dipakai.", c->ticket,
                 cstate_name(c->from), action_word(c->action));
        refuse(req, c, text, "state");
        return;
    }
    long long now = request_now(req);
    long long due = 0;
    const char *kind = "";
    if (c->to == CSTATE_DITERUSKAN || c->to == CSTATE_DIBUKA_KEMBALI) {
        due = workday_deadline(svc->holidays, now, WORKDAY_FOLLOW_UP);
        kind = "followup";
    } else if (c->to == CSTATE_DITINDAKLANJUTI) {
        /* Followed up: what remains is the legal maximum for the whole case. */
        due =
            workday_calendar_deadline(atoll(get(&c->f, "created")) / 1000, WORKDAY_LEGAL_MAX_DAYS);
        kind = "legal";
    } else if (c->to == CSTATE_SELESAI) {
        due = workday_deadline(svc->holidays, now, WORKDAY_AUTO_CLOSE);
        kind = "close";
    }
    char now_s[24], due_s[24], actor[128], note[COMPLAINT_TEXT_MAX + 4];
    snprintf(now_s, sizeof(now_s), "%lld", ms(now));
    if (due)
        snprintf(due_s, sizeof(due_s), "%lld", ms(due));
    else
        due_s[0] = '\0';
    if (c->to == c->from && due == 0)
        snprintf(due_s, sizeof(due_s), "-"); /* an answer on an answered ticket keeps its clock */
    /* "via api:TOKEN": who acted through the admin API in the official's name. */
    const char *via = request_hint(req, "via");
    snprintf(actor, sizeof(actor), "%s:%s%s%s", services_role_name(o->role), o->name,
             via[0] ? " via " : "", via);
    cut(c->rest, COMPLAINT_TEXT_MAX, note, sizeof(note));
    const char *argv[] = {"FCALL",
                          "kt_ticket_update",
                          "3",
                          c->key,
                          STORE_DEADLINES,
                          c->applied,
                          now_s,
                          cstate_name(c->from),
                          cstate_name(c->to),
                          actor,
                          action_word(c->action),
                          note,
                          due_s,
                          kind,
                          moves(c) ? opd_code(svc->opds, c->target_opd) : "",
                          moves(c) ? "0" : "",
                          get(&c->f, "opd")};
    request_redis_argv(req, command_updated, c, (int)(sizeof(argv) / sizeof(argv[0])), argv);
}

static void command_parse(struct request *req, struct command *c);

static void command_allowed(struct request *req, enum auth_result res, redisReply *fields,
                            void *arg)
{
    command_parse(req, arg);
}

static void official_command(struct request *req, const struct kw_match *m, enum caction action)
{
    const struct services *svc = request_services(req);
    struct command *c = request_own(req, calloc(1, sizeof(*c)));
    if (c == NULL) {
        request_fail(req, "out of memory");
        return;
    }
    c->action = action;
    c->official = services_official(svc, request_sender(req));
    if (c->official == NULL) {
        refuse(req, c,
               "Perintah ini hanya untuk petugas terdaftar. Untuk melapor ketik: LAPOR "
               "<isi laporan>",
               "not_official");
        return;
    }
    c->args = (char *)m->args; /* in the request's own buffer */
    /* A PIN word the worker did not take (a message that reached kt:in some
     * other way) is still never passed on to a resident. */
    pin_take(c->args, "", 0, NULL);
    /* The admin API has authenticated its caller with a token and says so
     * with a hint; hints are set only by code (router_submit), never taken
     * from a message, so an SMS cannot claim it. The token stands in for
     * the PIN. */
    int authenticated = strcmp(request_channel(req), "api") == 0 &&
                        strcmp(request_hint(req, "authenticated"), "1") == 0;
    if (authenticated || c->official->pin[0] == '\0') {
        command_parse(req, c);
        return;
    }
    snprintf(c->usage, sizeof(c->usage), "Tulis: %s <tiket> ... PIN <pin>", action_word(action));
    struct auth_step step = {.official = c->official, .mode = AUTH_COMMAND, .usage = c->usage};
    auth_check(req, &step, command_allowed, c);
}

static void command_parse(struct request *req, struct command *c)
{
    const struct services *svc = request_services(req);
    enum caction action = c->action;
    char *args = c->args;
    while (*args == ' ')
        args++;
    size_t n = strcspn(args, " \t\r\n");
    char word[TICKET_MAX + 8];
    snprintf(word, sizeof(word), "%.*s", (int)(n < sizeof(word) - 1 ? n : sizeof(word) - 1), args);
    if (n == 0 || ticket_parse(word, &c->seq) != 0) {
        char text[160];
        snprintf(text, sizeof(text), "Nomor tiket tidak valid. Tulis: %s <nomor tiket>%s",
                 action_word(action),
                 action == CACTION_ACK        ? ""
                 : action == CACTION_REASSIGN ? " <OPD>"
                                              : " <isi>");
        refuse(req, c, text, "bad_ticket");
        return;
    }
    ticket_format(c->seq, c->ticket, sizeof(c->ticket));
    c->rest = args + n;
    while (*c->rest == ' ' || *c->rest == '\t')
        c->rest++;
    if ((action == CACTION_ANSWER || action == CACTION_RESOLVE || action == CACTION_REJECT ||
         action == CACTION_REJECT_AUTHORITY) &&
        c->rest[0] == '\0') {
        char text[160];
        snprintf(text, sizeof(text), "Tulis: %s %s <isi untuk warga>", action_word(action),
                 c->ticket);
        refuse(req, c, text, "no_text");
        return;
    }
    if (action == CACTION_REJECT)
        c->action = cstate_reject_action(c->rest); /* not our authority, or invalid */
    if (action == CACTION_REASSIGN) {
        c->target_opd = opd_find(svc->opds, c->rest);
        if (c->target_opd < 0) {
            refuse(req, c, "OPD tidak dikenal. Tulis: ALIHKAN <tiket> <kode OPD>, mis. DPUPR",
                   "bad_opd");
            return;
        }
    }
    snprintf(c->key, sizeof(c->key), "kt:ticket:%llu", c->seq);
    snprintf(c->applied, sizeof(c->applied), "kt:applied:%s", request_id(req));
    const char *argv[] = {"FCALL", "kt_ticket_read", "2", c->key, c->applied};
    request_redis_argv(req, command_read, c, 5, argv);
}

void complaint_terima(struct request *req, const struct kw_match *m)
{
    official_command(req, m, CACTION_ACK);
}

void complaint_balas(struct request *req, const struct kw_match *m)
{
    official_command(req, m, CACTION_ANSWER);
}

void complaint_selesai(struct request *req, const struct kw_match *m)
{
    official_command(req, m, CACTION_RESOLVE);
}

void complaint_alihkan(struct request *req, const struct kw_match *m)
{
    official_command(req, m, CACTION_REASSIGN);
}

void complaint_tolak(struct request *req, const struct kw_match *m)
{
    official_command(req, m, CACTION_REJECT);
}

/* ---- PUAS / TIDAK PUAS ---- */

struct rating {
    int satisfied;
    char key[64], applied[64], ticket[TICKET_MAX];
    const char *reason;
    struct fields f;
};

static void rating_updated(struct request *req, redisReply *r, void *arg)
{
    struct rating *g = arg;
    const struct services *svc = request_services(req);
    char text[480], prefix[160];
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_ticket_update");
        return;
    }
    if (r->integer == 0) {
        request_reply(req, "Tiket baru saja berubah. Ketik CEK <nomor tiket> untuk statusnya.");
    } else if (g->satisfied) {
        snprintf(text, sizeof(text), "Terima kasih atas penilaian Anda. Tiket %s ditutup.",
                 g->ticket);
        request_reply(req, text);
    } else {
        const char *opd = get(&g->f, "opd");
        snprintf(text, sizeof(text),
                 "Tiket %s dibuka kembali dan diteruskan lagi ke %s. Cek status: CEK %s", g->ticket,
                 opd_short_of(svc, opd), g->ticket);
        request_reply(req, text);
        snprintf(prefix, sizeof(prefix),
                 "Pengaduan %s DIBUKA KEMBALI, warga TIDAK PUAS: ", g->ticket);
        compose(text, sizeof(text), prefix, g->reason[0] ? g->reason : get(&g->f, "text"),
                " | Balas: TERIMA", NOTICE_PARTS);
        notify_opd(req, svc, opd_find(svc->opds, opd), text);
    }
    request_done(req);
}

static void rating_read(struct request *req, redisReply *r, void *arg)
{
    struct rating *g = arg;
    const struct services *svc = request_services(req);
    int applied;
    if (read_ticket(r, &applied, &g->f) != 0 ||
        strcmp(get(&g->f, "phone"), request_sender(req)) != 0) {
        request_reply(req, "Tidak ada laporan Anda yang menunggu penilaian.");
        request_done(req);
        return;
    }
    enum cstate from = CSTATE_SELESAI, to;
    cstate_parse(get(&g->f, "status"), &from);
    if (!applied && cstate_apply_as(from, g->satisfied ? CACTION_SATISFIED : CACTION_UNSATISFIED,
                                    CACTOR_RESIDENT, &to) != 0) {
        char text[160];
        snprintf(text, sizeof(text), "Tiket %s berstatus %s, belum bisa dinilai.", g->ticket,
                 cstate_name(from));
        request_reply(req, text);
        request_done(req);
        return;
    }
    if (applied)
        to = from;
    long long now = request_now(req);
    char now_s[24], due_s[24] = "", actor[48], note[COMPLAINT_TEXT_MAX + 4];
    snprintf(now_s, sizeof(now_s), "%lld", ms(now));
    if (!g->satisfied)
        snprintf(due_s, sizeof(due_s), "%lld",
                 ms(workday_deadline(svc->holidays, now, WORKDAY_FOLLOW_UP)));
    snprintf(actor, sizeof(actor), "warga:%s", request_sender(req));
    cut(g->reason, COMPLAINT_TEXT_MAX, note, sizeof(note));
    const char *argv[] = {"FCALL",
                          "kt_ticket_update",
                          "3",
                          g->key,
                          STORE_DEADLINES,
                          g->applied,
                          now_s,
                          cstate_name(from),
                          cstate_name(to),
                          actor,
                          g->satisfied ? "PUAS" : "TIDAK PUAS",
                          note,
                          due_s,
                          g->satisfied ? "" : "followup",
                          "",
                          g->satisfied ? "" : "0"};
    request_redis_argv(req, rating_updated, g, (int)(sizeof(argv) / sizeof(argv[0])), argv);
}

static void rating_found(struct request *req, redisReply *r, void *arg)
{
    struct rating *g = arg;
    if (r->type != REDIS_REPLY_INTEGER || r->integer <= 0) {
        request_reply(req, "Tidak ada laporan Anda yang menunggu penilaian.");
        request_done(req);
        return;
    }
    unsigned long long seq = (unsigned long long)r->integer;
    ticket_format(seq, g->ticket, sizeof(g->ticket));
    snprintf(g->key, sizeof(g->key), "kt:ticket:%llu", seq);
    const char *argv[] = {"FCALL", "kt_ticket_read", "2", g->key, g->applied};
    request_redis_argv(req, rating_read, g, 5, argv);
}

static void rate(struct request *req, const struct kw_match *m, int satisfied)
{
    struct rating *g = request_own(req, calloc(1, sizeof(*g)));
    if (g == NULL) {
        request_fail(req, "out of memory");
        return;
    }
    g->satisfied = satisfied;
    g->reason = m->args;
    snprintf(g->applied, sizeof(g->applied), "kt:applied:%s", request_id(req));
    /* "PUAS 1000017" names the ticket; plain "PUAS" means the newest one
     * waiting for a rating. */
    unsigned long long seq;
    size_t n = strcspn(m->args, " \t");
    char word[TICKET_MAX + 8];
    snprintf(word, sizeof(word), "%.*s", (int)(n < sizeof(word) - 1 ? n : sizeof(word) - 1),
             m->args);
    if (n > 0 && ticket_parse(word, &seq) == 0) {
        g->reason = m->args + n;
        while (*g->reason == ' ')
            g->reason++;
        ticket_format(seq, g->ticket, sizeof(g->ticket));
        snprintf(g->key, sizeof(g->key), "kt:ticket:%llu", seq);
        const char *argv[] = {"FCALL", "kt_ticket_read", "2", g->key, g->applied};
        request_redis_argv(req, rating_read, g, 5, argv);
        return;
    }
    char byphone[64];
    snprintf(byphone, sizeof(byphone), "kt:tickets:by-phone:%s", request_sender(req));
    const char *argv[] = {"FCALL", "kt_ticket_awaiting", "1", byphone, cstate_name(CSTATE_SELESAI)};
    request_redis_argv(req, rating_found, g, 5, argv);
}

void complaint_puas(struct request *req, const struct kw_match *m)
{
    rate(req, m, 1);
}

void complaint_tidak_puas(struct request *req, const struct kw_match *m)
{
    rate(req, m, 0);
}

/* ---- deadlines ---- */

struct due {
    char key[64], applied[80], ticket[TICKET_MAX];
    struct fields f;
    int level;
    enum cstate from, to;
};

static void deadline_updated(struct request *req, redisReply *r, void *arg)
{
    struct due *d = arg;
    const struct services *svc = request_services(req);
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0) {
        request_fail(req, r->type == REDIS_REPLY_ERROR ? r->str : "kt_ticket_update");
        return;
    }
    if (r->integer == 0) {
        /* The ticket moved on since the deadline was set: nothing to do. */
        request_done(req);
        return;
    }
    char text[480], prefix[200], when[WORKDAY_DATE_MAX];
    const char *opd = get(&d->f, "opd");
    int opd_i = opd_find(svc->opds, opd);
    if (d->to == CSTATE_DITUTUP && d->from == CSTATE_SELESAI) {
        snprintf(text, sizeof(text),
                 "Tiket %s ditutup: tidak ada keberatan dalam 10 hari kerja. Terima kasih.",
                 d->ticket);
        request_send_to(req, get(&d->f, "phone"), text);
        log_info("event=complaint_closed id=%s ticket=%s", request_id(req), d->ticket);
    } else {
        date_of(atoll(request_field(req, "due")), when, sizeof(when)); /* the missed one */
        snprintf(prefix, sizeof(prefix), "ESKALASI %d: tiket %s (%s, %s) lewat batas %s. ",
                 d->level, d->ticket, opd_short_of(svc, opd), cstate_name(d->from), when);
        compose(text, sizeof(text), prefix, get(&d->f, "text"), "", NOTICE_PARTS);
        /* liaison -> head of the OPD and the coordinator -> sekda */
        if (d->level == 1)
            send_officials(req, svc, opd_i, ROLE_HEAD, text);
        else
            send_officials(req, svc, -1, ROLE_SEKDA, text);
        send_officials(req, svc, -1, ROLE_COORDINATOR, text);
        log_warnx("event=complaint_escalated id=%s ticket=%s level=%d opd=%s status=%s",
                  request_id(req), d->ticket, d->level, opd, cstate_name(d->from));
    }
    request_done(req);
}

static void deadline_read(struct request *req, redisReply *r, void *arg)
{
    struct due *d = arg;
    const struct services *svc = request_services(req);
    int applied;
    if (read_ticket(r, &applied, &d->f) != 0) {
        request_done(req); /* ticket gone: acknowledge */
        return;
    }
    cstate_parse(get(&d->f, "status"), &d->from);
    const char *kind = get(&d->f, "deadline_kind");
    if (applied) {
        /* Read again after a crash: the ticket already shows the outcome;
         * answer from it rather than from the (now moved) deadline. */
        if (strcmp(get(&d->f, "last_action"), "TUTUP OTOMATIS") == 0) {
            d->from = CSTATE_SELESAI;
            d->to = CSTATE_DITUTUP;
        } else {
            d->to = d->from;
            d->level = atoi(get(&d->f, "escalation"));
        }
        deadline_updated(req, &(redisReply){.type = REDIS_REPLY_INTEGER, .integer = 2}, d);
        return;
    }
    /* Stale: the deadline was moved after this one was set. */
    if (strcmp(get(&d->f, "deadline"), request_field(req, "due")) != 0) {
        request_done(req);
        return;
    }
    long long now = request_now(req);
    char now_s[24], due_s[24] = "-", level_s[16] = "";
    snprintf(now_s, sizeof(now_s), "%lld", ms(now));
    const char *action = "ESKALASI";
    d->to = d->from;
    if (strcmp(kind, "close") == 0) {
        if (cstate_apply_as(d->from, CACTION_AUTO_CLOSE, CACTOR_SYSTEM, &d->to) != 0) {
            request_done(req);
            return;
        }
        action = "TUTUP OTOMATIS";
        due_s[0] = '\0';
    } else {
        d->level = atoi(get(&d->f, "escalation")) + 1;
        snprintf(level_s, sizeof(level_s), "%d", d->level);
        snprintf(due_s, sizeof(due_s), "%lld",
                 ms(workday_deadline(svc->holidays, now, WORKDAY_ESCALATE_AGAIN)));
    }
    const char *argv[] = {"FCALL",
                          "kt_ticket_update",
                          "3",
                          d->key,
                          STORE_DEADLINES,
                          d->applied,
                          now_s,
                          cstate_name(d->from),
                          cstate_name(d->to),
                          "sistem",
                          action,
                          "",
                          due_s,
                          kind,
                          "",
                          level_s};
    request_redis_argv(req, deadline_updated, d, (int)(sizeof(argv) / sizeof(argv[0])), argv);
}

void complaint_deadline(struct request *req)
{
    const char *key = request_field(req, "key");
    unsigned long long seq;
    if (strncmp(key, "ticket:", 7) != 0 || sscanf(key + 7, "%llu", &seq) != 1) {
        log_warnx("event=deadline_unknown id=%s key=%s", request_id(req), key);
        request_done(req);
        return;
    }
    struct due *d = request_own(req, calloc(1, sizeof(*d)));
    if (d == NULL) {
        request_fail(req, "out of memory");
        return;
    }
    ticket_format(seq, d->ticket, sizeof(d->ticket));
    snprintf(d->key, sizeof(d->key), "kt:ticket:%llu", seq);
    snprintf(d->applied, sizeof(d->applied), "kt:applied:ev:%s", request_id(req));
    const char *argv[] = {"FCALL", "kt_ticket_read", "2", d->key, d->applied};
    request_redis_argv(req, deadline_read, d, 5, argv);
}
