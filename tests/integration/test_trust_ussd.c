/* Integration: the USSD callback cannot be abused. Through the real gateway
 * and a real Redis: who may call POST /ussd (ussd_secret, ussd_allow, and
 * `kentongan -t` refusing an open listener with neither), a session's whole
 * id is its identity, every USSD action passes the per-number limits an SMS
 * does, and a flood from many numbers meets the reply budget and is shed
 * rather than queued. */
#include "tests/lib/harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RESIDENT   "081234560001"
#define RESIDENT_N "6281234560001"
#define LIAISON    "081311110001"
#define LIAISON_N  "6281311110001"
#define LAPOR      "1*1*3*3*Jalan berlubang besar depan balai desa*1"

static struct kt_env env;
static int port;

static void teardown(void)
{
    kt_env_cleanup(&env);
}

/* The gateway with its listener on 127.0.0.1:port, gateway keys `extra`,
 * one dummy modem (per_minute 600) and DPUPR's liaison. */
static void start(const char *extra)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    char gateway[1024], modems[1024];
    snprintf(gateway, sizeof(gateway), "http = 127.0.0.1:%d\n%s", port, extra ? extra : "");
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\nper_day = 100000\n"
             "[official:budi]\nphone = " LIAISON "\nopd = DPUPR\nrole = liaison\n",
             env.modem_dir);
    cr_assert_eq(kt_write_config(&env, gateway, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

/* Waits for /readyz (the listener answers "busy" until Redis is ready). */
static void ready(void)
{
    char raw[512];
    int code = -1;
    for (int i = 0; i < 100 && code != 200; i++) {
        code = kt_http(port, "GET", "/readyz", NULL, raw, sizeof(raw));
        if (code != 200)
            usleep(100000);
    }
    cr_assert_eq(code, 200, "gateway ready");
}

static void urlencode(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; *in && o + 4 < len; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
    }
    out[o] = '\0';
}

static void form(const char *session, const char *phone, const char *text, char *out, size_t len)
{
    char t[1024], s[1024];
    urlencode(text, t, sizeof(t));
    urlencode(session, s, sizeof(s));
    snprintf(out, len,
             "sessionId=%s&serviceCode=%%2A123%%23&phoneNumber=%s&networkCode=51010&text=%s", s,
             phone, t);
}

/* One screen from 127.0.0.1; the body ("CON ..."/"END ...") into out;
 * returns the HTTP status. */
static int screen(const char *session, const char *phone, const char *text, char *out, size_t len)
{
    char f[4096], raw[8192];
    form(session, phone, text, f, sizeof(f));
    int code = kt_http(port, "POST", "/ussd", f, raw, sizeof(raw));
    const char *body = strstr(raw, "\r\n\r\n");
    snprintf(out, len, "%s", code > 0 && body ? body + 4 : "");
    return code;
}

/* POST /ussd from the loopback address `source` (e.g. 127.0.0.2): the
 * client's socket is bound to it before it connects. Returns the status. */
static int screen_from(const char *source, const char *session, const char *phone, const char *text,
                       char *out, size_t len)
{
    char f[4096], head[512], raw[8192];
    form(session, phone, text, f, sizeof(f));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in src = {0}, dst = {0};
    src.sin_family = dst.sin_family = AF_INET;
    cr_assert_eq(inet_pton(AF_INET, source, &src.sin_addr), 1);
    cr_assert_eq(inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr), 1);
    dst.sin_port = htons((unsigned short)port);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    cr_assert_eq(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0, "bind %s", source);
    cr_assert_eq(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
    int n = snprintf(head, sizeof(head),
                     "POST /ussd HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n\r\n",
                     strlen(f));
    cr_assert_eq(write(fd, head, (size_t)n), n);
    cr_assert_eq(write(fd, f, strlen(f)), (ssize_t)strlen(f));
    size_t got = 0;
    ssize_t r;
    while (got + 1 < sizeof(raw) && (r = read(fd, raw + got, sizeof(raw) - 1 - got)) > 0)
        got += (size_t)r;
    raw[got] = '\0';
    close(fd);
    int code = -1;
    sscanf(raw, "HTTP/1.%*d %d", &code);
    const char *body = strstr(raw, "\r\n\r\n");
    snprintf(out, len, "%s", body ? body + 4 : "");
    return code;
}

/* Replies queued for `to` on the lane any modem serves (where a USSD
 * action's SMS goes); counted in Redis, not after the modem. */
static int queued_for(const char *to)
{
    redisReply *r = kt_redis(&env, "XRANGE kt:out:any - +");
    int n = 0;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *f = r->element[i]->element[1];
        for (size_t k = 0; k + 1 < f->elements; k += 2)
            if (strcmp(f->element[k]->str, "to") == 0 && strcmp(f->element[k + 1]->str, to) == 0)
                n++;
    }
    freeReplyObject(r);
    return n;
}

/* The value of one sample of GET /metrics ("name{labels}"), or -1. */
static double metric(const char *sample)
{
    static char raw[65536];
    if (kt_http(port, "GET", "/metrics", NULL, raw, sizeof(raw)) != 200)
        return -1;
    char needle[256];
    snprintf(needle, sizeof(needle), "\n%s ", sample);
    const char *p = strstr(raw, needle);
    return p ? atof(p + strlen(needle)) : -1;
}

static int log_count(const char *needle)
{
    char cmd[800], out[64] = "";
    snprintf(cmd, sizeof(cmd), "grep -c -- '%s' %s", needle, env.log);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    if (fgets(out, sizeof(out), p) == NULL)
        out[0] = '\0';
    pclose(p);
    return atoi(out);
}

TestSuite(trust_ussd, .fini = teardown, .timeout = 120);

/* Before: 25 USSD complaints from one number made 25 confirmation SMS. */
Test(trust_ussd, a_flood_of_ussd_complaints_from_one_number_meets_the_sms_limit)
{
    start(NULL); /* the defaults: 3 a minute, 20 a day per number */
    ready();
    char out[2048], session[32];
    int filed = 0, limited = 0;
    for (int i = 0; i < 25; i++) {
        snprintf(session, sizeof(session), "flood-%02d", i);
        cr_assert_eq(screen(session, RESIDENT, LAPOR, out, sizeof(out)), 200);
        cr_assert(strncmp(out, "END ", 4) == 0, "%s", out);
        if (strstr(out, "tiket"))
            filed++;
        else if (strstr(out, "terlalu banyak") && strstr(out, "nomor Anda"))
            limited++;
        else
            cr_expect_fail("neither filed nor limited: %s", out);
    }
    cr_expect_eq(filed, 3, "sender_per_minute = 3: three complaints filed");
    cr_expect_eq(limited, 22, "the rest told on the screen why");
    cr_expect_eq(kt_redis_int(&env, "GET kt:ticket:seq"), 3, "three tickets, not 25");
    /* Every END above came after its replies were committed: the lanes
     * already hold all there will be. */
    cr_expect_eq(queued_for(RESIDENT_N), 3, "three confirmation SMS, no more");
    cr_expect_eq(queued_for(LIAISON_N), 3, "the liaison told of three");
    cr_expect_eq(metric("kentongan_router_messages_total{stage=\"limited\"}"), 22);
    /* the aggregator resends a refused screen: same answer, nothing new */
    char again[2048];
    cr_assert_eq(screen("flood-24", RESIDENT, LAPOR, again, sizeof(again)), 200);
    cr_expect(strstr(again, "terlalu banyak") != NULL, "%s", again);
    cr_expect_eq(kt_redis_int(&env, "GET kt:ticket:seq"), 3);
    char sms[512];
    cr_expect_eq(kt_wait_sent_to(&env, RESIDENT_N, 3, 30, sms, sizeof(sms)), 0,
                 "the three confirmations leave the modem");
    cr_expect_eq(queued_for(RESIDENT_N), 3);
    /* A complaint typed step by step and refused at its end stays as a
     * draft, offered again to the next session. */
    const char *typed = "1*1*3*3*Lampu jalan mati sejak seminggu";
    char path[256];
    cr_assert_eq(screen("flood-25", RESIDENT, typed, again, sizeof(again)), 200);
    cr_expect(strstr(again, "Kirim laporan ini?") != NULL, "%s", again);
    snprintf(path, sizeof(path), "%s*1", typed);
    cr_assert_eq(screen("flood-25", RESIDENT, path, again, sizeof(again)), 200);
    cr_expect(strstr(again, "terlalu banyak") != NULL, "%s", again);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:draft:" RESIDENT_N), 1, "kept for later");
}

/* The per-number limits are shared between SMS and USSD: a number that
 * used its minute by SMS gets the limit screen on USSD. */
Test(trust_ussd, sms_and_ussd_share_one_limit_per_number)
{
    start("sender_per_minute = 2");
    ready();
    char text[64], out[2048];
    for (int i = 0; i < 2; i++) {
        snprintf(text, sizeof(text), "INFO %d", i);
        cr_assert_eq(kt_exchange(&env, RESIDENT, text, RESIDENT_N, 20, out, sizeof(out)), 0);
    }
    cr_assert_eq(screen("after-sms", RESIDENT, LAPOR, out, sizeof(out)), 200);
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "terlalu banyak"), "%s", out);
    cr_expect_eq(kt_redis_int(&env, "GET kt:ticket:seq"), -1, "nothing filed");
    /* Menu screens that do nothing are not counted: browsing still works. */
    cr_assert_eq(screen("browse", RESIDENT, "", out, sizeof(out)), 200);
    cr_expect(strncmp(out, "CON ", 4) == 0, "%s", out);
}

/* Before: session ids were cut to 31 characters, so two sessions sharing
 * their first 30 were one, and the second resident was told the first's
 * ticket with nothing filed for them. */
Test(trust_ussd, two_sessions_whose_ids_share_a_long_prefix_stay_two)
{
    start("sender_per_minute = 100");
    ready();
    char a[200], b[200], out_a[2048], out_b[2048];
    const char *prefix = "ATUid_0123456789abcdef0123456789abcdef0123456789";
    snprintf(a, sizeof(a), "%s-A", prefix);
    snprintf(b, sizeof(b), "%s-B", prefix);
    cr_assert_eq(screen(a, "081234560011", LAPOR, out_a, sizeof(out_a)), 200);
    cr_assert_eq(screen(b, "081234560012", LAPOR, out_b, sizeof(out_b)), 200);
    cr_expect(strstr(out_a, "tiket") != NULL, "%s", out_a);
    cr_expect(strstr(out_b, "tiket") != NULL, "%s", out_b);
    cr_expect_str_neq(out_a, out_b, "each resident has their own ticket");
    cr_expect_eq(kt_redis_int(&env, "GET kt:ticket:seq"), 2, "two complaints filed");
    cr_expect_eq(kt_redis_int(&env, "ZCARD kt:tickets:by-phone:6281234560011"), 1);
    cr_expect_eq(kt_redis_int(&env, "ZCARD kt:tickets:by-phone:6281234560012"), 1);
    char sms_a[512], sms_b[512];
    cr_assert_eq(kt_wait_sent_to(&env, "6281234560011", 1, 20, sms_a, sizeof(sms_a)), 0);
    cr_assert_eq(kt_wait_sent_to(&env, "6281234560012", 1, 20, sms_b, sizeof(sms_b)), 0);
    cr_expect_str_neq(sms_a, sms_b, "two confirmations, two tickets");

    /* An id of USSD_SESSION_MAX (128) bytes is served; a longer one is a
     * clear 400, never cut to fit. */
    char longest[200], longer[200];
    memset(longest, 'x', 128);
    longest[128] = '\0';
    memcpy(longer, longest, 128);
    longer[128] = 'y';
    longer[129] = '\0';
    cr_expect_eq(screen(longest, "081234560013", "", out_a, sizeof(out_a)), 200);
    cr_expect(strncmp(out_a, "CON ", 4) == 0, "%s", out_a);
    cr_expect_eq(screen(longer, "081234560013", "", out_b, sizeof(out_b)), 400);
    cr_expect(strncmp(out_b, "END ", 4) == 0, "a sentence all the same: %s", out_b);
}

/* An open listener without the aggregator's secret or addresses is refused
 * by `kentongan -t` and at start-up; either one makes it acceptable. */
Test(trust_ussd, a_listener_off_loopback_needs_a_secret_or_an_allow_list)
{
    cr_assert_eq(kt_env_init(&env), 0);
    char out[4096], args[600];
    snprintf(args, sizeof(args), "-t -c %s", env.config);
    cr_assert_eq(kt_write_config(&env, "http = 0.0.0.0:18080", NULL), 0);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "http = '0.0.0.0:18080': reachable from the network") &&
                  strstr(out, "ussd_secret") && strstr(out, "ussd_allow"),
              "%s", out);
    snprintf(args, sizeof(args), "-c %s", env.config);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "start-up refuses it too: %s", out);
    char hash[65], extra[256];
    kt_sha256_hex("s3cret-batang", hash);
    snprintf(extra, sizeof(extra), "http = 0.0.0.0:18080\nussd_secret = %s", hash);
    cr_assert_eq(kt_write_config(&env, extra, NULL), 0);
    snprintf(args, sizeof(args), "-t -c %s", env.config);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 0, "with the secret's hash: %s", out);
    cr_assert_eq(kt_write_config(&env, "http = 0.0.0.0:18080\nussd_allow = 192.0.2.0/24", NULL), 0);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 0, "with an allow list: %s", out);
    cr_assert_eq(kt_write_config(&env, "http = 0.0.0.0:18080\nussd_secret = s3cret-batang", NULL),
                 0);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "never the secret itself: %s", out);
    cr_assert_eq(kt_write_config(&env, "sender_per_minute = 600", NULL), 0);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "sender_per_minute = 600: not below [modem:dummy] per_minute = 600"),
              "one number may not take the SIM: %s", out);
}

Test(trust_ussd, the_shared_secret_is_checked_and_refusals_are_counted_and_logged_once)
{
    char hash[65], extra[256];
    kt_sha256_hex("s3cret-batang", hash);
    snprintf(extra, sizeof(extra), "ussd_secret = %s", hash);
    start(extra);
    ready();
    char f[4096], raw[4096];
    form("sec-1", RESIDENT, "", f, sizeof(f));
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(kt_http(port, "POST", "/ussd", f, raw, sizeof(raw)), 403, "none: %s", raw);
        cr_expect(strstr(raw, "\r\n\r\nforbidden") != NULL, "a short body: %s", raw);
    }
    cr_expect_eq(
        kt_http_header(port, "POST", "/ussd", "X-Kentongan-Secret: s3cret-bataNg", f, raw, 4096),
        403, "a wrong one: %s", raw);
    cr_expect_eq(kt_http_header(port, "POST", "/ussd", "Authorization: Bearer wrong", f, raw, 4096),
                 403);
    cr_expect_eq(
        kt_http_header(port, "POST", "/ussd", "X-Kentongan-Secret: s3cret-batang", f, raw, 4096),
        200);
    cr_expect(strstr(raw, "\r\n\r\nCON ") != NULL, "%s", raw);
    cr_expect_eq(
        kt_http_header(port, "POST", "/ussd", "Authorization: Bearer s3cret-batang", f, raw, 4096),
        200, "as a bearer token too: %s", raw);
    cr_expect_eq(metric("kentongan_ussd_refused_total{reason=\"secret\"}"), 7);
    cr_expect_eq(metric("kentongan_ussd_refused_total{reason=\"source\"}"), 0);
    cr_expect_eq(log_count("event=ussd_refused addr=127.0.0.1 reason=secret"), 1,
                 "seven refusals, one log line for the address this minute");
    cr_expect_eq(log_count("s3cret"), 0, "no secret in the log");
}

/* ussd_allow: the listener on 127.0.0.1 accepts only 127.0.0.2; a client
 * bound to 127.0.0.2 is served, one from 127.0.0.1 refused (loopback only). */
Test(trust_ussd, an_address_not_in_ussd_allow_is_refused)
{
    start("ussd_allow = 127.0.0.2, 10.20.0.0/16");
    ready();
    char out[2048];
    cr_expect_eq(screen("allow-1", RESIDENT, "", out, sizeof(out)), 403, "%s", out);
    cr_expect_eq(screen("allow-1", RESIDENT, "", out, sizeof(out)), 403, "%s", out);
    cr_expect_eq(screen_from("127.0.0.2", "allow-1", RESIDENT, "", out, sizeof(out)), 200);
    cr_expect(strncmp(out, "CON ", 4) == 0, "served from a listed address: %s", out);
    cr_expect_eq(screen_from("127.0.0.3", "allow-1", RESIDENT, "1", out, sizeof(out)), 403);
    cr_expect_eq(metric("kentongan_ussd_refused_total{reason=\"source\"}"), 3);
    cr_expect_eq(log_count("event=ussd_refused addr=127.0.0.1 reason=source"), 1);
    cr_expect_eq(log_count("event=ussd_refused addr=127.0.0.3 reason=source"), 1);
}

static int inbound_settled(struct kt_env *e, void *arg)
{
    return kt_in_pending(e) == 0 && kt_redis_int(e, "XLEN kt:in") == *(int *)arg;
}

/* Replies queued on the modem's own lane (an SMS is answered from the
 * number it came to), by text. */
static int lane_count(const char *needle)
{
    redisReply *r = kt_redis(&env, "XRANGE kt:out:m:dummy - +");
    int n = 0;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *f = r->element[i]->element[1];
        for (size_t k = 0; k + 1 < f->elements; k += 2)
            if (strcmp(f->element[k]->str, "text") == 0 &&
                (needle == NULL || strstr(f->element[k + 1]->str, needle)))
                n++;
    }
    freeReplyObject(r);
    return n;
}

/* 20 numbers text at once against a budget of 5 a minute: 5 are answered,
 * the rest shed; of those, budget / 5 = 1 is told "try later" by SMS (one
 * a number, short-lived), the others get silence; nothing else is queued. */
Test(trust_ussd, a_flood_from_many_numbers_is_shed_not_queued)
{
    start("reply_budget_per_minute = 5");
    ready();
    char from[32];
    for (int i = 0; i < 20; i++) {
        snprintf(from, sizeof(from), "0812345610%02d", i);
        cr_assert_eq(kt_dummy_deliver(&env, from, "INFO", NULL, 0), 0);
    }
    int all = 20;
    if (!kt_wait(&env, 40, inbound_settled, &all))
        kt_dump_log(&env);
    cr_assert(inbound_settled(&env, &all), "every message read and acknowledged");
    cr_expect_eq(lane_count(NULL), 6, "5 answers and 1 shed answer, no queue of 20");
    cr_expect_eq(lane_count("terlalu banyak pesan"), 1);
    cr_expect_eq(metric("kentongan_router_messages_total{stage=\"shed\"}"), 15);
    cr_expect_eq(metric("kentongan_reply_budget_per_minute"), 5);
    /* An official is never shed: their messages skip the budget. */
    char out[512];
    cr_expect_eq(kt_exchange(&env, LIAISON, "INFO", LIAISON_N, 20, out, sizeof(out)), 0,
                 "the official is answered over the budget");
    /* USSD actions meet the same budget, answered on the screen, no SMS */
    cr_assert_eq(screen("shed-1", "081234561099", LAPOR, out, sizeof(out)), 200);
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "terlalu banyak permintaan"), "%s", out);
    cr_expect_eq(kt_redis_int(&env, "GET kt:ticket:seq"), -1, "nothing filed");
    cr_expect_eq(queued_for("6281234561099"), 0, "and no SMS for it");
}

/* The derived budget: half the modems' per_minute (here 600: 300 a minute)
 * lets an ordinary burst through untouched. */
Test(trust_ussd, the_derived_budget_leaves_ordinary_traffic_alone)
{
    start(NULL);
    ready();
    cr_expect_eq(metric("kentongan_reply_budget_per_minute"), 300);
    char from[32];
    for (int i = 0; i < 10; i++) {
        snprintf(from, sizeof(from), "0812345620%02d", i);
        cr_assert_eq(kt_dummy_deliver(&env, from, "INFO", NULL, 0), 0);
    }
    int all = 10;
    cr_assert(kt_wait(&env, 40, inbound_settled, &all));
    cr_expect_eq(lane_count(NULL), 10, "every one answered");
    cr_expect_eq(metric("kentongan_router_messages_total{stage=\"shed\"}"), 0);
}

/* sender_per_day: over it a number is told once, by SMS, to come back
 * tomorrow, then silence; a USSD action says so on its screen. */
Test(trust_ussd, a_number_over_its_day_limit_is_told_once_then_silence)
{
    start("sender_per_minute = 100\nsender_per_day = 2");
    ready();
    char out[512];
    cr_assert_eq(kt_exchange(&env, RESIDENT, "INFO 1", RESIDENT_N, 20, out, sizeof(out)), 0);
    cr_assert_eq(kt_exchange(&env, RESIDENT, "INFO 2", RESIDENT_N, 20, out, sizeof(out)), 0);
    cr_assert_eq(kt_exchange(&env, RESIDENT, "INFO 3", RESIDENT_N, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "hari ini sudah terlalu banyak") && strstr(out, "besok"), "%s", out);
    cr_assert_eq(kt_dummy_deliver(&env, RESIDENT, "INFO 4", NULL, 0), 0);
    int all = 4;
    cr_assert(kt_wait(&env, 30, inbound_settled, &all));
    cr_expect_eq(lane_count(NULL), 3, "two answers and one notice; the fourth gets nothing");
    char screen_out[2048];
    cr_assert_eq(screen("day-1", RESIDENT, LAPOR, screen_out, sizeof(screen_out)), 200);
    cr_expect(strncmp(screen_out, "END ", 4) == 0 && strstr(screen_out, "besok"), "%s", screen_out);
    cr_expect_eq(kt_redis_int(&env, "GET kt:ticket:seq"), -1, "nothing filed");
    cr_expect_eq(metric("kentongan_router_messages_total{stage=\"limited\"}"), 3);
}
