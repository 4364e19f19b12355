/* redisev — hiredis' async connections on our libevent loop, with fewer
 * epoll_ctl calls than hiredis' own adapter (hiredis/adapters/libevent.h).
 *
 *   redisAsyncContext *ac = redisAsyncConnect(host, port);
 *   if (redisev_attach(ac, base) != 0) { redisAsyncFree(ac); ... }
 *   ... redisAsyncCommand(ac, ...) as usual; hiredis frees the adapter's
 *   events through its cleanup hook when the context goes.
 */
#ifndef KT_REDISEV_H
#define KT_REDISEV_H

#include <event2/event.h>
#include <hiredis/async.h>

/* Plugs ac into base. 0 on success; -1 when something is attached already
 * or memory is short (ac is left as it was: the caller frees it). */
int redisev_attach(redisAsyncContext *ac, struct event_base *base);

/* Counters for tests and the bench: how often each kind of event was added
 * to or removed from the kernel's watch list, over all connections. */
struct redisev_stats {
    unsigned long long read_adds, read_dels, write_adds, write_dels, flushes;
};
void redisev_stats(struct redisev_stats *out);

#endif
