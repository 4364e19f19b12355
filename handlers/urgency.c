/* urgency — is this complaint an emergency (see urgency.h)?
 *
 * An emergency gets the emergency numbers at once and reaches BPBD's
 * liaison immediately instead of the 5-working-day promise (DESIGN.md 9).
 * A missed emergency costs lives, a false one costs a liaison an SMS and a
 * look: so any emergency word counts, whatever else the message says; only
 * a negation or a condition right before it ("bukan banjir", "kalau hujan
 * banjir") holds it back, and then the rest of the message is still read.
 *
 * The word lists are data (data/darurat.csv, kategori.csv's shape) matched
 * by the category matcher without its margin; this module adds the
 * negation rule. */
#include "handlers/urgency.h"

#include <stdlib.h>
#include <string.h>

#include "handlers/category.h"
#include "handlers/textmatch.h"

struct urgency_db {
    struct category_db *words;
    int none; /* the LAIN row */
};

/* Keys (textmatch.h tm_key) of the words that, right before an emergency
 * word, say it is not happening now: negations (Indonesian, Javanese ngoko
 * and krama) and conditions. */
static const char *const negations[] = {
    "bukan",      "tidak", "tdk",      "tak",        "gak",     "ga",      "gk",       "ngak",
    "nga",        "engak", "ora",      "ra",         "mboten",  "boten",   "ndak",     "dudu",
    "sanes",      "belum", "blm",      "durung",     "dereng",  "tanpa",   "kalau",    "kalo",
    "klo",        "jika",  "bila",     "apabila",    "nek",     "yen",     "menawi",   "rawan",
    "antisipasi", "cegah", "mencegah", "pencegahan", "potensi", "waspada", "simulasi", "latihan",
    "bebas",      "agar",  "supaya",   "biar",
};

/* ... and the words (and punctuation) that end the reach of one: "bukan
 * banjir tapi longsor" is a landslide. */
static const char *const contrasts[] = {"tapi",  "tetapi", "namun",     "nanging",  "ning", "tp",
                                        "malah", "justru", "sedangkan", "sekarang", "saiki"};

static int listed(const char *const *list, size_t n, const char *key, int len)
{
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(list[i]) == len && memcmp(list[i], key, (size_t)len) == 0)
            return 1;
    return 0;
}

#define LISTED(list, key, len) listed(list, sizeof list / sizeof list[0], key, len)

struct urgency_db *urgency_load(const char *path, char *err, size_t errlen)
{
    struct urgency_db *db = calloc(1, sizeof *db);

    if (!db) {
        snprintf(err, errlen, "%s: out of memory", path ? path : "(null)");
        return NULL;
    }
    db->words = category_load(path, err, errlen);
    if (!db->words) {
        free(db);
        return NULL;
    }
    db->none = category_by_code(db->words, CATEGORY_FALLBACK);
    return db;
}

void urgency_free(struct urgency_db *db)
{
    if (db)
        category_free(db->words);
    free(db);
}

/* 1 when one of the URGENCY_NEGATION_WORDS words before text[at] negates. */
static int negated(const char *text, size_t at)
{
    size_t starts[URGENCY_NEGATION_WORDS], ends[URGENCY_NEGATION_WORDS];
    size_t pos = 0, b, e, prev = 0;
    int n = 0;
    char key[TM_KEY_MAX + 1];

    while (tm_next_word(text, at, &pos, &b, &e) == 0) {
        for (size_t i = prev; i < b; i++)
            if (strchr(",.;!?\n", text[i]))
                n = 0; /* a new clause */
        prev = e;
        int len = tm_key(text + b, e - b, key);
        if (len > 0 && LISTED(contrasts, key, len)) {
            n = 0;
            continue;
        }
        starts[n % URGENCY_NEGATION_WORDS] = b;
        ends[n % URGENCY_NEGATION_WORDS] = e;
        n++;
    }
    for (int i = 0; i < n && i < URGENCY_NEGATION_WORDS; i++) {
        int k = (n - 1 - i) % URGENCY_NEGATION_WORDS;
        int len = tm_key(text + starts[k], ends[k] - starts[k], key);
        if (len > 0 && LISTED(negations, key, len))
            return 1;
    }
    return 0;
}

int urgency_find(const struct urgency_db *db, const char *text, struct urgency_match *m)
{
    char work[CATEGORY_TEXT_MAX + 1];

    m->kind = -1;
    m->start = m->end = 0;
    if (!db || !text)
        return 0;
    /* The best phrase decides first; a negated one is blanked out and the
     * rest read again ("belum dievakuasi" does not hide "banjir"). */
    size_t len = strnlen(text, CATEGORY_TEXT_MAX);
    memcpy(work, text, len);
    work[len] = '\0';
    for (int tries = 0; tries < URGENCY_TRIES; tries++) {
        struct category_match cm;
        if (category_find_any(db->words, work, &cm) < 0 || cm.category == db->none)
            return 0;
        if (!negated(work, cm.start)) {
            m->kind = cm.category;
            m->start = cm.start;
            m->end = cm.end;
            return 1;
        }
        memset(work + cm.start, ' ', cm.end - cm.start);
    }
    return 0;
}

const char *urgency_code(const struct urgency_db *db, int kind)
{
    return db && kind != db->none ? category_code(db->words, kind) : NULL;
}

const char *urgency_name(const struct urgency_db *db, int kind)
{
    return db && kind != db->none ? category_name(db->words, kind) : NULL;
}

const char *urgency_opd(const struct urgency_db *db, int kind)
{
    return db && kind != db->none ? category_opd(db->words, kind) : NULL;
}
