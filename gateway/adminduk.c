/* adminduk — see adminduk.h. Checking is pure (adminduk_check); applying
 * is one Redis function call. The command (kentongan --import-status FILE)
 * talks to Redis synchronously; the admin API sends the same command on the
 * gateway's asynchronous connection. */
#include "gateway/adminduk.h"
#include "gateway/clock.h"

#include "gateway/config.h"
#include "gateway/csv.h"
#include "gateway/phone.h"
#include "gateway/redisauth.h"
#include "gateway/reply.h"
#include "gateway/store.h"
#include "gateway/textsafe.h"
#include "handlers/privacy.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#define NUMBER_MAX 40
#define NOTE_SMS   70          /* characters of the note put in the SMS */
#define NOTICE_TTL (3 * 86400) /* seconds the SIAP DIAMBIL SMS may wait for a modem */

static const char *const statuses[] = {"DITERIMA",     "VERIFIKASI", "DIVALIDASI", "PROSES CETAK",
                                       "SIAP DIAMBIL", "DIAMBIL",    "DIBATALKAN", NULL};
static const char *const header[] = {"nomor", "jenis", "telepon", "status", "catatan"};

struct row {
    char number[NUMBER_MAX + 1];
    char doc[64];
    char phone[24];
    char status[16];
    char note[CSV_FIELD_MAX + 1];
    char sms_note[NOTE_SMS * 4];
    char sms_number[NUMBER_MAX + 1]; /* the number as it may appear in an SMS (masked) */
    int line;
};

/* Upper-cases and squeezes spaces: "siap  diambil" -> "SIAP DIAMBIL". */
static void status_norm(const char *in, char *out, size_t len)
{
    size_t o = 0;
    int space = 1;
    for (; *in && o + 1 < len; in++) {
        if (*in == ' ' || *in == '_' || *in == '\t') {
            if (!space)
                out[o++] = ' ';
            space = 1;
        } else {
            out[o++] = (char)(*in >= 'a' && *in <= 'z' ? *in - 32 : *in);
            space = 0;
        }
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, n - lead + 1);
}

static int valid_number(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NUMBER_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              *s == '-' || *s == '/' || *s == '.'))
            return 0;
    return 1;
}

static char *read_file(const char *path, size_t *len, FILE *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(out, "%s: cannot open\n", path);
        return NULL;
    }
    char *buf = malloc(ADMINDUK_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, ADMINDUK_FILE_MAX + 1, f) : 0;
    fclose(f);
    if (buf == NULL || n > ADMINDUK_FILE_MAX) {
        fprintf(out, "%s: larger than %d bytes; split it\n", path, ADMINDUK_FILE_MAX);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

struct adminduk_batch {
    struct row *rows;
    int nrows;
    const char **argv;
    char now[24], expires[24];
};

struct reporter {
    adminduk_problem_fn fn;
    void *arg;
    int problems;
};

static void report(struct reporter *rp, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct reporter *rp, int line, const char *fmt, ...)
{
    if (++rp->problems > ADMINDUK_PROBLEMS_MAX)
        return;
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    rp->fn(rp->arg, line, text);
}

/* A CSV error reads "line N: what"; the line goes apart. */
static void report_csv(struct reporter *rp, int line, const char *err)
{
    int n = 0, at = 0;
    if (sscanf(err, "line %d: %n", &n, &at) == 1 && at > 0)
        report(rp, n, "%s", err + at);
    else
        report(rp, line, "%s", err);
}

/* Numbers already seen, for the duplicate check: open addressing over row
 * indexes + 1 (0 = empty), twice as many slots as rows can be. The check
 * runs on the gateway's event loop for an upload, so it must stay linear. */
#define SEEN_SLOTS (2 * ADMINDUK_ROWS_MAX)

static unsigned number_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s)) * 16777619u;
    return h;
}

/* The row holding number already, or -1 (then it is recorded as row i). */
static int seen_before(int *seen, const struct row *rows, const char *number, int i)
{
    unsigned slot = number_hash(number) % SEEN_SLOTS;
    while (seen[slot]) {
        if (strcasecmp(rows[seen[slot] - 1].number, number) == 0)
            return seen[slot] - 1;
        slot = (slot + 1) % SEEN_SLOTS;
    }
    seen[slot] = i + 1;
    return -1;
}

/* Parses and checks every row into rows; returns the row count, or -1 after
 * reporting every problem. */
static int check(const char *text, size_t len, struct row *rows, int *seen, struct reporter *rp)
{
    struct csv c;
    const char *f[CSV_FIELDS_MAX];
    char err[200];
    int n, nrows = 0;
    csv_init(&c, text, len);
#define BAD(...) report(rp, c.line, __VA_ARGS__)
    n = csv_row(&c, f, CSV_FIELDS_MAX, err, sizeof(err));
    if (n <= 0) {
        if (n < 0)
            report_csv(rp, 0, err);
        else
            report(rp, 0, "empty file");
        return -1;
    }
    int ok = n == 5;
    for (int i = 0; ok && i < 5; i++)
        ok = strcasecmp(f[i], header[i]) == 0;
    if (!ok) {
        report(rp, 1, "the first line must be: nomor,jenis,telepon,status,catatan");
        return -1;
    }
    while ((n = csv_row(&c, f, CSV_FIELDS_MAX, err, sizeof(err))) != 0) {
        if (n < 0) {
            report_csv(rp, c.line, err);
            return -1; /* the file's structure is broken: line numbers after it are unsure */
        }
        if (n != 5) {
            BAD("expected 5 fields (nomor,jenis,telepon,status,catatan), found %d", n);
            continue;
        }
        if (nrows == ADMINDUK_ROWS_MAX) {
            BAD("more than %d rows; split the file", ADMINDUK_ROWS_MAX);
            break;
        }
        struct row *r = &rows[nrows];
        memset(r, 0, sizeof(*r));
        r->line = c.line;
        char buf[CSV_FIELD_MAX + 1];
        int bad = 0;
        snprintf(buf, sizeof(buf), "%s", f[0]);
        trim(buf);
        if (!valid_number(buf)) {
            BAD("nomor '%.40s': 1-%d letters, digits, '-', '/' or '.'", buf, NUMBER_MAX);
            bad = 1;
        }
        snprintf(r->number, sizeof(r->number), "%.40s", buf);
        snprintf(buf, sizeof(buf), "%s", f[1]);
        textsafe_clean_line(buf); /* it goes to residents by SMS */
        trim(buf);
        if (buf[0] == '\0' || strlen(buf) >= sizeof(r->doc)) {
            BAD("jenis: the document type is missing or too long");
            bad = 1;
        }
        snprintf(r->doc, sizeof(r->doc), "%.63s", buf);
        if (phone_normalise(f[2], r->phone, sizeof(r->phone)) != PHONE_MOBILE) {
            BAD("telepon '%.24s': not an Indonesian mobile number", f[2]);
            bad = 1;
        }
        status_norm(f[3], r->status, sizeof(r->status));
        int known = 0;
        for (const char *const *s = statuses; *s; s++)
            known |= strcmp(*s, r->status) == 0;
        if (!known) {
            BAD("status '%.20s': expected DITERIMA, VERIFIKASI, DIVALIDASI, PROSES CETAK, SIAP "
                "DIAMBIL, DIAMBIL or DIBATALKAN",
                f[3]);
            bad = 1;
        }
        snprintf(r->note, sizeof(r->note), "%s", f[4]);
        textsafe_clean(r->note); /* it goes to residents by SMS */
        trim(r->note);
        if (strcmp(r->status, "DIBATALKAN") == 0 && r->note[0] == '\0') {
            BAD("DIBATALKAN needs the reason in catatan");
            bad = 1;
        }
        int k = bad ? -1 : seen_before(seen, rows, r->number, nrows);
        if (k >= 0) {
            BAD("nomor %s already on line %d", r->number, rows[k].line);
            bad = 1;
        }
        privacy_mask(r->number, r->sms_number, sizeof(r->sms_number));
        char masked[CSV_FIELD_MAX * 2];
        privacy_mask(r->note, masked, sizeof(masked));
        size_t cutoff = strlen(masked) > NOTE_SMS ? NOTE_SMS : strlen(masked);
        while (cutoff > 0 && ((unsigned char)masked[cutoff] & 0xC0) == 0x80)
            cutoff--;
        snprintf(r->sms_note, sizeof(r->sms_note), "%.*s", (int)cutoff, masked);
        if (!bad)
            nrows++;
    }
#undef BAD
    return rp->problems ? -1 : nrows;
}

struct adminduk_batch *adminduk_check(const char *text, size_t len, adminduk_problem_fn fn,
                                      void *arg, int *problems)
{
    struct reporter rp = {fn, arg, 0};
    struct adminduk_batch *b = calloc(1, sizeof(*b));
    int *seen = calloc(SEEN_SLOTS, sizeof(*seen));
    if (b)
        b->rows = calloc(ADMINDUK_ROWS_MAX, sizeof(*b->rows));
    if (b == NULL || b->rows == NULL || seen == NULL) {
        report(&rp, 0, "out of memory");
        *problems = rp.problems;
        adminduk_free(b);
        free(seen);
        return NULL;
    }
    b->nrows = check(text, len, b->rows, seen, &rp);
    free(seen);
    *problems = rp.problems;
    if (b->nrows < 0) {
        adminduk_free(b);
        return NULL;
    }
    return b;
}

int adminduk_rows(const struct adminduk_batch *b)
{
    return b->nrows;
}

int adminduk_command(struct adminduk_batch *b, long long now, const char ***argv)
{
    free(b->argv);
    b->argv = calloc(8 + (size_t)b->nrows * 7, sizeof(*b->argv));
    if (b->argv == NULL)
        return -1;
    snprintf(b->now, sizeof(b->now), "%lld", now * 1000);
    snprintf(b->expires, sizeof(b->expires), "%lld", (now + NOTICE_TTL) * 1000);
    int argc = 0;
    const char **v = b->argv;
    v[argc++] = "FCALL";
    v[argc++] = "kt_adminduk_import";
    v[argc++] = "1";
    v[argc++] = STORE_OUT_ANY;
    v[argc++] = b->now;
    v[argc++] = b->expires;
    for (int i = 0; i < b->nrows; i++) {
        struct row *r = &b->rows[i];
        v[argc++] = r->number;
        v[argc++] = r->doc;
        v[argc++] = r->phone;
        v[argc++] = r->status;
        v[argc++] = r->note;
        v[argc++] = r->sms_note;
        v[argc++] = r->sms_number;
    }
    *argv = b->argv;
    return argc;
}

void adminduk_free(struct adminduk_batch *b)
{
    if (b == NULL)
        return;
    free(b->rows);
    free(b->argv);
    free(b);
}

static redisContext *connect_redis(const struct config *cfg, FILE *out)
{
    struct timeval tv = {5, 0};
    int refused;
    char why[256];
    redisContext *rc = redisauth_connect(cfg, tv, &refused, why, sizeof(why));
    if (rc == NULL)
        fprintf(out, "redis %s: %s\n", cfg->redis, why);
    return rc;
}

struct cli_out {
    FILE *out;
    const char *path;
};

/* A problem quotes the file's bytes: shown masked (NIK) and escaped (a
 * control character in the file must not drive the terminal). */
static void print_problem(void *arg, int line, const char *problem)
{
    struct cli_out *o = arg;
    size_t n = strlen(problem) + 1;
    char *masked = malloc(n), *shown = malloc(TEXTSAFE_GROWTH * n);
    if (masked && shown) {
        privacy_mask(problem, masked, n);
        textsafe_escape(masked, shown, TEXTSAFE_GROWTH * n, 0);
        problem = shown;
    }
    if (line > 0)
        fprintf(o->out, "%s:%d: %s\n", o->path, line, problem);
    else
        fprintf(o->out, "%s: %s\n", o->path, problem);
    free(masked);
    free(shown);
}

int adminduk_import(const struct config *cfg, const char *path, FILE *out)
{
    size_t len;
    int rc = 1, problems = 0;
    char *text = read_file(path, &len, out);
    struct adminduk_batch *b = NULL;
    redisContext *redis = NULL;
    redisReply *r = NULL;
    const char **argv;
    if (text == NULL)
        goto out;
    struct cli_out o = {out, path};
    b = adminduk_check(text, len, print_problem, &o, &problems);
    if (b == NULL) {
        if (problems > ADMINDUK_PROBLEMS_MAX)
            fprintf(out, "%s: ... and %d more problems\n", path, problems - ADMINDUK_PROBLEMS_MAX);
        fprintf(out, "%s: %d problem%s; nothing imported\n", path, problems,
                problems == 1 ? "" : "s");
        goto out;
    }
    rc = 2;
    if ((redis = connect_redis(cfg, out)) == NULL)
        goto out;
    r = redisCommand(redis, "FUNCTION LOAD REPLACE %s", store_library);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(out, "redis: %s\n", r ? r->str : redis->errstr);
        goto out;
    }
    freeReplyObject(r);
    r = NULL;
    int argc = adminduk_command(b, clock_now(), &argv);
    if (argc < 0)
        goto out;
    r = redisCommandArgv(redis, argc, argv, NULL);
    if (r == NULL || !reply_is_array(r, 3) || !reply_at(r, 1, REDIS_REPLY_INTEGER) ||
        !reply_at(r, 2, REDIS_REPLY_INTEGER)) {
        fprintf(out, "redis: %s\n", r ? reply_why(r) : redis->errstr);
        goto out;
    }
    fprintf(out, "%s: %d rows, %lld changed, %lld applicants notified (SIAP DIAMBIL)\n", path,
            adminduk_rows(b), r->element[1]->integer, r->element[2]->integer);
    rc = 0;
out:
    if (r)
        freeReplyObject(r);
    if (redis)
        redisFree(redis);
    adminduk_free(b);
    free(text);
    return rc;
}
