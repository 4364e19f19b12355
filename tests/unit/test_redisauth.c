/* Unit: the Redis password file (redisauth_read_password), the AUTH command
 * built from a configuration, and config_load's checks of redis_user and
 * redis_password_file. */
#include "gateway/config.h"
#include "gateway/redisauth.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char pass[128];
static char why[256];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kt-auth-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(pass, sizeof(pass), "%s/redis.pass", dir);
    char modem[128];
    snprintf(modem, sizeof(modem), "%s/modem", dir);
    mkdir(modem, 0755);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

static void put(const char *bytes, size_t len, mode_t mode)
{
    int fd = open(pass, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, bytes, len), (ssize_t)len);
    fchmod(fd, mode);
    close(fd);
}

TestSuite(redisauth, .init = setup, .fini = teardown);

Test(redisauth, one_line_with_or_without_its_newline)
{
    char out[REDISAUTH_PASSWORD_MAX];
    const char *cases[] = {"s3cret", "s3cret\n", "s3cret\r\n"};
    for (int i = 0; i < 3; i++) {
        put(cases[i], strlen(cases[i]), 0600);
        cr_expect_eq(redisauth_read_password(pass, out, sizeof(out), why, sizeof(why)), 0, "%s",
                     why);
        cr_expect_str_eq(out, "s3cret");
    }
    /* inner spaces are part of the password */
    put(" a b ", 5, 0600);
    cr_expect_eq(redisauth_read_password(pass, out, sizeof(out), why, sizeof(why)), 0);
    cr_expect_str_eq(out, " a b ");
}

Test(redisauth, bad_files_are_refused_with_the_reason)
{
    char out[REDISAUTH_PASSWORD_MAX];
    struct {
        const char *bytes;
        size_t len;
        const char *reason;
    } cases[] = {
        {"", 0, "empty"},
        {"\n", 1, "empty"},
        {"one\ntwo\n", 8, "more than one line"},
        {"one\n\n", 5, "more than one line"},
        {"a\0b", 3, "more than one line"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        put(cases[i].bytes, cases[i].len, 0600);
        strcpy(out, "left over");
        cr_expect_eq(redisauth_read_password(pass, out, sizeof(out), why, sizeof(why)), -1,
                     "case %zu", i);
        cr_expect(strstr(why, cases[i].reason) != NULL, "case %zu: %s", i, why);
        cr_expect_eq(out[0], '\0', "nothing half-read is kept");
    }
    char big[REDISAUTH_PASSWORD_MAX + 8];
    memset(big, 'x', sizeof(big));
    put(big, REDISAUTH_PASSWORD_MAX - 1, 0600);
    cr_expect_eq(redisauth_read_password(pass, out, sizeof(out), why, sizeof(why)), 0,
                 "the longest password fits: %s", why);
    put(big, REDISAUTH_PASSWORD_MAX, 0600);
    cr_expect_eq(redisauth_read_password(pass, out, sizeof(out), why, sizeof(why)), -1);
    cr_expect(strstr(why, "longer than 255 bytes") != NULL, "%s", why);
    put(big, sizeof(big), 0600);
    cr_expect_eq(redisauth_read_password(pass, out, sizeof(out), why, sizeof(why)), -1);

    unlink(pass);
    cr_expect_eq(redisauth_read_password(pass, out, sizeof(out), why, sizeof(why)), -1);
    cr_expect(strstr(why, "cannot open") != NULL, "%s", why);
    cr_expect_eq(redisauth_read_password(dir, out, sizeof(out), why, sizeof(why)), -1);
    cr_expect(strstr(why, "not a regular file") != NULL, "%s", why);
}

Test(redisauth, loose_modes)
{
    unsigned mode = 0;
    put("x", 1, 0600);
    cr_expect_eq(redisauth_loose(pass, &mode), 0);
    put("x", 1, 0640);
    cr_expect_eq(redisauth_loose(pass, &mode), 1);
    cr_expect_eq(mode, 0640);
    put("x", 1, 0604);
    cr_expect_eq(redisauth_loose(pass, &mode), 1);
    put("x", 1, 0400);
    cr_expect_eq(redisauth_loose(pass, &mode), 0);
}

static struct config *load(const char *gateway, char *errs, size_t len, int *rc)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "[gateway]\n%s\n[modem:d]\nmodel = dummy\nconnection = none\ndevice = %s/modem\n",
             gateway, dir);
    struct config *cfg = config_new();
    cr_assert_not_null(cfg);
    *rc = config_load_text(cfg, "k.ini", text, errs, len);
    return cfg;
}

Test(redisauth, config_reads_the_file_and_builds_auth)
{
    char errs[2048], line[256];
    int rc;
    put("pw-123\n", 7, 0600);
    snprintf(line, sizeof(line), "redis_user = kentongan\nredis_password_file = %s", pass);
    struct config *cfg = load(line, errs, sizeof(errs), &rc);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_str_eq(cfg->redis_password, "pw-123");
    const char *argv[3];
    cr_assert_eq(redisauth_argv(cfg, argv), 3);
    cr_expect_str_eq(argv[0], "AUTH");
    cr_expect_str_eq(argv[1], "kentongan");
    cr_expect_str_eq(argv[2], "pw-123");
    char warn[512];
    cr_expect_eq(redisauth_warning(cfg, warn, sizeof(warn)), 0);

    /* without a user: the default user's password (requirepass) */
    struct config *plain;
    snprintf(line, sizeof(line), "redis_password_file = %s", pass);
    plain = load(line, errs, sizeof(errs), &rc);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_assert_eq(redisauth_argv(plain, argv), 2);
    cr_expect_str_eq(argv[1], "pw-123");
    cr_expect_eq(redisauth_changed(cfg, plain), 1);
    cr_expect_eq(redisauth_changed(cfg, cfg), 0);
    config_free(plain);

    /* nothing configured: no AUTH at all */
    plain = load("", errs, sizeof(errs), &rc);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_eq(redisauth_argv(plain, argv), 0);
    config_free(plain);

    chmod(pass, 0644);
    cr_expect_eq(redisauth_warning(cfg, warn, sizeof(warn)), 1);
    cr_expect(strstr(warn, "mode 0644") && strstr(warn, "chmod 600"), "%s", warn);
    cr_expect(strstr(warn, "pw-123") == NULL, "the warning names the file, not the password");
    config_free(cfg);
}

Test(redisauth, config_problems)
{
    char errs[2048], line[256];
    int rc;
    struct config *cfg = load("redis_user = kentongan", errs, sizeof(errs), &rc);
    cr_expect_eq(rc, -1);
    cr_expect(strstr(errs, "redis_user = 'kentongan': needs redis_password_file") != NULL, "%s",
              errs);
    config_free(cfg);

    snprintf(line, sizeof(line), "redis_user = kentongan\nredis_password_file = %s", pass);
    cfg = load(line, errs, sizeof(errs), &rc);
    cr_expect_eq(rc, -1, "a missing password file stops the load");
    cr_expect(strstr(errs, "redis_password_file = '") && strstr(errs, "cannot open"), "%s", errs);
    config_free(cfg);

    put("pw\n", 3, 0600);
    snprintf(line, sizeof(line), "redis_user = ken tongan\nredis_password_file = %s", pass);
    cfg = load(line, errs, sizeof(errs), &rc);
    cr_expect_eq(rc, -1);
    cr_expect(strstr(errs, "has no spaces") != NULL, "%s", errs);
    config_free(cfg);
}
