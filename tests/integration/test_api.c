/* Integration: the admin API, GET /metrics, GET /readyz and kentongan-ctl
 * over real HTTP against the running gateway, a real Redis and the dummy
 * modem: every endpoint's answers and refusals, tokens and roles, bounds on
 * bodies and pages, complaint actions as an official's SMS would do them,
 * the metrics text read by a strict parser, and the command-line client's
 * output and exit codes (also against a small fake server for the
 * broadcast commands, which another module serves). */
#include "handlers/ticket.h"
#include "tests/lib/harness.h"
#include "tests/lib/promtext.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <math.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RESIDENT   "081234567890"
#define RESIDENT_N "6281234567890"
#define LIAISON_N  "6281311110001"
#define COORD_N    "6281311110003"

/* Tokens and their SHA-256 (printf %s TOKEN | sha256sum). */
#define T_ADMIN "admin-secret-1"
#define T_STAFF "staff-secret-2"
#define T_BUDI  "budi-secret-3"
#define T_DLH   "dlh-secret-4"

static struct kt_env env;
static int port;

/* ---- HTTP ---- */

struct resp {
    int status;
    char head[4096];
    char *body;
    json_t *json;
};

static void resp_free(struct resp *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

/* One HTTP/1.0 request; writes the whole body even when the server answers
 * and closes early (an oversized body), then reads the whole answer.
 * Returns the status, or -1 when nothing came back. */
static int http_raw(const char *method, const char *path, const char *headers, const char *body,
                    size_t blen, struct resp *r)
{
    memset(r, 0, sizeof(*r));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char head[2048];
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n%s\r\n", method,
                     path, blen, headers);
    if (write(fd, head, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    for (size_t off = 0; off < blen;) {
        ssize_t w = send(fd, body + off, blen - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server refused the rest; its answer may be waiting */
        off += (size_t)w;
    }
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap + 1);
    ssize_t k;
    while ((k = read(fd, buf + got, cap - got)) > 0) {
        got += (size_t)k;
        if (got == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    buf[got] = '\0';
    close(fd);
    if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        free(buf);
        r->status = -1;
        return -1;
    }
    char *sep = strstr(buf, "\r\n\r\n");
    size_t hl = sep ? (size_t)(sep - buf) : got;
    snprintf(r->head, sizeof(r->head), "%.*s", (int)hl, buf);
    r->body = strdup(sep ? sep + 4 : "");
    free(buf);
    r->json = json_loads(r->body, 0, NULL);
    return r->status;
}

/* Only the headers of a request that declares length bytes of body: the
 * status line of the answer, or -1. */
static int http_declared(const char *path, const char *headers, size_t length)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char head[1024], buf[4096];
    int n = snprintf(head, sizeof(head),
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n%s\r\n", path,
                     length, headers);
    int code = -1;
    if (write(fd, head, (size_t)n) == n) {
        ssize_t got = read(fd, buf, sizeof(buf) - 1);
        if (got > 0) {
            buf[got] = '\0';
            sscanf(buf, "HTTP/1.%*d %d", &code);
        }
    }
    close(fd);
    return code;
}

/* A call with a bearer token (NULL: none); retries while the gateway starts. */
static int api(const char *method, const char *path, const char *token, const char *body,
               struct resp *r)
{
    char headers[512] = "";
    if (token)
        snprintf(headers, sizeof(headers), "Authorization: Bearer %s\r\n", token);
    if (body)
        strcat(headers, "Content-Type: application/json\r\n");
    for (int i = 0; i < 100; i++) {
        if (http_raw(method, path, headers, body, body ? strlen(body) : 0, r) > 0)
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

static long long jint(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* Expects status and, for errors, a JSON {"error": "..."}. */
#define expect_status(r, want, what)                                                               \
    do {                                                                                           \
        cr_expect_eq((r)->status, want, "%s: HTTP %d %s", what, (r)->status, (r)->body);           \
        if ((want) >= 400)                                                                         \
            cr_expect(json_is_string(json_object_get((r)->json, "error")),                         \
                      "%s: error is JSON: %s", what, (r)->body);                                   \
    } while (0)

/* ---- the gateway under test ---- */

static void start(const char *gateway_extra, const char *extra_sections, int with_coordinator)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    signal(SIGPIPE, SIG_IGN);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    char h_admin[65], h_staff[65], h_budi[65], h_dlh[65];
    kt_sha256_hex(T_ADMIN, h_admin);
    kt_sha256_hex(T_STAFF, h_staff);
    kt_sha256_hex(T_BUDI, h_budi);
    kt_sha256_hex(T_DLH, h_dlh);
    char extra[512], modems[8192], budi_pin[192], kominfo_pin[192], officials[1024];
    kt_pin_line("081311110001", "1234", budi_pin, sizeof(budi_pin));
    kt_pin_line("081311110003", "2468", kominfo_pin, sizeof(kominfo_pin));
    snprintf(officials, sizeof(officials),
             "[official:budi]\nphone = 081311110001\nopd = DPUPR\nrole = liaison\n%s%s%s", budi_pin,
             with_coordinator ? "[official:kominfo]\nphone = 081311110003\nopd = DISKOMINFO\n"
                                "role = coordinator\n"
                              : "",
             with_coordinator ? kominfo_pin : "");
    snprintf(extra, sizeof(extra),
             "http = 127.0.0.1:%d\nsender_per_minute = 100\ntest_clock = 1\n%s", port,
             gateway_extra ? gateway_extra : "");
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\nper_day = 100000\n%s%s"
             "[token:ops]\nsha256 = %s\nrole = admin\n"
             "[token:desk]\nsha256 = %s\nrole = staff\n"
             "[token:budi]\nsha256 = %s\nrole = official\nopd = dpupr\nofficial = budi\n"
             "[token:dlh]\nsha256 = %s\nrole = official\nopd = DLH\n%s",
             env.modem_dir, officials, "", h_admin, h_staff, h_budi, h_dlh,
             extra_sections ? extra_sections : "");
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    /* ready: Redis connected and the worker up */
    struct resp r;
    int ok = 0;
    for (int i = 0; i < 200 && !ok; i++) {
        ok = api("GET", "/readyz", NULL, NULL, &r) == 200;
        resp_free(&r);
        if (!ok)
            usleep(100000);
    }
    if (!ok)
        kt_dump_log(&env);
    cr_assert(ok, "gateway ready");
}

static void setup(void)
{
    start(NULL, NULL, 1);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(api, .init = setup, .fini = teardown, .timeout = 120);

/* A complaint filed by SMS; its ticket number into ticket. */
static void lapor(const char *from, const char *text, char *ticket, size_t len)
{
    char out[512], norm[32];
    snprintf(norm, sizeof(norm), "62%s", from + 1);
    int rc = kt_exchange(&env, from, text, norm, 20, out, sizeof(out));
    if (rc != 0)
        kt_dump_log(&env);
    cr_assert_eq(rc, 0, "no answer to %s", text);
    const char *p = strstr(out, "tiket ");
    cr_assert_not_null(p, "%s", out);
    snprintf(ticket, len, "%.*s", (int)strspn(p + 6, "0123456789"), p + 6);
}

/* The ticket number of seq. */
static const char *ticket_of(unsigned long long seq)
{
    static char t[8][TICKET_MAX];
    static int next;
    char *out = t[next++ % 8];
    ticket_format(seq, out, TICKET_MAX);
    return out;
}

/* A complaint written straight into Redis, as kt_complaint_new does for an
 * SMS (used where many are needed); returns its seq. */
static long long seed_complaint(int i, const char *status, const char *opd)
{
    long long now = (long long)time(NULL) * 1000;
    redisReply *r =
        kt_redis(&env,
                 "FCALL kt_complaint_new 4 kt:ticket:seq kt:ticket:by-inbound:seed%d "
                 "kt:deadlines kt:tickets:by-phone:62812000000%02d %lld 62812000000%02d "
                 "%s JLN %s Batang Kalisalak %s %lld followup sms seed%d warga:x",
                 i, i, now, i, "seeded", opd, status, now + 86400000LL * 30, i);
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2, "seed %d", i);
    long long seq = r->element[0]->integer;
    freeReplyObject(r);
    return seq;
}

/* ---- authentication and the table ---- */

Test(api, tokens_roles_and_unknown_paths)
{
    struct resp r;
    api("GET", "/api/complaints", NULL, NULL, &r);
    expect_status(&r, 401, "no token");
    cr_expect(strstr(r.head, "WWW-Authenticate: Bearer") != NULL, "%s", r.head);
    resp_free(&r);
    api("GET", "/api/complaints", "not-a-token", NULL, &r);
    expect_status(&r, 401, "wrong token");
    cr_expect(strstr(r.head, "invalid_token") != NULL, "%s", r.head);
    resp_free(&r);
    http_raw("GET", "/api/complaints", "Authorization: Basic YWRtaW46YWRtaW4=\r\n", NULL, 0, &r);
    expect_status(&r, 401, "another scheme");
    resp_free(&r);
    /* a token that is a prefix of a real one is still wrong */
    api("GET", "/api/complaints", "admin-secret", NULL, &r);
    expect_status(&r, 401, "prefix of a token");
    resp_free(&r);

    api("GET", "/api/complaints", T_ADMIN, NULL, &r);
    expect_status(&r, 200, "admin");
    resp_free(&r);
    api("GET", "/api/modems", T_BUDI, NULL, &r);
    expect_status(&r, 403, "official on modems");
    resp_free(&r);
    api("POST", "/api/status/import", T_BUDI, "x", &r);
    expect_status(&r, 403, "official importing");
    resp_free(&r);
    api("GET", "/api/modems", T_STAFF, NULL, &r);
    expect_status(&r, 200, "staff on modems");
    resp_free(&r);

    api("GET", "/api/nothing", T_ADMIN, NULL, &r);
    expect_status(&r, 404, "unknown path");
    resp_free(&r);
    api("GET", "/api/complaints/100014/answer", T_ADMIN, NULL, &r);
    expect_status(&r, 405, "GET on an action");
    cr_expect(strstr(r.head, "Allow: POST") != NULL, "%s", r.head);
    resp_free(&r);
    api("DELETE", "/api/complaints", T_ADMIN, NULL, &r);
    expect_status(&r, 405, "DELETE on complaints");
    resp_free(&r);
    api("GET", "/api//complaints", T_ADMIN, NULL, &r);
    expect_status(&r, 400, "empty segment");
    resp_free(&r);
    api("GET", "/api/complaints?status=%zz", T_ADMIN, NULL, &r);
    expect_status(&r, 400, "malformed query");
    resp_free(&r);
    /* the gateway logs changing calls with the token's name */
    api("POST", "/api/subscribers", T_STAFF, "{}", &r);
    resp_free(&r);
    char cmd[600];
    snprintf(cmd, sizeof(cmd),
             "grep -q 'event=api token=desk method=POST path=/api/subscribers status=400' %s",
             env.log);
    cr_expect_eq(system(cmd), 0, "changing call logged");
}

Test(api, bodies_malformed_too_large_and_oversized)
{
    struct resp r;
    api("POST", "/api/subscribers", T_STAFF, "{\"number\": ", &r);
    expect_status(&r, 400, "malformed JSON");
    cr_expect(strstr(jstr(r.json, "error"), "malformed JSON") != NULL, "%s", r.body);
    resp_free(&r);
    api("POST", "/api/subscribers", T_STAFF, "[1,2]", &r);
    expect_status(&r, 400, "not an object");
    resp_free(&r);
    api("POST", "/api/subscribers", T_STAFF, "{\"a\":1,\"a\":2}", &r);
    expect_status(&r, 400, "duplicate keys");
    resp_free(&r);
    api("POST", "/api/subscribers", T_STAFF, NULL, &r);
    expect_status(&r, 400, "no body");
    resp_free(&r);

    /* a JSON body over 256 KB: the API's own 413, in JSON */
    size_t big = 300 * 1024;
    char *body = malloc(big + 64);
    snprintf(body, big + 64, "{\"number\":\"");
    memset(body + strlen(body), 'x', big);
    strcpy(body + 11 + big, "\"}");
    api("POST", "/api/subscribers", T_STAFF, body, &r);
    expect_status(&r, 413, "JSON over its bound");
    resp_free(&r);
    free(body);

    /* over the listener's 1 MiB: libevent answers 413 from the declared length */
    char declared[256];
    snprintf(declared, sizeof(declared), "Authorization: Bearer %s\r\nX-Pad: 1\r\n", T_STAFF);
    cr_expect_eq(http_declared("/api/status/import", declared, 3 * 1024 * 1024), 413);
    cr_expect_eq(http_declared("/ussd", "", 2 * 1024 * 1024), 413);
    /* and the whole of it sent anyway: refused, the connection closed, no crash */
    size_t huge = 3 * 1024 * 1024;
    body = malloc(huge + 1);
    memset(body, 'y', huge);
    body[huge] = '\0';
    char headers[128];
    snprintf(headers, sizeof(headers), "Authorization: Bearer %s\r\n", T_STAFF);
    int code = http_raw("POST", "/api/status/import", headers, body, huge, &r);
    cr_expect(code == 413 || code == -1, "oversized: %d", code);
    resp_free(&r);
    /* the same to /ussd, which keeps its own small bound */
    code = http_raw("POST", "/ussd", "", body, huge, &r);
    cr_expect(code == 413 || code == -1, "oversized USSD: %d", code);
    resp_free(&r);
    free(body);
    char form[6000] = "sessionId=s1&phoneNumber=081234567890&serviceCode=x&text=";
    memset(form + strlen(form), 'a', 5000);
    api("POST", "/ussd", NULL, form, &r);
    cr_expect_eq(r.status, 200, "USSD over 4 KB: an END screen");
    cr_expect(strncmp(r.body, "END ", 4) == 0, "%s", r.body);
    resp_free(&r);
    api("GET", "/healthz", NULL, NULL, &r);
    cr_expect_eq(r.status, 200, "still running");
    resp_free(&r);
    cr_expect_eq(kill(env.gateway_pid, 0), 0);
}

/* ---- complaints ---- */

Test(api, complaint_lists_filters_and_pages)
{
    for (int i = 1; i <= 7; i++)
        seed_complaint(i, i <= 4 ? "DITERUSKAN" : "DITERIMA", i <= 4 ? "DPUPR" : "DISKOMINFO");
    seed_complaint(8, "DITERUSKAN", "DLH");
    struct resp r;
    api("GET", "/api/complaints?limit=3", T_ADMIN, NULL, &r);
    expect_status(&r, 200, "first page");
    cr_expect_eq(jint(r.json, "total"), 8);
    cr_expect_eq(jint(r.json, "limit"), 3);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 3);
    cr_expect_eq(jint(json_array_get(items, 0), "seq"), 8, "newest first");
    cr_expect_str_eq(jstr(json_array_get(items, 0), "ticket"), ticket_of(8));
    resp_free(&r);
    api("GET", "/api/complaints?limit=3&offset=6", T_ADMIN, NULL, &r);
    cr_expect_eq(json_array_size(json_object_get(r.json, "items")), 2, "last page");
    cr_expect_eq(jint(json_array_get(json_object_get(r.json, "items"), 1), "seq"), 1);
    resp_free(&r);
    api("GET", "/api/complaints?offset=100", T_ADMIN, NULL, &r);
    cr_expect_eq(json_array_size(json_object_get(r.json, "items")), 0, "past the end");
    resp_free(&r);

    api("GET", "/api/complaints?status=diteruskan", T_ADMIN, NULL, &r);
    cr_expect_eq(jint(r.json, "total"), 5, "%s", r.body);
    resp_free(&r);
    api("GET", "/api/complaints?status=DITERUSKAN&opd=dpupr&limit=2&offset=1", T_STAFF, NULL, &r);
    expect_status(&r, 200, "both filters");
    cr_expect_eq(jint(r.json, "total"), 4);
    items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 2);
    cr_expect_eq(jint(json_array_get(items, 0), "seq"), 3, "%s", r.body);
    cr_expect_eq(jint(json_array_get(items, 1), "seq"), 2);
    resp_free(&r);
    api("GET", "/api/complaints?opd=DISKOMINFO", T_ADMIN, NULL, &r);
    cr_expect_eq(jint(r.json, "total"), 3);
    resp_free(&r);

    /* officials see their own OPD only */
    api("GET", "/api/complaints", T_BUDI, NULL, &r);
    expect_status(&r, 200, "official");
    cr_expect_eq(jint(r.json, "total"), 4, "DPUPR's only: %s", r.body);
    resp_free(&r);
    api("GET", "/api/complaints?opd=DLH", T_BUDI, NULL, &r);
    expect_status(&r, 403, "another OPD");
    resp_free(&r);
    api("GET", "/api/complaints", T_DLH, NULL, &r);
    cr_expect_eq(jint(r.json, "total"), 1);
    resp_free(&r);

    const char *bad[] = {"limit=0",    "limit=501",   "limit=x", "offset=-1",
                         "offset=1.5", "status=GONE", "opd=NOPE"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "/api/complaints?%s", bad[i]);
        api("GET", path, T_ADMIN, NULL, &r);
        expect_status(&r, 400, bad[i]);
        resp_free(&r);
    }
    api("GET", "/api/complaints?limit=500", T_ADMIN, NULL, &r);
    expect_status(&r, 200, "limit 500");
    resp_free(&r);
}

Test(api, indexes_are_rebuilt_for_tickets_from_before_them)
{
    seed_complaint(1, "DITERUSKAN", "DPUPR");
    seed_complaint(2, "SELESAI", "DPUPR");
    /* as a Redis from before the indexes existed would look */
    freeReplyObject(kt_redis(&env, "DEL kt:tickets:indexed kt:stats:complaints "
                                   "kt:tickets:status:DITERUSKAN kt:tickets:status:SELESAI "
                                   "kt:tickets:opd:DPUPR"));
    struct resp r;
    api("GET", "/api/complaints?status=SELESAI&opd=DPUPR", T_ADMIN, NULL, &r);
    cr_expect_eq(jint(r.json, "total"), 1, "%s", r.body);
    cr_expect_eq(json_array_size(json_object_get(r.json, "items")), 1);
    resp_free(&r);
    cr_expect_eq(kt_redis_int(&env, "HGET kt:stats:complaints DITERUSKAN|DPUPR"), 1);
}

Test(api, complaint_show_with_history_and_refusals)
{
    char ticket[32], path[128];
    lapor(RESIDENT, "LAPOR jalan berlubang di desa Kalisalak kec Batang, NIK 3325010101010001",
          ticket, sizeof(ticket));
    struct resp r;
    snprintf(path, sizeof(path), "/api/complaints/%s", ticket);
    api("GET", path, T_BUDI, NULL, &r);
    expect_status(&r, 200, "show");
    cr_expect_str_eq(jstr(r.json, "ticket"), ticket);
    cr_expect_str_eq(jstr(r.json, "status"), "DITERUSKAN");
    cr_expect_str_eq(jstr(r.json, "opd"), "DPUPR");
    cr_expect_str_eq(jstr(r.json, "phone"), RESIDENT_N);
    cr_expect(strstr(jstr(r.json, "text"), "3325010101010001") == NULL, "NIK masked: %s", r.body);
    cr_expect(strstr(jstr(r.json, "text"), "0001") != NULL);
    json_t *log = json_object_get(r.json, "log");
    cr_assert_eq(json_array_size(log), 1, "%s", r.body);
    cr_expect_str_eq(jstr(json_array_get(log, 0), "action"), "LAPOR");
    cr_expect(json_is_integer(json_object_get(r.json, "created")));
    resp_free(&r);

    api("GET", path, T_DLH, NULL, &r);
    expect_status(&r, 404, "another OPD's ticket is not there for an official");
    resp_free(&r);
    api("GET", "/api/complaints/100015", T_ADMIN, NULL, &r);
    expect_status(&r, 400, "wrong check digit");
    resp_free(&r);
    api("GET", "/api/complaints/abc", T_ADMIN, NULL, &r);
    expect_status(&r, 400, "not a number");
    resp_free(&r);
    char none[64];
    snprintf(none, sizeof(none), "/api/complaints/%s", ticket_of(999));
    api("GET", none, T_ADMIN, NULL, &r);
    expect_status(&r, 404, "a valid number with no ticket");
    resp_free(&r);
}

/* Messages to `to` whose text contains needle (queued or sent). */
static int sent_with(const char *to, const char *needle)
{
    struct kt_sent s[64];
    int n = kt_sent_to(&env, to, s, 64), k = 0;
    for (int i = 0; i < n && i < 64; i++)
        k += strstr(s[i].text, needle) != NULL;
    return k;
}

Test(api, complaint_actions_run_as_the_officials_sms)
{
    char ticket[32], path[128], out[512];
    struct resp r;
    /* uncategorised: waits for triage at the coordinator */
    lapor(RESIDENT, "LAPOR mohon info jadwal pelatihan UMKM bulan depan", ticket, sizeof(ticket));
    snprintf(path, sizeof(path), "/api/complaints/%s/forward", ticket);
    api("POST", path, T_ADMIN, "{\"opd\": \"NOPE\"}", &r);
    expect_status(&r, 400, "unknown OPD");
    resp_free(&r);
    api("POST", path, T_ADMIN, "{\"opd\": 5}", &r);
    expect_status(&r, 400, "opd not a string");
    resp_free(&r);
    api("POST", path, T_ADMIN, "{\"opd\": \"dpupr\"}", &r);
    expect_status(&r, 200, "forward as the coordinator");
    cr_expect(strstr(jstr(r.json, "reply"), "DITERUSKAN") != NULL, "%s", r.body);
    cr_expect(strncmp(jstr(r.json, "reply"), "OK: tiket", 9) == 0, "the answer to the official: %s",
              r.body);
    json_t *c = json_object_get(r.json, "complaint");
    cr_expect_str_eq(jstr(c, "status"), "DITERUSKAN");
    cr_expect_str_eq(jstr(c, "opd"), "DPUPR");
    cr_expect(strstr(jstr(c, "last_actor"), "coordinator:kominfo via api:ops") != NULL, "%s",
              r.body);
    resp_free(&r);
    cr_assert_eq(kt_wait_sent_with(&env, RESIDENT_N, "diteruskan ke DPUPR", 20, out, sizeof(out)),
                 0, "resident told, as for ALIHKAN by SMS");
    cr_assert_eq(kt_wait_sent_with(&env, LIAISON_N, "dialihkan", 20, out, sizeof(out)), 0,
                 "liaison told");

    /* budi has a PIN for SMS; his token stands in for it */
    snprintf(path, sizeof(path), "/api/complaints/%s/accept", ticket);
    api("POST", path, T_BUDI, NULL, &r);
    expect_status(&r, 200, "accept with the official's token");
    cr_expect_str_eq(jstr(json_object_get(r.json, "complaint"), "status"), "DITINDAKLANJUTI");
    cr_expect(strstr(jstr(json_object_get(r.json, "complaint"), "last_actor"),
                     "liaison:budi via api:budi") != NULL,
              "%s", r.body);
    resp_free(&r);
    api("POST", path, T_BUDI, NULL, &r);
    expect_status(&r, 409, "accept twice");
    cr_expect(strstr(jstr(r.json, "error"), "DITINDAKLANJUTI") != NULL, "the handler's why: %s",
              r.body);
    cr_expect_str_eq(jstr(json_object_get(r.json, "complaint"), "status"), "DITINDAKLANJUTI");
    resp_free(&r);

    snprintf(path, sizeof(path), "/api/complaints/%s/answer", ticket);
    api("POST", path, T_BUDI, "{}", &r);
    expect_status(&r, 400, "answer without text");
    resp_free(&r);
    api("POST", path, T_BUDI, "{\"text\": \"   \"}", &r);
    expect_status(&r, 400, "blank text");
    resp_free(&r);
    api("POST", path, T_BUDI, "{\"text\": \"\\u0001\\u0007 \"}", &r);
    expect_status(&r, 400, "only control characters");
    resp_free(&r);
    api("POST", path, T_BUDI, "{\"text\": \"Pelatihan tanggal 5 di balai desa\"}", &r);
    expect_status(&r, 200, "answer");
    resp_free(&r);
    cr_assert_eq(kt_wait_sent_with(&env, RESIDENT_N, "Pelatihan tanggal 5", 20, out, sizeof(out)),
                 0, "resident gets the answer");

    snprintf(path, sizeof(path), "/api/complaints/%s/resolve", ticket);
    api("POST", path, T_STAFF, "{\"text\": \"Jadwal sudah dikirim\"}", &r);
    expect_status(&r, 200, "resolve as staff (coordinator)");
    cr_expect_str_eq(jstr(json_object_get(r.json, "complaint"), "status"), "SELESAI");
    resp_free(&r);
    cr_assert_eq(kt_wait_sent_with(&env, RESIDENT_N, "PUAS", 20, out, sizeof(out)), 0);

    /* the official's own answers come back over HTTP, never by SMS */
    sleep(1);
    cr_expect_eq(sent_with(LIAISON_N, "OK: tiket"), 0, "no SMS echo to budi");
    cr_expect_eq(sent_with(COORD_N, "OK: tiket"), 0, "no SMS echo to the coordinator");

    /* history */
    snprintf(path, sizeof(path), "/api/complaints/%s", ticket);
    api("GET", path, T_ADMIN, NULL, &r);
    json_t *log = json_object_get(r.json, "log");
    cr_expect_eq(json_array_size(log), 5, "LAPOR ALIHKAN TERIMA BALAS SELESAI: %s", r.body);
    cr_expect_str_eq(jstr(json_array_get(log, 4), "note"), "Jadwal sudah dikirim");
    resp_free(&r);

    /* SMS still needs the PIN: a TERIMA without it is refused */
    char other[32], cmd[64];
    lapor(RESIDENT, "LAPOR lampu jalan mati di desa Kalisalak kec Batang", other, sizeof(other));
    snprintf(cmd, sizeof(cmd), "TERIMA %s", other);
    cr_assert_eq(kt_exchange(&env, "081311110001", cmd, LIAISON_N, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "PIN") != NULL, "%s", out);
}

Test(api, reject_and_who_may_act)
{
    char ticket[32], path[128];
    struct resp r;
    lapor(RESIDENT, "LAPOR jalan rusak parah di desa Kalisalak kec Batang", ticket, sizeof(ticket));
    snprintf(path, sizeof(path), "/api/complaints/%s/reject", ticket);
    api("POST", path, T_DLH, "{\"reason\": \"bukan wewenang kami\"}", &r);
    expect_status(&r, 404, "an official of another OPD does not see it");
    resp_free(&r);
    api("POST", path, T_BUDI, "{\"text\": \"x\"}", &r);
    expect_status(&r, 400, "reject needs a reason");
    resp_free(&r);
    api("POST", path, T_BUDI, "{\"reason\": \"bukan wewenang Pemkab, jalan nasional\"}", &r);
    expect_status(&r, 200, "reject");
    cr_expect_str_eq(jstr(json_object_get(r.json, "complaint"), "status"), "BUKAN_WEWENANG");
    resp_free(&r);

    /* an official's token that names no official cannot act */
    long long seq = seed_complaint(50, "DITERUSKAN", "DLH");
    snprintf(path, sizeof(path), "/api/complaints/%s/accept", ticket_of((unsigned long long)seq));
    api("POST", path, T_DLH, NULL, &r);
    expect_status(&r, 409, "token without official");
    resp_free(&r);
    api("POST", "/api/complaints/100015/accept", T_BUDI, NULL, &r);
    expect_status(&r, 400, "bad ticket number");
    resp_free(&r);
    snprintf(path, sizeof(path), "/api/complaints/%s/accept", ticket_of(999));
    api("POST", path, T_BUDI, NULL, &r);
    expect_status(&r, 404, "no such ticket");
    resp_free(&r);
}

static void no_coordinator_setup(void)
{
    start(NULL, NULL, 0);
}

Test(api, admin_actions_need_a_coordinator, .init = no_coordinator_setup)
{
    seed_complaint(1, "DITERIMA", "DISKOMINFO");
    struct resp r;
    api("POST", "/api/complaints/100014/forward", T_ADMIN, "{\"opd\": \"DPUPR\"}", &r);
    expect_status(&r, 409, "no coordinator");
    cr_expect(strstr(jstr(r.json, "error"), "coordinator") != NULL, "%s", r.body);
    resp_free(&r);
}

/* ---- status import ---- */

Test(api, status_import_checks_everything_first)
{
    struct resp r;
    char headers[128];
    snprintf(headers, sizeof(headers), "Authorization: Bearer %s\r\nContent-Type: text/csv\r\n",
             T_STAFF);
    const char *bad = "nomor,jenis,telepon,status,catatan\n"
                      "LU-001,Akta Kelahiran,081234567890,PROSES CETAK,\n"
                      "LU-002,KTP-el,12345,SIAP DIAMBIL,\n"
                      "LU-003,KK,081234567891,DIMAKAN,\n"
                      "LU-\xff\xfe,KK,081234567891,DIAMBIL,\n";
    http_raw("POST", "/api/status/import", headers, bad, strlen(bad), &r);
    expect_status(&r, 400, "bad rows");
    cr_expect_eq(jint(r.json, "count"), 3);
    json_t *problems = json_object_get(r.json, "problems");
    cr_assert_eq(json_array_size(problems), 3, "even one quoting bytes that are not UTF-8: %s",
                 r.body);
    cr_expect_eq(jint(json_array_get(problems, 2), "line"), 5);
    cr_expect_eq(jint(json_array_get(problems, 0), "line"), 3);
    cr_expect_eq(jint(json_array_get(problems, 1), "line"), 4);
    resp_free(&r);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:adminduk:LU-001"), 0, "nothing applied");
    http_raw("POST", "/api/status/import", headers, "", 0, &r);
    expect_status(&r, 400, "empty");
    resp_free(&r);

    const char *good = "nomor,jenis,telepon,status,catatan\n"
                       "LU-001,Akta Kelahiran,081234567890,siap diambil,Bawa KK asli\n"
                       "LU-002,KTP-el,081234567891,PROSES CETAK,\n";
    http_raw("POST", "/api/status/import", headers, good, strlen(good), &r);
    expect_status(&r, 200, "good file");
    cr_expect_eq(jint(r.json, "imported"), 2);
    cr_expect_eq(jint(r.json, "notified"), 1);
    resp_free(&r);
    http_raw("POST", "/api/status/import", headers, good, strlen(good), &r);
    cr_expect_eq(jint(r.json, "changed"), 0, "idempotent: %s", r.body);
    cr_expect_eq(jint(r.json, "notified"), 0);
    resp_free(&r);
    char out[512];
    cr_assert_eq(kt_wait_sent_with(&env, RESIDENT_N, "SIAP DIAMBIL", 20, out, sizeof(out)), 0);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:adminduk:LU-002"), 1);
}

/* ---- subscribers ---- */

Test(api, subscribers_add_list_show_remove)
{
    struct resp r;
    api("POST", "/api/subscribers", T_STAFF,
        "{\"number\": \"0812-3456-7890\", \"area\": \"kecamatan:Blado\"}", &r);
    expect_status(&r, 201, "new subscription");
    cr_expect_str_eq(jstr(r.json, "number"), RESIDENT_N);
    cr_expect_str_eq(jstr(r.json, "area"), "kecamatan:33.25.03");
    resp_free(&r);
    api("POST", "/api/subscribers", T_STAFF,
        "{\"number\": \"081234567890\", \"area\": \"kecamatan:33.25.03\"}", &r);
    expect_status(&r, 200, "already");
    cr_expect(json_is_false(json_object_get(r.json, "new")));
    resp_free(&r);
    api("POST", "/api/subscribers", T_STAFF,
        "{\"number\": \"081234567890\", \"area\": \"desa:33.25.01.2001\"}", &r);
    expect_status(&r, 201, "a desa too");
    resp_free(&r);
    api("POST", "/api/subscribers", T_STAFF, "{\"number\": \"TELKOMSEL\", \"area\": \"kec:Blado\"}",
        &r);
    expect_status(&r, 400, "not a mobile number");
    resp_free(&r);
    api("POST", "/api/subscribers", T_STAFF,
        "{\"number\": \"081234567890\", \"area\": \"desa:99.99\"}", &r);
    expect_status(&r, 400, "no such desa");
    resp_free(&r);
    /* a resident who subscribed by SMS shows in the same list */
    char out[512];
    cr_assert_eq(kt_exchange(&env, "081234567891", "DAFTAR kec Blado", "6281234567891", 20, out,
                             sizeof(out)),
                 0);
    api("GET", "/api/subscribers?area=kecamatan:Blado&limit=1", T_STAFF, NULL, &r);
    expect_status(&r, 200, "list");
    cr_expect_eq(jint(r.json, "total"), 2, "%s", r.body);
    cr_expect_str_eq(jstr(json_array_get(json_object_get(r.json, "items"), 0), "number"),
                     RESIDENT_N);
    resp_free(&r);
    api("GET", "/api/subscribers?area=kecamatan:Blado&offset=1", T_STAFF, NULL, &r);
    cr_expect_str_eq(jstr(json_array_get(json_object_get(r.json, "items"), 0), "number"),
                     "6281234567891");
    resp_free(&r);
    api("GET", "/api/subscribers", T_STAFF, NULL, &r);
    expect_status(&r, 400, "area required");
    resp_free(&r);

    api("GET", "/api/subscribers/081234567890", T_STAFF, NULL, &r);
    expect_status(&r, 200, "show");
    cr_expect_eq(json_array_size(json_object_get(r.json, "areas")), 2, "%s", r.body);
    json_t *consent = json_object_get(r.json, "consent");
    cr_assert_geq(json_array_size(consent), 2);
    cr_expect_str_eq(jstr(json_array_get(consent, 0), "channel"), "api");
    cr_expect_str_eq(jstr(json_array_get(consent, 0), "message"), "api:desk", "%s", r.body);
    resp_free(&r);
    api("GET", "/api/subscribers/081299998888", T_STAFF, NULL, &r);
    expect_status(&r, 404, "unknown number");
    resp_free(&r);

    api("DELETE", "/api/subscribers/081234567890?area=kecamatan:Blado", T_STAFF, NULL, &r);
    expect_status(&r, 200, "remove one area");
    resp_free(&r);
    api("DELETE", "/api/subscribers/081234567890?area=kecamatan:Blado", T_STAFF, NULL, &r);
    expect_status(&r, 404, "removed already");
    resp_free(&r);
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:" RESIDENT_N), 1);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:optout:" RESIDENT_N), 0, "one area is no opt-out");
    api("DELETE", "/api/subscribers/081234567890", T_ADMIN, NULL, &r);
    expect_status(&r, 200, "opt-out");
    cr_expect_eq(jint(r.json, "removed"), 1);
    cr_expect(json_is_true(json_object_get(r.json, "opted_out")));
    resp_free(&r);
    cr_expect_eq(kt_redis_int(&env, "SCARD kt:sub:" RESIDENT_N), 0);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:optout:" RESIDENT_N), 1, "as BERHENTI");
    api("DELETE", "/api/subscribers/12", T_STAFF, NULL, &r);
    expect_status(&r, 400, "bad number");
    resp_free(&r);
    api("POST", "/api/subscribers", T_BUDI, "{}", &r);
    expect_status(&r, 403, "officials do not manage subscribers");
    resp_free(&r);
}

/* ---- modems, metrics, readiness ---- */

static int dummy_sent(struct kt_env *e, void *arg)
{
    return kt_redis_int(e, "HGET kt:stats out:dummy:sent") >= *(long long *)arg;
}

Test(api, modems_show_state_queues_caps_and_credit)
{
    struct resp r;
    api("GET", "/api/modems", T_STAFF, NULL, &r);
    expect_status(&r, 200, "modems");
    json_t *m = json_array_get(json_object_get(r.json, "modems"), 0);
    cr_expect_str_eq(jstr(m, "name"), "dummy");
    cr_expect(json_is_true(json_object_get(m, "up")), "%s", r.body);
    cr_expect(json_is_null(json_object_get(m, "credit")), "no credit known yet");
    cr_expect(json_is_null(json_object_get(m, "balance_low")), "no balance check configured");
    cr_expect(json_is_null(json_object_get(m, "credit_low")), "%s", r.body);
    cr_expect_eq(jint(m, "per_day"), 100000);
    cr_expect(json_is_object(json_object_get(json_object_get(r.json, "lanes"), "bulk")));
    long long before = jint(m, "sent_today");
    resp_free(&r);
    char out[512];
    cr_assert_eq(kt_exchange(&env, RESIDENT, "INFO", RESIDENT_N, 20, out, sizeof(out)), 0);
    long long one = 1;
    kt_wait(&env, 10, dummy_sent, &one);
    freeReplyObject(kt_redis(&env, "HSET kt:modem:dummy credit 12500"));
    api("GET", "/api/modems", T_ADMIN, NULL, &r);
    m = json_array_get(json_object_get(r.json, "modems"), 0);
    cr_expect_gt(jint(m, "sent_today"), before, "%s", r.body);
    cr_expect_eq(jint(m, "credit"), 12500);
    resp_free(&r);
}

static double scrape(struct prom_doc **doc)
{
    struct resp r;
    char err[256];
    api("GET", "/metrics", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.head, "text/plain; version=0.0.4") != NULL, "%s", r.head);
    *doc = prom_parse(r.body, err, sizeof(err));
    cr_assert_not_null(*doc, "%s\n%s", err, r.body);
    resp_free(&r);
    return 0;
}

static double v(struct prom_doc *d, const char *name, const char *labels)
{
    double x = prom_value(d, name, labels);
    cr_expect(!isnan(x), "%s{%s} missing", name, labels);
    return x;
}

Test(api, metrics_parse_and_move)
{
    struct prom_doc *d;
    scrape(&d);
    const char *types[][2] = {{"kentongan_messages_in_total", "counter"},
                              {"kentongan_messages_out_total", "counter"},
                              {"kentongan_queue_messages", "gauge"},
                              {"kentongan_send_duration_seconds", "histogram"},
                              {"kentongan_ussd_screen_duration_seconds", "histogram"},
                              {"kentongan_complaints", "gauge"},
                              {"kentongan_complaint_deadlines_missed_total", "counter"},
                              {"kentongan_modem_up", "gauge"},
                              {"kentongan_sim_credit_rupiah", "gauge"},
                              {"kentongan_sim_credit_timestamp_seconds", "gauge"},
                              {"kentongan_sim_credit_low_rupiah", "gauge"},
                              {"kentongan_redis_connected", "gauge"}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const char *t = prom_type(d, types[i][0]);
        cr_expect(t && strcmp(t, types[i][1]) == 0, "%s is %s", types[i][0], t ? t : "absent");
    }
    double in0 = v(d, "kentongan_messages_in_total", "modem=\"dummy\"");
    double out0 = v(d, "kentongan_messages_out_total", "modem=\"dummy\",outcome=\"sent\"");
    double send0 = v(d, "kentongan_send_duration_seconds_count", "modem=\"dummy\"");
    double ussd0 = v(d, "kentongan_ussd_screen_duration_seconds_count", "");
    cr_expect_eq(v(d, "kentongan_modem_up", "modem=\"dummy\""), 1);
    cr_expect_eq(v(d, "kentongan_redis_connected", ""), 1);
    cr_expect_eq(prom_count(d, "kentongan_sim_credit_rupiah"), 0, "no credit known: no sample");
    cr_expect_eq(prom_count(d, "kentongan_sim_credit_low_rupiah"), 0, "no balance check here");
    prom_free(d);

    char ticket[32], out[512];
    lapor(RESIDENT, "LAPOR jalan berlubang di desa Kalisalak kec Batang", ticket, sizeof(ticket));
    long long want = (long long)out0 + 2; /* the answer and the liaison's notice */
    kt_wait(&env, 10, dummy_sent, &want);
    struct resp r;
    api("POST", "/ussd", NULL, "sessionId=m1&serviceCode=x&phoneNumber=081234567890&text=", &r);
    resp_free(&r);
    freeReplyObject(kt_redis(&env, "HSET kt:modem:dummy credit 4500 credit_at 1767225600000"));
    /* a missed deadline: the clock a minute past the follow-up deadline */
    unsigned long long seq = strtoull(ticket, NULL, 10) / 10 - 10000;
    long long due = kt_redis_int(&env, "HGET kt:ticket:%llu deadline", seq);
    cr_assert_gt(due, 0, "a follow-up deadline");
    cr_assert_eq(kt_clock_set(&env, due / 1000 + 60), 0);
    cr_assert_eq(kt_wait_sent_with(&env, "6281311110003", "ESKALASI", 20, out, sizeof(out)), 0,
                 "escalated");

    scrape(&d);
    cr_expect_gt(v(d, "kentongan_messages_in_total", "modem=\"dummy\""), in0);
    cr_expect_geq(v(d, "kentongan_messages_out_total", "modem=\"dummy\",outcome=\"sent\""),
                  out0 + 2);
    cr_expect_gt(v(d, "kentongan_send_duration_seconds_count", "modem=\"dummy\""), send0);
    cr_expect_eq(v(d, "kentongan_ussd_screen_duration_seconds_count", ""), ussd0 + 1);
    cr_expect_eq(v(d, "kentongan_complaints", "status=\"DITERUSKAN\",opd=\"DPUPR\""), 1);
    cr_expect_eq(v(d, "kentongan_complaint_deadlines_missed_total", "opd=\"DPUPR\""), 1);
    cr_expect_eq(v(d, "kentongan_sim_credit_rupiah", "modem=\"dummy\""), 4500);
    cr_expect_eq(v(d, "kentongan_sim_credit_timestamp_seconds", "modem=\"dummy\""), 1767225600);
    cr_expect_geq(v(d, "kentongan_queue_messages", "lane=\"any\",state=\"waiting\""), 0);
    prom_free(d);

    /* a status change moves the complaint between series */
    char path[128];
    snprintf(path, sizeof(path), "/api/complaints/%s/resolve", ticket);
    api("POST", path, T_BUDI, "{\"text\": \"sudah ditambal\"}", &r);
    expect_status(&r, 200, "resolve");
    resp_free(&r);
    scrape(&d);
    cr_expect_eq(v(d, "kentongan_complaints", "status=\"DITERUSKAN\",opd=\"DPUPR\""), 0);
    cr_expect_eq(v(d, "kentongan_complaints", "status=\"SELESAI\",opd=\"DPUPR\""), 1);
    prom_free(d);
}

static void private_metrics_setup(void)
{
    start("metrics_public = 0", NULL, 1);
}

Test(api, metrics_can_require_a_token, .init = private_metrics_setup)
{
    struct resp r;
    api("GET", "/metrics", NULL, NULL, &r);
    expect_status(&r, 401, "no token");
    resp_free(&r);
    api("GET", "/metrics", T_BUDI, NULL, &r);
    expect_status(&r, 403, "official");
    resp_free(&r);
    api("GET", "/metrics", T_STAFF, NULL, &r);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "# TYPE kentongan_modem_up gauge") != NULL);
    resp_free(&r);
}

static int readyz_is(struct kt_env *e, void *arg)
{
    struct resp r;
    int want = *(int *)arg, got = http_raw("GET", "/readyz", "", NULL, 0, &r);
    resp_free(&r);
    return got == want;
}

Test(api, readyz_both_ways)
{
    struct resp r;
    api("GET", "/readyz", NULL, NULL, &r);
    expect_status(&r, 200, "ready");
    cr_expect(json_is_true(json_object_get(r.json, "ready")));
    resp_free(&r);

    /* a worker that stops heartbeating is not up */
    pid_t worker = kt_worker_pid(&env, "dummy");
    cr_assert_gt(worker, 0);
    kill(worker, SIGSTOP);
    int unavailable = 503;
    cr_expect(kt_wait(&env, 20, readyz_is, &unavailable), "not ready without a worker");
    api("GET", "/readyz", NULL, NULL, &r);
    cr_expect(strstr(r.body, "no modem worker up") != NULL, "%s", r.body);
    resp_free(&r);
    kill(worker, SIGCONT);
    int ok = 200;
    cr_expect(kt_wait(&env, 20, readyz_is, &ok), "ready again");

    kt_redis_kill(&env);
    cr_expect(kt_wait(&env, 20, readyz_is, &unavailable), "not ready without Redis");
    http_raw("GET", "/readyz", "", NULL, 0, &r);
    cr_expect(strstr(r.body, "redis not connected") != NULL, "%s", r.body);
    resp_free(&r);
    /* the API says so too, and /metrics still answers */
    api("GET", "/api/complaints", T_ADMIN, NULL, &r);
    expect_status(&r, 503, "API without Redis");
    resp_free(&r);
    api("GET", "/metrics", NULL, NULL, &r);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "kentongan_redis_connected 0") != NULL, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_expect(kt_wait(&env, 30, readyz_is, &ok), "ready once Redis is back");
}

/* ---- kentongan-ctl ---- */

/* Runs kentongan-ctl with env_prefix (VAR=value ...) and args; stdout into
 * out, stderr into err. Returns the exit status. */
static int ctl(const char *env_prefix, const char *args, char *out, size_t outlen, char *err,
               size_t errlen)
{
    char errpath[400], cmd[2048];
    snprintf(errpath, sizeof(errpath), "%s/ctl.err", env.dir);
    snprintf(cmd, sizeof(cmd),
             "env -u KENTONGAN_URL -u KENTONGAN_TOKEN HOME=%s %s %s/kentongan-ctl %s 2>%s", env.dir,
             env_prefix, env.build, args, errpath);
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

Test(api, ctl_commands_exit_codes_and_json)
{
    char envs[256], out[16384], err[4096];
    snprintf(envs, sizeof(envs), "KENTONGAN_URL=http://127.0.0.1:%d KENTONGAN_TOKEN=%s", port,
             T_ADMIN);
    char ticket[32], args[512];
    lapor(RESIDENT, "LAPOR jalan berlubang di desa Kalisalak kec Batang", ticket, sizeof(ticket));

    cr_expect_eq(ctl(envs, "complaints list", out, sizeof(out), err, sizeof(err)), 0, "%s", err);
    cr_expect(strstr(out, ticket) && strstr(out, "DITERUSKAN"), "%s", out);
    cr_expect_eq(ctl(envs, "--json complaints list --status DITERUSKAN --opd DPUPR", out,
                     sizeof(out), err, sizeof(err)),
                 0);
    json_t *doc = json_loads(out, 0, NULL);
    cr_expect_not_null(doc, "--json prints JSON: %s", out);
    cr_expect_eq(jint(doc, "total"), 1);
    json_decref(doc);
    snprintf(args, sizeof(args), "complaints show %s", ticket);
    cr_expect_eq(ctl(envs, args, out, sizeof(out), err, sizeof(err)), 0);
    cr_expect(strstr(out, "LAPOR") && strstr(out, "Kalisalak"), "%s", out);
    snprintf(args, sizeof(args), "complaints show %s", ticket_of(999));
    cr_expect_eq(ctl(envs, args, out, sizeof(out), err, sizeof(err)), 1, "404 is exit 1");
    cr_expect(strstr(err, "HTTP 404") != NULL, "%s", err);
    snprintf(args, sizeof(args), "complaints answer %s 'Tim kami datang besok'", ticket);
    cr_expect_eq(ctl(envs, args, out, sizeof(out), err, sizeof(err)), 0, "%s", err);
    cr_expect(strstr(out, "DITINDAKLANJUTI") != NULL, "%s", out);

    cr_expect_eq(ctl(envs, "modems", out, sizeof(out), err, sizeof(err)), 0, "%s", err);
    cr_expect(strstr(out, "dummy") && strstr(out, "up"), "%s", out);

    char csv[400];
    snprintf(csv, sizeof(csv), "%s/status.csv", env.dir);
    FILE *f = fopen(csv, "w");
    fputs("nomor,jenis,telepon,status,catatan\nLU-9,KTP-el,081234567890,DIMAKAN,\n", f);
    fclose(f);
    snprintf(args, sizeof(args), "status import %s", csv);
    cr_expect_eq(ctl(envs, args, out, sizeof(out), err, sizeof(err)), 1, "bad file: %s", err);
    cr_expect(strstr(err, "line 2") != NULL, "problems with lines: %s", err);
    f = fopen(csv, "w");
    fputs("nomor,jenis,telepon,status,catatan\nLU-9,KTP-el,081234567890,DIAMBIL,\n", f);
    fclose(f);
    cr_expect_eq(ctl(envs, args, out, sizeof(out), err, sizeof(err)), 0, "%s", err);
    cr_expect(strstr(out, "1 rows imported") != NULL, "%s", out);

    cr_expect_eq(ctl(envs, "subscribers add 081234567899 kecamatan:Blado", out, sizeof(out), err,
                     sizeof(err)),
                 0, "%s", err);
    cr_expect_eq(
        ctl(envs, "subscribers list --area kecamatan:Blado", out, sizeof(out), err, sizeof(err)),
        0);
    cr_expect(strstr(out, "6281234567899") != NULL, "%s", out);
    cr_expect_eq(ctl(envs, "subscribers remove 081234567899", out, sizeof(out), err, sizeof(err)),
                 0);

    /* usage errors: nothing sent, exit 2 */
    cr_expect_eq(ctl(envs, "", out, sizeof(out), err, sizeof(err)), 2);
    cr_expect_eq(ctl(envs, "frobnicate", out, sizeof(out), err, sizeof(err)), 2);
    cr_expect_eq(ctl(envs, "complaints list --bogus", out, sizeof(out), err, sizeof(err)), 2);
    cr_expect_eq(ctl(envs, "complaints list --limit 9999", out, sizeof(out), err, sizeof(err)), 2);
    cr_expect_eq(ctl(envs, "broadcast send --text hi", out, sizeof(out), err, sizeof(err)), 2,
                 "no area");
    cr_expect_eq(ctl(envs, "broadcast send --area all --text hi --at soon", out, sizeof(out), err,
                     sizeof(err)),
                 2, "bad time");
    cr_expect_eq(ctl("", "modems", out, sizeof(out), err, sizeof(err)), 2, "no token");
    cr_expect(strstr(err, "no token") != NULL, "%s", err);
    /* refused and unreachable */
    snprintf(args, sizeof(args), "KENTONGAN_URL=http://127.0.0.1:%d KENTONGAN_TOKEN=wrong", port);
    cr_expect_eq(ctl(args, "modems", out, sizeof(out), err, sizeof(err)), 1, "401 is exit 1");
    snprintf(args, sizeof(args), "KENTONGAN_URL=http://127.0.0.1:%d KENTONGAN_TOKEN=%s", port,
             T_BUDI);
    cr_expect_eq(ctl(args, "modems", out, sizeof(out), err, sizeof(err)), 1, "403 is exit 1");
    int dead = kt_free_port();
    snprintf(args, sizeof(args), "KENTONGAN_URL=http://127.0.0.1:%d KENTONGAN_TOKEN=x", dead);
    cr_expect_eq(ctl(args, "modems", out, sizeof(out), err, sizeof(err)), 3, "cannot connect");
    /* --url and --token win over the environment */
    snprintf(args, sizeof(args), "--url http://127.0.0.1:%d --token %s modems", port, T_STAFF);
    cr_expect_eq(ctl("KENTONGAN_TOKEN=wrong", args, out, sizeof(out), err, sizeof(err)), 0, "%s",
                 err);
}

Test(api, ctl_reads_its_config_file)
{
    char dir[400], path[500], out[8192], err[4096];
    snprintf(dir, sizeof(dir), "%s/.config/kentongan", env.dir);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/ctl.ini", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "; kentongan-ctl\nurl = http://127.0.0.1:%d\ntoken = %s\n", port, T_STAFF);
    fclose(f);
    chmod(path, 0600);
    cr_expect_eq(ctl("", "--json modems", out, sizeof(out), err, sizeof(err)), 0, "%s", err);
    json_t *doc = json_loads(out, 0, NULL);
    cr_expect(json_is_array(json_object_get(doc, "modems")), "%s", out);
    json_decref(doc);
    cr_expect(strstr(err, "readable by everyone") == NULL, "%s", err);
    /* the environment wins over the file */
    cr_expect_eq(ctl("KENTONGAN_TOKEN=wrong", "modems", out, sizeof(out), err, sizeof(err)), 1);
}

/* ---- kentongan-ctl against a fake broadcast server ---- */

struct fake {
    struct event_base *base;
    struct evhttp *http;
    int port;
    int polls;
    volatile int stop;
    struct event *tick;
    char last_body[4096];
    char post_body[4096]; /* of the last POST /api/broadcasts */
    char last_auth[256];
    pthread_t thread;
};

static void fake_json(struct evhttp_request *req, int code, const char *body)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, body, strlen(body));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, code, "X", b);
    evbuffer_free(b);
}

static void fake_cb(struct evhttp_request *req, void *arg)
{
    struct fake *fk = arg;
    const char *uri = evhttp_request_get_uri(req);
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    snprintf(fk->last_auth, sizeof(fk->last_auth), "%s", auth ? auth : "");
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    if (n >= sizeof(fk->last_body))
        n = sizeof(fk->last_body) - 1;
    evbuffer_copyout(in, fk->last_body, n);
    fk->last_body[n] = '\0';
    int post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
    if (post && strcmp(uri, "/api/broadcasts") == 0) {
        snprintf(fk->post_body, sizeof(fk->post_body), "%s", fk->last_body);
        if (strstr(fk->last_body, "\"refuse\""))
            fake_json(req, 400, "{\"error\":\"text: too long\"}");
        else
            fake_json(req, 201,
                      "{\"id\":7,\"recipients\":4,\"parts\":1,\"coding\":\"gsm7\",\"status\":"
                      "\"running\"}");
    } else if (!post && strcmp(uri, "/api/broadcasts/7") == 0) {
        fk->polls++;
        char body[512];
        int done = fk->polls >= 3;
        snprintf(body, sizeof(body),
                 "{\"id\":7,\"status\":\"%s\",\"text\":\"Kerja bakti\",\"recipients\":4,"
                 "\"queued\":4,\"sent\":%d,\"failed\":%d,\"expired\":0,\"delivered\":0,"
                 "\"failures\":{\"cms_error\":%d},\"created\":1767225600,\"at\":1767225600,"
                 "\"emergency\":false,\"actor\":\"api:ops\"}",
                 done ? "done" : "running", done ? 3 : fk->polls, done ? 1 : 0, done ? 1 : 0);
        fake_json(req, 200, body);
    } else if (post && strcmp(uri, "/api/broadcasts/7/cancel") == 0) {
        fake_json(req, 200,
                  "{\"id\":7,\"status\":\"cancelled\",\"text\":\"Kerja bakti\",\"recipients\":4,"
                  "\"queued\":4,\"sent\":1,\"failed\":0,\"expired\":0,\"delivered\":0,"
                  "\"failures\":{},\"created\":1767225600,\"at\":1767225600,"
                  "\"emergency\":false,\"actor\":\"api:ops\"}");
    } else if (!post && strncmp(uri, "/api/broadcasts?", 16) == 0) {
        fake_json(req, 200,
                  "{\"items\":[{\"id\":7,\"status\":\"done\",\"text\":\"Kerja bakti\","
                  "\"recipients\":4,\"sent\":3,\"failed\":1,\"created\":1767225600}],"
                  "\"total\":1,\"offset\":0,\"limit\":50}");
    } else if (post && strcmp(uri, "/api/modems/dummy/ussd") == 0) {
        fake_json(req, 200, "{\"answer\":\"Sisa pulsa Rp12.500\"}");
    } else if (strcmp(uri, "/api/broadcasts/8") == 0) {
        fake_json(req, 500, "{\"error\":\"boom\"}");
    } else {
        fake_json(req, 404, "{\"error\":\"no such endpoint\"}");
    }
}

/* The loop runs in its own thread: it looks at the stop flag itself (a
 * loopbreak from another thread would not wake it without libevent's
 * thread support). */
static void fake_tick(evutil_socket_t fd, short what, void *arg)
{
    struct fake *fk = arg;
    if (fk->stop)
        event_base_loopbreak(fk->base);
}

static void *fake_run(void *arg)
{
    struct fake *fk = arg;
    event_base_dispatch(fk->base);
    return NULL;
}

static void fake_start(struct fake *fk)
{
    memset(fk, 0, sizeof(*fk));
    fk->base = event_base_new();
    fk->http = evhttp_new(fk->base);
    fk->port = kt_free_port();
    cr_assert_eq(evhttp_bind_socket(fk->http, "127.0.0.1", (unsigned short)fk->port), 0);
    evhttp_set_allowed_methods(fk->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(fk->http, fake_cb, fk);
    fk->tick = event_new(fk->base, -1, EV_PERSIST, fake_tick, fk);
    struct timeval tv = {0, 50000};
    event_add(fk->tick, &tv);
    pthread_create(&fk->thread, NULL, fake_run, fk);
}

static void fake_stop(struct fake *fk)
{
    fk->stop = 1;
    pthread_join(fk->thread, NULL);
    event_free(fk->tick);
    evhttp_free(fk->http);
    event_base_free(fk->base);
}

static void fake_setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
}

static void fake_teardown(void)
{
    kt_env_cleanup(&env);
}

Test(api, ctl_broadcasts_follow_progress_to_the_end, .init = fake_setup, .fini = fake_teardown,
     .timeout = 60)
{
    struct fake fk;
    fake_start(&fk);
    char envs[256], out[8192], err[8192];
    snprintf(envs, sizeof(envs), "KENTONGAN_URL=http://127.0.0.1:%d KENTONGAN_TOKEN=tok-1",
             fk.port);
    int rc = ctl(envs,
                 "broadcast send --area kecamatan:Blado --area desa:33.25.01.2001 --number "
                 "081234567890 --text 'Kerja bakti Minggu pagi' --parts 2 --emergency --at "
                 "'2026-01-01 07:00'",
                 out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 0, "%s", err);
    json_t *sent = json_loads(fk.post_body, 0, NULL);
    cr_assert_not_null(sent, "%s", fk.post_body);
    cr_expect_str_eq(jstr(sent, "text"), "Kerja bakti Minggu pagi");
    cr_expect_eq(json_array_size(json_object_get(sent, "areas")), 2);
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(sent, "numbers"), 0)),
                     "081234567890");
    cr_expect_eq(jint(sent, "parts"), 2);
    cr_expect(json_is_true(json_object_get(sent, "emergency")));
    cr_expect_eq(jint(sent, "at"), 1767225600, "WIB time as unix seconds");
    json_decref(sent);
    cr_expect_geq(fk.polls, 3, "polled until done");
    cr_expect(strstr(err, "100%") != NULL && strstr(err, "[#"), "a progress bar: %s", err);
    cr_expect(strstr(out, "broadcast 7 done: 3 sent, 1 failed") != NULL, "%s", out);
    cr_expect_str_eq(fk.last_auth, "Bearer tok-1");

    fk.polls = 0;
    rc = ctl(envs, "--json broadcast send --area all --text hi --detach", out, sizeof(out), err,
             sizeof(err));
    cr_expect_eq(rc, 0, "%s", err);
    json_t *doc = json_loads(out, 0, NULL);
    cr_expect_eq(jint(doc, "id"), 7, "--detach --json prints the answer: %s", out);
    json_decref(doc);
    doc = json_loads(fk.post_body, 0, NULL);
    cr_expect_str_eq(jstr(doc, "text"), "hi");
    cr_expect_eq(json_array_size(json_object_get(doc, "areas")), 1);
    cr_expect(json_object_get(doc, "at") == NULL, "no --at, no at");
    json_decref(doc);
    cr_expect_eq(fk.polls, 0, "detached: no polling");

    rc = ctl(envs, "broadcast send --area all --text refuse", out, sizeof(out), err, sizeof(err));
    cr_expect_eq(rc, 1, "400 is exit 1");
    cr_expect(strstr(err, "too long") != NULL, "%s", err);
    cr_expect_eq(ctl(envs, "broadcast list", out, sizeof(out), err, sizeof(err)), 0);
    cr_expect(strstr(out, "Kerja bakti") && strstr(out, "done"), "%s", out);
    cr_expect_eq(ctl(envs, "broadcast show 7", out, sizeof(out), err, sizeof(err)), 0);
    cr_expect(strstr(out, "cms_error") != NULL, "%s", out);
    cr_expect_eq(ctl(envs, "broadcast cancel 7", out, sizeof(out), err, sizeof(err)), 0);
    cr_expect(strstr(out, "cancelled") != NULL, "%s", out);
    cr_expect_eq(ctl(envs, "broadcast show 8", out, sizeof(out), err, sizeof(err)), 3, "5xx");
    cr_expect_eq(ctl(envs, "broadcast show 9", out, sizeof(out), err, sizeof(err)), 1, "404");
    cr_expect_eq(ctl(envs, "broadcast show x", out, sizeof(out), err, sizeof(err)), 2, "usage");
    cr_expect_eq(ctl(envs, "ussd dummy '*888#'", out, sizeof(out), err, sizeof(err)), 0, "%s", err);
    cr_expect(strstr(out, "Sisa pulsa Rp12.500") != NULL, "%s", out);
    doc = json_loads(fk.last_body, 0, NULL);
    cr_expect_str_eq(jstr(doc, "code"), "*888#");
    json_decref(doc);
    fake_stop(&fk);
}
