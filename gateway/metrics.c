/* metrics — see metrics.h. The text format is the one Prometheus documents
 * as version 0.0.4: one "# HELP" and one "# TYPE" line per family, then its
 * samples; label values escape backslash, double quote and newline; a
 * histogram's buckets are cumulative and end with le="+Inf", equal to
 * _count. */
#include "gateway/metrics.h"

#include <event2/buffer.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double metrics_send_bounds_ms[] = {250, 500, 1000, 2500, 5000, 10000, 20000, 30000, 60000};
const int metrics_send_nbounds = (int)(sizeof(metrics_send_bounds_ms) / sizeof(double));

static const double ussd_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,   0.25,   0.5,   1,    2.5,   5};

void metrics_hist_init(struct metrics_hist *h, const double *bounds, int n)
{
    memset(h, 0, sizeof(*h));
    if (n > METRICS_BOUNDS_MAX)
        n = METRICS_BOUNDS_MAX;
    h->nbounds = n;
    memcpy(h->bounds, bounds, (size_t)n * sizeof(double));
}

int metrics_bucket(const double *bounds, int n, double v)
{
    for (int i = 0; i < n; i++)
        if (v <= bounds[i])
            return i;
    return n;
}

void metrics_hist_observe(struct metrics_hist *h, double v)
{
    h->counts[metrics_bucket(h->bounds, h->nbounds, v)]++;
    h->count++;
    h->sum += v;
}

void metrics_send_field(double ms, char *out, size_t len)
{
    int b = metrics_bucket(metrics_send_bounds_ms, metrics_send_nbounds, ms);
    if (b == metrics_send_nbounds)
        snprintf(out, len, "le:inf");
    else
        snprintf(out, len, "le:%.0f", metrics_send_bounds_ms[b]);
}

void metrics_send_from_fields(struct metrics_hist *h, const char *const *kv, int n)
{
    double secs[METRICS_BOUNDS_MAX];
    for (int i = 0; i < metrics_send_nbounds; i++)
        secs[i] = metrics_send_bounds_ms[i] / 1000.0;
    metrics_hist_init(h, secs, metrics_send_nbounds);
    char field[32];
    for (int i = 0; i + 1 < n; i += 2) {
        unsigned long long v = strtoull(kv[i + 1], NULL, 10);
        if (strcmp(kv[i], "count") == 0) {
            h->count = v;
            continue;
        }
        if (strcmp(kv[i], "sum_ms") == 0) {
            h->sum = (double)v / 1000.0;
            continue;
        }
        for (int b = 0; b <= metrics_send_nbounds; b++) {
            if (b == metrics_send_nbounds)
                snprintf(field, sizeof(field), "le:inf");
            else
                snprintf(field, sizeof(field), "le:%.0f", metrics_send_bounds_ms[b]);
            if (strcmp(kv[i], field) == 0)
                h->counts[b] = v;
        }
    }
}

static unsigned long long refused[METRICS_REFUSED_N];

void metrics_ussd_refused(enum metrics_refusal why)
{
    if (why < METRICS_REFUSED_N)
        refused[why]++;
}

unsigned long long metrics_ussd_refused_total(enum metrics_refusal why)
{
    return why < METRICS_REFUSED_N ? refused[why] : 0;
}

const char *metrics_refusal_name(enum metrics_refusal why)
{
    return why == METRICS_REFUSED_SOURCE ? "source" : "secret";
}

struct metrics_hist *metrics_ussd(void)
{
    /* One gateway process, one event loop: a process-wide histogram is the
     * plain way to let ussd.c record and /metrics read without threading
     * a pointer through every constructor. */
    static struct metrics_hist h;
    static int ready;
    if (!ready) {
        metrics_hist_init(&h, ussd_bounds, (int)(sizeof(ussd_bounds) / sizeof(double)));
        ready = 1;
    }
    return &h;
}

void metrics_head(struct evbuffer *out, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int escape(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; *in; in++) {
        const char *rep = NULL;
        char one[2] = {*in, '\0'};
        if (*in == '\\')
            rep = "\\\\";
        else if (*in == '"')
            rep = "\\\"";
        else if (*in == '\n')
            rep = "\\n";
        else
            rep = one;
        size_t n = strlen(rep);
        if (o + n >= len)
            return -1;
        memcpy(out + o, rep, n);
        o += n;
    }
    out[o] = '\0';
    return 0;
}

int metrics_labels(char *out, size_t len, int npairs, ...)
{
    va_list ap;
    va_start(ap, npairs);
    size_t o = 0;
    int rc = 0;
    out[0] = '\0';
    for (int i = 0; i < npairs && rc == 0; i++) {
        const char *name = va_arg(ap, const char *);
        const char *value = va_arg(ap, const char *);
        char esc[METRICS_LABELS_MAX];
        if (escape(value ? value : "", esc, sizeof(esc)) != 0) {
            rc = -1;
            break;
        }
        int n = snprintf(out + o, len - o, "%s%s=\"%s\"", i ? "," : "", name, esc);
        if (n < 0 || (size_t)n >= len - o)
            rc = -1;
        else
            o += (size_t)n;
    }
    va_end(ap);
    if (rc != 0 && len > 0)
        out[0] = '\0';
    return rc;
}

static void number(char *out, size_t len, double v)
{
    if (isnan(v))
        snprintf(out, len, "NaN");
    else if (isinf(v))
        snprintf(out, len, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, len, "%.0f", v);
    else
        snprintf(out, len, "%.9g", v);
}

void metrics_value(struct evbuffer *out, const char *name, const char *labels, double value)
{
    char v[64];
    number(v, sizeof(v), value);
    if (labels && labels[0])
        evbuffer_add_printf(out, "%s{%s} %s\n", name, labels, v);
    else
        evbuffer_add_printf(out, "%s %s\n", name, v);
}

void metrics_write_hist(struct evbuffer *out, const char *name, const char *labels,
                        const struct metrics_hist *h)
{
    unsigned long long cum = 0;
    const char *sep = labels && labels[0] ? "," : "";
    for (int i = 0; i <= h->nbounds; i++) {
        char le[64];
        cum += h->counts[i];
        if (i == h->nbounds)
            snprintf(le, sizeof(le), "+Inf");
        else
            snprintf(le, sizeof(le), "%g", h->bounds[i]);
        /* The +Inf bucket is the count, whatever the buckets say (a hash
         * read from Redis between two increments may lag by one). */
        evbuffer_add_printf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels ? labels : "", sep,
                            le, i == h->nbounds ? (cum > h->count ? cum : h->count) : cum);
    }
    char v[64];
    number(v, sizeof(v), h->sum);
    if (labels && labels[0]) {
        evbuffer_add_printf(out, "%s_sum{%s} %s\n", name, labels, v);
        evbuffer_add_printf(out, "%s_count{%s} %llu\n", name, labels,
                            cum > h->count ? cum : h->count);
    } else {
        evbuffer_add_printf(out, "%s_sum %s\n", name, v);
        evbuffer_add_printf(out, "%s_count %llu\n", name, cum > h->count ? cum : h->count);
    }
}
