/*
 * Unit tests for handlers/category and handlers/opd against the real data/kategori.csv and
 * data/opd.csv (from the repo root, or $KT_ROOT): realistic complaints in Indonesian and
 * Javanese, the specific phrase beating the generic one, ordinary words never corrected into
 * keywords, the LAIN fallback, every phrase of the file finding its own row, offices by code,
 * short name and typo, and the loaders' errors with their line numbers.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers/category.h"
#include "handlers/opd.h"

static struct category_db *db;
static struct opd_db *odb;
static struct category_match m;

static void data_path(char *buf, size_t len, const char *file)
{
    const char *root = getenv("KT_ROOT");
    snprintf(buf, len, "%s/data/%s", root && *root ? root : ".", file);
}

static void setup(void)
{
    char path[512], err[256];
    data_path(path, sizeof path, "kategori.csv");
    db = category_load(path, err, sizeof err);
    cr_assert_not_null(db, "category_load: %s", err);
    data_path(path, sizeof path, "opd.csv");
    odb = opd_load(path, err, sizeof err);
    cr_assert_not_null(odb, "opd_load: %s", err);
}

static void teardown(void)
{
    category_free(db);
    opd_free(odb);
    db = NULL;
    odb = NULL;
}

TestSuite(category, .init = setup, .fini = teardown);
TestSuite(opd, .init = setup, .fini = teardown);

static void expect(const char *text, const char *code)
{
    int rc = category_find(db, text, &m);
    cr_assert_not_null(category_code(db, m.category), "\"%s\": bad index %d", text, m.category);
    cr_assert_str_eq(category_code(db, m.category), code, "\"%s\" -> %s, want %s", text,
                     category_code(db, m.category), code);
    if (strcmp(code, "LAIN") == 0) {
        cr_assert_eq(rc, -1, "\"%s\": fallback returns -1", text);
        cr_assert_eq(m.score, 0);
        cr_assert_eq(m.start, 0);
        cr_assert_eq(m.end, 0);
    } else {
        cr_assert_eq(rc, 0, "\"%s\"", text);
        cr_assert_gt(m.score, 0);
        cr_assert(m.start < m.end && m.end <= strlen(text), "\"%s\": span %zu-%zu", text, m.start,
                  m.end);
    }
}

/* The span of the last expect(). */
static void expect_span(const char *text, const char *span)
{
    cr_assert_eq(m.end - m.start, strlen(span), "\"%s\": span \"%.*s\", want \"%s\"", text,
                 (int)(m.end - m.start), text + m.start, span);
    cr_assert(strncmp(text + m.start, span, strlen(span)) == 0, "\"%s\": span \"%.*s\"", text,
              (int)(m.end - m.start), text + m.start);
}

/* ---- the data ------------------------------------------------------------ */

Test(category, rows_and_accessors)
{
    cr_assert_eq(category_count(db), 21);
    int lain = category_by_code(db, "LAIN");
    cr_assert_geq(lain, 0);
    cr_assert_str_eq(category_opd(db, lain), "DISKOMINFO");
    cr_assert_str_eq(category_name(db, category_by_code(db, "jln")), "Jalan dan jembatan rusak");
    cr_assert_str_eq(category_opd(db, category_by_code(db, "LST")), "DISKOMINFO");
    cr_assert_eq(category_by_code(db, "XYZ"), -1);
    cr_assert_eq(category_by_code(db, NULL), -1);
    cr_assert_null(category_code(db, -1));
    cr_assert_null(category_name(db, 21));
    cr_assert_null(category_opd(db, 21));
    cr_assert_eq(category_count(NULL), 0);
    category_free(NULL);
}

Test(category, every_category_has_an_office)
{
    for (int i = 0; i < category_count(db); i++)
        cr_assert_geq(opd_by_code(odb, category_opd(db, i)), 0, "%s: office %s not in opd.csv",
                      category_code(db, i), category_opd(db, i));
}

/* Each kata_kunci phrase of the file, alone, picks its own row. */
Test(category, every_phrase_finds_its_row)
{
    char path[512], line[1024];
    int phrases = 0;

    data_path(path, sizeof path, "kategori.csv");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *code = strtok(line, ",");
        strtok(NULL, ",");
        strtok(NULL, ",");
        char *list = strtok(NULL, ",");
        for (char *p = list ? strtok(list, ";") : NULL; p; p = strtok(NULL, ";")) {
            char text[128];
            snprintf(text, sizeof text, "tolong, %s sudah lama", p);
            expect(text, code);
            phrases++;
        }
    }
    fclose(f);
    cr_assert_geq(phrases, 400);
}

/* ---- realistic complaints ------------------------------------------------- */

Test(category, indonesian_complaints)
{
    static const char *const cases[][2] = {
        {"jalan rusak parah di depan SD, banyak lubang", "JLN"},
        {"Jalan di desa kami berlubang besar, sering terjadi kecelakaan", "JLN"},
        {"jembatan penghubung antar desa putus", "JLN"},
        {"aspal jalan mengelupas baru 3 bulan diperbaiki", "JLN"},
        {"lampu jalan mati sudah seminggu", "PJU"},
        {"Lampu PJU di perempatan mati total", "PJU"},
        {"mohon penerangan jalan di gang kami", "PJU"},
        {"KTP elektronik saya belum jadi padahal sudah 3 bulan", "ADM"},
        {"mau mengurus akta kelahiran anak, syaratnya apa", "ADM"},
        {"kartu keluarga saya salah nama", "ADM"},
        {"puskesmas tutup padahal jam kerja", "KES"},
        {"obat di puskesmas sering habis", "KES"},
        {"BPJS saya tidak bisa dipakai di rumah sakit", "RS"},
        {"anak saya belum dapat KIP", "PDD"},
        {"ada pungutan di sekolah untuk seragam", "PDD"},
        {"guru jarang masuk kelas", "PDD"},
        {"bansos belum cair sampai sekarang", "SOS"},
        {"nama saya tidak terdaftar di DTKS", "SOS"},
        {"PKH dihentikan tanpa alasan", "SOS"},
        {"sampah menumpuk di pinggir jalan", "LH"},
        {"bau limbah pabrik tahu menyengat", "LH"},
        {"banjir setinggi lutut di perumahan", "BEN"},
        {"tanah longsor menutup jalan desa", "BEN"},
        {"pohon tumbang menimpa rumah warga", "BEN"},
        {"rumah kebakaran butuh bantuan", "BEN"},
        {"izin usaha saya belum keluar", "IZN"},
        {"pengurusan PBG lama sekali", "IZN"},
        {"pantai kotor banyak sampah plastik", "LH"},
        {"tiket masuk curug mahal", "WIS"},
        {"parkir liar di alun-alun", "TRB"},
        {"PKL berjualan di trotoar", "TRB"},
        {"gaji buruh pabrik belum dibayar", "NKR"},
        {"saya kena PHK sepihak", "NKR"},
        {"listrik padam", "LST"},
        {"listrik padam sejak pagi belum menyala", "LST"},
        {"beli token listrik tidak masuk", "LST"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect(cases[i][0], cases[i][1]);
    expect("listrik padam", "LST");
    cr_assert_str_eq(category_opd(db, m.category), "DISKOMINFO");
}

Test(category, javanese_and_colloquial_complaints)
{
    static const char *const cases[][2] = {
        {"dalane bolong", "JLN"},
        {"dalane rusak parah pak", "JLN"},
        {"dalan rusak ra didandani", "JLN"},
        {"lampune mati kabeh", "PJU"},
        {"sampah numpuk bau", "LH"},
        {"sampahe numpuk mambu", "LH"},
        {"banjire tekan omah", "BEN"},
        {"omahku kebanjiran", "BEN"},
        {"wonge lara ora iso ning puskesmas", "KES"},
        {"bocahku durung oleh KIP", "PDD"},
        {"gajiku durung dibayar", "NKR"},
        {"listrike mati wis rong dino", "LST"},
        {"KTPne ilang", "ADM"},
        {"sekolahe njaluk pungutan", "PDD"},
        {"JALAN RUSAAAK PARAAAH", "JLN"},
        {"pohontumbang", "BEN"},
        {"ektp blm jadi", "ADM"},
        {"e ktp blm jadi", "ADM"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect(cases[i][0], cases[i][1]);
}

Test(category, typos)
{
    expect("jalan rusk", "JLN");
    expect("pukesmas tutup", "KES");
    expect("listrk padam", "LST");
    expect("jembtan putus", "JLN");
    expect("longsoor", "BEN");
    expect("sampha menumpuk", "LH");
    /* short words are never corrected */
    expect("ktm hilang", "LAIN");
    expect("pkk desa", "LAIN");
}

Test(category, ordinary_words_are_not_typos)
{
    expect("sampai sekarang belum ada tanggapan", "LAIN"); /* sampah */
    expect("pelayanan buruk sekali", "LAIN");              /* buruh */
    expect("di dalam rumah", "LAIN");                      /* dalan */
    expect("tidak usah dibalas", "LAIN");                  /* usaha */
    expect("asal jadi saja kerjanya", "NKR");              /* aspal: no; kerja: yes */
    expect("bidang tanah saya diserobot", "LAIN");         /* bidan */
    expect("mohon tanggapannya", "LAIN");                  /* pohon */
    expect("senang sekali", "LAIN");
}

Test(category, specific_phrase_wins)
{
    const char *t;

    /* two words beat one */
    t = "lampu jalan mati dekat puskesmas";
    expect(t, "PJU");
    expect_span(t, "lampu jalan mati");
    t = "jalan rusak dekat sekolah";
    expect(t, "JLN");
    expect_span(t, "jalan rusak");
    /* two subjects with the same evidence: no guess, triage decides
     * (CATEGORY_MARGIN); the letters of a word do not */
    expect("pohon tumbang, jalan rusak", "LAIN");
    expect("pohon tumbang, jalan rusak, banjir", "BEN");
    /* generic words lose to any specific one */
    expect("mohon bantuan, sampah menumpuk", "LH");
    expect("mohon bantuannya pak, lampu mati", "PJU");
    expect("kerja bakti bersihkan sampah", "LH");
    expect("tiket saya belum dijawab soal banjir", "BEN");
    /* ... and still decide alone */
    expect("mohon bantuan sembako", "SOS");
    /* the beach is a place named in passing (a side phrase); sampah and
     * wisata are one subject word each: a person decides */
    expect("sampah di pantai wisata", "LAIN");
    expect("pantai penuh sampah", "LH");
    expect("sampah penuh di pantai", "LH");
    int a = category_find(db, "sampah limbah", &m);
    cr_assert_eq(a, 0);
    int first = m.score;
    category_find(db, "limbah sampah", &m);
    cr_assert_eq(m.score, first, "order of words does not change the score");
}

/* Field fit: word forms, split phrases, side words, Javanese variants, the
 * offices residents name, the new rows, and the margin. */
Test(category, stems_and_affixes)
{
    expect("sampahe ora tau diangkut, nyampah neng kali", "LH");
    expect("jalane dipunaspal setengah", "JLN");
    expect("mohon got-e dibersihkan", "DRN");
    expect("selokane mampet", "DRN");
    expect("jembatane ambrol", "JLN");
    expect("kalenipun buntu", "DRN");
    expect("tolong diperbaiki jeglongane", "JLN");
    /* a prefix never makes an ordinary word a keyword: mati is not m- + ati */
    expect("mati", "LAIN");
}

Test(category, split_phrases_and_side_words)
{
    const char *t = "jalan depan SD rusak";
    expect(t, "JLN");
    expect_span(t, "jalan depan SD rusak");
    expect("jalan menuju SMP 2 rusak parah", "JLN");
    expect("lampu di gang kami mati", "PJU");
    expect("dalan cedhak masjid bolong", "JLN");
    /* the school alone is still the school */
    expect("sekolah anak saya minta uang gedung", "PDD");
    /* more than PHRASE_GAP words apart: not one phrase */
    expect("lampu di depan rumah pak RT kami mati", "PJU"); /* lampu alone (side) */
}

Test(category, javanese_variants)
{
    expect("margi risak sanget", "JLN");
    expect("toya mboten mili sampun 3 dinten", "AIR");
    expect("banyune ora mili wis seminggu", "AIR");
    expect("uwuh numpuk neng pinggir dalan", "LH");
    expect("lampu dalan ora murup", "PJU");
    expect("wit ambruk", "BEN");
    expect("omahe kobongan", "BEN");
}

Test(category, offices_by_name_are_not_words)
{
    expect("PDAM mati terus", "AIR"); /* not "padam" with a typo */
    expect("tolong DLH", "LH");
    expect("laporan buat dinkes", "KES");
    expect("ke disdik", "PDD");
    expect("dishub tolong", "LLN");
    expect("RSUD pelayanannya lama", "RS");
    expect("disperindag", "PSR");
}

Test(category, new_offices)
{
    expect("antrean IGD lama sekali", "RS");
    expect("atap pasar bocor", "PSR");
    expect("gas melon langka", "PSR");
    expect("air PDAM keruh", "AIR");
    expect("lampu merah perempatan mati", "LLN");
    expect("bangjo mati", "LLN");
    expect("makam umum tidak terawat", "MKM");
    expect("got mampet, banyu ngembeng", "DRN");
    expect("motor saya dicuri", "POL");
    expect("listrik padam", "LST");
}

Test(category, margin)
{
    /* sampah (LH) and jembatan (JLN), one subject word each: triage */
    expect("sampah jembatan", "LAIN");
    /* a second subject phrase of one side decides */
    expect("sampah jembatan numpuk, bau busuk", "LH");
    /* an office named weighs as two words */
    expect("nik saya tidak terdaftar bpjs, katanya harus ke dukcapil", "ADM");
}

Test(category, span)
{
    const char *t = "Assalamualaikum, mohon dicek jalan rusak di desa kami";
    expect(t, "JLN");
    expect_span(t, "jalan rusak");
    t = "tolong pohon   tumbang";
    expect(t, "BEN");
    expect_span(t, "pohon   tumbang");
}

Test(category, fallback)
{
    expect("halo apa kabar", "LAIN");
    expect("terima kasih", "LAIN");
    expect("", "LAIN");
    expect("   ...", "LAIN");
    expect("\xff\xfe\x80\x01", "LAIN");
    expect("k", "LAIN"); /* not KK */
    cr_assert_eq(category_find(db, NULL, &m), -1);
    cr_assert_str_eq(category_code(db, m.category), "LAIN");
    cr_assert_eq(category_find(NULL, "jalan rusak", &m), -1);
    cr_assert_eq(m.category, -1);
    /* past CATEGORY_TEXT_MAX nothing is read */
    char big[CATEGORY_TEXT_MAX + 32];
    memset(big, ' ', sizeof big);
    big[sizeof big - 1] = '\0';
    memcpy(big + CATEGORY_TEXT_MAX + 4, "banjir", 6);
    expect(big, "LAIN");
    memcpy(big + CATEGORY_TEXT_MAX - 6, "banjir", 6);
    expect(big, "BEN");
}

/* ---- offices --------------------------------------------------------------- */

static void expect_opd(const char *text, const char *code)
{
    int i = opd_find(odb, text);
    if (!code) {
        cr_assert_eq(i, -1, "\"%s\" -> %s, want none", text, opd_code(odb, i));
        return;
    }
    cr_assert_geq(i, 0, "\"%s\": none, want %s", text, code);
    cr_assert_str_eq(opd_code(odb, i), code, "\"%s\" -> %s, want %s", text, opd_code(odb, i), code);
}

Test(opd, rows_and_accessors)
{
    cr_assert_eq(opd_count(odb), 19);
    int i = opd_by_code(odb, "satpolpp");
    cr_assert_geq(i, 0);
    cr_assert_str_eq(opd_code(odb, i), "SATPOLPP");
    cr_assert_str_eq(opd_short(odb, i), "Satpol PP");
    cr_assert_str_eq(opd_name(odb, i), "Satuan Polisi Pamong Praja");
    cr_assert_str_eq(opd_handles(odb, i), "ketertiban umum; PKL");
    cr_assert_null(opd_code(odb, 19));
    cr_assert_null(opd_short(odb, -1));
    cr_assert_null(opd_name(odb, 19));
    cr_assert_eq(opd_by_code(odb, "NOPE"), -1);
    cr_assert_eq(opd_count(NULL), 0);
    opd_free(NULL);
}

Test(opd, every_code_short_and_full_name)
{
    char text[200];
    for (int i = 0; i < opd_count(odb); i++) {
        expect_opd(opd_code(odb, i), opd_code(odb, i));
        expect_opd(opd_short(odb, i), opd_code(odb, i));
        expect_opd(opd_name(odb, i), opd_code(odb, i));
        snprintf(text, sizeof text, "  %s  ", opd_short(odb, i));
        for (char *p = text; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        expect_opd(text, opd_code(odb, i));
    }
}

Test(opd, how_officials_type)
{
    expect_opd("DPUPR", "DPUPR");
    expect_opd("dpupr", "DPUPR");
    expect_opd("Disdukcapil", "DUKCAPIL");
    expect_opd("dukcapil", "DUKCAPIL");
    expect_opd("Satpol PP", "SATPOLPP");
    expect_opd("satpolpp", "SATPOLPP");
    expect_opd("SATPOL-PP", "SATPOLPP");
    expect_opd("satpol.pp", "SATPOLPP");
    expect_opd("rsud batang", "RSUD");
    expect_opd("rsud", "RSUD");
    expect_opd("DPUPR tolong dicek segera", "DPUPR");
    expect_opd("dinas kesehatan", "DINKES");
    /* one typo */
    expect_opd("disdukcapl", "DUKCAPIL");
    expect_opd("dinas kesehatn", "DINKES");
    expect_opd("diskomnfo", "DISKOMINFO");
    expect_opd("dpurp", "DPUPR");
    /* nothing, or too vague */
    expect_opd("", NULL);
    expect_opd(NULL, NULL);
    expect_opd("dinas", NULL);
    expect_opd("xyz", NULL);
    expect_opd("dlx", NULL); /* 3 letters: no typo */
    expect_opd("pak camat", NULL);
    cr_assert_eq(opd_find(NULL, "DPUPR"), -1);
}

Test(opd, typo_fitting_two_offices_is_refused)
{
    char path[] = "/tmp/kt_opd_XXXXXX", err[256];
    int fd = mkstemp(path);
    const char *csv = "kode,singkatan,nama,menangani\n"
                      "DINSOS,Dinsos,Dinas Sosial,bansos\n"
                      "DINKOS,Dinkos,Dinas Koperasi,koperasi\n";
    cr_assert_eq(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
    close(fd);
    struct opd_db *two = opd_load(path, err, sizeof err);
    unlink(path);
    cr_assert_not_null(two, "%s", err);
    cr_assert_eq(opd_find(two, "dinsos"), 0);
    cr_assert_eq(opd_find(two, "dinkos"), 1);
    cr_assert_eq(opd_find(two, "dinxos"), -1, "one typo from both");
    opd_free(two);
}

/* ---- loaders --------------------------------------------------------------- */

static char tmp_path[64];

static void write_tmp(const char *content)
{
    strcpy(tmp_path, "/tmp/kt_category_XXXXXX");
    int fd = mkstemp(tmp_path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
}

static void check_err(const char *err, const char *where, const char *want)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s%s", tmp_path, where);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "err \"%s\", want prefix \"%s\"", err,
              prefix);
    cr_assert(strstr(err, want), "err \"%s\", want \"%s\"", err, want);
    cr_assert_null(strchr(err, '\n'));
}

static void expect_category_error(const char *content, const char *where, const char *want)
{
    char err[256];
    write_tmp(content);
    struct category_db *bad = category_load(tmp_path, err, sizeof err);
    unlink(tmp_path);
    cr_assert_null(bad, "loaded: %s", content);
    check_err(err, where, want);
}

static void expect_opd_error(const char *content, const char *where, const char *want)
{
    char err[256];
    write_tmp(content);
    struct opd_db *bad = opd_load(tmp_path, err, sizeof err);
    unlink(tmp_path);
    cr_assert_null(bad, "loaded: %s", content);
    check_err(err, where, want);
}

#define CHDR "kode,kategori,opd,kata_kunci\n"
#define LAIN "LAIN,Lainnya,DISKOMINFO,\n"

Test(category, loader_errors)
{
    char err[256];

    cr_assert_null(category_load("/nonexistent/kategori.csv", err, sizeof err));
    cr_assert_str_eq(err, "/nonexistent/kategori.csv: No such file or directory");
    expect_category_error("kode,kategori,opd\n", ":1: ", "bad header");
    expect_category_error(CHDR "JLN,Jalan,DPUPR,jalan rusak\n", ": ", "no LAIN row");
    expect_category_error(CHDR "JLN,Jalan,DPUPR,jalan rusak,bolong\n" LAIN,
                          ":2: ", "5 fields, expected 4");
    expect_category_error(CHDR LAIN "JLN,Jalan,DPUPR\n", ":3: ", "3 fields, expected 4");
    expect_category_error(CHDR LAIN "JLN,\"Jalan\",DPUPR,x\n", ":3: ", "quotes");
    expect_category_error(CHDR LAIN "jln,Jalan,DPUPR,x\n", ":3: ", "bad kode");
    expect_category_error(CHDR LAIN "JLN,Jalan,dpupr,x\n", ":3: ", "bad opd");
    expect_category_error(CHDR LAIN "JLN,Jalan,DPUPR,x\nJLN,Jalan 2,DPUPR,y\n", ":4: ", "twice");
    expect_category_error(CHDR LAIN "JLN,Jalan,DPUPR,jalan;;bolong\n", ":3: ", "empty phrase");
    expect_category_error(CHDR LAIN "JLN,Jalan,DPUPR,jalan rusak parah sekali banget\n",
                          ":3: ", "more than 4 words");
    expect_category_error(CHDR LAIN "JLN,Jalan,DPUPR,bolong\nLH,Sampah,DLH,Bolong\n",
                          ":4: ", "also in category JLN");
    expect_category_error(CHDR LAIN "JLN,,DPUPR,bolong\n", ":3: ", "kategori empty");
    expect_category_error(CHDR LAIN "JLN,Jalan,DPUPR,'''\n", ":3: ", "bad word");
}

Test(opd, loader_errors)
{
    char err[256];

    cr_assert_null(opd_load("/nonexistent/opd.csv", err, sizeof err));
    cr_assert_str_eq(err, "/nonexistent/opd.csv: No such file or directory");
#define OHDR "kode,singkatan,nama,menangani\n"
    expect_opd_error("kode,singkatan,nama,menangani,x\n", ":1: ", "header has 5 fields");
    expect_opd_error(OHDR "DLH,DLH,Dinas Lingkungan Hidup,sampah,limbah\n",
                     ":2: ", "5 fields, expected 4");
    expect_opd_error(OHDR "DLH,DLH,Dinas Lingkungan Hidup,x\nDLH,Dlh2,Dinas Dua,y\n",
                     ":3: ", "twice");
    expect_opd_error(OHDR "DLH,DLH,Dinas Lingkungan Hidup,x\nDINLH,dlh,Dinas Dua,y\n",
                     ":3: ", "also names DLH");
    expect_opd_error(OHDR "DLH,,Dinas Lingkungan Hidup,x\n", ":2: ", "singkatan empty");
    expect_opd_error(OHDR, ": ", "no rows");
}

Test(category, small_file_with_crlf_and_spaces)
{
    char err[256];
    write_tmp(CHDR "JLN , Jalan , DPUPR , jalan rusak ; bolong \r\n" LAIN);
    struct category_db *small = category_load(tmp_path, err, sizeof err);
    unlink(tmp_path);
    cr_assert_not_null(small, "%s", err);
    cr_assert_eq(category_count(small), 2);
    cr_assert_str_eq(category_code(small, 0), "JLN");
    cr_assert_str_eq(category_name(small, 0), "Jalan");
    cr_assert_eq(category_find(small, "dalan bolong", &m), 0);
    cr_assert_eq(m.category, 0);
    cr_assert_eq(category_find(small, "sampah", &m), -1);
    cr_assert_eq(m.category, 1);
    category_free(small);
}
