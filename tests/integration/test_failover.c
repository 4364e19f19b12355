/* Integration: replies waiting for a modem that is down move to a healthy
 * modem after failover_seconds. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static struct kt_env env;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    char modems[1024];
    /* Modem "broken" can never connect: its proxy command exits at once. */
    snprintf(modems, sizeof(modems),
             "[modem:broken]\nmodel = at\nconnection = proxyat\ndevice = /bin/false\n"
             "failover_seconds = 1\n"
             "[modem:good]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n",
             env.modem_dir);
    cr_assert_eq(kt_write_config(&env, NULL, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

static int broken_is_down(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:broken state");
    /* "connecting" (hung in libgammu) or "down": either way not up */
    int down = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") != 0;
    freeReplyObject(r);
    return down;
}

static int answered(struct kt_env *e, void *arg)
{
    return kt_sent_to(e, "6281299900001", NULL, 0) > 0;
}

TestSuite(failover, .init = setup, .fini = teardown, .timeout = 90);

Test(failover, reply_for_a_dead_modem_leaves_through_a_healthy_one)
{
    cr_assert(kt_wait(&env, 30, broken_is_down, NULL), "broken modem reported not up");
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long long expires = (long long)tv.tv_sec * 1000 + 120000;
    redisReply *r = kt_redis(&env,
                             "XADD kt:out:m:broken * to 6281299900001 text %s expires %lld "
                             "kind reply origin 1-1",
                             "Terima kasih, laporan Anda kami terima.", expires);
    cr_assert(r && r->type == REDIS_REPLY_STRING);
    freeReplyObject(r);
    if (!kt_wait(&env, 30, answered, NULL))
        kt_dump_log(&env);
    struct kt_sent s[2];
    cr_assert_eq(kt_sent_to(&env, "6281299900001", s, 2), 1);
    cr_expect_str_eq(s[0].modem, "good");
    cr_expect_str_eq(s[0].outcome, "sent");
    cr_expect_str_eq(s[0].text, "Terima kasih, laporan Anda kami terima.");
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:out:m:broken"), 0, "moved, not copied");
}
