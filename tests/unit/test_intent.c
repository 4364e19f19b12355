/*
 * Unit tests for handlers/lexicon: data/lexicon.csv loads and a bad line is reported with its
 * line number; intent_of reads what residents actually write (status questions around a
 * ticket, keywords anywhere, respelled keywords, Javanese opt-outs and dissatisfaction) and
 * keeps the traps safe (STOP inside a complaint, thanks, operator senders, short numbers);
 * TOLONG is help only alone, an emergency is filed at once, "how do I report" is INFO, and
 * the short forms of PUAS, TIDAK PUAS and thanks.
 * Run from the repo root or with $KT_ROOT.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers/lexicon.h"
#include "handlers/region.h"
#include "handlers/ticket.h"

static struct lexicon *lx;
static struct region_db *rg;
static struct intent_result r;

static void data_path(char *buf, size_t len, const char *file)
{
    const char *root = getenv("KT_ROOT");
    snprintf(buf, len, "%s/data/%s", root && *root ? root : ".", file);
}

static void setup(void)
{
    char path[512], err[256];
    data_path(path, sizeof path, "lexicon.csv");
    lx = lexicon_load(path, err, sizeof err);
    cr_assert_not_null(lx, "lexicon_load: %s", err);
    data_path(path, sizeof path, "batang-wilayah.csv");
    rg = region_load(path, err, sizeof err);
    cr_assert_not_null(rg, "region_load: %s", err);
}

static void teardown(void)
{
    lexicon_free(lx);
    region_free(rg);
}

TestSuite(intent, .init = setup, .fini = teardown);

static enum intent of(const char *text)
{
    return intent_of(lx, rg, "6281234567890", text, &r);
}

static const char *kw_name(void)
{
    return r.match.keyword ? r.match.keyword->name : "(none)";
}

/* A valid ticket (seq 1 = 100014) and one with a wrong check digit. */
#define T1  "100014"
#define BAD "100015"

Test(intent, status_with_words_around_the_number)
{
    const char *texts[] = {
        "CEK tiket " T1,
        "cek nomer tiket " T1,
        "cek laporan " T1,
        "piye kabare laporanku " T1,
        "Pak, laporan saya " T1 " sudah sampai mana?",
        "pripun " T1,
        "progres " T1 " min",
        "status tiket " T1,
        "nyuwun sewu, tiket " T1 " sampun dumugi pundi",
        "laporan " T1,
        T1 " gimana pak",
        "assalamualaikum, info tiket " T1 " sudah sampai mana",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        cr_expect_eq(of(texts[i]), INTENT_STATUS, "%s: %s", texts[i], intent_name(r.intent));
        cr_expect_str_eq(kw_name(), "CEK", "%s", texts[i]);
        cr_expect(strncmp(r.match.args, T1, 6) == 0, "%s: args '%s'", texts[i], r.match.args);
    }
}

Test(intent, ticket_in_groups_and_the_verb_lapor)
{
    cr_expect_eq(of("CEK 100 014"), INTENT_STATUS);
    cr_expect_str_eq(r.match.args, T1, "the groups joined");
    cr_expect_eq(of("LAPOR " T1 " jalan rusak"), INTENT_COMPLAINT,
                 "the verb with a ticket is a complaint");
    cr_expect_eq(of("laporan " T1 " piye"), INTENT_STATUS);
}

Test(intent, filler_is_never_looked_up)
{
    cr_expect_eq(of("CEK tiket"), INTENT_STATUS);
    cr_expect_str_eq(r.match.args, "", "a filler alone leaves nothing to look up");
    of("CEK nomor tiket " BAD);
    cr_expect_str_eq(r.match.args, BAD, "the number is looked up (and refused), not 'nomor'");
}

Test(intent, wrong_check_digit_and_short_numbers_are_not_status)
{
    cr_expect_neq(of("piye kabare " BAD), INTENT_STATUS, "wrong check digit");
    cr_expect_eq(r.seq, 0);
    cr_expect_neq(of("12"), INTENT_STATUS, "a bare short number is no ticket lookup");
    cr_expect_null(r.match.keyword);
    cr_expect_neq(of("5 rumah terendam banjir sudah sampai mana"), INTENT_STATUS);
    /* a 6-digit bare number still gets a lookup (and "wrong number" for a typo) */
    cr_expect_eq(of(BAD), INTENT_STATUS);
    cr_expect_eq(of("0812345678 sampai mana"), INTENT_NONE, "a phone number is not a ticket");
}

Test(intent, keyword_anywhere)
{
    struct {
        const char *text;
        enum intent in;
    } cases[] = {
        {"jalan di desa Kalisalak rusak parah, mohon dilaporkan", INTENT_COMPLAINT},
        {"kulo Budi dari desa Tragung, lapor jalan rusak", INTENT_COMPLAINT},
        {"aku arep lapor dalan bolong neng Kandeman", INTENT_COMPLAINT},
        {"kula badhe matur, lampu PJU ing Sidorejo pejah", INTENT_COMPLAINT},
        {"nyuwun sewu, kula badhe ngaturaken pengaduan babagan sampah", INTENT_COMPLAINT},
        {"mau ngadu min, sampah numpuk di pasar", INTENT_COMPLAINT},
        {"pengen lapor jalan rusak", INTENT_COMPLAINT},
        {"saya ingin melaporkan jembatan putus", INTENT_COMPLAINT},
        {"I want to make a complaint about the road", INTENT_COMPLAINT},
        {"jalan rusak di Kalisalak LAPOR", INTENT_COMPLAINT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(of(cases[i].text), cases[i].in, "%s: %s", cases[i].text,
                     intent_name(r.intent));
        cr_expect_str_eq(kw_name(), "LAPOR", "%s", cases[i].text);
        cr_expect(strlen(r.match.args) > 5, "%s: args '%s'", cases[i].text, r.match.args);
    }
    of("kulo Budi dari desa Tragung, lapor jalan rusak");
    cr_expect_eq(r.place_kind, REGION_DESA, "the place is read from the complaint");
}

Test(intent, likely_complaint_asks)
{
    cr_expect_eq(of("jalan depan balai desa rusak parah berlubang"), INTENT_COMPLAINT_LIKELY);
    cr_expect_str_eq(kw_name(), "LAPOR");
    cr_expect_eq(of("lampu jalan di desa Kalisalak kec Batang"), INTENT_COMPLAINT_LIKELY,
                 "a place named in a longer text");
    cr_expect_eq(of("halo pak"), INTENT_NONE);
    cr_expect_eq(of("apa kabar"), INTENT_NONE);
}

Test(intent, respelled_keywords)
{
    struct {
        const char *text, *kw;
    } cases[] = {
        {"L4P0R jalan rusak", "LAPOR"},
        {"1NF0", "INFO"},
        {"LAPORjalan rusak", "LAPOR"},
        {"INFOsekolah", "INFO"},
        {"laporjalan rusak", "LAPOR"},
        {"LPR jalan", "LAPOR"},
        {"STS " T1, "CEK"},
        {"BRHNTI", "BERHENTI"},
        {"DFTR Kalisalak", "DAFTAR"},
        {"pak, brhnti", "BERHENTI"},
        {"D4FT4R Kalisalak", "DAFTAR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        of(cases[i].text);
        cr_expect_str_eq(kw_name(), cases[i].kw, "%s: %s", cases[i].text, intent_name(r.intent));
    }
    of("LAPORjalan rusak");
    cr_expect_str_eq(r.match.args, "jalan rusak");
}

/* Every vowel-less form of a keyword belongs to one row, and none is another row's spelling. */
Test(intent, abbreviations_do_not_collide)
{
    const char *rows[] = {"LAPOR", "CEK", "DAFTAR", "BERHENTI", "MENU", "INFO", NULL};
    int seen = 0;
    for (const char **rn = rows; *rn; rn++) {
        const struct keyword *kw = kw_find(*rn);
        cr_assert_not_null(kw);
        const char *const *al = kw->aliases;
        for (const char *sp = kw->name; sp; sp = (al && *al) ? *al++ : NULL) {
            char skel[KW_WORD_MAX + 1];
            if (strchr(sp, ' ') || intent_skeleton(sp, skel) == 0)
                continue;
            const struct keyword *a = intent_abbreviation(skel, strlen(skel));
            cr_expect(a == NULL || a == kw, "%s (%s) -> %s", skel, sp, a ? a->name : "-");
            if (a == NULL)
                continue;
            seen++;
            struct kw_match m;
            if (kw_parse(skel, &m) == 0)
                cr_expect_eq(m.keyword, kw, "%s is the keyword %s", skel, m.keyword->name);
        }
    }
    cr_expect_gt(seen, 10);
    cr_expect_null(intent_abbreviation("jln", 3), "jln is jalan, not a keyword");
    cr_expect_null(intent_abbreviation("yg", 2));
}

Test(intent, javanese_optout_and_dissatisfaction)
{
    const char *stop[] = {"ampun dikirimi malih",
                          "mandheg",
                          "ora usah ngirim maneh",
                          "nuwun sewu, sampun ngintun sms malih nggih",
                          "BERHENTI",
                          "stop",
                          "wis ojo dikirimi sms maneh",
                          "aja ngirim sms maneh",
                          "sampun, mboten usah dikirimi sms malih",
                          "saya tidak mau terima info lagi"};
    for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++) {
        cr_expect_eq(of(stop[i]), INTENT_OPTOUT, "%s: %s", stop[i], intent_name(r.intent));
        cr_expect_str_eq(kw_name(), "BERHENTI", "%s", stop[i]);
    }
    const char *unhappy[] = {"ora puas", "mboten marem", "kurang marem", "kula mboten marem pak",
                             "tiket " T1 " ora puas, dalane durung didandani"};
    for (size_t i = 0; i < sizeof unhappy / sizeof unhappy[0]; i++) {
        cr_expect_eq(of(unhappy[i]), INTENT_DISSATISFIED, "%s: %s", unhappy[i],
                     intent_name(r.intent));
        cr_expect_str_eq(kw_name(), "TIDAK PUAS", "%s", unhappy[i]);
    }
    of("tiket " T1 " ora puas, dalane durung didandani");
    cr_expect(strncmp(r.match.args, T1 " ", 7) == 0, "ticket first: '%s'", r.match.args);
}

Test(intent, traps_stay_safe)
{
    cr_expect_eq(of("LAPOR proyek jalan di Kalisalak STOP sejak bulan lalu"), INTENT_COMPLAINT);
    cr_expect_neq(of("jalan rusak di desa Kalisalak, tolong STOP truk besar lewat"), INTENT_OPTOUT);
    cr_expect_neq(of("stopkontak di balai desa rusak"), INTENT_OPTOUT);
    cr_expect_neq(of("proyek jembatan mandheg sudah tiga bulan di desa Kalisalak"), INTENT_OPTOUT);
    const char *thanks[] = {"matur nuwun", "makasih pak", "terima kasih", "Terima kasih banyak bu"};
    for (size_t i = 0; i < sizeof thanks / sizeof thanks[0]; i++) {
        cr_expect_eq(of(thanks[i]), INTENT_THANKS, "%s: %s", thanks[i], intent_name(r.intent));
        cr_expect_null(r.match.keyword, "thanks are not TERIMA");
    }
    cr_expect_eq(intent_of(lx, rg, "TELKOMSEL", "LAPOR jalan rusak", &r), INTENT_SILENT);
    cr_expect_eq(intent_of(lx, rg, "3636", "info promo", &r), INTENT_SILENT);
    cr_expect_null(r.match.keyword);
}

/* TOLONG is INFO only when nothing else in the message is understood. */
Test(intent, plea_is_help_only_alone)
{
    cr_expect_eq(of("tolong"), INTENT_COMMAND);
    cr_expect_str_eq(kw_name(), "INFO", "a bare plea asks for help");
    cr_expect_eq(of("tolong pak"), INTENT_COMMAND);
    cr_expect_str_eq(kw_name(), "INFO", "a plea with a title only");
    cr_expect(r.match.args >= r.match.buf && r.match.args < r.match.buf + sizeof r.match.buf,
              "args point into the result's own text");
    cr_expect_str_eq(r.match.args, "pak", "INFO's args, as kw_parse set them");
    cr_expect_eq(of("tolong, gudang sebelah masjid kebakaran"), INTENT_COMPLAINT, "%s",
                 intent_name(r.intent));
    cr_expect_str_eq(kw_name(), "LAPOR");
    cr_expect(strstr(r.match.args, "kebakaran") != NULL, "the whole text: '%s'", r.match.args);
    cr_expect_eq(of("tulung, kali meluap banjir tekan dalan"), INTENT_COMPLAINT, "%s",
                 intent_name(r.intent));
    cr_expect_eq(of("tolong pak jalan di desa Kalisalak rusak parah"), INTENT_COMPLAINT_LIKELY,
                 "a plea before an ordinary complaint asks first: %s", intent_name(r.intent));
    cr_expect_eq(of("tolong jangan kirim sms lagi ke nomor saya"), INTENT_OPTOUT, "%s",
                 intent_name(r.intent));
    cr_expect_eq(of("tolong cek " T1), INTENT_STATUS, "a keyword after the plea still decides");
}

/* An emergency word is a complaint filed at once, never asked first, unless taken back. */
Test(intent, emergency_is_filed_at_once)
{
    const char *urgent[] = {
        "KEBAKARAN!! gudang pak lurah terbakar",
        "wong ilang neng alas durung bali",
        "pak, omah kena longsor",
        "bocah kelelep neng kali",
        "pohon tumbang menutup jalan",
        "banjir masuk rumah",
    };
    for (size_t i = 0; i < sizeof urgent / sizeof urgent[0]; i++) {
        cr_expect_eq(of(urgent[i]), INTENT_COMPLAINT, "%s: %s", urgent[i], intent_name(r.intent));
        cr_expect_str_eq(kw_name(), "LAPOR", "%s", urgent[i]);
    }
    cr_expect_neq(of("bukan banjir, selokan di desa Kalisalak mampet"), INTENT_COMPLAINT,
                  "taken back: %s", intent_name(r.intent));
    cr_expect_eq(of("bukan banjir, tapi longsor di desa Kalisalak"), INTENT_COMPLAINT,
                 "a negation reaches no further than its clause: %s", intent_name(r.intent));
    cr_expect_eq(of("kalau hujan pasti banjir, saluran di desa Kalisalak buntu"),
                 INTENT_COMPLAINT_LIKELY, "a condition is no emergency: %s", intent_name(r.intent));
    cr_expect_eq(of("laporan banjir " T1 " sudah sampai mana"), INTENT_STATUS,
                 "a status question about an emergency is still a status question");
    cr_expect_neq(of("kebakaran"), INTENT_COMPLAINT, "one word is too little to file");
}

Test(intent, status_questions_in_free_text)
{
    const char *texts[] = {
        "kapan tiket " T1 " selesai?",        "laporan " T1 " bagaimana kelanjutannya",
        "nomorku " T1 ", tolong dicek",       "piye laporanku " T1,
        "laporan " T1 " kok belum ada kabar", "tiket " T1 " wis ditindaklanjuti durung",
        "nyuwun pirsa laporan kula " T1,
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        cr_expect_eq(of(texts[i]), INTENT_STATUS, "%s: %s", texts[i], intent_name(r.intent));
        cr_expect(strncmp(r.match.args, T1, 6) == 0, "%s: args '%s'", texts[i], r.match.args);
    }
    cr_expect_neq(of("kapan " BAD " selesai"), INTENT_STATUS, "wrong check digit");
    cr_expect_neq(of("kapan 12 diperbaiki"), INTENT_STATUS, "a short number is no ticket");
    cr_expect_neq(of("kapan jalan di desa Kalisalak diperbaiki"), INTENT_STATUS, "no ticket");
}

Test(intent, how_to_report_is_info)
{
    const char *texts[] = {"cara lapor gimana?", "piye carane lapor", "ini nomor apa ya?",
                           "mas, carane wadul piye"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        cr_expect_eq(of(texts[i]), INTENT_COMMAND, "%s: %s", texts[i], intent_name(r.intent));
        cr_expect_str_eq(kw_name(), "INFO", "%s", texts[i]);
    }
    cr_expect_eq(of("LAPOR KTP saya hilang, caranya gimana"), INTENT_COMPLAINT,
                 "the keyword first is a complaint");
    cr_expect_eq(of("cara lapor jalan rusak di desa Kalisalak yang sudah lama berlubang"),
                 INTENT_COMPLAINT, "a long text is a complaint: %s", intent_name(r.intent));
    cr_expect_neq(of("cara lapor kebakaran?"), INTENT_COMMAND, "an emergency is never a question");
}

Test(intent, satisfied_and_thanks_short_forms)
{
    const char *happy[] = {"puas", "marem pak", "Alhamdulillah sudah beres, puas",
                           "sampun sae, matur nuwun, marem"};
    for (size_t i = 0; i < sizeof happy / sizeof happy[0]; i++) {
        cr_expect_eq(of(happy[i]), INTENT_COMMAND, "%s: %s", happy[i], intent_name(r.intent));
        cr_expect_str_eq(kw_name(), "PUAS", "%s", happy[i]);
    }
    of("tiket " T1 " puas");
    cr_expect(strncmp(r.match.args, T1, 6) == 0, "ticket first: '%s'", r.match.args);
    const char *unhappy[] = {"ga puas", "kecewa, katanya selesai tapi belum dikerjakan",
                             "tdk puas blm selesai"};
    for (size_t i = 0; i < sizeof unhappy / sizeof unhappy[0]; i++) {
        cr_expect_eq(of(unhappy[i]), INTENT_DISSATISFIED, "%s: %s", unhappy[i],
                     intent_name(r.intent));
        cr_expect_str_eq(kw_name(), "TIDAK PUAS", "%s", unhappy[i]);
    }
    cr_expect_neq(
        of("warga puas kemarin tapi sekarang jalan rusak lagi dan berlubang di mana-mana"),
        INTENT_COMMAND, "a long complaint that says puas is no PUAS");
    const char *thanks[] = {"tq", "oke siap pak", "thx bu"};
    for (size_t i = 0; i < sizeof thanks / sizeof thanks[0]; i++) {
        cr_expect_eq(of(thanks[i]), INTENT_THANKS, "%s: %s", thanks[i], intent_name(r.intent));
        cr_expect_null(r.match.keyword, "thanks are not TERIMA");
    }
}

Test(intent, junk_never_crashes)
{
    char big[4000];
    memset(big, '4', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    of(big);
    of(NULL);
    of("");
    of("\xff\xfe\x80 L4P0R \xc3");
    cr_expect_eq(intent_of(NULL, NULL, NULL, "LAPOR jalan", &r), INTENT_COMPLAINT);
}

static int load_text(const char *content, char *err, size_t errlen)
{
    char path[] = "/tmp/kt-lexicon-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(content, f);
    fclose(f);
    struct lexicon *l = lexicon_load(path, err, errlen);
    unlink(path);
    int ok = l != NULL;
    lexicon_free(l);
    return ok;
}

Test(intent, bad_lines_named)
{
    char err[256];
    cr_expect(load_text("jenis,bahasa,frasa,arti\nniat,id,mau lapor,LAPOR\n", err, sizeof err));
    cr_expect_not(load_text("jenis,bahasa,frasa,arti\nniat,id,mau lapor,LAPOR\nbogus,id,x,-\n", err,
                            sizeof err));
    cr_expect(strstr(err, ":3: unknown jenis") != NULL, "%s", err);
    cr_expect_not(
        load_text("jenis,bahasa,frasa,arti\nniat,id,mau lapor,TERIMA\n", err, sizeof err));
    cr_expect(strstr(err, ":2: arti") != NULL, "officials' keyword refused: %s", err);
    cr_expect_not(load_text("jenis,bahasa,frasa,arti\nberhenti,id,stop,-\nberhenti,en,STOP,-\n",
                            err, sizeof err));
    cr_expect(strstr(err, ":3:") && strstr(err, "twice"), "%s", err);
    cr_expect_not(load_text("jenis,bahasa,frasa,arti\npengisi,id,tiket,CEK\n", err, sizeof err));
    cr_expect_not(
        load_text("jenis,bahasa,frasa,arti\nsalam,id,a b c d e f g,-\n", err, sizeof err));
    cr_expect(strstr(err, ":2:") != NULL, "%s", err);
    cr_expect_not(load_text("jenis,bahasa\n", err, sizeof err));
}

#include "handlers/complaint.h"

/* The confirmation names the place and how to correct it, in one SMS, even with the
 * longest names of Batang and a long office name. */
Test(intent, confirmation_fits_one_sms)
{
    char out[480];
    confirmation_text(out, sizeof out, "1000017", "DPUPR", NULL, "Sen 14 Des 2026", "Kalisalak",
                      "Batang");
    cr_expect(strstr(out, "Ds Kalisalak, Kec Batang") && strstr(out, "LOKASI 1000017 <desa>") &&
                  strstr(out, "CEK 1000017") && strstr(out, "diteruskan ke DPUPR"),
              "%s", out);
    cr_expect_leq(strlen(out), 160, "%s", out);
    confirmation_text(out, sizeof out, "1234567890", "Dinas Pertanahan", NULL, "Rab 30 Des 2026",
                      "Proyonanggan Selatan", "Wonotunggal");
    cr_expect_leq(strlen(out), 160, "%zu: %s", strlen(out), out);
    cr_expect(strstr(out, "LOKASI 1234567890") && strstr(out, "Kec "), "%s", out);
    confirmation_text(out, sizeof out, "1000017", NULL, NULL, "Sen 14 Des 2026", "", "");
    cr_expect(strstr(out, "Lokasi belum jelas") && strstr(out, "LOKASI 1000017"), "%s", out);
    cr_expect_leq(strlen(out), 160, "%s", out);
    confirmation_text(out, sizeof out, "1000017", NULL, NULL, "Sen 14 Des 2026", "", "Limpung");
    cr_expect(strstr(out, "Lokasi: Kec Limpung") != NULL, "%s", out);
    /* triage says who looks at it */
    confirmation_text(out, sizeof out, "1000017", NULL, "DISKOMINFO", "Sen 14 Des 2026",
                      "Kalisalak", "Batang");
    cr_expect(strstr(out, "DISKOMINFO meneruskan") && strstr(out, "Ds Kalisa"), "%s", out);
    cr_expect_leq(strlen(out), 160, "%s", out);
}

/* A kecamatan named without "kec" is still found in a complaint. */
Test(intent, kecamatan_without_prefix)
{
    const char *texts[] = {"LAPOR jalan rusak di Limpung", "LAPOR lampu mati di Tersono",
                           "LAPOR sampah numpuk di Wonotunggal", "LAPOR jalan ambrol Reban"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        cr_expect_eq(of(texts[i]), INTENT_COMPLAINT, "%s", texts[i]);
        cr_expect(r.place_kind == REGION_KECAMATAN || r.place_kind == REGION_DESA, "%s: %d",
                  texts[i], r.place_kind);
        cr_expect_geq(r.kecamatan, 0, "%s", texts[i]);
    }
}
