/* Integration, chaos: 1,000 residents text INFO and a broadcast goes to
 * 1,000 subscribers, over three modems (libgammu's dummy driver), while the
 * test kills -9 the gateway with its workers, kills -9 single workers, and
 * kills -9 and restarts Redis at moments drawn from a seed (printed, and
 * settable with KT_CHAOS_SEED to replay a run). At the end: every inbound
 * message answered exactly once, every subscriber reached exactly once,
 * nothing sent after its expiry. The test prints the counts it checked. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MODEMS      3
#define RESIDENTS   1000
#define SUBSCRIBERS 1000
#define BATCH       50

static struct kt_env env;
static char dirs[MODEMS][400];

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    char modems[4096] = "";
    for (int i = 0; i < MODEMS; i++) {
        snprintf(dirs[i], sizeof(dirs[i]), "%s/modem%d", env.dir, i + 1);
        char cmd[8192];
        snprintf(cmd, sizeof(cmd), "mkdir -p %s/sms/1 %s/sms/2 %s/sms/3 %s/sms/4 %s/sms/5", dirs[i],
                 dirs[i], dirs[i], dirs[i], dirs[i]);
        cr_assert_eq(system(cmd), 0);
        size_t used = strlen(modems);
        snprintf(modems + used, sizeof(modems) - used,
                 "[modem:m%d]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
                 "per_minute = 600\nper_day = 100000\nhang_seconds = 10\nfailover_seconds = 5\n",
                 i + 1, dirs[i]);
    }
    cr_assert_eq(
        kt_write_config(&env,
                        "sender_per_minute = 100\nquiet_hours =\nreply_ttl = 3600\n"
                        "reply_budget_per_minute = 100000", /* every resident is answered */
                        modems),
        0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(chaos, .init = setup, .fini = teardown, .timeout = 420);

static void deliver(int i)
{
    struct kt_env e = env; /* the same, with another modem's directory */
    snprintf(e.modem_dir, sizeof(e.modem_dir), "%s", dirs[i % MODEMS]);
    e.next_location = 1000 + i;
    char from[32];
    snprintf(from, sizeof(from), "081277%06d", i);
    cr_assert_eq(kt_dummy_deliver(&e, from, "INFO", NULL, 0), 0);
}

struct tally {
    int replies[RESIDENTS], bc[SUBSCRIBERS], late, other, records;
};

/* Reads kt:sent whole, in pages. */
static void tally(struct tally *t)
{
    memset(t, 0, sizeof(*t));
    char from[64] = "-";
    for (;;) {
        redisReply *r = kt_redis(&env, "XRANGE kt:sent %s + COUNT 1000", from);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
            freeReplyObject(r);
            break;
        }
        for (size_t i = 0; i < r->elements; i++) {
            redisReply *f = r->element[i]->element[1];
            const char *to = "", *outcome = "", *origin = "", *at = "0", *expires = "0";
            for (size_t k = 0; k + 1 < f->elements; k += 2) {
                const char *n = f->element[k]->str, *v = f->element[k + 1]->str;
                if (strcmp(n, "to") == 0)
                    to = v;
                else if (strcmp(n, "outcome") == 0)
                    outcome = v;
                else if (strcmp(n, "origin") == 0)
                    origin = v;
                else if (strcmp(n, "at") == 0)
                    at = v;
                else if (strcmp(n, "expires") == 0)
                    expires = v;
            }
            t->records++;
            if (strcmp(outcome, "sent") != 0) {
                t->other++;
                continue;
            }
            if (atoll(expires) > 0 && atoll(at) > atoll(expires))
                t->late++;
            if (strncmp(to, "6281277", 7) == 0 && strncmp(origin, "bc:", 3) != 0) {
                int n = atoi(to + 7);
                if (n >= 0 && n < RESIDENTS)
                    t->replies[n]++;
            } else if (strncmp(to, "6281276", 7) == 0 && strcmp(origin, "bc:1") == 0) {
                int n = atoi(to + 7);
                if (n >= 0 && n < SUBSCRIBERS)
                    t->bc[n]++;
            } else
                t->other++;
        }
        const char *last = r->element[r->elements - 1]->element[0]->str;
        snprintf(from, sizeof(from), "(%s", last);
        freeReplyObject(r);
    }
}

static int reached(const int *counts, int n, int *doubled)
{
    int got = 0;
    *doubled = 0;
    for (int i = 0; i < n; i++) {
        got += counts[i] > 0;
        *doubled += counts[i] > 1;
    }
    return got;
}

static void chaos(unsigned *seed, int step)
{
    int what = rand_r(seed) % 3;
    if (what == 0) {
        printf("chaos %d: kill -9 the gateway and its workers\n", step);
        kt_gateway_stop(&env, SIGKILL);
        cr_assert_eq(kt_gateway_start(&env), 0);
    } else if (what == 1) {
        char name[8];
        snprintf(name, sizeof(name), "m%d", 1 + rand_r(seed) % MODEMS);
        pid_t w = kt_worker_pid(&env, name);
        printf("chaos %d: kill -9 worker %s (pid %d)\n", step, name, (int)w);
        if (w > 0)
            kill(w, SIGKILL);
    } else {
        printf("chaos %d: kill -9 Redis, start it again\n", step);
        kt_redis_kill(&env);
        usleep(300000 + rand_r(seed) % 700000);
        cr_assert_eq(kt_redis_start(&env), 0);
    }
    usleep(200000 + rand_r(seed) % 800000);
}

Test(chaos, every_message_answered_once_every_subscriber_reached_once_under_kills)
{
    const char *s = getenv("KT_CHAOS_SEED");
    unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
    printf("chaos: seed %u (KT_CHAOS_SEED=%u replays it)\n", seed, seed);
    cr_assert(kt_wait_functions(&env, 30) == 0);
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char num[32];
        snprintf(num, sizeof(num), "6281276%06d", i);
        cr_assert_eq(kt_subscribe(&env, num, "kec:33.25.03"), 0);
    }
    long long recipients = 0;
    cr_assert_gt(kt_bc_create(&env, "kt:subs:kec:33.25.03",
                              "Kerja bakti Minggu pagi di balai desa. Balas BERHENTI utk berhenti.",
                              0, &recipients),
                 0);
    cr_assert_eq(recipients, SUBSCRIBERS);

    int step = 0;
    for (int i = 0; i < RESIDENTS; i++) {
        deliver(i);
        if ((i + 1) % BATCH == 0 && rand_r(&seed) % 3 == 0)
            chaos(&seed, ++step);
    }
    /* two more while the last of it drains */
    for (int k = 0; k < 2; k++) {
        sleep(3);
        chaos(&seed, ++step);
    }
    struct tally *t = calloc(1, sizeof(*t));
    int replies = 0, bc = 0, d1 = 0, d2 = 0;
    for (int i = 0; i < 360; i++) {
        tally(t);
        replies = reached(t->replies, RESIDENTS, &d1);
        bc = reached(t->bc, SUBSCRIBERS, &d2);
        if (replies == RESIDENTS && bc == SUBSCRIBERS)
            break;
        sleep(1);
    }
    sleep(3); /* a double would show by now */
    tally(t);
    replies = reached(t->replies, RESIDENTS, &d1);
    bc = reached(t->bc, SUBSCRIBERS, &d2);
    printf("chaos: %d chaos events; %d records on kt:sent; residents answered %d/%d "
           "(twice: %d); subscribers reached %d/%d (twice: %d); sent after expiry: %d; "
           "other outcomes: %d\n",
           step, t->records, replies, RESIDENTS, d1, bc, SUBSCRIBERS, d2, t->late, t->other);
    if (replies != RESIDENTS || bc != SUBSCRIBERS) {
        kt_dump_log(&env);
        /* where the broadcast stands, for whoever reads a failure */
        const char *probes[] = {"HGETALL kt:bc:1",
                                "LLEN kt:bc:1:todo",
                                "SMEMBERS kt:bc:active",
                                "XINFO GROUPS kt:out:bulk",
                                "XPENDING kt:out:bulk workers",
                                "HGETALL kt:modem:m1",
                                "HGETALL kt:modem:m2",
                                "HGETALL kt:modem:m3"};
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
            redisReply *p = kt_redis(&env, probes[i]);
            printf("%s:", probes[i]);
            for (size_t k = 0; p && p->type == REDIS_REPLY_ARRAY && k < p->elements; k++) {
                redisReply *x = p->element[k];
                if (x->type == REDIS_REPLY_STRING || x->type == REDIS_REPLY_STATUS)
                    printf(" %s", x->str);
                else if (x->type == REDIS_REPLY_INTEGER)
                    printf(" %lld", x->integer);
                else if (x->type == REDIS_REPLY_ARRAY) {
                    for (size_t j = 0; j < x->elements; j++) {
                        if (x->element[j]->type == REDIS_REPLY_STRING)
                            printf(" %s", x->element[j]->str);
                        else if (x->element[j]->type == REDIS_REPLY_INTEGER)
                            printf(" %lld", x->element[j]->integer);
                    }
                }
            }
            if (p && p->type == REDIS_REPLY_INTEGER)
                printf(" %lld", p->integer);
            printf("\n");
            freeReplyObject(p);
        }
    }
    cr_expect_eq(replies, RESIDENTS, "every inbound message answered");
    cr_expect_eq(d1, 0, "none twice");
    cr_expect_eq(bc, SUBSCRIBERS, "every subscriber reached");
    cr_expect_eq(d2, 0, "none twice");
    cr_expect_eq(t->late, 0, "nothing sent after its expiry");
    free(t);
}
