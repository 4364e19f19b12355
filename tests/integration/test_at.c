/* Integration: the gateway driving the AT modem simulator (tests/atsim)
 * through libgammu's proxyat connection, as it would a USB modem. Receive
 * relies on +CMTI alone here (poll_seconds is an hour), and the PDUs the
 * gateway hands the modem are decoded by the simulator. */
#include "tests/lib/atsim_ctl.h"
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static struct kt_env env;
static char simdir[400];

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    snprintf(simdir, sizeof(simdir), "%s/sim1", env.dir);
    char modems[2048] = "";
    int rc = atsim_modem_section(
        env.build, simdir, "at1",
        "poll_seconds = 3600\nper_minute = 600\nper_day = 100000\nhang_seconds = 10\n", modems,
        sizeof(modems));
    if (rc == -2)
        cr_skip_test("AT simulator not built in %s", env.build);
    cr_assert_eq(rc, 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, NULL, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(at, .init = setup, .fini = teardown, .timeout = 120);

static int modem_up(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:at1 state");
    int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
    freeReplyObject(r);
    return up;
}

static int sim_sent_at_least(struct kt_env *e, void *arg)
{
    return atsim_read_sent(simdir, NULL, 0) >= *(int *)arg;
}

static int sim_count_zero(struct kt_env *e, void *arg)
{
    return atsim_sim_count(simdir) == 0;
}

static int kt_sent_at_least(struct kt_env *e, void *arg)
{
    return kt_sent(e, NULL, 0) >= *(int *)arg;
}

static void queue_reply(const char *to, const char *text)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long long expires = (long long)tv.tv_sec * 1000 + 300000;
    redisReply *r = kt_redis(&env, "XADD kt:out:m:at1 * to %s text %s expires %lld kind reply", to,
                             text, expires);
    cr_assert(r && r->type == REDIS_REPLY_STRING, "queued");
    freeReplyObject(r);
}

Test(at, sms_in_by_cmti_reply_pdu_decodes_to_number_and_text)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL), "modem connected");
    cr_assert_eq(atsim_deliver(simdir, "+6281234567890", "info", NULL, NULL), 0);
    int one = 1;
    if (!kt_wait(&env, 30, sim_sent_at_least, &one))
        kt_dump_log(&env);
    struct atsim_sent s[4];
    cr_assert_eq(atsim_read_sent(simdir, s, 4), 1, "one SMS handed to the modem");
    cr_expect_str_eq(s[0].to, "+6281234567890");
    cr_expect_str_eq(s[0].coding, "gsm7");
    cr_expect_eq(s[0].total, -1, "a single SMS");
    cr_assert(kt_wait(&env, 10, kt_sent_at_least, &one));
    struct kt_sent k[2];
    cr_assert_eq(kt_sent(&env, k, 2), 1);
    cr_expect_str_eq(k[0].outcome, "sent");
    cr_expect_str_eq(s[0].text, k[0].text, "the modem got exactly the recorded text");
    char mr[16];
    snprintf(mr, sizeof(mr), "%d", s[0].mr);
    cr_expect_str_eq(k[0].mr, mr, "message reference recorded");
    /* deleted from the SIM once stored, after its reply went to the modem */
    cr_expect(kt_wait(&env, 10, sim_count_zero, NULL), "deleted from the SIM after it was stored");
}

Test(at, long_replies_go_as_numbered_parts_with_a_fresh_reference_each)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    char text[401];
    for (int i = 0; i < 400; i++)
        text[i] = (char)('a' + i % 26);
    text[400] = '\0';
    queue_reply("6281200000001", text);
    queue_reply("6281200000002", text);
    int six = 6;
    if (!kt_wait(&env, 60, sim_sent_at_least, &six))
        kt_dump_log(&env);
    struct atsim_sent s[8];
    cr_assert_eq(atsim_read_sent(simdir, s, 8), 6, "two messages of three parts");
    for (int m = 0; m < 2; m++) {
        char joined[512] = "";
        for (int p = 0; p < 3; p++) {
            struct atsim_sent *x = &s[m * 3 + p];
            cr_expect_eq(x->total, 3);
            cr_expect_eq(x->part, p + 1, "parts in order");
            cr_expect_eq(x->ref, s[m * 3].ref, "one reference per message");
            strncat(joined, x->text, sizeof(joined) - strlen(joined) - 1);
        }
        cr_expect_str_eq(joined, text, "parts join to the original");
    }
    cr_expect_neq(s[0].ref, s[3].ref, "a fresh reference for the second message");
    cr_expect_str_eq(s[0].to, "+6281200000001");
    cr_expect_str_eq(s[3].to, "+6281200000002");
}

Test(at, ucs2_reply_keeps_emoji)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    queue_reply("6281200000003", "Terima kasih 🙏 — kami tindak lanjuti");
    int one = 1;
    cr_assert(kt_wait(&env, 30, sim_sent_at_least, &one));
    struct atsim_sent s[2];
    cr_assert_eq(atsim_read_sent(simdir, s, 2), 1);
    cr_expect_str_eq(s[0].coding, "ucs2");
    cr_expect_str_eq(s[0].text, "Terima kasih 🙏 — kami tindak lanjuti");
}

Test(at, cms_500_is_retried_then_recorded_failed)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    cr_assert_eq(atsim_fail_sends(simdir, 500, 3), 0);
    queue_reply("6281200000004", "Jadwal posyandu besok pagi.");
    int one = 1;
    if (!kt_wait(&env, 90, kt_sent_at_least, &one))
        kt_dump_log(&env);
    struct kt_sent k[2];
    cr_assert_eq(kt_sent(&env, k, 2), 1);
    cr_expect_str_eq(k[0].outcome, "failed");
    cr_expect_str_eq(k[0].reason, "cms_error");
    cr_expect_eq(atsim_read_sent(simdir, NULL, 0), 0, "nothing reached the network");
    redisReply *r = kt_redis(&env, "XREVRANGE kt:sent + - COUNT 1");
    cr_assert(r && r->elements == 1);
    redisReply *f = r->element[0]->element[1];
    const char *cms = "", *attempts = "";
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        if (!strcmp(f->element[i]->str, "cms"))
            cms = f->element[i + 1]->str;
        if (!strcmp(f->element[i]->str, "attempts"))
            attempts = f->element[i + 1]->str;
    }
    cr_expect_str_eq(cms, "500");
    cr_expect_str_eq(attempts, "3");
    freeReplyObject(r);
}

Test(at, a_failing_message_does_not_block_the_next)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    cr_assert_eq(atsim_fail_sends(simdir, 500, 1), 0);
    queue_reply("6281200000005", "pertama");
    queue_reply("6281200000006", "kedua");
    int two = 2;
    if (!kt_wait(&env, 60, sim_sent_at_least, &two))
        kt_dump_log(&env);
    struct atsim_sent s[4];
    cr_assert_eq(atsim_read_sent(simdir, s, 4), 2, "both delivered in the end");
    cr_expect_str_eq(s[0].to, "+6281200000006", "the second went ahead of the retry");
    cr_expect_str_eq(s[1].to, "+6281200000005", "the first went on its retry");
}

Test(at, two_part_message_over_pdus_arrives_whole)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    cr_assert_eq(
        atsim_deliver(simdir, "+6281200000007", "dan drainase mampet.", "0500034B0202", NULL), 0);
    cr_assert_eq(
        atsim_deliver(simdir, "+6281200000007", "LAPOR jalan rusak ", "0500034B0201", NULL), 0);
    int one = 1;
    cr_assert(kt_wait(&env, 30, sim_sent_at_least, &one), "answered");
    redisReply *r = kt_redis(&env, "XRANGE kt:in - +");
    cr_assert(r && r->elements == 1, "one inbound message");
    redisReply *f = r->element[0]->element[1];
    const char *text = "";
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        if (!strcmp(f->element[i]->str, "text"))
            text = f->element[i + 1]->str;
    cr_expect_str_eq(text, "LAPOR jalan rusak dan drainase mampet.");
    freeReplyObject(r);
}

static const char *in_field(redisReply *entry, const char *name)
{
    redisReply *f = entry->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        if (!strcmp(f->element[i]->str, name))
            return f->element[i + 1]->str;
    return "";
}

static int inbound_at_least(struct kt_env *e, void *arg)
{
    return kt_redis_int(e, "XLEN kt:in") >= *(int *)arg;
}

Test(at, gsm7_extension_characters_and_8bit_data_are_decoded_and_kept)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    cr_assert_eq(
        atsim_deliver(simdir, "+6281200000008", "info harga {20€} [a|b] ~ ^ \\", NULL, "gsm7"), 0);
    cr_assert_eq(atsim_deliver(simdir, "+6281200000009", "", NULL, "8bit"), 0);
    int two = 2;
    if (!kt_wait(&env, 30, inbound_at_least, &two))
        kt_dump_log(&env);
    redisReply *r = kt_redis(&env, "XRANGE kt:in - +");
    cr_assert(r && r->elements == 2);
    int checked = 0;
    for (size_t i = 0; i < r->elements; i++) {
        const char *coding = in_field(r->element[i], "coding");
        if (!strcmp(coding, "gsm7")) {
            cr_expect_str_eq(in_field(r->element[i], "text"), "info harga {20€} [a|b] ~ ^ \\");
            checked++;
        } else {
            cr_expect_str_eq(coding, "8bit");
            checked++;
        }
    }
    cr_expect_eq(checked, 2);
    freeReplyObject(r);
    int one = 1;
    cr_assert(kt_wait(&env, 20, sim_sent_at_least, &one), "the text message is answered");
    sleep(2);
    struct atsim_sent s[4];
    cr_assert_eq(atsim_read_sent(simdir, s, 4), 1, "the 8-bit message is not answered");
    cr_expect_str_eq(s[0].to, "+6281200000008");
}

static int worker_replaced(struct kt_env *e, void *arg)
{
    pid_t p = kt_worker_pid(e, "at1");
    return p > 0 && p != *(pid_t *)arg;
}

Test(at, hung_modem_worker_is_killed_restarted_and_sends_once, .timeout = 180)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    pid_t first = kt_worker_pid(&env, "at1");
    cr_assert_gt(first, 0);
    /* The modem stops answering anything, mid-send. */
    cr_assert_eq(atsim_fault(simdir, "hang", 1), 0);
    queue_reply("6281200000010", "Pengumuman: kerja bakti Minggu pagi.");
    /* hang_seconds is 10 in this suite's config; libgammu alone would wait longer. */
    if (!kt_wait(&env, 60, worker_replaced, &first))
        kt_dump_log(&env);
    cr_assert_eq(atsim_fault(simdir, "hang", 0), 0);
    int one = 1;
    if (!kt_wait(&env, 90, kt_sent_at_least, &one))
        kt_dump_log(&env);
    sleep(2);
    struct kt_sent k[4];
    cr_assert_eq(kt_sent(&env, k, 4), 1, "recorded once");
    cr_expect_str_eq(k[0].outcome, "sent");
    cr_expect_leq(atsim_read_sent(simdir, NULL, 0), 1, "never handed to the modem twice");
}

/* The same modem as a serial device: the simulator behind a pseudo-terminal,
 * configured as a USB modem would be (connection = at115200). */
static struct kt_env senv;
static char sdir[400];

static void serial_setup(void)
{
    cr_assert_eq(kt_env_init(&senv), 0);
    snprintf(sdir, sizeof(sdir), "%s/sim", senv.dir);
    cr_assert_eq(atsim_init_dir(sdir), 0);
    char path[128], modems[1024];
    cr_assert_gt(kt_pty_modem(&senv, sdir, path, sizeof(path)), 0, "pty modem");
    snprintf(modems, sizeof(modems),
             "[modem:usb]\nmodel = at\nconnection = at115200\ndevice = %s\n"
             "poll_seconds = 3600\nper_minute = 600\n",
             path);
    cr_assert_eq(kt_redis_start(&senv), 0);
    cr_assert_eq(kt_write_config(&senv, NULL, modems), 0);
    cr_assert_eq(kt_gateway_start(&senv), 0);
}

static void serial_teardown(void)
{
    kt_env_cleanup(&senv);
}

static int serial_answered(struct kt_env *e, void *arg)
{
    return atsim_read_sent(sdir, NULL, 0) >= 1;
}

Test(at, serial_device_works_like_proxyat, .init = serial_setup, .fini = serial_teardown)
{
    cr_assert_eq(atsim_deliver(sdir, "+6281200000011", "bantuan", NULL, NULL), 0);
    if (!kt_wait(&senv, 40, serial_answered, NULL))
        kt_dump_log(&senv);
    struct atsim_sent s[2];
    cr_assert_eq(atsim_read_sent(sdir, s, 2), 1);
    cr_expect_str_eq(s[0].to, "+6281200000011");
    cr_expect(strstr(s[0].text, "INFO") != NULL, "%s", s[0].text);
}
