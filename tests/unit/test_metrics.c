/* Unit: the Prometheus text writer (gateway/metrics.c) read back by the
 * tests' strict parser, and the parser refusing what Prometheus would. */
#include "gateway/metrics.h"
#include "tests/lib/promtext.h"

#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *text_of(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_copyout(b, s, n);
    s[n] = '\0';
    return s;
}

Test(metrics, written_families_parse_back)
{
    struct evbuffer *b = evbuffer_new();
    char lab[METRICS_LABELS_MAX], err[256];
    metrics_head(b, "kt_x_total", "counter", "Things counted.");
    cr_assert_eq(metrics_labels(lab, sizeof(lab), 2, "modem", "a\"b\\c\nd", "outcome", "sent"), 0);
    metrics_value(b, "kt_x_total", lab, 3);
    metrics_labels(lab, sizeof(lab), 2, "modem", "m2", "outcome", "sent");
    metrics_value(b, "kt_x_total", lab, 4);
    metrics_head(b, "kt_g", "gauge", "A level.");
    metrics_value(b, "kt_g", "", 0.25);
    struct metrics_hist h;
    double bounds[] = {0.01, 0.1, 1};
    metrics_hist_init(&h, bounds, 3);
    metrics_hist_observe(&h, 0.005);
    metrics_hist_observe(&h, 0.05);
    metrics_hist_observe(&h, 0.05);
    metrics_hist_observe(&h, 7);
    metrics_head(b, "kt_h_seconds", "histogram", "Durations.");
    metrics_write_hist(b, "kt_h_seconds", "", &h);
    char *text = text_of(b);
    struct prom_doc *d = prom_parse(text, err, sizeof(err));
    cr_assert_not_null(d, "%s\n%s", err, text);
    cr_expect_str_eq(prom_type(d, "kt_x_total"), "counter");
    cr_expect_eq(prom_value(d, "kt_x_total", "modem=\"a\\\"b\\\\c\\nd\",outcome=\"sent\""), 3,
                 "escaped label value: %s", text);
    cr_expect_eq(prom_value(d, "kt_g", ""), 0.25);
    cr_expect_eq(prom_value(d, "kt_h_seconds_bucket", "le=\"0.01\""), 1);
    cr_expect_eq(prom_value(d, "kt_h_seconds_bucket", "le=\"0.1\""), 3, "cumulative");
    cr_expect_eq(prom_value(d, "kt_h_seconds_bucket", "le=\"1\""), 3);
    cr_expect_eq(prom_value(d, "kt_h_seconds_bucket", "le=\"+Inf\""), 4);
    cr_expect_eq(prom_value(d, "kt_h_seconds_count", ""), 4);
    cr_expect(fabs(prom_value(d, "kt_h_seconds_sum", "") - 7.105) < 1e-9);
    prom_free(d);
    free(text);
    evbuffer_free(b);
}

Test(metrics, send_histogram_fields_round_trip)
{
    char f[32];
    metrics_send_field(100, f, sizeof(f));
    cr_expect_str_eq(f, "le:250");
    metrics_send_field(250, f, sizeof(f));
    cr_expect_str_eq(f, "le:250", "bounds are inclusive");
    metrics_send_field(999999, f, sizeof(f));
    cr_expect_str_eq(f, "le:inf");
    const char *kv[] = {"le:250", "2", "le:1000", "1",     "le:inf", "1",
                        "count",  "4", "sum_ms",  "70500", "junk",   "9"};
    struct metrics_hist h;
    metrics_send_from_fields(&h, kv, 12);
    cr_expect_eq(h.count, 4);
    cr_expect(fabs(h.sum - 70.5) < 1e-9);
    cr_expect_eq(h.counts[0], 2);
    cr_expect_eq(h.counts[2], 1);
    cr_expect_eq(h.counts[h.nbounds], 1);
    cr_expect(fabs(h.bounds[0] - 0.25) < 1e-12, "seconds");
}

Test(metrics, labels_that_do_not_fit_are_refused)
{
    char lab[16];
    cr_expect_eq(metrics_labels(lab, sizeof(lab), 1, "modem", "a-very-long-modem-name"), -1);
    cr_expect_str_eq(lab, "");
}

/* The parser must fail on what Prometheus refuses, or the test above proves nothing. */
Test(metrics, the_parser_refuses_bad_text)
{
    const char *bad[] = {
        "x 1\n",                                                    /* no TYPE */
        "# TYPE x gauge\nx 1",                                      /* no final newline */
        "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n",             /* twice */
        "# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{b=\"2\"} 1\n", /* not together */
        "# TYPE x gauge\nx{a=1} 1\n",                               /* unquoted */
        "# TYPE x gauge\nx{a=\"\\t\"} 1\n",                         /* bad escape */
        "# TYPE x gauge\nx one\n",                                  /* bad value */
        "# TYPE x_total counter\nx_total -1\n",                     /* negative counter */
        "# TYPE x counter\nx 1\n",                                  /* counter name */
        "# TYPE x gauge\n# TYPE x gauge\nx 1\n",                    /* TYPE twice */
        "# TYPE x gauge\nx 1\n# HELP x late\n",                     /* HELP after */
        "# TYPE x wobbly\nx 1\n",                                   /* unknown type */
        "# TYPE 1x gauge\n",                                        /* bad name */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",    /* no +Inf */
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", /* != count */
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",          /* no sum */
        "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", /* le order */
    };
    char err[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct prom_doc *d = prom_parse(bad[i], err, sizeof(err));
        cr_expect_null(d, "case %zu accepted:\n%s", i, bad[i]);
        prom_free(d);
    }
    struct prom_doc *d =
        prom_parse("# HELP x A.\n# TYPE x gauge\n\nx{a=\"1\",} 1 1700000000\n", err, sizeof(err));
    cr_expect_not_null(d, "valid text refused: %s", err);
    prom_free(d);
}
