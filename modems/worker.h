/* worker — the modem worker process: one per [modem:NAME], started by the
 * gateway's supervisor as `kentongan --worker NAME -c FILE`.
 *
 * It owns one libgammu state machine for its whole life and talks to Redis
 * synchronously (it is a plain loop, not an event loop). Receive: +CMTI
 * where the modem sends it, plus a sweep of SIM storage every poll_seconds;
 * every message is written to Redis (kt_ingest) before it is deleted from
 * the SIM. Send: lanes in priority order (own replies, any replies,
 * emergency, bulk), one SMS part at a time, waiting for the network's
 * answer, within the SIM's per-minute and per-day caps. Heartbeats go to
 * fd 3 (the supervisor's pipe) when it is open. */
#ifndef KT_WORKER_H
#define KT_WORKER_H

#include <gammu.h>

struct config;

/* Runs the worker for modem name until SIGTERM; returns the exit status. */
int worker_main(const struct config *cfg, const char *name);

#define WORKER_TEXT_MAX 4096 /* UTF-8 bytes of one SMS part (70 UCS-2 units fit easily) */

/* What the worker hands Redis for one message read from the SIM: the
 * sender, text (or 8-bit data as hex), coding, the SMSC time stamp, the UDH
 * as hex; for one part of a long message its number, the total and the
 * reference (else part 1 of 1, ref -1); the content key (the same message
 * read twice hashes the same) and the group key (every part of one long
 * message, and only those). Pure: no I/O. */
struct worker_inbound {
    char from[64];
    char text[WORKER_TEXT_MAX];
    char data[2 * GSM_MAX_SMS_LENGTH + 1];
    char smsc_time[32];
    char udh[2 * GSM_MAX_UDH_LENGTH + 1];
    const char *coding; /* "gsm7", "ucs2", "8bit" */
    char pin[72];       /* digest of a PIN word taken out of text (gateway/pin.h); "" none */
    int part, total, ref, bits;
    unsigned long long content, group;
};
void worker_inbound(const GSM_SMSMessage *sms, struct worker_inbound *in);

/* Delivery reports. worker_wants_report: 1 when a message of this origin
 * asks the network for a status report under the modem's delivery_reports
 * setting ("0" never, "1" always, "broadcasts" for origin "bc:ID" only).
 * worker_report_outcome: what a report's TP-Status (23.040 9.2.3.15) means
 * for the message: "delivered" (0x00-0x1F), "pending" (0x20-0x3F: the
 * network keeps trying, a final report follows) or "undelivered" (0x40 and
 * above: permanent error, or temporary and no more attempts; reserved values
 * count as "service rejected"). Pure. */
int worker_wants_report(const char *setting, const char *origin);
const char *worker_report_outcome(int tp_status);

#endif
