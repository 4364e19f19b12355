/* supervisor — see supervisor.h. */
#include "gateway/supervisor.h"

#include "gateway/clock.h"

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/redisauth.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SV_BACKOFF_MIN    1  /* seconds before the first restart */
#define SV_BACKOFF_MAX    60 /* ceiling of the restart delay */
#define SV_STABLE_SECONDS 60 /* a worker up this long resets the backoff */
#define SV_STOP_BOUND     10 /* seconds between SIGTERM and SIGKILL at stop */
#define SV_HEARTBEAT_FD   3

enum slot_state { SLOT_WAITING, SLOT_RUNNING, SLOT_RETIRED };

struct slot {
    struct supervisor *sv;
    char name[CONFIG_NAME_MAX];
    struct modem_config mc; /* the settings this worker was started with */
    enum slot_state state;
    int keep; /* still configured (reload bookkeeping) */
    pid_t pid;
    int fd;
    struct event *beat_ev, *restart_ev;
    time_t started, last_beat;
    int modem_up; /* the last heartbeat said the modem is connected */
    int backoff;
    int killed_for_hang;
};

struct supervisor {
    struct event_base *base;
    const struct config *cfg;
    char exe[1024];
    struct slot slots[CONFIG_MAX_MODEMS * 2];
    int nslots;
    struct event *sigchld_ev, *tick_ev, *stop_ev;
    int stopping;
    time_t stop_started;
    void (*stop_done)(void *);
    void *stop_arg;
};

static void start_worker(struct slot *s);

static time_t mono_s(void)
{
    return (time_t)(clock_mono_ms() / 1000);
}

static void close_pipe(struct slot *s)
{
    if (s->beat_ev) {
        event_free(s->beat_ev);
        s->beat_ev = NULL;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static void on_beat(evutil_socket_t fd, short what, void *arg)
{
    struct slot *s = arg;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
        s->last_beat = mono_s();
        s->modem_up = buf[n - 1] == 'u';
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    close_pipe(s); /* EOF: the worker is gone; SIGCHLD tells how */
}

static void restart_tick(evutil_socket_t fd, short what, void *arg)
{
    struct slot *s = arg;
    if (s->state == SLOT_WAITING && !s->sv->stopping)
        start_worker(s);
}

static void start_worker(struct slot *s)
{
    struct supervisor *sv = s->sv;
    int p[2];
    if (pipe(p) != 0) {
        log_warn("event=worker_start_failed modem=%s", s->name);
        goto retry;
    }
    /* The worker reads the configuration the gateway validated from its
     * standard input, never the file on disk, which may have changed since
     * (a crash restart must not apply an unreviewed edit). A memory file,
     * not a pipe: writing it never blocks the event loop. */
    int in = memfd_create("kentongan-config", MFD_CLOEXEC);
    size_t len = strlen(sv->cfg->text), off = 0;
    while (in >= 0 && off < len) {
        ssize_t w = write(in, sv->cfg->text + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (in < 0 || off < len || lseek(in, 0, SEEK_SET) != 0) {
        log_warn("event=worker_start_failed modem=%s", s->name);
        if (in >= 0)
            close(in);
        close(p[0]);
        close(p[1]);
        goto retry;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        log_warn("event=worker_start_failed modem=%s", s->name);
        close(p[0]);
        close(p[1]);
        close(in);
        goto retry;
    }
    if (pid == 0) {
        /* A worker must not outlive its gateway: a restarted gateway starts
         * its own, and two workers must never drive one modem. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(0);
        close(p[0]);
        dup2(in, STDIN_FILENO); /* dup2 clears CLOEXEC on the copy */
        close(in);
        if (p[1] != SV_HEARTBEAT_FD) {
            dup2(p[1], SV_HEARTBEAT_FD);
            close(p[1]);
        }
        /* Nothing of the gateway's (Redis sockets, listeners) leaks into
         * the worker: only stdin, stdout, stderr and the heartbeat pipe. */
        close_range(SV_HEARTBEAT_FD + 1, ~0U, 0);
        /* The worker starts with default signal handling and mask. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        setenv("KT_HEARTBEAT_FD", "3", 1);
        execl(sv->exe, sv->exe, "--worker", s->name, "-c", "-", (char *)NULL);
        _exit(127);
    }
    close(in);
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    s->fd = p[0];
    s->beat_ev = event_new(sv->base, s->fd, EV_READ | EV_PERSIST, on_beat, s);
    event_add(s->beat_ev, NULL);
    s->pid = pid;
    s->state = SLOT_RUNNING;
    s->started = s->last_beat = mono_s();
    s->modem_up = 0;
    s->killed_for_hang = 0;
    log_info("event=worker_started modem=%s pid=%d", s->name, (int)pid);
    return;
retry:
    s->state = SLOT_WAITING;
    struct timeval tv = {SV_BACKOFF_MIN, 0};
    evtimer_add(s->restart_ev, &tv);
}

static struct slot *find_pid(struct supervisor *sv, pid_t pid)
{
    for (int i = 0; i < sv->nslots; i++)
        if (sv->slots[i].state == SLOT_RUNNING && sv->slots[i].pid == pid)
            return &sv->slots[i];
    return NULL;
}

static int running(const struct supervisor *sv)
{
    int n = 0;
    for (int i = 0; i < sv->nslots; i++)
        n += sv->slots[i].state == SLOT_RUNNING;
    return n;
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
    struct supervisor *sv = arg;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct slot *s = find_pid(sv, pid);
        if (s == NULL)
            continue;
        close_pipe(s);
        s->pid = 0;
        time_t up = mono_s() - s->started;
        if (WIFSIGNALED(status))
            log_warnx("event=worker_exited modem=%s signal=%d uptime=%lld hang=%d", s->name,
                      WTERMSIG(status), (long long)up, s->killed_for_hang);
        else
            log_info("event=worker_exited modem=%s status=%d uptime=%lld", s->name,
                     WEXITSTATUS(status), (long long)up);
        if (sv->stopping || !s->keep) {
            s->state = SLOT_RETIRED;
            continue;
        }
        s->backoff = up >= SV_STABLE_SECONDS || s->backoff == 0 ? SV_BACKOFF_MIN : s->backoff * 2;
        if (s->backoff > SV_BACKOFF_MAX)
            s->backoff = SV_BACKOFF_MAX;
        s->state = SLOT_WAITING;
        struct timeval tv = {s->backoff, 0};
        evtimer_add(s->restart_ev, &tv);
        log_info("event=worker_restart_scheduled modem=%s in=%ds", s->name, s->backoff);
    }
    if (sv->stopping && running(sv) == 0)
        event_active(sv->stop_ev, EV_TIMEOUT, 0);
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
    struct supervisor *sv = arg;
    time_t now = mono_s();
    for (int i = 0; i < sv->nslots; i++) {
        struct slot *s = &sv->slots[i];
        if (s->state != SLOT_RUNNING)
            continue;
        if (sv->stopping) {
            if (now - sv->stop_started >= SV_STOP_BOUND) {
                log_warnx("event=worker_kill modem=%s reason=stop_timeout", s->name);
                kill(s->pid, SIGKILL);
            }
            continue;
        }
        if (!s->killed_for_hang && now - s->last_beat > s->mc.hang_seconds) {
            log_warnx("event=worker_hung modem=%s silent=%llds action=SIGKILL", s->name,
                      (long long)(now - s->last_beat));
            s->killed_for_hang = 1;
            kill(s->pid, SIGKILL);
        }
    }
}

static void stop_tick(evutil_socket_t fd, short what, void *arg)
{
    struct supervisor *sv = arg;
    void (*done)(void *) = sv->stop_done;
    sv->stop_done = NULL;
    if (done)
        done(sv->stop_arg);
}

static struct slot *slot_for(struct supervisor *sv, const char *name)
{
    struct slot *s = NULL;
    for (int i = 0; i < sv->nslots; i++)
        if (strcmp(sv->slots[i].name, name) == 0 && sv->slots[i].state != SLOT_RETIRED)
            return &sv->slots[i];
    for (int i = 0; i < sv->nslots && s == NULL; i++)
        if (sv->slots[i].state == SLOT_RETIRED && sv->slots[i].pid == 0)
            s = &sv->slots[i]; /* reuse a retired slot */
    if (s == NULL && sv->nslots < (int)(sizeof(sv->slots) / sizeof(sv->slots[0]))) {
        s = &sv->slots[sv->nslots++];
        s->fd = -1; /* fresh from calloc: 0 would close whatever holds fd 0 (a worker's pipe) */
    }
    if (s == NULL)
        return NULL;
    if (s->restart_ev)
        event_free(s->restart_ev);
    close_pipe(s);
    memset(s, 0, sizeof(*s));
    s->sv = sv;
    s->fd = -1;
    s->state = SLOT_RETIRED;
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->restart_ev = evtimer_new(sv->base, restart_tick, s);
    return s;
}

/* Gateway-wide keys a worker reads: a change restarts every worker. */
static int worker_keys_changed(const struct config *a, const struct config *b)
{
    return a == NULL || strcmp(a->redis, b->redis) != 0 || redisauth_changed(a, b) ||
           strcmp(a->loglevel, b->loglevel) != 0 || a->multipart_timeout != b->multipart_timeout ||
           a->dedupe_ttl != b->dedupe_ttl || strcmp(a->quiet_hours, b->quiet_hours) != 0;
}

/* 1 when official i tells of low credit (modems/worker.c: staff and coordinators). */
static int credit_recipient(const struct official_config *o)
{
    return strcmp(o->role, "staff") == 0 || strcmp(o->role, "coordinator") == 0;
}

/* The numbers a worker tells of low credit: a change restarts the workers
 * that check credit (the others never read them). */
static int credit_recipients_changed(const struct config *a, const struct config *b)
{
    int i = 0, k = 0;
    for (;;) {
        while (i < a->nofficials && !credit_recipient(&a->officials[i]))
            i++;
        while (k < b->nofficials && !credit_recipient(&b->officials[k]))
            k++;
        if (i == a->nofficials || k == b->nofficials)
            return i != a->nofficials || k != b->nofficials;
        if (strcmp(a->officials[i].phone, b->officials[k].phone) != 0)
            return 1;
        i++, k++;
    }
}

void supervisor_set_config(struct supervisor *sv, const struct config *cfg)
{
    int restart_all = sv->cfg != NULL && worker_keys_changed(sv->cfg, cfg);
    int recipients = sv->cfg != NULL && credit_recipients_changed(sv->cfg, cfg);
    sv->cfg = cfg;
    for (int i = 0; i < sv->nslots; i++)
        sv->slots[i].keep = 0;
    for (int i = 0; i < cfg->nmodems; i++) {
        const struct modem_config *mc = &cfg->modems[i];
        struct slot *s = slot_for(sv, mc->name);
        if (s == NULL) {
            log_error("event=worker_slots_exhausted modem=%s", mc->name);
            continue;
        }
        s->keep = 1;
        if (s->state == SLOT_RETIRED) {
            s->mc = *mc;
            start_worker(s);
        } else if (restart_all || !modem_config_equal(&s->mc, mc) ||
                   (recipients && mc->balance_code[0])) {
            /* Changed settings: stop it; SIGCHLD restarts it with the new ones. */
            s->mc = *mc;
            if (s->state == SLOT_RUNNING) {
                log_info("event=worker_reconfigure modem=%s", s->name);
                kill(s->pid, SIGTERM);
            }
        }
    }
    for (int i = 0; i < sv->nslots; i++) {
        struct slot *s = &sv->slots[i];
        if (s->keep)
            continue;
        if (s->state == SLOT_RUNNING) {
            log_info("event=worker_removed modem=%s", s->name);
            kill(s->pid, SIGTERM);
        } else if (s->state == SLOT_WAITING) {
            evtimer_del(s->restart_ev);
            s->state = SLOT_RETIRED;
        }
    }
}

struct supervisor *supervisor_new(struct event_base *base, const struct config *cfg,
                                  const char *self_exe)
{
    struct supervisor *sv = calloc(1, sizeof(*sv));
    if (sv == NULL)
        return NULL;
    sv->base = base;
    snprintf(sv->exe, sizeof(sv->exe), "%s", self_exe);
    sv->sigchld_ev = evsignal_new(base, SIGCHLD, on_sigchld, sv);
    sv->tick_ev = event_new(base, -1, EV_PERSIST, tick, sv);
    sv->stop_ev = evtimer_new(base, stop_tick, sv);
    if (!sv->sigchld_ev || !sv->tick_ev || !sv->stop_ev) {
        supervisor_free(sv);
        return NULL;
    }
    evsignal_add(sv->sigchld_ev, NULL);
    struct timeval tv = {1, 0};
    evtimer_add(sv->tick_ev, &tv);
    supervisor_set_config(sv, cfg);
    return sv;
}

void supervisor_stop(struct supervisor *sv, void (*done)(void *), void *arg)
{
    sv->stopping = 1;
    sv->stop_started = mono_s();
    sv->stop_done = done;
    sv->stop_arg = arg;
    for (int i = 0; i < sv->nslots; i++) {
        struct slot *s = &sv->slots[i];
        if (s->state == SLOT_RUNNING)
            kill(s->pid, SIGTERM);
        else if (s->state == SLOT_WAITING) {
            evtimer_del(s->restart_ev);
            s->state = SLOT_RETIRED;
        }
    }
    if (running(sv) == 0)
        event_active(sv->stop_ev, EV_TIMEOUT, 0);
}

void supervisor_free(struct supervisor *sv)
{
    if (sv == NULL)
        return;
    for (int i = 0; i < sv->nslots; i++) {
        struct slot *s = &sv->slots[i];
        if (s->state == SLOT_RUNNING && s->pid > 0)
            kill(s->pid, SIGKILL);
        close_pipe(s);
        if (s->restart_ev)
            event_free(s->restart_ev);
    }
    if (sv->sigchld_ev)
        event_free(sv->sigchld_ev);
    if (sv->tick_ev)
        event_free(sv->tick_ev);
    if (sv->stop_ev)
        event_free(sv->stop_ev);
    free(sv);
}

int supervisor_workers_up(const struct supervisor *sv)
{
    int n = 0;
    time_t now = mono_s();
    for (int i = 0; i < sv->nslots; i++) {
        const struct slot *s = &sv->slots[i];
        n += s->state == SLOT_RUNNING && now - s->last_beat <= 5;
    }
    return n;
}

int supervisor_modems_up(const struct supervisor *sv)
{
    int n = 0;
    time_t now = mono_s();
    for (int i = 0; i < sv->nslots; i++) {
        const struct slot *s = &sv->slots[i];
        n += s->state == SLOT_RUNNING && now - s->last_beat <= 5 && s->modem_up;
    }
    return n;
}
