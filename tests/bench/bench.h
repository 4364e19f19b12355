/* bench — small helpers shared by the benchmark programs in tests/bench/.
 *
 * Benchmarks are programs that print figures, never tests (STYLE.md habit
 * 15). Each program:
 *   1. bench_guard(seconds)      registers cleanup for every struct kt_env it
 *                                will use (bench_track) and every other
 *                                process it starts (bench_track_pid) and arms
 *                                a bound: on SIGALRM/SIGTERM/SIGINT or at
 *                                exit the private redis-servers, gateways and
 *                                those processes are killed and the temp dirs
 *                                removed;
 *   2. measures, printing each figure with the command that produced it;
 *   3. bench_row(...) appends a markdown table row to $BENCH_TABLE (if set),
 *      which tests/bench/run prints as the summary.
 * Everything here is header-only (static) so that each bench stays one .c
 * file that the Makefile turns into one program. */
#ifndef KT_BENCH_H
#define KT_BENCH_H

#include "tests/lib/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_ENVS 4
#define BENCH_MAX_PIDS 8
#define BENCH_CMD_MAX  4096 /* a printed command line */

static struct kt_env *bench_envs[BENCH_MAX_ENVS];
static int bench_nenvs;
static pid_t bench_pids[BENCH_MAX_PIDS];
static int bench_npids;

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void bench_sleep(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static inline void bench_cleanup_all(void)
{
    for (int i = 0; i < bench_npids; i++) {
        if (bench_pids[i] > 0) {
            kill(bench_pids[i], SIGKILL);
            waitpid(bench_pids[i], NULL, 0);
            bench_pids[i] = 0;
        }
    }
    bench_npids = 0;
    for (int i = 0; i < bench_nenvs; i++) {
        if (bench_envs[i]) {
            kt_env_cleanup(bench_envs[i]);
            bench_envs[i] = NULL;
        }
    }
    bench_nenvs = 0;
}

static inline void bench_on_signal(int sig)
{
    /* Not async-signal-safe in theory (opendir, free); the program is about
     * to die anyway, and leaving a redis-server and a gateway behind is the
     * worse outcome. */
    static const char msg[] = "bench: interrupted or over its time bound; cleaning up\n";
    if (write(2, msg, sizeof(msg) - 1) < 0) {
    }
    bench_cleanup_all();
    _exit(128 + sig);
}

static inline void bench_track(struct kt_env *e)
{
    if (bench_nenvs < BENCH_MAX_ENVS)
        bench_envs[bench_nenvs++] = e;
}

/* A child process (a baseline server, ...) to kill at cleanup; its own
 * child should also set PR_SET_PDEATHSIG, for a bench killed with SIGKILL. */
static inline void bench_track_pid(pid_t pid)
{
    if (pid > 0 && bench_npids < BENCH_MAX_PIDS)
        bench_pids[bench_npids++] = pid;
}

/* Stops a tracked child now (SIGKILL, reaped) and forgets it. */
static inline void bench_stop_pid(pid_t pid)
{
    for (int i = 0; i < bench_npids; i++)
        if (bench_pids[i] == pid) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            bench_pids[i] = 0;
        }
}

static inline void bench_guard(unsigned seconds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = bench_on_signal;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    atexit(bench_cleanup_all);
    alarm(seconds);
}

static inline long bench_env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v && *v ? atol(v) : dflt;
}

/* utime+stime of pid in clock ticks, -1 when it is gone. */
static inline long long bench_cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* comm may hold spaces */
    if (p == NULL)
        return -1;
    /* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime(14) stime(15) */
    char state;
    long long v[13];
    if (sscanf(p + 2, "%c %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", &state,
               &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
               &v[11]) != 13)
        return -1;
    return v[10] + v[11];
}

/* Parent pid of pid, -1 when it is gone. */
static inline pid_t bench_ppid(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    char state;
    int ppid;
    if (p == NULL || sscanf(p + 2, "%c %d", &state, &ppid) != 2)
        return -1;
    return ppid;
}

/* A "Key:  N kB" line of /proc/PID/status in kB, -1 when absent. */
static inline long bench_status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t klen = strlen(key);
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = atol(line + klen + 1);
            break;
        }
    }
    fclose(f);
    return kb;
}

static inline long bench_rss_kb(pid_t pid)
{
    return bench_status_kb(pid, "VmRSS");
}

/* Shell-quotes argv into buf for printing ("the command that produced it").
 * Arguments longer than 60 bytes are shown shortened, marked "…(N bytes)". */
static inline const char *bench_argv_str(char *const argv[], char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; argv[i] && o + 8 < len; i++) {
        const char *a = argv[i];
        int plain = *a != '\0';
        for (const char *p = a; *p; p++)
            if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
                  ('0' <= *p && *p <= '9') || strchr("-_./:=,+@%", *p)))
                plain = 0;
        size_t alen = strlen(a);
        int cut = alen > 60;
        int n;
        if (plain && !cut)
            n = snprintf(buf + o, len - o, "%s%s", i ? " " : "", a);
        else {
            char shown[64];
            size_t k = 0;
            for (const char *p = a; *p && k < (cut ? 40 : 60); p++) {
                if (*p == '\n') {
                    if (k + 2 >= sizeof(shown))
                        break;
                    shown[k++] = '\\';
                    shown[k++] = 'n';
                } else if (*p != '\'')
                    shown[k++] = *p;
            }
            shown[k] = '\0';
            if (cut)
                n = snprintf(buf + o, len - o, "%s'%s…(%zu bytes)'", i ? " " : "", shown, alen);
            else
                n = snprintf(buf + o, len - o, "%s'%s'", i ? " " : "", shown);
        }
        if (n < 0 || (size_t)n >= len - o)
            break;
        o += (size_t)n;
    }
    return buf;
}

/* Runs argv with stdout captured into out (stderr to /dev/null), killing it
 * after `seconds`. Returns the exit status, or -1. */
static inline int bench_capture(char *const argv[], double seconds, char *out, size_t outlen)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with a killed bench */
        dup2(pfd[1], 1);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 2);
        }
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t got = 0;
    double end = bench_now() + seconds;
    int killed = 0;
    for (;;) {
        double left = end - bench_now();
        if (left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = 1;
        }
        struct pollfd p = {pfd[0], POLLIN, 0};
        int r = poll(&p, 1, killed ? 1000 : (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char tmp[4096];
        ssize_t n = read(pfd[0], tmp, sizeof(tmp));
        if (n <= 0)
            break;
        size_t take = (size_t)n;
        if (got + take > outlen - 1)
            take = outlen - 1 - got;
        memcpy(out + got, tmp, take);
        got += take;
    }
    out[got] = '\0';
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (killed)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Appends one line to the summary table file named by $BENCH_TABLE. */
static inline void bench_row(const char *fmt, ...)
{
    const char *path = getenv("BENCH_TABLE");
    if (path == NULL || *path == '\0')
        return;
    FILE *f = fopen(path, "a");
    if (f == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

/* "12.3 MB" style, from kB. */
static inline const char *bench_mb(long kb, char *buf, size_t len)
{
    if (kb < 0)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.1f MB", (double)kb / 1024.0);
    return buf;
}

#endif
