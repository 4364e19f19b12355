/* textsafe — see textsafe.h.
 *
 * Why filter on ingest and escape on print, both: a resident's SMS (or a forged sender, or
 * an aggregator's form) can hold anything the network carries, and a UCS-2 SMS carries ESC
 * and the C1 controls; once inside, such a text is copied into SMS to officials, API
 * answers, log lines and kentongan-ctl's output. Filtering where it enters keeps every copy
 * clean; escaping where anything is printed also covers what did not come through an edge
 * (a Redis error, a config value, a stored text older than the filter). Both share one
 * classification, so what the filter removes is exactly what the printer escapes (plus line
 * breaks and tabs, which are text but would split a line). */
#include "gateway/textsafe.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BAD TEXTSAFE_BAD

size_t textsafe_decode(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07, min = 0x10000;
    else {
        *cp = TEXTSAFE_BAD;
        return 1;
    }
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *cp = TEXTSAFE_BAD;
            return 1;
        }
        v = (v << 6) | (s[k] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = TEXTSAFE_BAD;
        return 1;
    }
    *cp = v;
    return len;
}

/* A character no text from outside may hold: controls (line breaks and tabs aside, which
 * the callers handle), DEL, C1, bidirectional embeddings, overrides and isolates. */
static int is_unsafe(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static size_t clean(char *str, int lines)
{
    unsigned char *s = (unsigned char *)str;
    size_t i = 0, o = 0;
    if (s == NULL)
        return 0;
    while (s[i]) {
        uint32_t cp;
        size_t len = textsafe_decode(s + i, &cp);
        if (cp == '\r') {
            if (lines)
                s[o++] = '\n';
            i += s[i + 1] == '\n' ? 2 : 1;
            continue;
        }
        if (cp == '\n') {
            if (lines)
                s[o++] = '\n';
        } else if (cp == '\t') {
            s[o++] = ' ';
        } else if (cp == BAD) {
            s[o++] = '?';
        } else if (!is_unsafe(cp)) {
            memmove(s + o, s + i, len);
            o += len;
        }
        i += len;
    }
    s[o] = '\0';
    return o;
}

size_t textsafe_clean(char *s)
{
    return clean(s, 1);
}

size_t textsafe_clean_line(char *s)
{
    return clean(s, 0);
}

int textsafe_is_clean(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    if (s == NULL)
        return 1;
    while (*s) {
        uint32_t cp;
        s += textsafe_decode(s, &cp);
        if (cp == BAD || cp == '\r' || cp == '\t' || (cp != '\n' && is_unsafe(cp)))
            return 0;
    }
    return 1;
}

size_t textsafe_escape(const char *str, char *out, size_t outlen, int flags)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t o = 0;
    if (out == NULL || outlen == 0)
        return 0;
    while (*s) {
        if (*s >= 0x20 && *s < 0x7F && !((flags & TEXTSAFE_QUOTES) && (*s == '"' || *s == '\\'))) {
            if (o + 1 >= outlen) /* the common case: printable ASCII */
                break;
            out[o++] = (char)*s++;
            continue;
        }
        uint32_t cp;
        size_t len = textsafe_decode(s, &cp);
        char esc[16];
        const char *w = esc;
        size_t wl;
        if (cp == '\n')
            w = "\\n";
        else if (cp == '\r')
            w = "\\r";
        else if (cp == '\t')
            w = "\\t";
        else if ((flags & TEXTSAFE_QUOTES) && (cp == '"' || cp == '\\'))
            w = cp == '"' ? "\\\"" : "\\\\";
        else if (cp == BAD && (flags & TEXTSAFE_JSON))
            w = "\\ufffd";
        else if (cp == BAD)
            snprintf(esc, sizeof esc, "\\x%02x", s[0]);
        else if (is_unsafe(cp))
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
        else
            w = NULL;
        if (w == NULL) {
            w = (const char *)s;
            wl = len;
        } else {
            wl = strlen(w);
        }
        if (o + wl >= outlen)
            break;
        memcpy(out + o, w, wl);
        o += wl;
        s += len;
    }
    out[o] = '\0';
    return o;
}
