/* Integration: whole USSD sessions over real HTTP against the running
 * gateway and a real Redis, as an operator's USSD gateway would drive them. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct kt_env env;
static int port;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    char extra[256], modems[2048];
    /* test_clock: a test may move the gateway's clock (kt:clock:offset) */
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nsender_per_minute = 100\ntest_clock = 1",
             port);
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\n[official:budi]\nphone = 081311110001\nopd = DPUPR\n"
             "role = liaison\n",
             env.modem_dir);
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    /* the listener answers before Redis is ready ("busy"): wait for ready */
    char raw[512];
    int code = -1;
    for (int i = 0; i < 100 && code != 200; i++) {
        code = kt_http(port, "GET", "/readyz", NULL, raw, sizeof(raw));
        if (code != 200)
            usleep(100000);
    }
    cr_assert_eq(code, 200, "gateway ready");
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(ussd, .init = setup, .fini = teardown, .timeout = 90);

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

/* One screen: returns the body ("CON ..." / "END ...") in out. */
static void screen_on(int p, const char *session, const char *phone, const char *text, char *out,
                      size_t len)
{
    char t[2048], form[4096], raw[8192];
    urlencode(text, t, sizeof(t));
    snprintf(form, sizeof(form),
             "sessionId=%s&serviceCode=%%2A123%%23&phoneNumber=%s&networkCode=51010&text=%s",
             session, phone, t);
    int code = -1;
    for (int i = 0; i < 50 && code < 0; i++) {
        code = kt_http(p, "POST", "/ussd", form, raw, sizeof(raw));
        if (code < 0)
            usleep(100000);
    }
    cr_assert_eq(code, 200, "HTTP %d: %s", code, raw);
    const char *body = strstr(raw, "\r\n\r\n");
    snprintf(out, len, "%s", body ? body + 4 : "");
}

static void screen(const char *session, const char *text, char *out, size_t len)
{
    screen_on(port, session, "081234567890", text, out, len);
}

static const char *lapor = "1*1*3*3*Jalan berlubang besar depan balai desa";

/* Whether the number's draft exists is known once Redis has the gateway's write, which
 * the answer does not wait for (it is on its way): wait for it, bounded. */
struct draft_want {
    const char *key;
    long long exists;
};

static int draft_is(struct kt_env *e, void *arg)
{
    const struct draft_want *w = arg;
    return kt_redis_int(e, "EXISTS %s", w->key) == w->exists;
}

static int draft_becomes(const char *number, long long exists)
{
    char key[64];
    snprintf(key, sizeof(key), "kt:draft:%s", number);
    struct draft_want w = {key, exists};
    return kt_wait(&env, 10, draft_is, &w);
}

Test(ussd, lapor_over_ussd_files_a_ticket_and_confirms_by_sms)
{
    char out[2048];
    screen("s1", "", out, sizeof(out));
    cr_expect(strncmp(out, "CON ", 4) == 0 && strstr(out, "Lapor"), "%s", out);
    cr_expect_leq(strlen(out) - 4, 182, "screen fits");
    char path[256];
    snprintf(path, sizeof(path), "%s", lapor);
    screen("s1", path, out, sizeof(out));
    cr_expect(strstr(out, "Kirim laporan ini?") != NULL, "confirm screen: %s", out);
    snprintf(path, sizeof(path), "%s*1", lapor);
    screen("s1", path, out, sizeof(out));
    cr_assert(strncmp(out, "END ", 4) == 0, "%s", out);
    cr_expect(strstr(out, "tiket") && strstr(out, "DPUPR"), "ticket on screen: %s", out);
    /* The aggregator resends the last screen: same answer, no second ticket. */
    char again[2048];
    screen("s1", path, again, sizeof(again));
    cr_expect_str_eq(again, out);
    cr_expect_eq(kt_redis_int(&env, "GET kt:ticket:seq"), 1, "one ticket");
    char sms[512];
    cr_assert_eq(kt_wait_sent_to(&env, "6281234567890", 1, 20, sms, sizeof(sms)), 0);
    cr_expect(strstr(sms, "tiket") != NULL, "confirmation by SMS too: %s", sms);
    cr_assert_eq(kt_wait_sent_to(&env, "6281311110001", 1, 20, sms, sizeof(sms)), 0,
                 "liaison told, as for an SMS complaint");
    sleep(1);
    cr_expect_eq(kt_sent_to(&env, "6281234567890", NULL, 0), 1, "one SMS");
}

Test(ussd, navigation_back_home_and_paging)
{
    char a[2048], b[2048];
    screen("s2", "1*1", a, sizeof(a));
    screen("s2", "1*1*98", b, sizeof(b));
    cr_expect_str_neq(a, b, "98 shows more");
    screen("s2", "1*1*98*0", b, sizeof(b));
    cr_expect_str_eq(a, b, "0 goes back");
    screen("s2", "1*1*3*00", b, sizeof(b));
    screen("s3", "", a, sizeof(a));
    cr_expect_str_eq(a, b, "00 goes home");
    screen("s2", "1*77", b, sizeof(b));
    cr_expect(strncmp(b, "CON ", 4) == 0, "a wrong choice keeps the session: %s", b);
}

Test(ussd, cek_daftar_and_berhenti_paths)
{
    char out[2048];
    screen("s4", "2*12345", out, sizeof(out));
    cr_expect(strncmp(out, "CON ", 4) == 0, "too short ticket asks again: %s", out);
    screen("s4", "2*100017", out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "tidak ditemukan"), "%s", out);
    screen("s5", "3*3*3*1", out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "Terdaftar"), "%s", out);
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:6281234567890"), 1);
    screen("s6", "4*1", out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "berhenti"), "%s", out);
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:6281234567890"), 0);
}

Test(ussd, bad_requests_get_a_clear_end_never_a_server_error)
{
    char raw[4096];
    const char *bodies[] = {
        "",
        "garbage",
        "sessionId=&phoneNumber=081234567890&serviceCode=x&text=",
        "sessionId=s7&serviceCode=x&text=",
        "sessionId=s7&phoneNumber=TELKOMSEL&serviceCode=x&text=",
        "sessionId=s7&phoneNumber=081234567890&serviceCode=x&text=%FF%FE",
        "sessionId=bad%20id&phoneNumber=081234567890&serviceCode=x&text=",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        int code = kt_http(port, "POST", "/ussd", bodies[i], raw, sizeof(raw));
        for (int k = 0; k < 50 && code < 0; k++) {
            usleep(100000);
            code = kt_http(port, "POST", "/ussd", bodies[i], raw, sizeof(raw));
        }
        cr_expect_eq(code, 200, "case %zu: %s", i, raw);
        const char *body = strstr(raw, "\r\n\r\n");
        cr_expect(body && strncmp(body + 4, "END ", 4) == 0, "case %zu: %s", i, raw);
    }
    /* a session belongs to the number that opened it */
    char out[2048];
    screen("s8", "", out, sizeof(out));
    screen_on(port, "s8", "081299999999", "1", out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0, "%s", out);
    cr_expect_eq(kill(env.gateway_pid, 0), 0, "still running");
}

Test(ussd, two_gateways_on_one_redis_answer_alternate_screens)
{
    int port2 = kt_free_port();
    char other[400], log2[400], cmd[1024];
    snprintf(other, sizeof(other), "%s/second.ini", env.dir);
    snprintf(log2, sizeof(log2), "%s/second.log", env.dir);
    snprintf(
        cmd, sizeof(cmd),
        "sed -e 's/^name = test$/name = second/' -e 's/^http = .*/http = 127.0.0.1:%d/' %s > %s",
        port2, env.config, other);
    cr_assert_eq(system(cmd), 0);
    pid_t second = kt_spawn_gateway(&env, other, log2);
    cr_assert_gt(second, 0);
    char out[2048], path[256];
    screen_on(port, "s9", "081234567890", "", out, sizeof(out));
    screen_on(port2, "s9", "081234567890", "1", out, sizeof(out));
    cr_expect(strstr(out, "Laporan tentang") != NULL, "%s", out);
    screen_on(port, "s9", "081234567890", "1*1", out, sizeof(out));
    cr_expect(strstr(out, "Kecamatan") != NULL, "%s", out);
    snprintf(path, sizeof(path), "%s*1", lapor);
    screen_on(port2, "s9", "081234567890", path, out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "tiket"), "%s", out);
    kt_stop_pid(second, SIGTERM);
}

static void secret_setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    port = kt_free_port();
    char extra[256], hash[65];
    kt_sha256_hex("s3cret-batang", hash); /* the configuration holds only its hash */
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nussd_secret = %s", port, hash);
    cr_assert_eq(kt_write_config(&env, extra, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

Test(ussd, a_shared_secret_is_required_when_configured, .init = secret_setup)
{
    const char *form = "sessionId=s10&serviceCode=x&phoneNumber=081234567890&text=";
    char raw[4096];
    int code = -1;
    for (int i = 0; i < 50 && code < 0; i++) {
        code = kt_http(port, "POST", "/ussd", form, raw, sizeof(raw));
        if (code < 0)
            usleep(100000);
    }
    cr_expect_eq(code, 403, "refused without the secret: %s", raw);
    code =
        kt_http_header(port, "POST", "/ussd", "X-Kentongan-Secret: wrong", form, raw, sizeof(raw));
    cr_expect_eq(code, 403, "refused with a wrong one: %s", raw);
    code = kt_http_header(port, "POST", "/ussd",
                          "X-Kentongan-Secret: "
                          "c9b7a60e2e6dd24887e9106d6ebc942e57e7aba45368d69c409d34338472d11e",
                          form, raw, sizeof(raw));
    cr_expect_eq(code, 403, "the hash is not the secret: %s", raw);
    for (int i = 0; i < 50; i++) {
        code = kt_http_header(port, "POST", "/ussd", "X-Kentongan-Secret: s3cret-batang", form, raw,
                              sizeof(raw));
        if (code != 200 || strstr(raw, "\r\n\r\nCON ") != NULL)
            break;
        usleep(100000); /* "busy" until Redis is ready */
    }
    cr_expect_eq(code, 200);
    cr_expect(strstr(raw, "\r\n\r\nCON ") != NULL, "served with it: %s", raw);
}

static const char *lapor_choices = "1*1*3*3";
static const char *lapor_text = "Jalan berlubang besar depan balai desa";

Test(ussd, an_interrupted_complaint_is_offered_to_the_next_session_and_goes_on)
{
    char out[2048], path[256];
    screen("d1", "", out, sizeof(out));
    screen("d1", lapor_choices, out, sizeof(out));
    cr_expect(strstr(out, "Tulis laporan") != NULL, "at the text prompt: %s", out);
    /* the session dies here; the next one from that number offers the draft */
    screen("d2", "", out, sizeof(out));
    cr_expect(strncmp(out, "CON ", 4) == 0 && strstr(out, "belum terkirim") &&
                  strstr(out, "1 Lanjutkan") && strstr(out, "2 Hapus"),
              "offer: %s", out);
    cr_expect(strstr(out, "Jalan") != NULL && strstr(out, "Denasri Wetan") != NULL,
              "says what it was about: %s", out);
    cr_expect_leq(strlen(out) - 4, 182, "screen fits");
    char again[2048];
    screen("d2", "", again, sizeof(again));
    cr_expect_str_eq(again, out, "a resent first screen gets the same offer");
    screen("d2", "7", out, sizeof(out));
    cr_expect(strstr(out, "Pilihan tidak ada") && strstr(out, "1 Lanjutkan"), "%s", out);
    screen("d2", "1", out, sizeof(out));
    cr_expect(strstr(out, "Tulis laporan") != NULL, "back where it stopped: %s", out);
    snprintf(path, sizeof(path), "1*%s", lapor_text);
    screen("d2", path, out, sizeof(out));
    cr_expect(strstr(out, "Kirim laporan ini?") && strstr(out, "Denasri Wetan"), "%s", out);
    snprintf(path, sizeof(path), "1*%s*1", lapor_text);
    screen("d2", path, out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "tiket") && strstr(out, "DPUPR"), "%s",
              out);
    cr_expect_eq(kt_redis_int(&env, "GET kt:ticket:seq"), 1, "one ticket");
    cr_expect(draft_becomes("6281234567890", 0), "filed: draft gone");
    screen("d3", "", out, sizeof(out));
    cr_expect(strstr(out, "Lapor/aduan") && !strstr(out, "belum terkirim"), "home again: %s", out);
}

Test(ussd, a_draft_can_be_dropped_and_other_numbers_never_see_it)
{
    char out[2048];
    screen("d4", "1*1", out, sizeof(out));
    cr_expect(strstr(out, "Kecamatan") != NULL, "%s", out);
    cr_expect(draft_becomes("6281234567890", 1), "kept");
    screen_on(port, "d5", "081299999999", "", out, sizeof(out));
    cr_expect(strstr(out, "belum terkirim") == NULL, "not someone else's: %s", out);
    screen("d6", "", out, sizeof(out));
    cr_expect(strstr(out, "belum terkirim") != NULL, "%s", out);
    screen("d6", "2", out, sizeof(out));
    cr_expect(strstr(out, "Lapor/aduan") != NULL, "home: %s", out);
    cr_expect(draft_becomes("6281234567890", 0), "dropped");
    screen("d6", "2*2", out, sizeof(out));
    cr_expect(strstr(out, "nomor tiket") != NULL, "the session goes on after the offer: %s", out);
    /* going home, or cancelling a summary, is leaving it on purpose */
    screen("d8", "1*1*3", out, sizeof(out));
    cr_expect(draft_becomes("6281234567890", 1));
    screen("d8", "1*1*3*00", out, sizeof(out));
    cr_expect(draft_becomes("6281234567890", 0), "home: dropped");
    screen("d7", "1*1*3*3*Lampu jalan mati sejak seminggu", out, sizeof(out));
    cr_expect(draft_becomes("6281234567890", 1));
    screen("d7", "1*1*3*3*Lampu jalan mati sejak seminggu*2", out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0, "%s", out);
    cr_expect(draft_becomes("6281234567890", 0), "cancelled: dropped");
}

static void jump_seconds(long long s)
{
    cr_assert_eq(kt_clock_jump(&env, s), 0, "the gateway did not take the new calendar");
}

Test(ussd, an_expired_session_ends_clearly_and_keeps_what_was_typed)
{
    char out[2048], path[256];
    screen("e1", "", out, sizeof(out));
    screen("e1", "2", out, sizeof(out));
    screen("e2", "", out, sizeof(out));
    screen("e2", lapor_choices, out, sizeof(out));
    jump_seconds(181); /* past ussd_session_ttl (180) */
    screen("e1", "2*100014", out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "sudah berakhir") && strstr(out, "*123#"),
              "expired: %s", out);
    cr_expect(strstr(out, "disimpan") == NULL, "nothing to keep: %s", out);
    snprintf(path, sizeof(path), "%s*%s", lapor_choices, lapor_text);
    screen("e2", path, out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "disimpan"), "%s", out);
    cr_expect_eq(kt_redis_int(&env, "GET kt:ticket:seq"), -1, "nothing filed after expiry");
    screen("e3", "", out, sizeof(out));
    cr_expect(strstr(out, "belum terkirim") != NULL, "%s", out);
    screen("e3", "1", out, sizeof(out));
    cr_expect(strstr(out, "Kirim laporan ini?") && strstr(out, "berlubang"),
              "the typed text was kept: %s", out);
    screen("e3", "1*1", out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "tiket"), "%s", out);
}

Test(ussd, information_pages_turn_and_end_nowhere)
{
    const struct {
        const char *path, *want;
    } pages[] = {
        {"5*1", "Jam layanan Disdukcapil"},
        {"5*2", "akta kelahiran"},
        {"5*3", "Wisata Batang"},
    };
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        char out[2048], next[2048], path[64], session[16];
        snprintf(session, sizeof(session), "i%zu", i);
        screen(session, pages[i].path, out, sizeof(out));
        cr_expect(strncmp(out, "CON ", 4) == 0 && strstr(out, pages[i].want), "%s", out);
        cr_expect_leq(strlen(out) - 4, 182, "screen fits: %s", out);
        cr_expect(strstr(out, "98 Lanjut") != NULL, "long page, turned with 98: %s", out);
        /* turn every page until the last, each fitting a screen */
        snprintf(path, sizeof(path), "%s", pages[i].path);
        int turns = 0;
        while (strstr(out, "98 Lanjut") && turns < 10) {
            snprintf(path + strlen(path), sizeof(path) - strlen(path), "*98");
            screen(session, path, next, sizeof(next));
            cr_expect_str_neq(next, out, "98 shows the next page");
            cr_expect_leq(strlen(next) - 4, 182, "screen fits: %s", next);
            snprintf(out, sizeof(out), "%s", next);
            turns++;
        }
        cr_expect(turns > 0 && turns < 10, "%s: %d pages more", pages[i].path, turns);
        cr_expect(draft_becomes("6281234567890", 0), "no draft");
    }
}

/* A session an older gateway recorded as a hash (phone, last, draft) goes on after an
 * upgrade: it still belongs to its number, still expires, and is carried on as the string
 * record ("NUMBER LAST DRAFT") every screen now reads and writes with one command each. */
Test(ussd, a_session_recorded_by_an_older_gateway_goes_on)
{
    char out[2048];
    screen("fresh", "", out, sizeof(out)); /* the gateway's idea of now, from a fresh record */
    redisReply *rec = kt_redis(&env, "GET kt:ussd:fresh");
    cr_assert(rec && rec->type == REDIS_REPLY_STRING, "a string record");
    cr_assert(strncmp(rec->str, "6281234567890 ", 14) == 0, "number first: %s", rec->str);
    long long gw_now = atoll(rec->str + 14);
    freeReplyObject(rec);
    cr_assert_gt(gw_now, 0);
    /* the old shape, as of one screen just before */
    freeReplyObject(
        kt_redis(&env, "HSET kt:ussd:old phone 6281234567890 last %lld draft %s", gw_now - 5, ""));
    freeReplyObject(kt_redis(&env, "EXPIRE kt:ussd:old 3780"));
    /* another number may not take it, and it stays a hash meanwhile */
    screen_on(port, "old", "081298765432", "1", out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "tidak dapat dibaca"), "%s", out);
    cr_expect_eq(kt_redis_int(&env, "HLEN kt:ussd:old"), 3, "left untouched");
    /* its own number goes on with it */
    screen("old", "1", out, sizeof(out));
    cr_expect(strncmp(out, "CON ", 4) == 0 && strstr(out, "Laporan tentang:"), "%s", out);
    rec = kt_redis(&env, "GET kt:ussd:old");
    cr_assert(rec && rec->type == REDIS_REPLY_STRING, "carried on as a string record");
    cr_expect(strncmp(rec->str, "6281234567890 ", 14) == 0, "%s", rec->str);
    freeReplyObject(rec);
    /* an old record past ussd_session_ttl is expired */
    freeReplyObject(kt_redis(&env, "DEL kt:ussd:late"));
    freeReplyObject(kt_redis(&env, "HSET kt:ussd:late phone 6281234567890 last %lld draft %s",
                             gw_now - 181, ""));
    screen("late", "1", out, sizeof(out));
    cr_expect(strncmp(out, "END ", 4) == 0 && strstr(out, "sudah berakhir"), "%s", out);
}
