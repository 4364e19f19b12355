/* Integration: USSD through a chosen modem and the SIM credit check, against the real gateway,
 * a real Redis and the AT modem simulator behind libgammu's proxyat connection.
 *
 *   - POST /api/modems/NAME/ussd returns the simulator's answer (which it prints in UCS-2 hex
 *     after AT+CSCS="UCS2", as real modems do), also when the modem answers in another
 *     character set; bad codes 400, unknown modems 404, wrong roles 403, a modem that is not
 *     up 503, a network that refuses 502, one that never answers 504; kentongan-ctl ussd.
 *   - The worker's balance check every balance_every (5 s here): a Telkomsel-like answer
 *     below balance_low records the credit and SMSes each staff and coordinator official
 *     once; staying low tells nobody again; going above and falling again tells them again.
 *     /api/modems, /metrics and kentongan-ctl modems show it.
 * Waits are bounded and nothing asserts on time. */
#include "tests/lib/atsim_ctl.h"
#include "tests/lib/harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_ADMIN "credit-admin-1"
#define T_STAFF "credit-staff-2"
#define T_BUDI  "credit-budi-3"

#define STAFF_N   "6281311110005"
#define COORD_N   "6281311110003"
#define LIAISON_N "6281311110001"

#define TELKOMSEL_LOW  "Sisa Pulsa Rp 8.500. Aktif s.d. 31-12-2026. Info paket: *363#"
#define TELKOMSEL_HIGH "Sisa Pulsa Rp 20.000. Aktif s.d. 31-12-2026. Info paket: *363#"
#define TELKOMSEL_LOW2 "Sisa Pulsa Rp 7.000. Aktif s.d. 31-12-2026. Info paket: *363#"

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

/* ---- HTTP: one request, a long enough read timeout for a USSD round trip ---- */

struct resp {
    int status;
    char body[8192];
    json_t *json;
};

static void resp_free(struct resp *r)
{
    json_decref(r->json);
    r->json = NULL;
}

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
    struct timeval tv = {60, 0};
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
    char buf[16384];
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

/* kentongan-ctl with the given args against this gateway; stdout into out, stderr into err. */
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

/* ---- the gateway under test ---- */

static int modem_up(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:sim1 state");
    int up = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "up") == 0;
    freeReplyObject(r);
    return up;
}

/* balance: extra [modem:sim1] keys for the credit check ("" for none);
 * reply: the simulator's USSD answer from the start (NULL: its default). */
static void start(const char *balance, const char *reply)
{
    cr_assert_eq(kt_env_init(&env), 0);
    signal(SIGPIPE, SIG_IGN);
    snprintf(simdir, sizeof(simdir), "%s/sim1", env.dir);
    cr_assert_eq(atsim_init_dir(simdir), 0);
    if (reply)
        cr_assert_eq(atsim_set_ussd_reply(simdir, reply), 0);
    char atsim[400], device[1024], modems[8192], extra[256], pin_k[192], pin_b[192];
    snprintf(atsim, sizeof(atsim), "%s/atsim", env.build);
    if (access(atsim, X_OK) != 0)
        cr_skip_test("AT simulator not built: %s", atsim);
    cr_assert_eq(atsim_device(atsim, simdir, device, sizeof(device)), 0);
    char h_admin[65], h_staff[65], h_budi[65];
    sha256_hex(T_ADMIN, h_admin);
    sha256_hex(T_STAFF, h_staff);
    sha256_hex(T_BUDI, h_budi);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nquiet_hours =\n", port);
    snprintf(modems, sizeof(modems),
             "[modem:sim1]\nmodel = at\nconnection = proxyat\ndevice = %s\n"
             "poll_seconds = 3600\nper_minute = 600\nper_day = 100000\nhang_seconds = 30\n"
             "ussd_timeout_seconds = 5\n%s"
             "[official:budi]\nphone = 081311110001\nopd = DPUPR\nrole = liaison\n"
             "[official:kominfo]\nphone = 081311110003\nopd = DISKOMINFO\nrole = coordinator\n%s"
             "[official:bpbd]\nphone = +62 813-1111-0005\nopd = BPBD\nrole = staff\n%s"
             "[token:ops]\nsha256 = %s\nrole = admin\n"
             "[token:desk]\nsha256 = %s\nrole = staff\n"
             "[token:budi]\nsha256 = %s\nrole = official\nopd = DPUPR\nofficial = budi\n",
             device, balance, kt_pin_line("081311110003", "2468", pin_k, sizeof(pin_k)),
             kt_pin_line("081311110005", "1357", pin_b, sizeof(pin_b)), h_admin, h_staff, h_budi);
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    if (!kt_wait(&env, 30, modem_up, NULL))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 30, modem_up, NULL), "modem up");
}

static void setup(void)
{
    start("", NULL);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

/* Criterion runs a suite's .init before a test's own: each test names its
 * start instead (the credit check needs another configuration). */
TestSuite(credit, .fini = teardown, .timeout = 150);

/* ---- USSD through the API ---- */

static int ussd_log_count(const char *code)
{
    char path[500], line[256];
    snprintf(path, sizeof(path), "%s/ussd.log", simdir);
    FILE *f = fopen(path, "r");
    int n = 0;
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        n += strncmp(line, "code=", 5) == 0 && strcmp(line + 5, code) == 0;
    }
    fclose(f);
    return n;
}

static void post_ussd(const char *token, const char *code_json, struct resp *r)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"code\": %s}", code_json);
    api("POST", "/api/modems/sim1/ussd", token, body, r);
}

Test(credit, ussd_through_the_api_returns_the_networks_answer, .init = setup)
{
    cr_assert_eq(atsim_set_ussd_reply(simdir, TELKOMSEL_HIGH), 0);
    struct resp r;
    post_ussd(T_STAFF, "\"*888#\"", &r);
    if (r.status != 200)
        kt_dump_log(&env);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(jstr(r.json, "answer"), TELKOMSEL_HIGH);
    cr_expect_str_eq(jstr(r.json, "modem"), "sim1");
    cr_expect_str_eq(jstr(r.json, "code"), "*888#");
    cr_expect_eq(ussd_log_count("*888#"), 1, "dialled once on the modem");
    resp_free(&r);
    /* an admin may too; a code with '*' inside, and non-ASCII in the answer */
    cr_assert_eq(atsim_set_ussd_reply(simdir, "Paket Internet 2GB Rp 10.000 ✓ Balas 1"), 0);
    post_ussd(T_ADMIN, "\"*363*1#\"", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(jstr(r.json, "answer"), "Paket Internet 2GB Rp 10.000 ✓ Balas 1");
    resp_free(&r);
    cr_expect_eq(ussd_log_count("*363*1#"), 1);
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:ussdq:sim1"), 0, "answered requests leave the queue");
}

Test(credit, bad_codes_unknown_modems_and_roles_are_refused, .init = setup)
{
    const char *bad[] = {"\"888\"", "\"*888\"",   "\"*88a#\"",
                         "\"#\"",   "\"*888# \"", "\"*1234567890123456789012345678901234567890#\"",
                         "888",     "null"};
    struct resp r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        post_ussd(T_STAFF, bad[i], &r);
        cr_expect_eq(r.status, 400, "code %s: %d %s", bad[i], r.status, r.body);
        cr_expect(json_is_string(json_object_get(r.json, "error")), "%s", r.body);
        resp_free(&r);
    }
    api("POST", "/api/modems/sim1/ussd", T_STAFF, "{\"code\": \"*888#\", \"modem\": \"x\"}", &r);
    cr_expect_eq(r.status, 400, "unknown field: %s", r.body);
    resp_free(&r);
    api("POST", "/api/modems/sim1/ussd", T_STAFF, "{}", &r);
    cr_expect_eq(r.status, 400, "no code: %s", r.body);
    resp_free(&r);
    api("POST", "/api/modems/nosuch/ussd", T_STAFF, "{\"code\": \"*888#\"}", &r);
    cr_expect_eq(r.status, 404, "%s", r.body);
    cr_expect(strstr(jstr(r.json, "error"), "nosuch") != NULL, "%s", r.body);
    resp_free(&r);
    post_ussd(T_BUDI, "\"*888#\"", &r);
    cr_expect_eq(r.status, 403, "an official's token: %s", r.body);
    resp_free(&r);
    post_ussd(NULL, "\"*888#\"", &r);
    cr_expect_eq(r.status, 401, "%s", r.body);
    resp_free(&r);
    api("GET", "/api/modems/sim1/ussd", T_STAFF, NULL, &r);
    cr_expect_eq(r.status, 405, "%s", r.body);
    resp_free(&r);
    cr_expect_eq(ussd_log_count("*888#"), 0, "nothing was dialled");
}

Test(credit, answers_in_another_character_set_come_out_readable, .init = setup)
{
    cr_assert_eq(atsim_set_ussd_reply(simdir, TELKOMSEL_LOW), 0);
    const char *sets[] = {"GSM", "UCS2", "PDU7"};
    for (size_t i = 0; i < 3; i++) {
        char path[500];
        snprintf(path, sizeof(path), "%s/faults/ussd_charset", simdir);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fprintf(f, "%s\n", sets[i]);
        fclose(f);
        struct resp r;
        post_ussd(T_STAFF, "\"*888#\"", &r);
        cr_expect_eq(r.status, 200, "%s: %s", sets[i], r.body);
        cr_expect_str_eq(jstr(r.json, "answer"), TELKOMSEL_LOW, "printed as %s", sets[i]);
        resp_free(&r);
    }
}

Test(credit, refusals_silence_and_a_modem_not_up_are_reported_clearly, .init = setup)
{
    struct resp r;
    /* the network refuses the code (+CUSD: 4) */
    cr_assert_eq(atsim_fault_value(simdir, "ussd_status", 4), 0);
    post_ussd(T_STAFF, "\"*999#\"", &r);
    cr_expect_eq(r.status, 502, "%s", r.body);
    cr_expect(strstr(jstr(r.json, "error"), "refused") != NULL, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(atsim_fault_value(simdir, "ussd_status", -1), 0);
    /* the network never answers: 504 after ussd_timeout_seconds, and the modem works on */
    cr_assert_eq(atsim_fault(simdir, "ussd_silent", 1), 0);
    post_ussd(T_STAFF, "\"*888#\"", &r);
    cr_expect_eq(r.status, 504, "%s", r.body);
    cr_expect(strstr(jstr(r.json, "error"), "no answer") != NULL, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(atsim_fault(simdir, "ussd_silent", 0), 0);
    cr_assert_eq(atsim_set_ussd_reply(simdir, TELKOMSEL_HIGH), 0);
    post_ussd(T_STAFF, "\"*888#\"", &r);
    cr_expect_eq(r.status, 200, "after a silent code: %s", r.body);
    cr_expect_str_eq(jstr(r.json, "answer"), TELKOMSEL_HIGH);
    resp_free(&r);
    /* a modem whose worker does not report it up is not asked at all */
    freeReplyObject(kt_redis(&env, "HSET kt:modem:sim1 state down"));
    int before = ussd_log_count("*888#");
    post_ussd(T_STAFF, "\"*888#\"", &r);
    cr_expect_eq(r.status, 503, "%s", r.body);
    cr_expect(strstr(jstr(r.json, "error"), "not up") != NULL, "%s", r.body);
    resp_free(&r);
    cr_expect_eq(ussd_log_count("*888#"), before, "nothing dialled");
    freeReplyObject(kt_redis(&env, "HSET kt:modem:sim1 state up"));
}

static int dialled(struct kt_env *e, void *arg)
{
    return ussd_log_count(arg) >= 1;
}

Test(credit, a_code_open_when_its_worker_dies_is_answered_never_dialled_again, .init = setup)
{
    /* a code that moves credit must not go twice because a worker restarted */
    cr_assert_eq(atsim_fault(simdir, "ussd_silent", 1), 0);
    pid_t worker = kt_worker_pid(&env, "sim1");
    cr_assert_gt(worker, 0);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        struct resp r;
        char line[1024];
        post_ussd(T_STAFF, "\"*858*6281200000001*5000#\"", &r);
        int n = snprintf(line, sizeof(line), "%d %s", r.status, jstr(r.json, "error"));
        ssize_t w = write(fds[1], line, (size_t)n);
        (void)w;
        _exit(0);
    }
    close(fds[1]);
    if (!kt_wait(&env, 20, dialled, "*858*6281200000001*5000#"))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 1, dialled, "*858*6281200000001*5000#"), "the code was dialled");
    kill(worker, SIGKILL);
    cr_assert_eq(atsim_fault(simdir, "ussd_silent", 0), 0);
    char line[1024] = "";
    ssize_t n = read(fds[0], line, sizeof(line) - 1);
    close(fds[0]);
    waitpid(child, NULL, 0);
    line[n > 0 ? n : 0] = '\0';
    cr_expect_eq(atoi(line), 503, "%s", line);
    cr_expect(strstr(line, "not dialled again") != NULL, "%s", line);
    cr_expect(kt_wait(&env, 30, modem_up, NULL), "the modem is back");
    cr_expect_eq(ussd_log_count("*858*6281200000001*5000#"), 1, "dialled once only");
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:ussdq:sim1"), 0, "the queue is empty");
}

Test(credit, ctl_ussd_prints_the_answer_and_exits_by_the_status, .init = setup)
{
    char out[4096], err[4096];
    cr_assert_eq(atsim_set_ussd_reply(simdir, TELKOMSEL_HIGH), 0);
    int rc = ctl(T_STAFF, "ussd sim1 '*888#'", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, TELKOMSEL_HIGH) != NULL, "%s", out);
    rc = ctl(T_STAFF, "ussd sim1 888", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 1, "400 is exit 1: %s", err);
    cr_expect(strstr(err, "HTTP 400") != NULL, "%s", err);
    rc = ctl(T_STAFF, "ussd nosuch '*888#'", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 1, "404 is exit 1: %s", err);
    rc = ctl(T_BUDI, "ussd sim1 '*888#'", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 1, "403 is exit 1: %s", err);
    rc = ctl(T_STAFF, "ussd sim1", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 2, "usage");
}

/* ---- the credit check ---- */

static void credit_setup(void)
{
    /* the first check already finds the credit low */
    start("balance_code = *888#\nbalance_every = 5\nbalance_low = 10000\n", TELKOMSEL_LOW);
}

static long long modem_field(const char *field)
{
    return kt_redis_int(&env, "HGET kt:modem:sim1 %s", field);
}

static int credit_is(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:sim1 credit");
    int ok = r && r->type == REDIS_REPLY_STRING && atoll(r->str) == *(long long *)arg;
    freeReplyObject(r);
    return ok;
}

static int checked_after(struct kt_env *e, void *arg)
{
    return modem_field("credit_checked") > *(long long *)arg;
}

static int alerts_sent(struct kt_env *e, void *arg)
{
    return atsim_read_sent(simdir, NULL, 0) >= *(int *)arg;
}

/* Alerts recorded as sent on kt:sent (which the worker writes after the network's answer). */
static int alerts_recorded(struct kt_env *e, void *arg)
{
    struct kt_sent k[16];
    int n = kt_sent(e, k, 16), alerts = 0;
    for (int i = 0; i < n && i < 16; i++)
        alerts += strcmp(k[i].origin, "credit:sim1") == 0 && strcmp(k[i].outcome, "sent") == 0;
    return alerts >= *(int *)arg;
}

static int has_error(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HEXISTS kt:modem:sim1 credit_error");
    int yes = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return yes;
}

/* Waits for one more balance check recorded than so far (kt_credit records
 * the reading and queues any alert in one step, so after it nothing of that
 * check is still to come). */
static void one_more_check(void)
{
    long long at = modem_field("credit_checked");
    cr_assert(kt_wait(&env, 30, checked_after, &at), "another balance check");
}

/* The SIM's sent.log entries, checked to be alerts to staff and the coordinator. */
static void expect_alerts(int total, const char *amount)
{
    struct atsim_sent s[16];
    int n = atsim_read_sent(simdir, s, 16);
    cr_assert_eq(n, total, "%d SMS handed to the modem, expected %d", n, total);
    int staff = 0, coord = 0;
    for (int i = total - 2; i < total; i++) {
        staff += strcmp(s[i].to, "+" STAFF_N) == 0;
        coord += strcmp(s[i].to, "+" COORD_N) == 0;
        cr_expect(strstr(s[i].text, "sim1") && strstr(s[i].text, amount) &&
                      strstr(s[i].text, "Rp 10.000"),
                  "the alert names the modem, the credit and the threshold: %s", s[i].text);
    }
    cr_expect_eq(staff, 1, "the staff official once");
    cr_expect_eq(coord, 1, "the coordinator once");
    for (int i = 0; i < n; i++)
        cr_expect_str_neq(s[i].to, "+" LIAISON_N, "a liaison is not told");
}

Test(credit, low_credit_alerts_staff_once_per_crossing, .init = credit_setup, .timeout = 180)
{
    long long low = 8500;
    if (!kt_wait(&env, 40, credit_is, &low))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 1, credit_is, &low), "credit 8500 recorded");
    cr_expect_gt(modem_field("credit_at"), 0);
    redisReply *raw = kt_redis(&env, "HGET kt:modem:sim1 credit_raw");
    cr_expect(raw && raw->type == REDIS_REPLY_STRING && strcmp(raw->str, TELKOMSEL_LOW) == 0,
              "the answer is kept");
    freeReplyObject(raw);
    int two = 2;
    if (!kt_wait(&env, 30, alerts_sent, &two))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 1, alerts_sent, &two), "the alerts reached the modem");
    expect_alerts(2, "Rp 8.500");
    cr_expect(kt_wait(&env, 20, alerts_recorded, &two),
              "kt:sent records both alerts as sent, origin credit:sim1");

    /* still low: nobody is told again */
    one_more_check();
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:out:any"), 2, "no alert queued again");
    cr_expect_eq(atsim_read_sent(simdir, NULL, 0), 2);

    /* topped up, then low again: one more alert each */
    cr_assert_eq(atsim_set_ussd_reply(simdir, TELKOMSEL_HIGH), 0);
    long long high = 20000;
    cr_assert(kt_wait(&env, 30, credit_is, &high), "credit 20000 recorded");
    cr_expect_eq(kt_redis_int(&env, "HEXISTS kt:modem:sim1 credit_alerted"), 0);
    one_more_check();
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:out:any"), 2, "no alert while above");
    cr_assert_eq(atsim_set_ussd_reply(simdir, TELKOMSEL_LOW2), 0);
    long long low2 = 7000;
    cr_assert(kt_wait(&env, 30, credit_is, &low2), "credit 7000 recorded");
    int four = 4;
    cr_assert(kt_wait(&env, 30, alerts_sent, &four), "the second crossing is told");
    one_more_check();
    expect_alerts(4, "Rp 7.000");
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:out:any"), 4, "once per crossing");

    /* what staff see */
    struct resp r;
    api("GET", "/api/modems", T_STAFF, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *m = json_array_get(json_object_get(r.json, "modems"), 0);
    cr_expect_eq(json_integer_value(json_object_get(m, "credit")), 7000, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(m, "balance_low")), 10000, "%s", r.body);
    cr_expect(json_is_true(json_object_get(m, "credit_low")), "%s", r.body);
    cr_expect(json_is_integer(json_object_get(m, "credit_at")), "%s", r.body);
    cr_expect(json_is_null(json_object_get(m, "credit_error")), "%s", r.body);
    resp_free(&r);
    api("GET", "/metrics", NULL, NULL, &r);
    cr_expect(strstr(r.body, "kentongan_sim_credit_rupiah{modem=\"sim1\"} 7000") != NULL, "%s",
              r.body);
    resp_free(&r);
    char out[4096], err[4096];
    cr_expect_eq(ctl(T_STAFF, "modems", out, sizeof(out), err, sizeof(err)), 0, "%s", err);
    cr_expect(strstr(out, "7.000 LOW") != NULL, "%s", out);

    /* an answer without a balance: recorded as an error, the last credit kept */
    cr_assert_eq(atsim_set_ussd_reply(simdir, "Maaf, layanan sedang sibuk. Coba lagi nanti."), 0);
    cr_assert(kt_wait(&env, 30, has_error, NULL), "credit_error recorded");
    cr_expect_eq(modem_field("credit"), 7000);
    api("GET", "/api/modems", T_STAFF, NULL, &r);
    m = json_array_get(json_object_get(r.json, "modems"), 0);
    cr_expect(strstr(jstr(m, "credit_error"), "does not match") != NULL, "%s", r.body);
    resp_free(&r);
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:out:any"), 4, "an unreadable answer alerts nobody");
}
