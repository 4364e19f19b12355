/* Integration: a broadcast over three simulated AT modems (tests/atsim behind
 * libgammu's proxyat), one of which stops answering half-way: every
 * recipient reached exactly once, no SIM over its daily cap, the dead
 * modem's share carried by the others. */
#include "tests/lib/atsim_ctl.h"
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MODEMS     3
#define RECIPIENTS 300
#define PER_DAY    200 /* a fifth kept for replies: 160 each for broadcasts */

static struct kt_env env;
static char simdir[MODEMS][400];

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    char modems[4096] = "", name[8], extra[256];
    snprintf(extra, sizeof(extra),
             "poll_seconds = 3600\nper_minute = 600\nper_day = %d\nhang_seconds = 10\n"
             "failover_seconds = 5\n",
             PER_DAY);
    for (int i = 0; i < MODEMS; i++) {
        snprintf(simdir[i], sizeof(simdir[i]), "%s/sim%d", env.dir, i + 1);
        snprintf(name, sizeof(name), "at%d", i + 1);
        int rc = atsim_modem_section(env.build, simdir[i], name, extra, modems, sizeof(modems));
        if (rc == -2)
            cr_skip_test("AT simulator not built in %s", env.build);
        cr_assert_eq(rc, 0);
    }
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, "quiet_hours =", modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(broadcast_at, .init = setup, .fini = teardown, .timeout = 240);

static int all_up(struct kt_env *e, void *arg)
{
    for (int i = 1; i <= MODEMS; i++) {
        redisReply *r = kt_redis(e, "HGET kt:modem:at%d state", i);
        int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
        freeReplyObject(r);
        if (!up)
            return 0;
    }
    return 1;
}

static long long bc_int(const char *field)
{
    return kt_redis_int(&env, "HGET kt:bc:1 %s", field);
}

static int sent_at_least(struct kt_env *e, void *arg)
{
    return bc_int("sent") >= *(long long *)arg;
}

static int finished(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:bc:1 status");
    int done = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "done") == 0;
    freeReplyObject(r);
    return done;
}

Test(broadcast_at, three_modems_one_dies_half_way_every_recipient_once_within_caps)
{
    cr_assert(kt_wait(&env, 60, all_up, NULL), "three modems up");
    for (int i = 0; i < RECIPIENTS; i++) {
        char num[32];
        snprintf(num, sizeof(num), "62812710%05d", i);
        cr_assert_eq(kt_subscribe(&env, num, "kec:33.25.03"), 0);
    }
    long long reached = 0;
    cr_assert_gt(kt_bc_create(&env, "kt:subs:kec:33.25.03",
                              "Vaksinasi gratis Sabtu di puskesmas. Balas BERHENTI utk berhenti.",
                              0, &reached),
                 0);
    cr_assert_eq(reached, RECIPIENTS);

    long long some = 60;
    cr_assert(kt_wait(&env, 60, sent_at_least, &some), "under way");
    /* at2 stops answering anything: its worker hangs, is killed, cannot reconnect */
    cr_assert_eq(atsim_fault(simdir[1], "hang", 1), 0);
    if (!kt_wait(&env, 150, finished, NULL))
        kt_dump_log(&env);
    cr_assert(finished(&env, NULL), "finished: sent %lld failed %lld queued %lld", bc_int("sent"),
              bc_int("failed"), bc_int("queued"));

    /* kt:sent: one "sent" per recipient; per modem within its cap */
    static struct kt_sent s[RECIPIENTS * 2];
    int n = kt_sent(&env, s, RECIPIENTS * 2);
    cr_assert_leq(n, RECIPIENTS * 2);
    static int got[RECIPIENTS];
    int per_modem[MODEMS + 1] = {0}, other = 0;
    memset(got, 0, sizeof(got));
    for (int i = 0; i < n; i++) {
        if (strcmp(s[i].origin, "bc:1") != 0 || strcmp(s[i].outcome, "sent") != 0) {
            other++;
            continue;
        }
        int who = atoi(s[i].to + 8);
        cr_assert(who >= 0 && who < RECIPIENTS, "%s", s[i].to);
        got[who]++;
        int m = atoi(s[i].modem + 2);
        if (m >= 1 && m <= MODEMS)
            per_modem[m]++;
    }
    int missing = 0, doubled = 0;
    for (int i = 0; i < RECIPIENTS; i++) {
        missing += got[i] == 0;
        doubled += got[i] > 1;
    }
    printf("broadcast_at: %d recipients, missing=%d doubled=%d other_outcomes=%d; per modem at1=%d "
           "at2=%d at3=%d\n",
           RECIPIENTS, missing, doubled, other, per_modem[1], per_modem[2], per_modem[3]);
    cr_expect_eq(missing, 0);
    cr_expect_eq(doubled, 0);
    cr_expect_gt(per_modem[2], 0, "the dead modem had taken some before");
    for (int m = 1; m <= MODEMS; m++)
        cr_expect_leq(per_modem[m], PER_DAY - PER_DAY / 5, "at%d within its cap for broadcasts", m);
    /* what the modems were handed: nobody twice, across all three SIMs */
    static int handed[RECIPIENTS];
    memset(handed, 0, sizeof(handed));
    static struct atsim_sent a[RECIPIENTS];
    int twice = 0, total = 0;
    for (int m = 0; m < MODEMS; m++) {
        int k = atsim_read_sent(simdir[m], a, RECIPIENTS);
        for (int i = 0; i < k && i < RECIPIENTS; i++) {
            int who = atoi(a[i].to + strlen(a[i].to) - 5);
            if (who >= 0 && who < RECIPIENTS && handed[who]++ > 0)
                twice++;
            total++;
        }
    }
    printf("broadcast_at: handed to modems %d, twice %d\n", total, twice);
    cr_expect_eq(twice, 0, "no SIM was handed a recipient another already had");
    cr_expect_geq(total, RECIPIENTS - 1, "at most the one in flight at the hang unconfirmed");
}
