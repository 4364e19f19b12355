/* textmatch — what the tolerant finders share: words, keys, one-typo
 * comparison and index, the words never to typo-correct, and the strict
 * reader of the seed CSV files.
 *
 *   1. tm_next_word() cuts a message into words the way the keyword parser
 *      does (handlers/keyword.c); tm_key() reduces a word to its key (ASCII
 *      lower case, apostrophes dropped, repeated letters collapsed), so
 *      "KALISALAAK" and "kalisalak" meet.
 *   2. tm_dist1() says whether two keys are one edit apart (Damerau: one
 *      substitution, insertion, deletion or adjacent transposition); a
 *      tm_typo_index finds the keys one edit from a word without a scan;
 *      tm_common_word() lists ordinary Indonesian words that lie one edit
 *      from a place name or a complaint word ("sampai" ~ sampah, "sedang" ~
 *      Sendang, "buruk" ~ buruh): such a word is what the resident meant and
 *      is never "corrected".
 *   3. tm_csv_open / tm_csv_next / tm_csv_close read the files of data/:
 *      header checked, every row the same number of fields, no quotes,
 *      bounded sizes, errors as "file:line: problem".
 *
 * Used by handlers/region.c, handlers/category.c and handlers/opd.c; the
 * keyword parser calls tm_sep_len, tm_apostrophe_len and tm_dist1. Only
 * tm_typo_init allocates (at load); every function that reads a message is
 * safe to call from any thread on a built index. */
#ifndef KT_TEXTMATCH_H
#define KT_TEXTMATCH_H

#include <stddef.h>
#include <stdio.h>

#define TM_KEY_MAX 64 /* longest key; longer words have no key and never match */

/* Length of a word separator at s[0..n) (n >= 1), 0 when s[0] belongs to a
 * word or to a '?' run. ASCII letters, digits, apostrophes, '?' and non-ASCII
 * bytes are word bytes, except NBSP, zero-width space, en/em dash, ellipsis
 * and curly double quotes, which phones insert as punctuation. */
size_t tm_sep_len(const unsigned char *s, size_t n);
/* Length of an apostrophe-like character at s[0..n) (' ` U+2018 U+2019 U+00B4), else 0. */
size_t tm_apostrophe_len(const unsigned char *s, size_t n);

/* Finds the next word of s[0..len) at or after *pos: runs of word bytes, cut
 * where a digit follows a letter ("rt02"); a run of '?' is a word of its own.
 * Sets [*start, *end) and moves *pos past it. Returns 0, or -1 at the end. */
int tm_next_word(const char *s, size_t len, size_t *pos, size_t *start, size_t *end);

/* Writes the key of s[0..n) into key (TM_KEY_MAX + 1 bytes): ASCII lower
 * case, apostrophes and spaces dropped, each run of one character kept once
 * ("Gringgingsari" -> "gringingsari"), but never shorter than 2 characters
 * when the word had 2 or more ("KK" stays "kk", so a lone "k" is not KK).
 * Returns the key length, 0 when s holds nothing but apostrophes and spaces,
 * -1 when the key would be longer than TM_KEY_MAX (key is then ""). */
int tm_key(const char *s, size_t n, char *key);
/* Appends key b to key a (both NUL-terminated, a has TM_KEY_MAX + 1 bytes),
 * collapsing a repeat at the join. Returns the new length, -1 if too long. */
int tm_key_append(char *a, int alen, const char *b, int blen);

/* 1 when a and b are at Damerau distance exactly 1, else 0. O(length). */
int tm_dist1(const char *a, size_t la, const char *b, size_t lb);

/* One-typo index (symmetric deletion): each key is filed under itself and
 * each of its one-letter deletions, so the keys one edit from a word are
 * found with len + 1 hash probes instead of a scan. Built at load, read-only
 * after. Ids are the owner's (say, an index into its table). */
struct tm_typo_index {
    size_t size; /* slots, a power of two */
    size_t used;
    struct tm_typo_slot *slot;
};
/* Allocates room for keys whose lengths add up to at most total_len (plus
 * one per key: pass the sum of len + 1). Returns 0 or -1 (out of memory). */
int tm_typo_init(struct tm_typo_index *x, size_t total_len);
/* Files key under id. Returns 0, or -1 when more than total_len was added. */
int tm_typo_add(struct tm_typo_index *x, const char *key, int len, int id);
/* Writes into ids (at most max, no repeats) the ids that may be at distance
 * 0 or 1 from key; hash collisions let others through, so check each with
 * tm_dist1. Returns the count. */
int tm_typo_candidates(const struct tm_typo_index *x, const char *key, int len, int *ids, int max);
void tm_typo_free(struct tm_typo_index *x);

/* 1 when key (from tm_key) is an ordinary word that must not be typo-corrected. */
int tm_common_word(const char *key, size_t len);

/* FNV-1a of a key, for the finders' hash tables. */
unsigned tm_hash(const char *key, size_t len);

/* ---- strict CSV reader -------------------------------------------------- */

#define TM_CSV_LINE_MAX   1024 /* bytes in a line, newline excluded */
#define TM_CSV_FIELDS_MAX 8

struct tm_csv {
    FILE *f;
    const char *path; /* borrowed: for messages */
    int line;         /* number of the line last read, 1-based */
    int nfields;      /* fields a row must have (the header's) */
    char buf[TM_CSV_LINE_MAX + 2];
    char *field[TM_CSV_FIELDS_MAX]; /* the current row, trimmed, point into buf */
};

/* Opens path and checks that its first line is exactly the names in header
 * (a NULL-terminated list). Returns 0, or -1 with "path: reason" or
 * "path:1: reason" in err (the file is then closed). */
int tm_csv_open(struct tm_csv *c, const char *path, const char *const *header, char *err,
                size_t errlen);
/* Reads the next row into c->field. Blank lines are skipped; a row must have
 * exactly the header's field count, no '"', no control characters, valid
 * UTF-8, at most TM_CSV_LINE_MAX bytes. Spaces around fields are trimmed.
 * Returns 1 with a row, 0 at end of file, -1 with "path:line: reason". */
int tm_csv_next(struct tm_csv *c, char *err, size_t errlen);
/* Writes "path:line: " + the formatted problem into err; for loaders' own
 * checks on a row. Always returns -1. */
int tm_csv_error(const struct tm_csv *c, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Closes the file; safe on a closed or failed reader. */
void tm_csv_close(struct tm_csv *c);

#endif
