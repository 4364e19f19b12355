/* urgency — recognising an emergency in a complaint (data/darurat.csv):
 * a flood, a landslide, a fire, a tree or a power line down, a missing or
 * drowned person, a storm or an earthquake.
 *
 *   1. At startup: db = urgency_load("data/darurat.csv", err, sizeof err);
 *      NULL means the file is unusable and err says why ("file:line: problem").
 *      The file has kategori.csv's shape (kode,kategori,opd,kata_kunci, a
 *      LAIN row required); opd is the office told at once (BPBD).
 *   2. Any thread: urgency_find(db, text, &m) is 1 for an emergency; m.kind
 *      indexes urgency_code/urgency_name/urgency_opd. Pure, read-only after
 *      load, nothing allocated per call.
 *   3. At exit: urgency_free(db) (NULL is a no-op).
 *
 * The words are matched like categories (category.h: word forms, typos,
 * split phrases), any row counts (no margin: a flood that is also a
 * landslide is still an emergency). An emergency word with a negation or a
 * condition among the URGENCY_NEGATION_WORDS words before it ("bukan
 * banjir", "ora kebanjiran", "kalau hujan pasti banjir", "agar tidak
 * longsor") does not count; the rest of the message is still read. */
#ifndef KT_URGENCY_H
#define KT_URGENCY_H

#include <stddef.h>

#define URGENCY_NEGATION_WORDS 3 /* words before an emergency word checked for "bukan" ... */
#define URGENCY_TRIES          8 /* emergency words of one message looked at */

struct urgency_db;

struct urgency_match {
    int kind;          /* row index; -1 when not urgent */
    size_t start, end; /* bytes of text of the deciding phrase; 0, 0 when not urgent */
};

struct urgency_db *urgency_load(const char *path, char *err, size_t errlen);
void urgency_free(struct urgency_db *db);

/* 1 urgent (m filled), 0 not (m->kind -1); text may be NULL. */
int urgency_find(const struct urgency_db *db, const char *text, struct urgency_match *m);

/* NULL for an index out of range. */
const char *urgency_code(const struct urgency_db *db, int kind);
const char *urgency_name(const struct urgency_db *db, int kind);
const char *urgency_opd(const struct urgency_db *db, int kind);

#endif
