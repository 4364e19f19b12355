/*
 * Unit tests for handlers/region against the real data/batang-wilayah.csv (from the repo root,
 * or $KT_ROOT): every desa and kecamatan found, repeated names and kecamatan-that-are-also-desa
 * ambiguous until a kecamatan settles them, typo and case tolerance, no place read into
 * ordinary complaints, and the loader's errors with their line numbers. The textmatch suite
 * checks the shared helpers of handlers/textmatch (keys, one-typo comparison and index, the
 * never-corrected words).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers/region.h"
#include "handlers/textmatch.h"

static struct region_db *db;
static struct region_match m;

static void data_path(char *buf, size_t len, const char *file)
{
    const char *root = getenv("KT_ROOT");
    snprintf(buf, len, "%s/data/%s", root && *root ? root : ".", file);
}

static void setup(void)
{
    char path[512], err[256];
    data_path(path, sizeof path, "batang-wilayah.csv");
    db = region_load(path, err, sizeof err);
    cr_assert_not_null(db, "region_load: %s", err);
}

static void teardown(void)
{
    region_free(db);
    db = NULL;
}

TestSuite(region, .init = setup, .fini = teardown);

static int desa_named(const char *name, const char *kec)
{
    for (int d = 0; d < region_desa_count(db); d++)
        if (strcmp(region_desa_name(db, d), name) == 0 &&
            (!kec || strcmp(region_kecamatan_name(db, region_desa_kecamatan(db, d)), kec) == 0))
            return d;
    return -1;
}

static int kec_named(const char *name)
{
    for (int k = 0; k < region_kecamatan_count(db); k++)
        if (strcmp(region_kecamatan_name(db, k), name) == 0)
            return k;
    return -1;
}

/* Desa with the same name as d, d included. */
static int same_name(int d, int *out)
{
    int n = 0;
    for (int e = 0; e < region_desa_count(db); e++)
        if (strcasecmp(region_desa_name(db, e), region_desa_name(db, d)) == 0)
            out[n++] = e;
    return n;
}

static int has_candidate(enum region_kind kind, int index)
{
    for (int i = 0; i < m.ncandidates; i++)
        if (m.candidate_kind[i] == kind && m.candidates[i] == index)
            return 1;
    return 0;
}

static void expect_desa(const char *text, const char *name, const char *kec)
{
    int d = desa_named(name, kec);
    cr_assert_geq(d, 0, "no desa %s/%s in the data", name, kec);
    cr_assert_eq(region_find(db, text, &m), 0, "\"%s\": nothing found", text);
    cr_assert_eq(m.kind, REGION_DESA, "\"%s\": kind %d, want DESA %s", text, m.kind, name);
    cr_assert_eq(m.desa, d, "\"%s\": desa %s, want %s (%s)", text, region_desa_name(db, m.desa),
                 name, kec ? kec : "?");
    cr_assert_eq(m.kecamatan, region_desa_kecamatan(db, d), "\"%s\": kecamatan", text);
    cr_assert_eq(m.ncandidates, 0);
}

static void expect_kec(const char *text, const char *kec)
{
    int k = kec_named(kec);
    cr_assert_geq(k, 0, "no kecamatan %s", kec);
    cr_assert_eq(region_find(db, text, &m), 0, "\"%s\": nothing found", text);
    cr_assert_eq(m.kind, REGION_KECAMATAN, "\"%s\": kind %d, want KECAMATAN %s", text, m.kind, kec);
    cr_assert_eq(m.kecamatan, k, "\"%s\": kecamatan %s, want %s", text,
                 region_kecamatan_name(db, m.kecamatan), kec);
    cr_assert_eq(m.desa, -1);
}

static void expect_none(const char *text)
{
    int rc = region_find(db, text, &m);
    cr_assert_eq(m.kind, REGION_NONE, "\"%s\": found kind %d (desa %s, kec %s, %d candidates)",
                 text, m.kind, m.desa >= 0 ? region_desa_name(db, m.desa) : "-",
                 m.kecamatan >= 0 ? region_kecamatan_name(db, m.kecamatan) : "-", m.ncandidates);
    cr_assert_eq(rc, -1);
    cr_assert_eq(m.desa, -1);
    cr_assert_eq(m.kecamatan, -1);
    cr_assert_eq(m.start, 0);
    cr_assert_eq(m.end, 0);
}

/* AMBIGUOUS with exactly the desa named `name` (in any kecamatan) plus, if
 * kec is set, that kecamatan. */
static void expect_ambiguous(const char *text, const char *name, const char *kec)
{
    int want = 0;
    cr_assert_eq(region_find(db, text, &m), 0, "\"%s\": nothing found", text);
    cr_assert_eq(m.kind, REGION_AMBIGUOUS, "\"%s\": kind %d, want AMBIGUOUS", text, m.kind);
    for (int d = 0; d < region_desa_count(db); d++) {
        if (strcmp(region_desa_name(db, d), name) != 0)
            continue;
        want++;
        cr_assert(has_candidate(REGION_DESA, d), "\"%s\": desa %s of %s not a candidate", text,
                  name, region_kecamatan_name(db, region_desa_kecamatan(db, d)));
    }
    if (kec) {
        want++;
        cr_assert(has_candidate(REGION_KECAMATAN, kec_named(kec)),
                  "\"%s\": kecamatan %s not a candidate", text, kec);
    }
    cr_assert_eq(m.ncandidates, want, "\"%s\": %d candidates, want %d", text, m.ncandidates, want);
    cr_assert_eq(m.desa, -1);
}

/* ---- the data ----------------------------------------------------------- */

Test(region, counts_and_accessors)
{
    int kelurahan = 0;

    cr_assert_eq(region_desa_count(db), 248);
    cr_assert_eq(region_kecamatan_count(db), 15);
    for (int d = 0; d < region_desa_count(db); d++) {
        cr_assert_not_null(region_desa_name(db, d));
        cr_assert_not_null(region_desa_code(db, d));
        cr_assert_eq(region_desa_by_code(db, region_desa_code(db, d)), d);
        int k = region_desa_kecamatan(db, d);
        cr_assert(k >= 0 && k < region_kecamatan_count(db));
        kelurahan += strcmp(region_desa_jenis(db, d), "kelurahan") == 0;
    }
    cr_assert_eq(kelurahan, 9);
    int d = desa_named("Klidang Lor", "Batang");
    cr_assert_str_eq(region_desa_code(db, d), "33.25.11.2007");
    cr_assert_str_eq(region_desa_jenis(db, d), "desa");
    cr_assert_str_eq(region_desa_jenis(db, desa_named("Kauman", NULL)), "kelurahan");
    cr_assert_null(region_desa_name(db, -1));
    cr_assert_null(region_desa_name(db, 248));
    cr_assert_null(region_desa_code(db, 248));
    cr_assert_null(region_desa_jenis(db, 248));
    cr_assert_eq(region_desa_kecamatan(db, 248), -1);
    cr_assert_null(region_kecamatan_name(db, 15));
    cr_assert_null(region_kecamatan_name(db, -1));
    cr_assert_eq(region_desa_by_code(db, "33.25.99.9999"), -1);
    cr_assert_eq(region_desa_by_code(db, NULL), -1);
    cr_assert_eq(region_desa_count(NULL), 0);
    region_free(NULL);
}

/* ---- every place --------------------------------------------------------- */

Test(region, every_desa_after_desa_prefix)
{
    char text[200];
    int same[REGION_CANDIDATES_MAX];

    for (int d = 0; d < region_desa_count(db); d++) {
        const char *name = region_desa_name(db, d);
        snprintf(text, sizeof text, "jalan rusak di desa %s dekat masjid", name);
        int n = same_name(d, same);
        cr_assert_eq(region_find(db, text, &m), 0, "\"%s\": nothing found", text);
        if (n == 1) {
            cr_assert_eq(m.kind, REGION_DESA, "\"%s\": kind %d", text, m.kind);
            cr_assert_eq(m.desa, d, "\"%s\": got %s", text, region_desa_name(db, m.desa));
        } else {
            cr_assert_eq(m.kind, REGION_AMBIGUOUS, "\"%s\"", text);
            cr_assert_eq(m.ncandidates, n, "\"%s\"", text);
            for (int i = 0; i < n; i++)
                cr_assert(has_candidate(REGION_DESA, same[i]), "\"%s\"", text);
        }
        /* the span is "desa <name>" */
        cr_assert_eq(m.start, strlen("jalan rusak di "), "\"%s\": start %zu", text, m.start);
        cr_assert_eq(m.end, strlen("jalan rusak di desa ") + strlen(name), "\"%s\"", text);
    }
}

Test(region, every_desa_with_its_kecamatan)
{
    char text[200];

    for (int d = 0; d < region_desa_count(db); d++) {
        const char *name = region_desa_name(db, d);
        const char *kec = region_kecamatan_name(db, region_desa_kecamatan(db, d));
        const char *forms[] = {"lapor, ds. %s kec. %s ada jalan rusak", "%s %s", "%s, Kecamatan %s",
                               "DESA %s KEC %s"};
        for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
            snprintf(text, sizeof text, forms[f], name, kec);
            expect_desa(text, name, kec);
        }
        /* the kecamatan first */
        snprintf(text, sizeof text, "kec %s desa %s", kec, name);
        expect_desa(text, name, kec);
    }
}

Test(region, every_kelurahan_after_kel_prefix)
{
    char text[200];

    for (int d = 0; d < region_desa_count(db); d++) {
        if (strcmp(region_desa_jenis(db, d), "kelurahan") != 0)
            continue;
        snprintf(text, sizeof text, "kelurahan %s", region_desa_name(db, d));
        expect_desa(text, region_desa_name(db, d), NULL);
        snprintf(text, sizeof text, "Kel. %s", region_desa_name(db, d));
        expect_desa(text, region_desa_name(db, d), NULL);
    }
}

Test(region, every_kecamatan_after_kec_prefix)
{
    char text[200];

    for (int k = 0; k < region_kecamatan_count(db); k++) {
        const char *name = region_kecamatan_name(db, k);
        const char *forms[] = {"kec %s", "Kec. %s", "KECAMATAN %s", "warga kecamatan %s mengeluh",
                               "camat %s"};
        for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
            snprintf(text, sizeof text, forms[f], name);
            expect_kec(text, name);
        }
    }
}

/* ---- repeated names ------------------------------------------------------ */

Test(region, repeated_names_resolved_by_kecamatan)
{
    char text[200];
    int same[REGION_CANDIDATES_MAX], repeated = 0;

    for (int d = 0; d < region_desa_count(db); d++) {
        int n = same_name(d, same);
        if (n < 2)
            continue;
        repeated++;
        const char *name = region_desa_name(db, d);
        const char *kec = region_kecamatan_name(db, region_desa_kecamatan(db, d));
        snprintf(text, sizeof text, "desa %s", name);
        expect_ambiguous(text, name, NULL);
        cr_assert_eq(m.kecamatan, -1, "\"%s\": the candidates lie in different kecamatan", text);
        snprintf(text, sizeof text, "%s %s", name, kec);
        expect_desa(text, name, kec);
        snprintf(text, sizeof text, "desa %s, RT 02 RW 03, kecamatan %s", name, kec);
        expect_desa(text, name, kec);
    }
    cr_assert_eq(repeated, 22, "11 names twice each");
    expect_desa("jalan rusak di desa kalisalak kec batang dekat masjid", "Kalisalak", "Batang");
    expect_desa("Kalisalak Batang", "Kalisalak", "Batang");
    expect_desa("Kalisalak Limpung", "Kalisalak", "Limpung");
    expect_desa("Limpung, Kalisalak", "Kalisalak", "Limpung");
    expect_desa("ds. Sidorejo, Kec. Warungasem", "Sidorejo", "Warungasem");
    expect_desa("Sidorejo Gringsing", "Sidorejo", "Gringsing");
    expect_ambiguous("jalan rusak di Kalisalak", "Kalisalak", NULL);
    cr_assert_eq(m.start, strlen("jalan rusak di "));
    /* the same desa named twice stays resolved */
    expect_desa("desa Kalisalak kec Batang, jalan Kalisalak rusak", "Kalisalak", "Batang");
}

Test(region, kecamatan_not_holding_the_desa_is_not_a_guess)
{
    /* there is no Sidorejo in Bandar: both Sidorejo and kec Bandar stay */
    cr_assert_eq(region_find(db, "desa Sidorejo kec Bandar", &m), 0);
    cr_assert_eq(m.kind, REGION_AMBIGUOUS);
    cr_assert_eq(m.ncandidates, 3);
    cr_assert(has_candidate(REGION_KECAMATAN, kec_named("Bandar")));
    cr_assert(has_candidate(REGION_DESA, desa_named("Sidorejo", "Warungasem")));
    cr_assert(has_candidate(REGION_DESA, desa_named("Sidorejo", "Gringsing")));
    /* two different places named */
    cr_assert_eq(region_find(db, "jalan antara desa Wonokerto dan desa Silurah rusak", &m), 0);
    cr_assert_eq(m.kind, REGION_AMBIGUOUS);
    cr_assert_eq(m.ncandidates, 2);
    cr_assert(has_candidate(REGION_DESA, desa_named("Wonokerto", NULL)));
    cr_assert(has_candidate(REGION_DESA, desa_named("Silurah", NULL)));
    cr_assert_eq(m.kecamatan, -1);
    cr_assert_eq(m.start, strlen("jalan antara "));
    cr_assert_eq(m.end, strlen("jalan antara desa Wonokerto dan desa Silurah"));
    /* but a desa and its own kecamatan are one place */
    expect_desa("desa Wonokerto ... warga kec Bandar", "Wonokerto", "Bandar");
}

/* ---- a kecamatan that is also a desa --------------------------------------- */

Test(region, kecamatan_and_desa_of_one_name)
{
    expect_ambiguous("Bawang", "Bawang", "Bawang");
    cr_assert_eq(m.kecamatan, -1, "desa Bawang of Blado is a candidate too");
    expect_kec("kec Bawang", "Bawang");
    expect_ambiguous("desa Bawang", "Bawang", NULL);
    expect_desa("desa Bawang kec Blado", "Bawang", "Blado");
    expect_desa("Bawang Blado", "Bawang", "Blado");
    expect_desa("Bawang, Bawang", "Bawang", "Bawang");

    expect_ambiguous("Bandar", "Bandar", "Bandar");
    cr_assert_eq(m.kecamatan, kec_named("Bandar"), "both candidates lie in Bandar");
    cr_assert_eq(m.candidate_kind[0], REGION_KECAMATAN, "kecamatan first");
    expect_kec("kec bandar", "Bandar");
    expect_desa("desa bandar", "Bandar", "Bandar");
    expect_desa("Bandar Bandar", "Bandar", "Bandar");

    /* every kecamatan with a desa of its name, bare: ambiguous */
    char text[100];
    for (int k = 0; k < region_kecamatan_count(db); k++) {
        const char *name = region_kecamatan_name(db, k);
        int d = desa_named(name, name);
        snprintf(text, sizeof text, "%s", name);
        cr_assert_eq(region_find(db, text, &m), 0, "%s", name);
        if (d < 0) {
            cr_assert_eq(m.kind, REGION_KECAMATAN, "%s: no desa of that name", name);
            continue;
        }
        cr_assert_eq(m.kind, REGION_AMBIGUOUS, "%s", name);
        cr_assert(has_candidate(REGION_KECAMATAN, k), "%s", name);
        cr_assert(has_candidate(REGION_DESA, d), "%s", name);
    }
}

/* ---- tolerance ------------------------------------------------------------- */

Test(region, case_repeats_and_punctuation)
{
    expect_desa("DESA KALISALAAAK KEC BATAAANG", "Kalisalak", "Batang");
    expect_desa("ds.kalisalak,kec.batang", "Kalisalak", "Batang");
    expect_desa("desa/kel: Wonokerto", "Wonokerto", "Bandar");
    expect_desa("Desa Sidorejo - Kecamatan Gringsing", "Sidorejo", "Gringsing");
    expect_desa("ds Gringgingsari", "Gringgingsari", "Wonotunggal");
    expect_desa("ds Gringingsari", "Gringgingsari", "Wonotunggal");
    expect_desa("desa Tenggulangharjo", "Tenggulangharjo", "Subah");
    expect_kec("kecbatang", "Batang");
    expect_desa("desawonokerto", "Wonokerto", "Bandar");
    expect_desa("di desa Pesantren\xC2\xA0kec Blado", "Pesantren", "Blado");
}

Test(region, one_typo_where_safe)
{
    expect_desa("desa kalisalk kec batang", "Kalisalak", "Batang");
    expect_desa("desa klaisalak kec batang", "Kalisalak", "Batang"); /* transposition */
    expect_desa("Kalisalak Batamg", "Kalisalak", "Batang");
    expect_desa("Kalisalk kec Batang", "Kalisalak", "Batang");
    expect_kec("kecamtan bandar", "Bandar");
    expect_kec("kec wonotungal", "Wonotunggal");
    expect_desa("desa selopajang barad", "Selopajang Barat", "Blado");
    expect_desa("desa geringsing", "Gringsing", "Gringsing");
    /* a text that is only a place (a DAFTAR argument) */
    expect_ambiguous("Wonotungal", "Wonotunggal", "Wonotunggal");
    /* short names: no typo */
    expect_none("desa blad");
    expect_none("desa tosi");
    /* ordinary words are not typos of places, even after "desa" */
    expect_none("kepala desa sedang rapat");
    expect_none("desa kosong ditinggal warganya");
    /* a typo far from any prefix or place is not looked for */
    expect_none("jalan rusak di kalisalk dekat masjid");
}

Test(region, multi_word_names)
{
    expect_desa("Selopajang Barat", "Selopajang Barat", "Blado");
    expect_desa("desa selopajangbarat", "Selopajang Barat", "Blado");
    expect_desa("kel. Proyonanggan Utara", "Proyonanggan Utara", "Batang");
    /* Javanese and Indonesian directions */
    expect_desa("desa Klidang Timur", "Klidang Wetan", "Batang");
    expect_desa("desa Klidang Utara", "Klidang Lor", "Batang");
    expect_desa("desa Kalipucang Barat", "Kalipucang Kulon", "Batang");
    expect_desa("desa Kemiri Kulon", "Kemiri Barat", "Subah");
    expect_desa("kel Karangasem Kidul", "Karangasem Selatan", "Batang");
    /* the first word alone stands for all of them */
    cr_assert_eq(region_find(db, "desa proyonanggan", &m), 0);
    cr_assert_eq(m.kind, REGION_AMBIGUOUS);
    cr_assert_eq(m.ncandidates, 3);
    cr_assert_eq(m.kecamatan, kec_named("Batang"));
    /* ... but not bare: "kemiri" is a nut */
    expect_none("harga kemiri naik terus");
    /* one-word names written split */
    expect_kec("kec. warung asem", "Warungasem");
    expect_desa("desa kali salak kec batang", "Kalisalak", "Batang");
    expect_none("sumur banger di belakang rumah");
}

/* ---- precision ------------------------------------------------------------- */

Test(region, no_place_in_ordinary_complaints)
{
    static const char *const texts[] = {
        "lampu jalan mati sudah seminggu",
        "anak saya belum dapat KIP",
        "harga bawang merah naik terus",
        "pohon tumbang di depan sekolah menutup jalan",
        "air sendang keruh dan bau",
        "tembok sekolah retak mau roboh",
        "jalan berlubang dekat candi",
        "anak saya kuliah di bandung belum dapat beasiswa",
        "pak Purbo ketua RT tidak pernah datang",
        "bantuan PKH belum cair sampai sekarang",
        "sampah menumpuk di pasar sudah seminggu",
        "kepala desa tidak responsif",
        "dana desa diselewengkan oknum perangkat",
        "jalan desa rusak parah mohon diperbaiki",
        "balai desa sepi tidak ada petugas",
        "mohon info syarat pembuatan KTP",
        "listrik padam sejak pagi",
        "pungutan liar di sekolah negeri",
        "tiket wisata pantai mahal sekali",
        "kayu sengon dicuri orang",
        "bau limbah pabrik menyengat",
        "banyak kuman di air sumur",
        "sedang hujan deras, banjir setinggi lutut",
        "anak saya mondok di pesantren, minta surat pindah",
        "truk lewat jembatan timbang tiap malam",
        "harga manggis anjlok petani rugi",
        "ambulans datang terlambat",
        "jalan kosong tidak ada penerangan",
        "KTP saya hilang di bandara",
        "tolong tulis nama saya dengan benar",
        "Kabupaten Batang kurang perhatian",
        "Pemkab Batang harus tegas",
        "batang pohon besar melintang di jalan",
        "mbah Surjo sakit tidak bisa ke puskesmas",
        "dukuh Sendang belum teraliri listrik",
        "saya beli di warung asem dekat jalan",
        "banjir bandang rumah warga kebanjiran",
        "jalan lobang besar di tikungan",
        "gapuro kampung mau roboh",
        "tombo di puskesmas habis",
        "sinyal hilang tiap sore",
        "guru jarang masuk kelas",
        "Assalamualaikum pak, mohon maaf mengganggu",
        "terima kasih atas pelayanannya",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        expect_none(texts[i]);
}

Test(region, common_words_need_a_prefix)
{
    expect_none("air sendang keruh");
    expect_ambiguous("air di desa sendang keruh", "Sendang", NULL);
    expect_desa("desa sendang kec tersono", "Sendang", "Tersono");
    expect_desa("Sendang Wonotunggal", "Sendang", "Wonotunggal");
    expect_none("tembok roboh");
    expect_desa("tembok roboh di desa tembok", "Tembok", "Limpung");
    expect_none("kepala desa batang"); /* no desa is called Batang */
    expect_kec("kec batang", "Batang");
    /* distinctive names need no prefix */
    expect_desa("jalan di Silurah rusak", "Silurah", "Wonotunggal");
    expect_desa("jembatan Wonokerto putus", "Wonokerto", "Bandar");
    /* a common desa name or kecamatan name counts next to its partner */
    expect_desa("jalan rusak di Sendang Wonotunggal dekat pasar", "Sendang", "Wonotunggal");
    expect_desa("jalan rusak di Kalisalak Batang dekat masjid", "Kalisalak", "Batang");
    expect_desa("jalan rusak di Kalisalak, Batang", "Kalisalak", "Batang");
    expect_none("jalan rusak di Sendang Batang"); /* no Sendang in Batang */
    /* a name that is also a well-known place elsewhere */
    expect_none("anak saya kerja di Depok");
    expect_desa("desa Depok", "Depok", "Kandeman");
}

Test(region, not_ours_prefixes)
{
    expect_none("kab batang");
    expect_none("kabupaten kebumen");
    expect_none("pak Cokro");
    expect_none("bu Soka");
    expect_none("dukuh Sendang");
    expect_desa("dukuh Sendang, desa Silurah", "Silurah", "Wonotunggal");
    expect_desa("desa Kalisalak kecamatan Batang kabupaten Batang", "Kalisalak", "Batang");
    expect_desa("Kalisalak kab. Batang kec. Batang", "Kalisalak", "Batang");
    /* the regency does not settle a repeated desa */
    expect_ambiguous("desa Kalisalak kabupaten Batang", "Kalisalak", NULL);
}

Test(region, span)
{
    const char *t = "Assalamualaikum, jalan rusak di desa kalisalak kec batang dekat masjid";
    expect_desa(t, "Kalisalak", "Batang");
    cr_assert_eq(m.end - m.start, strlen("desa kalisalak kec batang"));
    cr_assert(strncmp(t + m.start, "desa kalisalak kec batang", m.end - m.start) == 0);
    t = "Kalisalak Batang";
    expect_desa(t, "Kalisalak", "Batang");
    cr_assert_eq(m.start, 0);
    cr_assert_eq(m.end, strlen(t));
}

/* ---- robustness ------------------------------------------------------------ */

Test(region, junk_and_limits)
{
    expect_none(NULL);
    expect_none("");
    expect_none("   ,,, ...");
    expect_none("\xff\xfe\x80 kalisa\xc3");
    expect_none("12345 67890");
    cr_assert_eq(region_find(NULL, "Kalisalak Batang", &m), -1);
    cr_assert_eq(m.kind, REGION_NONE);
    /* a place past REGION_TEXT_MAX is not read; one before it is */
    char big[REGION_TEXT_MAX + 64];
    memset(big, 'a', sizeof big);
    big[sizeof big - 1] = '\0';
    memcpy(big + REGION_TEXT_MAX + 2, " Silurah", 8);
    expect_none(big);
    memcpy(big + 10, " desa Silurah ", 14);
    expect_desa(big, "Silurah", "Wonotunggal");
    /* a word cut by the limit is not read either */
    memset(big, ' ', sizeof big);
    big[sizeof big - 1] = '\0';
    memcpy(big + REGION_TEXT_MAX - 7, "Silurah", 7);
    expect_desa(big, "Silurah", "Wonotunggal");
    memcpy(big + REGION_TEXT_MAX - 4, "Silurah", 7);
    expect_none(big);
}

struct thread_arg {
    const char *text;
    int desa;
    int ok;
};

static void *find_many(void *p)
{
    struct thread_arg *a = p;
    struct region_match mm;
    a->ok = 1;
    for (int i = 0; i < 2000; i++)
        if (region_find(db, a->text, &mm) != 0 || mm.desa != a->desa)
            a->ok = 0;
    return NULL;
}

Test(region, concurrent_finds)
{
    struct thread_arg a[2] = {{"desa kalisalak kec batang", desa_named("Kalisalak", "Batang"), 0},
                              {"Sidorejo Gringsing", desa_named("Sidorejo", "Gringsing"), 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, find_many, &a[i]);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        cr_assert(a[i].ok, "thread %d saw a wrong answer", i);
    }
}

/* ---- loader ---------------------------------------------------------------- */

static char tmp_path[64];

static void write_tmp(const char *content)
{
    strcpy(tmp_path, "/tmp/kt_region_XXXXXX");
    int fd = mkstemp(tmp_path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
}

/* Loads content and expects failure with err containing "path<where>" and want. */
static void expect_load_error(const char *content, const char *where, const char *want)
{
    char err[256], prefix[128];
    write_tmp(content);
    struct region_db *bad = region_load(tmp_path, err, sizeof err);
    unlink(tmp_path);
    cr_assert_null(bad, "loaded: %s", content);
    snprintf(prefix, sizeof prefix, "%s%s", tmp_path, where);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "err \"%s\", want prefix \"%s\"", err,
              prefix);
    cr_assert(strstr(err, want), "err \"%s\", want \"%s\"", err, want);
    cr_assert_null(strchr(err, '\n'));
}

#define HDR "kode,kecamatan,nama,jenis\n"

Test(region, loader_errors)
{
    char err[256];

    cr_assert_null(region_load("/nonexistent/wilayah.csv", err, sizeof err));
    cr_assert_str_eq(err, "/nonexistent/wilayah.csv: No such file or directory");
    cr_assert_null(region_load(NULL, err, sizeof err));
    expect_load_error("", ": ", "empty file");
    expect_load_error("kode,kecamatan,nama\n1,A,B\n", ":1: ", "bad header");
    expect_load_error("kode,kecamatan,nama,jenis,x\n", ":1: ", "header has 5 fields");
    expect_load_error(HDR "1.1,Blado,Kalisari,desa\n1.2,Blado,Cokro,desa,extra\n",
                      ":3: ", "5 fields, expected 4");
    expect_load_error(HDR "1.1,Blado,Kalisari,desa\n1.2,Blado\n", ":3: ", "2 fields, expected 4");
    expect_load_error(HDR "1.1,Blado,\"Kalisari\",desa\n", ":2: ", "quotes");
    expect_load_error(HDR "1.1,Blado,Kalisari,dusun\n", ":2: ", "jenis");
    expect_load_error(HDR "1.1,Blado,Kalisari,desa\n\n1.1,Blado,Cokro,desa\n", ":4: ", "twice");
    expect_load_error(HDR "1.1,Blado,Kalisari,desa\n1.2,Blado,kalisari,desa\n",
                      ":3: ", "twice in kecamatan");
    expect_load_error(HDR "1.1,Blado,,desa\n", ":2: ", "empty nama");
    expect_load_error(HDR "x1,Blado,Cokro,desa\n", ":2: ", "bad kode");
    expect_load_error(HDR "1.1,Blado,Cok\x01ro,desa\n", ":2: ", "control character");
    expect_load_error(HDR "1.1,Blado,Cok\xffro,desa\n", ":2: ", "invalid UTF-8");
    expect_load_error(HDR "1.1,Blado,Desa,desa\n", ": ", "prefix word");
    expect_load_error(HDR, ": ", "no rows");
    char big[40000] = HDR;
    for (int i = 0; i < 1001; i++) {
        /* names whose keys differ: digits never side by side ("1q1q1q") */
        char name[32] = "D", digits[8];
        snprintf(digits, sizeof digits, "%d", i);
        for (char *p = digits; *p; p++)
            snprintf(name + strlen(name), sizeof name - strlen(name), "%cq", *p);
        snprintf(big + strlen(big), sizeof big - strlen(big), "%d,K%c,%s,desa\n", i, 'a' + i % 20,
                 name);
    }
    expect_load_error(big, ":1002: ", "more than 1000 rows");
}

Test(region, loader_accepts_crlf_bom_and_blank_lines)
{
    char err[256];
    write_tmp("\xEF\xBB\xBF" HDR
              "1.1, Blado ,Kalisari,desa\r\n\r\n1.2,Reban,Kalisari,kelurahan\r\n");
    struct region_db *small = region_load(tmp_path, err, sizeof err);
    unlink(tmp_path);
    cr_assert_not_null(small, "%s", err);
    cr_assert_eq(region_desa_count(small), 2);
    cr_assert_str_eq(region_kecamatan_name(small, 0), "Blado");
    cr_assert_str_eq(region_desa_jenis(small, 1), "kelurahan");
    struct region_match mm;
    cr_assert_eq(region_find(small, "Kalisari Reban", &mm), 0);
    cr_assert_eq(mm.kind, REGION_DESA);
    cr_assert_eq(mm.desa, 1);
    region_free(small);
}

/* ---- textmatch ------------------------------------------------------------- */

static const char *key_of(const char *s)
{
    static char k[TM_KEY_MAX + 1];
    int n = tm_key(s, strlen(s), k);
    return n < 0 ? "(too long)" : k;
}

Test(textmatch, keys)
{
    cr_assert_str_eq(key_of("KALISALAAAK"), "kalisalak");
    cr_assert_str_eq(key_of("Gringgingsari"), "gringingsari");
    cr_assert_str_eq(key_of("Ka'li`sa\xE2\x80\x99lak"), "kalisalak");
    cr_assert_str_eq(key_of("Selopajang Barat"), "selopajangbarat");
    cr_assert_str_eq(key_of("KK"), "kk");
    cr_assert_str_eq(key_of("kkkk"), "kk");
    cr_assert_str_eq(key_of("k"), "k");
    cr_assert_str_eq(key_of("''"), "");
    cr_assert_str_eq(key_of("abababababababababababababababababababababababababababababababab"),
                     "abababababababababababababababababababababababababababababababab");
    cr_assert_str_eq(key_of("abababababababababababababababababababababababababababababababa"
                            "ba"),
                     "(too long)");
    char a[TM_KEY_MAX + 1] = "kal";
    cr_assert_eq(tm_key_append(a, 3, "lisalak", 7), 9);
    cr_assert_str_eq(a, "kalisalak");
}

Test(textmatch, words)
{
    const char *t = "CEK12345 info?\xC2\xA0"
                    "ds.Kalisalak";
    const char *want[] = {"CEK", "12345", "info", "?", "ds", "Kalisalak"};
    size_t pos = 0, b, e;
    int n = 0;
    while (tm_next_word(t, strlen(t), &pos, &b, &e) == 0) {
        cr_assert_lt(n, 6);
        cr_assert_eq(e - b, strlen(want[n]), "word %d", n);
        cr_assert(strncmp(t + b, want[n], e - b) == 0, "word %d: %.*s", n, (int)(e - b), t + b);
        n++;
    }
    cr_assert_eq(n, 6);
}

Test(textmatch, one_typo)
{
    cr_assert_eq(tm_dist1("sampah", 6, "sampah", 6), 0, "equal is not one typo");
    cr_assert_eq(tm_dist1("sampah", 6, "sampeh", 6), 1);
    cr_assert_eq(tm_dist1("sampah", 6, "smpah", 5), 1);
    cr_assert_eq(tm_dist1("sampah", 6, "sampahx", 7), 1);
    cr_assert_eq(tm_dist1("sampah", 6, "sapmah", 6), 1);
    cr_assert_eq(tm_dist1("sampah", 6, "spmaah", 6), 0);
    cr_assert_eq(tm_dist1("sampah", 6, "samp", 4), 0);
    cr_assert_eq(tm_dist1("ab", 2, "ba", 2), 1);

    struct tm_typo_index x;
    const char *keys[] = {"kalisalak", "kalisari", "sendang", "batang"};
    cr_assert_eq(tm_typo_init(&x, 40), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(tm_typo_add(&x, keys[i], (int)strlen(keys[i]), i), 0);
    int ids[8], n = tm_typo_candidates(&x, "kalisalk", 8, ids, 8), found = 0;
    for (int i = 0; i < n; i++)
        found |= ids[i] == 0;
    cr_assert(found, "kalisalk -> kalisalak");
    n = tm_typo_candidates(&x, "batnag", 6, ids, 8);
    cr_assert(n >= 1 && ids[0] == 3, "transposition found");
    n = tm_typo_candidates(&x, "bxtxng", 6, ids, 8);
    for (int i = 0; i < n; i++)
        cr_assert_eq(tm_dist1("bxtxng", 6, keys[ids[i]], strlen(keys[ids[i]])), 0);
    tm_typo_free(&x);
}

Test(textmatch, never_corrected_words)
{
    const char *yes[] = {"adam", "sampai", "sedang", "mohon", "datang", "yosong", "buruk"};
    const char *no[] = {"sampah", "kalisalak", "geringsing", "sampa", "", "zzzz"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        cr_assert(tm_common_word(yes[i], strlen(yes[i])), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        cr_assert(!tm_common_word(no[i], strlen(no[i])), "%s", no[i]);
}
