/* pdu — checks and classifies one inbound SMS TPDU (3GPP TS 23.040) before anything else reads
 * it: whether every length in it fits (libgammu's decoder reads past the end of PDUs whose
 * lengths lie, and smashes its stack on some), and whether it is a message a resident wrote or
 * something a phone handles by itself (a flash message, a WAP push, a voicemail indication, SIM
 * data).
 *
 *   unsigned char tpdu[PDU_MAX];
 *   int n = pdu_from_hex(hex, 1, tpdu, sizeof tpdu);   AT+CMGR/+CMGL hex, SMSC prefix first
 *   struct pdu_info info;
 *   pdu_inspect(tpdu, n, &info);                      info.reason / info.kind
 *
 * Pure functions: no allocation, no libgammu. */
#ifndef KT_PDU_H
#define KT_PDU_H

#include <stddef.h>

#define PDU_MAX 200 /* octets of one TPDU, SMSC prefix excluded (23.040 allows 164 for DELIVER) */

/* What kind of message a well-formed PDU carries. */
enum pdu_kind {
    PDU_KIND_TEXT,          /* a message for the gateway to read and answer */
    PDU_KIND_STATUS_REPORT, /* SMS-STATUS-REPORT: matched by the worker's report path */
    PDU_KIND_FLASH,         /* class 0: shown on the screen, never stored by a phone */
    PDU_KIND_WAP_PUSH,      /* 8-bit, UDH application port 2948/2949 or 9200-9204 */
    PDU_KIND_MMS,           /* a WAP push whose content type is an MMS notification */
    PDU_KIND_VOICEMAIL,     /* message waiting: voicemail (TP-DCS group or UDH IEI 0x01) */
    PDU_KIND_WAITING,       /* message waiting: fax, e-mail or other */
    PDU_KIND_SIM_DOWNLOAD,  /* TP-PID 0x7F: data for the SIM toolkit */
    PDU_KIND_SILENT,        /* TP-PID 0x40 (short message type 0): to be acknowledged, discarded */
};

struct pdu_info {
    const char *reason; /* NULL when well formed, else a short name (pdu_reasons) */
    enum pdu_kind kind; /* meaningful only when reason is NULL */
    int mti;            /* TP-MTI: 0 deliver, 2 status report */
    int pid, dcs;       /* -1 when not reached */
    int udh;            /* 1 when TP-UDHI is set */
};

/* Decodes hex (upper or lower case) into out; with smsc set, drops the SMSC prefix (its
 * length octet and address). Returns the TPDU length, or -1 when the text is not an even run
 * of hex digits, the SMSC prefix runs past the end, or out is too small. */
int pdu_from_hex(const char *hex, int smsc, unsigned char *out, size_t max);

/* Checks every length field of the TPDU against its end and classifies it. Returns 0 when
 * well formed (info->kind set), -1 when not (info->reason says why). */
int pdu_inspect(const unsigned char *tpdu, size_t len, struct pdu_info *info);

/* The kind of a message already decoded (by libgammu, when no PDU is at hand: the dummy
 * driver): cls its class (-1 none), udh its user data header (udh[0] its length; NULL or
 * udh_len 0 when none), body the user data after it. Malformed headers count as no header. */
enum pdu_kind pdu_kind_of(int cls, const unsigned char *udh, size_t udh_len,
                          const unsigned char *body, size_t body_len);

/* The AT transcript (what the modem wrote, as libgammu's binary debug trace keeps it; NUL
 * bytes allowed) holds the PDU hex of SIM location index either as the answer to
 * AT+CMGR=index or as an entry of an AT+CMGL listing. pdu_transcript_find copies the last
 * such hex (NUL-terminated, cut at hexlen - 1) and returns 0; -1 when none. buf must have a
 * NUL byte at buf[len] (a number at its very end is read up to it). */
int pdu_transcript_find(const char *buf, size_t len, int index, char *hex, size_t hexlen);

/* The index listed right after index `after` in the first AT+CMGL listing of the transcript
 * (the first listed when after is 0, the first above it when after itself is not listed);
 * -1 when none. */
int pdu_transcript_next(const char *buf, size_t len, int after);

/* A kind's name as stored and counted: "text", "status_report", "flash", "wap_push", "mms",
 * "voicemail", "message_waiting", "sim_download", "silent". */
const char *pdu_kind_name(enum pdu_kind kind);

/* Every reason pdu_inspect gives, NULL-terminated: "not_hex", "truncated", "address_overrun",
 * "udl_overrun", "udh_overrun", "ucs2_odd", "reserved_type". */
extern const char *const pdu_reasons[];

#endif
