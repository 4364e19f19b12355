/*
 * atsim_ctl — the test side of the AT modem simulator: it only writes and reads files in the
 * simulator's state directory (formats documented at the top of tests/atsim/atsim.c). Files the
 * simulator watches are written under a dot name and renamed in, so it never sees half a file.
 */
#include "tests/lib/atsim_ctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SENT_LINE_MAX 8192

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Writes data to DIR/SUB/NAME through DIR/SUB/.NAME.tmp and rename(2). */
static int put_file(const char *dir, const char *sub, const char *name, const char *data)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/%s/.%s.tmp%d", dir, sub, name, (int)getpid()) >=
            (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(data);
    ssize_t n = write(fd, data, len);
    int saved = errno;
    close(fd);
    if (n != (ssize_t)len) {
        unlink(tmp);
        errno = n < 0 ? saved : EIO;
        return -1;
    }
    if (rename(tmp, path) < 0) {
        saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

static int remove_file(const char *dir, const char *sub, const char *name)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int append(char *buf, size_t len, size_t *used, const char *s, size_t n)
{
    if (*used + n >= len)
        return -1;
    memcpy(buf + *used, s, n);
    *used += n;
    buf[*used] = '\0';
    return 0;
}

/* Appends s as one shell word: libgammu runs a proxyat device through
 * `$SHELL -c "exec <device>"`, so a path with spaces or quotes must be quoted. */
static int shell_word(char *buf, size_t len, size_t *used, const char *s)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789/._-+,:=@%";
    if (*s && strspn(s, safe) == strlen(s))
        return append(buf, len, used, s, strlen(s));
    if (append(buf, len, used, "'", 1) < 0)
        return -1;
    for (const char *p = s; *p; p++) {
        int rc = *p == '\'' ? append(buf, len, used, "'\\''", 4) : append(buf, len, used, p, 1);
        if (rc < 0)
            return -1;
    }
    return append(buf, len, used, "'", 1);
}

int atsim_device(const char *atsim_path, const char *dir, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0 || shell_word(buf, len, &used, atsim_path) < 0 ||
        append(buf, len, &used, " --state ", 9) < 0 || shell_word(buf, len, &used, dir) < 0) {
        errno = ENOSPC;
        return -1;
    }
    return 0;
}

int atsim_init_dir(const char *dir)
{
    char p[PATH_MAX];
    static const char *const subs[] = {"inbox", "faults"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (snprintf(p, sizeof p, "%s/%s", dir, subs[i]) >= (int)sizeof p) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (mkdir_p(p) < 0)
            return -1;
    }
    return 0;
}

/* A name that sorts after every earlier delivery, so messages arrive in order. */
static void inbox_name(char *buf, size_t len)
{
    static unsigned seq;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, len, "%012lld%09ld-%06d-%06u.msg", (long long)ts.tv_sec, ts.tv_nsec,
             (int)getpid(), seq++);
}

static int has_newline(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

int atsim_deliver(const char *dir, const char *from, const char *text, const char *udh_hex,
                  const char *coding)
{
    if (!from || !text || has_newline(from) || has_newline(udh_hex) || has_newline(coding)) {
        errno = EINVAL;
        return -1;
    }
    size_t cap = strlen(from) + 2 * strlen(text) + (udh_hex ? strlen(udh_hex) : 0) + 64;
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    size_t n = (size_t)snprintf(buf, cap, "from=%s\ntext=", from);
    for (const char *s = text; *s; s++) {
        if (*s == '\n' || *s == '\r' || *s == '\\') {
            buf[n++] = '\\';
            buf[n++] = *s == '\n' ? 'n' : *s == '\r' ? 'r' : '\\';
        } else {
            buf[n++] = *s;
        }
    }
    buf[n++] = '\n';
    if (udh_hex)
        n += (size_t)snprintf(buf + n, cap - n, "udh=%s\n", udh_hex);
    if (coding)
        n += (size_t)snprintf(buf + n, cap - n, "coding=%s\n", coding);
    buf[n] = '\0';
    char name[64];
    inbox_name(name, sizeof name);
    int rc = put_file(dir, "inbox", name, buf);
    free(buf);
    return rc;
}

int atsim_deliver_pdu(const char *dir, const char *tpdu_hex)
{
    if (!tpdu_hex || has_newline(tpdu_hex) || strlen(tpdu_hex) > 1024) {
        errno = EINVAL;
        return -1;
    }
    char buf[1100], name[64];
    snprintf(buf, sizeof buf, "pdu=%s\n", tpdu_hex);
    inbox_name(name, sizeof name);
    return put_file(dir, "inbox", name, buf);
}

int atsim_fail_sends(const char *dir, int code, int count)
{
    if (count <= 0)
        return remove_file(dir, "faults", "cms_error");
    char buf[64];
    snprintf(buf, sizeof buf, "%d %d\n", code, count);
    return put_file(dir, "faults", "cms_error", buf);
}

static int fault_name_ok(const char *name)
{
    return name && name[0] && name[0] != '.' && !strchr(name, '/');
}

int atsim_fault(const char *dir, const char *name, int on)
{
    if (!fault_name_ok(name)) {
        errno = EINVAL;
        return -1;
    }
    return on ? put_file(dir, "faults", name, "") : remove_file(dir, "faults", name);
}

int atsim_fault_value(const char *dir, const char *name, long value)
{
    if (!fault_name_ok(name)) {
        errno = EINVAL;
        return -1;
    }
    if (value < 0)
        return remove_file(dir, "faults", name);
    char buf[32];
    snprintf(buf, sizeof buf, "%ld\n", value);
    return put_file(dir, "faults", name, buf);
}

int atsim_set_reports(const char *dir, const char *mode)
{
    if (!mode)
        return remove_file(dir, ".", "reports");
    if (strcmp(mode, "ok") != 0 && strcmp(mode, "fail") != 0 && strcmp(mode, "twice") != 0 &&
        strcmp(mode, "none") != 0) {
        errno = EINVAL;
        return -1;
    }
    char buf[16];
    snprintf(buf, sizeof buf, "%s\n", mode);
    return put_file(dir, ".", "reports", buf);
}

int atsim_set_ussd_reply(const char *dir, const char *text)
{
    if (!text)
        return remove_file(dir, ".", "ussd_reply");
    if (has_newline(text)) {
        errno = EINVAL;
        return -1;
    }
    char *buf = malloc(strlen(text) + 2);
    if (!buf)
        return -1;
    sprintf(buf, "%s\n", text);
    int rc = put_file(dir, ".", "ussd_reply", buf);
    free(buf);
    return rc;
}

static int count_files(const char *dir, const char *sub)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/%s", dir, sub) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    DIR *d = opendir(p);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && !strstr(e->d_name, ".tmp"))
            n++;
    closedir(d);
    return n;
}

int atsim_sim_count(const char *dir)
{
    return count_files(dir, "sim");
}

int atsim_sim_empty(struct kt_env *e, void *dir)
{
    (void)e;
    return atsim_sim_count(dir) == 0;
}

int atsim_inbox_count(const char *dir)
{
    return count_files(dir, "inbox");
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int int_or_none(const char *v)
{
    return *v ? atoi(v) : -1;
}

/* Parses one sent.log line into e. Returns 0/-1. */
static int parse_sent(char *line, struct atsim_sent *e)
{
    memset(e, 0, sizeof *e);
    e->mr = e->ref = e->part = e->total = -1;
    e->t = e->cmgs_t = -1;
    int seen = 0;
    for (char *f = strtok(line, "\t\n"); f; f = strtok(NULL, "\t\n")) {
        char *eq = strchr(f, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *k = f, *v = eq + 1;
        if (strcmp(k, "mr") == 0) {
            e->mr = atoi(v);
            seen = 1;
        } else if (strcmp(k, "to") == 0) {
            snprintf(e->to, sizeof e->to, "%s", v);
        } else if (strcmp(k, "coding") == 0) {
            snprintf(e->coding, sizeof e->coding, "%s", v);
        } else if (strcmp(k, "ref") == 0) {
            e->ref = int_or_none(v);
        } else if (strcmp(k, "part") == 0) {
            e->part = int_or_none(v);
        } else if (strcmp(k, "total") == 0) {
            e->total = int_or_none(v);
        } else if (strcmp(k, "t") == 0) {
            e->t = atof(v);
        } else if (strcmp(k, "cmgs_t") == 0) {
            e->cmgs_t = atof(v);
        } else if (strcmp(k, "text") == 0) {
            size_t n = 0;
            for (; v[0] && v[1] && n + 1 < sizeof e->text; v += 2) {
                int h = hexval((unsigned char)v[0]), l = hexval((unsigned char)v[1]);
                if (h < 0 || l < 0)
                    return -1;
                e->text[n++] = (char)(h << 4 | l);
            }
            e->text[n] = '\0';
        }
    }
    return seen ? 0 : -1;
}

int atsim_read_sent(const char *dir, struct atsim_sent *out, int max)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/sent.log", dir) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(p, "re");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char *line = malloc(SENT_LINE_MAX);
    if (!line) {
        fclose(f);
        return -1;
    }
    int n = 0;
    while (fgets(line, SENT_LINE_MAX, f)) {
        if (!strchr(line, '\n'))
            break; /* a line being written, or longer than any the simulator writes */
        struct atsim_sent e;
        if (parse_sent(line, &e) < 0)
            continue;
        if (n < max && out)
            out[n] = e;
        n++;
    }
    free(line);
    fclose(f);
    return n;
}

int atsim_modem_section(const char *build, const char *dir, const char *name, const char *extra,
                        char *out, size_t outlen)
{
    char atsim[1024], device[2048];
    snprintf(atsim, sizeof(atsim), "%s/atsim", build);
    if (access(atsim, X_OK) != 0)
        return -2;
    if (atsim_init_dir(dir) != 0 || atsim_device(atsim, dir, device, sizeof(device)) != 0)
        return -1;
    size_t used = strlen(out);
    int n = snprintf(out + used, outlen - used,
                     "[modem:%s]\nmodel = at\nconnection = proxyat\ndevice = %s\n%s", name, device,
                     extra ? extra : "");
    return n < 0 || (size_t)n >= outlen - used ? -1 : 0;
}

double atsim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int atsim_read_cmti(const char *dir, struct atsim_cmti *out, int max)
{
    char p[PATH_MAX], line[512];
    if (snprintf(p, sizeof p, "%s/cmti.log", dir) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(p, "re");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strchr(line, '\n'))
            break; /* a line being written */
        struct atsim_cmti e;
        memset(&e, 0, sizeof e);
        e.t = -1;
        for (char *fl = strtok(line, "\t\n"); fl; fl = strtok(NULL, "\t\n")) {
            char *eq = strchr(fl, '=');
            if (!eq)
                continue;
            *eq = '\0';
            if (strcmp(fl, "t") == 0)
                e.t = atof(eq + 1);
            else if (strcmp(fl, "loc") == 0)
                e.loc = atoi(eq + 1);
            else if (strcmp(fl, "from") == 0)
                snprintf(e.from, sizeof e.from, "%s", eq + 1);
            else if (strcmp(fl, "file") == 0)
                snprintf(e.file, sizeof e.file, "%s", eq + 1);
        }
        if (e.t < 0)
            continue;
        if (n < max && out)
            out[n] = e;
        n++;
    }
    fclose(f);
    return n;
}
