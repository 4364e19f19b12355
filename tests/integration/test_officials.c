/* Integration: an official's SMS authority cannot be forged. A forger can
 * set the sender number but knows no PIN and never receives what the gateway
 * sends to that number: commands without the PIN are refused, wide
 * broadcasts and cancellations need the one-time code sent to the number,
 * wrong PINs lock the official (coordinator told once, metrics counted), and
 * the PIN itself never lands on kt:in, in the log or in an SMS. Also
 * kentongan -t and --hash-pin. Real gateway, Redis and dummy modem. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RESIDENT    "081234567890"
#define RESIDENT_N  "6281234567890"
#define LIAISON     "081311110001"
#define LIAISON_N   "6281311110001"
#define COORD       "081311110003"
#define COORD_N     "6281311110003"
#define STAFF       "081355550001"
#define STAFF_N     "6281355550001"
#define SEKDA       "081311110004"
#define LIAISON_PIN "97531864" /* 8 digits: seen nowhere else (ids, times) in these tests */
#define COORD_PIN   "8642"
#define STAFF_PIN   "86420"
#define SEKDA_PIN   "9753"

static struct kt_env env;
static int port;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    signal(SIGPIPE, SIG_IGN);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    char modems[4096], gw[256], p1[192], p2[192], p3[192], p4[192];
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\nper_day = 100000\n"
             "[official:budi]\nphone = " LIAISON "\nopd = DPUPR\nrole = liaison\n%s"
             "[official:kominfo]\nphone = " COORD "\nopd = DISKOMINFO\nrole = coordinator\n%s"
             "[official:bpbd]\nphone = " STAFF "\nopd = BPBD\nrole = staff\n%s"
             "[official:sekda]\nphone = " SEKDA "\nrole = sekda\n%s",
             env.modem_dir, kt_pin_line(LIAISON, LIAISON_PIN, p1, sizeof(p1)),
             kt_pin_line(COORD, COORD_PIN, p2, sizeof(p2)),
             kt_pin_line(STAFF, STAFF_PIN, p3, sizeof(p3)),
             kt_pin_line(SEKDA, SEKDA_PIN, p4, sizeof(p4)));
    snprintf(gw, sizeof(gw),
             "http = 127.0.0.1:%d\ntest_clock = 1\nsender_per_minute = 100\nquiet_hours =\n"
             "loglevel = info", /* numbers masked in the log, as in production */
             port);
    cr_assert_eq(kt_write_config(&env, gw, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    cr_assert_eq(kt_wait_functions(&env, 5), 0, "functions loaded");
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(officials, .init = setup, .fini = teardown, .timeout = 240);

static void say(const char *from, const char *text, const char *to, char *out, size_t len)
{
    int rc = kt_exchange(&env, from, text, to, 20, out, len);
    if (rc != 0)
        kt_dump_log(&env);
    cr_assert_eq(rc, 0, "no answer to \"%s\" for %s", text, to);
}

static void file_complaint(char *ticket, size_t len)
{
    char out[512];
    say(RESIDENT, "LAPOR jalan berlubang di desa Kalisalak kec Batang", RESIDENT_N, out,
        sizeof(out));
    const char *p = strstr(out, "tiket ");
    cr_assert_not_null(p, "%s", out);
    snprintf(ticket, len, "%.*s", (int)strspn(p + 6, "0123456789"), p + 6);
    /* the liaison's notice first, so it is never taken for an answer below */
    cr_assert_eq(kt_wait_sent_to(&env, LIAISON_N, 1, 20, out, sizeof(out)), 0);
}

static const char *ticket_status(const char *ticket, char *out, size_t len)
{
    unsigned long long seq = strtoull(ticket, NULL, 10) / 10 - 10000;
    redisReply *r = kt_redis(&env, "HGET kt:ticket:%llu status", seq);
    snprintf(out, len, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return out;
}

static int count_sent_with(const char *to, const char *needle)
{
    static struct kt_sent s[64];
    int n = kt_sent_to(&env, to, s, 64), got = 0;
    for (int i = 0; i < n && i < 64; i++)
        got += strstr(s[i].text, needle) != NULL;
    return got;
}

/* The 4-digit code after `after` in a reply ("YA 4821", "BATAL 1 4821"). */
static void code_after(const char *text, const char *after, char code[8])
{
    const char *p = strstr(text, after);
    cr_assert_not_null(p, "\"%s\" in: %s", after, text);
    p += strlen(after);
    size_t n = strspn(p, "0123456789");
    cr_assert_eq(n, 4, "a 4-digit code after \"%s\": %s", after, text);
    snprintf(code, 8, "%.4s", p);
}

/* A broadcast to one subscriber set that starts in an hour; its id. */
static long long scheduled(const char *set, const char *text, int emergency)
{
    redisReply *r = kt_redis(&env,
                             "FCALL kt_bc_create 3 kt:bc:seq kt:bcs %s %lld %s 1 gsm7 %d %lld test "
                             "%s %s 0",
                             set, kt_now(&env), text, emergency, kt_now(&env) + 3600, set, "");
    long long id = r && r->type == REDIS_REPLY_ARRAY ? r->element[0]->integer : -1;
    freeReplyObject(r);
    cr_assert_gt(id, 0, "kt_bc_create");
    return id;
}

static double metric(const char *name, const char *official)
{
    char out[65536], line[160];
    cr_assert_eq(kt_http(port, "GET", "/metrics", NULL, out, sizeof(out)), 200);
    snprintf(line, sizeof(line), "%s{official=\"%s\"} ", name, official);
    const char *p = strstr(out, line);
    return p ? atof(p + strlen(line)) : -1;
}

Test(officials, forged_commands_without_the_pin_are_refused_one_by_one)
{
    char out[512], ticket[32], cmd[160], st[32];
    file_complaint(ticket, sizeof(ticket));
    const char *forms[] = {"TERIMA %s", "BALAS %s sudah kami perbaiki", "SELESAI %s beres",
                           "ALIHKAN %s DLH", "TOLAK %s bukan wewenang"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        snprintf(cmd, sizeof(cmd), forms[i], ticket);
        say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
        cr_expect(strstr(out, "PIN tidak ada") != NULL, "\"%s\" refused: %s", cmd, out);
        cr_expect_str_eq(ticket_status(ticket, st, sizeof(st)), "DITERUSKAN", "after %s", cmd);
    }
    cr_expect_eq(kt_sent_to(&env, RESIDENT_N, NULL, 0), 1, "the resident heard only of LAPOR");
    /* the coordinator's triage command too */
    snprintf(cmd, sizeof(cmd), "ALIHKAN %s DLH", ticket);
    say(COORD, cmd, COORD_N, out, sizeof(out));
    cr_expect(strstr(out, "PIN tidak ada") != NULL, "%s", out);
    cr_expect_str_eq(ticket_status(ticket, st, sizeof(st)), "DITERUSKAN");

    /* broadcasts: YA, BATAL (drop) and BATAL <id> <code> without the PIN */
    cr_assert_eq(kt_subscribe(&env, "6281270000001", "desa:33.25.01.2001"), 0);
    say(STAFF, "SIAR desa:33.25.01.2001 Rapat warga malam ini", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "Balas YA PIN <pin>") != NULL, "one desa: YA and the PIN: %s", out);
    say(STAFF, "YA", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "PIN tidak ada") != NULL, "%s", out);
    say(STAFF, "BATAL", STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "PIN tidak ada") != NULL, "%s", out);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:siar:" STAFF_N), 1, "still waiting");
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:bc:seq"), 0, "nothing sent");
    long long id = scheduled("kt:subs:desa:33.25.01.2001", "Tes", 0);
    snprintf(cmd, sizeof(cmd), "BATAL %lld", id);
    say(STAFF, cmd, STAFF_N, out, sizeof(out));
    char code[8];
    snprintf(cmd, sizeof(cmd), "BATAL %lld ", id);
    code_after(out, cmd, code);
    snprintf(cmd, sizeof(cmd), "BATAL %lld %s", id, code);
    say(STAFF, cmd, STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "PIN tidak ada") != NULL, "%s", out);
    char bst[32];
    redisReply *r = kt_redis(&env, "HGET kt:bc:%lld status", id);
    snprintf(bst, sizeof(bst), "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    cr_expect_str_neq(bst, "cancelled", "not cancelled without the PIN");
    /* none of these refusals is a guess: nothing counted */
    cr_expect_eq(metric("kentongan_official_pin_failures_total", "budi"), 0);
    cr_expect_eq(metric("kentongan_official_pin_failures_total", "bpbd"), 0);
    /* and with it, the liaison's TERIMA works */
    snprintf(cmd, sizeof(cmd), "TERIMA %s PIN " LIAISON_PIN, ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "OK: tiket") != NULL, "%s", out);
}

Test(officials, siar_to_a_kecamatan_needs_the_code_sent_to_the_registered_number)
{
    char out[1024], asked[1024], cmd[96], code[8];
    for (int i = 0; i < 5; i++) {
        char num[32];
        snprintf(num, sizeof(num), "62812700%05d", i);
        cr_assert_eq(kt_subscribe(&env, num, "kec:33.25.03"), 0);
    }
    say(STAFF, "SIAR Blado Kerja bakti Minggu pagi", STAFF_N, asked, sizeof(asked));
    code_after(asked, "Balas YA ", code);
    cr_expect(strstr(asked, "5 penerima") != NULL, "%s", asked);
    /* kept as a digest, never as the code */
    redisReply *r = kt_redis(&env, "HGET kt:siar:" STAFF_N " code");
    cr_assert(r && r->type == REDIS_REPLY_STRING, "a code is kept");
    cr_expect_eq(strlen(r->str), 64, "a digest: %s", r->str);
    freeReplyObject(r);

    say(STAFF, "YA PIN " STAFF_PIN, STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "kode") != NULL, "the code is needed: %s", out);
    char wrong[8];
    snprintf(wrong, sizeof(wrong), "%04d", (atoi(code) + 1) % 10000);
    snprintf(cmd, sizeof(cmd), "YA %s PIN " STAFF_PIN, wrong);
    say(STAFF, cmd, STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "PIN atau kode salah") != NULL, "wrong code refused: %s", out);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:bc:seq"), 0, "nothing sent");
    cr_expect_eq(metric("kentongan_official_pin_failures_total", "bpbd"), 1,
                 "a wrong code counts as a wrong PIN");
    snprintf(cmd, sizeof(cmd), "YA %s PIN 11111", code);
    say(STAFF, cmd, STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "PIN atau kode salah") != NULL, "right code, wrong PIN: %s", out);
    snprintf(cmd, sizeof(cmd), "YA %s PIN " STAFF_PIN, code);
    say(STAFF, cmd, STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "#1") && strstr(out, "5 penerima"), "sent: %s", out);
    /* once */
    say(STAFF, cmd, STAFF_N, out, sizeof(out));
    cr_expect(strstr(out, "Tidak ada siaran") != NULL, "a code works once: %s", out);
    cr_expect_eq(kt_redis_int(&env, "GET kt:bc:seq"), 1, "one broadcast");
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:pin:fail:bpbd"), 0,
                 "the right one clears the count");

    /* SEMUA and emergencies need a code too, even for one desa */
    say(STAFF, "SIAR SEMUA Info", STAFF_N, out, sizeof(out));
    code_after(out, "Balas YA ", code);
    say(STAFF, "SIAR DARURAT desa:33.25.01.2001 Banjir, segera mengungsi", STAFF_N, out,
        sizeof(out));
    code_after(out, "Balas YA ", code);
    /* a code sent to another number is no use to this one */
    char own[8];
    say(SEKDA, "SIAR DARURAT desa:33.25.01.2001 Banjir", "6281311110004", out, sizeof(out));
    code_after(out, "Balas YA ", own);
    if (strcmp(own, code) == 0)
        return; /* the two random codes met (1 in 10 000): nothing to show */
    snprintf(cmd, sizeof(cmd), "YA %s PIN " SEKDA_PIN, code);
    say(SEKDA, cmd, "6281311110004", out, sizeof(out));
    cr_expect(strstr(out, "PIN atau kode salah") != NULL, "%s", out);
}

static void bc_status(long long id, char *out, size_t len)
{
    redisReply *r = kt_redis(&env, "HGET kt:bc:%lld status", id);
    snprintf(out, len, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
}

static int bc_started(struct kt_env *e, void *arg)
{
    return kt_redis_int(e, "HGET kt:bc:%lld sent", *(long long *)arg) > 0;
}

Test(officials, cancelling_a_running_emergency_needs_pin_and_code)
{
    char out[512], cmd[96], code[8], st[32];
    /* 300 recipients: half a minute at the whole cap (600 a minute), which leaves
     * room in each minute for the answers below */
    for (int i = 0; i < 300; i++) {
        char num[32];
        snprintf(num, sizeof(num), "62812700%05d", i);
        cr_assert_eq(kt_subscribe(&env, num, "kec:33.25.03"), 0);
    }
    long long id = kt_bc_create(&env, "kt:subs:kec:33.25.03", "Evakuasi sekarang", 1, NULL);
    cr_assert_eq(id, 1);
    cr_assert(kt_wait(&env, 30, bc_started, &id), "the emergency is under way");
    /* the forged "BATAL 1" of the old days: now it only sends a code to the sekda */
    say(SEKDA, "BATAL 1", "6281311110004", out, sizeof(out));
    code_after(out, "BATAL 1 ", code);
    bc_status(1, st, sizeof(st));
    cr_expect_str_eq(st, "running");
    say(SEKDA, "BATAL 1 PIN " SEKDA_PIN, "6281311110004", out, sizeof(out));
    code_after(out, "BATAL 1 ", code); /* a PIN alone asks again; the newer code counts */
    snprintf(cmd, sizeof(cmd), "BATAL 1 %s", code);
    say(SEKDA, cmd, "6281311110004", out, sizeof(out));
    cr_expect(strstr(out, "PIN tidak ada") != NULL, "the code alone is not enough: %s", out);
    snprintf(cmd, sizeof(cmd), "BATAL 1 %04d PIN " SEKDA_PIN, (atoi(code) + 1) % 10000);
    say(SEKDA, cmd, "6281311110004", out, sizeof(out));
    cr_expect(strstr(out, "PIN atau kode salah") != NULL, "%s", out);
    snprintf(cmd, sizeof(cmd), "BATAL 2 %s PIN " SEKDA_PIN, code);
    say(SEKDA, cmd, "6281311110004", out, sizeof(out));
    cr_expect(strstr(out, "Tidak ada pembatalan") != NULL, "the code is for #1 only: %s", out);
    bc_status(1, st, sizeof(st));
    cr_expect_str_eq(st, "running", "still going");
    snprintf(cmd, sizeof(cmd), "BATAL 1 %s PIN " SEKDA_PIN, code);
    say(SEKDA, cmd, "6281311110004", out, sizeof(out));
    cr_expect(strstr(out, "dihentikan") != NULL, "%s", out);
    bc_status(1, st, sizeof(st));
    cr_expect_str_eq(st, "cancelled");
    cr_expect_lt(kt_redis_int(&env, "HGET kt:bc:1 sent"), 300, "stopped before the end");
    say(SEKDA, cmd, "6281311110004", out, sizeof(out));
    cr_expect(strstr(out, "Tidak ada pembatalan") != NULL, "the code worked once: %s", out);
    cr_expect_eq(metric("kentongan_official_pin_failures_total", "sekda"), 1);
}

static int log_count(const char *needle)
{
    FILE *f = fopen(env.log, "r");
    if (f == NULL)
        return -1;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

Test(officials, five_wrong_pins_lock_the_official_and_tell_the_coordinator_once)
{
    char out[512], ticket[32], cmd[160], st[32];
    file_complaint(ticket, sizeof(ticket));
    for (int i = 1; i <= 5; i++) {
        snprintf(cmd, sizeof(cmd), "TERIMA %s PIN %d", ticket, 1000 + i);
        say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
        if (i < 5)
            cr_expect(strstr(out, "PIN salah") != NULL, "wrong PIN %d: %s", i, out);
        else
            cr_expect(strstr(out, "dikunci sampai") && strstr(out, "WIB"), "locked: %s", out);
    }
    /* the right PIN is refused while locked, with until when */
    snprintf(cmd, sizeof(cmd), "TERIMA %s PIN " LIAISON_PIN, ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "dikunci sampai") && strstr(out, "WIB"), "%s", out);
    cr_expect_str_eq(ticket_status(ticket, st, sizeof(st)), "DITERUSKAN");
    /* wrong again while locked: no second lockout, no second notice */
    snprintf(cmd, sizeof(cmd), "TERIMA %s PIN 1111", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_assert_eq(kt_wait_sent_with(&env, COORD_N, "dikunci", 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "budi") != NULL, "names the official: %s", out);
    cr_expect_eq(count_sent_with(COORD_N, "dikunci"), 1, "the coordinator is told once");
    cr_expect_eq(metric("kentongan_official_pin_failures_total", "budi"), 5);
    cr_expect_eq(metric("kentongan_official_lockouts_total", "budi"), 1);
    cr_expect_eq(metric("kentongan_official_lockouts_total", "kominfo"), 0);
    cr_expect_eq(log_count("event=official_locked "), 1, "one log line");
    cr_expect_eq(log_count(LIAISON_N), 0, "numbers masked in the log");
    /* 16 minutes later the right PIN works again */
    cr_assert_eq(kt_clock_jump(&env, 960), 0, "the gateway took the new calendar");
    snprintf(cmd, sizeof(cmd), "TERIMA %s PIN " LIAISON_PIN, ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "OK: tiket") != NULL, "unlocked: %s", out);
}

/* Every value of every entry of a stream, joined. */
static void stream_text(const char *key, char *out, size_t len)
{
    redisReply *r = kt_redis(&env, "XRANGE %s - +", key);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *f = r->element[i]->element[1];
        for (size_t k = 0; f->type == REDIS_REPLY_ARRAY && k < f->elements; k++) {
            int n = snprintf(out + used, len - used, "%s|", f->element[k]->str);
            if (n > 0 && used + (size_t)n < len)
                used += (size_t)n;
        }
    }
    freeReplyObject(r);
}

Test(officials, the_pin_never_reaches_kt_in_the_log_or_an_sms)
{
    char out[512], ticket[32], cmd[400];
    file_complaint(ticket, sizeof(ticket));
    snprintf(cmd, sizeof(cmd), "TERIMA %s PIN " LIAISON_PIN, ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "OK: tiket") != NULL, "%s", out);
    snprintf(cmd, sizeof(cmd), "PIN:" LIAISON_PIN " BALAS %s Tim kami datang besok", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "OK: tiket") != NULL, "PIN first works too: %s", out);
    /* a long answer in two parts, the PIN straddling them: never kept, not checkable */
    char part1[200], part2[200];
    snprintf(part1, sizeof(part1),
             "BALAS %s Perbaikan jalan minggu depan setelah material datang, mohon warga "
             "berhati-hati melintas. Terima kasih PIN 9753",
             ticket);
    snprintf(part2, sizeof(part2), "1864 atas laporannya.");
    cr_assert_eq(kt_dummy_deliver(&env, LIAISON, part1, "0500037A0201", 0), 0);
    cr_assert_eq(kt_dummy_deliver(&env, LIAISON, part2, "0500037A0202", 0), 0);
    cr_assert_eq(kt_wait_sent_with(&env, LIAISON_N, "terpotong", 30, out, sizeof(out)), 0,
                 "refused as unreadable");
    /* the PIN whole in the second part of a long message is taken out there */
    snprintf(part1, sizeof(part1),
             "SELESAI %s Lubang sudah ditambal dengan aspal hotmix oleh tim UPT jalan "
             "wilayah timur pada hari Rabu siang, silakan dicek oleh ",
             ticket);
    cr_assert_eq(kt_dummy_deliver(&env, LIAISON, part1, "0500037B0201", 0), 0);
    cr_assert_eq(kt_dummy_deliver(&env, LIAISON, "warga. PIN " LIAISON_PIN, "0500037B0202", 0), 0);
    cr_assert_eq(kt_wait_sent_with(&env, RESIDENT_N, "hotmix", 30, out, sizeof(out)), 0,
                 "resolved: %s", out);
    cr_expect(strstr(out, "PIN") == NULL, "%s", out);

    static char in[1 << 16], sent[1 << 17];
    stream_text("kt:in", in, sizeof(in));
    cr_expect(strstr(in, "Perbaikan jalan") != NULL, "the texts are there");
    cr_expect(strstr(in, LIAISON_PIN) == NULL, "no PIN on kt:in: %s", in);
    cr_expect(strstr(in, "Terima kasih atas laporannya.") != NULL,
              "the parts joined, the straddling PIN taken out whole: %s", in);
    cr_expect(strstr(in, "|split|") != NULL, "the straddling one is marked");
    stream_text("kt:sent", sent, sizeof(sent));
    cr_expect(strstr(sent, LIAISON_PIN) == NULL, "no PIN in any SMS");
    stream_text("kt:out:any", sent, sizeof(sent));
    cr_expect(strstr(sent, LIAISON_PIN) == NULL, "nor queued");
    cr_expect_eq(log_count(LIAISON_PIN), 0, "nor in the log");
}

Test(officials_config, kentongan_t_refuses_broadcasters_without_a_pin_and_plain_pins)
{
    struct kt_env e;
    cr_assert_eq(kt_env_init(&e), 0);
    char path[400], out[4096], pinfile[400], line[192];
    snprintf(path, sizeof(path), "%s/t.ini", e.dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    const char *root = getenv("KT_ROOT");
    fprintf(f,
            "[gateway]\ndata_dir = %s/data\nmenu = %s/etc/menu.json\n"
            "[modem:m]\nmodel = dummy\nconnection = none\ndevice = %s\n"
            "[official:bpbd]\nphone = " STAFF "\nopd = BPBD\nrole = staff\n"
            "[official:sekda]\nphone = " SEKDA "\nrole = sekda\n"
            "[official:kominfo]\nphone = " COORD "\nopd = DISKOMINFO\nrole = coordinator\n"
            "[official:budi]\nphone = " LIAISON "\nopd = DPUPR\nrole = liaison\npin = 4321\n"
            "[official:sri]\nphone = 081311110002\nopd = DPUPR\nrole = head\n",
            root ? root : ".", root ? root : ".", e.modem_dir);
    fclose(f);
    char args[512];
    snprintf(args, sizeof(args), "-t -c %s", path);
    cr_expect_eq(kt_run(&e, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "[official:bpbd] pin: missing; role staff may broadcast") != NULL, "%s",
              out);
    cr_expect(strstr(out, "[official:sekda] pin: missing") != NULL, "%s", out);
    cr_expect(strstr(out, "[official:kominfo] pin: missing") != NULL, "%s", out);
    cr_expect(strstr(out, "[official:budi] pin: a PIN is never kept in plain text") &&
                  strstr(out, "kentongan --hash-pin " LIAISON),
              "plain text refused, with the command to use: %s", out);
    cr_expect(strstr(out, "4321") == NULL, "the PIN is not echoed: %s", out);
    cr_expect(strstr(out, "[official:sri]") == NULL, "a head may go without: %s", out);

    /* --hash-pin reads the PIN from standard input and prints the line */
    snprintf(pinfile, sizeof(pinfile), "%s/pin", e.dir);
    f = fopen(pinfile, "w");
    cr_assert_not_null(f);
    fputs("4321\n", f);
    fclose(f);
    snprintf(args, sizeof(args), "--hash-pin " LIAISON " < %s", pinfile);
    cr_expect_eq(kt_run(&e, args, out, sizeof(out)), 0, "%s", out);
    cr_expect_str_eq(out, kt_pin_line(LIAISON, "4321", line, sizeof(line)));
    snprintf(args, sizeof(args), "--hash-pin " LIAISON " < /dev/null");
    cr_expect_eq(kt_run(&e, args, out, sizeof(out)), 1, "no PIN: %s", out);
    kt_env_cleanup(&e);
}
