/* Integration: /api/broadcasts over real HTTP against the running gateway,
 * a real Redis and the dummy modem, and kentongan-ctl's broadcast commands
 * against it: creation from areas, numbers and CSV (opted-out numbers left
 * out, nobody twice), progress until done, pages, cancel, and every
 * refusal with its status and reason. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T_STAFF    "desk-secret-9"
#define T_OFFICIAL "budi-secret-8"

static struct kt_env env;
static int port;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    port = kt_free_port();
    char staff[65], official[65], extra[256], modems[2048];
    kt_sha256_hex(T_STAFF, staff);
    kt_sha256_hex(T_OFFICIAL, official);
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nquiet_hours =", port);
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\nper_day = 100000\n"
             "[official:budi]\nphone = 081311110001\nopd = DPUPR\nrole = liaison\n"
             "[token:desk]\nsha256 = %s\nrole = staff\n"
             "[token:budi]\nsha256 = %s\nrole = official\nopd = DPUPR\nofficial = budi\n",
             env.modem_dir, staff, official);
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    char raw[512];
    int code = -1;
    for (int i = 0; i < 100 && code != 200; i++) {
        code = kt_http(port, "GET", "/readyz", NULL, raw, sizeof(raw));
        if (code != 200)
            usleep(100000);
    }
    cr_assert_eq(code, 200, "gateway ready");
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(api_broadcast, .init = setup, .fini = teardown, .timeout = 120);

/* One call; returns the status, the parsed JSON body in *doc (NULL if none). */
static int call(const char *method, const char *path, const char *token, const char *body,
                json_t **doc)
{
    static char raw[1 << 17];
    char header[128] = "";
    if (token)
        snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
    int code = token ? kt_http_header(port, method, path, header, body, raw, sizeof(raw))
                     : kt_http(port, method, path, body, raw, sizeof(raw));
    const char *b = strstr(raw, "\r\n\r\n");
    *doc = b ? json_loads(b + 4, 0, NULL) : NULL;
    return code;
}

static const char *error_of(json_t *doc)
{
    const char *e = json_string_value(json_object_get(doc, "error"));
    return e ? e : "";
}

static void subscribe(const char *num, const char *area)
{
    cr_assert_eq(kt_subscribe(&env, num, area), 0);
}

static long long field_int(json_t *doc, const char *name)
{
    return json_integer_value(json_object_get(doc, name));
}

static int wait_status(long long id, const char *want, json_t **doc)
{
    char path[64];
    snprintf(path, sizeof(path), "/api/broadcasts/%lld", id);
    for (int i = 0; i < 300; i++) {
        cr_assert_eq(call("GET", path, T_STAFF, NULL, doc), 200);
        const char *st = json_string_value(json_object_get(*doc, "status"));
        if (st && strcmp(st, want) == 0)
            return 1;
        json_decref(*doc);
        usleep(100000);
    }
    *doc = NULL;
    return 0;
}

Test(api_broadcast, create_from_areas_numbers_and_csv_then_follow_it_to_the_end)
{
    for (int i = 0; i < 20; i++) {
        char num[32];
        snprintf(num, sizeof(num), "62812700%05d", i);
        subscribe(num, "kec:33.25.03");
    }
    /* an opted-out number on the uploaded list is never reached */
    redisReply *r = kt_redis(&env, "SET kt:optout:6281270099990 1");
    freeReplyObject(r);
    json_t *doc;
    const char *body =
        "{\"text\": \"Pasar murah di alun-alun Batang, Sabtu 08.00.\", \"parts\": 1,"
        " \"areas\": [\"kecamatan:Blado\"],"
        " \"numbers\": [\"081270099999\", \"0812-7009-9998\", \"081270000001\"],"
        " \"csv\": \"nomor,nama\\n081270099997,Sri\\n081270099990,Joko\\n081270099999,Ani\\n\"}";
    int code = call("POST", "/api/broadcasts", T_STAFF, body, &doc);
    cr_assert_eq(code, 201, "%d %s", code, error_of(doc));
    long long id = field_int(doc, "id");
    cr_expect_eq(id, 1);
    cr_expect_eq(field_int(doc, "recipients"), 23, "20 + 3 new numbers, no repeats, no opt-out");
    cr_expect_str_eq(json_string_value(json_object_get(doc, "coding")), "gsm7");
    json_decref(doc);
    cr_assert(wait_status(id, "done", &doc), "finished");
    cr_expect_eq(field_int(doc, "sent"), 23);
    cr_expect_eq(field_int(doc, "failed"), 0);
    cr_expect_eq(field_int(doc, "recipients"), 23);
    cr_expect(json_is_object(json_object_get(doc, "failures")));
    cr_expect_str_eq(json_string_value(json_object_get(doc, "actor")), "api:desk");
    cr_expect(strstr(json_string_value(json_object_get(doc, "text")), "BERHENTI") != NULL,
              "the opt-out line is part of the text");
    json_decref(doc);
    cr_expect_eq(kt_sent_to(&env, "6281270099990", NULL, 0), 0, "opted out");
    cr_expect_eq(kt_sent_to(&env, "6281270099999", NULL, 0), 1, "listed twice, sent once");
    cr_expect_eq(kt_sent_to(&env, "6281270000001", NULL, 0), 1, "subscriber and listed: once");

    /* a second, scheduled an hour ahead: waits, then is cancelled */
    char later[256];
    snprintf(later, sizeof(later),
             "{\"text\": \"Besok pemadaman listrik.\", \"areas\": [\"all\"], \"at\": %lld}",
             kt_now(&env) + 3600);
    cr_assert_eq(call("POST", "/api/broadcasts", T_STAFF, later, &doc), 201);
    long long second = field_int(doc, "id");
    json_decref(doc);
    cr_assert(wait_status(second, "scheduled", &doc));
    json_decref(doc);
    cr_expect_eq(kt_sent_to(&env, "6281270000002", NULL, 0), 1, "nothing of it sent yet");
    cr_assert_eq(call("GET", "/api/broadcasts?limit=1", T_STAFF, NULL, &doc), 200);
    cr_expect_eq(field_int(doc, "total"), 2);
    cr_expect_eq(json_array_size(json_object_get(doc, "items")), 1);
    cr_expect_eq(field_int(json_array_get(json_object_get(doc, "items"), 0), "id"), second,
                 "newest first");
    json_decref(doc);
    char path[64];
    snprintf(path, sizeof(path), "/api/broadcasts/%lld/cancel", second);
    cr_assert_eq(call("POST", path, T_STAFF, "", &doc), 200, "%s", error_of(doc));
    cr_expect_str_eq(json_string_value(json_object_get(doc, "status")), "cancelled");
    cr_expect_eq(field_int(doc, "cancelled"), 20, "every recipient accounted for");
    json_decref(doc);
    cr_expect_eq(call("POST", path, T_STAFF, "", &doc), 409, "already cancelled");
    json_decref(doc);
    cr_expect_eq(call("POST", "/api/broadcasts/1/cancel", T_STAFF, "", &doc), 409, "done");
    cr_expect(strstr(error_of(doc), "done") != NULL, "%s", error_of(doc));
    json_decref(doc);
}

Test(api_broadcast, refusals_say_why)
{
    json_t *doc;
    const struct {
        const char *token, *body;
        int status;
        const char *says;
    } cases[] = {
        {NULL, "{\"text\": \"x\", \"areas\": [\"all\"]}", 401, ""},
        {"wrong-token", "{\"text\": \"x\", \"areas\": [\"all\"]}", 401, ""},
        {T_OFFICIAL, "{\"text\": \"x\", \"areas\": [\"all\"]}", 403, ""},
        {T_STAFF, "{\"text\": ", 400, ""},
        {T_STAFF, "[1, 2]", 400, ""},
        {T_STAFF, "{\"areas\": [\"all\"]}", 400, "text"},
        {T_STAFF, "{\"text\": \"x\"}", 400, "audience"},
        {T_STAFF, "{\"text\": \"x\", \"areas\": [\"desa:Atlantis\"]}", 400, "Atlantis"},
        {T_STAFF, "{\"text\": \"x\", \"areas\": [\"provinsi:Jateng\"]}", 400, "expected"},
        {T_STAFF, "{\"text\": \"x\", \"areas\": [\"all\"], \"colour\": 1}", 400, "colour"},
        {T_STAFF, "{\"text\": \"x\", \"numbers\": [\"081234567890\", \"12345\"]}", 400,
         "numbers[1]"},
        {T_STAFF, "{\"text\": \"x\", \"csv\": \"nomor\\n081234567890\\nabc\\n\"}", 400, "line 3"},
        {T_STAFF, "{\"text\": \"x\", \"areas\": [\"all\"], \"parts\": 9}", 400, "parts"},
        {T_STAFF, "{\"text\": \"x\", \"areas\": [\"all\"], \"emergency\": \"yes\"}", 400,
         "emergency"},
        {T_STAFF, "{\"text\": \"x\", \"areas\": [\"all\"], \"at\": 99999999999}", 400, "30 days"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int code = call("POST", "/api/broadcasts", cases[i].token, cases[i].body, &doc);
        cr_expect_eq(code, cases[i].status, "case %zu: %d %s", i, code, error_of(doc));
        cr_expect(strstr(error_of(doc), cases[i].says) != NULL, "case %zu says '%s': %s", i,
                  cases[i].says, error_of(doc));
        json_decref(doc);
    }
    /* too long for the parts asked: how many it needs and why */
    char body[1024] = "{\"text\": \"";
    for (int i = 0; i < 100; i++)
        strcat(body, "b");
    strcat(body, " \xF0\x9F\x99\x8F\", \"areas\": [\"all\"]}");
    cr_expect_eq(call("POST", "/api/broadcasts", T_STAFF, body, &doc), 400);
    cr_expect(strstr(error_of(doc), "2 SMS parts") && strstr(error_of(doc), "UCS-2"), "%s",
              error_of(doc));
    json_decref(doc);
    cr_expect_eq(call("GET", "/api/broadcasts/999", T_STAFF, NULL, &doc), 404);
    json_decref(doc);
    cr_expect_eq(call("GET", "/api/broadcasts/abc", T_STAFF, NULL, &doc), 404);
    json_decref(doc);
    cr_expect_eq(call("POST", "/api/broadcasts/999/cancel", T_STAFF, "", &doc), 404);
    json_decref(doc);
    cr_expect_eq(call("GET", "/api/broadcasts?limit=0", T_STAFF, NULL, &doc), 400);
    json_decref(doc);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:bc:seq"), 0, "nothing created");
}

static int ctl(const char *args, char *out, size_t len)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "KENTONGAN_URL=http://127.0.0.1:%d KENTONGAN_TOKEN=%s %s/kentongan-ctl %s 2>&1", port,
             T_STAFF, env.build, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(api_broadcast, kentongan_ctl_sends_follows_shows_and_cancels)
{
    for (int i = 0; i < 5; i++) {
        char num[32];
        snprintf(num, sizeof(num), "62812700%05d", i);
        subscribe(num, "kec:33.25.03");
    }
    char out[8192];
    int rc =
        ctl("broadcast send --area kecamatan:Blado --text 'Posyandu hari Rabu.'", out, sizeof(out));
    cr_expect_eq(rc, 0, "followed to the end: %s", out);
    json_t *doc;
    cr_assert_eq(call("GET", "/api/broadcasts/1", T_STAFF, NULL, &doc), 200);
    cr_expect_str_eq(json_string_value(json_object_get(doc, "status")), "done");
    cr_expect_eq(field_int(doc, "sent"), 5);
    json_decref(doc);
    rc = ctl("--json broadcast show 1", out, sizeof(out));
    cr_expect_eq(rc, 0, "%s", out);
    json_t *shown = json_loads(out, 0, NULL);
    cr_expect_eq(field_int(shown, "recipients"), 5, "%s", out);
    json_decref(shown);
    rc = ctl("broadcast send --area desa:Atlantis --text x --detach", out, sizeof(out));
    cr_expect_eq(rc, 1, "refused: %s", out);
    cr_expect(strstr(out, "Atlantis") != NULL, "%s", out);
    rc = ctl("broadcast cancel 1", out, sizeof(out));
    cr_expect_eq(rc, 1, "already done: %s", out);
    rc = ctl("broadcast list", out, sizeof(out));
    cr_expect_eq(rc, 0, "%s", out);
    /* an uploaded list of numbers */
    char csv[400], args[600];
    snprintf(csv, sizeof(csv), "%s/list.csv", env.dir);
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    fputs("nomor,nama\n081270055555,Wati\n081270055556,Budi\n", f);
    fclose(f);
    snprintf(args, sizeof(args), "--json broadcast send --csv %s --text 'Rapat RT Sabtu.' --detach",
             csv);
    rc = ctl(args, out, sizeof(out));
    cr_expect_eq(rc, 0, "%s", out);
    json_t *made = json_loads(out, 0, NULL);
    cr_expect_eq(field_int(made, "recipients"), 2, "%s", out);
    json_decref(made);
    rc = ctl("broadcast send --csv /nonexistent.csv --text x --detach", out, sizeof(out));
    cr_expect_eq(rc, 2, "a file that cannot be read is a usage error: %s", out);
}
