/* Integration: the daemon's command line and signals — config check,
 * reload all-or-nothing on SIGHUP, clean stop on SIGTERM, /healthz. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdlib.h>

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

TestSuite(daemon, .init = setup, .fini = teardown, .timeout = 90);

Test(daemon, check_mode_accepts_a_good_config_and_lists_every_problem_of_a_bad_one)
{
    char out[4096], args[600];
    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    snprintf(args, sizeof(args), "-t -c %s", env.config);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "configuration ok (1 modem,") != NULL, "%s", out);

    cr_assert_eq(kt_write_config(&env, "loglevel = chatty\nfrobnicate = yes",
                                 "[modem:usb]\nmodel = at\nconnection = at115200\n"
                                 "device = /dev/serial/by-id/no-such-modem\nper_day = 0\n"),
                 0);
    int rc = kt_run(&env, args, out, sizeof(out));
    cr_expect_neq(rc, 0);
    cr_expect(strstr(out, "loglevel") && strstr(out, "frobnicate: unknown key") &&
                  strstr(out, "no such device") && strstr(out, "per_day = '0'"),
              "%s", out);
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    /* loglevel appears twice in the file (harness default + override): both checked */
    cr_expect_geq(lines, 4, "one line per problem:\n%s", out);

    snprintf(args, sizeof(args), "-t -c %s/missing.ini", env.dir);
    cr_expect_neq(kt_run(&env, args, out, sizeof(out)), 0);
    cr_expect(strstr(out, "cannot open") != NULL, "%s", out);
    cr_expect_eq(kt_run(&env, "--no-such-flag", out, sizeof(out)), 2, "usage error: %s", out);
}

static int log_has(struct kt_env *e, void *arg)
{
    FILE *f = fopen(e->log, "r");
    char line[2048];
    int found = 0;
    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, (const char *)arg) != NULL;
    fclose(f);
    return found;
}

static int answered(struct kt_env *e, void *arg)
{
    return kt_sent_to(e, (const char *)arg, NULL, 0) > 0;
}

Test(daemon, sighup_applies_a_good_config_and_refuses_a_bad_one)
{
    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    cr_assert(kt_wait(&env, 20, log_has, "event=modem_state modem=dummy state=up"));

    /* A broken file: refused, the old configuration keeps working. */
    FILE *f = fopen(env.config, "a");
    fputs("[modem:bad]\nmodel = at\n", f);
    fclose(f);
    kill(env.gateway_pid, SIGHUP);
    cr_assert(kt_wait(&env, 10, log_has, "event=reload_refused"));
    cr_assert_eq(kt_dummy_deliver(&env, "081234560001", "INFO", NULL, 0), 0);
    cr_expect(kt_wait(&env, 20, answered, "6281234560001"), "still answering");

    /* A good file that adds a second modem: started without a restart. */
    char second[320], modems[1600];
    snprintf(second, sizeof(second), "%s/modem2", env.dir);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s/sms/1 %s/sms/2 %s/sms/3 %s/sms/4 %s/sms/5", second,
             second, second, second, second);
    cr_assert_eq(system(cmd), 0);
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\n[modem:second]\nmodel = dummy\nconnection = none\n"
             "device = %s\npoll_seconds = 1\n",
             env.modem_dir, second);
    cr_assert_eq(kt_write_config(&env, NULL, modems), 0);
    kill(env.gateway_pid, SIGHUP);
    cr_expect(kt_wait(&env, 10, log_has, "event=reloaded modems=2"));
    cr_expect(kt_wait(&env, 20, log_has, "event=modem_state modem=second state=up"));
    cr_expect_eq(kill(env.gateway_pid, 0), 0, "the gateway kept running");
}

Test(daemon, sigterm_with_messages_in_flight_exits_zero_and_loses_nothing)
{
    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    char from[32];
    for (int i = 0; i < 40; i++) {
        snprintf(from, sizeof(from), "0812345%05d", i);
        cr_assert_eq(kt_dummy_deliver(&env, from, "INFO", NULL, 0), 0);
    }
    cr_assert(kt_wait(&env, 20, log_has, "event=inbound"));
    cr_expect_eq(kt_gateway_stop(&env, SIGTERM), 0, "clean exit");
    int before = kt_sent(&env, NULL, 0);
    /* Start again: whatever was not answered before the stop is answered now. */
    cr_assert_eq(kt_gateway_start(&env), 0);
    int done = 0;
    for (int t = 0; t < 600 && done < 40; t++) {
        usleep(100000);
        done = kt_sent(&env, NULL, 0);
    }
    sleep(2);
    cr_expect_eq(kt_sent(&env, NULL, 0), 40, "answered once each (%d before the stop)", before);
    cr_expect(kt_wait(&env, 30, kt_dummy_inbox_empty, NULL), "SIM inbox emptied");
}

Test(daemon, healthz_answers_json)
{
    int port = kt_free_port();
    cr_assert_gt(port, 0);
    char extra[64];
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d", port);
    cr_assert_eq(kt_write_config(&env, extra, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    cr_assert(kt_wait(&env, 20, log_has, "event=redis_ready redis"));
    char out[2048] = "";
    int code = -1;
    for (int i = 0; i < 50 && code != 200; i++) {
        usleep(100000);
        code = kt_http(port, "GET", "/healthz", NULL, out, sizeof(out));
    }
    cr_expect_eq(code, 200, "%s", out);
    cr_expect(strstr(out, "\"status\":\"ok\"") != NULL, "%s", out);
    cr_expect(strstr(out, "\"redis\":true") != NULL, "%s", out);
    cr_expect(strstr(out, "application/json") != NULL, "%s", out);
    cr_expect_eq(kt_http(port, "GET", "/nope", NULL, out, sizeof(out)), 404);
    cr_expect(strstr(out, "not found") != NULL, "%s", out);
    cr_expect_eq(kt_http(port, "POST", "/healthz", "x=1", out, sizeof(out)), 405, "%s", out);
}

static int worker_replaced(struct kt_env *e, void *arg)
{
    pid_t p = kt_worker_pid(e, "dummy");
    redisReply *r = kt_redis(e, "HGET kt:modem:dummy state");
    int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
    freeReplyObject(r);
    return up && p > 0 && p != *(pid_t *)arg;
}

Test(daemon, a_restarted_worker_runs_the_validated_config_not_an_unreviewed_edit)
{
    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    cr_assert(kt_wait(&env, 20, log_has, "event=modem_state modem=dummy state=up"));
    pid_t first = kt_worker_pid(&env, "dummy");
    cr_assert_gt(first, 0);
    /* Someone breaks the file on disk and no one sends SIGHUP; then the
     * worker crashes. Its replacement must still start. */
    FILE *f = fopen(env.config, "w");
    fputs("[gateway]\nthis is not a config\n", f);
    fclose(f);
    cr_assert_eq(kill(first, SIGKILL), 0);
    cr_expect(kt_wait(&env, 30, worker_replaced, &first), "worker back up");
    cr_assert_eq(kt_dummy_deliver(&env, "081234560002", "INFO", NULL, 0), 0);
    cr_expect(kt_wait(&env, 20, answered, "6281234560002"));
}

static void three_setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    char modems[2048] = "";
    for (int i = 1; i <= 3; i++) {
        char dir[400];
        snprintf(dir, sizeof(dir), "%s/modem%d", env.dir, i);
        cr_assert_eq(mkdir(dir, 0700), 0);
        size_t used = strlen(modems);
        snprintf(modems + used, sizeof(modems) - used,
                 "[modem:m%d]\nmodel = dummy\nconnection = none\ndevice = %s\n"
                 "poll_seconds = 1\nhang_seconds = 10\n",
                 i, dir);
    }
    cr_assert_eq(kt_write_config(&env, NULL, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

/* Each worker's heartbeat pipe stays its own: starting the next worker
 * must not close the previous one's (a fresh slot once closed fd 0, which
 * by then was the first worker's pipe, and healthy workers were killed as
 * hung every hang_seconds). */
Test(daemon, healthy_workers_are_never_taken_for_hung, .init = three_setup)
{
    pid_t first[4];
    sleep(2);
    for (int i = 1; i <= 3; i++) {
        char name[8];
        snprintf(name, sizeof(name), "m%d", i);
        first[i] = kt_worker_pid(&env, name);
        cr_assert_gt(first[i], 0, "worker %s up", name);
    }
    sleep(13); /* longer than hang_seconds */
    for (int i = 1; i <= 3; i++) {
        char name[8];
        snprintf(name, sizeof(name), "m%d", i);
        cr_expect_eq(kt_worker_pid(&env, name), first[i], "worker %s not restarted", name);
    }
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "grep -q worker_hung %s", env.log);
    cr_expect_neq(system(cmd), 0, "no worker_hung in the log");
}
