/* harness — real parts for integration tests: a private redis-server on a
 * unix socket in a temp dir, the real gateway binary, a dummy-driver modem
 * directory, and small helpers to wait for things with a bound.
 *
 *   struct kt_env e; kt_env_init(&e);        temp dir, dummy modem dir
 *   kt_redis_start(&e);                      private redis, AOF on
 *   kt_write_config(&e, extra_gateway, modems_text);
 *   kt_gateway_start(&e);                    build/kentongan -c e.config
 *   kt_dummy_deliver(&e, "081234567890", "INFO", NULL, 0);
 *   redisReply *r = kt_redis(&e, "XLEN kt:sent");
 *   kt_env_cleanup(&e);                      stops everything, removes the dir
 *
 * Binaries are found through KT_BUILD (default "build"); the repo root
 * through KT_ROOT (default "."). Waits poll with a bound and never assert
 * on time. */
#ifndef KT_TEST_HARNESS_H
#define KT_TEST_HARNESS_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <sys/types.h>

struct kt_env {
    char dir[256];
    char sock[300];
    char modem_dir[300];
    char config[300];
    char log[300];
    char build[256];
    pid_t redis_pid;
    pid_t gateway_pid;
    redisContext *rc;
    int next_location;
    pid_t pty_pid;
    int pty_slave;
    char stamp[32];         /* smsbackup DateTime for kt_dummy_deliver; "" = now */
    long long clock_offset; /* the pinned calendar's offset from the wall clock at init (s) */
    /* Redis with an ACL (kt_redis_acl): the harness logs in as user "admin"
     * with admin_pass; kt_write_config gives the gateway redis_user =
     * kentongan and redis_password_file = pass_file. */
    char admin_pass[48];
    char acl_file[300];
    char pass_file[300];
    int redis_port; /* > 0: kt_redis_start also listens on 127.0.0.1:redis_port */
};

/* The calendar every gateway and worker of a test sees is pinned: kt_env_init
 * reads KT_TEST_NOW (an instant apiparse_time understands, in WIB unless it
 * says otherwise: "2026-12-10 09:00"; or "now" for the real clock) and falls
 * back to KT_TEST_NOW_DEFAULT; kt_redis_start stores the offset as
 * kt:clock:offset and kt_write_config turns test_clock on. A test that needs
 * a particular day calls kt_clock_set; kt_now tells the instant the gateway
 * sees; kt_clock_jump moves it on. CI runs the calendar-dependent suites once
 * per instant of a list (tests/dates). The configuration carries
 * KT_TEST_HOLIDAYS unless the test gives its own holidays. */
#define KT_TEST_NOW_DEFAULT "2026-03-10 10:00" /* a Tuesday morning, WIB */
#define KT_TEST_HOLIDAYS                                                                           \
    "2026-01-01, 2026-03-19..2026-03-23, 2026-05-01, 2026-08-17, 2026-12-24, 2026-12-25, "         \
    "2027-01-01"

int kt_env_init(struct kt_env *e);
void kt_env_cleanup(struct kt_env *e);

/* Starts the private redis: unix socket e->sock (mode 700), AOF on, plus
 * 127.0.0.1:e->redis_port when set and e->acl_file when kt_redis_acl wrote one. */
int kt_redis_start(struct kt_env *e);
/* Before kt_redis_start: the redis will run with an ACL file holding the
 * `user default` and `user kentongan` lines of etc/redis-acl.conf (under
 * KT_ROOT), the latter with password's SHA-256, and an admin user the harness
 * logs in as. Writes password to e->pass_file (mode 600). 0 or -1. With
 * KT_REDIS_ACL=1 in the environment kt_env_init calls it, so every test's
 * gateway logs in as kentongan under the documented ACL. */
int kt_redis_acl(struct kt_env *e, const char *password);
/* Kills redis with SIGKILL (AOF keeps what was fsynced) and starts it again. */
int kt_redis_restart(struct kt_env *e);
/* Stops redis cleanly (SHUTDOWN NOSAVE; the AOF keeps what it had). */
void kt_redis_stop(struct kt_env *e);
/* Kills redis with SIGKILL, as a crash would. */
void kt_redis_kill(struct kt_env *e);

/* Writes e->config: [gateway] with redis = e->sock plus `gateway_extra`
 * lines, then `modems` verbatim; if modems is NULL one dummy modem "dummy"
 * on e->modem_dir with poll_seconds = 1. Returns 0/-1. */
int kt_write_config(struct kt_env *e, const char *gateway_extra, const char *modems);
int kt_gateway_start(struct kt_env *e);
/* Starts another gateway on its own config and log; returns its pid or -1.
 * Stop it with kt_stop_pid. */
pid_t kt_spawn_gateway(struct kt_env *e, const char *config, const char *log);
int kt_stop_pid(pid_t pid, int sig);
/* Starts argv (searched on PATH) in its own process group, stdout and stderr
 * appended to log, killed with the test; returns its pid or -1. Stop it
 * with kt_stop_pid. */
pid_t kt_spawn(char *const argv[], const char *log);
/* Sends sig and waits for exit (bounded); returns the exit status or -1. */
int kt_gateway_stop(struct kt_env *e, int sig);
/* Runs build/kentongan with args; captures stdout+stderr into out. Returns exit status. */
int kt_run(struct kt_env *e, const char *args, char *out, size_t outlen);

/* Drops an incoming SMS into the dummy modem's SIM inbox as a smsbackup file.
 * udh_hex may be NULL; ucs2 selects Unicode coding. Returns 0/-1. */
int kt_dummy_deliver(struct kt_env *e, const char *from, const char *text, const char *udh_hex,
                     int ucs2);
/* Number of files left in the dummy SIM inbox. */
int kt_dummy_inbox_count(struct kt_env *e);
/* For kt_wait: 1 once the dummy SIM's inbox is empty (a worker deletes a
 * message only after its reply went out, so wait for it, never assert it
 * at once). */
int kt_dummy_inbox_empty(struct kt_env *e, void *arg);

/* Waits for a message to `to` whose text contains needle; copies it into out.
 * Returns 0, or -1 when none came in time. */
int kt_wait_sent_with(struct kt_env *e, const char *to, const char *needle, double seconds,
                      char *out, size_t outlen);
/* Delivers text from `from` and waits (up to seconds) for one more message
 * to `to` (normalised) than there was before; copies its text into out.
 * Returns 0, or -1 when nothing came. */
int kt_exchange(struct kt_env *e, const char *from, const char *text, const char *to,
                double seconds, char *out, size_t outlen);
/* Waits for the n-th message (1-based) to `to`; copies its text. 0 or -1. */
int kt_wait_sent_to(struct kt_env *e, const char *to, int n, double seconds, char *out,
                    size_t outlen);

/* A command on the test's own Redis connection (reconnects when needed). */
redisReply *kt_redis(struct kt_env *e, const char *fmt, ...);
long long kt_redis_int(struct kt_env *e, const char *fmt, ...);

/* The instant kt_env_init pins the calendar to (KT_TEST_NOW), -1 if unreadable. */
long long kt_pinned_now(void);
/* The instant (Unix seconds) the gateway's calendar shows now. */
long long kt_now(struct kt_env *e);
/* Pins the gateway's calendar to unix_s (it runs on from there) and, with a gateway
 * running, waits until it has taken the new calendar; 0/-1. */
int kt_clock_set(struct kt_env *e, long long unix_s);
/* Moves the gateway's calendar on by seconds, as kt_clock_set; 0/-1. */
int kt_clock_jump(struct kt_env *e, long long seconds);

/* Calls cond(e, arg) every 50 ms until it returns non-zero or seconds pass;
 * returns the last value. */
int kt_wait(struct kt_env *e, double seconds, int (*cond)(struct kt_env *, void *), void *arg);

struct kt_sent {
    char id[32], to[32], outcome[16], reason[32], origin[32], modem[32], mr[64], text[2048];
    int parts;
};
/* Reads kt:sent (oldest first) into out; returns the number of entries (all
 * of them, even if more than max). */
int kt_sent(struct kt_env *e, struct kt_sent *out, int max);
/* Entries of kt:sent addressed to `to` (normalised 628...). */
int kt_sent_to(struct kt_env *e, const char *to, struct kt_sent *out, int max);

/* Entries of kt:in the router has read but not acknowledged; -1 when the
 * group does not exist yet or Redis is away. */
long long kt_in_pending(struct kt_env *e);

/* A TCP port on 127.0.0.1 free right now (bound to 0 and released). */
int kt_free_port(void);
/* Plain HTTP/1.0 request to 127.0.0.1:port; the whole response (status line,
 * headers, body) goes into out. Returns the status code or -1. */
int kt_http(int port, const char *method, const char *path, const char *body, char *out,
            size_t outlen);
/* The same with one extra header line ("Name: value", no CRLF). */
int kt_http_header(int port, const char *method, const char *path, const char *header,
                   const char *body, char *out, size_t outlen);

/* Runs the AT simulator behind a pseudo-terminal, as a USB modem appears:
 * writes the slave's path (e.g. /dev/pts/7) into path. The harness keeps a
 * slave descriptor open so the simulator never sees a hangup between
 * connections. Returns the simulator's pid or -1; kt_env_cleanup stops it. */
pid_t kt_pty_modem(struct kt_env *e, const char *simdir, char *path, size_t len);

/* pid of the worker for modem name (from kt:modem:NAME), or -1. */
pid_t kt_worker_pid(struct kt_env *e, const char *name);
/* Appends the gateway log to stderr (for failed tests). */
void kt_dump_log(struct kt_env *e);

/* "pin = <hash>\n": the [official:NAME] line for phone and pin, as
 * kentongan --hash-pin prints it; returns out ("" when pin is not 4-8 digits). */
const char *kt_pin_line(const char *phone, const char *pin, char *out, size_t len);
/* SHA-256 of a token as 64 hex digits (what [token:NAME] sha256 holds). */
void kt_sha256_hex(const char *token, char out[65]);
/* Subscribes number (628...) to area (desa:CODE, kec:CODE) with the same
 * Redis function DAFTAR uses; 0 or -1. */
int kt_subscribe(struct kt_env *e, const char *number, const char *area);
/* Waits until the gateway has loaded its Redis functions (a test may call
 * them itself then); 0, or -1 after seconds. */
int kt_wait_functions(struct kt_env *e, double seconds);

/* Creates a broadcast of text to one subscriber set (kt:subs:AREA) with the
 * Redis function the API and SIAR use; returns its id (and how many it
 * reaches), or -1. */
long long kt_bc_create(struct kt_env *e, const char *set, const char *text, int emergency,
                       long long *recipients);

#endif
