/* info — the INFO handler and the reply to messages no keyword matched.
 *
 * Both replies are one SMS: at most INFO_SMS_MAX GSM-7 characters, so a
 * prepaid resident pays one message and an old phone shows it whole. The
 * INFO text is built from kw_table's help lines, so a new keyword appears in
 * it by adding its row. Lines that are not plain GSM-7 or do not fit are left
 * out rather than sent as UCS-2 (70 characters) or as two parts; the unit
 * tests fail when that happens to a row of kw_table. */
#include "handlers/keyword.h"

#include <stdio.h>
#include <string.h>

#include "gateway/log.h"

#define INFO_HEADER  "Layanan SMS Pemkab Batang. Ketik:"
#define UNKNOWN_HEAD "Maaf, pesan tidak dikenali."
#define UNKNOWN_TAIL "Ketik INFO untuk daftar layanan Pemkab Batang."
#define REPLY_MAX    (INFO_SMS_MAX * 2 + 1) /* bytes: GSM-7 extension chars take 2 */

/* GSM-7 characters s needs, counting the extension table as 2, or -1 when s
 * has a character outside GSM-7. Deliberately ASCII only: reply texts are
 * ours, and plain ASCII keeps them safe on every phone. */
static int gsm7_len(const char *s)
{
    int n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7f && c != '`'))
            n += strchr("^{}\\[~]|", c) ? 2 : 1;
        else
            return -1;
    }
    return n;
}

/* Appends piece to buf (holding *used bytes, *chars GSM-7 characters) when
 * both limits allow. Returns 0, or -1 and leaves buf alone. */
static int append(char *buf, size_t len, size_t *used, int *chars, const char *piece)
{
    int c = gsm7_len(piece);
    size_t n = strlen(piece);

    if (c < 0 || *chars + c > INFO_SMS_MAX || *used + n + 1 > len)
        return -1;
    memcpy(buf + *used, piece, n + 1);
    *used += n;
    *chars += c;
    return 0;
}

int info_text_table(const struct keyword *table, char *buf, size_t len)
{
    size_t used = 0;
    int chars = 0;

    if (buf == NULL || len == 0)
        return -1;
    buf[0] = '\0';
    if (append(buf, len, &used, &chars, INFO_HEADER) < 0)
        return -1;
    for (const struct keyword *kw = table; kw->name; kw++) {
        if (!kw->handler || !kw->help || (kw->flags & (KW_OFFICIAL | KW_HIDDEN)))
            continue;
        size_t mark = used;
        int mark_chars = chars;
        if (append(buf, len, &used, &chars, "\n") < 0 ||
            append(buf, len, &used, &chars, kw->help) < 0) {
            buf[mark] = '\0';
            used = mark, chars = mark_chars;
        }
    }
    return (int)used;
}

int info_text(char *buf, size_t len)
{
    return info_text_table(kw_table, buf, len);
}

int info_unknown_text(const struct kw_match *m, char *buf, size_t len)
{
    size_t used = 0;
    int chars = 0;
    char guess[64];

    if (buf == NULL || len == 0)
        return -1;
    buf[0] = '\0';
    if (append(buf, len, &used, &chars, UNKNOWN_HEAD) < 0)
        return -1;
    if (m && m->suggestion && m->suggestion->name) {
        int n = snprintf(guess, sizeof guess, " Maksud Anda %s?", m->suggestion->name);
        if (n > 0 && (size_t)n < sizeof guess)
            append(buf, len, &used, &chars, guess); /* left out if it does not fit */
    }
    if (append(buf, len, &used, &chars, " ") < 0 ||
        append(buf, len, &used, &chars, UNKNOWN_TAIL) < 0)
        return -1;
    return (int)used;
}

static void reply_and_finish(struct request *req, const char *what, int n, const char *text)
{
    if (n < 0)
        log_error("event=reply_build_failed handler=%s", what);
    else if (request_reply(req, text) < 0)
        log_warnx("event=reply_dropped handler=%s reason=too_many_replies", what);
    request_done(req);
}

void info_handler(struct request *req, const struct kw_match *m)
{
    char text[REPLY_MAX];

    (void)m; /* the same list whatever follows INFO */
    reply_and_finish(req, "info", info_text(text, sizeof text), text);
}

void kw_unknown(struct request *req, const struct kw_match *m)
{
    char text[REPLY_MAX];

    reply_and_finish(req, "unknown", info_unknown_text(m, text, sizeof text), text);
}

void kw_silence(struct request *req, const struct kw_match *m)
{
    request_done(req);
}
