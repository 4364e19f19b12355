/* Integration: emergencies and matters of other authorities through the real
 * gateway. A flood reported by SMS gets the emergency numbers (as
 * configured) and a ticket at BPBD with an hours deadline, BPBD's liaison and
 * head are told at once, and the ticket comes first in the complaint list
 * while it is open; a negated emergency word is an ordinary complaint; an
 * electricity fault gets PLN's number and no ticket. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESIDENT      "081234567890"
#define RESIDENT_N    "6281234567890"
#define BPBD_LIAISON  "6281311110011"
#define BPBD_HEAD     "6281311110012"
#define DPUPR_LIAISON "6281311110001"
#define T_ADMIN       "admin-secret-urgency"

static struct kt_env env;
static int port;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    char h_admin[65], extra[256], modems[2048], pin[192];
    kt_sha256_hex(T_ADMIN, h_admin);
    kt_pin_line("081311110003", "2468", pin, sizeof(pin));
    snprintf(extra, sizeof(extra),
             "http = 127.0.0.1:%d\ntest_clock = 1\nsender_per_minute = 100\n"
             "bpbd_number = 0285391234\nfire_number =\nurgent_deadline_hours = 6",
             port);
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\nper_day = 100000\n"
             "[official:bpbd]\nphone = 081311110011\nopd = BPBD\nrole = liaison\n"
             "[official:kalak]\nphone = 081311110012\nopd = BPBD\nrole = head\n"
             "[official:budi]\nphone = 081311110001\nopd = DPUPR\nrole = liaison\n"
             "[official:kominfo]\nphone = 081311110003\nopd = DISKOMINFO\nrole = coordinator\n%s"
             "[token:ops]\nsha256 = %s\nrole = admin\n",
             env.modem_dir, pin, h_admin);
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(urgency, .init = setup, .fini = teardown, .timeout = 120);

static void say(const char *text, char *out, size_t len)
{
    int rc = kt_exchange(&env, RESIDENT, text, RESIDENT_N, 20, out, len);
    if (rc != 0)
        kt_dump_log(&env);
    cr_assert_eq(rc, 0, "no answer to \"%s\"", text);
}

/* The ticket number after "tiket " in text, and its seq. */
static unsigned long long ticket_in(const char *text, char *out, size_t len)
{
    const char *p = strstr(text, "tiket ");
    cr_assert_not_null(p, "no ticket in: %s", text);
    p += 6;
    size_t n = strspn(p, "0123456789");
    cr_assert_gt(n, 5, "ticket too short in: %s", text);
    snprintf(out, len, "%.*s", (int)n, p);
    return strtoull(out, NULL, 10) / 10 - 10000;
}

Test(urgency, a_flood_gets_the_numbers_and_reaches_bpbd_at_once)
{
    char out[512], ticket[32];
    say("LAPOR banjir setinggi dada di desa Kalisalak kec Batang, warga butuh evakuasi", out,
        sizeof(out));
    cr_expect(strstr(out, "112") && strstr(out, "BPBD 0285391234"),
              "emergency numbers, BPBD's as configured: %s", out);
    cr_expect(strstr(out, "Damkar") == NULL, "fire_number empty: not told: %s", out);
    cr_expect_leq(strlen(out), 160, "one SMS: %s", out);
    unsigned long long seq = ticket_in(out, ticket, sizeof(ticket));

    cr_assert_eq(kt_wait_sent_with(&env, BPBD_LIAISON, ticket, 20, out, sizeof(out)), 0,
                 "BPBD's liaison told");
    cr_expect(strstr(out, "DARURAT") && strstr(out, "banjir"), "%s", out);
    cr_assert_eq(kt_wait_sent_with(&env, BPBD_HEAD, ticket, 20, out, sizeof(out)), 0,
                 "BPBD's head told");

    redisReply *r = kt_redis(&env, "HMGET kt:ticket:%llu urgent opd status created deadline", seq);
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 5);
    cr_expect_str_eq(r->element[0]->str, "1");
    cr_expect_str_eq(r->element[1]->str, "BPBD");
    cr_expect_str_eq(r->element[2]->str, "DITERUSKAN");
    long long created = atoll(r->element[3]->str), deadline = atoll(r->element[4]->str);
    cr_expect_eq(deadline - created, 6LL * 3600 * 1000, "urgent_deadline_hours = 6");
    freeReplyObject(r);
    cr_expect_eq(kt_redis_int(&env, "ZSCORE kt:tickets:urgent %llu", seq), (long long)seq);
}

Test(urgency, javanese_fallen_tree_is_urgent_and_a_negated_flood_is_not)
{
    char out[512], ticket[32];
    say("lapor wit ambruk nutup dalan neng Kalisalak Batang", out, sizeof(out));
    cr_expect(strstr(out, "112") != NULL, "%s", out);
    ticket_in(out, ticket, sizeof(ticket));
    cr_assert_eq(kt_wait_sent_with(&env, BPBD_LIAISON, ticket, 20, out, sizeof(out)), 0);

    say("LAPOR bukan banjir, got mampet di desa Kalisalak kec Batang", out, sizeof(out));
    cr_expect(strstr(out, "112") == NULL && strstr(out, "DARURAT") == NULL,
              "ordinary complaint: %s", out);
    cr_expect(strstr(out, "DPUPR") != NULL, "drainage goes to DPUPR: %s", out);
    unsigned long long seq = ticket_in(out, ticket, sizeof(ticket));
    cr_expect_eq(kt_redis_int(&env, "HEXISTS kt:ticket:%llu urgent", seq), 0);
    cr_assert_eq(kt_wait_sent_with(&env, DPUPR_LIAISON, ticket, 20, out, sizeof(out)), 0);
}

Test(urgency, a_place_named_is_no_evidence)
{
    char out[512], ticket[32];
    /* desa Banjiran: "banjir" with a suffix, but a place, not a flood */
    say("LAPOR jalan rusak di desa Banjiran kec Warungasem", out, sizeof(out));
    cr_expect(strstr(out, "DARURAT") == NULL && strstr(out, "DPUPR") != NULL, "%s", out);
    unsigned long long seq = ticket_in(out, ticket, sizeof(ticket));
    redisReply *r = kt_redis(&env, "HMGET kt:ticket:%llu desa opd urgent", seq);
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3);
    cr_expect_str_eq(r->element[0]->str, "Banjiran");
    cr_expect_str_eq(r->element[1]->str, "DPUPR");
    cr_expect_eq(r->element[2]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

Test(urgency, electricity_gets_the_pln_number_and_no_ticket)
{
    char out[512];
    say("LAPOR listrik padam sejak pagi di desa Kalisalak", out, sizeof(out));
    cr_expect(strstr(out, "PLN 123") != NULL, "%s", out);
    cr_expect(strstr(out, "tiket ") == NULL || strstr(out, "tidak dibuat tiket"), "%s", out);
    cr_expect_leq(strlen(out), 160, "one SMS: %s", out);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:ticket:seq"), 0, "no ticket made");
}

/* GET /api/complaints (query), the tickets of its items in order. */
static int list(const char *query, char tickets[][32], int max)
{
    char path[128], out[65536];
    snprintf(path, sizeof(path), "/api/complaints%s", query);
    int code =
        kt_http_header(port, "GET", path, "Authorization: Bearer " T_ADMIN, NULL, out, sizeof(out));
    cr_assert_eq(code, 200, "%s", out);
    const char *body = strstr(out, "\r\n\r\n");
    cr_assert_not_null(body);
    json_error_t err;
    json_t *j = json_loads(body + 4, 0, &err);
    cr_assert_not_null(j, "%s", err.text);
    json_t *items = json_object_get(j, "items");
    int n = 0;
    for (size_t i = 0; i < json_array_size(items) && n < max; i++)
        snprintf(tickets[n++], 32, "%s",
                 json_string_value(json_object_get(json_array_get(items, i), "ticket")));
    json_decref(j);
    return n;
}

Test(urgency, urgent_tickets_come_first_while_open)
{
    char out[512], t_old[32], t_urgent[32], t_new[32], got[8][32];
    say("LAPOR jalan rusak di desa Kalisalak kec Batang", out, sizeof(out));
    ticket_in(out, t_old, sizeof(t_old));
    say("LAPOR tanah longsor menutup jalan di desa Kalisalak kec Batang", out, sizeof(out));
    ticket_in(out, t_urgent, sizeof(t_urgent));
    say("LAPOR lampu jalan mati di desa Kalisalak kec Batang", out, sizeof(out));
    ticket_in(out, t_new, sizeof(t_new));

    cr_assert_eq(list("", got, 8), 3);
    cr_expect_str_eq(got[0], t_urgent, "urgent first");
    cr_expect_str_eq(got[1], t_new, "then newest first");
    cr_expect_str_eq(got[2], t_old);
    /* pages: the urgent one is not shown twice */
    cr_assert_eq(list("?offset=1&limit=1", got, 8), 1);
    cr_expect_str_eq(got[0], t_new);
    cr_assert_eq(list("?offset=2&limit=5", got, 8), 1);
    cr_expect_str_eq(got[0], t_old);
    /* with a filter too */
    cr_assert_eq(list("?status=DITERUSKAN", got, 8), 3);
    cr_expect_str_eq(got[0], t_urgent);
    cr_assert_eq(list("?opd=DPUPR", got, 8), 2);
    cr_expect_str_eq(got[0], t_new);

    /* closed, it takes its place again */
    char cmd[96], reply[512];
    snprintf(cmd, sizeof(cmd), "TERIMA %s", t_urgent);
    cr_assert_eq(kt_exchange(&env, "081311110011", cmd, BPBD_LIAISON, 20, reply, sizeof(reply)), 0);
    snprintf(cmd, sizeof(cmd), "SELESAI %s sudah dibersihkan", t_urgent);
    cr_assert_eq(kt_exchange(&env, "081311110011", cmd, BPBD_LIAISON, 20, reply, sizeof(reply)), 0);
    cr_assert_eq(list("", got, 8), 3);
    cr_expect_str_eq(got[0], t_new, "%s", reply);
    cr_expect_str_eq(got[1], t_urgent);
}
