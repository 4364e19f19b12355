/* Integration: one malformed or special SMS on the SIM never silences a modem. Each case puts
 * a message on the AT modem simulator's SIM (a raw SMS-DELIVER TPDU), then a normal INFO from
 * another number: the INFO is answered, the first is on kt:quarantine with its PDU and kind,
 * never answered, and off the SIM. A worker killed while it decodes a location leaves a record
 * behind; the next worker keeps that location aside without decoding it. */
#include "tests/lib/atsim_ctl.h"
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct kt_env env;
static char simdir[400];
static int port;

#define T_ADMIN    "quarantine-admin-token-0123456789"
#define T_STAFF    "quarantine-staff-token-0123456789"
#define T_OFFICIAL "quarantine-official-token-0123456"

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    snprintf(simdir, sizeof(simdir), "%s/sim1", env.dir);
    char modems[2048] = "";
    int rc = atsim_modem_section(env.build, simdir, "at1",
                                 "poll_seconds = 2\nper_minute = 600\nper_day = 100000\n", modems,
                                 sizeof(modems));
    if (rc == -2)
        cr_skip_test("AT simulator not built in %s", env.build);
    cr_assert_eq(rc, 0);
    char h_admin[65], h_staff[65], h_official[65], extra[128];
    kt_sha256_hex(T_ADMIN, h_admin);
    kt_sha256_hex(T_STAFF, h_staff);
    kt_sha256_hex(T_OFFICIAL, h_official);
    size_t used = strlen(modems);
    snprintf(modems + used, sizeof(modems) - used,
             "[official:budi]\nphone = 081311110001\nopd = DPUPR\nrole = liaison\n"
             "[token:ops]\nsha256 = %s\nrole = admin\n"
             "[token:desk]\nsha256 = %s\nrole = staff\n"
             "[token:budi]\nsha256 = %s\nrole = official\nopd = dpupr\nofficial = budi\n",
             h_admin, h_staff, h_official);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\n", port);
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(quarantine, .init = setup, .fini = teardown, .timeout = 180);

/* The parts of an SMS-DELIVER from +6281234567890, sent 2026-12-08 10:20:30 +07. */
#define OA   "0D91261832547698F0"
#define SCTS "62218001020382"

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

struct entry {
    char kind[32], reason[32], pdu[1100], location[16], error[160], preview[200];
};

/* The quarantine entries, oldest first; returns how many (at most max filled). */
static int entries(struct entry *out, int max)
{
    redisReply *r = kt_redis(&env, "XRANGE kt:quarantine - +");
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return -1;
    }
    int n = (int)r->elements;
    for (int i = 0; i < n && i < max; i++) {
        redisReply *f = r->element[i]->element[1];
        memset(&out[i], 0, sizeof(out[i]));
        for (size_t k = 0; k + 1 < f->elements; k += 2) {
            const char *name = f->element[k]->str, *v = f->element[k + 1]->str;
            if (strcmp(name, "kind") == 0)
                snprintf(out[i].kind, sizeof(out[i].kind), "%s", v);
            else if (strcmp(name, "reason") == 0)
                snprintf(out[i].reason, sizeof(out[i].reason), "%s", v);
            else if (strcmp(name, "pdu") == 0)
                snprintf(out[i].pdu, sizeof(out[i].pdu), "%s", v);
            else if (strcmp(name, "location") == 0)
                snprintf(out[i].location, sizeof(out[i].location), "%s", v);
            else if (strcmp(name, "error") == 0)
                snprintf(out[i].error, sizeof(out[i].error), "%s", v);
            else if (strcmp(name, "preview") == 0)
                snprintf(out[i].preview, sizeof(out[i].preview), "%s", v);
        }
    }
    freeReplyObject(r);
    return n;
}

static int has_entries(struct kt_env *e, void *arg)
{
    struct entry none[1];
    return entries(none, 0) >= *(int *)arg;
}

/* Puts tpdu on the SIM, then an INFO from `from`; waits for the INFO's answer. */
static void bad_then_info(const char *tpdu, const char *from, const char *to)
{
    cr_assert_eq(atsim_deliver_pdu(simdir, tpdu), 0);
    cr_assert_eq(atsim_deliver(simdir, from, "INFO", NULL, NULL), 0);
    char out[512];
    if (kt_wait_sent_to(&env, to, 1, 60, out, sizeof(out)) < 1)
        kt_dump_log(&env);
    cr_assert_eq(kt_sent_to(&env, to, NULL, 0), 1, "the INFO after it is answered, once");
}

static const struct {
    const char *reason, *tpdu;
} malformed[] = {
    /* UDL says 10 septets (9 octets); 4 follow */
    {"udl_overrun", "04" OA "0000" SCTS "0A49A7F109"},
    /* UDHI, 8-bit: the header says 10 octets of 5 */
    {"udh_overrun", "44" OA "0004" SCTS "060A0003010201"},
    /* an address of 255 digits in a PDU of 24 octets */
    {"address_overrun", "04FF91261832547698F0000062218001020382"
                        "0449A7F109"},
    /* UCS-2 with 3 octets of text */
    {"ucs2_odd", "04" OA "0008" SCTS "03004900"},
    /* cut in the middle of the timestamp */
    {"truncated", "04" OA "0000"
                  "6221"},
};

Test(quarantine, each_malformed_message_is_kept_aside_and_the_next_is_answered)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL), "modem connected");
    int n = (int)(sizeof(malformed) / sizeof(malformed[0]));
    for (int i = 0; i < n; i++) {
        char from[32], to[32];
        snprintf(from, sizeof(from), "+62812770000%02d", i);
        snprintf(to, sizeof(to), "62812770000%02d", i);
        bad_then_info(malformed[i].tpdu, from, to);
    }
    cr_assert(kt_wait(&env, 30, has_entries, &n), "every malformed message kept aside");
    cr_assert(kt_wait(&env, 30, sim_empty, NULL), "and deleted from the SIM");
    struct entry e[8];
    cr_assert_eq(entries(e, 8), n, "one entry each, logged and kept once");
    for (int i = 0; i < n; i++) {
        cr_expect_str_eq(e[i].kind, "malformed");
        cr_expect_str_eq(e[i].reason, malformed[i].reason, "entry %d", i);
        /* the PDU as the modem wrote it: the SMSC prefix, then the TPDU */
        cr_expect(strlen(e[i].pdu) > strlen(malformed[i].tpdu) &&
                      strcmp(e[i].pdu + strlen(e[i].pdu) - strlen(malformed[i].tpdu),
                             malformed[i].tpdu) == 0,
                  "PDU kept: %s", e[i].pdu);
        cr_expect_neq(atoi(e[i].location), 0);
    }
    cr_expect_eq(kt_sent(&env, NULL, 0), n, "nothing but the INFOs answered");
    char out[8192];
    cr_assert_eq(kt_http(port, "GET", "/metrics", NULL, out, sizeof(out)), 200);
    cr_expect(strstr(out, "kentongan_sms_quarantined_total{modem=\"at1\",kind=\"malformed\","
                          "reason=\"udl_overrun\"} 1") != NULL,
              "counted in /metrics");
}

static void check_api(int n);

static const struct {
    const char *kind, *tpdu;
} special[] = {
    /* class 0 (flash), GSM 7-bit "INFO" */
    {"flash", "04" OA "0010" SCTS "0449A7F109"},
    /* WAP push to port 2948: WSP push of application/vnd.wap.sic */
    {"wap_push", "44" OA "0004" SCTS "0C0605040B8423F0010601AE00"},
    /* the same with an MMS notification's content type */
    {"mms", "44" OA "0004" SCTS "0C0605040B8423F0010602BE00"},
    /* message waiting by TP-DCS: discard group, voicemail active, "INFO" */
    {"voicemail", "04" OA "00C8" SCTS "0449A7F109"},
    /* message waiting by UDH IEI 0x01: fax, one waiting */
    {"message_waiting", "44" OA "0004" SCTS "0704010201016869"},
    /* SIM data download (TP-PID 0x7F), class 2 8-bit */
    {"sim_download", "04" OA "7FF6" SCTS "020102"},
    /* short message type 0 (TP-PID 0x40) */
    {"silent", "04" OA "4000" SCTS "00"},
};

Test(quarantine, special_messages_are_stored_as_what_they_are_and_never_answered)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL), "modem connected");
    int n = (int)(sizeof(special) / sizeof(special[0]));
    for (int i = 0; i < n; i++) {
        char from[32], to[32];
        snprintf(from, sizeof(from), "+62812880000%02d", i);
        snprintf(to, sizeof(to), "62812880000%02d", i);
        bad_then_info(special[i].tpdu, from, to);
    }
    cr_assert(kt_wait(&env, 30, has_entries, &n), "every special message stored");
    cr_assert(kt_wait(&env, 30, sim_empty, NULL), "and deleted from the SIM");
    struct entry e[8];
    cr_assert_eq(entries(e, 8), n);
    for (int i = 0; i < n; i++) {
        cr_expect_str_eq(e[i].kind, special[i].kind, "entry %d", i);
        cr_expect_neq(e[i].pdu[0], '\0', "PDU kept");
    }
    cr_expect_str_eq(e[0].preview, "INFO", "a flash message's text is shown");
    cr_expect_eq(kt_sent_to(&env, "6281234567890", NULL, 0), 0, "none answered");
    cr_expect_eq(kt_sent(&env, NULL, 0), n, "only the INFOs");
    check_api(n);
}

/* GET with a bearer token (NULL none); the status, the body in out. */
static int get(const char *path, const char *token, char *out, size_t len)
{
    char header[128] = "X-None: 1";
    if (token)
        snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
    int status = kt_http_header(port, "GET", path, header, NULL, out, len);
    char *body = strstr(out, "\r\n\r\n");
    if (body)
        memmove(out, body + 4, strlen(body + 4) + 1);
    return status;
}

/* The API and kentongan-ctl list what the special-messages test left: n entries. */
static void check_api(int n)
{
    static char out[65536];
    cr_expect_eq(get("/api/quarantine", NULL, out, sizeof(out)), 401, "a token is needed");
    cr_expect_eq(get("/api/quarantine", T_OFFICIAL, out, sizeof(out)), 403, "staff only");
    cr_expect_eq(get("/api/quarantine?kind=nonsense", T_STAFF, out, sizeof(out)), 400);
    cr_assert_eq(get("/api/quarantine", T_STAFF, out, sizeof(out)), 200, "%s", out);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert_not_null(doc, "JSON: %s", out);
    json_t *items = json_object_get(doc, "items");
    cr_expect_eq(json_array_size(items), (size_t)n);
    cr_expect_eq(json_integer_value(json_object_get(doc, "total")), n);
    json_t *newest = json_array_get(items, 0);
    cr_expect_str_eq(json_string_value(json_object_get(newest, "kind")), "silent", "newest first");
    cr_expect_str_eq(json_string_value(json_object_get(newest, "modem")), "at1");
    cr_expect(json_string_length(json_object_get(newest, "pdu")) > 0);
    json_decref(doc);
    cr_assert_eq(get("/api/quarantine?kind=flash&modem=at1", T_ADMIN, out, sizeof(out)), 200);
    doc = json_loads(out, 0, NULL);
    cr_expect_eq(json_array_size(json_object_get(doc, "items")), 1, "filtered by kind: %s", out);
    cr_expect_eq(json_integer_value(json_object_get(doc, "matched")), 1);
    json_decref(doc);
    cr_assert_eq(get("/api/quarantine?modem=other", T_ADMIN, out, sizeof(out)), 200);
    doc = json_loads(out, 0, NULL);
    cr_expect_eq(json_array_size(json_object_get(doc, "items")), 0, "filtered by modem");
    json_decref(doc);

    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "env -u KENTONGAN_URL -u KENTONGAN_TOKEN HOME=%s KENTONGAN_URL=http://127.0.0.1:%d "
             "KENTONGAN_TOKEN=%s %s/kentongan-ctl quarantine at1 special 2>&1",
             env.dir, port, T_STAFF, env.build);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t got = fread(out, 1, sizeof(out) - 1, p);
    out[got] = '\0';
    int st = pclose(p);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "kentongan-ctl quarantine: %s", out);
    cr_expect(strstr(out, "wap_push") && strstr(out, "voicemail") && strstr(out, "preview: INFO"),
              "%s", out);
    for (size_t i = 0; i < got; i++)
        cr_expect(out[i] == '\n' || ((unsigned char)out[i] >= 0x20 && out[i] != 0x7F),
                  "no raw control character for a terminal (byte %zu)", i);
}

/* How many times the gateway saw a worker die. */
static int worker_exits(void)
{
    FILE *f = fopen(env.log, "r");
    if (f == NULL)
        return -1;
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, "event=worker_exited") != NULL;
    fclose(f);
    return n;
}

/* A PDU that smashes libgammu 1.42's stack (found by fuzzing GSM_DecodePDUFrame): a user-data
 * length of 170 septets, more than 160, with the 149 octets it claims; GSM 7-bit. */
static char crasher[400];

Test(quarantine, a_pdu_that_crashes_libgammu_costs_one_crash_and_is_then_kept_aside)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL), "modem connected");
    int len = snprintf(crasher, sizeof(crasher), "04" OA "0000" SCTS "AA");
    for (int i = 0; i < 149; i++)
        len += snprintf(crasher + len, sizeof(crasher) - (size_t)len, "41");
    cr_assert_eq(atsim_deliver_pdu(simdir, crasher), 0);
    cr_assert_eq(atsim_deliver(simdir, "+6281299900002", "INFO", NULL, NULL), 0);
    char out[512];
    if (kt_wait_sent_to(&env, "6281299900002", 1, 90, out, sizeof(out)) < 1)
        kt_dump_log(&env);
    cr_assert_eq(kt_sent_to(&env, "6281299900002", NULL, 0), 1, "the next message answered");
    struct entry e[4];
    cr_assert_eq(entries(e, 4), 1);
    cr_expect_str_eq(e[0].reason, "crash");
    cr_expect(strstr(e[0].pdu, crasher) != NULL, "PDU from the dead worker's trace: %s", e[0].pdu);
    cr_assert(kt_wait(&env, 30, sim_empty, NULL), "deleted from the SIM");
    int exits = worker_exits();
    if (exits != 1)
        kt_dump_log(&env);
    cr_expect_eq(exits, 1, "one crash, not one per sweep");
    cr_expect_eq(kt_sent(&env, NULL, 0), 1, "only the INFO answered");
}

/* The modem hangs on AT+CMGR=1 and the worker has a decoding record in Redis. */
static int hanging(struct kt_env *e, void *arg)
{
    char path[512], buf[65536];
    snprintf(path, sizeof(path), "%s/atsim.log", simdir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, "hang_cmgr: AT+CMGR=1 not answered") != NULL &&
           kt_redis_int(e, "EXISTS kt:decoding:at1") == 1;
}

Test(quarantine, a_worker_killed_while_decoding_leaves_that_location_aside_after_restart)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL), "modem connected");
    /* Location 1 holds a PDU libgammu fails on; reading it alone, the modem hangs (as the
     * worker would, crashing inside libgammu's decoder): the worker is killed there. */
    cr_assert_eq(atsim_fault_value(simdir, "hang_cmgr", 1), 0);
    cr_assert_eq(atsim_deliver_pdu(simdir, malformed[0].tpdu), 0);
    if (!kt_wait(&env, 60, hanging, NULL))
        kt_dump_log(&env);
    cr_assert(kt_wait(&env, 1, hanging, NULL), "the worker recorded the location it reads");
    pid_t w = kt_worker_pid(&env, "at1");
    cr_assert_gt(w, 0);
    cr_assert_eq(kill(w, SIGKILL), 0);
    /* The next worker must not read location 1 again: it would hang (crash) once more. */
    cr_assert_eq(atsim_deliver(simdir, "+6281299900001", "INFO", NULL, NULL), 0);
    char out[512];
    if (kt_wait_sent_to(&env, "6281299900001", 1, 90, out, sizeof(out)) < 1)
        kt_dump_log(&env);
    cr_assert_eq(kt_sent_to(&env, "6281299900001", NULL, 0), 1, "the next message answered");
    struct entry e[4];
    cr_assert_eq(entries(e, 4), 1);
    cr_expect_str_eq(e[0].reason, "crash");
    cr_expect_str_eq(e[0].location, "1");
    /* The PDU is kept when the transcript has it: a sweep's listing shows it; a location +CMTI
     * named is read alone, and the modem hung before it answered, so no transcript has it. */
    cr_expect(e[0].pdu[0] == '\0' || strstr(e[0].pdu, malformed[0].tpdu) != NULL,
              "PDU from the transcript, or none: %s", e[0].pdu);
    cr_assert(kt_wait(&env, 30, sim_empty, NULL), "deleted from the SIM");
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:decoding:at1"), 0, "record cleared");
    pid_t again = kt_worker_pid(&env, "at1");
    cr_expect(again > 0 && again != w, "a new worker took over");
}

/* ---- the dummy driver: a file it cannot read is kept aside as it is ---- */

static void dummy_setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

TestSuite(quarantine_dummy, .init = dummy_setup, .fini = teardown, .timeout = 120);

Test(quarantine_dummy, an_unreadable_file_is_kept_with_its_content_and_the_next_is_answered)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/sms/1/1", env.modem_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    /* not an smsbackup file, with an escape sequence a terminal would obey */
    fputs("[SMSBackup000]\nPDU = Nonsense\nText00 = zz\x1b[2J\n", f);
    fclose(f);
    cr_assert_eq(kt_dummy_deliver(&env, "081277711111", "INFO", NULL, 0), 0);
    char out[512];
    if (kt_wait_sent_to(&env, "6281277711111", 1, 60, out, sizeof(out)) < 1)
        kt_dump_log(&env);
    cr_assert_eq(kt_sent_to(&env, "6281277711111", NULL, 0), 1, "the next message answered");
    int one = 1;
    cr_assert(kt_wait(&env, 30, has_entries, &one), "kept aside");
    cr_assert(kt_wait(&env, 30, kt_dummy_inbox_empty, NULL), "and deleted");
    redisReply *r = kt_redis(&env, "XRANGE kt:quarantine - +");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    redisReply *fields = r->element[0]->element[1];
    const char *file = "", *kind = "", *pdu = "x";
    for (size_t k = 0; k + 1 < fields->elements; k += 2) {
        if (strcmp(fields->element[k]->str, "file") == 0)
            file = fields->element[k + 1]->str;
        else if (strcmp(fields->element[k]->str, "kind") == 0)
            kind = fields->element[k + 1]->str;
        else if (strcmp(fields->element[k]->str, "pdu") == 0)
            pdu = fields->element[k + 1]->str;
    }
    cr_expect_str_eq(kind, "malformed");
    cr_expect_str_eq(pdu, "", "no PDU with the dummy driver");
    cr_expect(strstr(file, "PDU = Nonsense") && strstr(file, "zz\\x1b[2J"),
              "the file's content, escape written out: %s", file);
    freeReplyObject(r);
}

Test(quarantine, a_special_message_with_a_pin_keeps_no_raw_copy)
{
    cr_assert(kt_wait(&env, 30, modem_up, NULL), "modem connected");
    /* class 0, GSM 7-bit "LAPOR PIN 1234 banjir" */
    bad_then_info("04" OA "0010" SCTS "15CC20F4290541934E504C36A381C461B73A2D07", "+6281288800099",
                  "6281288800099");
    int one = 1;
    cr_assert(kt_wait(&env, 30, has_entries, &one));
    struct entry e[2];
    cr_assert_eq(entries(e, 2), 1);
    cr_expect_str_eq(e[0].kind, "flash");
    cr_expect_str_eq(e[0].pdu, "", "the raw message held a PIN: not kept");
    cr_expect(strstr(e[0].preview, "LAPOR") && !strstr(e[0].preview, "1234"), "preview: %s",
              e[0].preview);
}
