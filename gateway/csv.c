/* csv — see csv.h. */
#include "gateway/csv.h"

#include <stdio.h>
#include <string.h>

void csv_init(struct csv *c, const char *text, size_t len)
{
    c->p = text;
    c->end = text + len;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        c->p += 3;
    c->line = c->next_line = 1;
}

int csv_row(struct csv *c, const char **fields, int max, char *err, size_t errlen)
{
    /* skip blank lines */
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
        if (*c->p == '\n')
            c->next_line++;
        c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->line = c->next_line;
    char *out = c->buf;
    int n = 0;
    for (;;) {
        if (n == max || n == CSV_FIELDS_MAX) {
            snprintf(err, errlen, "line %d: more than %d fields", c->line, max);
            return -1;
        }
        char *start = out;
        size_t len = 0;
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    snprintf(err, errlen, "line %d: quote opened and never closed", c->line);
                    return -1;
                }
                char ch = *c->p++;
                if (ch == '"') {
                    if (c->p < c->end && *c->p == '"') {
                        c->p++;
                    } else {
                        break;
                    }
                } else if (ch == '\n') {
                    c->next_line++;
                }
                if (len == CSV_FIELD_MAX) {
                    snprintf(err, errlen, "line %d: field %d longer than %d bytes", c->line, n + 1,
                             CSV_FIELD_MAX);
                    return -1;
                }
                start[len++] = ch;
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                snprintf(err, errlen, "line %d: text after a closing quote in field %d", c->line,
                         n + 1);
                return -1;
            }
        } else {
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                if (*c->p == '"') {
                    snprintf(err, errlen, "line %d: quote inside an unquoted field %d", c->line,
                             n + 1);
                    return -1;
                }
                if (len == CSV_FIELD_MAX) {
                    snprintf(err, errlen, "line %d: field %d longer than %d bytes", c->line, n + 1,
                             CSV_FIELD_MAX);
                    return -1;
                }
                start[len++] = *c->p++;
            }
        }
        start[len] = '\0';
        if (memchr(start, '\0', len) != NULL) {
            snprintf(err, errlen, "line %d: NUL byte in field %d", c->line, n + 1);
            return -1;
        }
        fields[n++] = start;
        out = start + len + 1;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n') {
            c->p++;
            c->next_line++;
        }
        return n;
    }
}
