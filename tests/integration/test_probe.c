/* Integration: the installer's probe (POST /api/modems/NAME/probe, kentongan-ctl modem probe)
 * against the real gateway, a real Redis, and either the AT modem simulator behind libgammu's
 * proxyat connection or libgammu's dummy driver.
 *
 *   - a healthy simulated modem: identity, the IMEI masked to its last 4 digits, the operator
 *     from the IMSI (never the IMSI), signal, registration, SMSC, storages, and the test SMS
 *     sent to the SIM's own number coming back (the simulator loops it); every check passes;
 *     the test SMS is never stored for the router, never answered, and leaves the SIM;
 *   - a network that swallows the test SMS: that check fails with advice, within the bound,
 *     while a slow probe outlasts the HTTP idle timeout; the message arriving late is still
 *     recognised by its token and never answered;
 *   - a network that refuses the test SMS (+CMS ERROR 500): said so, with what to check;
 *   - the dummy driver: the report is what libgammu's dummy answers, and a test SMS dropped
 *     into its inbox (as a network would deliver it) is recognised;
 *   - an unknown modem 404, a staff token 403, a bad number 400, no own number: skipped;
 *   - kentongan-ctl modem probe prints the report and exits 0, or 4 when a check failed.
 * Waits are bounded and nothing asserts on time. */
#include "tests/lib/atsim_ctl.h"
#include "tests/lib/harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_ADMIN "probe-admin-1"
#define T_STAFF "probe-staff-2"
#define OWN     "6281299990001" /* the simulator's own number (tests/atsim/atsim.c OWN_NUMBER) */

static struct kt_env env;
static char simdir[400];
static int port;

static void sha256_hex(const char *token, char *out)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "printf %%s '%s' | sha256sum", token);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    cr_assert(fgets(out, 65, p) != NULL);
    out[64] = '\0';
    pclose(p);
}

struct resp {
    int status;
    char body[16384];
    json_t *json;
};

static void resp_free(struct resp *r)
{
    json_decref(r->json);
    r->json = NULL;
}

/* One request; a read timeout long enough for a probe. No Criterion here (runs in a thread). */
static int http_once(const char *method, const char *path, const char *token, const char *body,
                     struct resp *r)
{
    memset(r, 0, sizeof(*r));
    r->status = -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {150, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char head[1024], auth[128] = "";
    if (token)
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token);
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n"
                     "Content-Type: application/json\r\n%s\r\n",
                     method, path, blen, auth);
    if (write(fd, head, (size_t)n) != n || (blen && write(fd, body, blen) != (ssize_t)blen)) {
        close(fd);
        return -1;
    }
    char buf[sizeof(r->body) + 2048];
    size_t got = 0;
    ssize_t k;
    while (got + 1 < sizeof(buf) && (k = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)k;
    buf[got] = '\0';
    close(fd);
    if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
        return -1;
    char *sep = strstr(buf, "\r\n\r\n");
    snprintf(r->body, sizeof(r->body), "%s", sep ? sep + 4 : "");
    r->json = json_loads(r->body, 0, NULL);
    return r->status;
}

/* Retries while the gateway starts listening. */
static int api(const char *method, const char *path, const char *token, const char *body,
               struct resp *r)
{
    for (int i = 0; i < 100; i++) {
        if (http_once(method, path, token, body, r) > 0)
            return r->status;
        resp_free(r);
        usleep(100000);
    }
    return -1;
}

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The check named name in a report, or NULL. */
static json_t *check_of(json_t *report, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(report, "checks"), i, c)
    {
        if (strcmp(jstr(c, "check"), name) == 0)
            return c;
    }
    return NULL;
}

static int ctl(const char *token, const char *args, char *out, size_t outlen, char *err,
               size_t errlen)
{
    char errpath[400], cmd[2048];
    snprintf(errpath, sizeof(errpath), "%s/ctl.err", env.dir);
    snprintf(cmd, sizeof(cmd),
             "env -u KENTONGAN_URL -u KENTONGAN_TOKEN HOME=%s KENTONGAN_URL=http://127.0.0.1:%d "
             "KENTONGAN_TOKEN=%s %s/kentongan-ctl %s 2>%s",
             env.dir, port, token, env.build, args, errpath);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    FILE *f = fopen(errpath, "r");
    n = f ? fread(err, 1, errlen - 1, f) : 0;
    err[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int modem_up(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:%s state", (const char *)arg);
    int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
    freeReplyObject(r);
    return up;
}

/* Starts the gateway with one modem: the simulator (dummy = 0) or the dummy driver, with
 * extra keys in its section and extra gateway keys. */
static void start(int dummy, const char *modem_extra, const char *gateway_extra)
{
    cr_assert_eq(kt_env_init(&env), 0);
    signal(SIGPIPE, SIG_IGN);
    char device[1024], modems[8192], extra[512], h_admin[65], h_staff[65];
    if (dummy) {
        snprintf(device, sizeof(device), "%s", env.modem_dir);
    } else {
        snprintf(simdir, sizeof(simdir), "%s/sim1", env.dir);
        cr_assert_eq(atsim_init_dir(simdir), 0);
        char atsim[400];
        snprintf(atsim, sizeof(atsim), "%s/atsim", env.build);
        if (access(atsim, X_OK) != 0)
            cr_skip_test("AT simulator not built: %s", atsim);
        cr_assert_eq(atsim_device(atsim, simdir, device, sizeof(device)), 0);
    }
    sha256_hex(T_ADMIN, h_admin);
    sha256_hex(T_STAFF, h_staff);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nquiet_hours =\n%s", port, gateway_extra);
    snprintf(modems, sizeof(modems),
             "[modem:sim1]\nmodel = %s\nconnection = %s\ndevice = %s\n"
             "poll_seconds = %s\nper_minute = 600\nper_day = 100000\nhang_seconds = 30\n%s"
             "[token:ops]\nsha256 = %s\nrole = admin\n"
             "[token:desk]\nsha256 = %s\nrole = staff\n",
             dummy ? "dummy" : "at", dummy ? "none" : "proxyat", device, dummy ? "1" : "3600",
             modem_extra, h_admin, h_staff);
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    if (!kt_wait(&env, 30, modem_up, "sim1"))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 30, modem_up, "sim1"), "modem up");
}

/* Messages the simulated modem was asked to send to the own number. */
static int sent_to_own(void)
{
    static struct atsim_sent sent[64];
    int n = atsim_read_sent(simdir, sent, 64), count = 0;
    for (int i = 0; i < n && i < 64; i++)
        count += strcmp(sent[i].to, "+" OWN) == 0 || strcmp(sent[i].to, OWN) == 0;
    return count;
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(probe, .fini = teardown, .timeout = 240);

static void probe(const char *token, const char *body, struct resp *r)
{
    api("POST", "/api/modems/sim1/probe", token, body ? body : "{}", r);
}

/* The report names no identifier whole. */
static void expect_no_identifiers(const char *body)
{
    cr_expect_null(strstr(body, "356938035643809"), "the IMEI is never whole: %s", body);
    cr_expect_null(strstr(body, "510101234567890"), "the IMSI is never shown: %s", body);
    cr_expect_null(strstr(body, OWN), "the own number is masked: %s", body);
}

Test(probe, healthy_simulated_modem_passes_every_check)
{
    start(0, "own_number = 0812-9999-0001\nprobe_timeout_seconds = 60\n", "");
    struct resp r;
    probe(T_ADMIN, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *j = r.json;
    cr_assert_not_null(j);
    cr_expect_str_eq(jstr(j, "modem"), "sim1");
    cr_expect_str_eq(jstr(j, "manufacturer"), "Kentongan");
    cr_expect_str_eq(jstr(j, "model"), "ATSIM-1");
    cr_expect_str_eq(jstr(j, "firmware"), "1.0.0");
    cr_expect_str_eq(jstr(j, "imei"), "***********3809");
    json_t *sim = json_object_get(j, "sim");
    cr_expect(json_is_true(json_object_get(sim, "present")));
    cr_expect_str_eq(jstr(sim, "mcc"), "510");
    cr_expect_str_eq(jstr(sim, "mnc"), "10");
    cr_expect(strcasestr(jstr(sim, "operator"), "telkomsel") != NULL, "%s", r.body);
    cr_expect_gt(json_integer_value(json_object_get(json_object_get(j, "signal"), "percent")), 0);
    cr_expect_str_eq(jstr(json_object_get(j, "network"), "registration"), "home");
    cr_expect_str_eq(jstr(json_object_get(j, "smsc"), "sim"), "+62811000000");
    json_t *sm = json_array_get(json_object_get(j, "storage"), 0);
    cr_expect_str_eq(jstr(sm, "name"), "SM");
    cr_expect_eq(json_integer_value(json_object_get(sm, "size")), 20);
    json_t *t = json_object_get(j, "test_sms");
    cr_expect(json_is_true(json_object_get(t, "sent")), "%s", r.body);
    cr_expect(json_is_true(json_object_get(t, "received")), "%s", r.body);
    static const char *const names[] = {"identity", "sim",     "signal",  "network",
                                        "smsc",     "storage", "test_sms"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *c = check_of(j, names[i]);
        cr_expect_not_null(c, "check %s reported", names[i]);
        cr_expect_str_eq(jstr(c, "status"), "pass", "%s: %s", names[i], jstr(c, "detail"));
    }
    cr_expect_str_eq(jstr(j, "verdict"), "pass");
    expect_no_identifiers(r.body);
    /* The test SMS went to the SIM's own number, came back, and was never the router's. */
    cr_expect_eq(sent_to_own(), 1, "one test SMS to the own number");
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:in"), 0, "the test SMS never reached the router");
    cr_expect(kt_wait(&env, 30, atsim_sim_empty, simdir), "and it left the SIM");
    resp_free(&r);
}

static int token_received(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "GET kt:probe:sim1:%s", (const char *)arg);
    int ok = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "received") == 0;
    freeReplyObject(r);
    return ok;
}

Test(probe, test_sms_not_delivered_fails_within_the_bound_and_a_late_one_is_never_answered)
{
    /* http_idle_timeout 2: a probe waits longer than that, and is still answered */
    start(0, "own_number = 081299990001\nprobe_timeout_seconds = 8\n", "http_idle_timeout = 2\n");
    cr_assert_eq(atsim_fault(simdir, "no_loopback", 1), 0);
    struct resp r;
    probe(T_ADMIN, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *j = r.json;
    json_t *t = json_object_get(j, "test_sms");
    cr_expect(json_is_true(json_object_get(t, "sent")), "%s", r.body);
    cr_expect(json_is_false(json_object_get(t, "received")), "%s", r.body);
    json_t *c = check_of(j, "test_sms");
    cr_assert_not_null(c);
    cr_expect_str_eq(jstr(c, "status"), "fail");
    cr_expect(strstr(jstr(c, "detail"), "not received back within 8 s") != NULL, "%s",
              jstr(c, "detail"));
    cr_expect(strstr(jstr(c, "advice"), "own_number") != NULL, "%s", jstr(c, "advice"));
    cr_expect_str_eq(jstr(check_of(j, "network"), "status"), "pass");
    cr_expect_str_eq(jstr(j, "verdict"), "fail");
    cr_expect(strstr(jstr(j, "summary"), "test_sms") != NULL, "%s", jstr(j, "summary"));
    expect_no_identifiers(r.body);
    /* The network delivers it after all, late: recognised by its token, never answered. */
    char token[16], text[128];
    snprintf(token, sizeof(token), "%s", jstr(t, "token"));
    cr_assert_eq(strlen(token), 8, "%s", r.body);
    snprintf(text, sizeof(text), "KENTONGAN PROBE %s: test message of modem sim1; no reply needed",
             token);
    cr_assert_eq(atsim_fault(simdir, "no_loopback", 0), 0);
    cr_assert_eq(atsim_deliver(simdir, "+" OWN, text, NULL, NULL), 0);
    cr_assert(kt_wait(&env, 30, token_received, token), "the late test SMS is recognised");
    /* A resident's message after it is answered, so the worker has swept past the test SMS. */
    cr_assert_eq(atsim_deliver(simdir, "+6281311112222", "INFO", NULL, NULL), 0);
    char out[2048];
    cr_assert_eq(kt_wait_sent_to(&env, "6281311112222", 1, 30, out, sizeof(out)), 0);
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:in"), 1, "only the resident's message was stored");
    cr_expect_eq(sent_to_own(), 1, "nothing but the test SMS went to it");
    resp_free(&r);
}

Test(probe, unknown_modem_staff_token_and_bad_number_are_refused)
{
    start(0, "", "");
    struct resp r;
    api("POST", "/api/modems/nosuch/probe", T_ADMIN, "{}", &r);
    cr_expect_eq(r.status, 404, "%s", r.body);
    cr_expect(strstr(jstr(r.json, "error"), "nosuch") != NULL, "%s", r.body);
    resp_free(&r);
    probe(T_STAFF, NULL, &r);
    cr_expect_eq(r.status, 403, "%s", r.body);
    resp_free(&r);
    probe(T_ADMIN, "{\"number\": \"TELKOMSEL\"}", &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    resp_free(&r);
    probe(T_ADMIN, "{\"code\": \"*888#\"}", &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    resp_free(&r);
    /* none of them reached the modem */
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:ussdq:sim1"), 0);
    cr_expect_eq(sent_to_own(), 0);
}

Test(probe, without_an_own_number_the_test_sms_is_skipped_and_said_so)
{
    start(0, "", "");
    struct resp r;
    probe(T_ADMIN, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *c = check_of(r.json, "test_sms");
    cr_assert_not_null(c, "%s", r.body);
    cr_expect_str_eq(jstr(c, "status"), "skip");
    cr_expect(strstr(jstr(c, "advice"), "own_number") != NULL, "%s", jstr(c, "advice"));
    cr_expect(strstr(jstr(r.json, "summary"), "test_sms") != NULL, "%s", r.body);
    cr_expect_eq(sent_to_own(), 0, "nothing sent");
    resp_free(&r);
    /* a number given with the request is used instead */
    probe(T_ADMIN, "{\"number\": \"+62 812-9999-0001\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(json_is_true(json_object_get(json_object_get(r.json, "test_sms"), "received")), "%s",
              r.body);
    resp_free(&r);
}

Test(probe, ctl_prints_the_report_and_exits_by_the_verdict)
{
    start(0, "own_number = 081299990001\nprobe_timeout_seconds = 8\n", "");
    char out[8192], err[2048];
    int rc = ctl(T_ADMIN, "modem probe sim1", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 0, "exit %d, out: %s err: %s", rc, out, err);
    cr_expect(strstr(out, "Kentongan ATSIM-1") != NULL, "%s", out);
    cr_expect(strstr(out, "***********3809") != NULL, "%s", out);
    cr_expect(strstr(out, "PASS  test_sms") != NULL, "%s", out);
    cr_expect(strstr(out, "verdict: PASS") != NULL, "%s", out);
    cr_assert_eq(atsim_fault(simdir, "no_loopback", 1), 0);
    rc = ctl(T_ADMIN, "modem probe sim1", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 4, "exit %d, out: %s err: %s", rc, out, err);
    cr_expect(strstr(out, "FAIL  test_sms") != NULL, "%s", out);
    cr_expect(strstr(out, "-> check that own_number") != NULL, "%s", out);
    cr_expect(strstr(out, "verdict: FAIL") != NULL, "%s", out);
    rc = ctl(T_STAFF, "modem probe sim1", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 1, "a staff token is refused: exit %d, err: %s", rc, err);
    rc = ctl(T_ADMIN, "modem probe nosuch", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 1, "an unknown modem: exit %d, err: %s", rc, err);
    cr_expect(strstr(err, "nosuch") != NULL, "%s", err);
}

/* ---- the dummy driver ---- */

struct bg {
    pthread_t th;
    struct resp r;
};

static void *bg_probe(void *arg)
{
    struct bg *b = arg;
    http_once("POST", "/api/modems/sim1/probe", T_ADMIN, "{}", &b->r);
    return NULL;
}

/* The probe's token once its test SMS is recorded as sent (kt:probe:sim1:TOKEN). */
static int token_sent(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "KEYS kt:probe:sim1:*");
    int found = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1;
    if (found)
        snprintf(arg, 16, "%s", r->element[0]->str + strlen("kt:probe:sim1:"));
    freeReplyObject(r);
    return found;
}

Test(probe, dummy_driver_reports_what_it_answers_and_recognises_the_test_sms)
{
    start(1, "own_number = 081299990001\nprobe_timeout_seconds = 60\n", "");
    struct bg b;
    memset(&b, 0, sizeof(b));
    /* the gateway is listening (the modem is up, so it started) */
    cr_assert_eq(pthread_create(&b.th, NULL, bg_probe, &b), 0);
    char token[16] = "";
    int sent = kt_wait(&env, 60, token_sent, token);
    if (sent) {
        char text[128];
        snprintf(text, sizeof(text),
                 "KENTONGAN PROBE %s: test message of modem sim1; no reply needed", token);
        /* what the network would do with a message the SIM sent itself */
        kt_dummy_deliver(&env, OWN, text, NULL, 0);
    }
    pthread_join(b.th, NULL);
    cr_assert(sent, "the dummy modem sent its test SMS");
    cr_assert_eq(b.r.status, 200, "%s", b.r.body);
    json_t *j = b.r.json;
    cr_assert_not_null(j);
    cr_expect_str_eq(jstr(j, "driver"), "dummy");
    /* what libgammu 1.42's dummy driver answers */
    cr_expect_str_eq(jstr(j, "manufacturer"), "Gammu");
    cr_expect_str_eq(jstr(j, "model"), "Dummy");
    cr_expect_str_eq(jstr(j, "imei"), "***********9999");
    cr_expect_str_eq(jstr(json_object_get(j, "network"), "registration"), "home");
    cr_expect_not_null(check_of(j, "identity"), "%s", b.r.body);
    cr_expect_not_null(check_of(j, "network"), "%s", b.r.body);
    cr_expect_not_null(check_of(j, "storage"), "%s", b.r.body);
    json_t *t = json_object_get(j, "test_sms");
    cr_expect(json_is_true(json_object_get(t, "received")), "%s", b.r.body);
    cr_expect_str_eq(jstr(check_of(j, "test_sms"), "status"), "pass", "%s", b.r.body);
    cr_expect_str_eq(jstr(t, "token"), token);
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:in"), 0, "the test SMS never reached the router");
    /* deleted once the worker's deferred deletes run (replies first: at most a moment later) */
    cr_expect(kt_wait(&env, 20, kt_dummy_inbox_empty, NULL), "and it left the inbox");
    cr_expect(strstr(b.r.body, OWN) == NULL, "the own number is masked: %s", b.r.body);
    resp_free(&b.r);
}

Test(probe, a_refused_test_sms_is_said_so_with_what_to_check)
{
    start(0, "own_number = 081299990001\nprobe_timeout_seconds = 30\n", "");
    cr_assert_eq(atsim_fail_sends(simdir, 500, 1), 0);
    struct resp r;
    probe(T_ADMIN, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *t = json_object_get(r.json, "test_sms");
    cr_expect(json_is_false(json_object_get(t, "sent")), "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(t, "error")), 500, "%s", r.body);
    json_t *c = check_of(r.json, "test_sms");
    cr_assert_not_null(c);
    cr_expect_str_eq(jstr(c, "status"), "fail");
    cr_expect(strstr(jstr(c, "detail"), "+CMS ERROR 500") != NULL, "%s", jstr(c, "detail"));
    cr_expect(strstr(jstr(c, "advice"), "credit") != NULL, "%s", jstr(c, "advice"));
    cr_expect_str_eq(jstr(r.json, "verdict"), "fail");
    cr_expect_eq(sent_to_own(), 0, "the network took nothing");
    resp_free(&r);
}
