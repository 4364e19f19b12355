/* category — complaint categories and picking one for a complaint (see
 * category.h for the recipe and the scoring).
 *
 * Residents describe the problem, not the office: "dalane bolong", "lampu
 * PJU mati", "sampahe numpuk mambu", "anak saya belum dapat KIP". The
 * category only proposes where a complaint goes: Diskominfo's triage reads
 * every one (no wrong door, DESIGN.md 5), so a missed category costs a
 * minute of a person's time while a wrong one costs days in the wrong office.
 * Hence: whole words only, typos only where they cannot be ordinary words,
 * and the more specific phrase wins.
 *
 * Load: every word of every phrase, and the glued key of each multi-word
 * phrase, is a "vocabulary" entry in a hash table; an entry lists the phrases
 * it starts and the phrases it is the glued form of. Entries of 5+ letters
 * also go into a one-typo index (textmatch.h).
 *
 * Find: each message word is reduced to the vocabulary entries it stands for
 * (exact; after taking off a suffix or the ke-...-an frame; one typo away),
 * at most WORD_MATCHES. Then every phrase that starts at a word is checked
 * word by word against the next words' entries, allowing one typo in all.
 * The best phrase per category and the number of distinct phrases per
 * category give the score (category.h).
 *
 * Why some phrases are "side" phrases ("~" in the file, scored below any
 * other phrase and adding no evidence): a landmark or a cause is often named
 * in passing ("jalan depan SD rusak" is about the road, not the school),
 * "mohon bantuan" is how Indonesians say "please help", "kerja bakti" is
 * community work, "tiket" is also the complaint ticket of this very
 * service, "kk" is also "kakak". They still decide when nothing else
 * matches.
 *
 * Cost: one hash lookup per word plus one per applicable suffix, a typo probe
 * (key length + 1 hash probes) for words of 4+ letters that matched nothing,
 * then a walk of the few phrases each matched entry starts. About 2-3 us for
 * a 160-character complaint at -O2 on this machine. */
#include "handlers/category.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers/textmatch.h"

#define PHRASE_WORDS_MAX 4
#define VOCAB_MAX        (CATEGORY_PHRASES_MAX * (PHRASE_WORDS_MAX + 1))
#define HASH_SIZE        16384 /* power of two, at least twice VOCAB_MAX */
#define TYPO_MIN         5     /* key length of a vocabulary word before typos count */
#define TYPO_WORD_MIN    4     /* key length of a message word before it may be a typo */
#define AFFIX_BASE_MIN   4     /* key length left after taking off -e, -an, -ku, -mu */
#define AFFIX_BASE_MIN3  3     /* ... after -nya, -ne, -ipun ("baunya") */
#define WORD_MATCHES     6     /* vocabulary entries one message word may stand for */
#define EXTRA_MAX        4     /* other phrases of a category that add to its score */
#define PHRASE_GAP       3     /* other words allowed between two words of a phrase */
#define OFFICE_WORDS     2     /* an office named ("ke dukcapil") weighs as a two-word phrase */
#define EXTRA_POINTS     100   /* per other subject phrase of the category found */
#define PREFIX_BASE_MIN  3     /* key length left after taking off a prefix */

enum quality { Q_EXACT, Q_AFFIX, Q_TYPO };

static const struct {
    const char *suffix;
    int len, base_min;
} suffixes[] = {
    {"nya", 3, AFFIX_BASE_MIN3}, {"ipun", 4, AFFIX_BASE_MIN3}, {"ne", 2, AFFIX_BASE_MIN3},
    {"e", 1, AFFIX_BASE_MIN},    {"an", 2, AFFIX_BASE_MIN},    {"ku", 2, AFFIX_BASE_MIN},
    {"mu", 2, AFFIX_BASE_MIN},   {"kan", 3, AFFIX_BASE_MIN3},  {"aken", 4, AFFIX_BASE_MIN3},
    {"ake", 3, AFFIX_BASE_MIN3}, {"ke", 2, AFFIX_BASE_MIN},    {"i", 1, AFFIX_BASE_MIN},
};

/* Indonesian and Javanese prefixes: passive di-/dipun-/ke-/ter-, the
 * active me- with its nasal forms, and the Javanese nasal forms (nge-, ng-,
 * ny-, m-, n-). A nasal prefix eats the first consonant of a word that
 * starts with one (me-+tutup = menutup, ny-+sapu = nyapu, ng-+kirim =
 * ngirim): `restore` is put back when what is left starts with a vowel.
 * Longer prefixes first; every base found is only a candidate, kept when it
 * is a word of the vocabulary. */
static const struct {
    const char *prefix;
    int len;
    char restore;
} prefixes[] = {
    {"dipun", 5, 0}, {"meng", 4, 'k'}, {"meny", 4, 's'}, {"mem", 3, 'p'}, {"men", 3, 't'},
    {"nge", 3, 0},   {"ter", 3, 0},    {"di", 2, 0},     {"me", 2, 0},    {"ng", 2, 'k'},
    {"ny", 2, 's'},  {"ke", 2, 0},     {"m", 1, 'p'},    {"n", 1, 't'},
};

struct category {
    char code[CATEGORY_CODE_MAX + 1];
    char name[CATEGORY_NAME_MAX + 1];
    char opd[CATEGORY_CODE_MAX + 1];
};

struct vocab {
    char key[TM_KEY_MAX + 1];
    unsigned char len;
    short first; /* first phrase this word starts, -1; chained by phrase.next_first */
    short glued; /* first phrase this is the glued key of, -1; chained by next_glued */
};

struct phrase {
    short category;
    unsigned char nwords;
    unsigned char letters;        /* length of its glued key */
    unsigned char side;           /* 1: "~" in the file, a landmark or cause named in passing;
                                     2: "!", an office's name ("dukcapil"), worth two words */
    short word[PHRASE_WORDS_MAX]; /* vocabulary entries */
    short next_first, next_glued;
};

struct category_db {
    int ncat, nphrase, nvocab, fallback;
    struct category cat[CATEGORY_MAX];
    struct phrase phrase[CATEGORY_PHRASES_MAX];
    struct vocab vocab[VOCAB_MAX];
    short slot[HASH_SIZE]; /* vocabulary index + 1; 0 empty */
    struct tm_typo_index typo;
};

/* ---- vocabulary --------------------------------------------------------- */

static int lookup(const struct category_db *db, const char *key, int len)
{
    unsigned h = tm_hash(key, (size_t)len) & (HASH_SIZE - 1);

    while (db->slot[h]) {
        const struct vocab *v = &db->vocab[db->slot[h] - 1];
        if (v->len == len && memcmp(v->key, key, (size_t)len) == 0)
            return db->slot[h] - 1;
        h = (h + 1) & (HASH_SIZE - 1);
    }
    return -1;
}

static int intern(struct category_db *db, const char *key, int len)
{
    int i = lookup(db, key, len);

    if (i >= 0 || db->nvocab >= VOCAB_MAX)
        return i;
    i = db->nvocab++;
    struct vocab *v = &db->vocab[i];
    memcpy(v->key, key, (size_t)len);
    v->key[len] = '\0';
    v->len = (unsigned char)len;
    v->first = v->glued = -1;
    unsigned h = tm_hash(key, (size_t)len) & (HASH_SIZE - 1);
    while (db->slot[h])
        h = (h + 1) & (HASH_SIZE - 1);
    db->slot[h] = (short)(i + 1);
    return i;
}

/* ---- loading ------------------------------------------------------------ */

static const char *const header[] = {"kode", "kategori", "opd", "kata_kunci", NULL};

static int same_words(const struct phrase *a, const struct phrase *b)
{
    return a->nwords == b->nwords && memcmp(a->word, b->word, sizeof a->word) == 0;
}

/* Adds one phrase of category c. */
static int add_phrase(struct tm_csv *csv, struct category_db *db, int c, const char *text,
                      char *err, size_t errlen)
{
    char key[TM_KEY_MAX + 1], glued[TM_KEY_MAX + 1];
    size_t pos = 0, b, e, len = strlen(text);
    int n = 0, glen = 0;
    struct phrase ph = {(short)c, 0, 0, 0, {-1, -1, -1, -1}, -1, -1};

    if (text[0] == '~' || text[0] == '!') {
        ph.side = text[0] == '~' ? 1 : 2;
        text++;
        len--;
        while (len > 0 && (*text == ' ' || *text == '\t'))
            text++, len--;
    }
    if (len == 0)
        return tm_csv_error(csv, err, errlen, "empty phrase in kata_kunci");
    if (len > CATEGORY_PHRASE_MAX)
        return tm_csv_error(csv, err, errlen, "phrase \"%s\" longer than %d bytes", text,
                            CATEGORY_PHRASE_MAX);
    glued[0] = '\0';
    while (tm_next_word(text, len, &pos, &b, &e) == 0) {
        int kl = tm_key(text + b, e - b, key);
        if (kl <= 0 || key[0] == '?')
            return tm_csv_error(csv, err, errlen, "phrase \"%s\": bad word", text);
        if (n == PHRASE_WORDS_MAX)
            return tm_csv_error(csv, err, errlen, "phrase \"%s\" has more than %d words", text,
                                PHRASE_WORDS_MAX);
        int v = intern(db, key, kl);
        glen = tm_key_append(glued, glen, key, kl);
        if (v < 0 || glen < 0)
            return tm_csv_error(csv, err, errlen, "phrase \"%s\": too many words", text);
        ph.word[n++] = (short)v;
    }
    if (n == 0)
        return tm_csv_error(csv, err, errlen, "phrase \"%s\" has no word", text);
    ph.nwords = (unsigned char)n;
    ph.letters = (unsigned char)glen;
    for (int i = 0; i < db->nphrase; i++) {
        if (!same_words(&db->phrase[i], &ph))
            continue;
        if (db->phrase[i].category == c)
            return 0; /* the same phrase twice in a row: harmless */
        return tm_csv_error(csv, err, errlen, "phrase \"%s\" also in category %s", text,
                            db->cat[db->phrase[i].category].code);
    }
    if (db->nphrase >= CATEGORY_PHRASES_MAX)
        return tm_csv_error(csv, err, errlen, "more than %d phrases", CATEGORY_PHRASES_MAX);
    int p = db->nphrase++;
    struct vocab *first = &db->vocab[ph.word[0]];
    ph.next_first = first->first;
    first->first = (short)p;
    if (n > 1) {
        int g = intern(db, glued, glen);
        if (g < 0)
            return tm_csv_error(csv, err, errlen, "too many words");
        ph.next_glued = db->vocab[g].glued;
        db->vocab[g].glued = (short)p;
    }
    db->phrase[p] = ph;
    return 0;
}

static int add_phrases(struct tm_csv *csv, struct category_db *db, int c, char *list, char *err,
                       size_t errlen)
{
    if (*list == '\0')
        return 0;
    for (char *p = list;;) {
        char *semi = strchr(p, ';');
        if (semi)
            *semi = '\0';
        if (add_phrase(csv, db, c, tm_csv_trim(p), err, errlen) < 0)
            return -1;
        if (!semi)
            return 0;
        p = semi + 1;
    }
}

static int build_typo(struct category_db *db)
{
    size_t total = 0;

    for (int i = 0; i < db->nvocab; i++)
        if (db->vocab[i].len >= TYPO_MIN)
            total += db->vocab[i].len + 1u;
    if (tm_typo_init(&db->typo, total) < 0)
        return -1;
    for (int i = 0; i < db->nvocab; i++)
        if (db->vocab[i].len >= TYPO_MIN &&
            tm_typo_add(&db->typo, db->vocab[i].key, db->vocab[i].len, i) < 0)
            return -1;
    return 0;
}

/* One row of kategori.csv (tm_csv_row_fn). */
static int load_row(struct tm_csv *c, void *arg, char *err, size_t errlen)
{
    struct category_db *db = arg;
    const char *code = c->field[0], *name = c->field[1], *opd = c->field[2];

    if (tm_csv_code(c, "kode", code, CATEGORY_CODE_MAX, err, errlen) < 0)
        return -1;
    if (category_by_code(db, code) >= 0)
        return tm_csv_error(c, err, errlen, "kode %s twice", code);
    if (tm_csv_text(c, "kategori", name, CATEGORY_NAME_MAX, err, errlen) < 0 ||
        tm_csv_code(c, "opd", opd, CATEGORY_CODE_MAX, err, errlen) < 0)
        return -1;
    int i = db->ncat++;
    snprintf(db->cat[i].code, sizeof db->cat[i].code, "%s", code);
    snprintf(db->cat[i].name, sizeof db->cat[i].name, "%s", name);
    snprintf(db->cat[i].opd, sizeof db->cat[i].opd, "%s", opd);
    if (strcmp(code, CATEGORY_FALLBACK) == 0)
        db->fallback = i;
    return add_phrases(c, db, i, c->field[3], err, errlen);
}

struct category_db *category_load(const char *path, char *err, size_t errlen)
{
    struct category_db *db = calloc(1, sizeof *db);

    if (!db) {
        snprintf(err, errlen, "%s: out of memory", path ? path : "(null)");
        return NULL;
    }
    db->fallback = -1;
    if (tm_csv_load(path, header, CATEGORY_MAX, load_row, db, err, errlen) < 0)
        goto fail;
    if (db->fallback < 0) {
        snprintf(err, errlen, "%s: no %s row (the category of uncategorised complaints)", path,
                 CATEGORY_FALLBACK);
        goto fail;
    }
    if (build_typo(db) < 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    return db;
fail:
    category_free(db);
    return NULL;
}

void category_free(struct category_db *db)
{
    if (db)
        tm_typo_free(&db->typo);
    free(db);
}

/* ---- accessors ---------------------------------------------------------- */

int category_count(const struct category_db *db)
{
    return db ? db->ncat : 0;
}

static const struct category *cat_at(const struct category_db *db, int i)
{
    return db && i >= 0 && i < db->ncat ? &db->cat[i] : NULL;
}

const char *category_code(const struct category_db *db, int i)
{
    const struct category *c = cat_at(db, i);
    return c ? c->code : NULL;
}

const char *category_name(const struct category_db *db, int i)
{
    const struct category *c = cat_at(db, i);
    return c ? c->name : NULL;
}

const char *category_opd(const struct category_db *db, int i)
{
    const struct category *c = cat_at(db, i);
    return c ? c->opd : NULL;
}

int category_by_code(const struct category_db *db, const char *code)
{
    if (!db || !code)
        return -1;
    for (int i = 0; i < db->ncat; i++)
        if (strcasecmp(db->cat[i].code, code) == 0)
            return i;
    return -1;
}

/* ---- finding ------------------------------------------------------------ */

struct word {
    unsigned short start, end;
    unsigned char n;
    struct {
        short vocab;
        unsigned char quality; /* enum quality */
    } m[WORD_MATCHES];
};

static void add_match(struct word *w, int v, enum quality q)
{
    if (v < 0)
        return;
    for (int i = 0; i < w->n; i++)
        if (w->m[i].vocab == v)
            return;
    if (w->n < WORD_MATCHES) {
        w->m[w->n].vocab = (short)v;
        w->m[w->n++].quality = (unsigned char)q;
    }
}

/* base = key[0..blen) (+ the letter a collapse may have eaten at the join) */
static void add_base(const struct category_db *db, struct word *w, const char *key, int blen,
                     char eaten)
{
    char b[TM_KEY_MAX + 2];

    add_match(w, lookup(db, key, blen), Q_AFFIX);
    if (eaten && key[blen - 1] != eaten) {
        memcpy(b, key, (size_t)blen);
        b[blen] = eaten;
        add_match(w, lookup(db, b, blen + 1), Q_AFFIX);
    }
}

/* The entries key[0..len) stands for once a suffix or the ke-...-an frame
 * is taken off. */
static void suffixed(const struct category_db *db, struct word *w, const char *key, int len)
{
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        int sl = suffixes[i].len;
        if (len - sl >= suffixes[i].base_min &&
            memcmp(key + len - sl, suffixes[i].suffix, (size_t)sl) == 0)
            add_base(db, w, key, len - sl, suffixes[i].suffix[0]);
    }
    /* ke-...-an: kebanjiran, kesakitan */
    if (len - 4 >= AFFIX_BASE_MIN && key[0] == 'k' && key[1] == 'e' && key[len - 2] == 'a' &&
        key[len - 1] == 'n')
        add_base(db, w, key + 2, len - 4, 'a');
}

static int vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

/* ... and once a prefix is taken off (with a suffix or not): dijalan,
 * diperbaiki, nyampah, ngaspal, ndandani, dipundandosi. */
static void prefixed(const struct category_db *db, struct word *w, const char *key, int len)
{
    char b[TM_KEY_MAX + 2];

    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        int pl = prefixes[i].len, rl = len - pl;
        if (rl < PREFIX_BASE_MIN || memcmp(key, prefixes[i].prefix, (size_t)pl) != 0)
            continue;
        const char *rest = key + pl;
        if (prefixes[i].restore && vowel(rest[0])) {
            b[0] = prefixes[i].restore;
            memcpy(b + 1, rest, (size_t)rl);
            add_match(w, lookup(db, b, rl + 1), Q_AFFIX);
            suffixed(db, w, b, rl + 1);
        } else if (prefixes[i].len > 1 || !vowel(rest[0])) {
            /* m-/n- before a vowel is a restored consonant, never a bare
             * prefix: "mati" is not m- + "ati" */
            add_match(w, lookup(db, rest, rl), Q_AFFIX);
            suffixed(db, w, rest, rl);
        }
    }
}

/* The vocabulary entries a message word with this key stands for. */
static void word_matches(const struct category_db *db, struct word *w, const char *key, int len)
{
    w->n = 0;
    if (len <= 0)
        return;
    add_match(w, lookup(db, key, len), Q_EXACT);
    if (w->n)
        return;
    suffixed(db, w, key, len);
    if (w->n == 0)
        prefixed(db, w, key, len);
    if (w->n || len < TYPO_WORD_MIN)
        return;
    int ids[16];
    int nc = tm_typo_candidates(&db->typo, key, len, ids, 16);
    for (int i = 0; i < nc; i++) {
        const struct vocab *v = &db->vocab[ids[i]];
        if (!tm_dist1(key, (size_t)len, v->key, v->len))
            continue;
        if (tm_common_word(key, (size_t)len))
            return; /* "sampai" is not a typo of sampah */
        add_match(w, ids[i], Q_TYPO);
    }
}

/* The quality word w stands for vocabulary entry v with, -1 if it does not. */
static int stands_for(const struct word *w, int v)
{
    for (int i = 0; i < w->n; i++)
        if (w->m[i].vocab == v)
            return w->m[i].quality;
    return -1;
}

struct best {
    int score, count, any;
    size_t start, end;
};

/* Phrase p found at start..end; seen: a bit per phrase, to count each once. */
static void hit(const struct category_db *db, struct best *best, unsigned char *seen, int p,
                int exact, size_t start, size_t end)
{
    const struct phrase *ph = &db->phrase[p];
    int words = ph->side == 1 ? 0 : ph->side == 2 ? OFFICE_WORDS : ph->nwords;
    int score = 1000 * words + 10 * ph->letters + (exact ? 5 : 0);
    struct best *b = &best[ph->category];

    if (!(seen[p / 8] & (1u << (p % 8)))) {
        seen[p / 8] |= (unsigned char)(1u << (p % 8));
        if (ph->side != 1)
            b->count++;
        b->any = 1;
    }
    if (score > b->score) {
        b->score = score;
        b->start = start;
        b->end = end;
    }
}

/* Checks phrase p from word i, its words in order with at most
 * PHRASE_GAP other words between two of them ("jalan depan SD rusak");
 * 1, *exact and *last (its last word) when it matches. */
static int phrase_at(const struct category_db *db, const struct word *w, int nw, int i, int p,
                     int *exact, int *last)
{
    const struct phrase *ph = &db->phrase[p];
    int typos = 0, all_exact = 1, at = i;

    if (i + ph->nwords > nw)
        return 0;
    for (int j = 0; j < ph->nwords; j++) {
        int q = -1, k = j == 0 ? i : at + 1;
        int stop = j == 0 ? i : at + 1 + PHRASE_GAP;
        for (; k <= stop && k < nw; k++)
            if ((q = stands_for(&w[k], ph->word[j])) >= 0)
                break;
        if (q < 0)
            return 0;
        if (k != (j == 0 ? i : at + 1))
            all_exact = 0;
        at = k;
        if (q == Q_TYPO && ++typos > 1)
            return 0;
        if (q != Q_EXACT)
            all_exact = 0;
    }
    *exact = all_exact;
    *last = at;
    return 1;
}

static int find(const struct category_db *db, const char *text, struct category_match *m,
                int margin)
{
    struct word w[CATEGORY_WORDS_MAX];
    struct best best[CATEGORY_MAX];
    unsigned char seen[CATEGORY_PHRASES_MAX / 8 + 1];
    int nw = 0;
    char key[TM_KEY_MAX + 1];

    m->category = db ? db->fallback : -1;
    m->score = 0;
    m->start = m->end = 0;
    if (!db || !text)
        return -1;

    size_t len = strnlen(text, CATEGORY_TEXT_MAX), pos = 0, b, e;
    int truncated = len == CATEGORY_TEXT_MAX;
    while (nw < CATEGORY_WORDS_MAX && tm_next_word(text, len, &pos, &b, &e) == 0) {
        if (truncated && e == len && text[len] != '\0' &&
            tm_sep_len((const unsigned char *)text + len, 1) == 0)
            break; /* cut in the middle by the limit */
        w[nw].start = (unsigned short)b;
        w[nw].end = (unsigned short)e;
        word_matches(db, &w[nw], key, tm_key(text + b, e - b, key));
        nw++;
    }

    memset(best, 0, sizeof best[0] * (size_t)db->ncat);
    memset(seen, 0, (size_t)db->nphrase / 8 + 1);
    for (int i = 0; i < nw; i++) {
        for (int k = 0; k < w[i].n; k++) {
            const struct vocab *v = &db->vocab[w[i].m[k].vocab];
            for (int p = v->first; p >= 0; p = db->phrase[p].next_first) {
                int exact, last;
                if (phrase_at(db, w, nw, i, p, &exact, &last))
                    hit(db, best, seen, p, exact, w[i].start, w[last].end);
            }
            for (int p = v->glued; p >= 0; p = db->phrase[p].next_glued)
                hit(db, best, seen, p, w[i].m[k].quality == Q_EXACT, w[i].start, w[i].end);
        }
    }

    int winner = -1, top = 0, second = -1;
    for (int c = 0; c < db->ncat; c++) {
        if (!best[c].any)
            continue;
        int extra = best[c].count - 1;
        extra = extra < 0 ? 0 : extra < EXTRA_MAX ? extra : EXTRA_MAX;
        int score = best[c].score + EXTRA_POINTS * extra;
        if (score > top) {
            second = winner >= 0 ? top : -1;
            top = score;
            winner = c;
        } else if (score > second) {
            second = score;
        }
    }
    /* Two offices with nearly the same evidence: a person decides (triage)
     * rather than the letters of a word. */
    if (winner < 0 || (second >= 0 && top - second < margin))
        return -1;
    m->category = winner;
    m->score = top;
    m->start = best[winner].start;
    m->end = best[winner].end;
    return 0;
}

int category_find(const struct category_db *db, const char *text, struct category_match *m)
{
    return find(db, text, m, CATEGORY_MARGIN);
}

int category_find_any(const struct category_db *db, const char *text, struct category_match *m)
{
    return find(db, text, m, 0);
}
