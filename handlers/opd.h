/* opd — the regency's offices (OPD, organisasi perangkat daerah) from
 * data/opd.csv, and recognising the one an official names.
 *
 *   1. At startup: db = opd_load("data/opd.csv", err, sizeof err); NULL
 *      means the file is unusable and err says why ("file:line: problem").
 *   2. Any thread: opd_find(db, "satpol pp") for what an official typed
 *      after ALIHKAN <ticket>; opd_by_code(db, category_opd(...)) for the
 *      office of a category. Read-only after load, nothing allocated per call.
 *   3. At exit: opd_free(db) (NULL is a no-op).
 *
 * opd_find compares keys (case, spaces, punctuation, repeated letters and
 * apostrophes ignored: "Satpol PP" = "satpolpp" = "SATPOL-PP") of the code,
 * the short name and the full name against the longest run of leading words
 * that matches (so "DPUPR tolong dicek" is DPUPR); then, if nothing matched,
 * with one typo for keys of 5+ letters ("Disdukcapl"). A typo that fits two
 * offices is refused. */
#ifndef KT_OPD_H
#define KT_OPD_H

#include <stddef.h>

#define OPD_MAX       100 /* rows */
#define OPD_CODE_MAX  16  /* bytes in kode */
#define OPD_SHORT_MAX 32  /* bytes in singkatan */
#define OPD_NAME_MAX  96  /* bytes in nama */
#define OPD_TEXT_MAX  256 /* bytes of text looked at by opd_find */
#define OPD_WORDS_MAX 8   /* leading words of text tried by opd_find */

struct opd_db;

/* Reads a CSV with the header kode,singkatan,nama,menangani. Returns the db or
 * NULL with a one-line reason in err. */
struct opd_db *opd_load(const char *path, char *err, size_t errlen);
void opd_free(struct opd_db *db);

int opd_count(const struct opd_db *db);
/* NULL for an index out of range. */
const char *opd_code(const struct opd_db *db, int opd);    /* "DPUPR" */
const char *opd_short(const struct opd_db *db, int opd);   /* "Satpol PP" */
const char *opd_name(const struct opd_db *db, int opd);    /* "Satuan Polisi Pamong Praja" */
const char *opd_handles(const struct opd_db *db, int opd); /* the menangani column */

/* The office text names, -1 if none or ambiguous (text may be NULL). */
int opd_find(const struct opd_db *db, const char *text);
/* Index of the office with this kode (ASCII case-insensitive), -1 if none. */
int opd_by_code(const struct opd_db *db, const char *code);

#endif
