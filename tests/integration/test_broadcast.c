/* Integration: broadcasts by staff over SMS (SIAR, YA, BATAL) against a real
 * gateway, Redis and libgammu's dummy modem: audience from subscriptions,
 * opt-outs never reached, every recipient exactly once, cancel, quiet hours
 * and emergencies. */
#include "tests/lib/harness.h"

#include "gateway/clock.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define STAFF        "081355550001"
#define STAFF_N      "6281355550001"
#define STAFF_PIN    "2468"
#define RESIDENT_FMT "62812700%05d"

static struct kt_env env;

static void start(const char *extra, int per_minute)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    char modems[2048], gw[512], pin[192];
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = %d\nper_day = 100000\n"
             "[official:bpbd]\nphone = " STAFF "\nopd = BPBD\nrole = staff\n%s"
             "[official:dinkes]\nphone = 081311110005\nopd = DINKES\nrole = liaison\n",
             env.modem_dir, per_minute, kt_pin_line(STAFF, STAFF_PIN, pin, sizeof(pin)));
    snprintf(gw, sizeof(gw), "sender_per_minute = 100\n%s", extra ? extra : "");
    cr_assert_eq(kt_write_config(&env, gw, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    /* the gateway loads the Redis functions the test calls too */
    cr_assert_eq(kt_wait_functions(&env, 5), 0, "functions loaded");
}

static void setup(void)
{
    start("quiet_hours =", 600);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(broadcast, .fini = teardown, .timeout = 120);

static void say(const char *from, const char *text, const char *to, char *out, size_t len)
{
    int rc = kt_exchange(&env, from, text, to, 20, out, len);
    if (rc != 0)
        kt_dump_log(&env);
    cr_assert_eq(rc, 0, "no answer to \"%s\" for %s", text, to);
}

/* Answers the question of a SIAR (asked) as the staff member would: YA,
 * with the one-time code the question carried (wide broadcasts), and the PIN. */
static void confirm(const char *asked, char *out, size_t len)
{
    char cmd[64];
    const char *ya = strstr(asked, "Balas YA ");
    cr_assert_not_null(ya, "a question to confirm: %s", asked);
    size_t n = strspn(ya + 9, "0123456789");
    if (n > 0)
        snprintf(cmd, sizeof(cmd), "YA %.*s PIN " STAFF_PIN, (int)n, ya + 9);
    else
        snprintf(cmd, sizeof(cmd), "YA PIN " STAFF_PIN);
    say(STAFF, cmd, STAFF_N, out, len);
}

/* BATAL <id>, then the same with the code that came back and the PIN. */
static void cancel(long long id, char *out, size_t len)
{
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "BATAL %lld", id);
    say(STAFF, cmd, STAFF_N, out, len);
    snprintf(cmd, sizeof(cmd), "BATAL %lld ", id);
    const char *p = strstr(out, cmd);
    cr_assert_not_null(p, "asks for the code: %s", out);
    size_t n = strspn(p + strlen(cmd), "0123456789");
    cr_assert_eq(n, 4, "a 4-digit code: %s", out);
    snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%.*s PIN " STAFF_PIN, (int)n,
             p + strlen(cmd));
    say(STAFF, cmd, STAFF_N, out, len);
}

/* Subscribes number i to an area (desa:CODE or kec:CODE), as DAFTAR does. */
static void subscribe(int i, const char *area)
{
    char num[32];
    snprintf(num, sizeof(num), RESIDENT_FMT, i);
    cr_assert_eq(kt_subscribe(&env, num, area), 0);
}

/* Desa codes of a kecamatan from the data file; returns how many. */
static int desa_of(const char *kecamatan, char codes[][32], int max)
{
    char line[256];
    FILE *f = fopen("data/batang-wilayah.csv", "r");
    cr_assert(f != NULL, "data/batang-wilayah.csv");
    int n = 0;
    while (fgets(line, sizeof(line), f) && n < max) {
        char code[32], kec[64];
        if (sscanf(line, "%31[^,],%63[^,],", code, kec) == 2 && strcmp(kec, kecamatan) == 0)
            snprintf(codes[n++], 32, "%s", code);
    }
    fclose(f);
    return n;
}

/* Messages a number received from broadcasts (origin bc:...). */
static int bc_received(int i, char *text, size_t len)
{
    char num[32];
    snprintf(num, sizeof(num), RESIDENT_FMT, i);
    static struct kt_sent s[16];
    int n = kt_sent_to(&env, num, s, 16), got = 0;
    for (int k = 0; k < n && k < 16; k++)
        if (strncmp(s[k].origin, "bc:", 3) == 0 && strcmp(s[k].outcome, "sent") == 0) {
            got++;
            if (text)
                snprintf(text, len, "%s", s[k].text);
        }
    return got;
}

static const char *bc_field(long long id, const char *field, char *out, size_t len)
{
    redisReply *r = kt_redis(&env, "HGET kt:bc:%lld %s", id, field);
    snprintf(out, len, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return out;
}

static int bc_status_is(long long id, const char *want, double seconds)
{
    char st[32];
    for (int i = 0; i <= (int)(seconds * 10); i++) {
        if (strcmp(bc_field(id, "status", st, sizeof(st)), want) == 0)
            return 1;
        usleep(100000);
    }
    return 0;
}

static long long bc_int(long long id, const char *field)
{
    return kt_redis_int(&env, "HGET kt:bc:%lld %s", id, field);
}

Test(broadcast, siar_reaches_each_subscriber_of_the_kecamatan_once_and_never_an_opted_out_one,
     .init = setup)
{
    char codes[32][32], out[1024];
    int nd = desa_of("Blado", codes, 32);
    cr_assert_geq(nd, 3);
    /* 40 in Blado's desa (one follows two desa and the kecamatan too), 5 elsewhere */
    for (int i = 0; i < 40; i++) {
        char area[64];
        snprintf(area, sizeof(area), "desa:%s", codes[i % nd]);
        subscribe(i, i % 2 ? "kec:33.25.03" : area);
    }
    char second[64];
    snprintf(second, sizeof(second), "desa:%s", codes[1]);
    subscribe(0, second);
    subscribe(0, "kec:33.25.03");
    for (int i = 40; i < 45; i++)
        subscribe(i, "desa:33.25.01.2001");
    /* two of Blado's subscribers stop */
    char num[32];
    for (int i = 2; i < 4; i++) {
        snprintf(num, sizeof(num), "0812700%05d", i);
        char n62[32];
        snprintf(n62, sizeof(n62), RESIDENT_FMT, i);
        say(num, "BERHENTI", n62, out, sizeof(out));
    }
    say(STAFF, "SIAR Blado Besok pagi kerja bakti membersihkan saluran air.", STAFF_N, out,
        sizeof(out));
    cr_expect(strstr(out, "Kec. Blado") && strstr(out, "38 penerima") && strstr(out, "YA"),
              "asks to confirm, with the count: %s", out);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:bc:1"), 0, "nothing sent before YA");
    char asked[1024];
    snprintf(asked, sizeof(asked), "%s", out);
    confirm(asked, out, sizeof(out));
    cr_expect(strstr(out, "#1") && strstr(out, "38 penerima"), "%s", out);
    cr_assert(bc_status_is(1, "done", 60), "broadcast finished");
    int reached = 0, doubled = 0, wrong = 0;
    for (int i = 0; i < 45; i++) {
        char text[512] = "";
        int got = bc_received(i, text, sizeof(text));
        int want = i < 40 && (i < 2 || i >= 4);
        reached += got == 1 && want;
        doubled += got > 1;
        wrong += got > 0 && !want;
        if (got)
            cr_expect(strstr(text, "kerja bakti") && strstr(text, "BERHENTI"),
                      "the text with the opt-out line: %s", text);
    }
    cr_expect_eq(reached, 38, "every subscriber of Blado");
    cr_expect_eq(doubled, 0, "nobody twice");
    cr_expect_eq(wrong, 0, "nobody outside, no opted-out number");
    cr_expect_eq(bc_int(1, "sent"), 38);
    cr_expect_eq(bc_int(1, "recipients"), 38);
    /* a second YA sends nothing more */
    say(STAFF, "YA PIN " STAFF_PIN, STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "Tidak ada siaran") != NULL, "%s", out);
    cr_expect_eq(kt_redis_int(&env, "GET kt:bc:seq"), 1, "one broadcast");
}

Test(broadcast, siar_is_for_staff_only_and_explains_its_mistakes, .init = setup)
{
    char out[1024];
    say("081299990000", "SIAR Blado rapat desa", "6281299990000", out, sizeof(out));
    cr_expect(strstr(out, "SIAR") == NULL || strstr(out, "penerima") == NULL,
              "a resident learns nothing of it: %s", out);
    say("081311110005", "SIAR Blado rapat desa", "6281311110005", out, sizeof(out));
    cr_expect(strstr(out, "penerima") == NULL, "a liaison may not broadcast: %s", out);
    say("081299990000", "YA", "6281299990000", out, sizeof(out));
    cr_expect(strstr(out, "siaran") == NULL, "YA means nothing to a resident: %s", out);
    say(STAFF, "SIAR", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "Format: SIAR") != NULL, "%s", out);
    say(STAFF, "SIAR Blado", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "kosong") != NULL, "no text: %s", out);
    say(STAFF, "SIAR besok ada rapat", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "desa/kecamatan") != NULL, "no place first: %s", out);
    say(STAFF, "SIAR desa:Atlantis rapat", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "tidak dikenal") != NULL, "%s", out);
    say(STAFF, "SIAR SEMUA Cek info banjir", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "semua pelanggan") && strstr(out, "0 penerima"), "%s", out);
    say(STAFF, "BATAL PIN " STAFF_PIN, STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "dibatalkan") != NULL, "%s", out);
    say(STAFF, "YA PIN " STAFF_PIN, STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "Tidak ada siaran") != NULL, "dropped: %s", out);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:bc:seq"), 0, "nothing created");
}

static void slow_setup(void)
{
    start("quiet_hours =", 30); /* 30 SMS a minute: 24 for broadcasts, 6 kept for replies */
}

Test(broadcast, cancel_stops_what_was_not_handed_to_a_modem, .init = slow_setup)
{
    char out[1024];
    for (int i = 0; i < 60; i++)
        subscribe(i, "kec:33.25.03");
    char asked[1024];
    say(STAFF, "SIAR Blado Pemadaman listrik besok 08.00-12.00.", STAFF_N, asked, sizeof(asked));
    confirm(asked, out, sizeof(out));
    cr_assert(strstr(out, "60 penerima") != NULL, "%s", out);
    /* wait until the modem took some of it */
    for (int i = 0; i < 300 && bc_int(1, "sent") < 1; i++)
        usleep(100000);
    cr_assert_geq(bc_int(1, "sent"), 1);
    cancel(1, out, sizeof(out));
    cr_expect(strstr(out, "dihentikan") != NULL, "%s", out);
    cr_assert(bc_status_is(1, "cancelled", 5));
    /* whatever was queued is skipped, not sent: all recipients accounted for */
    for (int i = 0; i < 200 && bc_int(1, "sent") + bc_int(1, "cancelled") < 60; i++)
        usleep(100000);
    long long sent = bc_int(1, "sent");
    cr_expect_eq(sent + bc_int(1, "cancelled"), 60, "sent %lld, cancelled %lld", sent,
                 bc_int(1, "cancelled"));
    cr_expect_leq(sent, 25, "only what a modem had before the cancel (24/min): %lld", sent);
    sleep(2);
    int got = 0;
    for (int i = 0; i < 60; i++)
        got += bc_received(i, NULL, 0);
    cr_expect_eq(got, sent, "no message after the cancel");
    say(STAFF, "BATAL 1", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "sudah dibatalkan") != NULL, "%s", out);
    say(STAFF, "BATAL 99", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "tidak ada") != NULL, "%s", out);
}

/* Quiet hours around now (WIB), so that this very minute is inside them. */
static void quiet_setup(void)
{
    struct tm t;
    clock_wib(kt_pinned_now(), &t);
    int from = (t.tm_hour * 60 + t.tm_min + 1440 - 60) % 1440, to = (from + 180) % 1440;
    char extra[64];
    snprintf(extra, sizeof(extra), "quiet_hours = %02d:%02d-%02d:%02d", from / 60, from % 60,
             to / 60, to % 60);
    start(extra, 600);
}

Test(broadcast, quiet_hours_hold_ordinary_broadcasts_but_not_emergencies, .init = quiet_setup)
{
    char out[1024];
    for (int i = 0; i < 10; i++)
        subscribe(i, "kec:33.25.03");
    char asked[1024];
    say(STAFF, "SIAR Blado Lomba 17-an dimulai minggu depan.", STAFF_N, asked, sizeof(asked));
    confirm(asked, out, sizeof(out));
    cr_assert(bc_status_is(1, "waiting", 10), "held for the quiet hours");
    say(STAFF, "SIAR DARURAT Blado Waspada longsor di jalur Blado-Bawang malam ini.", STAFF_N,
        asked, sizeof(asked));
    cr_expect(strstr(asked, "DARURAT") != NULL, "%s", asked);
    confirm(asked, out, sizeof(out));
    cr_expect(strstr(out, "#2") && strstr(out, "darurat"), "%s", out);
    cr_assert(bc_status_is(2, "done", 30), "an emergency goes out in the quiet hours");
    cr_expect_eq(bc_int(2, "sent"), 10, "sent %lld of %lld, failed %lld, expired %lld, queued %lld",
                 bc_int(2, "sent"), bc_int(2, "recipients"), bc_int(2, "failed"),
                 bc_int(2, "expired"), bc_int(2, "queued"));
    cr_expect_eq(bc_int(1, "sent"), 0, "the ordinary one still waits");
    char st[32];
    cr_expect_str_eq(bc_field(1, "status", st, sizeof(st)), "waiting");
    cr_expect_str_eq(bc_field(2, "emergency", st, sizeof(st)), "1");
}

/* Creates a broadcast to one subscriber set directly (as the API and YA do). */
static long long create_bc(const char *set, const char *text, int emergency)
{
    long long id = kt_bc_create(&env, set, text, emergency, NULL);
    cr_assert_gt(id, 0, "kt_bc_create");
    return id;
}

static void minute_setup(void)
{
    start("quiet_hours =", 120); /* 96 a minute for broadcasts, paced: 1 every 0.625 s */
}

Test(broadcast, an_emergency_overtakes_a_running_ordinary_broadcast, .init = minute_setup)
{
    for (int i = 0; i < 100; i++)
        subscribe(i, "kec:33.25.03");
    for (int i = 100; i < 110; i++)
        subscribe(i, "desa:33.25.01.2001");
    long long ordinary = create_bc("kt:subs:kec:33.25.03", "Jadwal posyandu bulan depan.", 0);
    for (int i = 0; i < 300 && bc_int(ordinary, "sent") < 5; i++)
        usleep(100000);
    cr_assert_geq(bc_int(ordinary, "sent"), 5, "the ordinary one is under way");
    long long warning = create_bc("kt:subs:desa:33.25.01.2001",
                                  "PERINGATAN DINI: banjir bandang, segera mengungsi.", 1);
    /* 10 at the emergency pace (one every 0.5 s), ahead of the ordinary one */
    cr_assert(bc_status_is(warning, "done", 30), "the warning went out first");
    cr_expect_eq(bc_int(warning, "sent"), 10);
    char st[32];
    cr_expect_str_eq(bc_field(ordinary, "status", st, sizeof(st)), "running");
    cr_expect_lt(bc_int(ordinary, "sent"), 100, "ahead of what remained of the ordinary one");
    int got = 0;
    for (int i = 100; i < 110; i++)
        got += bc_received(i, NULL, 0);
    cr_expect_eq(got, 10);
}
