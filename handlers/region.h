/* region — the kecamatan and desa/kelurahan of Batang, and finding the one a
 * message names.
 *
 *   1. At startup: db = region_load("data/batang-wilayah.csv", err, sizeof err);
 *      NULL means the file is unusable and err says why ("file:line: problem").
 *   2. Any thread, any time: region_find(db, text, &m). The db is read-only
 *      after load; region_find allocates nothing (about 20 KB of stack).
 *   3. At exit: region_free(db) (NULL is a no-op). Names returned by the
 *      accessors live as long as db.
 *
 * What region_find recognises (details and reasons at the top of region.c):
 *   - names compared by key: case, repeated letters and apostrophes ignored;
 *     multi-word names also glued ("Selopajangbarat") and one-word names also
 *     split ("Kali Salak"); Javanese and Indonesian directions are one
 *     ("Klidang Timur" = Klidang Wetan); the first word of a multi-word name
 *     alone ("desa Proyonanggan") stands for all of them;
 *   - prefixes: "desa ds kel kelurahan kades lurah" make the name a desa,
 *     "kec kecamatan camat" a kecamatan, also glued ("kecbatang");
 *     "kab kabupaten kota", titles (pak, bu, mbah, ...) and places below a desa
 *     (dukuh, dusun, rt, rw, gang, perum) make the next name NOT ours;
 *   - one typo for names of 6+ letters, only where a typo cannot take an
 *     ordinary word for a place: after a desa/kec prefix, next to a matching
 *     kecamatan, or in a text that names nothing but a place; never for a
 *     word of tm_common_word() ("sedang", "datang", "kosong");
 *   - false positives: a name that is an ordinary word or another well-known
 *     place (Batang, Bawang, Bandar, Sendang, Candi, Tembok, Pesantren,
 *     Kebumen, Depok, Bandung, ...) or is matched split, partly or with a
 *     typo counts only with a desa/kec prefix, next to a kecamatan that
 *     contains it ("Sendang Wonotunggal", "Kalisalak Batang"), or when the
 *     whole text is a place (a DAFTAR argument: "Bandar", "Kalisalak Batang").
 *     "di" alone is not enough ("di pesantren", "di candi", "di bandung");
 *   - repeated names resolved by a kecamatan named next to them or with
 *     "kec" anywhere; unresolved, or a name that is a kecamatan and a desa
 *     ("Bawang", "Bandar"), or two different places named: REGION_AMBIGUOUS
 *     with the candidates. Never a guess.
 * Only the first REGION_TEXT_MAX bytes and REGION_WORDS_MAX words are read. */
#ifndef KT_REGION_H
#define KT_REGION_H

#include <stddef.h>

#define REGION_DESA_MAX       1000 /* rows in the file */
#define REGION_KECAMATAN_MAX  64
#define REGION_NAME_MAX       64 /* bytes in a name */
#define REGION_CODE_MAX       32 /* bytes in a kode */
#define REGION_CANDIDATES_MAX 8
#define REGION_TEXT_MAX       2048
#define REGION_WORDS_MAX      256

struct region_db;

enum region_kind { REGION_NONE, REGION_DESA, REGION_KECAMATAN, REGION_AMBIGUOUS };

struct region_match {
    enum region_kind kind;
    /* DESA: the desa and its kecamatan. KECAMATAN: desa -1. AMBIGUOUS: desa
     * -1, kecamatan set when every candidate lies in that one kecamatan
     * ("Bandar": kec Bandar or desa Bandar of kec Bandar), else -1. NONE: -1. */
    int desa;
    int kecamatan;
    /* AMBIGUOUS only: the places it may be, in order of mention, kecamatan
     * before desa; candidate_kind[i] is REGION_DESA or REGION_KECAMATAN and
     * says which index space candidates[i] is in. More than
     * REGION_CANDIDATES_MAX candidates is reported as NONE. */
    int candidates[REGION_CANDIDATES_MAX];
    enum region_kind candidate_kind[REGION_CANDIDATES_MAX];
    int ncandidates;
    /* bytes of text from the first to the last word that named the place,
     * prefixes included ("desa Kalisalak kec. Batang"); 0, 0 for NONE */
    size_t start, end;
};

/* Reads a CSV with the header kode,kecamatan,nama,jenis (jenis: desa or
 * kelurahan). Returns the db, or NULL with a one-line reason in err. */
struct region_db *region_load(const char *path, char *err, size_t errlen);
void region_free(struct region_db *db);

/* Finds the place text names (text may be NULL, empty, invalid UTF-8). Always
 * fills m. Returns 0 when m->kind is not REGION_NONE, else -1. */
int region_find(const struct region_db *db, const char *text, struct region_match *m);

int region_desa_count(const struct region_db *db);
int region_kecamatan_count(const struct region_db *db);
/* Accessors return NULL (or -1) for an index out of range. */
const char *region_desa_name(const struct region_db *db, int desa);
const char *region_desa_code(const struct region_db *db, int desa);
const char *region_desa_jenis(const struct region_db *db, int desa); /* "desa", "kelurahan" */
int region_desa_kecamatan(const struct region_db *db, int desa);
const char *region_kecamatan_name(const struct region_db *db, int kecamatan);
/* The kode of a kecamatan ("33.25.11"): its desa codes without the last
 * part (the index as text when it has no desa). */
void region_kecamatan_code(const struct region_db *db, int kecamatan, char *out, size_t len);
/* Index of the desa with this kode (exact), -1 if none. */
int region_desa_by_code(const struct region_db *db, const char *code);

#endif
