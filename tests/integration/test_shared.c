/* Integration: gateways sharing one Redis share the work, answer every
 * message once, and take over what a dead gateway left pending. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static struct kt_env env;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(shared, .init = setup, .fini = teardown, .timeout = 120);

static int sent_at_least(struct kt_env *e, void *arg)
{
    return kt_sent(e, NULL, 0) >= *(int *)arg;
}

/* Writes a second config like e->config but with another consumer name. */
static void second_config(char *path, size_t len, const char *name)
{
    snprintf(path, len, "%s/%s.ini", env.dir, name);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "sed 's/^name = test$/name = %s/' %s > %s", name, env.config, path);
    cr_assert_eq(system(cmd), 0);
}

Test(shared, two_gateways_on_one_redis_answer_each_message_once)
{
    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    char other[400], log2[400];
    second_config(other, sizeof(other), "second");
    snprintf(log2, sizeof(log2), "%s/second.log", env.dir);
    cr_assert_eq(kt_gateway_start(&env), 0);
    pid_t second = kt_spawn_gateway(&env, other, log2);
    cr_assert_gt(second, 0);
    char from[32];
    for (int i = 0; i < 100; i++) {
        snprintf(from, sizeof(from), "0812%08d", 41000000 + i);
        cr_assert_eq(kt_dummy_deliver(&env, from, "INFO", NULL, 0), 0);
    }
    int all = 100;
    if (!kt_wait(&env, 60, sent_at_least, &all))
        kt_dump_log(&env);
    sleep(2);
    static struct kt_sent s[200];
    int n = kt_sent(&env, s, 200);
    cr_expect_eq(n, 100, "each message answered once (got %d sends)", n);
    int seen[100] = {0};
    for (int i = 0; i < n && i < 200; i++) {
        int k;
        if (sscanf(s[i].to, "62812%d", &k) == 1 && k >= 41000000 && k < 41000100)
            seen[k - 41000000]++;
    }
    for (int i = 0; i < 100; i++)
        cr_expect_eq(seen[i], 1, "resident %d answered %d times", i, seen[i]);
    /* Both gateways joined the consumer group. */
    redisReply *r = kt_redis(&env, "XINFO CONSUMERS kt:in router");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY);
    cr_expect_eq(r->elements, 2, "two consumers");
    freeReplyObject(r);
    cr_expect_eq(kt_stop_pid(second, SIGTERM), 0);
}

Test(shared, messages_left_pending_by_a_dead_gateway_are_claimed)
{
    cr_assert_eq(kt_write_config(&env, "claim_idle = 2", NULL), 0);
    /* A gateway called "ghost" read this message and died before answering. */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    redisReply *r = kt_redis(&env, "XGROUP CREATE kt:in router 0 MKSTREAM");
    freeReplyObject(r);
    r = kt_redis(&env,
                 "XADD kt:in * modem dummy from +6281255500001 coding gsm7 smsc_time x text INFO "
                 "data %s parts 1 incomplete 0 received %lld",
                 "", (long long)tv.tv_sec * 1000);
    freeReplyObject(r);
    r = kt_redis(&env, "XREADGROUP GROUP router ghost COUNT 10 STREAMS kt:in >");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY, "ghost read it");
    freeReplyObject(r);
    cr_assert_eq(kt_in_pending(&env), 1);
    cr_assert_eq(kt_gateway_start(&env), 0);
    int one = 1;
    if (!kt_wait(&env, 30, sent_at_least, &one))
        kt_dump_log(&env);
    struct kt_sent s[2];
    cr_assert_eq(kt_sent(&env, s, 2), 1);
    cr_expect_str_eq(s[0].to, "6281255500001");
    cr_expect_eq(kt_in_pending(&env), 0);
}

static int dead_count(struct kt_env *e, void *arg)
{
    return kt_redis_int(e, "XLEN kt:dead") >= 1;
}

Test(shared, a_message_that_keeps_failing_is_parked_on_the_dead_letter_stream)
{
    cr_assert_eq(kt_write_config(&env, "claim_idle = 2", NULL), 0);
    redisReply *r = kt_redis(&env, "XGROUP CREATE kt:in router 0 MKSTREAM");
    freeReplyObject(r);
    r = kt_redis(&env, "XADD kt:in * modem dummy from +6281255500002 coding gsm7 smsc_time x "
                       "text INFO data x parts 1 incomplete 0 received 0");
    cr_assert(r && r->type == REDIS_REPLY_STRING);
    char id[64];
    snprintf(id, sizeof(id), "%s", r->str);
    freeReplyObject(r);
    /* read 12 times by consumers that never finished it */
    freeReplyObject(kt_redis(&env, "XREADGROUP GROUP router ghost STREAMS kt:in >"));
    for (int i = 0; i < 11; i++)
        freeReplyObject(kt_redis(&env, "XREADGROUP GROUP router ghost STREAMS kt:in 0"));
    cr_assert_eq(kt_gateway_start(&env), 0);
    if (!kt_wait(&env, 30, dead_count, NULL))
        kt_dump_log(&env);
    r = kt_redis(&env, "XRANGE kt:dead - +");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "parked once");
    redisReply *f = r->element[0]->element[1];
    int found = 0;
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        found |= !strcmp(f->element[i]->str, "id") && !strcmp(f->element[i + 1]->str, id);
    cr_expect(found, "the dead-letter entry names the message");
    freeReplyObject(r);
    cr_expect_eq(kt_in_pending(&env), 0, "acknowledged, not retried forever");
    sleep(2);
    cr_expect_eq(kt_sent(&env, NULL, 0), 0, "not answered");
}
