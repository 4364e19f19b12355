/* Integration: delivery reports. A broadcast to ten subscribers over two
 * simulated AT modems (tests/atsim behind libgammu's proxyat) asks the
 * network for a status report per message; the simulator answers each with
 * an SMS-STATUS-REPORT stored on the SIM and announced with +CDSI. The
 * workers match them (modem, TP-MR, recipient) and count them once into
 * kt:bc:1 delivered (or undelivered), which GET /api/broadcasts/1 shows.
 * Reports are never routed as residents' messages and never answered. */
#include "tests/lib/atsim_ctl.h"
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MODEMS     2
#define RECIPIENTS 10
#define TOKEN      "dlr-desk-secret-3"
static char token_sha[65]; /* what [token:desk] holds: the SHA-256 of TOKEN */

static struct kt_env env;
static char simdir[MODEMS][400];
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

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    char atsim[400], device[1024], modems[4096] = "", extra[128];
    snprintf(atsim, sizeof(atsim), "%s/atsim", env.build);
    if (access(atsim, X_OK) != 0)
        cr_skip_test("AT simulator not built: %s", atsim);
    sha256_hex(TOKEN, token_sha);
    for (int i = 0; i < MODEMS; i++) {
        snprintf(simdir[i], sizeof(simdir[i]), "%s/sim%d", env.dir, i + 1);
        cr_assert_eq(atsim_init_dir(simdir[i]), 0);
        cr_assert_eq(atsim_device(atsim, simdir[i], device, sizeof(device)), 0);
        size_t used = strlen(modems);
        snprintf(modems + used, sizeof(modems) - used,
                 "[modem:at%d]\nmodel = at\nconnection = proxyat\ndevice = %s\n"
                 "poll_seconds = 3600\nper_minute = 600\nper_day = 1000\n",
                 i + 1, device);
    }
    size_t used = strlen(modems);
    snprintf(modems + used, sizeof(modems) - used, "[token:desk]\nsha256 = %s\nrole = staff\n",
             token_sha);
    port = kt_free_port();
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nquiet_hours =", port);
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(dlr, .init = setup, .fini = teardown, .timeout = 120);

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
    long long v = kt_redis_int(&env, "HGET kt:bc:1 %s", field);
    return v < 0 ? 0 : v; /* a counter nothing moved yet */
}

static int field_reaches(struct kt_env *e, void *arg)
{
    return bc_int((const char *)arg) >= RECIPIENTS;
}

/* Ten subscribers of one kecamatan, and a broadcast to them (kt:bc:1). */
static void broadcast_to_ten(void)
{
    cr_assert(kt_wait(&env, 60, all_up, NULL), "modems up");
    for (int i = 0; i < RECIPIENTS; i++) {
        char num[32];
        snprintf(num, sizeof(num), "62812720%05d", i);
        redisReply *r =
            kt_redis(&env,
                     "FCALL kt_subscribe 3 kt:sub:%s kt:subs:kec:33.25.03 kt:consent:%s %s "
                     "kec:33.25.03 1 test -",
                     num, num, num);
        cr_assert(r && r->type == REDIS_REPLY_INTEGER);
        freeReplyObject(r);
    }
    long long reached = 0;
    cr_assert_gt(kt_bc_create(&env, "kt:subs:kec:33.25.03",
                              "Posyandu Sabtu jam 8 di balai desa. Balas BERHENTI utk berhenti.", 0,
                              &reached),
                 0);
    cr_assert_eq(reached, RECIPIENTS);
}

/* kt:reports entries with this outcome. */
static int reports_with(const char *outcome)
{
    redisReply *r = kt_redis(&env, "XRANGE kt:reports - +");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY);
    int n = 0;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *f = r->element[i]->element[1];
        for (size_t k = 0; k + 1 < f->elements; k += 2)
            if (strcmp(f->element[k]->str, "outcome") == 0 &&
                strcmp(f->element[k + 1]->str, outcome) == 0)
                n++;
    }
    freeReplyObject(r);
    return n;
}

static int handed_to_modems(void)
{
    int total = 0;
    for (int m = 0; m < MODEMS; m++)
        total += atsim_read_sent(simdir[m], NULL, 0);
    return total;
}

static long long stat_sum(const char *what)
{
    long long n = 0;
    for (int m = 1; m <= MODEMS; m++) {
        long long v = kt_redis_int(&env, "HGET kt:stats dlr:at%d:%s", m, what);
        n += v < 0 ? 0 : v;
    }
    return n;
}

/* Nothing a report carries reached the router or a resident. */
static void reports_stay_out_of_the_inbound_path(void)
{
    usleep(1500 * 1000); /* room for a wrong answer to show up */
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:in"), 0, "no report became a resident's message");
    cr_expect_eq(handed_to_modems(), RECIPIENTS, "nothing but the broadcast was sent");
    for (int m = 0; m < MODEMS; m++)
        cr_expect(kt_wait(&env, 30, atsim_sim_empty, simdir[m]), "reports are deleted from SIM %d",
                  m + 1);
}

Test(dlr, broadcast_counts_delivered_reports_and_the_api_shows_them)
{
    broadcast_to_ten();
    if (!kt_wait(&env, 60, field_reaches, "delivered"))
        kt_dump_log(&env);
    cr_assert_eq(bc_int("delivered"), RECIPIENTS, "delivered %lld, sent %lld", bc_int("delivered"),
                 bc_int("sent"));
    cr_expect_eq(bc_int("sent"), RECIPIENTS);
    cr_expect_eq(bc_int("undelivered"), 0);
    cr_expect_eq(reports_with("delivered"), RECIPIENTS);
    cr_expect_eq(reports_with("unmatched"), 0);

    char raw[1 << 14], header[128];
    snprintf(header, sizeof(header), "Authorization: Bearer %s", TOKEN);
    int code = kt_http_header(port, "GET", "/api/broadcasts/1", header, NULL, raw, sizeof(raw));
    cr_assert_eq(code, 200, "%s", raw);
    const char *body = strstr(raw, "\r\n\r\n");
    cr_assert_not_null(body);
    json_t *doc = json_loads(body + 4, 0, NULL);
    cr_assert_not_null(doc, "%s", body);
    json_t *b = json_object_get(doc, "broadcast") ? json_object_get(doc, "broadcast") : doc;
    cr_expect_eq(json_integer_value(json_object_get(b, "delivered")), RECIPIENTS, "%s", body + 4);
    cr_expect_eq(json_integer_value(json_object_get(b, "sent")), RECIPIENTS);
    cr_expect_eq(json_integer_value(json_object_get(b, "undelivered")), 0);
    json_decref(doc);

    reports_stay_out_of_the_inbound_path();
}

Test(dlr, a_report_arriving_twice_counts_once)
{
    for (int m = 0; m < MODEMS; m++)
        cr_assert_eq(atsim_set_reports(simdir[m], "twice"), 0);
    broadcast_to_ten();
    if (!kt_wait(&env, 60, field_reaches, "delivered"))
        kt_dump_log(&env);
    cr_assert_eq(bc_int("delivered"), RECIPIENTS);
    /* wait for every second copy to be read */
    for (int i = 0; i < 100 && stat_sum("duplicate") < RECIPIENTS; i++)
        usleep(100 * 1000);
    cr_expect_eq(stat_sum("duplicate"), RECIPIENTS, "the second copies were seen");
    cr_expect_eq(bc_int("delivered"), RECIPIENTS, "and not counted again");
    cr_expect_eq(reports_with("delivered"), RECIPIENTS);
    reports_stay_out_of_the_inbound_path();
}

Test(dlr, failure_reports_count_as_undelivered)
{
    for (int m = 0; m < MODEMS; m++)
        cr_assert_eq(atsim_set_reports(simdir[m], "fail"), 0);
    broadcast_to_ten();
    if (!kt_wait(&env, 60, field_reaches, "undelivered"))
        kt_dump_log(&env);
    cr_assert_eq(bc_int("undelivered"), RECIPIENTS);
    cr_expect_eq(bc_int("delivered"), 0);
    cr_expect_eq(bc_int("sent"), RECIPIENTS, "sent stays what the network accepted");
    cr_expect_eq(reports_with("undelivered"), RECIPIENTS);
    reports_stay_out_of_the_inbound_path();
}
