/*
 * Unit tests for handlers/urgency against the real data/darurat.csv: floods, landslides, fires,
 * fallen trees and power lines, missing and drowned people, in Indonesian and Javanese (ngoko
 * and krama); negations and conditions ("bukan banjir", "kalau hujan banjir") that hold an
 * emergency word back while the rest of the message is still read; ordinary complaints that are
 * not emergencies; and the loader's errors.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers/urgency.h"

static struct urgency_db *db;

static void setup(void)
{
    char path[512], err[256];
    const char *root = getenv("KT_ROOT");
    snprintf(path, sizeof path, "%s/data/darurat.csv", root && *root ? root : ".");
    db = urgency_load(path, err, sizeof err);
    cr_assert_not_null(db, "urgency_load: %s", err);
}

static void teardown(void)
{
    urgency_free(db);
    db = NULL;
}

TestSuite(urgency, .init = setup, .fini = teardown);

static void expect(const char *text, const char *kind)
{
    struct urgency_match m;
    int rc = urgency_find(db, text, &m);
    if (!kind) {
        cr_assert_eq(rc, 0, "\"%s\" urgent (%s), want not", text,
                     rc ? urgency_code(db, m.kind) : "-");
        cr_assert_eq(m.kind, -1);
        return;
    }
    cr_assert_eq(rc, 1, "\"%s\" not urgent, want %s", text, kind);
    cr_assert_str_eq(urgency_code(db, m.kind), kind, "\"%s\"", text);
    cr_assert_str_eq(urgency_opd(db, m.kind), "BPBD");
    cr_assert(m.start < m.end && m.end <= strlen(text));
}

Test(urgency, emergencies)
{
    expect("banjir setinggi lutut di perumahan", "BANJIR");
    expect("omahku kebanjiran pak, tulung", "BANJIR");
    expect("banyu mlebu omah wis sedengkul", "BANJIR");
    expect("tanah longsor menutup jalan desa", "LONGSOR");
    expect("longsoran neng dalan Gerlang", "LONGSOR");
    expect("rumah kebakaran butuh bantuan", "KEBAKARAN");
    expect("omahe pak Darmo kobongan", "KEBAKARAN");
    expect("pohon tumbang menutup jalan", "POHON");
    expect("wit ambruk nimpa kabel listrik", "POHON");
    expect("ada pohon roboh di jalan raya", "POHON");
    expect("kabel listrik putus di pinggir jalan", "POHON");
    expect("anak saya hilang sejak kemarin sore", "HILANG");
    expect("wong ilang neng alas", "HILANG");
    expect("putra kula ical dereng kondur", "HILANG");
    expect("bocah kentir neng kali", "HILANG");
    expect("angin puting beliung atap rumah terbang", "ANGIN");
    expect("BANJIIIR", "BANJIR");
    expect("banjirrr tolong", "BANJIR");
}

Test(urgency, negations_and_conditions)
{
    expect("bukan banjir, cuma got mampet", NULL);
    expect("alhamdulillah ora banjir maneh", NULL);
    expect("kalau hujan pasti banjir, mohon saluran diperbaiki", NULL);
    expect("normalisasi sungai agar tidak banjir", NULL);
    expect("daerah rawan longsor perlu talud", NULL);
    expect("mboten wonten kobongan", NULL);
    /* the rest of the message is still read */
    expect("bukan banjir tapi longsor menutup jalan", "LONGSOR");
    expect("tidak ada banjir, tapi pohon tumbang di jalan", "POHON");
}

Test(urgency, ordinary_complaints)
{
    expect("jalan rusak parah", NULL);
    expect("lampu jalan mati sudah seminggu", NULL);
    expect("KTP saya hilang, cara urusnya bagaimana", NULL); /* not a missing person */
    expect("KTPne ilang", NULL);
    expect("listrik padam sejak pagi", NULL);
    expect("sampah numpuk", NULL);
    expect("", NULL);
    expect("\xff\xfe", NULL);
    struct urgency_match m;
    cr_assert_eq(urgency_find(db, NULL, &m), 0);
    cr_assert_eq(urgency_find(NULL, "banjir", &m), 0);
    cr_assert_null(urgency_code(db, -1));
}

Test(urgency, loader_errors)
{
    char path[] = "/tmp/kt-urgency-XXXXXX", err[256];
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *bad = "kode,kategori,opd,kata_kunci\nBANJIR,Banjir,BPBD,banjir\n";
    cr_assert_eq(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    cr_assert_null(urgency_load(path, err, sizeof err));
    cr_assert_not_null(strstr(err, "LAIN"), "%s", err);
    FILE *f = fopen(path, "w");
    fputs("kode,kategori,opd,kata_kunci\nBANJIR,Banjir,BPBD,banjir\nAPI,Api,BPBD,banjir\n", f);
    fclose(f);
    cr_assert_null(urgency_load(path, err, sizeof err));
    cr_assert_not_null(strstr(err, ":3:"), "line number: %s", err);
    unlink(path);
    cr_assert_null(urgency_load("/nonexistent/darurat.csv", err, sizeof err));
    urgency_free(NULL);
}

Test(urgency, a_negated_word_does_not_hide_another)
{
    /* "belum" negates the evacuation, not the flood */
    expect("banjir di Sariglagah, ada lansia belum dievakuasi", "BANJIR");
    expect("rob masuk rumah warga", "BANJIR");
}
