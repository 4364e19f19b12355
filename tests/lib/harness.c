/* harness — see harness.h. */
#include "tests/lib/harness.h"
#include "gateway/pin.h"

#include "gateway/apiparse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <nettle/sha2.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int mkdir_p(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* 2*n hex digits from /dev/urandom (passwords of test users). */
static void kt_random_hex(char *out, size_t n)
{
    unsigned char b[64];
    FILE *f = fopen("/dev/urandom", "r");
    if (n > sizeof(b) || f == NULL || fread(b, 1, n, f) != n)
        n = 0;
    if (f)
        fclose(f);
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = '\0';
}

static void sha256_hex(const char *text, char out[65])
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(text), (const uint8_t *)text);
    sha256_digest(&ctx, sizeof(d), d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

int kt_redis_acl(struct kt_env *e, const char *password)
{
    const char *root = getenv("KT_ROOT");
    char path[512], line[2048], rules[2048] = "", deflt[2048] = "", hash[65];
    snprintf(path, sizeof(path), "%s/etc/redis-acl.conf", root && *root ? root : ".");
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    /* The documented lines themselves, so the suite tests what operators copy. */
    const char *marker = "user kentongan on #PASSWORD-SHA256 ";
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, marker, strlen(marker)) == 0)
            snprintf(rules, sizeof(rules), "%s", line + strlen(marker));
        else if (strncmp(line, "user default ", 13) == 0)
            snprintf(deflt, sizeof(deflt), "%s", line);
    }
    fclose(f);
    if (rules[0] == '\0' || deflt[0] == '\0')
        return -1;
    kt_random_hex(e->admin_pass, 16);
    snprintf(e->acl_file, sizeof(e->acl_file), "%s/users.acl", e->dir);
    snprintf(e->pass_file, sizeof(e->pass_file), "%s/redis.pass", e->dir);
    if ((f = fopen(e->acl_file, "w")) == NULL)
        return -1;
    sha256_hex(e->admin_pass, hash);
    fprintf(f, "user admin on #%s ~* &* +@all\n%s\n", hash, deflt);
    sha256_hex(password, hash);
    fprintf(f, "user kentongan on #%s %s\n", hash, rules);
    if (fclose(f) != 0)
        return -1;
    int fd = open(e->pass_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    int ok = dprintf(fd, "%s\n", password) > 0;
    return close(fd) == 0 && ok ? 0 : -1;
}

int kt_env_init(struct kt_env *e)
{
    memset(e, 0, sizeof(*e));
    e->redis_pid = e->gateway_pid = -1;
    snprintf(e->dir, sizeof(e->dir), "/tmp/kt-test-XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -1;
    const char *b = getenv("KT_BUILD");
    snprintf(e->build, sizeof(e->build), "%s", b && *b ? b : "build");
    snprintf(e->sock, sizeof(e->sock), "%s/redis.sock", e->dir);
    snprintf(e->modem_dir, sizeof(e->modem_dir), "%s/modem", e->dir);
    snprintf(e->config, sizeof(e->config), "%s/kentongan.ini", e->dir);
    snprintf(e->log, sizeof(e->log), "%s/gateway.log", e->dir);
    char p[400];
    for (int i = 1; i <= 5; i++) {
        snprintf(p, sizeof(p), "%s/sms/%d", e->modem_dir, i);
        if (mkdir_p(p) != 0)
            return -1;
    }
    e->next_location = 1;
    long long at = kt_pinned_now();
    if (at < 0)
        return -1;
    e->clock_offset = at - (long long)time(NULL);
    const char *acl = getenv("KT_REDIS_ACL");
    if (acl && strcmp(acl, "1") == 0) {
        char pass[40];
        kt_random_hex(pass, 16);
        if (kt_redis_acl(e, pass) != 0)
            return -1;
    }
    return 0;
}

long long kt_pinned_now(void)
{
    const char *pin = getenv("KT_TEST_NOW");
    if (pin == NULL || *pin == '\0')
        pin = KT_TEST_NOW_DEFAULT;
    if (strcmp(pin, "now") == 0)
        return (long long)time(NULL);
    long long at;
    if (apiparse_time(pin, &at) != 0) {
        fprintf(stderr, "harness: KT_TEST_NOW=%s is not an instant\n", pin);
        return -1;
    }
    return at;
}

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        char p[1024];
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
            struct stat sb;
            if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
                rm_rf(p);
            else
                unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static int wait_exit(pid_t pid, double seconds)
{
    int status;
    for (int i = 0; i < (int)(seconds * 50); i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0)
            return -1;
        msleep(20);
    }
    return -2;
}

void kt_env_cleanup(struct kt_env *e)
{
    if (e->gateway_pid > 0)
        kt_gateway_stop(e, SIGKILL);
    if (e->pty_pid > 0) {
        kill(e->pty_pid, SIGKILL);
        wait_exit(e->pty_pid, 5);
        e->pty_pid = 0;
    }
    if (e->pty_slave > 0) {
        close(e->pty_slave);
        e->pty_slave = 0;
    }
    kt_redis_stop(e);
    if (getenv("KT_KEEP") == NULL && e->dir[0])
        rm_rf(e->dir);
}

static pid_t spawn(char *const argv[], const char *logpath)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* A test killed by its timeout must not leave redis or a gateway behind. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
        dup2(null, 0);
    setpgid(0, 0);
    execvp(argv[0], argv);
    _exit(127);
}

/* The harness's own connections log in as the admin user of kt_redis_acl. */
static redisContext *connect_admin(struct kt_env *e, struct timeval tv)
{
    redisContext *c = redisConnectUnixWithTimeout(e->sock, tv);
    if (c == NULL || c->err || e->admin_pass[0] == '\0')
        return c;
    const char *argv[] = {"AUTH", "admin", e->admin_pass};
    redisReply *r = redisCommandArgv(c, 3, argv, NULL);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (!ok) {
        redisFree(c);
        return NULL;
    }
    return c;
}

static int redis_ping(struct kt_env *e)
{
    struct timeval tv = {1, 0};
    redisContext *c = connect_admin(e, tv);
    int ok = 0;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

int kt_redis_start(struct kt_env *e)
{
    char dir[300], logp[300];
    snprintf(dir, sizeof(dir), "%s/redis", e->dir);
    mkdir_p(dir);
    snprintf(logp, sizeof(logp), "%s/redis.log", e->dir);
    char port[16];
    snprintf(port, sizeof(port), "%d", e->redis_port > 0 ? e->redis_port : 0);
    /* unixsocketperm 700: only the user running Redis (and the gateway)
     * may connect, as in scripts/run (README "Redis access"). */
    char *argv[24] = {"redis-server", "--port", port, "--unixsocket", e->sock, "--unixsocketperm",
                      "700",          "--dir",  dir,  "--appendonly", "yes",   "--appendfsync",
                      "everysec",     "--save", "",   "--daemonize",  "no"};
    int argc = 17;
    if (e->redis_port > 0) {
        argv[argc++] = "--bind";
        argv[argc++] = "127.0.0.1";
    }
    if (e->acl_file[0]) {
        argv[argc++] = "--aclfile";
        argv[argc++] = e->acl_file;
    }
    argv[argc] = NULL;
    e->redis_pid = spawn(argv, logp);
    for (int i = 0; i < 200; i++) {
        if (redis_ping(e)) {
            /* NX: a restarted Redis keeps the clock the test has moved */
            redisReply *r = kt_redis(e, "SET kt:clock:offset %lld NX", e->clock_offset);
            int ok = r && r->type != REDIS_REPLY_ERROR;
            freeReplyObject(r);
            return ok ? 0 : -1;
        }
        msleep(25);
    }
    return -1;
}

long long kt_now(struct kt_env *e)
{
    redisReply *r = kt_redis(e, "GET kt:clock:offset");
    long long offset = r && r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
    freeReplyObject(r);
    return (long long)time(NULL) + offset;
}

/* The gateway reads the offset every second and logs a change: wait for that line (the
 * event), so that the next message is handled on the new calendar. */
static int clock_taken(struct kt_env *e, void *arg)
{
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "grep -q 'clock_shifted offset_seconds=%lld ' %s", *(long long *)arg,
             e->log);
    return system(cmd) == 0;
}

static int clock_store(struct kt_env *e, long long offset)
{
    redisReply *r = kt_redis(e, "SET kt:clock:offset %lld", offset);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (!ok)
        return -1;
    if (e->gateway_pid > 0 && !kt_wait(e, 20, clock_taken, &offset))
        return -1;
    return 0;
}

int kt_clock_set(struct kt_env *e, long long unix_s)
{
    return clock_store(e, unix_s - (long long)time(NULL));
}

int kt_clock_jump(struct kt_env *e, long long seconds)
{
    return clock_store(e, kt_now(e) - (long long)time(NULL) + seconds);
}

/* Under an ACL, what Redis refused goes to stderr: a command missing from
 * etc/redis-acl.conf shows here even where no test looks at its answer. */
static void acl_report(struct kt_env *e)
{
    redisReply *r = kt_redis(e, "ACL LOG");
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *entry = r->element[i];
        const char *fields[4] = {"reason", "context", "object", "username"};
        const char *values[4] = {"?", "?", "?", "?"};
        for (size_t k = 0; entry->type == REDIS_REPLY_ARRAY && k + 1 < entry->elements; k += 2)
            for (int f = 0; f < 4; f++)
                if (entry->element[k]->type == REDIS_REPLY_STRING &&
                    entry->element[k + 1]->type == REDIS_REPLY_STRING &&
                    strcmp(entry->element[k]->str, fields[f]) == 0)
                    values[f] = entry->element[k + 1]->str;
        fprintf(stderr, "harness: redis ACL refused: reason=%s context=%s object=%s user=%s\n",
                values[0], values[1], values[2], values[3]);
    }
    freeReplyObject(r);
}

void kt_redis_stop(struct kt_env *e)
{
    /* SHUTDOWN NOSAVE first: a SIGKILL alone would orphan an AOF rewrite
     * child that redis may have started. */
    if (e->redis_pid > 0 && e->acl_file[0])
        acl_report(e);
    if (e->redis_pid > 0) {
        redisReply *r = kt_redis(e, "SHUTDOWN NOSAVE");
        freeReplyObject(r);
    }
    if (e->rc) {
        redisFree(e->rc);
        e->rc = NULL;
    }
    if (e->redis_pid > 0) {
        if (wait_exit(e->redis_pid, 2) < 0) {
            kill(e->redis_pid, SIGKILL);
            wait_exit(e->redis_pid, 5);
        }
        e->redis_pid = -1;
    }
}

void kt_redis_kill(struct kt_env *e)
{
    if (e->rc) {
        redisFree(e->rc);
        e->rc = NULL;
    }
    if (e->redis_pid > 0) {
        kill(e->redis_pid, SIGKILL);
        wait_exit(e->redis_pid, 5);
        e->redis_pid = -1;
    }
}

int kt_redis_restart(struct kt_env *e)
{
    /* SIGTERM lets redis flush its AOF, as a restart by an operator would. */
    if (e->rc) {
        redisFree(e->rc);
        e->rc = NULL;
    }
    if (e->redis_pid > 0) {
        kill(e->redis_pid, SIGTERM);
        wait_exit(e->redis_pid, 10);
        e->redis_pid = -1;
    }
    return kt_redis_start(e);
}

int kt_write_config(struct kt_env *e, const char *gateway_extra, const char *modems)
{
    FILE *f = fopen(e->config, "w");
    if (f == NULL)
        return -1;
    const char *extra = gateway_extra ? gateway_extra : "";
    fprintf(f, "[gateway]\nredis = unix:%s\nhttp =\nloglevel = debug\nname = test\n", e->sock);
    if (e->pass_file[0])
        fprintf(f, "redis_user = kentongan\nredis_password_file = %s\n", e->pass_file);
    fprintf(f, "%s%s%s\n", strstr(extra, "test_clock") ? "" : "test_clock = 1\n",
            strstr(extra, "holidays") ? "" : "holidays = " KT_TEST_HOLIDAYS "\n", extra);
    if (modems)
        fputs(modems, f);
    else
        fprintf(f,
                "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\n"
                "poll_seconds = 1\nper_minute = 600\nper_day = 100000\n",
                e->modem_dir);
    return fclose(f) == 0 ? 0 : -1;
}

pid_t kt_spawn_gateway(struct kt_env *e, const char *config, const char *log)
{
    char bin[400];
    snprintf(bin, sizeof(bin), "%s/kentongan", e->build);
    char *argv[] = {bin, "-c", (char *)config, NULL};
    pid_t pid = spawn(argv, log);
    return pid > 0 ? pid : -1;
}

pid_t kt_spawn(char *const argv[], const char *log)
{
    pid_t pid = spawn(argv, log);
    return pid > 0 ? pid : -1;
}

int kt_stop_pid(pid_t pid, int sig)
{
    if (pid <= 0)
        return -1;
    kill(sig == SIGKILL ? -pid : pid, sig);
    int rc = wait_exit(pid, 30);
    kill(-pid, SIGKILL);
    if (rc == -2)
        rc = wait_exit(pid, 5);
    return rc;
}

int kt_gateway_start(struct kt_env *e)
{
    e->gateway_pid = kt_spawn_gateway(e, e->config, e->log);
    return e->gateway_pid > 0 ? 0 : -1;
}

int kt_gateway_stop(struct kt_env *e, int sig)
{
    if (e->gateway_pid <= 0)
        return -1;
    if (sig == SIGKILL)
        kill(-e->gateway_pid, SIGKILL); /* the whole group: gateway and workers */
    else
        kill(e->gateway_pid, sig);
    int rc = wait_exit(e->gateway_pid, 30);
    if (rc == -2) {
        kill(-e->gateway_pid, SIGKILL);
        rc = wait_exit(e->gateway_pid, 5);
    }
    if (sig != SIGKILL)
        kill(-e->gateway_pid, SIGKILL); /* nothing of it may outlive the test */
    e->gateway_pid = -1;
    return rc;
}

int kt_run(struct kt_env *e, const char *args, char *out, size_t outlen)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/kentongan %s 2>&1", e->build, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void hex_utf16(const char *utf8, char *out, size_t outlen, int *units)
{
    /* Minimal UTF-8 -> UTF-16BE hex; test inputs are valid UTF-8. */
    const unsigned char *s = (const unsigned char *)utf8;
    size_t o = 0;
    *units = 0;
    while (*s && o + 9 < outlen) {
        unsigned cp;
        if (*s < 0x80)
            cp = *s++;
        else if ((*s & 0xE0) == 0xC0)
            cp = (unsigned)(*s & 0x1F) << 6 | (s[1] & 0x3F), s += 2;
        else if ((*s & 0xF0) == 0xE0)
            cp = (unsigned)(*s & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 | (s[2] & 0x3F), s += 3;
        else
            cp = (unsigned)(*s & 0x07) << 18 | (unsigned)(s[1] & 0x3F) << 12 |
                 (unsigned)(s[2] & 0x3F) << 6 | (s[3] & 0x3F),
            s += 4;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            o += (size_t)snprintf(out + o, outlen - o, "%04X%04X", 0xD800 + (cp >> 10),
                                  0xDC00 + (cp & 0x3FF));
            *units += 2;
        } else {
            o += (size_t)snprintf(out + o, outlen - o, "%04X", cp);
            *units += 1;
        }
    }
    out[o] = '\0';
}

int kt_dummy_deliver(struct kt_env *e, const char *from, const char *text, const char *udh_hex,
                     int ucs2)
{
    char path[400], tmp[400], num[256], body[8192];
    int units, nunits;
    /* Find a free location; files the worker already deleted may be reused. */
    for (;; e->next_location++) {
        snprintf(path, sizeof(path), "%s/sms/1/%d", e->modem_dir, e->next_location);
        if (access(path, F_OK) != 0)
            break;
    }
    e->next_location++;
    snprintf(tmp, sizeof(tmp), "%s/.deliver.tmp", e->modem_dir);
    hex_utf16(from, num, sizeof(num), &nunits);
    hex_utf16(text, body, sizeof(body), &units);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    /* The SMSC stamps in whole seconds, and the same text from the same
     * number with the same stamp is the same message delivered twice (and
     * dropped as such): a test typing fast gets a stamp a second apart. */
    static time_t last;
    time_t t = time(NULL);
    if (t <= last)
        t = last + 1;
    last = t;
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (e->stamp[0])
        snprintf(stamp, sizeof(stamp), "%s", e->stamp);
    /* libgammu reads NumberUnicode; the plain Number is for people and
     * must not break the INI file (a sender may hold a line break). */
    char plain[256];
    snprintf(plain, sizeof(plain), "%s", from);
    for (char *p = plain; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '"')
            *p = '?';
    fprintf(f,
            "[SMSBackup000]\nSMSC = \"\"\nPDU = Deliver\nDateTime = %s\nState = UnRead\n"
            "Number = \"%s\"\nNumberUnicode = %s\n",
            stamp, plain, num);
    if (udh_hex)
        fprintf(f, "UDH = %s\n", udh_hex);
    fprintf(f, "Text00 = %s\nCoding = %s\nFolder = 1\nLength = %d\nClass = -1\n", body,
            ucs2 ? "Unicode_No_Compression" : "Default_No_Compression", units);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int kt_dummy_inbox_count(struct kt_env *e)
{
    char p[400];
    snprintf(p, sizeof(p), "%s/sms/1", e->modem_dir);
    DIR *d = opendir(p);
    int n = 0;
    struct dirent *de;
    if (d == NULL)
        return -1;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

int kt_dummy_inbox_empty(struct kt_env *e, void *arg)
{
    (void)arg;
    return kt_dummy_inbox_count(e) == 0;
}

static redisReply *vcmd(struct kt_env *e, const char *fmt, va_list ap)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (e->rc == NULL) {
            struct timeval tv = {2, 0};
            e->rc = connect_admin(e, tv);
            if (e->rc == NULL || e->rc->err) {
                if (e->rc)
                    redisFree(e->rc);
                e->rc = NULL;
                return NULL;
            }
        }
        va_list copy;
        va_copy(copy, ap);
        redisReply *r = redisvCommand(e->rc, fmt, copy);
        va_end(copy);
        if (r)
            return r;
        redisFree(e->rc);
        e->rc = NULL;
    }
    return NULL;
}

redisReply *kt_redis(struct kt_env *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = vcmd(e, fmt, ap);
    va_end(ap);
    return r;
}

long long kt_redis_int(struct kt_env *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = vcmd(e, fmt, ap);
    va_end(ap);
    long long v = -1;
    if (r && r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    else if (r && r->type == REDIS_REPLY_STRING)
        v = atoll(r->str);
    freeReplyObject(r);
    return v;
}

int kt_wait(struct kt_env *e, double seconds, int (*cond)(struct kt_env *, void *), void *arg)
{
    int v = 0;
    for (int i = 0; i <= (int)(seconds * 20); i++) {
        if ((v = cond(e, arg)) != 0)
            return v;
        msleep(50);
    }
    return v;
}

static const char *fval(redisReply *f, const char *name)
{
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        if (strcmp(f->element[i]->str, name) == 0)
            return f->element[i + 1]->str;
    return "";
}

static int read_sent(struct kt_env *e, const char *to, struct kt_sent *out, int max)
{
    redisReply *r = kt_redis(e, "XRANGE kt:sent - +");
    int n = 0;
    if (r && r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < r->elements; i++) {
            redisReply *f = r->element[i]->element[1];
            if (to && strcmp(fval(f, "to"), to) != 0)
                continue;
            if (n < max && out) {
                struct kt_sent *s = &out[n];
                snprintf(s->id, sizeof(s->id), "%s", fval(f, "id"));
                snprintf(s->to, sizeof(s->to), "%s", fval(f, "to"));
                snprintf(s->outcome, sizeof(s->outcome), "%s", fval(f, "outcome"));
                snprintf(s->reason, sizeof(s->reason), "%s", fval(f, "reason"));
                snprintf(s->origin, sizeof(s->origin), "%s", fval(f, "origin"));
                snprintf(s->modem, sizeof(s->modem), "%s", fval(f, "modem"));
                snprintf(s->mr, sizeof(s->mr), "%s", fval(f, "mr"));
                snprintf(s->text, sizeof(s->text), "%s", fval(f, "text"));
                s->parts = atoi(fval(f, "parts"));
            }
            n++;
        }
    }
    freeReplyObject(r);
    return n;
}

int kt_sent(struct kt_env *e, struct kt_sent *out, int max)
{
    return read_sent(e, NULL, out, max);
}

int kt_sent_to(struct kt_env *e, const char *to, struct kt_sent *out, int max)
{
    return read_sent(e, to, out, max);
}

pid_t kt_worker_pid(struct kt_env *e, const char *name)
{
    long long pid = kt_redis_int(e, "HGET kt:modem:%s pid", name);
    return pid > 0 ? (pid_t)pid : -1;
}

void kt_dump_log(struct kt_env *e)
{
    FILE *f = fopen(e->log, "r");
    char line[2048];
    if (f == NULL)
        return;
    fprintf(stderr, "---- %s\n", e->log);
    while (fgets(line, sizeof(line), f))
        fputs(line, stderr);
    fclose(f);
}

int kt_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

int kt_http(int port, const char *method, const char *path, const char *body, char *out,
            size_t outlen)
{
    return kt_http_header(port, method, path, "", body, out, outlen);
}

int kt_http_header(int port, const char *method, const char *path, const char *header,
                   const char *body, char *out, size_t outlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n%s%s\r\n",
                     method, path, blen, header, header[0] ? "\r\n" : "");
    if (write(fd, head, (size_t)n) != n || (blen && write(fd, body, blen) != (ssize_t)blen)) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    ssize_t r;
    while (got + 1 < outlen && (r = read(fd, out + got, outlen - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(fd);
    int code = -1;
    if (sscanf(out, "HTTP/1.%*d %d", &code) != 1)
        return -1;
    return code;
}

long long kt_in_pending(struct kt_env *e)
{
    redisReply *r = kt_redis(e, "XPENDING kt:in router");
    long long n = -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
        r->element[0]->type == REDIS_REPLY_INTEGER)
        n = r->element[0]->integer;
    freeReplyObject(r);
    return n;
}

pid_t kt_pty_modem(struct kt_env *e, const char *simdir, char *path, size_t len)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, path, len) != 0) {
        if (m >= 0)
            close(m);
        return -1;
    }
    e->pty_slave = open(path, O_RDWR | O_NOCTTY);
    char atsim[400];
    snprintf(atsim, sizeof(atsim), "%s/atsim", e->build);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(m, 0);
        dup2(m, 1);
        close(m);
        execl(atsim, atsim, "--state", simdir, (char *)NULL);
        _exit(127);
    }
    close(m);
    e->pty_pid = pid;
    return pid;
}

int kt_wait_sent_to(struct kt_env *e, const char *to, int n, double seconds, char *out,
                    size_t outlen)
{
    static struct kt_sent s[64];
    for (int i = 0; i <= (int)(seconds * 20); i++) {
        int got = read_sent(e, to, s, 64);
        if (got >= n && n <= 64) {
            snprintf(out, outlen, "%s", s[n - 1].text);
            return 0;
        }
        msleep(50);
    }
    return -1;
}

/* The first entry of kt:sent to `to` whose field `field` matches `value`
 * (equal, or containing it when contains); copies its text. 0, or -1. */
static int find_sent(struct kt_env *e, const char *to, const char *field, const char *value,
                     int contains, char *out, size_t outlen)
{
    int found = -1;
    redisReply *r = kt_redis(e, "XRANGE kt:sent - +");
    for (size_t j = 0; r && r->type == REDIS_REPLY_ARRAY && j < r->elements && found; j++) {
        redisReply *f = r->element[j]->element[1];
        const char *v = fval(f, field);
        if (strcmp(fval(f, "to"), to) == 0 &&
            (contains ? strstr(v, value) != NULL : strcmp(v, value) == 0)) {
            snprintf(out, outlen, "%s", fval(f, "text"));
            found = 0;
        }
    }
    freeReplyObject(r);
    return found;
}

int kt_wait_sent_with(struct kt_env *e, const char *to, const char *needle, double seconds,
                      char *out, size_t outlen)
{
    for (int i = 0; i <= (int)(seconds * 20); i++) {
        if (find_sent(e, to, "text", needle, 1, out, outlen) == 0)
            return 0;
        msleep(50);
    }
    return -1;
}

/* The kt:in id of the newest message carrying `text` that arrived after
 * `after` ("0" for any); 0 when found. */
static int find_inbound(struct kt_env *e, const char *after, const char *text, char *id,
                        size_t idlen)
{
    /* kt:in holds the text without its "PIN nnnn" (gateway/pin.h) */
    char *want = strdup(text);
    if (want == NULL)
        return -1;
    pin_take(want, "", 0, NULL);
    redisReply *r = kt_redis(e, "XRANGE kt:in (%s +", after);
    int found = -1;
    if (r && r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements; i++)
            if (strcmp(fval(r->element[i]->element[1], "text"), want) == 0) {
                snprintf(id, idlen, "%s", r->element[i]->element[0]->str);
                found = 0;
            }
    freeReplyObject(r);
    free(want);
    return found;
}

/* Waits for the answer to `to` caused by that very message (its origin), so a
 * notice to the same number caused by an earlier message is never taken for
 * it. */
int kt_exchange(struct kt_env *e, const char *from, const char *text, const char *to,
                double seconds, char *out, size_t outlen)
{
    char last[64] = "0", id[64] = "";
    redisReply *r = kt_redis(e, "XREVRANGE kt:in + - COUNT 1");
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
        snprintf(last, sizeof(last), "%s", r->element[0]->element[0]->str);
    freeReplyObject(r);
    if (kt_dummy_deliver(e, from, text, NULL, 0) != 0)
        return -1;
    for (int i = 0; i <= (int)(seconds * 20); i++) {
        if (id[0] == '\0')
            find_inbound(e, last, text, id, sizeof(id));
        if (id[0] != '\0' && find_sent(e, to, "origin", id, 0, out, outlen) == 0)
            return 0;
        msleep(50);
    }
    return -1;
}

void kt_sha256_hex(const char *token, char out[65])
{
    char cmd[256];
    out[0] = '\0';
    snprintf(cmd, sizeof(cmd), "printf %%s '%s' | sha256sum", token);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return;
    if (fgets(out, 65, p) == NULL)
        out[0] = '\0';
    out[64] = '\0';
    pclose(p);
}

int kt_subscribe(struct kt_env *e, const char *number, const char *area)
{
    redisReply *r = kt_redis(e,
                             "FCALL kt_subscribe 3 kt:sub:%s kt:subs:%s kt:consent:%s %s %s 1 "
                             "test -",
                             number, area, number, number, area);
    int ok = r && r->type == REDIS_REPLY_INTEGER;
    freeReplyObject(r);
    return ok ? 0 : -1;
}

static int functions_loaded(struct kt_env *e, void *arg)
{
    redisReply *r = kt_redis(e, "FUNCTION LIST LIBRARYNAME kentongan");
    int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0;
    freeReplyObject(r);
    return ok;
}

int kt_wait_functions(struct kt_env *e, double seconds)
{
    return kt_wait(e, seconds, functions_loaded, NULL) ? 0 : -1;
}

long long kt_bc_create(struct kt_env *e, const char *set, const char *text, int emergency,
                       long long *recipients)
{
    redisReply *r = kt_redis(e,
                             "FCALL kt_bc_create 3 kt:bc:seq kt:bcs %s %lld %s 1 gsm7 %d 0 test %s "
                             "%s 0",
                             set, kt_now(e), text, emergency, set, "");
    long long id = -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
        id = r->element[0]->integer;
        if (recipients)
            *recipients = r->element[1]->integer;
    }
    freeReplyObject(r);
    return id;
}

const char *kt_pin_line(const char *phone, const char *pin, char *out, size_t len)
{
    char value[PIN_LINE_MAX], why[160];
    out[0] = '\0';
    if (pin_config_value(phone, pin, value, sizeof(value), why, sizeof(why)) == 0)
        snprintf(out, len, "pin = %s\n", value);
    return out;
}
