/* Integration: kentongan logging in to Redis as an ACL user (redis_user,
 * redis_password_file) under the ACL of etc/redis-acl.conf, and reaching a
 * "remote" Redis through TLS with stunnel (etc/stunnel/, docs/redis-tls.md):
 * Redis on loopback with the ACL, stunnel in front of it with a certificate
 * made by openssl here, a stunnel client on another port, and the gateway
 * pointed at that port. Also: a wrong password keeps /readyz not ready and is
 * logged once with Redis' reason; `kentongan -t` checks the password file;
 * `--import-status` logs in too. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PASSWORD   "Kt-acl-5e1b0c7d9a2f44e8"
#define RESIDENT   "081234567890"
#define RESIDENT_N "6281234567890"

static struct kt_env env;
static int http_port;
static pid_t tunnel[2] = {-1, -1};

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0, "temp dir");
    /* The default user off: only the kentongan and the harness's admin user. */
    cr_assert_eq(kt_redis_acl(&env, PASSWORD), 0, "ACL from etc/redis-acl.conf");
    http_port = kt_free_port();
}

static void teardown(void)
{
    for (int i = 0; i < 2; i++)
        if (tunnel[i] > 0)
            kt_stop_pid(tunnel[i], SIGTERM);
    tunnel[0] = tunnel[1] = -1;
    kt_env_cleanup(&env);
}

TestSuite(redis_auth, .init = setup, .fini = teardown, .timeout = 120);

static int write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    fchmod(fd, mode);
    return close(fd) == 0 && ok ? 0 : -1;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    if (buf)
        buf[fread(buf, 1, (1 << 20) - 1, f)] = '\0';
    fclose(f);
    return buf;
}

/* Copies a file of etc/stunnel/ to out with each `from` replaced by `to`
 * (the recipe's host names, ports and paths by this test's), without the
 * setuid/setgid lines: the service drops to the stunnel4 user, a test need
 * not. */
static int stunnel_conf(const char *name, const char *out, const char *const *pairs)
{
    char path[512];
    const char *root = getenv("KT_ROOT");
    snprintf(path, sizeof(path), "%s/etc/stunnel/%s", root && *root ? root : ".", name);
    FILE *in = fopen(path, "r"), *o = fopen(out, "w");
    char line[1024];
    int replaced = 0;
    while (in && o && fgets(line, sizeof(line), in)) {
        if (strncmp(line, "setuid", 6) == 0 || strncmp(line, "setgid", 6) == 0)
            continue;
        for (int i = 0; pairs[i]; i += 2) {
            char *at = strstr(line, pairs[i]);
            if (at == NULL || line[0] == ';')
                continue;
            char rest[1024];
            snprintf(rest, sizeof(rest), "%s", at + strlen(pairs[i]));
            snprintf(at, sizeof(line) - (size_t)(at - line), "%s%s", pairs[i + 1], rest);
            replaced++;
        }
        fputs(line, o);
    }
    int ok = in && o;
    if (in)
        fclose(in);
    if (o && fclose(o) != 0)
        ok = 0;
    return ok ? replaced : -1;
}

static int readyz_is(struct kt_env *e, void *arg)
{
    char out[4096];
    return kt_http(http_port, "GET", "/readyz", NULL, out, sizeof(out)) == *(int *)arg;
}

static int readyz_says(struct kt_env *e, void *arg)
{
    char out[4096];
    return kt_http(http_port, "GET", "/readyz", NULL, out, sizeof(out)) == 503 &&
           strstr(out, (const char *)arg) != NULL;
}

/* Failed logins Redis recorded (ACL LOG counts repeats in one entry). */
static long long auth_failures(struct kt_env *e)
{
    redisReply *r = kt_redis(e, "ACL LOG");
    long long n = 0;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *entry = r->element[i];
        long long count = 0;
        int auth = 0;
        for (size_t k = 0; entry->type == REDIS_REPLY_ARRAY && k + 1 < entry->elements; k += 2) {
            redisReply *key = entry->element[k], *v = entry->element[k + 1];
            if (key->type != REDIS_REPLY_STRING)
                continue;
            if (strcmp(key->str, "reason") == 0 && v->type == REDIS_REPLY_STRING)
                auth = strcmp(v->str, "auth") == 0;
            if (strcmp(key->str, "count") == 0 && v->type == REDIS_REPLY_INTEGER)
                count = v->integer;
        }
        n += auth ? count : 0;
    }
    freeReplyObject(r);
    return n;
}

static int auth_failures_at_least(struct kt_env *e, void *arg)
{
    return auth_failures(e) >= *(long long *)arg;
}

/* Lines of the log holding needle, written by the process proc ("gateway",
 * "worker"); *pids gets how many processes wrote them. */
static int count_lines(const char *log, const char *proc, const char *needle, int *pids)
{
    char *text = read_all(log);
    int n = 0, seen[64], nseen = 0;
    char want[64];
    snprintf(want, sizeof(want), " proc=%s ", proc);
    for (char *line = text; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (strstr(line, want) && strstr(line, needle)) {
            n++;
            const char *p = strstr(line, " pid=");
            int pid = p ? atoi(p + 5) : 0, known = 0;
            for (int i = 0; i < nseen; i++)
                known |= seen[i] == pid;
            if (!known && nseen < 64)
                seen[nseen++] = pid;
        }
        line = end ? end + 1 : NULL;
    }
    free(text);
    if (pids)
        *pids = nseen;
    return n;
}

static int log_holds(const char *needle)
{
    char *text = read_all(env.log);
    int found = text && strstr(text, needle) != NULL;
    free(text);
    return found;
}

Test(redis_auth, through_stunnel_tls_as_the_acl_user_an_sms_is_answered)
{
    char cmd[2048], out[4096];
    env.redis_port = kt_free_port();
    cr_assert_eq(kt_redis_start(&env), 0, "redis-server with the ACL did not start");

    /* The Redis host's certificate, made as docs/redis-tls.md makes it. */
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -days 825 "
             "-nodes -keyout %s/kentongan-redis.key -out %s/kentongan-redis.crt "
             "-subj /CN=redis.example.net -addext subjectAltName=DNS:redis.example.net "
             ">%s/openssl.log 2>&1",
             env.dir, env.dir, env.dir);
    cr_assert_eq(system(cmd), 0, "openssl made no certificate (see %s/openssl.log)", env.dir);

    int tls_port = kt_free_port(), client_port = kt_free_port();
    while (client_port == tls_port || client_port == env.redis_port)
        client_port = kt_free_port();
    char tls[64], redis[64], client[64], crt[400], key[400];
    snprintf(tls, sizeof(tls), "127.0.0.1:%d", tls_port);
    snprintf(redis, sizeof(redis), "127.0.0.1:%d", env.redis_port);
    snprintf(client, sizeof(client), "127.0.0.1:%d", client_port);
    snprintf(crt, sizeof(crt), "%s/kentongan-redis.crt", env.dir);
    snprintf(key, sizeof(key), "%s/kentongan-redis.key", env.dir);

    const char *server_pairs[] = {"0.0.0.0:6380",
                                  tls,
                                  "127.0.0.1:6379",
                                  redis,
                                  "/etc/stunnel/kentongan-redis.crt",
                                  crt,
                                  "/etc/stunnel/kentongan-redis.key",
                                  key,
                                  NULL};
    char server_conf[400], client_conf[400], slog[400], clog[400];
    snprintf(server_conf, sizeof(server_conf), "%s/stunnel-server.conf", env.dir);
    snprintf(client_conf, sizeof(client_conf), "%s/stunnel-client.conf", env.dir);
    snprintf(slog, sizeof(slog), "%s/stunnel-server.log", env.dir);
    snprintf(clog, sizeof(clog), "%s/stunnel-client.log", env.dir);
    cr_assert_eq(stunnel_conf("kentongan-redis-server.conf", server_conf, server_pairs), 4,
                 "the server recipe names its port, Redis, certificate and key once each");
    /* The client reaches "redis.example.net" at the server's port and checks
     * that the certificate names that host. */
    const char *client_pairs[] = {"127.0.0.1:6390",
                                  client,
                                  "redis.example.net:6380",
                                  tls,
                                  "/etc/stunnel/kentongan-redis.crt",
                                  crt,
                                  NULL};
    cr_assert_eq(stunnel_conf("kentongan-redis-client.conf", client_conf, client_pairs), 3,
                 "the client recipe names its port, the server and the certificate once each");
    char *server_argv[] = {"stunnel4", server_conf, NULL};
    char *client_argv[] = {"stunnel4", client_conf, NULL};
    tunnel[0] = kt_spawn(server_argv, slog);
    tunnel[1] = kt_spawn(client_argv, clog);
    cr_assert(tunnel[0] > 0 && tunnel[1] > 0, "stunnel4 did not start");

    char extra[256];
    snprintf(extra, sizeof(extra), "redis = %s\nhttp = 127.0.0.1:%d", client, http_port);
    cr_assert_eq(kt_write_config(&env, extra, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    int ok = 200;
    if (!kt_wait(&env, 60, readyz_is, &ok)) {
        kt_dump_log(&env);
        char *s = read_all(slog), *c = read_all(clog);
        fprintf(stderr, "stunnel server:\n%s\nstunnel client:\n%s\n", s ? s : "", c ? c : "");
        free(s);
        free(c);
        cr_assert_fail("not ready through the tunnel");
    }

    cr_assert_eq(kt_exchange(&env, RESIDENT, "INFO", RESIDENT_N, 30, out, sizeof(out)), 0,
                 "no answer to INFO through the tunnel");
    cr_expect(strstr(out, "Layanan SMS Pemkab Batang") != NULL, "%s", out);

    /* Redis saw the gateway and its worker as user kentongan, over TCP from
     * the stunnel server (not on the unix socket). */
    redisReply *r = kt_redis(&env, "CLIENT LIST");
    cr_assert(r && r->type == REDIS_REPLY_STRING);
    int tcp_kentongan = 0, other = 0;
    char *list = strdup(r->str);
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, " user=admin ") || strstr(line, "cmd=client|list"))
            continue;
        if (strstr(line, " user=kentongan ") && strstr(line, "addr=127.0.0.1:"))
            tcp_kentongan++;
        else
            other++;
    }
    free(list);
    freeReplyObject(r);
    cr_expect_geq(tcp_kentongan, 3, "router (2 connections) and worker log in as kentongan");
    cr_expect_eq(other, 0, "no other connection");
    cr_expect_eq(auth_failures(&env), 0, "no refused login");
    r = kt_redis(&env, "ACL LOG");
    cr_expect(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0,
              "the ACL refused nothing the gateway did (%zu entries)", r ? r->elements : 0);
    freeReplyObject(r);
    cr_expect(!log_holds(PASSWORD), "the password is in no log line");
    char *s = read_all(clog);
    cr_expect(s && strstr(s, "Certificate accepted") != NULL, "the client checked the certificate");
    free(s);
}

Test(redis_auth, a_wrong_password_keeps_readyz_not_ready_and_is_logged_once)
{
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(write_file(env.pass_file, "not-the-password\n", 0600), 0);
    char extra[64];
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d", http_port);
    cr_assert_eq(kt_write_config(&env, extra, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);

    if (!kt_wait(&env, 30, readyz_says, "redis auth failed: WRONGPASS"))
        kt_dump_log(&env);
    char out[4096];
    cr_expect_eq(kt_http(http_port, "GET", "/readyz", NULL, out, sizeof(out)), 503, "%s", out);
    cr_expect(strstr(out, "redis auth failed: WRONGPASS") != NULL, "the reason: %s", out);
    /* Several rounds of retries later, still one line per process. */
    long long rounds = 10;
    cr_assert(kt_wait(&env, 60, auth_failures_at_least, &rounds), "the gateway retries (%lld)",
              auth_failures(&env));
    cr_expect(readyz_says(&env, "redis auth failed"), "still not ready");
    int pids;
    cr_expect_eq(count_lines(env.log, "gateway", "event=redis_auth_failed", NULL), 1,
                 "the gateway logs the refusal once");
    cr_expect(log_holds("event=redis_auth_failed redis=unix:") && log_holds("user=kentongan") &&
                  log_holds("WRONGPASS"),
              "the line names the user and Redis' reason");
    int worker_lines = count_lines(env.log, "worker", "event=redis_auth_failed", &pids);
    cr_expect(worker_lines >= 1 && worker_lines == pids, "once per worker process (%d lines, %d)",
              worker_lines, pids);
    cr_expect(!log_holds("not-the-password") && !log_holds(PASSWORD), "no password logged");

    /* The right password and a reload: ready, and the log says so. */
    cr_assert_eq(write_file(env.pass_file, PASSWORD "\n", 0600), 0);
    kill(env.gateway_pid, SIGHUP);
    int ok = 200;
    if (!kt_wait(&env, 30, readyz_is, &ok))
        kt_dump_log(&env);
    cr_expect(readyz_is(&env, &ok), "ready once the password is right");
    cr_expect(log_holds("event=redis_auth_ok"), "the recovery is logged");
}

Test(redis_auth, check_mode_reads_the_password_file_and_warns_when_others_may)
{
    char args[600], out[4096];
    snprintf(args, sizeof(args), "-t -c %s", env.config);

    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "configuration ok") && !strstr(out, "warning"), "%s", out);

    chmod(env.pass_file, 0644);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 0, "a warning, not an error: %s", out);
    cr_expect(strstr(out, "warning: redis_password_file") && strstr(out, "mode 0644") &&
                  strstr(out, "chmod 600"),
              "%s", out);

    chmod(env.pass_file, 0000);
    /* root reads whatever the mode says: only a missing file can show it there */
    if (geteuid() != 0) {
        cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "%s", out);
        cr_expect(strstr(out, "redis_password_file") && strstr(out, "cannot open"), "%s", out);
    }
    unlink(env.pass_file);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "redis_password_file") && strstr(out, "cannot open"), "%s", out);

    cr_assert_eq(write_file(env.pass_file, "\n", 0600), 0);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "redis_password_file") && strstr(out, "empty"), "%s", out);

    cr_assert_eq(write_file(env.pass_file, PASSWORD "\nsecond line\n", 0600), 0);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "more than one line") != NULL, "%s", out);
    cr_expect(strstr(out, PASSWORD) == NULL, "the password is not printed: %s", out);

    /* A user without a password file is a mistake, not an anonymous login. */
    FILE *f = fopen(env.config, "w");
    fprintf(f,
            "[gateway]\nredis = unix:%s\nredis_user = kentongan\n[modem:d]\nmodel = dummy\n"
            "connection = none\ndevice = %s\n",
            env.sock, env.modem_dir);
    fclose(f);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "redis_user = 'kentongan': needs redis_password_file") != NULL, "%s",
              out);
}

Test(redis_auth, import_status_logs_in_and_says_when_it_cannot)
{
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    char csv[400], args[900], out[4096];
    snprintf(csv, sizeof(csv), "%s/status.csv", env.dir);
    cr_assert_eq(write_file(csv,
                            "nomor,jenis,telepon,status,catatan\n"
                            "LU-101,Akta Kelahiran,081234567890,PROSES CETAK,\n",
                            0644),
                 0);
    snprintf(args, sizeof(args), "--import-status %s -c %s", csv, env.config);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "1 rows") != NULL, "%s", out);
    cr_expect_eq(kt_redis_int(&env, "EXISTS kt:adminduk:LU-101"), 1, "imported as kentongan");

    cr_assert_eq(write_file(env.pass_file, "not-the-password\n", 0600), 0);
    cr_expect_eq(kt_run(&env, args, out, sizeof(out)), 2, "%s", out);
    cr_expect(strstr(out, "auth failed for user kentongan: WRONGPASS") != NULL, "%s", out);
    cr_expect(strstr(out, "not-the-password") == NULL, "%s", out);
}

static long long keys_matching(const char *pattern)
{
    redisReply *r = kt_redis(&env, "KEYS %s", pattern);
    long long n = r && r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;
    freeReplyObject(r);
    return n;
}

/* Redis 7.0 replays its append-only file as the default user and checks that
 * user's rights on every MULTI/EXEC block, which is how whatever a function
 * wrote is logged: the default user of etc/redis-acl.conf must keep its
 * rights (while being off), or a restart silently drops those writes. */
Test(redis_auth, a_restart_under_the_acl_keeps_what_the_functions_wrote)
{
    cr_assert_eq(kt_redis_start(&env), 0);
    cr_assert_eq(kt_write_config(&env, NULL, NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
    char out[1024];
    cr_assert_eq(kt_exchange(&env, RESIDENT, "INFO", RESIDENT_N, 30, out, sizeof(out)), 0);
    cr_assert_eq(kt_gateway_stop(&env, SIGTERM), 0);
    long long sent = kt_redis_int(&env, "XLEN kt:sent");
    long long done = keys_matching("kt:done:*");
    long long ttl = kt_redis_int(&env, "TTL kt:rate:" RESIDENT_N);
    cr_assert_geq(sent, 1);
    cr_assert_geq(done, 1);
    cr_assert_gt(ttl, 0, "kt_rate gave the counter an expiry");

    cr_assert_eq(kt_redis_restart(&env), 0, "Redis back from its append-only file");
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:sent"), sent, "kt_finish's records replayed");
    cr_expect_eq(keys_matching("kt:done:*"), done, "kt_commit's done keys replayed");
    cr_expect_gt(kt_redis_int(&env, "TTL kt:rate:" RESIDENT_N), 0, "with their expiry");
    char path[400];
    snprintf(path, sizeof(path), "%s/redis.log", env.dir);
    char *log = read_all(path);
    cr_expect(log && strstr(log, "AOF-loading-client") == NULL,
              "Redis refused nothing while replaying its file");
    free(log);
}
