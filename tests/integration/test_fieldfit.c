/* Integration: what residents actually write, through the real gateway and Redis. Status
 * questions with words around the ticket, the place named in the confirmation and corrected
 * with LOKASI (never guessed between two desa of one name, only by the number that filed
 * it), a likely complaint asked about once and filed on YA, keywords mid-message and
 * respelled, Javanese opt-out and dissatisfaction, and the traps: thanks, STOP inside a
 * complaint, operator senders. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESIDENT   "081234567890"
#define RESIDENT_N "6281234567890"
#define OTHER      "081255556666"
#define OTHER_N    "6281255556666"
#define LIAISON    "081311110001"
#define LIAISON_N  "6281311110001"
#define COORD      "081311110003"

static struct kt_env env;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    char modems[2048], pin[192];
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\nper_day = 100000\n"
             "[official:budi]\nphone = " LIAISON "\nopd = DPUPR\nrole = liaison\n"
             "[official:kominfo]\nphone = " COORD "\nopd = DISKOMINFO\nrole = coordinator\n%s",
             env.modem_dir, kt_pin_line(COORD, "2468", pin, sizeof(pin)));
    cr_assert_eq(kt_write_config(&env, "sender_per_minute = 100\nconfirm_ttl = 120", modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(fieldfit, .init = setup, .fini = teardown, .timeout = 180);

static void say(const char *from, const char *text, const char *to, char *out, size_t len)
{
    int rc = kt_exchange(&env, from, text, to, 20, out, len);
    if (rc != 0)
        kt_dump_log(&env);
    cr_assert_eq(rc, 0, "no answer to \"%s\"", text);
}

static void ticket_in(const char *text, char *out, size_t len)
{
    const char *p = strstr(text, "tiket ");
    cr_assert_not_null(p, "no ticket in: %s", text);
    p += 6;
    size_t n = strspn(p, "0123456789");
    cr_assert_gt(n, 5, "ticket too short in: %s", text);
    snprintf(out, len, "%.*s", (int)n, p);
}

static void ticket_field(const char *ticket, const char *field, char *out, size_t len)
{
    unsigned long long seq = strtoull(ticket, NULL, 10) / 10 - 10000;
    redisReply *r = kt_redis(&env, "HGET kt:ticket:%llu %s", seq, field);
    snprintf(out, len, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
}

static long long tickets(void)
{
    redisReply *r = kt_redis(&env, "GET kt:ticket:seq");
    long long n = r && r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
    freeReplyObject(r);
    return n;
}

struct inbound {
    long long n;
};

static int all_acknowledged(struct kt_env *e, void *arg)
{
    const struct inbound *in = arg;
    return kt_redis_int(e, "XLEN kt:in") >= in->n && kt_in_pending(e) == 0;
}

/* Delivers text and proves it got no answer: once the gateway has acknowledged it (its
 * replies, if any, are queued in the same step), an INFO from the same number is answered
 * and that answer is the only new message to the number. */
static void expect_silence(const char *from, const char *from_n, const char *text)
{
    struct kt_sent sent[64];
    char out[512];
    int before = kt_sent_to(&env, from_n, sent, 64);
    struct inbound in = {kt_redis_int(&env, "XLEN kt:in") + 1};
    cr_assert_eq(kt_dummy_deliver(&env, from, text, NULL, 0), 0);
    cr_assert(kt_wait(&env, 20, all_acknowledged, &in), "\"%s\" not acknowledged", text);
    if (from_n[0] == '6') {
        say(from, "INFO", from_n, out, sizeof(out));
        cr_expect(strstr(out, "Layanan SMS") != NULL, "the INFO answer: %s", out);
        cr_expect_eq(kt_sent_to(&env, from_n, sent, 64), before + 1, "\"%s\" was answered", text);
    }
}

static void file(const char *from, const char *text, char *ticket, size_t len)
{
    char out[512];
    say(from, text, strcmp(from, OTHER) == 0 ? OTHER_N : RESIDENT_N, out, sizeof(out));
    cr_assert(strstr(out, "Laporan diterima") != NULL, "%s: %s", text, out);
    ticket_in(out, ticket, len);
}

Test(fieldfit, status_questions_around_the_ticket)
{
    char out[512], ticket[32], cmd[160];
    file(RESIDENT, "LAPOR jalan berlubang di desa Tragung", ticket, sizeof(ticket));
    const char *forms[] = {"CEK tiket %s", "piye kabare laporanku %s",
                           "Pak, laporan saya %s sudah sampai mana?", "pripun %s",
                           "cek nomer laporan %s"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        snprintf(cmd, sizeof(cmd), forms[i], ticket);
        say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
        char want[48];
        snprintf(want, sizeof(want), "Tiket %s:", ticket);
        cr_expect(strstr(out, want) != NULL, "\"%s\" is a status check: %s", cmd, out);
    }
    /* the filler is never looked up */
    say(RESIDENT, "CEK tiket", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Tulis: CEK") != NULL, "%s", out);
    cr_expect(strstr(out, "tiket tidak") == NULL, "%s", out);
    /* a bare short number is not a lookup */
    say(RESIDENT, "12", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "tidak ditemukan") == NULL, "%s", out);
}

Test(fieldfit, confirmation_names_the_place_and_lokasi_corrects_it)
{
    char out[512], ticket[32], cmd[160], v[64];
    say(RESIDENT, "LAPOR jalan berlubang di desa Tragung", RESIDENT_N, out, sizeof(out));
    ticket_in(out, ticket, sizeof(ticket));
    cr_expect(strstr(out, "Tragung") && strstr(out, "Kandeman"), "place named: %s", out);
    cr_expect(strstr(out, "LOKASI") != NULL, "how to correct it: %s", out);
    cr_expect_leq(strlen(out), 160, "one SMS: %s", out);

    /* two desa are called Kalisalak: a question, not a guess */
    snprintf(cmd, sizeof(cmd), "LOKASI %s Kalisalak", ticket);
    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Limpung") && strstr(out, "Batang") && strstr(out, "LOKASI"),
              "asks which kecamatan: %s", out);
    ticket_field(ticket, "desa", v, sizeof(v));
    cr_expect_str_eq(v, "Tragung", "unchanged by an ambiguous name");

    /* another number may not move it */
    say(OTHER, "LOKASI 100014 Tragung", OTHER_N, out, sizeof(out));
    snprintf(cmd, sizeof(cmd), "LOKASI %s Kalisalak Limpung", ticket);
    say(OTHER, cmd, OTHER_N, out, sizeof(out));
    cr_expect(strstr(out, "tidak ditemukan") != NULL, "%s", out);
    ticket_field(ticket, "desa", v, sizeof(v));
    cr_expect_str_eq(v, "Tragung");

    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "diubah") && strstr(out, "Kalisalak"), "%s", out);
    ticket_field(ticket, "desa", v, sizeof(v));
    cr_expect_str_eq(v, "Kalisalak");
    ticket_field(ticket, "kecamatan", v, sizeof(v));
    cr_expect_str_eq(v, "Limpung");

    snprintf(cmd, sizeof(cmd), "LOKASI %s Zzyzxvaal 3325012345678901", ticket);
    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "tidak dikenal") != NULL, "%s", out);
    cr_expect(strstr(out, "3325012345678901") == NULL, "a NIK is never echoed whole: %s", out);
    say(RESIDENT, "LOKASI", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Tulis: LOKASI") != NULL, "%s", out);

    /* a kecamatan named without "kec" */
    say(RESIDENT, "LAPOR lampu jalan mati di Limpung", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Kec Limpung") != NULL, "%s", out);
    ticket_in(out, ticket, sizeof(ticket));
    ticket_field(ticket, "kecamatan", v, sizeof(v));
    cr_expect_str_eq(v, "Limpung");
}

Test(fieldfit, likely_complaint_is_asked_once_and_filed_on_ya)
{
    char out[512];
    say(RESIDENT, "jalan depan balai desa Tragung rusak parah berlubang", RESIDENT_N, out,
        sizeof(out));
    cr_expect(strstr(out, "Balas YA") != NULL, "asks: %s", out);
    cr_expect_eq(tickets(), 0, "nothing filed yet");
    long long ttl = kt_redis_int(&env, "TTL kt:pending:" RESIDENT_N);
    cr_expect(ttl > 0 && ttl <= 120, "kept for confirm_ttl (120 s): %lld", ttl);
    say(RESIDENT, "ya", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Laporan diterima") != NULL, "%s", out);
    cr_expect(strstr(out, "Tragung") != NULL, "%s", out);
    cr_expect_eq(tickets(), 1);
    /* the kept text is taken once */
    say(RESIDENT, "YA", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Laporan diterima") == NULL, "%s", out);
    cr_expect_eq(tickets(), 1, "a second YA files nothing");
}

Test(fieldfit, keywords_anywhere_and_as_typed)
{
    char out[512], ticket[32];
    file(RESIDENT, "kula badhe ngaturaken pengaduan, lampu PJU ing desa Tragung pejah", ticket,
         sizeof(ticket));
    file(RESIDENT, "jalan di desa Tragung rusak parah, mohon dilaporkan", ticket, sizeof(ticket));
    file(RESIDENT, "L4P0R jalan rusak di desa Tragung", ticket, sizeof(ticket));
    file(RESIDENT, "LAPORjalan rusak di desa Tragung", ticket, sizeof(ticket));
    say(RESIDENT, "1NF0", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Layanan SMS") != NULL, "%s", out);
}

Test(fieldfit, javanese_stop_and_not_satisfied)
{
    char out[512], ticket[32], cmd[160], v[64];
    cr_assert_eq(kt_wait_functions(&env, 20), 0);
    cr_assert_eq(kt_subscribe(&env, RESIDENT_N, "33.25.13.2006"), 0);
    say(RESIDENT, "ampun dikirimi malih", RESIDENT_N, out, sizeof(out));
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:optout:%s", RESIDENT_N), 1, "opted out: %s", out);

    file(RESIDENT, "LAPOR jalan berlubang di desa Tragung", ticket, sizeof(ticket));
    snprintf(cmd, sizeof(cmd), "TERIMA %s", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    snprintf(cmd, sizeof(cmd), "SELESAI %s sudah ditambal", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_assert_eq(kt_wait_sent_with(&env, RESIDENT_N, "ditambal", 20, out, sizeof(out)), 0);
    snprintf(cmd, sizeof(cmd), "tiket %s mboten marem, taksih bolong", ticket);
    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    ticket_field(ticket, "status", v, sizeof(v));
    cr_expect_str_neq(v, "SELESAI", "reopened (%s): %s", v, out);
}

Test(fieldfit, traps_stay_safe)
{
    char out[512], ticket[32];
    cr_assert_eq(kt_wait_functions(&env, 20), 0);
    cr_assert_eq(kt_subscribe(&env, RESIDENT_N, "33.25.13.2006"), 0);
    file(RESIDENT, "LAPOR proyek jalan di desa Tragung STOP sejak bulan lalu", ticket,
         sizeof(ticket));
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:optout:%s", RESIDENT_N), 0, "not an opt-out");
    expect_silence(RESIDENT, RESIDENT_N, "matur nuwun pak");
    expect_silence(RESIDENT, RESIDENT_N, "makasih");
    expect_silence("TELKOMSEL", "TELKOMSEL", "LAPOR promo paket murah, ketik YA");
    expect_silence("3636", "3636", "ampun dikirimi malih");
    say(RESIDENT, "INFO", RESIDENT_N, out, sizeof(out));
    struct kt_sent sent[8];
    cr_expect_eq(kt_sent_to(&env, "TELKOMSEL", sent, 8), 0, "operators get nothing");
}

/* kentongan -t checks data/lexicon.csv and names the bad line. */
Test(fieldfit_config, kentongan_t_names_a_bad_lexicon_line)
{
    struct kt_env e;
    cr_assert_eq(kt_env_init(&e), 0);
    const char *root = getenv("KT_ROOT");
    char cmd[1024], path[400], out[4096], args[512];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s/data && cp %s/data/*.csv %s/data/", e.dir,
             root ? root : ".", e.dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/data/lexicon.csv", e.dir);
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f);
    fputs("berhenti,jv,ampun ngirim sms,LAPOR\n", f); /* arti must be "-" here */
    fclose(f);
    int line = 0;
    f = fopen(path, "r");
    for (int c; (c = fgetc(f)) != EOF;)
        line += c == '\n';
    fclose(f);
    snprintf(path, sizeof(path), "%s/t.ini", e.dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "[gateway]\ndata_dir = %s/data\nmenu = %s/etc/menu.json\n"
            "[modem:m]\nmodel = dummy\nconnection = none\ndevice = %s\n",
            e.dir, root ? root : ".", e.modem_dir);
    fclose(f);
    snprintf(args, sizeof(args), "-t -c %s", path);
    cr_expect_eq(kt_run(&e, args, out, sizeof(out)), 1, "%s", out);
    char want[64];
    snprintf(want, sizeof(want), "lexicon.csv:%d: arti", line);
    cr_expect(strstr(out, want) != NULL, "names line %d: %s", line, out);
    kt_env_cleanup(&e);
}
