/* pdu — see pdu.h.
 *
 * SMS-DELIVER (23.040 9.2.2.1): first octet, TP-OA (length in digits, type, digits), TP-PID,
 * TP-DCS, TP-SCTS (7), TP-UDL, TP-UD. TP-UDL counts septets for the GSM 7-bit alphabet and
 * octets otherwise; with TP-UDHI the user data opens with a header length and information
 * elements (IEI, length, data). Every one of these lengths is checked against the end before
 * it is used, so a lying PDU is named rather than read past. */
#include "modems/pdu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PDU_ADDR_DIGITS_MAX 20  /* TP-OA: 10 octets of digits (an alphanumeric name is 11 chars) */
#define PDU_UD_SEPTETS_MAX  160 /* TP-UDL in the GSM 7-bit alphabet */
#define PDU_UD_OCTETS_MAX   140 /* TP-UDL otherwise */
#define PDU_INDEX_MAX       99999 /* a storage index in a listing (libgammu's per folder) */

const char *const pdu_reasons[] = {"not_hex",     "truncated", "address_overrun", "udl_overrun",
                                   "udh_overrun", "ucs2_odd",  "reserved_type",   NULL};

enum alphabet { GSM7, EIGHTBIT, UCS2 };

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int pdu_from_hex(const char *hex, int smsc, unsigned char *out, size_t max)
{
    size_t n = strlen(hex);
    if (n == 0 || n % 2 != 0)
        return -1;
    size_t skip = 0;
    if (smsc) {
        int hi = hexval(hex[0]), lo = hexval(hex[1]);
        if (hi < 0 || lo < 0)
            return -1;
        skip = 2 + 2 * (size_t)(hi << 4 | lo);
        if (skip > n)
            return -1;
    }
    size_t len = (n - skip) / 2;
    if (len > max)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        if (2 * i >= skip)
            out[i - skip / 2] = (unsigned char)(hi << 4 | lo);
    }
    return (int)len;
}

const char *pdu_kind_name(enum pdu_kind kind)
{
    static const char *const names[] = {"text",  "status_report", "flash",           "wap_push",
                                        "mms",   "voicemail",     "message_waiting", "sim_download",
                                        "silent"};
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "text";
}

/* A WAP push port (23.040 9.2.3.24.3/4; WAP-259 WDP): connectionless WSP 9200, secure 9202,
 * push 2948 and 2949, 9201-9204 the session and secure variants. */
static int wap_port(int port)
{
    return port == 2948 || port == 2949 || (port >= 9200 && port <= 9204);
}

/* The WSP push in body: transaction id, PDU type 0x06 (push), header length, then the content
 * type, 0xBE being application/vnd.wap.mms-message (WAP-230 table 40). */
static int mms_push(const unsigned char *body, size_t len)
{
    static const char mms[] = "application/vnd.wap.mms-message";
    if (len < 4 || body[1] != 0x06)
        return 0;
    if (body[3] == 0xBE)
        return 1;
    return len - 3 >= sizeof(mms) - 1 && memcmp(body + 3, mms, sizeof(mms) - 1) == 0;
}

/* Walks the information elements of a UDH (hdr[0] is its length); -1 when one runs past it.
 * Sets *port to a destination application port (-1 none) and *waiting to the special SMS
 * indication's message type (-1 none). */
static int walk_udh(const unsigned char *hdr, size_t avail, int *port, int *waiting)
{
    *port = *waiting = -1;
    if (avail < 1 || (size_t)hdr[0] + 1 > avail)
        return -1;
    size_t end = (size_t)hdr[0] + 1;
    for (size_t q = 1; q < end;) {
        if (q + 2 > end || q + 2 + hdr[q + 1] > end)
            return -1;
        int iei = hdr[q], iel = hdr[q + 1];
        const unsigned char *d = hdr + q + 2;
        if (iei == 0x05 && iel == 4)
            *port = d[0] << 8 | d[1];
        else if (iei == 0x04 && iel == 2)
            *port = d[0];
        else if (iei == 0x01 && iel == 2)
            *waiting = d[0] & 0x03; /* 0 voice, 1 fax, 2 e-mail, 3 other */
        q += 2 + (size_t)iel;
    }
    return 0;
}

static int fail(struct pdu_info *info, const char *reason)
{
    info->reason = reason;
    return -1;
}

static int status_report(const unsigned char *t, size_t len, struct pdu_info *info)
{
    /* first octet, TP-MR, TP-RA, TP-SCTS (7), TP-DT (7), TP-ST */
    if (len < 4)
        return fail(info, "truncated");
    size_t digits = t[2];
    if (digits > PDU_ADDR_DIGITS_MAX || 4 + (digits + 1) / 2 > len)
        return fail(info, "address_overrun");
    if (4 + (digits + 1) / 2 + 15 > len)
        return fail(info, "truncated");
    info->kind = PDU_KIND_STATUS_REPORT;
    return 0;
}

int pdu_inspect(const unsigned char *t, size_t len, struct pdu_info *info)
{
    memset(info, 0, sizeof(*info));
    info->pid = info->dcs = -1;
    info->kind = PDU_KIND_TEXT;
    if (len < 1)
        return fail(info, "truncated");
    info->mti = t[0] & 0x03;
    info->udh = (t[0] & 0x40) != 0;
    if (info->mti == 2)
        return status_report(t, len, info);
    if (info->mti != 0)
        return fail(info, "reserved_type"); /* SUBMIT or reserved: not an inbound message */
    if (len < 3)
        return fail(info, "truncated");
    size_t digits = t[1];
    size_t p = 3 + (digits + 1) / 2;
    if (digits > PDU_ADDR_DIGITS_MAX || p > len)
        return fail(info, "address_overrun");
    if (p + 10 > len) /* PID, DCS, SCTS, UDL */
        return fail(info, "truncated");
    int pid = t[p], dcs = t[p + 1];
    size_t udl = t[p + 9];
    p += 10;
    info->pid = pid;
    info->dcs = dcs;

    enum alphabet alpha = GSM7;
    int cls = -1, waiting = -1;
    switch (dcs >> 4) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x3: /* general data coding */
    case 0x4:
    case 0x5:
    case 0x6:
    case 0x7: /* automatic deletion group: the same bits */
        alpha = ((dcs >> 2) & 3) == 1 ? EIGHTBIT : ((dcs >> 2) & 3) == 2 ? UCS2 : GSM7;
        if (((dcs >> 2) & 3) == 3)
            alpha = EIGHTBIT; /* reserved alphabet: read as octets, never as text */
        if (dcs & 0x10)
            cls = dcs & 3;
        break;
    case 0xC: /* message waiting, discard */
    case 0xD: /* message waiting, store (GSM 7-bit) */
        waiting = dcs & 3;
        break;
    case 0xE: /* message waiting, store (UCS-2) */
        alpha = UCS2;
        waiting = dcs & 3;
        break;
    case 0xF:
        alpha = dcs & 4 ? EIGHTBIT : GSM7;
        cls = dcs & 3;
        break;
    default: /* 0x8-0xB reserved: GSM 7-bit (23.038 4) */
        break;
    }
    if (udl > (alpha == GSM7 ? PDU_UD_SEPTETS_MAX : PDU_UD_OCTETS_MAX))
        return fail(info, "udl_overrun");
    size_t octets = alpha == GSM7 ? (udl * 7 + 7) / 8 : udl;
    if (p + octets > len)
        return fail(info, "udl_overrun");
    int port = -1, udh_waiting = -1;
    size_t hdr = 0;
    if (info->udh) {
        if (walk_udh(t + p, octets, &port, &udh_waiting) != 0)
            return fail(info, "udh_overrun");
        hdr = (size_t)t[p] + 1;
    }
    if (alpha == UCS2 && (octets - hdr) % 2 != 0)
        return fail(info, "ucs2_odd");

    if (pid == 0x7F)
        info->kind = PDU_KIND_SIM_DOWNLOAD;
    else if (pid == 0x40)
        info->kind = PDU_KIND_SILENT;
    else if (waiting >= 0 || udh_waiting >= 0)
        info->kind =
            (waiting >= 0 ? waiting : udh_waiting) == 0 ? PDU_KIND_VOICEMAIL : PDU_KIND_WAITING;
    else if (port >= 0 && wap_port(port))
        info->kind = mms_push(t + p + hdr, octets - hdr) ? PDU_KIND_MMS : PDU_KIND_WAP_PUSH;
    else if (cls == 0)
        info->kind = PDU_KIND_FLASH;
    return 0;
}

enum pdu_kind pdu_kind_of(int cls, const unsigned char *udh, size_t udh_len,
                          const unsigned char *body, size_t body_len)
{
    int port = -1, waiting = -1;
    if (udh && udh_len > 0 && walk_udh(udh, udh_len, &port, &waiting) != 0)
        port = waiting = -1;
    if (waiting >= 0)
        return waiting == 0 ? PDU_KIND_VOICEMAIL : PDU_KIND_WAITING;
    if (port >= 0 && wap_port(port))
        return body && mms_push(body, body_len) ? PDU_KIND_MMS : PDU_KIND_WAP_PUSH;
    return cls == 0 ? PDU_KIND_FLASH : PDU_KIND_TEXT;
}

/* ---- AT transcripts ---- */

static const char *find(const char *buf, size_t len, const char *from, const char *needle)
{
    if (from < buf || from > buf + len)
        return NULL;
    return memmem(from, (size_t)(buf + len - from), needle, strlen(needle));
}

/* The hex run on the line after the one that p is on; 0 when it has one. */
static int hex_after_line(const char *buf, size_t len, const char *p, char *hex, size_t hexlen)
{
    const char *end = buf + len;
    while (p < end && *p != '\n')
        p++;
    while (p < end && (*p == '\n' || *p == '\r'))
        p++;
    size_t n = 0;
    while (p + n < end && hexval((unsigned char)p[n]) >= 0)
        n++;
    if (n == 0 || hexlen == 0)
        return -1;
    if (n > hexlen - 1)
        n = hexlen - 1;
    memcpy(hex, p, n);
    hex[n] = '\0';
    return 0;
}

/* libgammu's trace holds each frame the modem wrote verbatim, between lines of its own
 * commentary that quote the same text ('2 "+CMGL: 1,1,,24"', "Parsing +CMGL: ..."): a
 * modem's line starts after a line feed, and only those are taken. */
static const char *find_line(const char *buf, size_t len, const char *from, const char *needle)
{
    for (const char *p = from; (p = find(buf, len, p, needle)) != NULL; p++)
        if (p > buf && p[-1] == '\n')
            return p;
    return NULL;
}

int pdu_transcript_find(const char *buf, size_t len, int index, char *hex, size_t hexlen)
{
    char cmgr[32], cmgl[32];
    snprintf(cmgr, sizeof(cmgr), "AT+CMGR=%d\r", index);
    snprintf(cmgl, sizeof(cmgl), "+CMGL: %d,", index);
    const char *best = NULL;
    for (const char *p = buf; (p = find(buf, len, p, cmgr)) != NULL; p++) {
        const char *ans = find_line(buf, len, p, "+CMGR:");
        const char *next = find(buf, len, p + 1, "AT+");
        if (ans && (next == NULL || ans < next))
            best = best && best > ans ? best : ans;
    }
    for (const char *p = buf; (p = find_line(buf, len, p, cmgl)) != NULL; p++)
        best = best && best > p ? best : p;
    return best ? hex_after_line(buf, len, best, hex, hexlen) : -1;
}

int pdu_transcript_next(const char *buf, size_t len, int after)
{
    const char *list = find(buf, len, buf, "AT+CMGL=4\r"); /* PDU mode, every message */
    if (list == NULL)
        list = find(buf, len, buf, "AT+CMGL\r");
    if (list == NULL)
        return -1;
    const char *first = find_line(buf, len, list, "+CMGL: ");
    const char *stop = first ? find_line(buf, len, first, "OK\r") : NULL; /* the listing's end */
    int take = after <= 0, above = -1;
    for (const char *p = first; p && (p = find_line(buf, len, p, "+CMGL: ")) != NULL; p++) {
        if (stop && p > stop)
            break;
        char *end;
        long index = strtol(p + 7, &end, 10);
        if (p[7] < '0' || p[7] > '9' || end > buf + len || *end != ',' || index < 1 ||
            index > PDU_INDEX_MAX)
            continue;
        if (take)
            return (int)index;
        if (index == after)
            take = 1;
        else if (index > after && above < 0)
            above = (int)index;
    }
    return above;
}
