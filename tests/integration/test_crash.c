/* Integration: nothing lost, nothing answered twice, when the gateway or a
 * worker is killed with SIGKILL in the middle of a run, or Redis restarts. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RUN 200

static struct kt_env env;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0, "redis-server did not start");
    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(crash, .init = setup, .fini = teardown, .timeout = 240);

static void number(int i, char *buf, size_t len)
{
    snprintf(buf, len, "0812%08d", 30000000 + i);
}

static void deliver_run(void)
{
    char from[32], text[32];
    for (int i = 0; i < RUN; i++) {
        number(i, from, sizeof(from));
        snprintf(text, sizeof(text), "info %d", i);
        cr_assert_eq(kt_dummy_deliver(&env, from, text, NULL, 0), 0);
    }
}

static int sent_at_least(struct kt_env *e, void *arg)
{
    return kt_sent(e, NULL, 0) >= *(int *)arg;
}

/* Every resident of the run answered exactly once, and nothing else sent. */
static void check_exactly_once(void)
{
    int all = RUN;
    if (!kt_wait(&env, 120, sent_at_least, &all))
        kt_dump_log(&env);
    sleep(3); /* a duplicate, were there one, would show up now */
    static struct kt_sent s[RUN * 2];
    int n = kt_sent(&env, s, RUN * 2);
    int count[RUN] = {0};
    for (int i = 0; i < n && i < RUN * 2; i++) {
        cr_expect_str_eq(s[i].outcome, "sent", "entry %d: %s (%s)", i, s[i].outcome, s[i].reason);
        int k = -1;
        if (sscanf(s[i].to, "62812%d", &k) == 1 && k >= 30000000 && k < 30000000 + RUN)
            count[k - 30000000]++;
    }
    int missing = 0, doubled = 0;
    for (int i = 0; i < RUN; i++) {
        missing += count[i] == 0;
        doubled += count[i] > 1;
    }
    fprintf(stderr, "crash: %d sends for %d residents, missing=%d doubled=%d\n", n, RUN, missing,
            doubled);
    cr_expect_eq(missing, 0, "%d residents never answered", missing);
    cr_expect_eq(doubled, 0, "%d residents answered twice", doubled);
    cr_expect_eq(n, RUN);
    cr_expect(kt_wait(&env, 30, kt_dummy_inbox_empty, NULL), "SIM inbox emptied");
}

Test(crash, gateway_killed_mid_run_loses_nothing_and_doubles_nothing)
{
    deliver_run();
    int some = 30;
    cr_assert(kt_wait(&env, 60, sent_at_least, &some), "run started");
    /* Only the gateway: its worker learns of it (parent death) and stops. */
    kill(env.gateway_pid, SIGKILL);
    cr_assert_eq(kt_gateway_stop(&env, SIGKILL), 128 + SIGKILL);
    int before = kt_sent(&env, NULL, 0);
    fprintf(stderr, "crash: gateway killed after %d sends\n", before);
    cr_expect_lt(before, RUN, "the kill landed mid-run");
    cr_assert_eq(kt_gateway_start(&env), 0);
    check_exactly_once();
}

Test(crash, worker_killed_mid_run_is_restarted_and_loses_nothing)
{
    deliver_run();
    int some = 30;
    cr_assert(kt_wait(&env, 60, sent_at_least, &some), "run started");
    pid_t w = kt_worker_pid(&env, "dummy");
    cr_assert_gt(w, 0, "worker pid recorded in kt:modem:dummy");
    cr_assert_eq(kill(w, SIGKILL), 0);
    fprintf(stderr, "crash: worker %d killed after %d sends\n", (int)w, kt_sent(&env, NULL, 0));
    check_exactly_once();
    pid_t again = kt_worker_pid(&env, "dummy");
    cr_expect(again > 0 && again != w, "a new worker took over (%d -> %d)", (int)w, (int)again);
}

static int answered(struct kt_env *e, void *arg)
{
    return kt_sent_to(e, (const char *)arg, NULL, 0) >= 1;
}

Test(crash, redis_restart_is_survived_and_caught_up)
{
    cr_assert_eq(kt_dummy_deliver(&env, "081277700001", "INFO", NULL, 0), 0);
    cr_assert(kt_wait(&env, 20, answered, "6281277700001"));
    /* its delete from the SIM follows its reply */
    cr_assert(kt_wait(&env, 20, kt_dummy_inbox_empty, NULL), "the first deleted once answered");
    kt_redis_kill(&env); /* gone, as in a crash */
    cr_assert_eq(kt_dummy_deliver(&env, "081277700002", "INFO", NULL, 0), 0);
    sleep(2);
    cr_expect_eq(kt_dummy_inbox_count(&env), 1, "kept on the SIM while Redis is away");
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_expect(kt_wait(&env, 60, answered, "6281277700002"), "answered once Redis is back");
    cr_expect_eq(kt_sent_to(&env, "6281277700002", NULL, 0), 1);
    cr_expect_eq(kt_sent_to(&env, "6281277700001", NULL, 0), 1, "old answer kept (AOF)");
    cr_expect_eq(kill(env.gateway_pid, 0), 0, "gateway still running");
}
