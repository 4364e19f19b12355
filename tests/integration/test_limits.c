/* Integration: per-SIM caps, expiry of stale replies, bad recipients. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static struct kt_env env;

static void start_with(int per_minute, int per_day, const char *gateway_extra)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    char modems[1024];
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = %d\nper_day = %d\n",
             env.modem_dir, per_minute, per_day);
    /* a SIM with a cap of 3 a minute: one number may use at most 1 of them */
    char gateway[512];
    snprintf(gateway, sizeof(gateway), "sender_per_minute = 1\n%s",
             gateway_extra ? gateway_extra : "");
    cr_assert_eq(kt_write_config(&env, gateway, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void start(int per_minute, int per_day)
{
    start_with(per_minute, per_day, NULL);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

static long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void queue(const char *to, const char *text, long long expires)
{
    redisReply *r = kt_redis(&env, "XADD kt:out:m:dummy * to %s text %s expires %lld kind reply",
                             to, text, expires);
    cr_assert(r && r->type == REDIS_REPLY_STRING);
    freeReplyObject(r);
}

static int sent_at_least(struct kt_env *e, void *arg)
{
    return kt_sent(e, NULL, 0) >= *(int *)arg;
}

TestSuite(limits, .fini = teardown, .timeout = 60);

Test(limits, per_minute_cap_holds_back_the_rest)
{
    start(3, 1000);
    char to[32];
    for (int i = 0; i < 5; i++) {
        snprintf(to, sizeof(to), "62812000010%02d", i);
        queue(to, "Info jadwal vaksinasi", now_ms() + 600000);
    }
    int three = 3;
    cr_assert(kt_wait(&env, 20, sent_at_least, &three));
    sleep(3); /* were the cap not enforced, the other two would be out by now */
    cr_expect_eq(kt_sent(&env, NULL, 0), 3, "three per minute, the rest wait");
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:out:m:dummy"), 5, "nothing dropped");
}

Test(limits, per_day_cap_counts_parts)
{
    start(600, 4);
    char text[400];
    memset(text, 'x', 300); /* two parts */
    text[300] = '\0';
    queue("6281200002001", text, now_ms() + 600000);
    queue("6281200002002", text, now_ms() + 600000);
    queue("6281200002003", "satu", now_ms() + 600000);
    int two = 2;
    cr_assert(kt_wait(&env, 20, sent_at_least, &two));
    sleep(3);
    struct kt_sent s[4];
    cr_expect_eq(kt_sent(&env, s, 4), 2, "4 parts a day: two 2-part messages, then none");
    cr_expect_eq(s[0].parts, 2);
}

Test(limits, stale_reply_is_expired_not_sent_and_bad_number_fails_alone)
{
    start(600, 1000);
    queue("6281200003001", "Rapat desa jam 9 pagi tadi", now_ms() - 1000);
    queue("12345", "tidak ada nomor ini", now_ms() + 600000);
    queue("6281200003002", "masih berlaku", now_ms() + 600000);
    int three = 3;
    if (!kt_wait(&env, 20, sent_at_least, &three))
        kt_dump_log(&env);
    struct kt_sent s[4];
    cr_assert_eq(kt_sent(&env, s, 4), 3);
    cr_expect_str_eq(s[0].outcome, "expired");
    cr_expect_str_eq(s[1].outcome, "failed");
    cr_expect_str_eq(s[1].reason, "bad_number");
    cr_expect_str_eq(s[2].outcome, "sent");
    redisReply *r = kt_redis(&env, "XPENDING kt:out:m:dummy workers");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1);
    cr_expect_eq(r->element[0]->integer, 0, "all three acknowledged");
    freeReplyObject(r);
}

static int lane_at_most(struct kt_env *e, void *arg)
{
    return kt_redis_int(e, "XLEN kt:out:m:dummy") <= *(int *)arg;
}

/* The lane does not keep every message ever sent: what the modem is done
 * with goes once lane_keep_seconds old; what waits for the cap stays. */
Test(limits, finished_messages_leave_the_lane_waiting_ones_stay)
{
    start_with(3, 1000, "lane_keep_seconds = 1");
    char to[32];
    for (int i = 0; i < 5; i++) {
        snprintf(to, sizeof(to), "62812000030%02d", i);
        queue(to, "Info jadwal posyandu", now_ms() + 600000);
    }
    int three = 3, two = 2;
    cr_assert(kt_wait(&env, 20, sent_at_least, &three));
    cr_assert(kt_wait(&env, 20, lane_at_most, &two), "the three sent are trimmed");
    sleep(6); /* another trim */
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:out:m:dummy"), 2, "the two waiting are kept");
    cr_expect_eq(kt_sent(&env, NULL, 0), 3, "kt:sent keeps the record of each sent");
}
