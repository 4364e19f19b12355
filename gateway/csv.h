/* csv — a strict reader for the small CSV files staff hand to kentongan
 * (RFC 4180: comma separated, fields may be "quoted", "" is a quote inside
 * quotes, CRLF or LF line ends, a UTF-8 BOM at the start is skipped).
 *
 *   struct csv c; csv_init(&c, text, len);
 *   while ((n = csv_row(&c, fields, CSV_FIELDS_MAX, err, errlen)) > 0) { ... c.line ... }
 *   n == 0: end of input; n < 0: error in err (with the line number)
 *
 * Fields point into a buffer inside struct csv and stay valid until the next
 * csv_row call. Limits: CSV_FIELD_MAX bytes per field, CSV_FIELDS_MAX
 * fields per row; over either is an error, never a silent cut.
 *
 * The seed files of data/ do not come through here: they are read by the
 * stricter line reader tm_csv_load (handlers/textmatch.h), which refuses
 * quotes outright and checks every byte of a line. */
#ifndef KT_CSV_H
#define KT_CSV_H

#include <stddef.h>

#define CSV_FIELD_MAX  512
#define CSV_FIELDS_MAX 16

struct csv {
    const char *p, *end;
    int line; /* line the current row started on, 1-based */
    int next_line;
    char buf[CSV_FIELDS_MAX * (CSV_FIELD_MAX + 1)];
};

void csv_init(struct csv *c, const char *text, size_t len);
/* Reads one row; returns its field count, 0 at the end, -1 on error. Blank
 * lines are skipped. */
int csv_row(struct csv *c, const char **fields, int max, char *err, size_t errlen);

#endif
