/* category — complaint categories and the words that suggest them
 * (data/kategori.csv), and picking the category of a complaint.
 *
 *   1. At startup: db = category_load("data/kategori.csv", err, sizeof err);
 *      NULL means the file is unusable and err says why ("file:line: problem").
 *   2. Any thread: category_find(db, text, &m); m.category indexes the
 *      accessors; category_opd() is the code of the office that handles it
 *      (look it up with opd_by_code, handlers/opd.h). Read-only after load,
 *      nothing allocated per call.
 *   3. At exit: category_free(db) (NULL is a no-op).
 *
 * Matching (details at the top of category.c): each kata_kunci phrase
 * ("jalan rusak", "e-ktp", "pohon tumbang") is matched as whole words in
 * order, with up to 3 other words between two of them ("jalan depan SD
 * rusak"), also glued ("pohontumbang"); words compare by key (case, repeated
 * letters, apostrophes ignored: "rusaaak"); a word may carry an Indonesian or
 * Javanese suffix (-nya -ne -e -an -ku -mu -ipun -kan -ake -aken -ke -i:
 * "dalane", "sampahe", "dibersihkan"), a prefix (di- dipun- ter- ke- me- and
 * the nasal forms mem- men- meng- meny- nge- ng- ny- m- n-: "nyampah",
 * "ndandani") or the ke-...-an frame ("kebanjiran"); one typo per phrase in
 * a word of 5+ letters, never turning an ordinary word into a keyword
 * ("sampai" is not "sampah"). A phrase written "~phrase" in the file is a
 * side phrase: a landmark, a cause or a generic word ("~sekolah" in the
 * roads row, "~bantuan"); "!phrase" is an office's name or abbreviation
 * ("!dukcapil", "!pdam"), weighed as a two-word phrase: a resident who names
 * the office knows where it goes. A category scores:
 *     its best phrase: 1000 x words (0 for a side phrase, 2 for an office) + 10 x letters of
 *     its key + 5 if exact (no typo, no affix, no gap)
 *     + 100 per other (non-side) phrase of the category found, up to 4.
 * The best category decides when it leads the next by CATEGORY_MARGIN or
 * more; else, like when nothing is found, the LAIN row (triage), score 0. */
#ifndef KT_CATEGORY_H
#define KT_CATEGORY_H

#include <stddef.h>

#define CATEGORY_MAX         100  /* rows */
#define CATEGORY_PHRASES_MAX 1000 /* kata_kunci phrases in all */
#define CATEGORY_CODE_MAX    16   /* bytes in kode and opd */
#define CATEGORY_NAME_MAX    64   /* bytes in kategori */
#define CATEGORY_PHRASE_MAX  64   /* bytes in one phrase */
#define CATEGORY_FALLBACK    "LAIN"
#define CATEGORY_TEXT_MAX    2048 /* bytes of a message looked at */
#define CATEGORY_WORDS_MAX   256  /* words of a message looked at */
#define CATEGORY_MARGIN      100  /* lead over the next category needed to decide */

struct category_db;

struct category_match {
    int category;      /* index; the LAIN row when nothing matched */
    int score;         /* see above; 0 for the fallback */
    size_t start, end; /* bytes of text of the deciding phrase; 0, 0 for the fallback */
};

/* Reads a CSV with the header kode,kategori,opd,kata_kunci (phrases separated
 * by ';'); a row with kode LAIN is required. Returns the db or NULL with a
 * one-line reason in err. */
struct category_db *category_load(const char *path, char *err, size_t errlen);
void category_free(struct category_db *db);

/* Always fills m. Returns 0 when a phrase matched, -1 for the fallback (text
 * may be NULL, empty or junk). */
int category_find(const struct category_db *db, const char *text, struct category_match *m);

/* As category_find, without the margin: the best category decides however
 * close the next one is (a list whose rows all lead to one answer, such as
 * data/darurat.csv: a flood and a landslide are both an emergency). */
int category_find_any(const struct category_db *db, const char *text, struct category_match *m);

int category_count(const struct category_db *db);
/* NULL for an index out of range. */
const char *category_code(const struct category_db *db, int category);
const char *category_name(const struct category_db *db, int category);
const char *category_opd(const struct category_db *db, int category);
/* Index of the row with this kode (ASCII case-insensitive), -1 if none. */
int category_by_code(const struct category_db *db, const char *code);

#endif
