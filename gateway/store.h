/* store — the Redis layout shared by the gateway and the modem workers, and
 * the Lua scripts that make each step of a message's life atomic.
 *
 * Keys (every key starts with "kt:"):
 *   kt:in                      stream of whole inbound messages; group "router"; field
 *                              pin: the digest of the PIN word taken out of text (pin.h)
 *   kt:events                  stream of internal events (deadlines); group "router"
 *   kt:deadlines               zset of timers (member names the subject) by due time (ms)
 *   kt:clock:offset            seconds added to the clock when test_clock is on
 *   kt:ticket:seq              counter behind ticket numbers
 *   kt:ticket:SEQ              hash: one complaint (status, opd, deadline, ...)
 *   kt:ticket:SEQ:log          stream: every change with time and actor
 *   kt:ticket:by-inbound:ID    the ticket a message created (idempotency)
 *   kt:tickets:status:STATUS   zset: seqs of the tickets in that status (score seq)
 *   kt:tickets:opd:OPD         zset: seqs of the tickets of that OPD
 *   kt:tickets:indexed         set once the two indexes and kt:stats:complaints are built
 *   kt:stats:complaints        hash "STATUS|OPD" -> tickets in that status at that OPD
 *   kt:tickets:by-phone:NUMBER zset of a resident's tickets
 *   kt:applied:ID              an official's command or event already applied
 *   kt:sub:NUMBER              set of areas (desa:CODE, kec:CODE) a number follows
 *   kt:subs:AREA               set of numbers following an area
 *   kt:subscribers             set of every number following at least one area
 *   kt:consent:NUMBER          stream: consent given and withdrawn, with time and channel
 *   kt:optout:NUMBER           time of the last BERHENTI (broadcasts skip the number)
 *   kt:adminduk:APPNO          hash: a civil-registration application's status
 *   kt:ussd:SESSION            "NUMBER LAST DRAFT": a USSD session's number, last screen time,
 *                              draft offered (kt_ussd_touch)
 *   kt:draft:NUMBER            inputs of a complaint a USSD session left unfinished (expires)
 *   kt:menu:NUMBER             list: an SMS menu session's replies (expires)
 *   kt:seen:MODEM:HASH         inbound content key, SET NX + expiry (dedupe)
 *   kt:part:MODEM:HASH         hash of the parts of one concatenated message
 *   kt:parts:MODEM             zset of part hashes by first-seen time (ms)
 *   kt:done:INBOUND-ID         the replies to this inbound message are queued
 *   kt:rate:NUMBER             per-sender message counter for the current minute
 *   kt:rate:day:NUMBER         per-sender message counter for 24 hours from its first
 *   kt:rated:ID                the verdict kt_rate gave a message ("VERDICT:COUNT", an hour)
 *   kt:budget                  messages from the public let through this minute (all numbers)
 *   kt:budget:shed             "too many" answers sent by SMS this minute (shed answers)
 *   kt:shed:NUMBER             this number was shed this minute (one answer per window)
 *   kt:out:m:MODEM             replies that should leave through MODEM
 *   kt:out:any                 replies any modem may send
 *   kt:out:emergency           emergency broadcasts (ahead of bulk)
 *   kt:out:bulk                broadcasts
 *   kt:bc:seq                  counter behind broadcast ids
 *   kt:bcs                     zset of broadcast ids (for listing)
 *   kt:bc:ID                   hash: one broadcast (text, status, counters of outcomes;
 *                              delivered/undelivered from delivery reports)
 *   kt:bc:ID:todo              list: recipients not yet queued
 *   kt:bc:ID:fail              hash: failure reason -> count
 *   kt:bc:active               set of broadcasts still to feed
 *   kt:bc:by-inbound:ID        the broadcast a confirming SMS created (idempotency)
 *   kt:siar:NUMBER             hash: a staff SIAR waiting for YA (10 minutes; code: the
 *                              digest of its one-time code when it needs one)
 *   kt:batal:NUMBER            hash: a BATAL <id> waiting for its code (id, code digest)
 *   kt:auth:ID                 the answer kt_auth gave to message ID (status, until, failures)
 *   kt:auth:ok:ID              what message ID confirmed (the pending hash, moved here)
 *   kt:pin:fail:OFFICIAL       zset: wrong PINs and codes within pin_window (ms)
 *   kt:pin:lock:OFFICIAL       until when (ms) the official is locked; expires then
 *   kt:sent                    stream: every send outcome (sent/failed/expired)
 *   kt:dead                    stream: messages or events no handler could finish
 *   kt:sending:LANE:OUT-ID     hash: progress of a multipart send in flight
 *   kt:mr:MODEM:MR             "lane|id|origin|to|part|total[|final]": the part MODEM sent
 *                              with TP-MR MR and asked a delivery report for (3 days; MR
 *                              wraps at 256, so a report must name the same recipient)
 *   kt:reports                 stream: every delivery report (modem, mr, to, status, outcome
 *                              delivered/pending/undelivered/unmatched, lane, id, origin, part)
 *   kt:ref:MODEM               counter for concatenation references
 *   kt:cap:MODEM:YYYYMMDD      SMS parts sent by MODEM that day (WIB)
 *   kt:modem:MODEM             hash: worker/modem status (state, state_since, alive, ...)
 *   kt:lock:device:DEVICE      "host:pid" of the worker driving that modem device
 *   kt:stats                   hash of counters for GET /metrics: in:MODEM, dup:MODEM,
 *                              out:MODEM:OUTCOME, parts:MODEM, missed:OPD (escalations),
 *                              dlr:MODEM:OUTCOME (delivery reports, also duplicate),
 *                              pinfail:OFFICIAL and lockout:OFFICIAL (kt_auth)
 *   kt:stats:send:MODEM        hash: send latency histogram of one SIM (le:MS bucket
 *                              counts, le:inf, count, sum_ms; see gateway/metrics.h)
 *   kt:ussdq:MODEM             stream: USSD codes for MODEM's worker (req, code, expires,
 *                              by, created); group "workers"; an entry leaves once answered
 *   kt:ussdres:REQ             hash: the worker's answer to request REQ (outcome, answer,
 *                              error, at); expires after STORE_USSD_RESULT_TTL
 *   kt:ussdseq                 counter behind USSD request ids
 *   kt:ussdq:MODEM also carries installer's probes (kind probe, number, expires, by,
 *                              created), answered in kt:ussdres:REQ (outcome, report: JSON)
 *   kt:probe:MODEM:TOKEN       string: a probe's test SMS ("sent", then "received" once it
 *                              came back); expires after STORE_PROBE_TTL, so that a test
 *                              message arriving late is still known and never answered
 *   (kt:ussd:SESSION belongs to the residents' USSD menu: its session ids are the
 *   aggregator's, so the modem's USSD keys stay out of that name space.)
 * kt:modem:MODEM also holds the credit check: credit (rupiah), credit_at (ms of
 * that reading), credit_checked (ms of the last attempt), credit_raw (the
 * operator's answer), credit_error (why the last answer gave no credit),
 * credit_alerted (ms staff were told the credit fell below balance_low; gone
 * once it is at or above it again).
 * Outbound lanes are read with the consumer group "workers". */
#ifndef KT_STORE_H
#define KT_STORE_H

#include <stddef.h>

#define STORE_IN              "kt:in"
#define STORE_IN_GROUP        "router"
#define STORE_EVENTS          "kt:events"
#define STORE_DEADLINES       "kt:deadlines"
#define STORE_DEAD            "kt:dead"
#define STORE_CLOCK           "kt:clock:offset"
#define STORE_OUT_GROUP       "workers"
#define STORE_OUT_ANY         "kt:out:any"
#define STORE_OUT_EMERG       "kt:out:emergency"
#define STORE_OUT_BULK        "kt:out:bulk"
#define STORE_SENT            "kt:sent"
#define STORE_SENT_MAXLEN     "200000"
#define STORE_IN_MAXLEN       "1000000"
#define STORE_PIN_DIGITS_MAX  "16" /* = PIN_WORD_DIGITS_MAX (gateway/pin.h), for the Lua twin */
#define STORE_REPORTS         "kt:reports"
#define STORE_MR_TTL          259200      /* seconds a sent part's reference waits for its report */
#define STORE_USSD_QUEUE      "kt:ussdq:" /* + modem name */
#define STORE_USSD_RESULT     "kt:ussdres:" /* + request id */
#define STORE_USSD_SEQ        "kt:ussdseq"
#define STORE_USSD_RESULT_TTL 120 /* seconds an answer waits to be read */

#define STORE_PROBE     "kt:probe:" /* + modem name + ":" + token */
#define STORE_PROBE_TTL 86400       /* seconds a probe's token is remembered */
/* Inbound SMS kept aside instead of answered (modems/worker.c): malformed PDUs and special
 * messages (flash, WAP push, voicemail indications, SIM data), one entry each. */
#define STORE_QUARANTINE        "kt:quarantine"
#define STORE_QUARANTINE_MAXLEN "10000"        /* entries kept (MAXLEN ~) */
#define STORE_DECODING          "kt:decoding:" /* + modem: the SIM location being decoded */

/* All scripts live in one Redis function library ("kentongan", Redis 7
 * functions), loaded with FUNCTION LOAD REPLACE by every process when it
 * connects, so a restarted or replaced Redis never answers NOSCRIPT:
 *   kt_ingest   worker: dedupe + part assembly + XADD kt:in (a PIN word that
 *               straddles two parts is removed there: pin = "split")
 *   kt_release  worker: release part groups older than a cutoff, flagged incomplete
 *   kt_commit   router: queue replies + mark done + XACK, once per inbound id
 *   kt_rate     router: per-sender limits (minute, day) and the reply budget
 *   kt_finish   worker: record an outcome on kt:sent + XACK + clear progress
 *   kt_report   worker: one delivery report: kt:reports + kt:bc:ID delivered/undelivered, once
 *   kt_failover router: move replies off a modem down for failover_seconds
 *   kt_due      router: move deadlines that fell due from kt:deadlines to kt:events
 *   kt_complaint_new, kt_ticket_read, kt_ticket_update, kt_ticket_awaiting,
 *   kt_ticket_place, kt_pending_take
 *               complaint handlers: create once per message, read, compare-and-set
 *   kt_deadletter router: park messages that failed too often on kt:dead
 *   kt_ussd_touch USSD: bind a session to its number and keep it alive
 *   kt_menu     the SMS menu session of a number (MENU, then numbered replies)
 *   kt_subscribe, kt_unsubscribe
 *               DAFTAR / BERHENTI: all sets and the consent record in one step
 *   kt_bc_create, kt_bc_audience, kt_bc_feed, kt_bc_cancel
 *               broadcasts: gather recipients once, count an audience, queue
 *               within a window, stop (gateway/broadcast.h)
 *   kt_trim     router: drop lane entries every worker is done with, once old
 *   kt_bc_get, kt_bc_list
 *               broadcasts: one, or a page of them, with failure reasons
 *   kt_unsubscribe_area  admin API: one area of a number, with the consent record
 *   kt_complaints_list   admin API: tickets by status and OPD, newest first
 *   kt_observe  worker: one observation of a latency histogram
 *   kt_ussd_ask, kt_probe_ask, kt_ussd_done
 *               admin API: queue a USSD code for a modem that is up; worker:
 *               answer it and take it off the queue
 *   kt_credit   worker: record a balance check; alert staff once per fall
 *               below balance_low
 *   kt_modem_alert router: tell the coordinators once when a modem has been
 *               out for modem_alert_after, and once when it is back
 *   kt_snapshot admin API: counters, lane depths and modem status in one step
 *   kt_pending_set  officials: what waits for a confirmation, with its expiry
 *   kt_auth     officials: PIN and one-time code checked, counted, locked, the
 *               confirmed action taken once (handlers/auth.h)
 *   kt_quarantine worker: keep one malformed or special SMS aside, once
 *   kt_quarantine_list admin API: a page of kt:quarantine, newest first, by modem and kind */
extern const char store_library[];

/* kt_rate (router.c, for SMS and USSD actions alike): what to do with one
 * message from the public. */
#define STORE_BUDGET          "kt:budget"
#define STORE_SHEDN           "kt:budget:shed"
#define STORE_RATE_WINDOW     60    /* seconds of the per-number and budget windows */
#define STORE_RATE_DAY_WINDOW 86400 /* seconds of the per-number day window */
/* The verdicts, as numbers and as the Lua literals the script returns. */
#define STORE_RATE_OK           0 /* handle it */
#define STORE_RATE_LIMITED      1 /* over sender_per_minute, first time in the window: say so */
#define STORE_RATE_QUIET        2 /* over a per-number limit again: silence */
#define STORE_RATE_DAY          3 /* over sender_per_day, first time: say so */
#define STORE_RATE_SHED         4 /* over the reply budget: a short "try later" answer */
#define STORE_RATE_SHED_QUIET   5 /* over the budget, already told (or shed answers used up) */
#define STORE_RATE_DAY_QUIET    6 /* over sender_per_day again: silence */
#define STORE_RATE_OK_S         "0"
#define STORE_RATE_LIMITED_S    "1"
#define STORE_RATE_QUIET_S      "2"
#define STORE_RATE_DAY_S        "3"
#define STORE_RATE_SHED_S       "4"
#define STORE_RATE_SHED_QUIET_S "5"
#define STORE_RATE_DAY_QUIET_S  "6"
#define STORE_RATE_ARGC         17

struct store_rate {
    const char *sender; /* normalised number (628...) */
    const char *id;     /* the message's idempotency id (stream id, "ussd:...") */
    int per_minute, per_day;
    int budget;       /* messages a minute from all numbers; 0: no budget */
    int shed_answers; /* "try later" SMS per window, all numbers together */
    int free_answer;  /* 1: the answer is a USSD screen (no SMS): always given */
};
struct store_rate_args {
    char minute[48], day[48], menu[48], shed[48], num[6][16];
    const char *argv[STORE_RATE_ARGC]; /* point into this struct and into in */
};
/* Builds FCALL kt_rate's STORE_RATE_ARGC arguments into out->argv. 0, or -1
 * when the number does not fit a key (never for a normalised one). */
int store_rate_argv(const struct store_rate *in, struct store_rate_args *out);

/* 64-bit FNV-1a of a buffer, chained from h (start with STORE_HASH_INIT). */
#define STORE_HASH_INIT 1469598103934665603ULL
unsigned long long store_hash(unsigned long long h, const void *buf, size_t len);

#endif
