/* textmatch — what the tolerant finders share: words, keys, one-typo
 * comparison and index, the words never to typo-correct, and the strict
 * reader of the seed CSV files.
 *
 *   1. tm_next_word() cuts a message into words the way the keyword parser
 *      does (handlers/keyword.c); tm_key() reduces a word to its key (ASCII
 *      lower case, apostrophes dropped, repeated letters collapsed), so
 *      "KALISALAAK" and "kalisalak" meet; tm_glued_key() glues the keys of
 *      a name's words, so "Kali Salak" meets them too.
 *   2. tm_dist1() says whether two keys are one edit apart (Damerau: one
 *      substitution, insertion, deletion or adjacent transposition); a
 *      tm_typo_index finds the keys one edit from a word without a scan;
 *      tm_common_word() lists ordinary Indonesian words that lie one edit
 *      from a place name or a complaint word ("sampai" ~ sampah, "sedang" ~
 *      Sendang, "buruk" ~ buruh): such a word is what the resident meant and
 *      is never "corrected".
 *   3. tm_csv_load reads a file of data/ for its loader (region, category,
 *      opd): header checked, every row the same number of fields, no
 *      quotes, bounded sizes and row count, errors as "file:line: problem";
 *      tm_csv_code and tm_csv_text are the field checks they share.
 *
 * Used by handlers/region.c, handlers/category.c and handlers/opd.c; the
 * keyword parser calls tm_sep_len, tm_apostrophe_len, tm_key_letters and
 * tm_dist1. Only tm_typo_init allocates (at load); every function that reads
 * a message is safe to call from any thread on a built index. */
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
/* tm_key's reduction without its two-character floor, for the keyword
 * parser's own keys: writes the key of s[0..n) into key (max + 1 bytes) and
 * the number of characters seen, apostrophes and spaces aside, into *letters
 * (the parser's length thresholds count them). Returns the key length, or -1
 * when the key would be longer than max (key is then ""). */
int tm_key_letters(const char *s, size_t n, char *key, size_t max, size_t *letters);
/* Appends key b to key a (both NUL-terminated, a has TM_KEY_MAX + 1 bytes),
 * collapsing a repeat at the join. Returns the new length, -1 if too long. */
int tm_key_append(char *a, int alen, const char *b, int blen);

/* Writes into key (TM_KEY_MAX + 1 bytes) the keys of the first max_words
 * words of s[0..len) glued with tm_key_append, so "Kali-Salak", "Kali Salak"
 * and "KALISALAK" meet. Returns the key length, 0 when s has no words, -1
 * when the key would be too long; *used (unless NULL) gets the words used. */
int tm_glued_key(const char *s, size_t len, int max_words, char *key, int *used);
/* Number of words (tm_next_word) in the string s. */
int tm_word_count(const char *s);

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

/* Why not gateway/csv.h: that one parses RFC 4180 (quotes, "" inside them,
 * a lone CR as a line end) in memory, for the tables staff upload. The seed
 * files are read from disk a line at a time and every line is checked as
 * bytes first (no quotes at all, no control characters, valid UTF-8, at
 * most TM_CSV_LINE_MAX bytes), so once a line has passed, cutting it at its
 * commas is all that is left; the two share no more than that. */

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

/* Writes "path:line: " + the formatted problem into err; for loaders' own
 * checks on a row. Always returns -1. */
int tm_csv_error(const struct tm_csv *c, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A loader's work on one row: checks c->field and files the row in db.
 * Returns 0, or -1 with the reason in err (from tm_csv_error). */
typedef int tm_csv_row_fn(struct tm_csv *c, void *db, char *err, size_t errlen);
/* Reads the whole file at path. Its first line must be exactly the names in
 * header (a NULL-terminated list, at most TM_CSV_FIELDS_MAX), a UTF-8 byte
 * order mark allowed. Then blank lines are skipped and each row goes to
 * row(c, db, ...) with c->field holding its fields, spaces around them
 * trimmed; a row must have exactly the header's field count, no '"', no
 * control characters but tab, valid UTF-8, at most TM_CSV_LINE_MAX bytes;
 * a row past max_rows is "path:line: more than max_rows rows". Returns the
 * number of rows (0 for a file of only its header), or -1 with "path:
 * reason" or "path:line: reason" in err. The file is closed on return. */
int tm_csv_load(const char *path, const char *const *header, int max_rows, tm_csv_row_fn *row,
                void *db, char *err, size_t errlen);

/* Field checks of the loaders; each returns 0, or -1 with "path:line: ..."
 * in err. tm_csv_code: s is 1 to max characters of A-Z 0-9 _ (an office or
 * category code), else "bad what "s" (A-Z 0-9 _, at most max)".
 * tm_csv_text: s is 1 to max bytes, else "what empty or longer than max bytes". */
int tm_csv_code(const struct tm_csv *c, const char *what, const char *s, int max, char *err,
                size_t errlen);
int tm_csv_text(const struct tm_csv *c, const char *what, const char *s, int max, char *err,
                size_t errlen);
/* Cuts spaces and tabs off both ends of s, in place; returns the new start. */
char *tm_csv_trim(char *s);

#endif
