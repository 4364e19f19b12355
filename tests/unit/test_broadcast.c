/* Unit: what a broadcast sends and to whom (gateway/broadcast.c), and the
 * quiet hours (gateway/config.c). */
#include "gateway/broadcast.h"
#include "gateway/config.h"
#include "handlers/region.h"
#include "handlers/services.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static struct services svc;

static void setup(void)
{
    char err[256];
    svc.regions = region_load("data/batang-wilayah.csv", err, sizeof(err));
    cr_assert_not_null(svc.regions, "%s", err);
}

static void teardown(void)
{
    region_free(svc.regions);
}

TestSuite(broadcast, .init = setup, .fini = teardown);

static char keys[BROADCAST_AREAS_MAX][64];

static int has(int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return 1;
    return 0;
}

Test(broadcast, a_kecamatan_is_its_own_set_and_every_desa_of_it)
{
    char label[128], err[256];
    int n = broadcast_areas(&svc, "kecamatan:Blado", keys, BROADCAST_AREAS_MAX, label,
                            sizeof(label), err, sizeof(err));
    cr_assert_eq(n, 19, "the kecamatan and its 18 desa: %d (%s)", n, err);
    cr_expect(has(n, "kt:subs:kec:33.25.03"));
    cr_expect(has(n, "kt:subs:desa:33.25.03.2001"));
    cr_expect_str_eq(label, "Kec. Blado");
    int m = broadcast_areas(&svc, "kec:33.25.03", keys, BROADCAST_AREAS_MAX, label, sizeof(label),
                            err, sizeof(err));
    cr_expect_eq(m, n, "by code too");
}

Test(broadcast, several_areas_are_joined_without_repeats)
{
    char label[128], err[256];
    int n = broadcast_areas(&svc, "desa:33.25.03.2001, kecamatan:Blado ; desa:Silurah", keys,
                            BROADCAST_AREAS_MAX, label, sizeof(label), err, sizeof(err));
    cr_assert_eq(n, 20, "%d: %s", n, err);
    cr_expect(has(n, "kt:subs:desa:33.25.01.2001"), "Silurah by name");
    cr_expect(strstr(label, "Desa Gerlang") && strstr(label, "Kec. Blado") &&
                  strstr(label, "Silurah"),
              "%s", label);
    n = broadcast_areas(&svc, "all", keys, BROADCAST_AREAS_MAX, label, sizeof(label), err,
                        sizeof(err));
    cr_expect_eq(n, 1);
    cr_expect_str_eq(keys[0], "kt:subscribers");
}

Test(broadcast, unknown_or_malformed_audiences_are_refused_with_a_reason)
{
    char label[128], err[256];
    const char *bad[] = {"",     " , ", "desa:Atlantis", "kecamatan:Gotham", "provinsi:Jateng",
                         "Blado"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        cr_expect_eq(broadcast_areas(&svc, bad[i], keys, BROADCAST_AREAS_MAX, label, sizeof(label),
                                     err, sizeof(err)),
                     -1, "'%s'", bad[i]);
        cr_expect(err[0] != '\0', "a reason for '%s'", bad[i]);
    }
    cr_expect_eq(
        broadcast_areas(&svc, "kecamatan:Blado", keys, 5, label, sizeof(label), err, sizeof(err)),
        -1, "bounded");
    cr_expect(strstr(err, "too large") != NULL, "%s", err);
    cr_expect_eq(broadcast_areas(NULL, "all", keys, 5, label, sizeof(label), err, sizeof(err)), -1);
}

Test(broadcast, every_message_carries_the_opt_out_and_fits_the_parts_asked)
{
    char out[2048], err[512];
    const char *coding;
    int parts = broadcast_compose("Besok kerja bakti jam 7.", 1, out, sizeof(out), &coding, err,
                                  sizeof(err));
    cr_assert_eq(parts, 1, "%s", err);
    cr_expect_str_eq(coding, "gsm7");
    cr_expect(strstr(out, "Besok kerja bakti jam 7.") && strstr(out, "BERHENTI"), "%s", out);
    parts = broadcast_compose("Ketik BERHENTI bila tidak ingin menerima info lagi.", 1, out,
                              sizeof(out), &coding, err, sizeof(err));
    cr_expect_eq(parts, 1);
    cr_expect_eq(strstr(strstr(out, "BERHENTI") + 1, "BERHENTI"), NULL, "not told twice: %s", out);
    char longer[400];
    memset(longer, 'a', 150);
    longer[150] = '\0';
    parts = broadcast_compose(longer, 1, out, sizeof(out), &coding, err, sizeof(err));
    cr_expect_eq(parts, -1, "150 characters and the opt-out line need 2 parts");
    cr_expect(strstr(err, "2 SMS parts") != NULL, "%s", err);
    cr_expect_eq(broadcast_compose(longer, 2, out, sizeof(out), &coding, err, sizeof(err)), 2);
}

Test(broadcast, one_character_outside_gsm_forces_ucs2_and_the_refusal_says_which)
{
    char out[2048], err[512], text[256];
    const char *coding;
    /* 100 GSM characters fit one part; one emoji makes it UCS-2 (70 per part) */
    memset(text, 'b', 100);
    snprintf(text + 100, sizeof(text) - 100, " \xF0\x9F\x99\x8F");
    int parts = broadcast_compose(text, 1, out, sizeof(out), &coding, err, sizeof(err));
    cr_expect_eq(parts, -1);
    cr_expect(strstr(err, "UCS-2") && strstr(err, "\xF0\x9F\x99\x8F"), "%s", err);
    parts = broadcast_compose(text, 3, out, sizeof(out), &coding, err, sizeof(err));
    cr_expect_eq(parts, 2, "132 UCS-2 units: %s", err);
    cr_expect_str_eq(coding, "ucs2");
    /* typographic quotes are folded to GSM, not a reason for UCS-2 */
    parts = broadcast_compose("Rapat \xE2\x80\x9C"
                              "darurat\xE2\x80\x9D di balai desa",
                              1, out, sizeof(out), &coding, err, sizeof(err));
    cr_expect_eq(parts, 1, "%s", err);
    cr_expect_str_eq(coding, "gsm7");
}

Test(broadcast, bad_texts_are_refused)
{
    char out[4096], err[512], big[BROADCAST_TEXT_MAX + 10];
    const char *coding;
    cr_expect_eq(broadcast_compose("", 1, out, sizeof(out), &coding, err, sizeof(err)), -1);
    cr_expect_eq(broadcast_compose("\xff\xfe", 1, out, sizeof(out), &coding, err, sizeof(err)), -1);
    cr_expect(strstr(err, "UTF-8") != NULL, "%s", err);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_expect_eq(broadcast_compose(big, 6, out, sizeof(out), &coding, err, sizeof(err)), -1);
    cr_expect_eq(broadcast_compose("ok", 0, out, sizeof(out), &coding, err, sizeof(err)), -1);
    cr_expect_eq(broadcast_compose("ok", 7, out, sizeof(out), &coding, err, sizeof(err)), -1);
}

Test(broadcast, quiet_hours_parse_and_wrap_midnight)
{
    struct config *cfg = config_new();
    int from, to;
    cr_assert_eq(config_quiet_hours("21:00-06:00", &from, &to), 0);
    cr_expect_eq(from, 21 * 60);
    cr_expect_eq(to, 6 * 60);
    cr_expect_eq(config_quiet_hours("", &from, &to), 0);
    const char *bad[] = {"21-06", "25:00-06:00", "21:00-06:60", "21:00 - 06:00x", "malam"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(config_quiet_hours(bad[i], &from, &to), -1, "%s", bad[i]);
    snprintf(cfg->quiet_hours, sizeof(cfg->quiet_hours), "21:00-06:00");
    long long midnight_wib = 1795798800; /* 2026-11-28 00:00 WIB */
    cr_expect_eq(config_is_quiet(cfg, midnight_wib), 1);
    cr_expect_eq(config_is_quiet(cfg, midnight_wib + 5 * 3600 + 59 * 60), 1, "05:59");
    cr_expect_eq(config_is_quiet(cfg, midnight_wib + 6 * 3600), 0, "06:00");
    cr_expect_eq(config_is_quiet(cfg, midnight_wib + 20 * 3600 + 59 * 60), 0, "20:59");
    cr_expect_eq(config_is_quiet(cfg, midnight_wib + 21 * 3600), 1, "21:00");
    snprintf(cfg->quiet_hours, sizeof(cfg->quiet_hours), "12:00-13:00");
    cr_expect_eq(config_is_quiet(cfg, midnight_wib + 12 * 3600 + 30 * 60), 1);
    cr_expect_eq(config_is_quiet(cfg, midnight_wib + 13 * 3600), 0);
    cfg->quiet_hours[0] = '\0';
    cr_expect_eq(config_is_quiet(cfg, midnight_wib), 0, "none");
    config_free(cfg);
}

Test(broadcast, a_nik_or_a_control_character_is_refused_bidi_removed)
{
    char out[2048], err[512];
    const char *coding;
    cr_expect_eq(broadcast_compose("Pemenang NIK 3325/0101/0101/0002", 1, out, sizeof(out), &coding,
                                   err, sizeof(err)),
                 -1);
    cr_expect(strstr(err, "NIK") != NULL, "%s", err);
    cr_expect_eq(
        broadcast_compose("Rapat \x1b[31mpenting", 1, out, sizeof(out), &coding, err, sizeof(err)),
        -1);
    cr_expect(strstr(err, "control characters") != NULL, "%s", err);
    /* a bidi override goes, CR LF becomes LF; dates and a phone number stay */
    cr_expect_eq(broadcast_compose("Rapat \xE2\x80\xAE"
                                   "besok\r\ntgl 12/05/2026, hubungi 081234567890",
                                   1, out, sizeof(out), &coding, err, sizeof(err)),
                 1, "%s", err);
    cr_expect(strncmp(out, "Rapat besok\ntgl 12/05/2026, hubungi 081234567890", 48) == 0, "%s",
              out);
}
