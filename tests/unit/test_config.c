/* Unit: config_load reads, defaults and checks every key, and reports each
 * problem on its own line. */
#include "gateway/config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char path[128];
static char errs[8192];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kt-cfg-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/k.ini", dir);
    char modem[160];
    snprintf(modem, sizeof(modem), "%s/modem", dir);
    mkdir(modem, 0755);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

static int load(const char *text, struct config **out)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    /* %s/modem is where the dummy modem lives in every case */
    for (const char *p = text; *p; p++) {
        if (*p == '@')
            fprintf(f, "%s/modem", dir);
        else
            fputc(*p, f);
    }
    fclose(f);
    struct config *cfg = config_new();
    cr_assert_not_null(cfg);
    int rc = config_load(cfg, path, errs, sizeof(errs));
    *out = cfg;
    return rc;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

TestSuite(config, .init = setup, .fini = teardown);

Test(config, minimal_dummy_modem_gets_defaults)
{
    struct config *cfg;
    int rc = load("[gateway]\nredis = unix:/tmp/r.sock\n[modem:a]\nmodel = dummy\n"
                  "connection = none\ndevice = @\n",
                  &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_str_eq(cfg->redis, "unix:/tmp/r.sock");
    cr_expect_eq(cfg->nmodems, 1);
    cr_expect_str_eq(cfg->modems[0].name, "a");
    cr_expect_eq(cfg->modems[0].per_minute, 10);
    cr_expect_eq(cfg->sender_per_minute, 3, "well below the SIM's 10 a minute");
    cr_expect_eq(cfg->sender_per_day, 20);
    cr_expect_eq(cfg->reply_budget_per_minute, 0, "derived");
    cr_expect_eq(config_reply_budget(cfg), 5, "half of the one modem's 10 a minute");
    cr_expect_eq(cfg->dedupe_ttl, 7 * 86400, "a default written as an expression is evaluated");
    cr_expect_str_eq(modem_gammu(&cfg->modems[0], "model"), "dummy");
    cr_expect_neq(cfg->name[0], '\0', "consumer name defaults to the host name");
    config_free(cfg);
}

Test(config, delivery_reports_default_and_values)
{
    struct config *cfg;
    int rc = load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
                  "[modem:b]\nmodel = dummy\nconnection = none\ndevice = @\n"
                  "delivery_reports = 1\n"
                  "[modem:c]\nmodel = dummy\nconnection = none\ndevice = @\n"
                  "delivery_reports = 0\n",
                  &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_str_eq(cfg->modems[0].delivery_reports, "broadcasts");
    cr_expect_str_eq(cfg->modems[1].delivery_reports, "1");
    cr_expect_str_eq(cfg->modems[2].delivery_reports, "0");
    cr_expect_not(modem_config_equal(&cfg->modems[0], &cfg->modems[1]));
    config_free(cfg);
    rc = load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
              "delivery_reports = yes\n",
              &cfg);
    cr_expect_neq(rc, 0);
    cr_expect(strstr(errs, "[modem:a] delivery_reports = 'yes': expected 0, 1 or broadcasts") !=
                  NULL,
              "%s", errs);
    config_free(cfg);
}

Test(config, every_problem_is_reported_on_its_own_line)
{
    struct config *cfg;
    int rc = load("[gateway]\nredis = nowhere\nloglevel = loud\nbogus = 1\n"
                  "sender_per_minute = -3\n"
                  "[modem:a]\nmodel = at\nconnection = at115200\ndevice = /dev/does-not-exist\n"
                  "per_minute = lots\ncolour = red\n"
                  "[modem:b]\nmodel = at\nconnection = proxyat\ndevice = /no/such/simulator --x\n"
                  "[elsewhere]\nx = 1\n",
                  &cfg);
    cr_assert_neq(rc, 0);
    cr_expect(strstr(errs, "redis = 'nowhere'") != NULL, "%s", errs);
    cr_expect(strstr(errs, "loglevel = 'loud'") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[gateway] bogus: unknown key") != NULL, "%s", errs);
    cr_expect(strstr(errs, "sender_per_minute = '-3'") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[modem:a] device = '/dev/does-not-exist': no such device") != NULL,
              "%s", errs);
    cr_expect(strstr(errs, "[modem:a] per_minute = 'lots'") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[modem:a] colour: unknown key") != NULL, "%s", errs);
    cr_expect(strstr(errs, "proxy command not found") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[elsewhere]: unknown section") != NULL, "%s", errs);
    cr_expect_eq(lines(errs), 9, "one line per problem:\n%s", errs);
    config_free(cfg);
}

Test(config, no_modem_and_missing_device_are_errors)
{
    struct config *cfg;
    cr_assert_neq(load("[gateway]\nloglevel = info\n", &cfg), 0);
    cr_expect(strstr(errs, "no [modem:NAME] section") != NULL, "%s", errs);
    config_free(cfg);
    cr_assert_neq(load("[modem:x]\nmodel = at\nconnection = at\n", &cfg), 0);
    cr_expect(strstr(errs, "[modem:x] device: missing") != NULL, "%s", errs);
    config_free(cfg);
}

Test(config, gammu_keys_pass_through_and_port_means_device)
{
    struct config *cfg;
    int rc = load("[modem:usb]\nmodel = at\nconnection = at115200\nport = /dev/null\n"
                  "features = USSD_GSM_CHARSET\nlogformat = textall\nsmsc = +6281100000\n",
                  &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    const struct modem_config *m = config_modem(cfg, "usb");
    cr_assert_not_null(m);
    cr_expect_str_eq(modem_gammu(m, "device"), "/dev/null");
    cr_expect_str_eq(modem_gammu(m, "features"), "USSD_GSM_CHARSET");
    cr_expect_str_eq(m->smsc, "+6281100000");
    config_free(cfg);
}

Test(config, syntax_error_names_the_line)
{
    struct config *cfg;
    cr_assert_neq(load("[modem:a]\nmodel = dummy\nthis line has no equals sign\n", &cfg), 0);
    cr_expect(strstr(errs, ":3: syntax error") != NULL, "%s", errs);
    config_free(cfg);
}

Test(config, bad_modem_names_and_endpoints)
{
    struct config *cfg;
    cr_assert_neq(load("[modem:bad name!]\nmodel = dummy\nconnection = none\ndevice = @\n", &cfg),
                  0);
    cr_expect(strstr(errs, "a modem name is") != NULL, "%s", errs);
    config_free(cfg);
    char host[64];
    int port = -1;
    cr_expect_eq(config_redis_endpoint("127.0.0.1:6380", host, sizeof(host), &port), 0);
    cr_expect_str_eq(host, "127.0.0.1");
    cr_expect_eq(port, 6380);
    cr_expect_eq(config_redis_endpoint("unix:/run/r.sock", host, sizeof(host), &port), 0);
    cr_expect_str_eq(host, "/run/r.sock");
    cr_expect_eq(port, 0);
    cr_expect_eq(config_redis_endpoint("localhost:99999", host, sizeof(host), &port), -1);
}

Test(config, credit_check_keys_default_and_are_checked_one_line_each)
{
    struct config *cfg;
    int rc = load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
                  "balance_code = *888#\nbalance_every = 5\nbalance_low = 15000\n",
                  &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    const struct modem_config *m = config_modem(cfg, "a");
    cr_expect_str_eq(m->balance_code, "*888#");
    cr_expect_str_eq(m->balance_pattern, "pulsa[^0-9]*rp[^0-9]*([0-9][0-9.,]*)");
    cr_expect_eq(m->balance_every, 5);
    cr_expect_eq(m->balance_low, 15000);
    cr_expect_eq(m->ussd_timeout_seconds, 20);
    config_free(cfg);
    rc = load("[modem:b]\nmodel = dummy\nconnection = none\ndevice = @\n", &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_str_eq(cfg->modems[0].balance_code, "", "no check unless asked");
    cr_expect_eq(cfg->modems[0].balance_every, 21600);
    cr_expect_eq(cfg->modems[0].balance_low, 10000);
    config_free(cfg);

    rc = load("[modem:c]\nmodel = dummy\nconnection = none\ndevice = @\n"
              "balance_code = 888\nbalance_pattern = Pulsa Rp [0-9.]+\nbalance_every = 1\n"
              "[modem:d]\nmodel = dummy\nconnection = none\ndevice = @\n"
              "balance_code = *888*abc#\nbalance_pattern = Pulsa (Rp [0-9.]+\n"
              "balance_low = -5\nussd_timeout_seconds = 600\n",
              &cfg);
    cr_assert_neq(rc, 0);
    cr_expect(strstr(errs, "[modem:c] balance_code = '888': expected a USSD code") != NULL, "%s",
              errs);
    cr_expect(strstr(errs, "[modem:c] balance_pattern = 'Pulsa Rp [0-9.]+': needs exactly one "
                           "group") != NULL,
              "%s", errs);
    cr_expect(strstr(errs, "[modem:c] balance_every = '1': expected a whole number from 5") != NULL,
              "%s", errs);
    cr_expect(strstr(errs, "[modem:d] balance_code = '*888*abc#'") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[modem:d] balance_pattern = 'Pulsa (Rp [0-9.]+': not a valid") != NULL,
              "%s", errs);
    cr_expect(strstr(errs, "[modem:d] balance_low = '-5'") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[modem:d] ussd_timeout_seconds = '600'") != NULL, "%s", errs);
    cr_expect_eq(lines(errs), 7, "one line per problem:\n%s", errs);
    config_free(cfg);
}

#define DUMMY "[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
/* printf %s 's3cret-batang' | sha256sum */
#define SECRET_SHA "c9b7a60e2e6dd24887e9106d6ebc942e57e7aba45368d69c409d34338472d11e"

/* POST /ussd off loopback needs the aggregator's secret (hashed) or its
 * addresses; `kentongan -t` and a start-up refuse a listener without. */
Test(config, a_listener_off_loopback_needs_ussd_secret_or_ussd_allow)
{
    struct config *cfg;
    const char *local[] = {"127.0.0.1:8080", "127.0.0.2:8080", "localhost:8080", "::1:8080",
                           "[::1]:8080"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "[gateway]\nhttp = %s\n" DUMMY, local[i]);
        cr_expect_eq(load(text, &cfg), 0, "%s: %s", local[i], errs);
        config_free(cfg);
    }
    const char *open[] = {"0.0.0.0:8080", "192.0.2.4:8080", "::8080", "gateway.batangkab.go.id:80"};
    for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "[gateway]\nhttp = %s\n" DUMMY, open[i]);
        cr_expect_neq(load(text, &cfg), 0, "%s accepted", open[i]);
        cr_expect(strstr(errs, "reachable from the network") && strstr(errs, "ussd_secret") &&
                      strstr(errs, "ussd_allow"),
                  "%s: %s", open[i], errs);
        cr_expect_eq(lines(errs), 1, "%s", errs);
        config_free(cfg);
    }
    cr_expect_eq(load("[gateway]\nhttp = 0.0.0.0:8080\nussd_secret = " SECRET_SHA "\n" DUMMY, &cfg),
                 0, "%s", errs);
    config_free(cfg);
    cr_expect_eq(load("[gateway]\nhttp = 0.0.0.0:8080\nussd_allow = 192.0.2.10, 10.20.0.0/16, "
                      "2001:db8::/32\n" DUMMY,
                      &cfg),
                 0, "%s", errs);
    config_free(cfg);
    cr_expect_eq(load("[gateway]\nhttp =\n" DUMMY, &cfg), 0, "no listener: %s", errs);
    config_free(cfg);
}

Test(config, ussd_secret_is_a_hash_and_ussd_allow_holds_addresses)
{
    struct config *cfg;
    cr_expect_neq(load("[gateway]\nussd_secret = s3cret-batang\n" DUMMY, &cfg), 0,
                  "the secret itself is never accepted");
    cr_expect(strstr(errs, "ussd_secret: expected the SHA-256") != NULL, "%s", errs);
    config_free(cfg);
    const char *bad[] = {"192.0.2.300", "10.0.0.1/8", "10.0.0.0/33", "aggregator.example",
                         "10.0.0.0/x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "[gateway]\nussd_allow = 192.0.2.1, %s\n" DUMMY, bad[i]);
        cr_expect_neq(load(text, &cfg), 0, "%s accepted", bad[i]);
        cr_expect(strstr(errs, "[gateway] ussd_allow: '") && strstr(errs, bad[i]), "%s: %s", bad[i],
                  errs);
        config_free(cfg);
    }
}

/* One number must not take a SIM: sender_per_minute below every modem's
 * per_minute; the reply budget is derived from the modems' caps. */
Test(config, sender_limit_stays_below_every_sims_cap_and_budget_follows_the_caps)
{
    struct config *cfg;
    cr_expect_neq(load("[gateway]\nsender_per_minute = 10\n" DUMMY, &cfg), 0);
    cr_expect(strstr(errs, "sender_per_minute = 10: not below [modem:a] per_minute = 10") != NULL,
              "%s", errs);
    config_free(cfg);
    cr_expect_eq(load("[gateway]\nsender_per_minute = 9\n" DUMMY
                      "[modem:b]\nmodel = dummy\nconnection = none\ndevice = @\nper_minute = 30\n",
                      &cfg),
                 0, "%s", errs);
    cr_expect_eq(config_reply_budget(cfg), 20, "half of 10 + 30");
    config_free(cfg);
    cr_expect_eq(load("[gateway]\nreply_budget_per_minute = 7\n" DUMMY, &cfg), 0, "%s", errs);
    cr_expect_eq(config_reply_budget(cfg), 7, "as set");
    config_free(cfg);
    cr_expect_neq(load("[gateway]\nsender_per_day = 0\n" DUMMY, &cfg), 0);
    config_free(cfg);
}

Test(config, http_listener_limits_default_and_are_bounded)
{
    struct config *cfg;
    int rc = load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n", &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_eq(cfg->http_max_connections, 256);
    cr_expect_eq(cfg->http_max_per_address, 32);
    cr_expect_eq(cfg->http_request_timeout, 10);
    cr_expect_eq(cfg->http_idle_timeout, 30);
    config_free(cfg);
    rc = load("[gateway]\nhttp_max_connections = 4\nhttp_max_per_address = 2\n"
              "http_request_timeout = 3\nhttp_idle_timeout = 60\n"
              "[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n",
              &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_eq(cfg->http_max_connections, 4);
    cr_expect_eq(cfg->http_max_per_address, 2);
    cr_expect_eq(cfg->http_request_timeout, 3);
    cr_expect_eq(cfg->http_idle_timeout, 60);
    config_free(cfg);
    rc = load("[gateway]\nhttp_max_connections = 0\nhttp_max_per_address = many\n"
              "http_request_timeout = 0\nhttp_idle_timeout = -1\n"
              "[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n",
              &cfg);
    cr_expect_neq(rc, 0);
    cr_expect(
        strstr(errs, "[gateway] http_max_connections = '0': expected a whole number from 1") !=
            NULL,
        "%s", errs);
    cr_expect(strstr(errs, "[gateway] http_max_per_address = 'many'") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[gateway] http_request_timeout = '0'") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[gateway] http_idle_timeout = '-1'") != NULL, "%s", errs);
    cr_expect_eq(lines(errs), 4, "one line per problem:\n%s", errs);
    config_free(cfg);
}

Test(config, ussd_allowed_is_a_list_of_codes)
{
    struct config *cfg;
    int rc = load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
                  "ussd_allowed = *888#, *123*1#\n"
                  "[modem:b]\nmodel = dummy\nconnection = none\ndevice = @\n",
                  &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_str_eq(config_modem(cfg, "a")->ussd_allowed, "*888#, *123*1#");
    cr_expect_str_eq(config_modem(cfg, "b")->ussd_allowed, "", "none besides balance_code");
    cr_expect(modem_config_equal(config_modem(cfg, "a"), config_modem(cfg, "b")),
              "the gateway's list: no reason to restart a worker");
    config_free(cfg);
    rc = load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
              "ussd_allowed = *888#, 123#x\n",
              &cfg);
    cr_expect_neq(rc, 0);
    cr_expect(strstr(errs, "[modem:a] ussd_allowed: '123#x' is not a USSD code") != NULL, "%s",
              errs);
    cr_expect_eq(lines(errs), 1, "%s", errs);
    config_free(cfg);
}

Test(config, emergency_numbers_default_and_are_digits)
{
    struct config *cfg;
    int rc = load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n", &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_str_eq(cfg->emergency_number, "112");
    cr_expect_str_eq(cfg->bpbd_number, "117");
    cr_expect_str_eq(cfg->fire_number, "113");
    cr_expect_str_eq(cfg->pln_number, "123");
    cr_expect_str_eq(cfg->police_number, "110");
    cr_expect_eq(cfg->urgent_deadline_hours, 24);
    config_free(cfg);
    rc = load("[gateway]\nbpbd_number = 0285391234\nfire_number =\nurgent_deadline_hours = 6\n"
              "[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n",
              &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_str_eq(cfg->bpbd_number, "0285391234");
    cr_expect_str_eq(cfg->fire_number, "");
    cr_expect_eq(cfg->urgent_deadline_hours, 6);
    config_free(cfg);
    rc = load("[gateway]\npln_number = 123 ext\npolice_number = +62110\n"
              "emergency_number = 0285-391234567890123\nurgent_deadline_hours = 0\n"
              "[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n",
              &cfg);
    cr_expect_neq(rc, 0);
    cr_expect(strstr(errs, "[gateway] pln_number = '123 ext': expected a telephone number") != NULL,
              "%s", errs);
    cr_expect(strstr(errs, "[gateway] police_number = '+62110'") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[gateway] emergency_number") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[gateway] urgent_deadline_hours = '0'") != NULL, "%s", errs);
    cr_expect_eq(lines(errs), 4, "one line per problem:\n%s", errs);
    config_free(cfg);
}

Test(config, probe_keys_default_and_are_checked)
{
    struct config *cfg;
    int rc = load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
                  "own_number = 0812-9999-0001\nprobe_timeout_seconds = 30\n"
                  "[modem:b]\nmodel = dummy\nconnection = none\ndevice = @\n",
                  &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_str_eq(config_modem(cfg, "a")->own_number, "0812-9999-0001");
    cr_expect_eq(config_modem(cfg, "a")->probe_timeout_seconds, 30);
    cr_expect_str_eq(config_modem(cfg, "b")->own_number, "", "unknown unless said");
    cr_expect_eq(config_modem(cfg, "b")->probe_timeout_seconds, 120);
    cr_expect_not(modem_config_equal(config_modem(cfg, "a"), config_modem(cfg, "b")),
                  "the worker uses them: a change restarts it");
    config_free(cfg);
    rc = load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
              "own_number = TELKOMSEL\nprobe_timeout_seconds = 4\n",
              &cfg);
    cr_expect_neq(rc, 0);
    cr_expect(strstr(errs, "[modem:a] own_number = 'TELKOMSEL': expected the SIM's own mobile "
                           "number") != NULL,
              "%s", errs);
    cr_expect(strstr(errs, "probe_timeout_seconds") != NULL, "%s", errs);
    cr_expect_eq(lines(errs), 2, "%s", errs);
    config_free(cfg);
}

Test(config, cmti_poll_seconds_defaults_to_a_minute_and_is_bounded)
{
    struct config *cfg;
    cr_assert_eq(load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n", &cfg), 0, "%s",
                 errs);
    cr_expect_eq(cfg->modems[0].poll_seconds, 5);
    cr_expect_eq(cfg->modems[0].cmti_poll_seconds, 60);
    config_free(cfg);
    cr_assert_eq(load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
                      "cmti_poll_seconds = 15\n",
                      &cfg),
                 0, "%s", errs);
    cr_expect_eq(cfg->modems[0].cmti_poll_seconds, 15);
    config_free(cfg);
    cr_expect_neq(load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
                       "cmti_poll_seconds = 0\n",
                       &cfg),
                  0);
    cr_expect(strstr(errs, "cmti_poll_seconds") != NULL, "names the key: %s", errs);
    config_free(cfg);
    cr_expect_neq(load("[modem:a]\nmodel = dummy\nconnection = none\ndevice = @\n"
                       "cmti_poll_seconds = 3601\n",
                       &cfg),
                  0);
    config_free(cfg);
}
