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

struct config;

/* Runs the worker for modem name until SIGTERM; returns the exit status. */
int worker_main(const struct config *cfg, const char *name);

#endif
