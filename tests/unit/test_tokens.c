/* Unit: [token:NAME] sections — what config_load refuses (one line per
 * problem) and what the services check against data/opd.csv. */
#include "gateway/config.h"
#include "handlers/services.h"

/* the coordinator may broadcast, so it needs a PIN: 2468 for 6281311110003 */
#define KOMINFO_PIN                                                                                \
    "pbkdf2-sha256$50000$6281311110003$"                                                           \
    "1703acbf5251a21e623e3e588621949c70ab6c775a44f9e483e551afc5edf198"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH_A "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
#define HASH_B "6b3a55e0261b0304143f805a24924d0c1c44524821305f31d9277843b8a10f4e"

static char dir[64], path[128], errs[8192];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kt-tok-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/k.ini", dir);
    char modem[160];
    snprintf(modem, sizeof(modem), "%s/modem", dir);
    mkdir(modem, 0755);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(tokens, .init = setup, .fini = teardown);

/* Loads [gateway] + one dummy modem + officials + extra; returns config_load's result. */
static int load(const char *extra, struct config **out)
{
    const char *root = getenv("KT_ROOT");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "[gateway]\ndata_dir = %s/data\nmenu = %s/etc/menu.json\n"
            "[modem:m]\nmodel = dummy\nconnection = none\ndevice = %s/modem\n"
            "[official:budi]\nphone = 081311110001\nopd = DPUPR\nrole = liaison\n"
            "[official:kominfo]\nphone = 081311110003\nopd = DISKOMINFO\nrole = coordinator\n"
            "pin = %s\n%s",
            root ? root : ".", root ? root : ".", dir, KOMINFO_PIN, extra);
    fclose(f);
    *out = config_new();
    cr_assert_not_null(*out);
    return config_load(*out, path, errs, sizeof(errs));
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(tokens, good_tokens_load)
{
    struct config *cfg;
    int rc = load("[token:ops]\nsha256 = " HASH_A "\nrole = admin\n"
                  "[token:budi-phone]\nsha256 = " HASH_B "\nrole = official\nopd = DPUPR\n"
                  "official = budi\n",
                  &cfg);
    cr_assert_eq(rc, 0, "%s", errs);
    cr_expect_eq(cfg->ntokens, 2);
    cr_expect_str_eq(cfg->tokens[1].official, "budi");
    cr_expect_eq(cfg->metrics_public, 1, "metrics are public unless said otherwise");
    struct services *svc = services_load(cfg, errs, sizeof(errs));
    cr_expect_not_null(svc, "%s", errs);
    services_free(svc);
    config_free(cfg);
}

Test(tokens, each_problem_on_its_own_line)
{
    struct config *cfg;
    int rc =
        load("[token:a]\nsha256 = 1234\nrole = admin\n"
             "[token:b]\nsha256 = " HASH_A "\nrole = boss\n"
             "[token:c]\nsha256 = " HASH_B "\nrole = official\n"
             "[token:d]\nrole = staff\nopd = DPUPR\n"
             "[token:e]\nsha256 = " HASH_A "\nrole = staff\n"
             "[token:f]\nsha256 = " HASH_B "\nrole = official\nopd = DPUPR\nofficial = nobody\n"
             "[token:g]\nsha256 = " HASH_B "\nrole = staff\ncolour = red\n"
             "[token:bad name]\nrole = staff\n",
             &cfg);
    cr_assert_eq(rc, -1);
    const char *want[] = {"[token:a] sha256: expected 64 hex digits",
                          "[token:b] role = 'boss'",
                          "[token:c] opd: missing",
                          "[token:d] sha256: missing",
                          "[token:d] opd: only for role = official",
                          "[token:e] sha256: the same as [token:b]",
                          "[token:f] official = 'nobody': no [official:nobody] section",
                          "[token:g] colour: unknown key",
                          "[token:bad name]: a token name is"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect(strstr(errs, want[i]) != NULL, "missing \"%s\" in:\n%s", want[i], errs);
    cr_expect_geq(lines(errs), (int)(sizeof(want) / sizeof(want[0])), "%s", errs);
    config_free(cfg);
}

Test(tokens, opd_and_official_are_checked_against_the_data)
{
    struct config *cfg;
    int rc =
        load("[token:x]\nsha256 = " HASH_A "\nrole = official\nopd = NOPE\n"
             "[token:y]\nsha256 = " HASH_B "\nrole = official\nopd = DINKES\nofficial = budi\n",
             &cfg);
    cr_assert_eq(rc, 0, "the file itself is well formed: %s", errs);
    struct services *svc = services_load(cfg, errs, sizeof(errs));
    cr_expect_null(svc);
    cr_expect(strstr(errs, "[token:x] opd = 'NOPE': no such OPD code") != NULL, "%s", errs);
    cr_expect(strstr(errs, "[token:y] official = 'budi': that official is of DPUPR, not DINKES"),
              "%s", errs);
    services_free(svc);
    config_free(cfg);
}
