/* promtext — a small, strict reader of the Prometheus text exposition
 * format (0.0.4), for tests of GET /metrics.
 *
 *   struct prom_doc *d = prom_parse(text, err, sizeof err);   NULL: err says why
 *   double v = prom_value(d, "kentongan_x_total", "modem=\"dummy\"");  NaN if absent
 *   prom_free(d);
 *
 * Strict where Prometheus is, and a little more, so a sloppy writer fails:
 * names and label names by the format's grammar; label values with only the
 * \\ \" \n escapes; one HELP and one TYPE per family, TYPE before its
 * samples; a family's samples together; no sample twice; counters end in
 * _total and are >= 0; a histogram's buckets per label set are cumulative,
 * end in le="+Inf" and that bucket equals _count; _sum and _count present. */
#ifndef KT_TEST_PROMTEXT_H
#define KT_TEST_PROMTEXT_H

#include <stddef.h>

struct prom_doc;

struct prom_doc *prom_parse(const char *text, char *err, size_t errlen);
void prom_free(struct prom_doc *d);
/* The sample's value; labels as written, without braces ("" for none). */
double prom_value(const struct prom_doc *d, const char *name, const char *labels);
/* The TYPE of a family, or NULL. */
const char *prom_type(const struct prom_doc *d, const char *family);
/* Number of samples whose name is name. */
int prom_count(const struct prom_doc *d, const char *name);

#endif
