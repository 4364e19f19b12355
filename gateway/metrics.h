/* metrics — histograms and the Prometheus text exposition format (0.0.4)
 * for GET /metrics.
 *
 *   struct metrics_hist h; metrics_hist_init(&h, bounds, n);
 *   metrics_hist_observe(&h, 0.004);                  one observation
 *   metrics_head(out, "kentongan_x_total", "counter", "What it counts.");
 *   metrics_labels(lab, sizeof lab, 1, "modem", name);  modem="..." (escaped)
 *   metrics_value(out, "kentongan_x_total", lab, 3);
 *   metrics_write_hist(out, "kentongan_y_seconds", lab, &h);  _bucket/_sum/_count
 *
 * Two histograms are kept: the send latency of each SIM (one SMS part
 * handed to the modem until the network's answer), which modem workers add
 * to Redis (kt:stats:send:MODEM, fields from metrics_send_field), and the
 * USSD screen latency of this gateway process, kept in memory
 * (metrics_ussd), as are its refusals of USSD callers (metrics_ussd_refused).
 * Nothing here does I/O beyond appending to an evbuffer. */
#ifndef KT_METRICS_H
#define KT_METRICS_H

#include <stddef.h>

#define METRICS_BOUNDS_MAX 16
#define METRICS_LABELS_MAX 512 /* bytes of one formatted label set */

struct evbuffer;

struct metrics_hist {
    int nbounds;
    double bounds[METRICS_BOUNDS_MAX];                 /* upper bounds, ascending */
    unsigned long long counts[METRICS_BOUNDS_MAX + 1]; /* per bucket (not cumulative); last +Inf */
    unsigned long long count;
    double sum;
};

/* Bucket bounds of the send latency histogram, in milliseconds. */
extern const double metrics_send_bounds_ms[];
extern const int metrics_send_nbounds;

/* n bounds (at most METRICS_BOUNDS_MAX, ascending); all counts zero. */
void metrics_hist_init(struct metrics_hist *h, const double *bounds, int n);
/* Index of the first bound >= v, or n (the +Inf bucket). */
int metrics_bucket(const double *bounds, int n, double v);
void metrics_hist_observe(struct metrics_hist *h, double v);
/* The field of kt:stats:send:MODEM that an observation of ms falls in:
 * "le:250", ..., "le:inf". */
void metrics_send_field(double ms, char *out, size_t len);
/* A send histogram (in seconds) from the fields of kt:stats:send:MODEM, kv
 * holding n strings: field, value, field, value... Unknown fields are
 * ignored. */
void metrics_send_from_fields(struct metrics_hist *h, const char *const *kv, int n);
/* This process's USSD screen latency histogram (seconds); the event loop is
 * the only thread that touches it. */
struct metrics_hist *metrics_ussd(void);

/* Callers of POST /ussd this process refused (403), by reason; kept like
 * metrics_ussd (one event loop). */
enum metrics_refusal { METRICS_REFUSED_SOURCE, METRICS_REFUSED_SECRET, METRICS_REFUSED_N };
void metrics_ussd_refused(enum metrics_refusal why);
unsigned long long metrics_ussd_refused_total(enum metrics_refusal why);
/* "source", "secret" (the label value and the log's reason). */
const char *metrics_refusal_name(enum metrics_refusal why);

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void metrics_head(struct evbuffer *out, const char *name, const char *type, const char *help);
/* Formats npairs name/value pairs (const char *) as name="value",... with
 * values escaped (\\, \", \n). Returns 0, or -1 when it does not fit. */
int metrics_labels(char *out, size_t len, int npairs, ...);
/* One sample line: name{labels} value ("" labels: no braces). */
void metrics_value(struct evbuffer *out, const char *name, const char *labels, double value);
/* name_bucket{labels,le="..."} (cumulative, +Inf last), name_sum, name_count. */
void metrics_write_hist(struct evbuffer *out, const char *name, const char *labels,
                        const struct metrics_hist *h);

#endif
