/* promtext — see promtext.h. */
#include "tests/lib/promtext.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_NAME_MAX   128
#define PROM_LABELS_MAX 512
#define PROM_FAMILIES   256
#define PROM_SAMPLES    8192

struct sample {
    char name[PROM_NAME_MAX];
    char labels[PROM_LABELS_MAX]; /* as written */
    char le[32];                  /* the le label, "" when none */
    char others[PROM_LABELS_MAX]; /* the labels without le */
    double value;
    int family;
};

struct family {
    char name[PROM_NAME_MAX];
    char type[16];
    int help, closed;
};

struct prom_doc {
    struct family fam[PROM_FAMILIES];
    int nfam;
    struct sample *s;
    int ns;
};

static int fail(char *err, size_t len, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, int line, const char *fmt, ...)
{
    int n = snprintf(err, len, "line %d: ", line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < len)
        vsnprintf(err + n, len - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static int name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

/* Reads a metric name at *p; 0 or -1. */
static int read_name(const char **p, char *out, int colon)
{
    const char *s = *p;
    size_t n = 0;
    if (!name_start(*s) || (!colon && *s == ':'))
        return -1;
    while (name_char(s[n]) && (colon || s[n] != ':'))
        n++;
    if (n >= PROM_NAME_MAX)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    *p = s + n;
    return 0;
}

static int read_value(const char *s, double *v, const char **end)
{
    if (strncmp(s, "+Inf", 4) == 0) {
        *v = INFINITY;
        *end = s + 4;
    } else if (strncmp(s, "-Inf", 4) == 0) {
        *v = -INFINITY;
        *end = s + 4;
    } else if (strncmp(s, "NaN", 3) == 0) {
        *v = NAN;
        *end = s + 3;
    } else {
        char *e;
        if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.'))
            return -1;
        *v = strtod(s, &e);
        if (e == s)
            return -1;
        *end = e;
    }
    return 0;
}

static struct family *family_of(struct prom_doc *d, const char *name)
{
    for (int i = 0; i < d->nfam; i++)
        if (strcmp(d->fam[i].name, name) == 0)
            return &d->fam[i];
    return NULL;
}

static struct family *family_add(struct prom_doc *d, const char *name)
{
    struct family *f = family_of(d, name);
    if (f || d->nfam == PROM_FAMILIES)
        return f;
    f = &d->fam[d->nfam++];
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    return f;
}

/* The family a sample belongs to: a histogram's _bucket, _sum, _count. */
static struct family *sample_family(struct prom_doc *d, const char *name)
{
    struct family *f = family_of(d, name);
    if (f)
        return f;
    const char *suffixes[] = {"_bucket", "_sum", "_count"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(name), k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0) {
            char base[PROM_NAME_MAX];
            snprintf(base, sizeof(base), "%.*s", (int)(n - k), name);
            f = family_of(d, base);
            if (f && strcmp(f->type, "histogram") == 0)
                return f;
        }
    }
    return NULL;
}

static int parse_labels(const char **p, struct sample *s, int line, char *err, size_t errlen)
{
    const char *q = *p;
    size_t oo = 0;
    s->le[0] = s->others[0] = '\0';
    if (*q != '{') {
        s->labels[0] = '\0';
        return 0;
    }
    q++;
    int first = 1;
    char seen[16][PROM_NAME_MAX];
    int nseen = 0;
    while (*q != '}') {
        if (!first) {
            if (*q != ',')
                return fail(err, errlen, line, "expected ',' between labels");
            q++;
            if (*q == '}')
                break; /* a trailing comma is allowed */
        }
        first = 0;
        char lname[PROM_NAME_MAX];
        if (read_name(&q, lname, 0) != 0)
            return fail(err, errlen, line, "bad label name");
        for (int i = 0; i < nseen; i++)
            if (strcmp(seen[i], lname) == 0)
                return fail(err, errlen, line, "label %s twice", lname);
        if (nseen < 16)
            snprintf(seen[nseen++], PROM_NAME_MAX, "%s", lname);
        if (*q++ != '=' || *q++ != '"')
            return fail(err, errlen, line, "expected =\" after label %s", lname);
        char val[PROM_LABELS_MAX];
        size_t v = 0;
        while (*q != '"') {
            if (*q == '\0' || *q == '\n')
                return fail(err, errlen, line, "label value not closed");
            char c = *q++;
            if (c == '\\') {
                char e = *q++;
                if (e == 'n')
                    c = '\n';
                else if (e == '\\' || e == '"')
                    c = e;
                else
                    return fail(err, errlen, line, "bad escape \\%c", e);
            }
            if (v + 1 >= sizeof(val))
                return fail(err, errlen, line, "label value too long");
            val[v++] = c;
        }
        val[v] = '\0';
        q++;
        if (strcmp(lname, "le") == 0) {
            snprintf(s->le, sizeof(s->le), "%.31s", val);
        } else {
            int m = snprintf(s->others + oo, PROM_LABELS_MAX - oo, "%s%s=%s", oo ? "," : "", lname,
                             val);
            if (m > 0)
                oo += (size_t)m;
        }
    }
    /* the raw text between the braces */
    size_t raw = (size_t)(q - (*p + 1));
    if (raw >= PROM_LABELS_MAX)
        return fail(err, errlen, line, "labels too long");
    memcpy(s->labels, *p + 1, raw);
    s->labels[raw] = '\0';
    *p = q + 1;
    return 0;
}

static int check_histograms(struct prom_doc *d, char *err, size_t errlen)
{
    for (int f = 0; f < d->nfam; f++) {
        struct family *fam = &d->fam[f];
        if (strcmp(fam->type, "histogram") != 0)
            continue;
        char bucket[PROM_NAME_MAX + 8], sum[PROM_NAME_MAX + 8], count[PROM_NAME_MAX + 8];
        snprintf(bucket, sizeof(bucket), "%s_bucket", fam->name);
        snprintf(sum, sizeof(sum), "%s_sum", fam->name);
        snprintf(count, sizeof(count), "%s_count", fam->name);
        for (int i = 0; i < d->ns; i++) {
            struct sample *c = &d->s[i];
            if (c->family != f)
                continue;
            if (strcmp(c->name, bucket) && strcmp(c->name, sum) && strcmp(c->name, count))
                return fail(err, errlen, 0, "%s: sample %s is not _bucket, _sum or _count",
                            fam->name, c->name);
            if (strcmp(c->name, bucket) == 0 && c->le[0] == '\0')
                return fail(err, errlen, 0, "%s: bucket without le", fam->name);
            if (strcmp(c->name, count) != 0)
                continue;
            /* this label set's buckets, in order */
            double prev = -1, last_le = -INFINITY, inf = -1;
            int found_sum = 0;
            for (int k = 0; k < d->ns; k++) {
                struct sample *b = &d->s[k];
                if (strcmp(b->others, c->others) != 0)
                    continue;
                if (strcmp(b->name, sum) == 0)
                    found_sum = 1;
                if (strcmp(b->name, bucket) != 0)
                    continue;
                double le;
                const char *end;
                if (read_value(b->le, &le, &end) != 0 || *end != '\0')
                    return fail(err, errlen, 0, "%s: bad le \"%s\"", fam->name, b->le);
                if (le <= last_le)
                    return fail(err, errlen, 0, "%s: le not increasing", fam->name);
                if (b->value < prev)
                    return fail(err, errlen, 0, "%s{%s}: buckets not cumulative", fam->name,
                                c->others);
                prev = b->value;
                last_le = le;
                if (isinf(le))
                    inf = b->value;
            }
            if (inf < 0)
                return fail(err, errlen, 0, "%s{%s}: no le=\"+Inf\" bucket", fam->name, c->others);
            if (inf != c->value)
                return fail(err, errlen, 0, "%s{%s}: +Inf bucket %g != _count %g", fam->name,
                            c->others, inf, c->value);
            if (!found_sum)
                return fail(err, errlen, 0, "%s{%s}: no _sum", fam->name, c->others);
        }
    }
    return 0;
}

struct prom_doc *prom_parse(const char *text, char *err, size_t errlen)
{
    struct prom_doc *d = calloc(1, sizeof(*d));
    if (d == NULL || (d->s = calloc(PROM_SAMPLES, sizeof(*d->s))) == NULL) {
        prom_free(d);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int line = 0, current = -1;
    const char *p = text;
    while (*p) {
        line++;
        const char *eol = strchr(p, '\n');
        if (eol == NULL) {
            fail(err, errlen, line, "last line does not end in a newline");
            goto bad;
        }
        if (eol == p) {
            p = eol + 1;
            continue; /* empty lines are ignored */
        }
        if (*p == '#') {
            const char *q = p + 1;
            while (*q == ' ')
                q++;
            int help = strncmp(q, "HELP ", 5) == 0, type = strncmp(q, "TYPE ", 5) == 0;
            if (help || type) {
                q += 5;
                char name[PROM_NAME_MAX];
                if (read_name(&q, name, 1) != 0 || (*q != ' ' && q != eol)) {
                    fail(err, errlen, line, "bad metric name after # %s", help ? "HELP" : "TYPE");
                    goto bad;
                }
                struct family *f = family_add(d, name);
                if (f == NULL) {
                    fail(err, errlen, line, "too many families");
                    goto bad;
                }
                for (int i = 0; i < d->ns; i++)
                    if (d->s[i].family == (int)(f - d->fam)) {
                        fail(err, errlen, line, "%s described after its samples", name);
                        goto bad;
                    }
                if (help) {
                    if (f->help++) {
                        fail(err, errlen, line, "second HELP for %s", name);
                        goto bad;
                    }
                } else {
                    char t[32];
                    size_t n = (size_t)(eol - q);
                    if (*q == ' ')
                        q++, n--;
                    snprintf(t, sizeof(t), "%.*s", (int)n, q);
                    if (f->type[0]) {
                        fail(err, errlen, line, "second TYPE for %s", name);
                        goto bad;
                    }
                    if (strcmp(t, "counter") && strcmp(t, "gauge") && strcmp(t, "histogram") &&
                        strcmp(t, "summary") && strcmp(t, "untyped")) {
                        fail(err, errlen, line, "unknown type '%s'", t);
                        goto bad;
                    }
                    snprintf(f->type, sizeof(f->type), "%.15s", t);
                    if (strcmp(t, "counter") == 0 &&
                        (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total") != 0)) {
                        fail(err, errlen, line, "counter %s does not end in _total", name);
                        goto bad;
                    }
                }
            }
            p = eol + 1;
            continue;
        }
        if (d->ns == PROM_SAMPLES) {
            fail(err, errlen, line, "too many samples");
            goto bad;
        }
        struct sample *s = &d->s[d->ns];
        const char *q = p;
        if (read_name(&q, s->name, 1) != 0) {
            fail(err, errlen, line, "bad metric name");
            goto bad;
        }
        if (parse_labels(&q, s, line, err, errlen) != 0)
            goto bad;
        if (*q++ != ' ') {
            fail(err, errlen, line, "expected a space before the value");
            goto bad;
        }
        const char *end;
        if (read_value(q, &s->value, &end) != 0) {
            fail(err, errlen, line, "bad value");
            goto bad;
        }
        if (end != eol) {
            /* an optional timestamp */
            if (*end != ' ' || strspn(end + 1, "-0123456789") != (size_t)(eol - end - 1) ||
                eol == end + 1) {
                fail(err, errlen, line, "junk after the value");
                goto bad;
            }
        }
        struct family *f = sample_family(d, s->name);
        if (f == NULL || f->type[0] == '\0') {
            fail(err, errlen, line, "sample %s has no # TYPE before it", s->name);
            goto bad;
        }
        int fi = (int)(f - d->fam);
        if (f->closed) {
            fail(err, errlen, line, "samples of %s are not together", f->name);
            goto bad;
        }
        if (current >= 0 && current != fi)
            d->fam[current].closed = 1;
        current = fi;
        s->family = fi;
        if (strcmp(f->type, "counter") == 0 && !(s->value >= 0)) {
            fail(err, errlen, line, "counter %s is negative", s->name);
            goto bad;
        }
        for (int i = 0; i < d->ns; i++)
            if (strcmp(d->s[i].name, s->name) == 0 && strcmp(d->s[i].labels, s->labels) == 0) {
                fail(err, errlen, line, "sample %s{%s} twice", s->name, s->labels);
                goto bad;
            }
        d->ns++;
        p = eol + 1;
    }
    if (check_histograms(d, err, errlen) != 0)
        goto bad;
    return d;
bad:
    prom_free(d);
    return NULL;
}

void prom_free(struct prom_doc *d)
{
    if (d)
        free(d->s);
    free(d);
}

double prom_value(const struct prom_doc *d, const char *name, const char *labels)
{
    for (int i = 0; i < d->ns; i++)
        if (strcmp(d->s[i].name, name) == 0 && strcmp(d->s[i].labels, labels) == 0)
            return d->s[i].value;
    return NAN;
}

const char *prom_type(const struct prom_doc *d, const char *family)
{
    for (int i = 0; i < d->nfam; i++)
        if (strcmp(d->fam[i].name, family) == 0)
            return d->fam[i].type[0] ? d->fam[i].type : NULL;
    return NULL;
}

int prom_count(const struct prom_doc *d, const char *name)
{
    int n = 0;
    for (int i = 0; i < d->ns; i++)
        n += strcmp(d->s[i].name, name) == 0;
    return n;
}
