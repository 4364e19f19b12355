/*
 * atsim_ctl — drive the AT modem simulator (tests/atsim/atsim.c) from a test.
 *
 * The simulator keeps its state in a directory; a test talks to it only through files there:
 *   1. atsim_init_dir(dir), then atsim_device(path_to_atsim, dir, ...) for the gammurc
 *      `device =` line (connection = proxyat, model = at);
 *   2. atsim_deliver() drops an incoming SMS, the atsim_fault*() functions switch faults;
 *   3. atsim_read_sent() reads back what the modem was asked to send.
 * Every function returns 0 (or a count) on success, -1 on failure with errno set.
 * No Criterion here: these helpers are linked into several test binaries.
 */
#ifndef ATSIM_CTL_H
#define ATSIM_CTL_H

#include <stddef.h>

/* Writes a gammurc-style device command line for this simulator into buf:
 * "<atsim_path> --state <dir>", each path single-quoted if it holds spaces or other shell
 * characters (libgammu runs it with `$SHELL -c`). Returns 0, -1 if buf is too small. */
int atsim_device(const char *atsim_path, const char *dir, char *buf, size_t len);

/* Prepares DIR and appends to out a [modem:NAME] section driving the
 * simulator there (build: where atsim was built), then extra (more keys,
 * "key = value\n" each). Returns 0, -1 on failure, -2 when atsim is not
 * built. */
int atsim_modem_section(const char *build, const char *dir, const char *name, const char *extra,
                        char *out, size_t outlen);

/* Prepares DIR (mkdir -p DIR/inbox DIR/faults). Returns 0/-1. */
int atsim_init_dir(const char *dir);

/* Drops an incoming message: from, UTF-8 text, optional udh hex (NULL), optional coding
 * ("gsm7", "ucs2", "8bit"; NULL = auto). Atomic (tmp + rename). Returns 0/-1. */
int atsim_deliver(const char *dir, const char *from, const char *text, const char *udh_hex,
                  const char *coding);

/* Drops an incoming message given as a complete SMS-DELIVER TPDU in hex (no SMSC). 0/-1. */
int atsim_deliver_pdu(const char *dir, const char *tpdu_hex);

/* Sets the cms_error fault: the next `count` sends fail with +CMS ERROR `code`. 0/-1. */
int atsim_fail_sends(const char *dir, int code, int count);

/* Creates (on=1) or removes (on=0) a flag fault file: "hang", "dup_cmti", "noise". 0/-1. */
int atsim_fault(const char *dir, const char *name, int on);

/* Sets a numeric fault: "slow" (ms before each answer), "storage_size" (SIM size),
 * "hang_cmgr" or "hang_cmgd" (that location's read or delete never answered);
 * value < 0 removes it. 0/-1. */
int atsim_fault_value(const char *dir, const char *name, long value);

/* What the network reports for messages sent with a status report requested: "ok"
 * (delivered), "fail" (permanent failure), "twice" (delivered, reported twice), "none";
 * NULL restores the default (ok). 0/-1. */
int atsim_set_reports(const char *dir, const char *mode);

/* Sets the text of the next USSD answers (NULL restores the default). 0/-1. */
int atsim_set_ussd_reply(const char *dir, const char *text);

/* Number of occupied SIM locations, -1 on error. */
int atsim_sim_count(const char *dir);
/* For kt_wait (arg: the simulator's directory): 1 once its SIM is empty. A
 * worker deletes a message only after its reply went out: wait for it. */
struct kt_env;
int atsim_sim_empty(struct kt_env *e, void *dir);

/* Number of messages still waiting in DIR/inbox, -1 on error. */
int atsim_inbox_count(const char *dir);

struct atsim_sent {
    int mr;
    char to[32];
    char coding[8];
    int ref, part, total; /* -1 when not concatenated */
    char text[1024];      /* UTF-8 (raw bytes for 8bit), NUL-terminated, truncated if longer */
    double t;             /* when the modem accepted it: wall clock in ms (-1 if not logged) */
    double cmgs_t;        /* when its AT+CMGS=<length> command came (-1 if not logged) */
};

/* Reads DIR/sent.log; fills up to max entries, returns how many there are in total (may
 * exceed max), 0 when nothing was sent yet, -1 on error. */
int atsim_read_sent(const char *dir, struct atsim_sent *out, int max);

struct atsim_cmti {
    double t;      /* when +CMTI was written: wall clock in ms (CLOCK_REALTIME) */
    int loc;       /* SIM location announced */
    char from[32]; /* sender of the inbox file, "" for a pdu= file */
    char file[96]; /* inbox file name */
};

/* Reads DIR/cmti.log (one line per +CMTI written); same conventions as atsim_read_sent. */
int atsim_read_cmti(const char *dir, struct atsim_cmti *out, int max);

/* The simulator's clock for the t fields: CLOCK_REALTIME in ms. */
double atsim_now_ms(void);

#endif
