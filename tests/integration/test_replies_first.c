/* Integration: replies first. When +CMTI names a location, the worker reads that location alone
 * (AT+CMGR, no listing), stores the message, lets the reply go to the modem, and only then
 * deletes the message from the SIM; the simulator's transcript (DIR/atsim.log) shows the order.
 * A worker killed after the store and before the delete (the modem never answers the AT+CMGD)
 * leaves the message on the SIM: the next worker reads it again and does not answer it twice.
 * Receive relies on +CMTI here (poll_seconds is an hour): the only sweep is the one each worker
 * makes when it connects. */
#include "tests/lib/atsim_ctl.h"
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRANSCRIPT_MAX (1024 * 1024)

static struct kt_env env;
static char simdir[400];

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    snprintf(simdir, sizeof(simdir), "%s/sim1", env.dir);
    char modems[2048] = "";
    int rc = atsim_modem_section(
        env.build, simdir, "at1",
        "poll_seconds = 3600\nper_minute = 600\nper_day = 100000\nhang_seconds = 30\n", modems,
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

TestSuite(replies_first, .init = setup, .fini = teardown, .timeout = 150);

static int modem_up(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:at1 state");
    int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
    freeReplyObject(r);
    return up;
}

static int sim_empty(struct kt_env *e, void *arg)
{
    return atsim_sim_count(simdir) == 0 && atsim_inbox_count(simdir) == 0;
}

/* The simulator's transcript (malloc'd, NUL-terminated), or NULL. */
static char *transcript(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/atsim.log", simdir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = malloc(TRANSCRIPT_MAX + 1);
    size_t n = buf ? fread(buf, 1, TRANSCRIPT_MAX, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Where needle first occurs in the transcript at or after from; -1 when it does not. */
static long find_from(const char *log, long from, const char *needle)
{
    const char *p = strstr(log + from, needle);
    return p ? (long)(p - log) : -1;
}

/* For a failed test: the transcript on stderr. */
static void dump_transcript(void)
{
    char *log = transcript();
    fprintf(stderr, "---- %s/atsim.log\n%s----\n", simdir, log ? log : "(none)\n");
    free(log);
}

static int transcript_has(struct kt_env *e, void *needle)
{
    char *log = transcript();
    int found = log && strstr(log, needle) != NULL;
    free(log);
    return found;
}

Test(replies_first, the_reply_goes_to_the_modem_before_its_message_is_deleted)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL), "modem connected");
    /* The sweep each worker makes when it connects asks how full the SIM is first: once it has,
     * an empty SIM ends it, and the message below is read by +CMTI alone. */
    char asked[] = "> AT+CPMS=\"SM\",\"SM\"";
    cr_assert(kt_wait(&env, 30, transcript_has, asked), "the first sweep asked");
    cr_assert_eq(atsim_deliver(simdir, "+6281277700001", "INFO", NULL, NULL), 0);
    char out[512];
    if (kt_wait_sent_to(&env, "6281277700001", 1, 30, out, sizeof(out)) != 0)
        kt_dump_log(&env);
    cr_assert_eq(kt_sent_to(&env, "6281277700001", NULL, 0), 1, "answered");
    if (!kt_wait(&env, 30, sim_empty, NULL))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 1, sim_empty, NULL), "deleted from the SIM afterwards");
    char *log = transcript();
    cr_assert_not_null(log);
    /* '>' marks a command line the modem was given (without its CR). */
    long cmti = find_from(log, 0, "+CMTI: \"SM\",1");
    cr_assert_geq(cmti, 0, "the simulator announced location 1");
    long read = find_from(log, cmti, "> AT+CMGR=1\n");
    long send = find_from(log, cmti, "> AT+CMGS=");
    long del = find_from(log, cmti, "> AT+CMGD=1\n");
    cr_expect_geq(read, 0, "location 1 read alone");
    cr_expect_geq(send, 0, "the reply handed to the modem");
    cr_expect_geq(del, 0, "location 1 deleted");
    cr_expect_lt(read, send, "read before the reply");
    cr_expect_lt(send, del, "the reply's AT+CMGS before the AT+CMGD of its message");
    long list = find_from(log, cmti, "> AT+CMGL");
    cr_expect(list < 0 || list > send, "no listing of the SIM before the reply");
    long status = find_from(log, cmti, "> AT+CSQ");
    cr_expect(status < 0 || status > send, "no status refresh before the reply");
    if (!(read < send && send < del))
        dump_transcript();
    free(log);
}

Test(replies_first, a_message_stored_but_not_deleted_is_answered_once_after_a_worker_kill)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL), "modem connected");
    /* The modem never answers the delete of location 1: the worker is stopped right there,
     * after the store and the reply, before the delete, and killed. */
    cr_assert_eq(atsim_fault_value(simdir, "hang_cmgd", 1), 0);
    cr_assert_eq(atsim_deliver(simdir, "+6281277700002", "INFO", NULL, NULL), 0);
    char out[512];
    if (kt_wait_sent_to(&env, "6281277700002", 1, 30, out, sizeof(out)) != 0) {
        kt_dump_log(&env);
        dump_transcript();
    }
    cr_assert_eq(kt_sent_to(&env, "6281277700002", NULL, 0), 1, "answered");
    char hung[] = "hang_cmgd: AT+CMGD=1 not answered";
    if (!kt_wait(&env, 30, transcript_has, hung))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 1, transcript_has, hung), "the delete came, after the reply");
    cr_assert_eq(atsim_fault_value(simdir, "hang_cmgd", -1), 0);
    pid_t w = kt_worker_pid(&env, "at1");
    cr_assert_gt(w, 0);
    cr_assert_eq(kill(w, SIGKILL), 0);
    cr_expect_eq(atsim_sim_count(simdir), 1, "the message is still on the SIM");
    /* The next worker's first sweep reads location 1 again: kt_ingest knows it. Then a message
     * from another number: its reply is queued after any second reply to the first, so once it
     * is out, a second reply would have been handed to the modem before it. */
    cr_assert(kt_wait(&env, 60, sim_empty, NULL), "read again and deleted by the next worker");
    pid_t again = kt_worker_pid(&env, "at1");
    cr_expect(again > 0 && again != w, "a new worker took over");
    cr_assert_eq(atsim_deliver(simdir, "+6281277700003", "INFO", NULL, NULL), 0);
    if (kt_wait_sent_to(&env, "6281277700003", 1, 60, out, sizeof(out)) != 0)
        kt_dump_log(&env);
    cr_assert_eq(kt_sent_to(&env, "6281277700003", NULL, 0), 1, "the next message answered");
    cr_expect_eq(kt_sent_to(&env, "6281277700002", NULL, 0), 1, "answered once, not twice");
    struct atsim_sent s[8];
    int n = atsim_read_sent(simdir, s, 8), to_first = 0;
    for (int i = 0; i < n && i < 8; i++)
        to_first += strcmp(s[i].to, "+6281277700002") == 0;
    cr_expect_eq(to_first, 1, "one SMS to the first sender handed to the modem");
    char *log = NULL;
    size_t len = 0;
    FILE *f = fopen(env.log, "r");
    if (f) {
        log = malloc(TRANSCRIPT_MAX + 1);
        len = log ? fread(log, 1, TRANSCRIPT_MAX, f) : 0;
        fclose(f);
    }
    cr_assert_not_null(log);
    log[len] = '\0';
    cr_expect(strstr(log, "result=duplicate") != NULL, "the second read found it stored");
    free(log);
}
