/* Integration: modem health and the recovery ladder, on the AT simulator
 * behind libgammu's proxyat (modems/worker.c, "health" and "recovery";
 * tests/atsim/atsim.c, "health faults").
 *
 *   - a modem without registration, asking for its PIN or PUK, without a
 *     SIM, or with its storage full shows so in /api/modems and /metrics, and
 *     comes back by itself when the fault clears;
 *   - a modem that never answers a send is reset (AT+CFUN=1,1) after
 *     reset_after consecutive failures, once, and then works again;
 *   - a modem that never answers at all has its USB device re-enumerated
 *     after usb_reset_after failures: 0 then 1 written to the device's
 *     `authorized` file (a FIFO in a temporary directory stands in for sysfs);
 *   - the coordinator is told once, through the other modem, when a modem
 *     has been out for modem_alert_after, and once when it is back, with two
 *     gateways sharing the Redis;
 *   - kentongan -t refuses the new keys out of their bounds. */
#include "tests/lib/atsim_ctl.h"
#include "tests/lib/harness.h"
#include "tests/lib/promtext.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOKEN "health-desk-token"
#define COORD "081311110003"

static struct kt_env env;
static char sim1[400], sim2[400];
static int port;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    snprintf(sim1, sizeof(sim1), "%s/sim1", env.dir);
    snprintf(sim2, sizeof(sim2), "%s/sim2", env.dir);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(health, .init = setup, .fini = teardown, .timeout = 180);

/* Starts Redis and a gateway with modem at1 (keys extra1) and, when extra2
 * is not NULL, modem at2; a coordinator and a staff token. */
static void start(const char *extra1, const char *extra2, const char *gateway_extra)
{
    const char *base = "poll_seconds = 5\nper_minute = 600\nper_day = 100000\n"
                       "check_seconds = 2\nsend_timeout_seconds = 5\nfailover_seconds = 2\n";
    char modems[8192] = "", keys[2048], pin[192], hash[65];
    snprintf(keys, sizeof(keys), "%s%s", base, extra1 ? extra1 : "");
    int rc = atsim_modem_section(env.build, sim1, "at1", keys, modems, sizeof(modems));
    if (rc == -2)
        cr_skip_test("AT simulator not built in %s", env.build);
    cr_assert_eq(rc, 0);
    if (extra2) {
        snprintf(keys, sizeof(keys), "%s%s", base, extra2);
        cr_assert_eq(atsim_modem_section(env.build, sim2, "at2", keys, modems, sizeof(modems)), 0);
    }
    kt_sha256_hex(TOKEN, hash);
    size_t used = strlen(modems);
    snprintf(modems + used, sizeof(modems) - used,
             "[official:kominfo]\nphone = %s\nopd = DISKOMINFO\nrole = coordinator\n%s"
             "[token:desk]\nsha256 = %s\nrole = staff\n",
             COORD, kt_pin_line(COORD, "2468", pin, sizeof(pin)), hash);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    char extra[512];
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nquiet_hours =\n%s", port,
             gateway_extra ? gateway_extra : "");
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static const char *want_state;

static int state_is(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "HGET kt:modem:%s state", (const char *)arg);
    int ok = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, want_state) == 0;
    freeReplyObject(r);
    return ok;
}

static int wait_state(const char *modem, const char *state, double seconds)
{
    want_state = state;
    int ok = kt_wait(&env, seconds, state_is, (void *)modem);
    if (!ok)
        kt_dump_log(&env);
    return ok;
}

static long long modem_field(const char *modem, const char *field)
{
    redisReply *r = kt_redis(&env, "HGET kt:modem:%s %s", modem, field);
    long long v = r && r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
    freeReplyObject(r);
    return v;
}

/* Writes a fault file holding text (atomically); text NULL removes it. */
static void fault_text(const char *simdir, const char *name, const char *text)
{
    char path[600], tmp[640];
    snprintf(path, sizeof(path), "%s/faults/%s", simdir, name);
    if (text == NULL) {
        unlink(path);
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s/faults/.%s", simdir, name);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fprintf(f, "%s\n", text);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0);
}

/* The modem's entry of GET /api/modems, as text (from its name to the next modem). */
static void api_modem(const char *modem, char *out, size_t len)
{
    char resp[16384], name[64];
    int status = kt_http_header(port, "GET", "/api/modems", "Authorization: Bearer " TOKEN, NULL,
                                resp, sizeof(resp));
    cr_assert_eq(status, 200, "%s", resp);
    snprintf(name, sizeof(name), "\"name\":\"%s\"", modem);
    const char *p = strstr(resp, name);
    cr_assert_not_null(p, "%s in %s", modem, resp);
    snprintf(out, len, "%s", p);
    char *next = strstr(out + 1, "\"name\":");
    if (next)
        *next = '\0';
}

/* kentongan_modem_condition{modem, condition} from GET /metrics. */
static double condition(const char *modem, const char *cond)
{
    static char resp[262144];
    char err[256], labels[128];
    int status = kt_http(port, "GET", "/metrics", NULL, resp, sizeof(resp));
    cr_assert_eq(status, 200);
    const char *body = strstr(resp, "\r\n\r\n");
    cr_assert_not_null(body);
    struct prom_doc *d = prom_parse(body + 4, err, sizeof(err));
    cr_assert_not_null(d, "metrics parse: %s", err);
    snprintf(labels, sizeof(labels), "modem=\"%s\",condition=\"%s\"", modem, cond);
    double v = prom_value(d, "kentongan_modem_condition", labels);
    prom_free(d);
    return v;
}

/* One fault: the modem leaves "up" for state, shows it in the API (field
 * and value as JSON text) and /metrics, and is up again once it clears. */
static void one_condition(const char *fault, const char *text, const char *state,
                          const char *api_field)
{
    fault_text(sim1, fault, text);
    cr_assert(wait_state("at1", state, 30), "%s %s: state %s", fault, text, state);
    char entry[4096], want[64];
    api_modem("at1", entry, sizeof(entry));
    snprintf(want, sizeof(want), "\"state\":\"%s\"", state);
    cr_expect(strstr(entry, want) != NULL, "%s in %s", want, entry);
    cr_expect(strstr(entry, api_field) != NULL, "%s in %s", api_field, entry);
    cr_expect(strstr(entry, "\"up\":false") != NULL, "not up: %s", entry);
    cr_expect_eq(condition("at1", state), 1.0, "condition %s", state);
    cr_expect_eq(condition("at1", "up"), 0.0, "not up while %s", state);
    fault_text(sim1, fault, NULL);
    cr_assert(wait_state("at1", "up", 30), "%s cleared: up again", fault);
    cr_expect_eq(condition("at1", state), 0.0, "%s cleared", state);
    cr_expect_eq(condition("at1", "up"), 1.0, "up after %s", state);
}

static int sim_full_is(struct kt_env *e, void *arg)
{
    return modem_field("at1", "sim_full") == *(long long *)arg;
}

Test(health, each_condition_shows_and_clears_by_itself)
{
    start(NULL, NULL, NULL);
    cr_assert(wait_state("at1", "up", 30));
    one_condition("creg", "0", "no_network", "\"registration\":\"none\"");
    one_condition("creg", "3", "no_network", "\"registration\":\"denied\"");
    one_condition("cpin", "SIM PIN", "sim_pin", "\"sim\":\"pin\"");
    one_condition("cpin", "SIM PUK", "sim_puk", "\"sim\":\"puk\"");
    one_condition("cpin", "NOT INSERTED", "no_sim", "\"sim\":\"absent\"");

    /* A full SIM: still up (it sends), flagged sim_full. */
    cr_assert_eq(atsim_fault_value(sim1, "storage_size", 3), 0);
    cr_assert_eq(atsim_fault_value(sim1, "sim_used", 3), 0);
    long long one = 1, zero = 0;
    cr_assert(kt_wait(&env, 30, sim_full_is, &one), "sim_full recorded");
    char entry[4096];
    api_modem("at1", entry, sizeof(entry));
    cr_expect(strstr(entry, "\"sim_full\":true") != NULL, "%s", entry);
    cr_expect(strstr(entry, "\"state\":\"up\"") != NULL, "%s", entry);
    cr_expect_eq(condition("at1", "sim_full"), 1.0);
    cr_expect_eq(condition("at1", "up"), 1.0);
    cr_assert_eq(atsim_fault_value(sim1, "sim_used", -1), 0);
    cr_expect(kt_wait(&env, 30, sim_full_is, &zero), "sim_full cleared");
    cr_expect_eq(condition("at1", "sim_full"), 0.0);
}

static int cfun_resets(const char *simdir)
{
    char path[600], line[256];
    snprintf(path, sizeof(path), "%s/cfun.log", simdir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, "args=1,1") != NULL;
    fclose(f);
    return n;
}

static int fails_at_least(struct kt_env *e, void *arg)
{
    return modem_field("at1", "fails") >= *(int *)arg;
}

static int reset_sent(struct kt_env *e, void *arg)
{
    return cfun_resets(sim1) >= 1;
}

static int log_count(const char *needle)
{
    char path[400], line[4096];
    snprintf(path, sizeof(path), "%s", env.log);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

Test(health, a_modem_that_never_answers_a_send_is_reset_after_reset_after_failures, .timeout = 300)
{
    start("reset_after = 2\n", NULL, NULL);
    cr_assert(wait_state("at1", "up", 30));
    cr_assert_eq(atsim_fault(sim1, "wedged", 1), 0);
    char out[2048];
    /* first failure: the reply to A is taken and never answered */
    cr_assert_eq(atsim_deliver(sim1, "+6281277000001", "INFO", NULL, NULL), 0);
    int one = 1, two = 2;
    if (!kt_wait(&env, 60, fails_at_least, &one))
        kt_dump_log(&env);
    cr_assert_eq(cfun_resets(sim1), 0, "no reset after one failure");
    cr_assert(wait_state("at1", "up", 30), "reconnected");
    /* second failure: the reset is due */
    cr_assert_eq(atsim_deliver(sim1, "+6281277000002", "INFO", NULL, NULL), 0);
    cr_assert(kt_wait(&env, 60, fails_at_least, &two));
    if (!kt_wait(&env, 60, reset_sent, NULL))
        kt_dump_log(&env);
    cr_assert_eq(cfun_resets(sim1), 1, "AT+CFUN=1,1 said once");
    /* the reset cleared the wedge: the next resident is answered */
    cr_assert(wait_state("at1", "up", 60), "up after the reset");
    cr_assert_eq(atsim_deliver(sim1, "+6281277000003", "INFO", NULL, NULL), 0);
    int answered = kt_wait_sent_to(&env, "6281277000003", 1, 60, out, sizeof(out)) == 0;
    if (!answered) {
        kt_dump_log(&env);
        char cmd[1600];
        snprintf(cmd, sizeof(cmd), "tail -60 %s/atsim.log >&2; ls -la %s/inbox %s/sim >&2", sim1,
                 sim1, sim1);
        if (system(cmd) != 0)
            fprintf(stderr, "no transcript\n");
    }
    cr_assert(answered, "answered after the reset");
    cr_expect_eq(cfun_resets(sim1), 1, "still one reset");
    cr_expect_eq(modem_field("at1", "recover_reset"), 1);
    cr_expect_geq(modem_field("at1", "recover_reconnect"), 2);
    cr_expect_eq(modem_field("at1", "fails"), 0, "a confirmed send clears the count");
    cr_expect_eq(log_count("step=reset failures=2"), 1, "the reset logged once");
}

/* The sysfs stand-in: DIR/usb/1-1.2/authorized is a FIFO; this thread reads
 * each write (one open, one value, one close) into usb_seen. */
static char usb_dir[600], usb_seen[64];
static pthread_mutex_t usb_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int usb_stop;

static void *usb_reader(void *arg)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/authorized", usb_dir);
    while (!usb_stop) {
        int fd = open(path, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
            break;
        /* wait for a writer, then read what it wrote until it closes */
        int got_writer = 0;
        for (;;) {
            char buf[16];
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n > 0) {
                got_writer = 1;
                pthread_mutex_lock(&usb_mu);
                size_t l = strlen(usb_seen);
                for (ssize_t i = 0; i < n && l + 1 < sizeof(usb_seen); i++)
                    if (buf[i] != '\n')
                        usb_seen[l++] = buf[i];
                usb_seen[l] = '\0';
                pthread_mutex_unlock(&usb_mu);
            } else if (n == 0 && got_writer) {
                break; /* the writer closed: one value */
            } else if (usb_stop) {
                break;
            } else {
                usleep(10000);
            }
        }
        close(fd);
    }
    return NULL;
}

static int usb_written(struct kt_env *e, void *arg)
{
    pthread_mutex_lock(&usb_mu);
    int n = (int)strlen(usb_seen);
    pthread_mutex_unlock(&usb_mu);
    return n >= 2;
}

Test(health, a_silent_modem_has_its_usb_device_re_enumerated_after_usb_reset_after_failures,
     .timeout = 240)
{
    snprintf(usb_dir, sizeof(usb_dir), "%s/usb/1-1.2", env.dir);
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s && mkfifo %s/authorized", usb_dir, usb_dir);
    cr_assert_eq(system(cmd), 0);
    usb_seen[0] = '\0';
    usb_stop = 0;
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, usb_reader, NULL), 0);
    /* the modem answers nothing from the start: every connect fails */
    cr_assert_eq(atsim_init_dir(sim1), 0);
    cr_assert_eq(atsim_fault(sim1, "hang", 1), 0);
    char keys[1024];
    snprintf(keys, sizeof(keys),
             "reset = none\nusb_reset = %s\nusb_reset_after = 2\nhang_seconds = 10\n", usb_dir);
    start(keys, NULL, NULL);
    int ok = kt_wait(&env, 180, usb_written, NULL);
    if (!ok)
        kt_dump_log(&env);
    pthread_mutex_lock(&usb_mu);
    char seen[64];
    snprintf(seen, sizeof(seen), "%s", usb_seen);
    pthread_mutex_unlock(&usb_mu);
    cr_assert(ok, "authorized written twice: '%s'", seen);
    cr_expect_eq(strncmp(seen, "01", 2), 0, "0 then 1: '%s'", seen);
    /* the device is back: the modem comes up and the count clears in time */
    cr_assert_eq(atsim_fault(sim1, "hang", 0), 0);
    cr_expect(wait_state("at1", "up", 90), "up once the modem answers");
    cr_expect_geq(modem_field("at1", "recover_usb_reset"), 1);
    cr_expect_geq(log_count("step=usb_reset"), 1);
    usb_stop = 1;
    /* release the reader thread if it waits in open() */
    char path[700];
    snprintf(path, sizeof(path), "%s/authorized", usb_dir);
    int fd = open(path, O_WRONLY | O_NONBLOCK);
    if (fd >= 0)
        close(fd);
    pthread_join(th, NULL);
}

/* Messages the simulator at simdir was handed whose text holds needle. */
static int sent_with(const char *simdir, const char *needle)
{
    struct atsim_sent s[64];
    int n = atsim_read_sent(simdir, s, 64), found = 0;
    for (int i = 0; i < n && i < 64; i++)
        found += strstr(s[i].text, needle) != NULL;
    return found;
}

static int out_told(struct kt_env *e, void *arg)
{
    return sent_with(sim2, "modem at1 mati") > 0;
}

static int back_told(struct kt_env *e, void *arg)
{
    return sent_with(sim1, "modem at1 aktif kembali") + sent_with(sim2, "modem at1 aktif kembali") >
           0;
}

Test(health, the_coordinator_is_told_once_through_the_other_modem_and_once_when_it_is_back)
{
    start("", "", "modem_alert_after = 3\n");
    cr_assert(wait_state("at1", "up", 30));
    cr_assert(wait_state("at2", "up", 30));
    /* a second gateway on the same Redis runs the same check */
    char other[400], log2[400], cmd[1200];
    snprintf(other, sizeof(other), "%s/second.ini", env.dir);
    snprintf(log2, sizeof(log2), "%s/second.log", env.dir);
    snprintf(cmd, sizeof(cmd),
             "sed -e 's/^name = test$/name = second/' -e 's/^http = 127.*/http =/' %s > %s",
             env.config, other);
    cr_assert_eq(system(cmd), 0);
    pid_t second = kt_spawn_gateway(&env, other, log2);
    cr_assert_gt(second, 0);

    fault_text(sim1, "creg", "0");
    cr_assert(wait_state("at1", "no_network", 30));
    if (!kt_wait(&env, 60, out_told, NULL))
        kt_dump_log(&env);
    cr_assert_eq(sent_with(sim2, "modem at1 mati"), 1, "told through at2");
    cr_expect(sent_with(sim2, "tidak ada sinyal operator") == 1, "with the reason");
    fault_text(sim1, "creg", NULL);
    cr_assert(wait_state("at1", "up", 30));
    if (!kt_wait(&env, 60, back_told, NULL))
        kt_dump_log(&env);
    /* room for a repeat: two more rounds of the gateways' 5 s check (a
     * message that is not sent has no event to wait for) */
    struct timespec ts = {11, 0};
    nanosleep(&ts, NULL);
    int out = sent_with(sim1, "modem at1 mati") + sent_with(sim2, "modem at1 mati");
    int back =
        sent_with(sim1, "modem at1 aktif kembali") + sent_with(sim2, "modem at1 aktif kembali");
    cr_expect_eq(out, 1, "out: told once, by two gateways");
    cr_expect_eq(back, 1, "back: told once");
    cr_expect_eq(sent_with(sim1, "modem at1 mati"), 0, "never through the modem that is out");
    kt_stop_pid(second, SIGTERM);
}

Test(health, kentongan_t_refuses_the_keys_out_of_bounds)
{
    char modems[2048] = "", out[8192], args[600];
    cr_assert_eq(atsim_modem_section(env.build, sim1, "at1",
                                     "reset = AT+NOSUCH\nusb_reset = usb/1-1.2\ncheck_seconds = 1\n"
                                     "reset_after = 0\n",
                                     modems, sizeof(modems)),
                 0);
    cr_assert_eq(atsim_modem_section(env.build, sim2, "at2",
                                     "usb_reset = /sys/bus/usb/devices/1-1.2\nreset_after = 4\n"
                                     "usb_reset_after = 3\n",
                                     modems, sizeof(modems)),
                 0);
    cr_assert_eq(kt_write_config(&env, "modem_alert_after = -1\n", modems), 0);
    snprintf(args, sizeof(args), "-t -c %s", env.config);
    cr_assert_eq(kt_run(&env, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "reset = 'AT+NOSUCH'") != NULL,
              "an AT command libgammu cannot answer: %s", out);
    cr_expect(strstr(out, "usb_reset = 'usb/1-1.2'") != NULL, "%s", out);
    cr_expect(strstr(out, "check_seconds = '1'") != NULL, "%s", out);
    cr_expect(strstr(out, "reset_after = '0'") != NULL, "%s", out);
    cr_expect(strstr(out, "usb_reset_after = 3") != NULL, "%s", out);
    cr_expect(strstr(out, "modem_alert_after = '-1'") != NULL, "%s", out);
    /* and within bounds, accepted */
    modems[0] = '\0';
    cr_assert_eq(atsim_modem_section(env.build, sim1, "at1",
                                     "reset = AT^SRESET\nusb_reset = /sys/bus/usb/devices/1-1.2\n"
                                     "check_seconds = 2\nusb_reset_after = 4\n",
                                     modems, sizeof(modems)),
                 0);
    cr_assert_eq(kt_write_config(&env, "modem_alert_after = 0\n", modems), 0);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 0, "%s", out);
}
