/* supervisor — starts one modem worker process per [modem:NAME], watches it
 * and restarts it.
 *
 *   struct supervisor *sv = supervisor_new(base, cfg, "/path/to/kentongan");
 *   supervisor_set_config(sv, cfg)   after a reload: starts, stops, restarts
 *   supervisor_stop(sv, done, arg)   SIGTERM to every worker, SIGKILL after a bound
 *   supervisor_free(sv)
 *
 * Each worker is `kentongan --worker NAME -c FILE` with a pipe on fd 3 on
 * which it writes a heartbeat byte at least once a second while its loop
 * runs. A worker silent for the modem's hang_seconds (a libgammu call that
 * never returned) is killed with SIGKILL. A worker that exits is restarted
 * after a delay that doubles from 1 s up to 60 s, and drops back to 1 s once
 * a worker has run for a minute. SIGCHLD is handled on the event loop. */
#ifndef KT_SUPERVISOR_H
#define KT_SUPERVISOR_H

struct event_base;
struct config;
struct supervisor;

struct supervisor *supervisor_new(struct event_base *base, const struct config *cfg,
                                  const char *self_exe);
void supervisor_set_config(struct supervisor *sv, const struct config *cfg);
void supervisor_stop(struct supervisor *sv, void (*done)(void *), void *arg);
void supervisor_free(struct supervisor *sv);
/* Number of workers running and heartbeating. */
int supervisor_workers_up(const struct supervisor *sv);
/* Of those, the number whose modem is connected (its state up in Redis). */
int supervisor_modems_up(const struct supervisor *sv);

#endif
