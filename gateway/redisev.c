/* redisev — see redisev.h.
 *
 * hiredis' libevent adapter makes both of its events one-shot: after every
 * reply hiredis asks for the read event again (one epoll_ctl to drop it as
 * it fires, one to add it back), and every command adds the write event and
 * drops it again once written (two more). On the router's connection, which
 * carries a command or two per USSD screen, that was most of the gateway's
 * epoll_ctl calls. Here:
 *
 *   - the read event is persistent: added once when attached and kept while
 *     the connection lives (hiredis only ever asks for it again; a delRead,
 *     should one come, does drop it);
 *   - a command is written from an event made active from addWrite (no
 *     system call), which runs later in the same loop turn, so the commands
 *     of one turn go out in one write(); only when the socket will not take
 *     everything (or before the connection is made: hiredis learns that the
 *     connect finished from the socket turning writable) is the persistent
 *     write event added to the kernel, and it is dropped once hiredis says
 *     it is done;
 *   - hiredis may free the context, and so call our cleanup, from inside
 *     redisAsyncHandleRead/Write (an error, a disconnect asked for from a
 *     reply callback). The events are then deleted at once, and the
 *     adapter's memory freed when the callback that is running returns.
 *     After cleanup hiredis is given no hooks, so it cannot call into freed
 *     memory whatever its version does after cleanup. */
#include "gateway/redisev.h"

#include <stdlib.h>

struct redisev {
    redisAsyncContext *ac;
    struct event *rev, *wev, *flush;
    int reading;  /* rev added */
    int writing;  /* wev added */
    int queued;   /* flush made active, not run yet */
    int in_write; /* inside redisAsyncHandleWrite: a further addWrite waits for the socket */
    int busy;     /* inside one of hiredis' handlers: cleanup defers the free */
    int dead;     /* cleaned up: freed when busy drops to 0 */
};

static struct redisev_stats stats;

void redisev_stats(struct redisev_stats *out)
{
    *out = stats;
}

static void release(struct redisev *e)
{
    event_free(e->rev);
    event_free(e->wev);
    event_free(e->flush);
    free(e);
}

static void leave(struct redisev *e)
{
    if (--e->busy == 0 && e->dead)
        release(e);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct redisev *e = arg;
    e->busy++;
    redisAsyncHandleRead(e->ac);
    leave(e);
}

static void write_now(struct redisev *e)
{
    e->busy++;
    e->in_write = 1;
    redisAsyncHandleWrite(e->ac);
    e->in_write = 0;
    leave(e);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    write_now(arg);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    struct redisev *e = arg;
    e->queued = 0;
    write_now(e);
}

static void add_read(void *priv)
{
    struct redisev *e = priv;
    if (e->dead || e->reading)
        return;
    if (event_add(e->rev, NULL) == 0) {
        e->reading = 1;
        stats.read_adds++;
    }
}

static void del_read(void *priv)
{
    struct redisev *e = priv;
    if (e->dead || !e->reading)
        return;
    event_del(e->rev);
    e->reading = 0;
    stats.read_dels++;
}

static void watch_write(struct redisev *e)
{
    if (e->writing)
        return;
    if (event_add(e->wev, NULL) == 0) {
        e->writing = 1;
        stats.write_adds++;
    }
}

static void add_write(void *priv)
{
    struct redisev *e = priv;
    if (e->dead || e->writing || e->queued)
        return;
    /* Not connected yet, or hiredis could not write everything just now:
     * wait for the socket. Otherwise write later in this loop turn. */
    if (e->in_write || !(e->ac->c.flags & REDIS_CONNECTED)) {
        watch_write(e);
        return;
    }
    e->queued = 1;
    stats.flushes++;
    event_active(e->flush, EV_WRITE, 1);
}

static void del_write(void *priv)
{
    struct redisev *e = priv;
    if (e->dead)
        return;
    if (e->queued) {
        event_del(e->flush);
        e->queued = 0;
    }
    if (e->writing) {
        event_del(e->wev);
        e->writing = 0;
        stats.write_dels++;
    }
}

static void cleanup(void *priv)
{
    struct redisev *e = priv;
    if (e->dead)
        return;
    e->dead = 1;
    redisAsyncContext *ac = e->ac;
    ac->ev.addRead = NULL;
    ac->ev.delRead = NULL;
    ac->ev.addWrite = NULL;
    ac->ev.delWrite = NULL;
    ac->ev.cleanup = NULL;
    ac->ev.data = NULL;
    event_del(e->rev);
    event_del(e->wev);
    event_del(e->flush);
    if (e->busy == 0)
        release(e);
}

int redisev_attach(redisAsyncContext *ac, struct event_base *base)
{
    if (ac == NULL || ac->ev.data != NULL || ac->c.fd < 0)
        return -1;
    struct redisev *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -1;
    e->ac = ac;
    e->rev = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, on_read, e);
    e->wev = event_new(base, ac->c.fd, EV_WRITE | EV_PERSIST, on_write, e);
    e->flush = event_new(base, -1, 0, on_flush, e);
    if (e->rev == NULL || e->wev == NULL || e->flush == NULL)
        goto fail;
    if (event_add(e->rev, NULL) != 0)
        goto fail;
    e->reading = 1;
    stats.read_adds++;
    /* The connect is non-blocking: its end shows as the socket turning
     * writable, which hiredis' write handler notices. */
    if (event_add(e->wev, NULL) != 0)
        goto fail;
    e->writing = 1;
    stats.write_adds++;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = e;
    return 0;
fail:
    if (e->rev)
        event_free(e->rev);
    if (e->wev)
        event_free(e->wev);
    if (e->flush)
        event_free(e->flush);
    free(e);
    return -1;
}
