/* kentongan-ctl — the admin API from a terminal.
 *
 *   kentongan-ctl [--url URL] [--token TOKEN] [--json] COMMAND ...
 *
 * Each command is one or a few HTTP requests (libevent's HTTP client, JSON
 * with jansson) to the gateway's admin API; see usage() for the list. The
 * address and token come from --url/--token, else KENTONGAN_URL /
 * KENTONGAN_TOKEN, else url= and token= in ~/.config/kentongan/ctl.ini or
 * /etc/kentongan/ctl.ini (the first that exists). Output is for people
 * unless --json, which prints the server's JSON as it came.
 *
 * Exit codes: 0 done, 1 the server said no (4xx), 2 usage error (nothing
 * was sent), 3 cannot connect or the server failed (5xx).
 *
 * Every string the server sends is shown through show(): a resident's UCS-2
 * SMS or a network's USSD answer can carry ESC and C1 controls, which would
 * drive the staff member's terminal, and bidi overrides, which reorder what
 * it shows; they are escaped ("\u001b"), and NIK/KK numbers masked once
 * more. --json output keeps the server's JSON but with such characters
 * written as JSON escapes, so it is still the same JSON. */
#include "gateway/apiparse.h"
#include "gateway/clock.h"
#include "gateway/textsafe.h"
#include "handlers/privacy.h"
#include "modems/credit.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <ini.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_REFUSED  1
#define EXIT_USAGE    2
#define EXIT_SERVER   3
#define CTL_AREAS_MAX 64
#define CTL_BODY_MAX  (1024 * 1024) /* a CSV to import; the server takes no more */
#define CTL_TIMEOUT   30            /* seconds per request */
#define CTL_USSD_WAIT 90   /* a USSD code: the modem's ussd_timeout_seconds (at most 60) and more */
#define CTL_POLL_MS   1000 /* broadcast progress */
#define BAR_WIDTH     30
#define SHOW_RING     16 /* strings show() keeps alive: enough for one printf */

/* modem probe */
#define CTL_PROBE_WAIT 720 /* seconds: probe_timeout_seconds (at most 600) and the server's 90 */
#define EXIT_PROBE     4   /* the modem answered, and a check failed */

struct opts {
    const char *url, *token;
    int json;
    const char *areas[CTL_AREAS_MAX];
    int nareas;
    const char *numbers[CTL_AREAS_MAX];
    int nnumbers;
    const char *text, *parts, *at, *status, *opd, *offset, *limit, *area, *csv;
    int emergency, detach;
    const char *args[8];
    int nargs;
};

struct target {
    char host[256];
    int port;
    char prefix[256]; /* path the API lives under ("" normally) */
    char token[APIPARSE_TOKEN_MAX];
};

struct response {
    int status; /* 0: no answer (cannot connect, timeout) */
    char *body;
    size_t len;
};

static const char *show(const char *s);
static void print_body(const char *body, size_t len);

static struct event_base *base;
static struct target tg;
static int json_out;
static int timeout_s = CTL_TIMEOUT;

static void usage(FILE *f)
{
    fprintf(f, "usage: kentongan-ctl [--url URL] [--token TOKEN] [--json] COMMAND ...\n"
               "\n"
               "  broadcast send --area AREA [--area AREA ...] [--number N ...] [--csv FILE]\n"
               "                 --text TEXT [--parts N] [--emergency] [--at TIME] [--detach]\n"
               "      AREA: desa:CODE, kecamatan:NAME or kecamatan:CODE, or all. FILE: numbers\n"
               "      in its first column (a header row is skipped). TIME: unix\n"
               "      seconds or 'YYYY-MM-DD HH:MM' in WIB. Follows the progress until done\n"
               "      unless --detach.\n"
               "  broadcast list [--offset N] [--limit N]\n"
               "  broadcast show ID\n"
               "  broadcast cancel ID\n"
               "  complaints list [--status STATUS] [--opd OPD] [--offset N] [--limit N]\n"
               "  complaints show TICKET\n"
               "  complaints forward TICKET OPD | answer TICKET TEXT | resolve TICKET TEXT\n"
               "  complaints accept TICKET | reject TICKET REASON\n"
               "  subscribers list --area AREA [--offset N] [--limit N]\n"
               "  subscribers show NUMBER\n"
               "  subscribers add NUMBER AREA\n"
               "  subscribers remove NUMBER [--area AREA]   (no area: every area, an opt-out)\n"
               "  status import FILE.csv\n"
               "  modems\n"
               "  ussd MODEM CODE\n"
               "  modem probe MODEM [--number OWN_NUMBER]   (admin token)\n"
               "      Asks the modem what an installer needs to know and sends a test SMS to the\n"
               "      SIM's own number (own_number, or --number), waiting for it to come back.\n"
               "      Exits 4 when a check failed.\n"
               "  quarantine [MODEM [KIND]] [--offset N] [--limit N]\n"
               "      SMS kept aside instead of answered, newest first. KIND: malformed,\n"
               "      special, or one special kind (flash, wap_push, mms, voicemail, ...).\n"
               "\n"
               "The address and token come from --url/--token, KENTONGAN_URL/KENTONGAN_TOKEN,\n"
               "or url= and token= in ~/.config/kentongan/ctl.ini or /etc/kentongan/ctl.ini.\n"
               "Exit codes: 0 ok, 1 refused by the server (4xx), 2 usage, 3 cannot connect or\n"
               "server error (5xx), 4 a modem probe found a problem.\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kentongan-ctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (kentongan-ctl --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* ---- where to and with what token ---- */

struct file_conf {
    char url[512];
    char token[APIPARSE_TOKEN_MAX];
};

static int on_conf(void *user, const char *section, const char *name, const char *value)
{
    struct file_conf *fc = user;
    if (strcmp(name, "url") == 0)
        snprintf(fc->url, sizeof(fc->url), "%s", value);
    else if (strcmp(name, "token") == 0)
        snprintf(fc->token, sizeof(fc->token), "%s", value);
    return 1;
}

static void read_conf(struct file_conf *fc)
{
    char path[1024];
    const char *home = getenv("HOME");
    const char *paths[2] = {NULL, "/etc/kentongan/ctl.ini"};
    if (home && home[0]) {
        snprintf(path, sizeof(path), "%s/.config/kentongan/ctl.ini", home);
        paths[0] = path;
    }
    for (int i = 0; i < 2; i++) {
        if (paths[i] == NULL || access(paths[i], R_OK) != 0)
            continue;
        struct stat sb;
        if (stat(paths[i], &sb) == 0 && (sb.st_mode & 0004))
            fprintf(stderr,
                    "kentongan-ctl: warning: %s is readable by everyone; it holds a token\n",
                    paths[i]);
        if (ini_parse(paths[i], on_conf, fc) != 0)
            fprintf(stderr, "kentongan-ctl: warning: %s: cannot be read as INI\n", paths[i]);
        return;
    }
}

static int set_target(const struct opts *o)
{
    struct file_conf fc = {"", ""};
    read_conf(&fc);
    const char *url = o->url ? o->url : getenv("KENTONGAN_URL");
    if (url == NULL || url[0] == '\0')
        url = fc.url[0] ? fc.url : "http://127.0.0.1:8080";
    const char *token = o->token ? o->token : getenv("KENTONGAN_TOKEN");
    if (token == NULL || token[0] == '\0')
        token = fc.token;
    if (token[0] == '\0')
        return usage_error("no token: give --token, set KENTONGAN_TOKEN, or token= in "
                           "~/.config/kentongan/ctl.ini");
    if (strlen(token) >= sizeof(tg.token) || strpbrk(token, " \t\r\n"))
        return usage_error("the token is not a bearer token");
    snprintf(tg.token, sizeof(tg.token), "%s", token);
    struct evhttp_uri *u = evhttp_uri_parse(url);
    const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
    const char *host = u ? evhttp_uri_get_host(u) : NULL;
    if (u == NULL || scheme == NULL || strcmp(scheme, "http") != 0 || host == NULL ||
        host[0] == '\0' || strlen(host) >= sizeof(tg.host)) {
        if (u)
            evhttp_uri_free(u);
        return usage_error("url '%s': expected http://HOST[:PORT][/PATH] (https is not spoken; "
                           "use a local address or a tunnel)",
                           url);
    }
    snprintf(tg.host, sizeof(tg.host), "%s", host);
    tg.port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
    const char *path = evhttp_uri_get_path(u);
    snprintf(tg.prefix, sizeof(tg.prefix), "%s", path ? path : "");
    size_t n = strlen(tg.prefix);
    while (n > 0 && tg.prefix[n - 1] == '/')
        tg.prefix[--n] = '\0';
    evhttp_uri_free(u);
    return 0;
}

/* ---- one request ---- */

static void on_response(struct evhttp_request *req, void *arg)
{
    struct response *res = arg;
    if (req && evhttp_request_get_response_code(req) > 0) {
        res->status = evhttp_request_get_response_code(req);
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        res->len = evbuffer_get_length(in);
        res->body = malloc(res->len + 1);
        if (res->body) {
            evbuffer_copyout(in, res->body, res->len);
            res->body[res->len] = '\0';
        }
    }
    event_base_loopexit(base, NULL);
}

/* Sends one request and waits for the answer. 0 with res filled (any
 * status), or -1 when no answer came. */
static int request(const char *method, const char *path, const char *ctype, const char *body,
                   size_t len, struct response *res)
{
    memset(res, 0, sizeof(*res));
    enum evhttp_cmd_type cmd = strcmp(method, "POST") == 0     ? EVHTTP_REQ_POST
                               : strcmp(method, "DELETE") == 0 ? EVHTTP_REQ_DELETE
                                                               : EVHTTP_REQ_GET;
    struct evhttp_connection *conn =
        evhttp_connection_base_new(base, NULL, tg.host, (unsigned short)tg.port);
    struct evhttp_request *req = conn ? evhttp_request_new(on_response, res) : NULL;
    if (req == NULL) {
        if (conn)
            evhttp_connection_free(conn);
        return -1;
    }
    evhttp_connection_set_timeout(conn, timeout_s);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char auth[APIPARSE_TOKEN_MAX + 16], uri[2048];
    snprintf(auth, sizeof(auth), "Bearer %s", tg.token);
    evhttp_add_header(h, "Host", tg.host);
    evhttp_add_header(h, "Authorization", auth);
    evhttp_add_header(h, "Accept", "application/json");
    evhttp_add_header(h, "Connection", "close");
    if (body) {
        evhttp_add_header(h, "Content-Type", ctype);
        evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
    }
    snprintf(uri, sizeof(uri), "%s%s", tg.prefix, path);
    if (evhttp_make_request(conn, req, cmd, uri) != 0) {
        evhttp_connection_free(conn);
        return -1;
    }
    event_base_dispatch(base);
    evhttp_connection_free(conn);
    return res->status > 0 ? 0 : -1;
}

/* The exit code for a response, after telling the user what went wrong. */
static int verdict(const struct response *res)
{
    if (res->status == 0) {
        fprintf(stderr, "kentongan-ctl: no answer from http://%s:%d%s (is the gateway running?)\n",
                tg.host, tg.port, tg.prefix);
        return EXIT_SERVER;
    }
    if (res->status < 400)
        return 0;
    json_t *doc = res->body ? json_loads(res->body, 0, NULL) : NULL;
    const char *msg = doc ? json_string_value(json_object_get(doc, "error")) : NULL;
    fprintf(stderr, "kentongan-ctl: HTTP %d: %s\n", res->status,
            show(msg ? msg : (res->body ? res->body : "")));
    json_t *problems = doc ? json_object_get(doc, "problems") : NULL;
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        json_int_t line = json_integer_value(json_object_get(p, "line"));
        const char *text = json_string_value(json_object_get(p, "problem"));
        if (line > 0)
            fprintf(stderr, "  line %lld: %s\n", (long long)line, show(text));
        else
            fprintf(stderr, "  %s\n", show(text));
    }
    json_decref(doc);
    return res->status < 500 ? EXIT_REFUSED : EXIT_SERVER;
}

/* Runs a request whose success is a JSON document: prints the body for
 * --json, returns the document in *doc (NULL on failure) and the exit code. */
static int call(const char *method, const char *path, json_t *body, json_t **doc)
{
    struct response res;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    *doc = NULL;
    int rc = request(method, path, "application/json", text, text ? strlen(text) : 0, &res);
    free(text);
    if (json_out && res.body)
        print_body(res.body, res.len);
    if (rc != 0 || res.status >= 400) {
        rc = verdict(&res);
        free(res.body);
        return rc;
    }
    *doc = json_loadb(res.body ? res.body : "", res.len, 0, NULL);
    free(res.body);
    if (*doc == NULL) {
        fprintf(stderr, "kentongan-ctl: the server's answer is not JSON\n");
        return EXIT_SERVER;
    }
    return 0;
}

/* ---- printing ---- */

/* s masked and escaped for a terminal; valid until SHOW_RING more calls. */
static const char *show(const char *s)
{
    static char *ring[SHOW_RING];
    static int next;
    if (s == NULL)
        s = "";
    size_t n = strlen(s);
    char *masked = malloc(n + 1), *out = malloc(TEXTSAFE_GROWTH * n + 1);
    if (masked == NULL || out == NULL) {
        free(masked);
        free(out);
        return "?";
    }
    privacy_mask(s, masked, n + 1);
    textsafe_escape(masked, out, TEXTSAFE_GROWTH * n + 1, 0);
    free(masked);
    free(ring[next]);
    ring[next] = out;
    next = (next + 1) % SHOW_RING;
    return out;
}

/* A body as the server sent it (--json), with control, C1 and bidi
 * characters written as JSON escapes (they can only sit inside strings). */
static void print_body(const char *body, size_t len)
{
    char *copy = strndup(body, len), *out = malloc(TEXTSAFE_GROWTH * len + 1);
    if (copy && out) {
        size_t n = strlen(copy);
        while (n > 0 && copy[n - 1] == '\n')
            copy[--n] = '\0';
        textsafe_escape(copy, out, TEXTSAFE_GROWTH * len + 1, TEXTSAFE_JSON);
        printf("%s\n", out);
    }
    free(copy);
    free(out);
}

static const char *str(json_t *o, const char *key)
{
    return show(json_string_value(json_object_get(o, key)));
}

static long long num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v)
           : json_is_real(v)  ? (long long)json_real_value(v)
                              : 0;
}

/* Unix seconds as WIB wall time, "-" when null. */
static const char *when(json_t *o, const char *key, char *buf, size_t len)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) {
        snprintf(buf, len, "-");
        return buf;
    }
    clock_wib_format(json_integer_value(v), "%Y-%m-%d %H:%M", buf, len);
    return buf;
}

/* The first n bytes of s on one line, cut at a UTF-8 boundary. */
static void oneline(const char *s, size_t n, char *out, size_t len)
{
    size_t o = 0;
    for (; *s && o + 4 < len && o < n; s++)
        out[o++] = *s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s;
    while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
        o--;
    if (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0)
        o--;
    out[o] = '\0';
    if (*s)
        snprintf(out + o, len - o, "...");
}

/* ---- broadcasts ---- */

static int progress_done(const char *status)
{
    return strcmp(status, "done") == 0 || strcmp(status, "cancelled") == 0;
}

static void draw_progress(json_t *b)
{
    long long total = num(b, "recipients");
    long long sent = num(b, "sent"), failed = num(b, "failed"), expired = num(b, "expired");
    long long done = sent + failed + expired;
    int pct = total > 0 ? (int)(done * 100 / total) : (progress_done(str(b, "status")) ? 100 : 0);
    if (pct > 100)
        pct = 100;
    char bar[BAR_WIDTH + 1];
    int fill = pct * BAR_WIDTH / 100;
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %3d%% %lld/%lld sent %lld failed %lld expired %lld %-9s", bar, pct,
            done, total, sent, failed, expired, str(b, "status"));
    fflush(stderr);
}

static void print_broadcast(json_t *b)
{
    char t1[32], t2[32];
    printf("broadcast %lld: %s\n", num(b, "id"), str(b, "status"));
    printf("  text:       %s\n", str(b, "text"));
    printf("  recipients: %lld (queued %lld, sent %lld, failed %lld, expired %lld, delivered "
           "%lld)\n",
           num(b, "recipients"), num(b, "queued"), num(b, "sent"), num(b, "failed"),
           num(b, "expired"), num(b, "delivered"));
    printf("  created:    %s by %s\n", when(b, "created", t1, sizeof(t1)), str(b, "actor"));
    printf("  at:         %s%s\n", when(b, "at", t2, sizeof(t2)),
           json_is_true(json_object_get(b, "emergency")) ? " (emergency)" : "");
    json_t *failures = json_object_get(b, "failures");
    const char *reason;
    json_t *count;
    json_object_foreach(failures, reason, count)
    {
        printf("  failed:     %s x %lld\n", reason, (long long)json_integer_value(count));
    }
}

static int broadcast_follow(long long id)
{
    char path[64];
    snprintf(path, sizeof(path), "/api/broadcasts/%lld", id);
    int saved = json_out;
    json_out = 0; /* with --json only the final document goes to stdout */
    json_t *b = NULL;
    int rc;
    for (;;) {
        json_decref(b);
        if ((rc = call("GET", path, NULL, &b)) != 0) {
            fputc('\n', stderr);
            json_out = saved;
            return rc;
        }
        draw_progress(b);
        if (progress_done(str(b, "status")))
            break;
        struct timespec ts = {CTL_POLL_MS / 1000, (CTL_POLL_MS % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    fputc('\n', stderr);
    json_out = saved;
    if (json_out) {
        char *text = json_dumps(b, JSON_COMPACT);
        print_body(text ? text : "{}", text ? strlen(text) : 2);
        free(text);
    } else {
        printf("broadcast %lld %s: %lld sent, %lld failed, %lld expired, %lld delivered\n", id,
               str(b, "status"), num(b, "sent"), num(b, "failed"), num(b, "expired"),
               num(b, "delivered"));
    }
    json_decref(b);
    return 0;
}

/* A file's whole content (NUL-terminated), at most CTL_BODY_MAX bytes; NULL
 * after saying why. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "kentongan-ctl: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(CTL_BODY_MAX + 2);
    size_t n = buf ? fread(buf, 1, CTL_BODY_MAX + 1, f) : 0;
    fclose(f);
    if (buf == NULL || n > CTL_BODY_MAX) {
        free(buf);
        fprintf(stderr, "kentongan-ctl: %s: larger than %d bytes; split it\n", path, CTL_BODY_MAX);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int broadcast_send(const struct opts *o)
{
    if (o->text == NULL || (o->nareas == 0 && o->nnumbers == 0 && o->csv == NULL))
        return usage_error(
            "broadcast send needs --text and at least one --area, --number or --csv");
    json_t *body = json_pack("{s:s}", "text", o->text);
    if (body == NULL)
        return usage_error("--text must be UTF-8");
    if (o->csv) {
        size_t n;
        char *csv = read_file(o->csv, &n);
        json_t *s = csv ? json_stringn(csv, n) : NULL;
        free(csv);
        if (s == NULL) {
            json_decref(body);
            return csv ? usage_error("--csv %s: not UTF-8 text", o->csv) : EXIT_USAGE;
        }
        json_object_set_new(body, "csv", s);
    }
    json_t *areas = json_array(), *numbers = json_array();
    for (int i = 0; i < o->nareas; i++)
        json_array_append_new(areas, json_string(o->areas[i]));
    for (int i = 0; i < o->nnumbers; i++)
        json_array_append_new(numbers, json_string(o->numbers[i]));
    json_object_set_new(body, "areas", areas);
    if (o->nnumbers)
        json_object_set_new(body, "numbers", numbers);
    else
        json_decref(numbers);
    long v;
    if (o->parts) {
        if (apiparse_long(o->parts, 1, 10, &v) != 0) {
            json_decref(body);
            return usage_error("--parts: a whole number from 1 to 10");
        }
        json_object_set_new(body, "parts", json_integer(v));
    }
    if (o->emergency)
        json_object_set_new(body, "emergency", json_true());
    if (o->at) {
        long long at;
        if (apiparse_time(o->at, &at) != 0) {
            json_decref(body);
            return usage_error("--at '%s': unix seconds or 'YYYY-MM-DD HH:MM' (WIB)", o->at);
        }
        json_object_set_new(body, "at", json_integer(at));
    }
    json_t *b;
    int saved = json_out;
    if (!o->detach)
        json_out = 0;
    int rc = call("POST", "/api/broadcasts", body, &b);
    json_out = saved;
    json_decref(body);
    if (rc != 0) {
        if (!o->detach && json_out)
            fprintf(stderr, "kentongan-ctl: the broadcast was not accepted\n");
        return rc;
    }
    long long id = num(b, "id");
    if (!json_out || !o->detach)
        fprintf(json_out ? stderr : stdout,
                "broadcast %lld: %lld recipients, %lld part%s (%s), %s\n", id, num(b, "recipients"),
                num(b, "parts"), num(b, "parts") == 1 ? "" : "s", str(b, "coding"),
                str(b, "status"));
    json_decref(b);
    if (o->detach)
        return 0;
    return broadcast_follow(id);
}

static int broadcast_cmd(const struct opts *o)
{
    const char *sub = o->nargs > 1 ? o->args[1] : "";
    json_t *doc;
    char path[160];
    int rc;
    if (strcmp(sub, "send") == 0)
        return broadcast_send(o);
    if (strcmp(sub, "list") == 0) {
        snprintf(path, sizeof(path), "/api/broadcasts?offset=%s&limit=%s",
                 o->offset ? o->offset : "0", o->limit ? o->limit : "50");
        if ((rc = call("GET", path, NULL, &doc)) != 0 || json_out) {
            json_decref(doc);
            return rc;
        }
        printf("%-6s %-10s %10s %8s %8s  %-16s  %s\n", "ID", "STATUS", "RECIPIENTS", "SENT",
               "FAILED", "CREATED", "TEXT");
        size_t i;
        json_t *b;
        json_array_foreach(json_object_get(doc, "items"), i, b)
        {
            char t[32], text[64];
            oneline(str(b, "text"), 40, text, sizeof(text));
            printf("%-6lld %-10s %10lld %8lld %8lld  %-16s  %s\n", num(b, "id"), str(b, "status"),
                   num(b, "recipients"), num(b, "sent"), num(b, "failed"),
                   when(b, "created", t, sizeof(t)), text);
        }
        printf("%zu of %lld\n", json_array_size(json_object_get(doc, "items")), num(doc, "total"));
        json_decref(doc);
        return 0;
    }
    if ((strcmp(sub, "show") == 0 || strcmp(sub, "cancel") == 0) && o->nargs == 3) {
        long id;
        if (apiparse_long(o->args[2], 1, 2000000000L, &id) != 0)
            return usage_error("broadcast %s: ID is a number", sub);
        int cancel = strcmp(sub, "cancel") == 0;
        snprintf(path, sizeof(path), "/api/broadcasts/%ld%s", id, cancel ? "/cancel" : "");
        if ((rc = call(cancel ? "POST" : "GET", path, NULL, &doc)) != 0 || json_out) {
            json_decref(doc);
            return rc;
        }
        print_broadcast(doc);
        json_decref(doc);
        return 0;
    }
    return usage_error("broadcast send|list|show ID|cancel ID");
}

/* ---- complaints ---- */

static void print_complaint_line(json_t *c)
{
    char t[32], text[80];
    oneline(str(c, "text"), 50, text, sizeof(text));
    printf("%-10s %-16s %-11s %-16s %s\n", str(c, "ticket"), str(c, "status"), str(c, "opd"),
           when(c, "updated", t, sizeof(t)), text);
}

static void print_complaint(json_t *c)
{
    char t[32];
    printf("ticket %s: %s, %s\n", str(c, "ticket"), str(c, "status"), str(c, "opd"));
    printf("  from:      %s (%s)\n", str(c, "phone"), str(c, "channel"));
    printf("  category:  %s\n", str(c, "category"));
    if (str(c, "desa")[0] || str(c, "kecamatan")[0])
        printf("  place:     %s%s%s\n", str(c, "desa"), str(c, "desa")[0] ? ", kec. " : "kec. ",
               str(c, "kecamatan"));
    printf("  created:   %s\n", when(c, "created", t, sizeof(t)));
    printf("  deadline:  %s %s\n", when(c, "deadline", t, sizeof(t)), str(c, "deadline_kind"));
    printf("  text:      %s\n", str(c, "text"));
    size_t i;
    json_t *e;
    json_t *log = json_object_get(c, "log");
    if (json_array_size(log))
        printf("  history:\n");
    json_array_foreach(log, i, e)
    {
        printf("    %s  %-14s %s -> %s  %s%s%s\n", when(e, "at", t, sizeof(t)), str(e, "action"),
               str(e, "from")[0] ? str(e, "from") : "-", str(e, "to"), str(e, "actor"),
               str(e, "note")[0] ? ": " : "", str(e, "note"));
    }
}

static void url_encode(const char *in, char *out, size_t len)
{
    char *e = evhttp_uriencode(in, -1, 0);
    snprintf(out, len, "%s", e ? e : "");
    free(e);
}

static int complaints_cmd(const struct opts *o)
{
    const char *sub = o->nargs > 1 ? o->args[1] : "";
    json_t *doc;
    char path[1024];
    int rc;
    if (strcmp(sub, "list") == 0 && o->nargs == 2) {
        char st[64] = "", opd[64] = "";
        if (o->status)
            url_encode(o->status, st, sizeof(st));
        if (o->opd)
            url_encode(o->opd, opd, sizeof(opd));
        snprintf(path, sizeof(path), "/api/complaints?status=%s&opd=%s&offset=%s&limit=%s", st, opd,
                 o->offset ? o->offset : "0", o->limit ? o->limit : "50");
        if ((rc = call("GET", path, NULL, &doc)) != 0 || json_out) {
            json_decref(doc);
            return rc;
        }
        printf("%-10s %-16s %-11s %-16s %s\n", "TICKET", "STATUS", "OPD", "UPDATED", "TEXT");
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(doc, "items"), i, c) print_complaint_line(c);
        printf("%zu of %lld\n", json_array_size(json_object_get(doc, "items")), num(doc, "total"));
        json_decref(doc);
        return 0;
    }
    if (strcmp(sub, "show") == 0 && o->nargs == 3) {
        char t[64];
        url_encode(o->args[2], t, sizeof(t));
        snprintf(path, sizeof(path), "/api/complaints/%s", t);
        if ((rc = call("GET", path, NULL, &doc)) != 0 || json_out) {
            json_decref(doc);
            return rc;
        }
        print_complaint(doc);
        json_decref(doc);
        return 0;
    }
    /* actions: forward OPD, answer TEXT, resolve TEXT, accept, reject REASON */
    static const struct {
        const char *name, *field;
    } acts[] = {{"forward", "opd"},
                {"answer", "text"},
                {"resolve", "text"},
                {"accept", NULL},
                {"reject", "reason"}};
    for (size_t k = 0; k < sizeof(acts) / sizeof(acts[0]); k++) {
        if (strcmp(sub, acts[k].name) != 0)
            continue;
        if (o->nargs != (acts[k].field ? 4 : 3))
            return usage_error("complaints %s TICKET%s", sub,
                               acts[k].field ? (strcmp(acts[k].field, "opd") == 0      ? " OPD"
                                                : strcmp(acts[k].field, "reason") == 0 ? " REASON"
                                                                                       : " TEXT")
                                             : "");
        char t[64];
        url_encode(o->args[2], t, sizeof(t));
        snprintf(path, sizeof(path), "/api/complaints/%s/%s", t, sub);
        json_t *body = acts[k].field ? json_pack("{s:s}", acts[k].field, o->args[3]) : NULL;
        if (acts[k].field && body == NULL)
            return usage_error("the text must be UTF-8");
        rc = call("POST", path, body, &doc);
        json_decref(body);
        if (rc != 0 || json_out) {
            json_decref(doc);
            return rc;
        }
        json_t *c = json_object_get(doc, "complaint");
        printf("%s\nticket %s: %s (%s)\n", str(doc, "reply"), str(doc, "ticket"), str(c, "status"),
               str(c, "opd"));
        json_decref(doc);
        return 0;
    }
    return usage_error("complaints list|show TICKET|forward|answer|resolve|accept|reject");
}

/* ---- subscribers ---- */

static int subscribers_cmd(const struct opts *o)
{
    const char *sub = o->nargs > 1 ? o->args[1] : "";
    json_t *doc, *body = NULL;
    char path[1024], a[256], n[64];
    int rc;
    if (strcmp(sub, "list") == 0 && o->nargs == 2) {
        if (o->area == NULL && o->nareas == 0)
            return usage_error("subscribers list --area AREA");
        url_encode(o->area ? o->area : o->areas[0], a, sizeof(a));
        snprintf(path, sizeof(path), "/api/subscribers?area=%s&offset=%s&limit=%s", a,
                 o->offset ? o->offset : "0", o->limit ? o->limit : "50");
        if ((rc = call("GET", path, NULL, &doc)) != 0 || json_out) {
            json_decref(doc);
            return rc;
        }
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(doc, "items"), i, s) printf("%s\n", str(s, "number"));
        fprintf(stderr, "%zu of %lld subscribers of %s\n",
                json_array_size(json_object_get(doc, "items")), num(doc, "total"),
                str(doc, "name"));
        json_decref(doc);
        return 0;
    }
    if (strcmp(sub, "show") == 0 && o->nargs == 3) {
        url_encode(o->args[2], n, sizeof(n));
        snprintf(path, sizeof(path), "/api/subscribers/%s", n);
        if ((rc = call("GET", path, NULL, &doc)) != 0 || json_out) {
            json_decref(doc);
            return rc;
        }
        char t[32];
        printf("%s\n", str(doc, "number"));
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(doc, "areas"), i, e)
            printf("  follows %s %s\n", str(e, "area"), str(e, "name"));
        if (json_is_integer(json_object_get(doc, "opted_out")))
            printf("  opted out %s\n", when(doc, "opted_out", t, sizeof(t)));
        json_array_foreach(json_object_get(doc, "consent"), i, e)
            printf("  %s consent %s %s via %s (%s)\n", when(e, "at", t, sizeof(t)),
                   json_is_true(json_object_get(e, "consent")) ? "given" : "withdrawn",
                   str(e, "area"), str(e, "channel"), str(e, "message"));
        json_decref(doc);
        return 0;
    }
    if (strcmp(sub, "add") == 0 && o->nargs == 4) {
        body = json_pack("{s:s, s:s}", "number", o->args[2], "area", o->args[3]);
        rc = call("POST", "/api/subscribers", body, &doc);
        json_decref(body);
        if (rc == 0 && !json_out)
            printf("%s %s %s\n", str(doc, "number"),
                   json_is_true(json_object_get(doc, "new")) ? "now follows" : "already follows",
                   str(doc, "name"));
        json_decref(doc);
        return rc;
    }
    if (strcmp(sub, "remove") == 0 && o->nargs == 3) {
        url_encode(o->args[2], n, sizeof(n));
        const char *area = o->area ? o->area : o->nareas ? o->areas[0] : NULL;
        if (area) {
            url_encode(area, a, sizeof(a));
            snprintf(path, sizeof(path), "/api/subscribers/%s?area=%s", n, a);
        } else {
            snprintf(path, sizeof(path), "/api/subscribers/%s", n);
        }
        rc = call("DELETE", path, NULL, &doc);
        if (rc == 0 && !json_out && area)
            printf("%s no longer follows %s\n", str(doc, "number"), area);
        else if (rc == 0 && !json_out)
            printf("%s opted out (%lld areas removed)\n", str(doc, "number"), num(doc, "removed"));
        json_decref(doc);
        return rc;
    }
    return usage_error("subscribers list --area AREA|show NUMBER|add NUMBER AREA|remove NUMBER");
}

/* ---- status import, modems, ussd ---- */

static int status_cmd(const struct opts *o)
{
    if (o->nargs != 3 || strcmp(o->args[1], "import") != 0)
        return usage_error("status import FILE.csv");
    size_t n;
    char *buf = read_file(o->args[2], &n);
    if (buf == NULL)
        return EXIT_USAGE;
    struct response res;
    int rc = request("POST", "/api/status/import", "text/csv", buf, n, &res);
    free(buf);
    if (json_out && res.body)
        print_body(res.body, res.len);
    if (rc != 0 || res.status >= 400) {
        rc = verdict(&res);
        free(res.body);
        return rc;
    }
    json_t *doc = json_loads(res.body ? res.body : "", 0, NULL);
    free(res.body);
    if (!json_out)
        printf("%s: %lld rows imported, %lld changed, %lld applicants notified\n", o->args[2],
               num(doc, "imported"), num(doc, "changed"), num(doc, "notified"));
    json_decref(doc);
    return 0;
}

static int modems_cmd(const struct opts *o)
{
    json_t *doc;
    int rc = call("GET", "/api/modems", NULL, &doc);
    if (rc != 0 || json_out) {
        json_decref(doc);
        return rc;
    }
    printf("%-16s %-11s %6s %-10s %13s %9s %14s\n", "MODEM", "STATE", "SIGNAL", "NETWORK",
           "SENT/CAP", "QUEUE", "CREDIT");
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "modems"), i, m)
    {
        char sig[16] = "-", cap[32], queue[32], credit[40] = "-";
        json_t *q = json_object_get(m, "queue"), *cr = json_object_get(m, "credit");
        if (json_is_integer(json_object_get(m, "signal")))
            snprintf(sig, sizeof(sig), "%lld%%", num(m, "signal"));
        snprintf(cap, sizeof(cap), "%lld/%lld", num(m, "sent_today"), num(m, "per_day"));
        snprintf(queue, sizeof(queue), "%lld+%lld", num(q, "waiting"), num(q, "pending"));
        if (json_is_integer(cr)) {
            /* rupiah as staff write it, flagged when below balance_low */
            credit_format((long long)json_integer_value(cr), credit, sizeof(credit));
            if (json_is_true(json_object_get(m, "credit_low")))
                strcat(credit, " LOW");
        } else if (json_is_number(cr)) {
            snprintf(credit, sizeof(credit), "%.0f", json_number_value(cr));
        } else if (json_is_string(cr)) {
            snprintf(credit, sizeof(credit), "%s", show(json_string_value(cr)));
        } else if (json_is_string(json_object_get(m, "credit_error"))) {
            snprintf(credit, sizeof(credit), "unknown");
        }
        printf("%-16s %-11s %6s %-10s %13s %9s %14s\n", str(m, "name"),
               json_is_true(json_object_get(m, "up")) ? "up" : str(m, "state"), sig,
               str(m, "network")[0] ? str(m, "network") : "-", cap, queue, credit);
    }
    json_t *lanes = json_object_get(doc, "lanes");
    const char *names[] = {"any", "emergency", "bulk"};
    printf("shared lanes (waiting+pending):");
    for (int k = 0; k < 3; k++) {
        json_t *l = json_object_get(lanes, names[k]);
        printf(" %s %lld+%lld", names[k], num(l, "waiting"), num(l, "pending"));
    }
    printf("\n");
    json_decref(doc);
    return 0;
}

static int ussd_cmd(const struct opts *o)
{
    if (o->nargs != 3)
        return usage_error("ussd MODEM CODE");
    char m[128], path[256];
    url_encode(o->args[1], m, sizeof(m));
    snprintf(path, sizeof(path), "/api/modems/%s/ussd", m);
    json_t *body = json_pack("{s:s}", "code", o->args[2]), *doc;
    if (body == NULL)
        return usage_error("the code must be UTF-8");
    timeout_s = CTL_USSD_WAIT; /* the network may take a while */
    int rc = call("POST", path, body, &doc);
    json_decref(body);
    if (rc == 0 && !json_out)
        printf("%s\n", str(doc, "answer"));
    json_decref(doc);
    return rc;
}

/* modem probe NAME: the report as a reader wants it; every string from the modem escaped. */
static int modem_cmd(const struct opts *o)
{
    if (o->nargs != 3 || strcmp(o->args[1], "probe") != 0 || o->nnumbers > 1)
        return usage_error("modem probe MODEM [--number OWN_NUMBER]");
    char m[128], path[256];
    url_encode(o->args[2], m, sizeof(m));
    snprintf(path, sizeof(path), "/api/modems/%s/probe", m);
    json_t *body = o->nnumbers ? json_pack("{s:s}", "number", o->numbers[0]) : json_object(), *doc;
    if (body == NULL)
        return usage_error("the number must be UTF-8");
    if (!json_out)
        fprintf(stderr, "probing modem %s (a test SMS may take a while to come back)...\n",
                show(o->args[2]));
    timeout_s = CTL_PROBE_WAIT;
    int rc = call("POST", path, body, &doc);
    json_decref(body);
    if (rc != 0 || json_out) {
        int failed = rc == 0 && strcmp(str(doc, "verdict"), "pass") != 0;
        json_decref(doc);
        return rc != 0 ? rc : failed ? EXIT_PROBE : 0;
    }
    json_t *sim = json_object_get(doc, "sim");
    printf("modem %s (driver %s)\n", show(str(doc, "modem")), show(str(doc, "driver")));
    printf("  %-12s %s %s, firmware %s\n", "device", show(str(doc, "manufacturer")),
           show(str(doc, "model")), show(str(doc, "firmware")));
    printf("  %-12s %s\n", "IMEI", str(doc, "imei")[0] ? show(str(doc, "imei")) : "-");
    if (json_is_true(json_object_get(sim, "present")))
        printf("  %-12s %s (MCC %s, MNC %s)\n", "SIM operator", show(str(sim, "operator")),
               show(str(sim, "mcc")), show(str(sim, "mnc")));
    else
        printf("  %-12s none read\n", "SIM operator");
    printf("\n");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "checks"), i, c)
    {
        char status[8];
        snprintf(status, sizeof(status), "%s", str(c, "status"));
        for (char *p = status; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        printf("  %-4s  %-9s %s\n", status, show(str(c, "check")), show(str(c, "detail")));
        if (str(c, "advice")[0])
            printf("  %-4s  %-9s -> %s\n", "", "", show(str(c, "advice")));
    }
    int failed = strcmp(str(doc, "verdict"), "pass") != 0;
    printf("\nverdict: %s (%s)\n", failed ? "FAIL" : "PASS", show(str(doc, "summary")));
    json_decref(doc);
    return failed ? EXIT_PROBE : 0;
}

/* ---- quarantine ---- */

/* s with every control character (and backslash) written as \xNN: text from a modem goes
 * to a terminal, where an escape sequence would be obeyed. */
static void escaped(const char *s, char *out, size_t len)
{
    size_t o = 0;
    for (; *s && o + 5 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7F || c == '\\')
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
}

static int quarantine_cmd(const struct opts *o)
{
    if (o->nargs > 3)
        return usage_error("quarantine [MODEM [KIND]]");
    char m[128] = "", k[64] = "", path[512];
    if (o->nargs >= 2)
        url_encode(o->args[1], m, sizeof(m));
    if (o->nargs >= 3)
        url_encode(o->args[2], k, sizeof(k));
    snprintf(path, sizeof(path), "/api/quarantine?modem=%s&kind=%s&offset=%s&limit=%s", m, k,
             o->offset ? o->offset : "0", o->limit ? o->limit : "50");
    json_t *doc;
    int rc = call("GET", path, NULL, &doc);
    if (rc != 0 || json_out) {
        json_decref(doc);
        return rc;
    }
    printf("%-16s %-12s %5s %-16s %-16s %s\n", "TIME (WIB)", "MODEM", "LOC", "KIND", "REASON",
           "FROM");
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "items"), i, e)
    {
        char at[32], modem[64], kind[64], reason[64], from[96], text[8192];
        clock_wib_format(num(e, "at") / 1000, "%Y-%m-%d %H:%M", at, sizeof(at));
        escaped(str(e, "modem"), modem, sizeof(modem));
        escaped(str(e, "kind"), kind, sizeof(kind));
        escaped(str(e, "reason"), reason, sizeof(reason));
        escaped(str(e, "from")[0] ? str(e, "from") : "-", from, sizeof(from));
        printf("%-16s %-12s %5lld %-16s %-16s %s\n", at, modem, num(e, "location"), kind, reason,
               from);
        static const char *const details[] = {"error", "preview", "pdu", "file"};
        for (int d = 0; d < 4; d++) {
            if (str(e, details[d])[0] == '\0')
                continue;
            escaped(str(e, details[d]), text, sizeof(text));
            printf("    %s: %s\n", details[d], text);
        }
    }
    printf("%lld shown of %lld matching (%lld kept)\n",
           (long long)json_array_size(json_object_get(doc, "items")), num(doc, "matched"),
           num(doc, "total"));
    json_decref(doc);
    return 0;
}

/* ---- arguments ---- */

/* Options that take a value, and where it goes. */
static const char **value_slot(struct opts *o, const char *name)
{
    if (strcmp(name, "--url") == 0)
        return &o->url;
    if (strcmp(name, "--token") == 0)
        return &o->token;
    if (strcmp(name, "--text") == 0)
        return &o->text;
    if (strcmp(name, "--parts") == 0)
        return &o->parts;
    if (strcmp(name, "--at") == 0)
        return &o->at;
    if (strcmp(name, "--status") == 0)
        return &o->status;
    if (strcmp(name, "--opd") == 0)
        return &o->opd;
    if (strcmp(name, "--offset") == 0)
        return &o->offset;
    if (strcmp(name, "--limit") == 0)
        return &o->limit;
    if (strcmp(name, "--csv") == 0)
        return &o->csv;
    return NULL;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--emergency") == 0) {
            o->emergency = 1;
        } else if (strcmp(a, "--detach") == 0) {
            o->detach = 1;
        } else if (strcmp(a, "--area") == 0 || strcmp(a, "--number") == 0) {
            if (i + 1 == argc)
                return usage_error("%s needs a value", a);
            int area = strcmp(a, "--area") == 0;
            if ((area ? o->nareas : o->nnumbers) == CTL_AREAS_MAX)
                return usage_error("at most %d of %s", CTL_AREAS_MAX, a);
            if (area)
                o->areas[o->nareas++] = argv[++i];
            else
                o->numbers[o->nnumbers++] = argv[++i];
        } else if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
            const char **slot = value_slot(o, a);
            if (slot == NULL)
                return usage_error("unknown option %s", a);
            if (i + 1 == argc)
                return usage_error("%s needs a value", a);
            *slot = argv[++i];
        } else {
            if (o->nargs == (int)(sizeof(o->args) / sizeof(o->args[0])))
                return usage_error("too many arguments");
            o->args[o->nargs++] = a;
        }
    }
    /* offset= and limit= go into a URL: digits only */
    long v;
    if (o->offset && apiparse_long(o->offset, 0, 1000000000L, &v) != 0)
        return usage_error("--offset: a whole number");
    if (o->limit && apiparse_long(o->limit, 1, 500, &v) != 0)
        return usage_error("--limit: a whole number from 1 to 500");
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
    }
    struct opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc;
    if (o.nargs == 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    static const struct {
        const char *name;
        int (*fn)(const struct opts *);
    } commands[] = {{"broadcast", broadcast_cmd},     {"complaints", complaints_cmd},
                    {"subscribers", subscribers_cmd}, {"status", status_cmd},
                    {"modems", modems_cmd},           {"ussd", ussd_cmd},
                    {"quarantine", quarantine_cmd},   {"modem", modem_cmd}};
    int (*fn)(const struct opts *) = NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, o.args[0]) == 0)
            fn = commands[i].fn;
    if (fn == NULL)
        return usage_error("unknown command '%s'", o.args[0]);
    if ((rc = set_target(&o)) != 0)
        return rc;
    json_out = o.json;
    base = event_base_new();
    if (base == NULL)
        return EXIT_SERVER;
    rc = fn(&o);
    event_base_free(base);
    return rc;
}
