/* Integration: a complaint's whole life by SMS, officials' commands and who
 * may use them, escalation when the clock jumps past deadlines (exactly
 * once with two gateways), status import, subscriptions. */
#include "tests/lib/harness.h"

#include "handlers/workday.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESIDENT   "081234567890"
#define RESIDENT_N "6281234567890"
#define LIAISON    "081311110001"
#define LIAISON_N  "6281311110001"
#define HEAD_N     "6281311110002"
#define COORD      "081311110003"
#define COORD_N    "6281311110003"
#define SEKDA_N    "6281311110004"
#define DINKES     "081311110005"
#define STRANGER   "081399990000"
#define PIN_LINE   192

static struct kt_env env;

#define COORD_PIN "2468" /* the coordinator and the sekda may broadcast: they need a PIN */
#define SEKDA_PIN "1357"

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    char modems[4096], coord_pin[PIN_LINE], sekda_pin[PIN_LINE];
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\nper_day = 100000\n"
             "[official:budi]\nphone = " LIAISON "\nopd = DPUPR\nrole = liaison\n"
             "[official:sri]\nphone = 081311110002\nopd = DPUPR\nrole = head\n"
             "[official:kominfo]\nphone = " COORD "\nopd = DISKOMINFO\nrole = coordinator\n%s"
             "[official:sekda]\nphone = 081311110004\nrole = sekda\n%s"
             "[official:dinkes]\nphone = " DINKES "\nopd = DINKES\nrole = liaison\n",
             env.modem_dir, kt_pin_line(COORD, COORD_PIN, coord_pin, sizeof(coord_pin)),
             kt_pin_line("081311110004", SEKDA_PIN, sekda_pin, sizeof(sekda_pin)));
    cr_assert_eq(kt_write_config(&env, "test_clock = 1\nsender_per_minute = 100", modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(complaint, .init = setup, .fini = teardown, .timeout = 180);

/* The ticket number in a text ("tiket 1000017"). */
static void ticket_in(const char *text, char *out, size_t len)
{
    const char *p = strstr(text, "tiket ");
    cr_assert_not_null(p, "no ticket in: %s", text);
    p += 6;
    size_t n = strspn(p, "0123456789");
    cr_assert_gt(n, 5, "ticket too short in: %s", text);
    snprintf(out, len, "%.*s", (int)n, p);
}

static void say(const char *from, const char *text, const char *to, char *out, size_t len)
{
    int rc = kt_exchange(&env, from, text, to, 20, out, len);
    if (rc != 0)
        kt_dump_log(&env);
    cr_assert_eq(rc, 0, "no answer to \"%s\" for %s", text, to);
}

/* The ticket's field (kt:ticket:SEQ), as a number; -1 if absent. */
static long long ticket_field(const char *ticket, const char *field)
{
    unsigned long long seq = strtoull(ticket, NULL, 10) / 10 - 10000;
    return kt_redis_int(&env, "HGET kt:ticket:%llu %s", seq, field);
}

/* The holidays every gateway of this suite runs with (the harness's list). */
static struct holidays *test_holidays(void)
{
    char err[160];
    struct holidays *h = holidays_parse(KT_TEST_HOLIDAYS, err, sizeof(err));
    cr_assert_not_null(h, "%s", err);
    return h;
}

static void file_complaint(const char *text, char *ticket, size_t len)
{
    char out[512];
    say(RESIDENT, text, RESIDENT_N, out, sizeof(out));
    ticket_in(out, ticket, len);
}

Test(complaint, full_life_from_lapor_to_puas)
{
    char out[512], ticket[32], cmd[128];
    say(RESIDENT, "Assalamualaikum, LAPOR jalan berlubang besar di desa Kalisalak kec Batang",
        RESIDENT_N, out, sizeof(out));
    ticket_in(out, ticket, sizeof(ticket));
    cr_expect(strstr(out, "DPUPR") != NULL, "routed to DPUPR: %s", out);
    cr_expect(strstr(out, "CEK") != NULL, "tells how to check: %s", out);
    cr_expect_leq(strlen(out), 160, "one SMS: %s", out);

    cr_assert_eq(kt_wait_sent_to(&env, LIAISON_N, 1, 20, out, sizeof(out)), 0, "liaison told");
    cr_expect(strstr(out, ticket) && strstr(out, "Kalisalak") && strstr(out, "berlubang"),
              "liaison gets ticket, place and text: %s", out);

    snprintf(cmd, sizeof(cmd), "TERIMA %s", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "DITINDAKLANJUTI") != NULL, "%s", out);
    cr_assert_eq(kt_wait_sent_to(&env, RESIDENT_N, 2, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "diterima") != NULL, "resident told of TERIMA: %s", out);

    snprintf(cmd, sizeof(cmd), "BALAS %s Tim kami survei besok pagi", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_assert_eq(kt_wait_sent_to(&env, RESIDENT_N, 3, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "survei besok") != NULL, "resident gets the answer: %s", out);

    snprintf(cmd, sizeof(cmd), "SELESAI %s Lubang sudah ditambal", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "SELESAI") != NULL, "%s", out);
    cr_assert_eq(kt_wait_sent_to(&env, RESIDENT_N, 4, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "ditambal") && strstr(out, "PUAS"), "%s", out);

    say(RESIDENT, "puas", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "ditutup") != NULL, "%s", out);

    snprintf(cmd, sizeof(cmd), "cek %s", ticket);
    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "DITUTUP") != NULL, "%s", out);
    /* every change recorded with time and actor */
    char key[64];
    unsigned long long seq = strtoull(ticket, NULL, 10) / 10 - 10000;
    snprintf(key, sizeof(key), "kt:ticket:%llu:log", seq);
    cr_expect_eq(kt_redis_int(&env, "XLEN %s", key), 5, "LAPOR, TERIMA, BALAS, SELESAI, PUAS");
}

Test(complaint, official_commands_refused_from_strangers_and_other_opds)
{
    char out[512], ticket[32], cmd[128];
    file_complaint("LAPOR jalan rusak parah di desa Kalisalak kec Batang", ticket, sizeof(ticket));
    snprintf(cmd, sizeof(cmd), "SELESAI %s sudah beres", ticket);
    say(STRANGER, cmd, "6281399990000", out, sizeof(out));
    cr_expect(strstr(out, "petugas terdaftar") != NULL, "stranger refused: %s", out);
    say(DINKES, cmd, "6281311110005", out, sizeof(out));
    cr_expect(strstr(out, "bukan") != NULL, "other OPD refused: %s", out);
    snprintf(cmd, sizeof(cmd), "cek %s", ticket);
    say(STRANGER, cmd, "6281399990000", out, sizeof(out));
    cr_expect(strstr(out, "tidak ditemukan") != NULL, "details only to the filer: %s", out);
    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "DITERUSKAN") != NULL, "still untouched: %s", out);
    /* a mistyped ticket number is invalid, never someone else's */
    char bad[32];
    snprintf(bad, sizeof(bad), "%s", ticket);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '9' ? '0' : bad[strlen(bad) - 1] + 1;
    snprintf(cmd, sizeof(cmd), "cek %s", bad);
    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "tidak ditemukan") != NULL, "%s", out);
}

static int count_to(const char *to)
{
    return kt_sent_to(&env, to, NULL, 0);
}

/* Whatever day the clock is pinned to (CI runs this on every day of the
 * week, across a holiday and the year's end), each deadline is the one the
 * working-day rules give, and passing it escalates exactly once. */
Test(complaint, missed_deadlines_escalate_once_each_even_with_two_gateways)
{
    char out[512], ticket[32];
    struct holidays *h = test_holidays();
    file_complaint("LAPOR jembatan ambrol di desa Kalisalak kec Batang", ticket, sizeof(ticket));
    long long created = ticket_field(ticket, "created") / 1000;
    long long due1 = ticket_field(ticket, "deadline");
    cr_assert_eq(due1, workday_deadline(h, created, WORKDAY_FOLLOW_UP) * 1000,
                 "follow-up deadline: 5 working days after %lld", created);
    /* a second gateway on the same Redis */
    char other[400], log2[400], cmd[1024];
    snprintf(other, sizeof(other), "%s/second.ini", env.dir);
    snprintf(log2, sizeof(log2), "%s/second.log", env.dir);
    snprintf(cmd, sizeof(cmd), "sed 's/^name = test$/name = second/' %s > %s", env.config, other);
    cr_assert_eq(system(cmd), 0);
    pid_t second = kt_spawn_gateway(&env, other, log2);
    cr_assert_gt(second, 0);
    cr_expect_eq(count_to(HEAD_N), 0);
    /* a minute past the deadline (the first minute of the next day, WIB) */
    cr_assert_eq(kt_clock_set(&env, due1 / 1000 + 60), 0);
    cr_assert_eq(kt_wait_sent_to(&env, HEAD_N, 1, 30, out, sizeof(out)), 0, "head told");
    cr_expect(strstr(out, "ESKALASI 1") && strstr(out, ticket), "%s", out);
    cr_assert_eq(kt_wait_sent_to(&env, COORD_N, 1, 10, out, sizeof(out)), 0, "coordinator told");
    long long due2 = ticket_field(ticket, "deadline");
    cr_assert_eq(due2, workday_deadline(h, due1 / 1000 + 60, WORKDAY_ESCALATE_AGAIN) * 1000,
                 "next step 2 working days after the escalation: %lld, not %lld", due2,
                 workday_deadline(h, due1 / 1000 + 60, WORKDAY_ESCALATE_AGAIN) * 1000);
    sleep(3);
    cr_expect_eq(count_to(HEAD_N), 1, "once, not once per gateway");
    cr_expect_eq(count_to(SEKDA_N), 0, "sekda not yet");
    cr_assert_eq(kt_clock_set(&env, due2 / 1000 + 60), 0);
    cr_assert_eq(kt_wait_sent_to(&env, SEKDA_N, 1, 30, out, sizeof(out)), 0, "sekda told");
    cr_expect(strstr(out, "ESKALASI 2") != NULL, "%s", out);
    sleep(3);
    cr_expect_eq(count_to(SEKDA_N), 1);
    cr_expect_eq(count_to(HEAD_N), 1);
    kt_stop_pid(second, SIGTERM);
    holidays_free(h);
}

Test(complaint, resolved_ticket_closes_itself_and_tidak_puas_reopens)
{
    char out[512], a[32], b[32], cmd[128];
    struct holidays *h = test_holidays();
    file_complaint("LAPOR lampu jalan mati di desa Kalisalak kec Batang", a, sizeof(a));
    file_complaint("LAPOR jalan bolong di kec Bandar", b, sizeof(b));
    snprintf(cmd, sizeof(cmd), "SELESAI %s lampu sudah diganti", a);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    long long resolved = ticket_field(a, "updated") / 1000;
    long long close_at = ticket_field(a, "deadline");
    cr_assert_eq(close_at, workday_deadline(h, resolved, WORKDAY_AUTO_CLOSE) * 1000,
                 "closes 10 working days after SELESAI");
    snprintf(cmd, sizeof(cmd), "SELESAI %s sudah ditambal", b);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    snprintf(cmd, sizeof(cmd), "TIDAK PUAS %s masih bolong", b);
    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "dibuka kembali") != NULL, "%s", out);
    cr_assert_eq(kt_wait_sent_with(&env, LIAISON_N, "TIDAK PUAS", 10, out, sizeof(out)), 0);
    cr_expect(strstr(out, b) != NULL, "liaison told: %s", out);
    cr_expect_eq(kt_wait_sent_with(&env, RESIDENT_N, "tidak ada keberatan", 0, out, sizeof(out)),
                 -1, "not closed before its time");
    cr_assert_eq(kt_clock_set(&env, close_at / 1000 + 60), 0);
    cr_assert_eq(kt_wait_sent_with(&env, RESIDENT_N, "tidak ada keberatan", 30, out, sizeof(out)),
                 0);
    cr_expect(strstr(out, a) != NULL && strstr(out, b) == NULL, "auto-closed: %s", out);
    snprintf(cmd, sizeof(cmd), "CEK %s", a);
    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "DITUTUP") != NULL, "%s", out);
    holidays_free(h);
}

Test(complaint, nik_is_masked_in_every_sms_and_log_line)
{
    char out[512], ticket[32];
    file_complaint("LAPOR KTP belum jadi padahal sudah 3 bulan, NIK 3325012345670001 desa "
                   "Kalisalak kec Batang",
                   ticket, sizeof(ticket));
    /* ADM goes to DUKCAPIL, which has no liaison here: the coordinator gets it */
    cr_assert_eq(kt_wait_sent_to(&env, COORD_N, 1, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "3325012345670001") == NULL, "masked: %s", out);
    cr_expect(strstr(out, "0001") != NULL, "last digits kept: %s", out);
    static struct kt_sent s[64];
    int n = kt_sent(&env, s, 64);
    for (int i = 0; i < n && i < 64; i++)
        cr_expect(strstr(s[i].text, "3325012345670001") == NULL, "sms %d: %s", i, s[i].text);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "grep -c 3325012345670001 %s", env.log);
    FILE *p = popen(cmd, "r");
    int hits = -1;
    cr_assert(p && fscanf(p, "%d", &hits) == 1);
    pclose(p);
    cr_expect_eq(hits, 0, "NIK never in a log line");
}

Test(complaint, uncategorised_goes_to_coordinator_who_forwards_it)
{
    char out[512], ticket[32], cmd[128];
    file_complaint("LAPOR ada yang aneh di balai desa Kalisalak kec Batang", ticket,
                   sizeof(ticket));
    cr_assert_eq(kt_wait_sent_to(&env, COORD_N, 1, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "ALIHKAN") != NULL, "coordinator asked to triage: %s", out);
    snprintf(cmd, sizeof(cmd), "ALIHKAN %s DPUPR PIN " COORD_PIN, ticket);
    say(COORD, cmd, COORD_N, out, sizeof(out));
    cr_expect(strstr(out, "DITERUSKAN") != NULL, "%s", out);
    cr_assert_eq(kt_wait_sent_to(&env, LIAISON_N, 1, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, ticket) != NULL, "liaison of the new OPD told: %s", out);
}

Test(complaint, daftar_then_berhenti)
{
    char out[512];
    say(RESIDENT, "DAFTAR Kalisalak Batang", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Kalisalak") && strstr(out, "BERHENTI"), "%s", out);
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:" RESIDENT_N), 1);
    say(RESIDENT, "daftar kec bandar", RESIDENT_N, out, sizeof(out));
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:" RESIDENT_N), 2);
    say(RESIDENT, "DAFTAR", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "DAFTAR <") != NULL, "format explained: %s", out);
    say(RESIDENT, "DAFTAR Kalisalak", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Maksud") != NULL, "ambiguous desa asks: %s", out);
    say(RESIDENT, "BERHENTI", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "berhenti") != NULL, "%s", out);
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:" RESIDENT_N), 0);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:optout:" RESIDENT_N), 1, "opt-out recorded");
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:consent:" RESIDENT_N), 3, "consent history");
}

Test(complaint, status_import_all_or_nothing_and_siap_diambil_once)
{
    char path[400], out[4096], args[900];
    snprintf(path, sizeof(path), "%s/bad.csv", env.dir);
    FILE *f = fopen(path, "w");
    fputs("nomor,jenis,telepon,status,catatan\n"
          "LU-001,Akta Kelahiran,081234567890,PROSES CETAK,\n"
          "LU-002,KTP-el,12345,SIAP DIAMBIL,\n"
          "LU-003,KK,081234567891,DIMAKAN,\n"
          "LU-001,KIA,081234567892,DIAMBIL,\n",
          f);
    fclose(f);
    snprintf(args, sizeof(args), "--import-status %s -c %s", path, env.config);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "bad.csv:3:") && strstr(out, "bad.csv:4:") && strstr(out, "bad.csv:5:"),
              "every bad row with its line: %s", out);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:adminduk:LU-001"), 0, "nothing applied");

    snprintf(path, sizeof(path), "%s/good.csv", env.dir);
    f = fopen(path, "w");
    fputs("nomor,jenis,telepon,status,catatan\n"
          "LU-001,Akta Kelahiran,081234567890,siap diambil,\"Bawa KK asli, fotokopi\"\n"
          "LU-002,KTP-el,081234567891,PROSES CETAK,\n",
          f);
    fclose(f);
    snprintf(args, sizeof(args), "--import-status %s -c %s", path, env.config);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "1 applicants notified") != NULL, "%s", out);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "0 changed") != NULL, "idempotent: %s", out);
    cr_assert_eq(kt_wait_sent_to(&env, RESIDENT_N, 1, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "SIAP DIAMBIL") && strstr(out, "LU-001"), "%s", out);
    sleep(2);
    cr_expect_eq(count_to(RESIDENT_N), 1, "told once");
    say(RESIDENT, "CEK lu-001", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "SIAP DIAMBIL") != NULL, "%s", out);
    say("081234567891", "CEK LU-002", "6281234567891", out, sizeof(out));
    cr_expect(strstr(out, "PROSES CETAK") != NULL, "%s", out);
    say("081234567891", "CEK LU-001", "6281234567891", out, sizeof(out));
    cr_expect(strstr(out, "tidak ditemukan") != NULL, "not someone else's: %s", out);
}

Test(complaint, tolak_pin_and_structured_lapor)
{
    char out[512], ticket[32], cmd[160];
    say(RESIDENT, "LAPOR", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "LAPOR <isi") != NULL, "format explained: %s", out);
    say(RESIDENT, "LAPOR#Kandeman#sampah menumpuk di pinggir jalan", RESIDENT_N, out, sizeof(out));
    ticket_in(out, ticket, sizeof(ticket));
    cr_expect(strstr(out, "DLH") != NULL, "sampah goes to DLH: %s", out);
    /* DLH has no liaison here: the coordinator hears of it instead */
    cr_assert_eq(kt_wait_sent_to(&env, COORD_N, 1, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "Kandeman") != NULL, "place recognised: %s", out);
    snprintf(cmd, sizeof(cmd), "TOLAK %s bukan wewenang pemkab, jalan nasional PIN " COORD_PIN,
             ticket);
    say(COORD, cmd, COORD_N, out, sizeof(out));
    cr_expect(strstr(out, "BUKAN_WEWENANG") != NULL, "%s", out);
    cr_assert_eq(kt_wait_sent_with(&env, RESIDENT_N, "jalan nasional", 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "bukan wewenang") != NULL, "%s", out);
}

static void pin_setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    char modems[2048], pin[PIN_LINE];
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\n[official:budi]\nphone = " LIAISON "\nopd = DPUPR\n"
             "role = liaison\n%s",
             env.modem_dir, kt_pin_line(LIAISON, "4321", pin, sizeof(pin)));
    cr_assert_eq(kt_write_config(&env, "sender_per_minute = 100\nmenu_sms_ttl = 120", modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

Test(complaint, the_sms_menu_session_lives_as_configured, .init = pin_setup)
{
    char out[512];
    say(RESIDENT, "MENU", RESIDENT_N, out, sizeof(out));
    long long ttl = kt_redis_int(&env, "TTL kt:menu:" RESIDENT_N);
    cr_expect(ttl > 60 && ttl <= 120, "menu_sms_ttl = 120, TTL %lld", ttl);
    say(RESIDENT, "2", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "nomor tiket") != NULL, "%s", out);
    ttl = kt_redis_int(&env, "TTL kt:menu:" RESIDENT_N);
    cr_expect(ttl > 60 && ttl <= 120, "refreshed with each reply, TTL %lld", ttl);
}

Test(complaint, official_with_pin_must_give_it, .init = pin_setup)
{
    char out[512], ticket[32], cmd[160];
    file_complaint("LAPOR jalan rusak di desa Kalisalak kec Batang", ticket, sizeof(ticket));
    /* the liaison's notice comes first, so it is not taken for the answer below */
    cr_assert_eq(kt_wait_sent_to(&env, LIAISON_N, 1, 20, out, sizeof(out)), 0, "liaison told");
    snprintf(cmd, sizeof(cmd), "TERIMA %s", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "PIN") != NULL, "refused without PIN: %s", out);
    snprintf(cmd, sizeof(cmd), "TERIMA %s PIN 1111", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "PIN") != NULL, "refused with a wrong PIN: %s", out);
    snprintf(cmd, sizeof(cmd), "TERIMA %s PIN 4321", ticket);
    say(LIAISON, cmd, LIAISON_N, out, sizeof(out));
    cr_expect(strstr(out, "OK: tiket") != NULL, "accepted: %s", out);
}

Test(complaint, the_menu_over_sms_files_a_complaint_and_berhenti_always_works)
{
    char out[512], ticket[32];
    say(RESIDENT, "MENU", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "1 Lapor") != NULL, "first screen: %s", out);
    cr_expect_leq(strlen(out), 160, "one SMS: %s", out);
    const char *steps[] = {"1", "1", "3", "3"};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        say(RESIDENT, steps[i], RESIDENT_N, out, sizeof(out));
        cr_expect_leq(strlen(out), 160, "one SMS: %s", out);
    }
    cr_expect(strstr(out, "Tulis laporan") != NULL, "asks for the text: %s", out);
    say(RESIDENT, "Jalan berlubang besar depan balai desa", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Kirim laporan ini?") != NULL, "%s", out);
    say(RESIDENT, "1", RESIDENT_N, out, sizeof(out));
    ticket_in(out, ticket, sizeof(ticket));
    cr_expect(strstr(out, "DPUPR") != NULL, "category chosen in the menu: %s", out);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:menu:" RESIDENT_N), 0, "session over");
    cr_assert_eq(kt_wait_sent_to(&env, LIAISON_N, 1, 20, out, sizeof(out)), 0, "liaison told");
    /* BERHENTI inside a menu is an opt-out, not a menu input */
    say(RESIDENT, "DAFTAR Kalisalak Batang", RESIDENT_N, out, sizeof(out));
    say(RESIDENT, "MENU", RESIDENT_N, out, sizeof(out));
    say(RESIDENT, "BERHENTI", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "berhenti") != NULL, "%s", out);
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:" RESIDENT_N), 0);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:menu:" RESIDENT_N), 0, "and it left the menu");
}

/* The other paths of the menu over SMS: each screen one SMS, actions as by keyword. */
Test(complaint, the_menu_over_sms_checks_subscribes_informs_and_unsubscribes)
{
    char out[512], ticket[32], cmd[64];
    file_complaint("LAPOR jalan rusak di desa Kalisalak kec Batang", ticket, sizeof(ticket));
    say(RESIDENT, "MENU", RESIDENT_N, out, sizeof(out));
    say(RESIDENT, "2", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "nomor tiket") != NULL, "%s", out);
    say(RESIDENT, ticket, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, ticket) && strstr(out, "DITERUSKAN"), "status by menu: %s", out);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:menu:" RESIDENT_N), 0, "session over");

    const char *daftar[] = {"MENU", "3", "3", "3", "1"};
    for (size_t i = 0; i < sizeof(daftar) / sizeof(daftar[0]); i++) {
        say(RESIDENT, daftar[i], RESIDENT_N, out, sizeof(out));
        cr_expect_leq(strlen(out), 160, "one SMS: %s", out);
    }
    cr_expect(strstr(out, "BERHENTI") != NULL, "subscribed, told how to stop: %s", out);
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:" RESIDENT_N), 1);

    const char *info[] = {"MENU", "5", "3"};
    for (size_t i = 0; i < sizeof(info) / sizeof(info[0]); i++)
        say(RESIDENT, info[i], RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Wisata Batang") && strstr(out, "98"), "%s", out);
    say(RESIDENT, "98", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Wisata Batang") == NULL && strlen(out) <= 160, "page two: %s", out);
    say(RESIDENT, "00", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "1 Lapor") != NULL, "home: %s", out);
    say(RESIDENT, "4", RESIDENT_N, out, sizeof(out));
    say(RESIDENT, "1", RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "berhenti") != NULL, "%s", out);
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:" RESIDENT_N), 0, "unsubscribed by menu");
    snprintf(cmd, sizeof(cmd), "%s", "1");
    say(RESIDENT, cmd, RESIDENT_N, out, sizeof(out));
    cr_expect(strstr(out, "Sesi menu") == NULL, "outside a session, 1 is a ticket check: %s", out);
}
