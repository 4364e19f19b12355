/* Integration: what real modems do wrong, on the AT simulator behind
 * libgammu's proxyat — slow answers, +CMS ERROR 321/322 on a send, a full
 * SIM, +CMTI twice for one message, unsolicited lines inside answers, and a
 * modem that disappears and comes back. For each: every message is answered
 * exactly once and nothing is lost. (A hung modem and CMS 500 are in
 * test_at.c; a modem dying mid-broadcast in test_broadcast_at.c.) */
#include "tests/lib/atsim_ctl.h"
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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
        "poll_seconds = 5\nper_minute = 600\nper_day = 100000\nhang_seconds = 15\n", modems,
        sizeof(modems));
    if (rc == -2)
        cr_skip_test("AT simulator not built in %s", env.build);
    cr_assert_eq(rc, 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, "sender_per_minute = 100", modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = 150);

static int modem_up(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:at1 state");
    int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
    freeReplyObject(r);
    return up;
}

static int modem_not_up(struct kt_env *e, void *arg)
{
    return !modem_up(e, arg);
}

static int sent_at_least(struct kt_env *e, void *arg)
{
    return kt_sent(e, NULL, 0) >= *(int *)arg;
}

/* n residents each send "INFO"; returns after every one was answered (or
 * the bound passed), then checks: each answered exactly once, one inbound
 * message each, the simulator handed each answer once. */
static void residents_answered_once(int n, double seconds)
{
    for (int i = 0; i < n; i++) {
        char from[32];
        snprintf(from, sizeof(from), "+62812730%05d", i);
        cr_assert_eq(atsim_deliver(simdir, from, "INFO", NULL, NULL), 0);
    }
    if (!kt_wait(&env, seconds, sent_at_least, &n))
        kt_dump_log(&env);
    sleep(2); /* room for a double, if there were one */
    int missing = 0, doubled = 0;
    for (int i = 0; i < n; i++) {
        char to[32];
        snprintf(to, sizeof(to), "62812730%05d", i);
        int got = kt_sent_to(&env, to, NULL, 0);
        missing += got == 0;
        doubled += got > 1;
    }
    long long in = kt_redis_int(&env, "XLEN kt:in");
    int handed = atsim_read_sent(simdir, NULL, 0);
    printf("faults: %d residents, missing=%d doubled=%d inbound=%lld handed=%d\n", n, missing,
           doubled, in, handed);
    cr_expect_eq(missing, 0, "every resident answered");
    cr_expect_eq(doubled, 0, "nobody twice");
    cr_expect_eq(in, n, "each message read once");
    cr_expect_eq(handed, n, "each answer handed to the modem once");
}

Test(faults, slow_answers_still_get_every_message_through)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    cr_assert_eq(atsim_fault_value(simdir, "slow", 400), 0);
    residents_answered_once(4, 90);
}

Test(faults, a_full_sim_is_emptied_and_nothing_waits_forever)
{
    cr_assert_eq(atsim_fault_value(simdir, "storage_size", 2), 0);
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    residents_answered_once(8, 90);
    cr_expect(kt_wait(&env, 30, atsim_sim_empty, simdir), "read and deleted");
    cr_expect_eq(atsim_inbox_count(simdir), 0, "nothing left waiting for room");
}

Test(faults, cmti_twice_for_one_message_answers_it_once)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    cr_assert_eq(atsim_fault(simdir, "dup_cmti", 1), 0);
    residents_answered_once(5, 60);
}

Test(faults, unsolicited_lines_inside_answers_are_ignored)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    cr_assert_eq(atsim_fault(simdir, "noise", 1), 0);
    residents_answered_once(4, 60);
}

Test(faults, cms_321_and_322_on_a_send_are_recorded_failed_once_and_the_next_goes_out)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    const int codes[] = {321, 322};
    for (int c = 0; c < 2; c++) {
        cr_assert_eq(atsim_fail_sends(simdir, codes[c], 1), 0);
        char from[32];
        snprintf(from, sizeof(from), "+6281274000%03d", c);
        cr_assert_eq(atsim_deliver(simdir, from, "INFO", NULL, NULL), 0);
        int want = c + 1;
        cr_assert(kt_wait(&env, 60, sent_at_least, &want));
    }
    /* then two that go through */
    for (int c = 0; c < 2; c++) {
        char from[32];
        snprintf(from, sizeof(from), "+6281274001%03d", c);
        cr_assert_eq(atsim_deliver(simdir, from, "INFO", NULL, NULL), 0);
    }
    int want = 4;
    cr_assert(kt_wait(&env, 60, sent_at_least, &want));
    sleep(2);
    struct kt_sent s[8];
    int n = kt_sent(&env, s, 8), failed = 0, sent = 0;
    for (int i = 0; i < n && i < 8; i++) {
        if (strcmp(s[i].outcome, "failed") == 0) {
            failed++;
            cr_expect(strstr(s[i].reason, "cms") || atoi(s[i].reason) > 0 || s[i].reason[0],
                      "a reason: %s", s[i].reason);
        } else if (strcmp(s[i].outcome, "sent") == 0)
            sent++;
    }
    cr_expect_eq(n, 4, "one record per message");
    cr_expect_eq(failed, 2, "321 and 322 are not retried into a loop");
    cr_expect_eq(sent, 2, "the next messages are not blocked");
}

Test(faults, a_modem_that_disappears_and_comes_back_loses_nothing, .timeout = 180)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL));
    residents_answered_once(2, 60);
    /* the modem goes away: its process (the USB device, for a real one) dies */
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "pkill -KILL -f '[a]tsim --state %s'", simdir);
    cr_assert_eq(system(cmd), 0, "simulator killed");
    /* messages arrive at the SIM meanwhile (the network keeps them) */
    for (int i = 0; i < 3; i++) {
        char from[32];
        snprintf(from, sizeof(from), "+62812750%05d", i);
        cr_assert_eq(atsim_deliver(simdir, from, "INFO", NULL, NULL), 0);
    }
    int noticed = kt_wait(&env, 60, modem_not_up, NULL);
    cr_assert(kt_wait(&env, 90, modem_up, NULL), "back (noticed down: %d)", noticed);
    int want = 5;
    if (!kt_wait(&env, 90, sent_at_least, &want))
        kt_dump_log(&env);
    sleep(2);
    for (int i = 0; i < 3; i++) {
        char to[32];
        snprintf(to, sizeof(to), "62812750%05d", i);
        cr_expect_eq(kt_sent_to(&env, to, NULL, 0), 1, "%s answered once", to);
    }
    cr_expect_eq(kt_sent(&env, NULL, 0), 5);
}
