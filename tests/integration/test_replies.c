/* Integration: a Redis reply of an unexpected shape is an error, never data.
 * The test replaces one function of the library with one that answers in the
 * wrong shape (as a Redis shared with an older or newer kentongan could), and
 * checks that the gateway and the worker log it, keep the message (pending
 * in the stream, or on the SIM), stay up, and answer it exactly once when the
 * right function is back. */
#include "gateway/store.h"
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESIDENT   "081234567890"
#define RESIDENT_N "6281234567890"

static struct kt_env env;

/* The worker is up: it has loaded the library too (each process does when it connects), so
 * a library the test loads after this is not replaced behind its back. */
static int worker_up(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:dummy state");
    int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
    freeReplyObject(r);
    return up;
}

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0, "temp dir");
    cr_assert_eq(kt_redis_start(&env), 0, "redis-server did not start");
    cr_assert_eq(kt_write_config(&env, "claim_idle = 1", NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    cr_assert_eq(kt_wait_functions(&env, 30), 0, "the gateway loaded its functions");
    cr_assert(kt_wait(&env, 30, worker_up, NULL),
              "the worker connected (and loaded its functions)");
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(replies, .init = setup, .fini = teardown, .timeout = 120);

/* The library with function name's body replaced by `body`. */
static char *library_with(const char *name, const char *body)
{
    char head[128];
    snprintf(head, sizeof(head), "redis.register_function('%s', function(k, a)\n", name);
    const char *start = strstr(store_library, head);
    const char *end = start ? strstr(start, "\nend)\n") : NULL;
    if (end == NULL)
        return NULL;
    end += strlen("\nend)\n");
    size_t len = strlen(store_library) + strlen(body) + 8;
    char *lib = malloc(len);
    snprintf(lib, len, "%.*s%s%s\nend)\n%s", (int)(start - store_library), store_library, head,
             body, end);
    return lib;
}

static int load_library(const char *lib)
{
    redisReply *r = kt_redis(&env, "FUNCTION LOAD REPLACE %s", lib);
    int ok = r && r->type == REDIS_REPLY_STRING;
    if (!ok)
        fprintf(stderr, "FUNCTION LOAD: %s\n", r && r->str ? r->str : "no answer");
    freeReplyObject(r);
    return ok ? 0 : -1;
}

static int log_holds(struct kt_env *e, void *needle)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "grep -q -- '%s' %s", (const char *)needle, e->log);
    return system(cmd) == 0;
}

static int answered(struct kt_env *e, void *arg)
{
    return kt_sent_to(e, RESIDENT_N, NULL, 0) >= 1;
}

static int none_pending(struct kt_env *e, void *arg)
{
    return kt_in_pending(e) == 0;
}

static int gateway_alive(void)
{
    return env.gateway_pid > 0 && kill(env.gateway_pid, 0) == 0 &&
           kt_worker_pid(&env, "dummy") > 0 && kill(kt_worker_pid(&env, "dummy"), 0) == 0;
}

Test(replies, router_keeps_a_message_whose_rate_check_answers_in_the_wrong_shape)
{
    /* kt_rate answers {count, in_menu} (two integers); this one, two strings. */
    char *bad = library_with("kt_rate", "  return {'many', 'no'}");
    cr_assert_not_null(bad);
    cr_assert_eq(load_library(bad), 0);
    free(bad);
    cr_assert_eq(kt_dummy_deliver(&env, RESIDENT, "INFO", NULL, 0), 0);
    cr_assert(kt_wait(&env, 30, log_holds, "event=rate_failed .*unexpected reply (array)"),
              "the router names the unexpected reply");
    cr_expect(gateway_alive(), "gateway and worker still up");
    cr_expect_eq(kt_sent_to(&env, RESIDENT_N, NULL, 0), 0, "nothing answered on a bad reading");
    cr_expect_geq(kt_in_pending(&env), 1, "the message stays pending");

    cr_assert_eq(load_library(store_library), 0);
    cr_assert(kt_wait(&env, 30, answered, NULL), "answered once the function is right again");
    /* Acknowledged: nothing of it can be read (and answered) again. */
    cr_expect(kt_wait(&env, 30, none_pending, NULL), "acknowledged");
    cr_expect_eq(kt_sent_to(&env, RESIDENT_N, NULL, 0), 1, "exactly once");
}

Test(replies, worker_keeps_on_the_sim_what_ingest_did_not_confirm)
{
    /* kt_ingest answers an integer (0 duplicate, 1 queued, 2 part stored). */
    char *bad = library_with("kt_ingest", "  return {1}");
    cr_assert_not_null(bad);
    cr_assert_eq(load_library(bad), 0);
    free(bad);
    cr_assert_eq(kt_dummy_deliver(&env, RESIDENT, "INFO", NULL, 0), 0);
    cr_assert(kt_wait(&env, 30, log_holds, "event=ingest_failed .*unexpected reply (array)"),
              "the worker names the unexpected reply");
    cr_expect(gateway_alive(), "gateway and worker still up");
    cr_expect_eq(kt_dummy_inbox_count(&env), 1, "not deleted from the SIM");
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:in"), 0);

    cr_assert_eq(load_library(store_library), 0);
    cr_assert(kt_wait(&env, 30, answered, NULL), "answered once the function is right again");
    cr_expect(kt_wait(&env, 30, kt_dummy_inbox_empty, NULL), "deleted once stored");
    cr_expect(kt_wait(&env, 30, none_pending, NULL), "acknowledged");
    cr_expect_eq(kt_sent_to(&env, RESIDENT_N, NULL, 0), 1, "exactly once");
}
