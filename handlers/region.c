/* region — Batang's kecamatan and desa, and the place a message names (see
 * region.h for the recipe and the rules in short).
 *
 * A wrong place sends a complaint to the wrong office, a missing one only
 * makes the triage officer read the text, so every rule here leans towards
 * precision.
 *
 * Load: every official name, and every alias of it, becomes a "place" keyed
 * by its tm_key in one hash table: a key may stand for a kecamatan, for up
 * to REGION_CANDIDATES_MAX desa, or both ("bawang" is kec Bawang, desa Bawang
 * of kec Bawang and desa Bawang of kec Blado). Aliases: a multi-word name
 * whose last word is a direction also answers to the other language's
 * direction (wetan = timur, kulon = barat, lor = utara, kidul = selatan);
 * the first word of a multi-word name is a "partial" place standing for all
 * the names it starts. The prefix words (desa, kec, kab, pak, dukuh, di ...)
 * live in the same table, so each message word costs one lookup. Places of
 * 6+ letters also go into a one-typo index (textmatch.h), and every proper
 * prefix of every key sets a bit in a 64 Kbit filter, so that gluing a word
 * to the next ones is only tried when the word can start a name.
 *
 * Find, in three steps:
 *   1. Mentions. Words are cut as the keyword parser cuts them. From left to
 *      right, at each word that is not a prefix word: a whole name over 3, 2
 *      or 1 glued words (longest first: "Kali Salak", "Selopajang Barat");
 *      else a multi-word name with one typo over 2 words; else the first
 *      word of multi-word names; else a prefix glued to a name
 *      ("kecbatang"); else a name with one typo. Typos are only looked for
 *      where one could be accepted (step 2): after a desa/kec prefix, next
 *      to a place or a prefix, or while the text is nothing but places. The
 *      prefix word right before a mention decides its role: desa, kecamatan,
 *      or not ours (kab, titles, dukuh ...).
 *   2. Acceptance. A mention counts when it has a desa/kec prefix, or the
 *      whole text is places, prefixes and "di" (a DAFTAR argument), or it is
 *      "strong": exact, whole, and not on common_names below. A weak mention
 *      also counts when it is next to a counted one and one of the two is a
 *      kecamatan holding the other ("Sendang Wonotunggal", "Kalisalak
 *      Batang": Batang alone is the regency or a tree trunk). Why "di" is not
 *      a prefix: "di pesantren", "di candi", "di sendang", "di bandung", "di
 *      batang" (the regency) are everyday phrases. Two counted mentions side
 *      by side, a desa and a kecamatan holding it, are read as that desa of
 *      that kecamatan ("Kalisalak Limpung", "Bandar Bandar").
 *   3. Resolution. Counted mentions are merged in order: a mention that is
 *      compatible with a place already found (the same desa or kecamatan, or
 *      a desa and its kecamatan) narrows it ("Kalisalak" + "kec Batang" = the
 *      Kalisalak of Batang); an incompatible one is a second place. One
 *      place with one candidate is the answer; anything else is AMBIGUOUS.
 *
 * Cost: per word one hash lookup, and up to two more for glued pairs and
 * triples when the word can start a name; a typo probe (key length + 1 hash
 * probes) only where step 2 could accept a typo. About 2-4 us for a
 * 160-character complaint at -O2 on this machine, 0.3 us for a DAFTAR
 * argument; loading takes under 1 ms. */
#include "handlers/region.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/textmatch.h"

#define CAND_MAX        REGION_CANDIDATES_MAX
#define PLACES_MAX      4096 /* names, aliases, partials and prefix words */
#define HASH_SIZE       8192 /* power of two, at least twice PLACES_MAX */
#define TYPO_MIN        6    /* letters a name needs before one typo is forgiven */
#define TYPO_WORD_MIN   5    /* key length of a word before it may be a typo */
#define MARKER_TYPO_MIN 7    /* letters a prefix word needs before one typo is forgiven */
#define GLUE_MAX        3    /* words glued to find a name */
#define MENTIONS_MAX    32
#define PREFIX_MASK     0xffff
#define PLACES_IN_TEXT  REGION_CANDIDATES_MAX

/* What a word before a name says about it. */
enum marker {
    MK_NONE,
    MK_DESA,    /* the name is a desa/kelurahan */
    MK_KEC,     /* the name is a kecamatan */
    MK_KAB,     /* the name is a regency, town or province: not ours */
    MK_NEG,     /* a person or a place below a desa: not ours */
    MK_CONNECT, /* "di": allowed in a text that is only a place */
};

/* Prefix words, by what they say about the name after them. */
static const struct {
    enum marker kind;
    const char *const *words; /* NULL-terminated, lower case */
} marker_words[] = {
    {MK_DESA, (const char *const[]){"desa", "ds", "dsa", "kel", "kelurahan", "kalurahan", "lurah",
                                    "kades", "pemdes", NULL}},
    {MK_KEC, (const char *const[]){"kec", "kecamatan", "kc", "kcm", "kecm", "kcmtn", "kecmtn",
                                   "camat", NULL}},
    /* a regency, town or province */
    {MK_KAB, (const char *const[]){"kab", "kabupaten", "pemkab", "kota", "provinsi", "propinsi",
                                   "prov", NULL}},
    /* a person (titles), or a place below a desa */
    {MK_NEG, (const char *const[]){"pak",     "bapak",   "bp",      "bpk",   "bu",        "ibu",
                                   "buk",     "mas",     "mbak",    "mba",   "mbah",      "sdr",
                                   "saudara", "saudari", "nama",    "dukuh", "dk",        "dkh",
                                   "dusun",   "dsn",     "kampung", "kp",    "rt",        "rw",
                                   "gang",    "gg",      "blok",    "perum", "perumahan", NULL}},
    {MK_CONNECT, (const char *const[]){"di", NULL}},
};

/* Prefixes people glue to the name: "kecbatang", "desakalisalak". */
static const struct {
    const char *word;
    int len;
    enum marker kind;
} glued_prefixes[] = {
    {"kecamatan", 9, MK_KEC}, {"kelurahan", 9, MK_DESA}, {"desa", 4, MK_DESA},
    {"kec", 3, MK_KEC},       {"kel", 3, MK_DESA},       {"ds", 2, MK_DESA},
};

/* Names that are also ordinary words (Indonesian or Javanese), common
 * personal names, or well-known places outside Batang. They count only with
 * a prefix, a kecamatan next to them or in a place-only text. The Indonesian
 * words are every name found in hunspell-id, except Limpung and Reban
 * (archaic entries, and kecamatan names people use bare). Lower case. */
static const char *const common_names[] = {
    /* Indonesian words */
    "bandar", "bandung", "banteng", "batang", "bawang", "bulu", "candi", "getas", "gondang",
    "juragan", "kepuh", "kepundung", "kuripan", "manggis", "masin", "menjangan", "pacet",
    "pesantren", "pujut", "randu", "sawangan", "sembung", "sendang", "sengon", "sentul", "soka",
    "tembok", "terban", "timbang", "tulis",
    /* Javanese or colloquial words, generic quarter names */
    "lobang", "banjiran", "bakalan", "gapuro", "tombo", "kauman", "beji", "jambangan", "kambangan",
    "babadan", "gemuh", "luwung", "cempereng", "kranggan", "kluwih", "wates", "lebo",
    /* personal names */
    "cokro", "purbo", "surjo", "gondo",
    /* places elsewhere */
    "depok", "kebumen", "karanganyar", "wonosobo", "wonosari", "sukorejo", "gombong", "boja",
    "ngaliyan", "semampir", "kasepuhan", "pejambon", "plumbon"};

static const struct {
    const char *a, *b;
} directions[] = {{"wetan", "timur"}, {"kulon", "barat"}, {"lor", "utara"}, {"kidul", "selatan"}};

struct desa {
    char name[REGION_NAME_MAX + 1];
    char code[REGION_CODE_MAX + 1];
    int kec;
    int kelurahan;
};

struct place {
    char key[TM_KEY_MAX + 1];
    unsigned char len;
    unsigned char words;   /* words of the official spelling */
    unsigned char letters; /* letters of the official spelling, for TYPO_MIN */
    unsigned char common;  /* on common_names */
    unsigned char partial; /* the first word of multi-word names */
    unsigned char marker;  /* enum marker: a prefix word, not a place */
    short kec;             /* kecamatan index or -1 */
    unsigned char ndesa;
    short desa[CAND_MAX];
};

struct region_db {
    int ndesa, nkec, nplaces, nmarker_typo;
    struct desa desa[REGION_DESA_MAX];
    char kec[REGION_KECAMATAN_MAX][REGION_NAME_MAX + 1];
    struct place place[PLACES_MAX];
    short slot[HASH_SIZE];     /* place index + 1; 0 empty */
    struct tm_typo_index typo; /* places open to typos */
    /* bit h & PREFIX_MASK: some place key starts with a proper prefix of hash
     * h; a word that is no such prefix cannot start a glued name */
    uint64_t prefix_bits[(PREFIX_MASK + 1) / 64];
    short marker_typo[64]; /* prefix words open to typos */
};

/* ---- candidate sets ----------------------------------------------------- */

struct cset {
    uint64_t kec; /* bit k: kecamatan k */
    int ndesa;
    int overflow; /* more desa than CAND_MAX */
    short desa[CAND_MAX];
};

static void add_desa(struct cset *s, int d)
{
    for (int i = 0; i < s->ndesa; i++)
        if (s->desa[i] == d)
            return;
    if (s->ndesa == CAND_MAX)
        s->overflow = 1;
    else
        s->desa[s->ndesa++] = (short)d;
}

static void add_place(struct cset *s, const struct place *p)
{
    if (p->kec >= 0)
        s->kec |= UINT64_C(1) << p->kec;
    for (int i = 0; i < p->ndesa; i++)
        add_desa(s, p->desa[i]);
}

static int has_kec(const struct cset *s, int k)
{
    return (s->kec >> k) & 1;
}

static int has_desa(const struct cset *s, int d)
{
    for (int i = 0; i < s->ndesa; i++)
        if (s->desa[i] == d)
            return 1;
    return 0;
}

/* 1 when a kecamatan of k holds a desa of d. */
static int holds(const struct region_db *db, const struct cset *k, const struct cset *d)
{
    for (int i = 0; i < d->ndesa; i++)
        if (has_kec(k, db->desa[d->desa[i]].kec))
            return 1;
    return 0;
}

/* The candidates of p that m agrees with: the same kecamatan, the same desa,
 * or a desa of one in a kecamatan of the other. Empty when incompatible. */
static struct cset merge(const struct region_db *db, const struct cset *p, const struct cset *m)
{
    struct cset r = {p->kec & m->kec, 0, p->overflow || m->overflow, {0}};

    for (int i = 0; i < p->ndesa; i++) {
        int d = p->desa[i];
        if (has_desa(m, d) || has_kec(m, db->desa[d].kec))
            add_desa(&r, d);
    }
    for (int i = 0; i < m->ndesa; i++) {
        int d = m->desa[i];
        if (has_kec(p, db->desa[d].kec))
            add_desa(&r, d);
    }
    return r;
}

static int cset_empty(const struct cset *s)
{
    return s->kec == 0 && s->ndesa == 0;
}

/* ---- the place table ---------------------------------------------------- */

static int lookup_hashed(const struct region_db *db, const char *key, int len, unsigned hash)
{
    unsigned h = hash & (HASH_SIZE - 1);

    while (db->slot[h]) {
        const struct place *p = &db->place[db->slot[h] - 1];
        if (p->len == len && memcmp(p->key, key, (size_t)len) == 0)
            return db->slot[h] - 1;
        h = (h + 1) & (HASH_SIZE - 1);
    }
    return -1;
}

static int lookup(const struct region_db *db, const char *key, int len)
{
    return lookup_hashed(db, key, len, tm_hash(key, (size_t)len));
}

static int is_prefix(const struct region_db *db, unsigned hash)
{
    return (db->prefix_bits[(hash & PREFIX_MASK) / 64] >> (hash & 63)) & 1;
}

/* The place for key, created empty if new; -1 when the table is full. */
static int intern(struct region_db *db, const char *key, int len)
{
    int i = lookup(db, key, len);

    if (i >= 0)
        return i;
    if (db->nplaces >= PLACES_MAX)
        return -1;
    i = db->nplaces++;
    struct place *p = &db->place[i];
    memcpy(p->key, key, (size_t)len);
    p->key[len] = '\0';
    p->len = (unsigned char)len;
    p->kec = -1;
    unsigned h = tm_hash(key, (size_t)len) & (HASH_SIZE - 1);
    while (db->slot[h])
        h = (h + 1) & (HASH_SIZE - 1);
    db->slot[h] = (short)(i + 1);
    return i;
}

static int count_letters(const char *s)
{
    int n = 0;

    for (; *s; s++)
        if (*s != ' ')
            n++;
    return n;
}

/* Key of a name: all its words' keys glued (so "Kali-Salak" = "Kali Salak"). */
static int name_key(const char *name, char *key)
{
    return tm_glued_key(name, strlen(name), INT_MAX, key, NULL);
}

/* Adds desa d (or kecamatan k if d < 0) under key. */
static int add_name(struct region_db *db, const char *key, int klen, const char *name, int d, int k,
                    char *err, size_t errlen)
{
    int i = intern(db, key, klen);

    if (i < 0) {
        snprintf(err, errlen, "too many names (more than %d)", PLACES_MAX);
        return -1;
    }
    struct place *p = &db->place[i];
    p->words = (unsigned char)tm_word_count(name);
    p->letters = (unsigned char)count_letters(name);
    if (d < 0) {
        p->kec = (short)k;
        return 0;
    }
    for (int j = 0; j < p->ndesa; j++) {
        if (db->desa[p->desa[j]].kec == db->desa[d].kec) {
            snprintf(err, errlen, "desa \"%s\" twice in kecamatan %s (as \"%s\")", name,
                     db->kec[db->desa[d].kec], db->desa[p->desa[j]].name);
            return -1;
        }
    }
    if (p->ndesa >= CAND_MAX) {
        snprintf(err, errlen, "more than %d desa named \"%s\"", CAND_MAX, name);
        return -1;
    }
    p->desa[p->ndesa++] = (short)d;
    return 0;
}

/* Direction aliases of desa d: "Klidang Wetan" is also "Klidang Timur". */
static int add_aliases(struct region_db *db, int d, char *err, size_t errlen)
{
    const char *name = db->desa[d].name;
    const char *sp = strrchr(name, ' ');
    char key[TM_KEY_MAX + 1], last[TM_KEY_MAX + 1];

    if (!sp)
        return 0;
    int l = tm_key(sp + 1, strlen(sp + 1), last);
    for (size_t i = 0; l > 0 && i < sizeof directions / sizeof directions[0]; i++) {
        const char *other = strcmp(last, directions[i].a) == 0   ? directions[i].b
                            : strcmp(last, directions[i].b) == 0 ? directions[i].a
                                                                 : NULL;
        if (!other)
            continue;
        char head[REGION_NAME_MAX + 1];
        snprintf(head, sizeof head, "%.*s", (int)(sp - name), name);
        int hl = name_key(head, key);
        int kl = hl < 0 ? -1 : tm_key_append(key, hl, other, (int)strlen(other));
        if (kl > 0 && add_name(db, key, kl, name, d, -1, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static int add_partial(struct region_db *db, int d)
{
    const char *name = db->desa[d].name;
    char key[TM_KEY_MAX + 1];
    size_t pos = 0, b, e;

    if (!strchr(name, ' ') || tm_next_word(name, strlen(name), &pos, &b, &e) < 0)
        return 0;
    int l = tm_key(name + b, e - b, key);
    if (l <= 0)
        return 0;
    int i = lookup(db, key, l);
    if (i >= 0 && !db->place[i].partial)
        return 0; /* a whole name: it wins */
    if (i < 0 && (i = intern(db, key, l)) < 0)
        return -1;
    struct place *p = &db->place[i];
    if (!p->partial) {
        p->partial = 1;
        p->words = 1;
        p->letters = (unsigned char)(e - b);
    }
    if (p->ndesa < CAND_MAX)
        p->desa[p->ndesa++] = (short)d;
    else
        p->ndesa = CAND_MAX + 1; /* too vague: never used */
    return 0;
}

static int finish(struct region_db *db, char *err, size_t errlen)
{
    char key[TM_KEY_MAX + 1];

    for (size_t i = 0; i < sizeof common_names / sizeof common_names[0]; i++) {
        int l = tm_key(common_names[i], strlen(common_names[i]), key);
        int p = l > 0 ? lookup(db, key, l) : -1;
        if (p >= 0)
            db->place[p].common = 1;
    }
    for (size_t i = 0; i < sizeof marker_words / sizeof marker_words[0]; i++) {
        for (const char *const *w = marker_words[i].words; *w; w++) {
            int l = tm_key(*w, strlen(*w), key);
            int p = lookup(db, key, l);
            if (p >= 0) {
                snprintf(err, errlen, "place name \"%s\" is a prefix word", *w);
                return -1;
            }
            if ((p = intern(db, key, l)) < 0) {
                snprintf(err, errlen, "too many names (more than %d)", PLACES_MAX);
                return -1;
            }
            db->place[p].marker = (unsigned char)marker_words[i].kind;
            db->place[p].letters = (unsigned char)l;
            db->place[p].words = 1;
        }
    }
    for (int i = 0; i < db->nplaces; i++) {
        const struct place *p = &db->place[i];
        for (int l = 1; !p->marker && l < p->len; l++) {
            unsigned h = tm_hash(p->key, (size_t)l) & PREFIX_MASK;
            db->prefix_bits[h / 64] |= UINT64_C(1) << (h & 63);
        }
    }
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < db->nplaces; i++) {
            const struct place *p = &db->place[i];
            if (p->marker && p->letters >= MARKER_TYPO_MIN && pass == 0 &&
                db->nmarker_typo < (int)(sizeof db->marker_typo / sizeof db->marker_typo[0]))
                db->marker_typo[db->nmarker_typo++] = (short)i;
            if (p->marker || p->letters < TYPO_MIN || p->partial || !(p->ndesa || p->kec >= 0))
                continue;
            if (pass == 0)
                total += p->len + 1u;
            else if (tm_typo_add(&db->typo, p->key, p->len, i) < 0)
                goto full;
        }
        if (pass == 0 && tm_typo_init(&db->typo, total) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
full:
    snprintf(err, errlen, "typo index full");
    return -1;
}

/* ---- loading ------------------------------------------------------------ */

static const char *const header[] = {"kode", "kecamatan", "nama", "jenis", NULL};

static int valid_code(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            return 0;
    return 1;
}

static int check_name(struct tm_csv *c, const char *what, const char *s, char *err, size_t errlen)
{
    char key[TM_KEY_MAX + 1];

    if (!*s)
        return tm_csv_error(c, err, errlen, "empty %s", what);
    if (strlen(s) > REGION_NAME_MAX)
        return tm_csv_error(c, err, errlen, "%s longer than %d bytes", what, REGION_NAME_MAX);
    if (name_key(s, key) <= 0)
        return tm_csv_error(c, err, errlen, "%s \"%s\" has no letters", what, s);
    for (const char *p = s; *p; p++)
        if (*p == ';' || *p == '?')
            return tm_csv_error(c, err, errlen, "%s \"%s\": '%c' not allowed", what, s, *p);
    return 0;
}

static int find_kec(struct region_db *db, const char *name)
{
    for (int k = 0; k < db->nkec; k++)
        if (strcasecmp(db->kec[k], name) == 0)
            return k;
    return -1;
}

/* One row of the wilayah file (tm_csv_row_fn): a desa, and its kecamatan
 * the first time that is named. */
static int load_row(struct tm_csv *c, void *arg, char *err, size_t errlen)
{
    struct region_db *db = arg;
    const char *code = c->field[0], *kec = c->field[1], *name = c->field[2], *jenis = c->field[3];
    char key[TM_KEY_MAX + 1], msg[200];

    if (!valid_code(code) || strlen(code) > REGION_CODE_MAX)
        return tm_csv_error(c, err, errlen, "bad kode \"%s\"", code);
    if (region_desa_by_code(db, code) >= 0)
        return tm_csv_error(c, err, errlen, "kode %s twice", code);
    if (check_name(c, "kecamatan", kec, err, errlen) < 0 ||
        check_name(c, "nama", name, err, errlen) < 0)
        return -1;
    if (strcmp(jenis, "desa") != 0 && strcmp(jenis, "kelurahan") != 0)
        return tm_csv_error(c, err, errlen, "jenis \"%s\", expected desa or kelurahan", jenis);
    int k = find_kec(db, kec);
    if (k < 0) {
        if (db->nkec >= REGION_KECAMATAN_MAX)
            return tm_csv_error(c, err, errlen, "more than %d kecamatan", REGION_KECAMATAN_MAX);
        k = db->nkec++;
        snprintf(db->kec[k], sizeof db->kec[k], "%s", kec);
        int kl = name_key(kec, key);
        if (add_name(db, key, kl, kec, -1, k, msg, sizeof msg) < 0)
            return tm_csv_error(c, err, errlen, "%s", msg);
    }
    int d = db->ndesa++;
    struct desa *ds = &db->desa[d];
    snprintf(ds->name, sizeof ds->name, "%s", name);
    snprintf(ds->code, sizeof ds->code, "%s", code);
    ds->kec = k;
    ds->kelurahan = strcmp(jenis, "kelurahan") == 0;
    int kl = name_key(name, key);
    if (add_name(db, key, kl, name, d, -1, msg, sizeof msg) < 0 ||
        add_aliases(db, d, msg, sizeof msg) < 0)
        return tm_csv_error(c, err, errlen, "%s", msg);
    return 0;
}

struct region_db *region_load(const char *path, char *err, size_t errlen)
{
    struct region_db *db = calloc(1, sizeof *db);
    char msg[200];

    if (!db) {
        snprintf(err, errlen, "%s: out of memory", path ? path : "(null)");
        return NULL;
    }
    int rows = tm_csv_load(path, header, REGION_DESA_MAX, load_row, db, err, errlen);
    if (rows < 0)
        goto fail;
    if (rows == 0) {
        snprintf(err, errlen, "%s: no rows", path);
        goto fail;
    }
    for (int d = 0; d < db->ndesa; d++)
        if (add_partial(db, d) < 0) {
            snprintf(err, errlen, "%s: too many names (more than %d)", path, PLACES_MAX);
            goto fail;
        }
    if (finish(db, msg, sizeof msg) < 0) {
        snprintf(err, errlen, "%s: %s", path, msg);
        goto fail;
    }
    return db;
fail:
    region_free(db);
    return NULL;
}

void region_free(struct region_db *db)
{
    if (db)
        tm_typo_free(&db->typo);
    free(db);
}

/* ---- accessors ---------------------------------------------------------- */

int region_desa_count(const struct region_db *db)
{
    return db ? db->ndesa : 0;
}

int region_kecamatan_count(const struct region_db *db)
{
    return db ? db->nkec : 0;
}

static int desa_ok(const struct region_db *db, int d)
{
    return db && d >= 0 && d < db->ndesa;
}

const char *region_desa_name(const struct region_db *db, int d)
{
    return desa_ok(db, d) ? db->desa[d].name : NULL;
}

const char *region_desa_code(const struct region_db *db, int d)
{
    return desa_ok(db, d) ? db->desa[d].code : NULL;
}

const char *region_desa_jenis(const struct region_db *db, int d)
{
    return desa_ok(db, d) ? (db->desa[d].kelurahan ? "kelurahan" : "desa") : NULL;
}

int region_desa_kecamatan(const struct region_db *db, int d)
{
    return desa_ok(db, d) ? db->desa[d].kec : -1;
}

const char *region_kecamatan_name(const struct region_db *db, int k)
{
    return db && k >= 0 && k < db->nkec ? db->kec[k] : NULL;
}

void region_kecamatan_code(const struct region_db *db, int kec, char *out, size_t len)
{
    snprintf(out, len, "%d", kec);
    for (int i = 0; db && i < db->ndesa; i++) {
        if (region_desa_kecamatan(db, i) != kec)
            continue;
        const char *code = region_desa_code(db, i);
        const char *dot = strrchr(code, '.');
        if (dot)
            snprintf(out, len, "%.*s", (int)(dot - code), code);
        return;
    }
}

int region_desa_by_code(const struct region_db *db, const char *code)
{
    if (!db || !code)
        return -1;
    for (int d = 0; d < db->ndesa; d++)
        if (strcmp(db->desa[d].code, code) == 0)
            return d;
    return -1;
}

/* ---- finding ------------------------------------------------------------ */

struct word {
    unsigned hash; /* tm_hash of key */
    unsigned short start, end;
    short place;          /* the place the word alone is exactly, or -1 */
    signed char len;      /* key length; 0 or -1: never matches */
    unsigned char marker; /* enum marker */
    char key[TM_KEY_MAX + 1];
};

struct mention {
    int first, name, last; /* words: prefixes included / the name / its end */
    enum marker marker;    /* the word right before the name, or a glued prefix */
    int weak;              /* common, split, partial or typo */
    int accepted;
    struct cset set;
};

/* Keys of words i..i+k-1 glued into g; its length, or -1. */
static int glue(const struct word *w, int i, int k, char *g)
{
    int len = 0;

    g[0] = '\0';
    for (int j = i; j < i + k; j++) {
        if (w[j].len <= 0 || w[j].marker)
            return -1;
        if ((len = tm_key_append(g, len, w[j].key, w[j].len)) < 0)
            return -1;
    }
    return len;
}

static int usable(const struct place *p)
{
    return !p->marker && (p->kec >= 0 || (p->ndesa > 0 && p->ndesa <= CAND_MAX));
}

/* Places one typo from g: adds them to s, returns how many. words2: only
 * multi-word names (g is two words glued). */
static int typo_places(const struct region_db *db, const char *g, int len, int words2,
                       struct cset *s)
{
    int ids[32], n = 0;

    if (len < TYPO_WORD_MIN || len > TM_KEY_MAX)
        return 0;
    int nc = tm_typo_candidates(&db->typo, g, len, ids, 32);
    for (int i = 0; i < nc; i++) {
        const struct place *p = &db->place[ids[i]];
        if ((words2 && p->words < 2) || !tm_dist1(g, (size_t)len, p->key, p->len))
            continue;
        if (n == 0 && tm_common_word(g, (size_t)len))
            return 0; /* "sedang" is not a typo of Sendang */
        add_place(s, p);
        n++;
    }
    return n;
}

/* The marker a word is, allowing one typo in long prefix words. */
static enum marker word_marker(const struct region_db *db, const struct word *w)
{
    if (w->len <= 0)
        return MK_NONE;
    if (w->place >= 0)
        return (enum marker)db->place[w->place].marker;
    if (w->len < MARKER_TYPO_MIN - 1)
        return MK_NONE;
    for (int i = 0; i < db->nmarker_typo; i++) {
        const struct place *pl = &db->place[db->marker_typo[i]];
        if (tm_dist1(w->key, (size_t)w->len, pl->key, pl->len))
            return (enum marker)pl->marker;
    }
    return MK_NONE;
}

/* Matches a place at word i; fills mt->set, mt->weak, mt->marker (glued
 * prefix) and returns the words used, 0 if none. Order: a whole name over 3,
 * 2 or 1 words (longest first); a multi-word name with one typo over 2
 * words; the first word of multi-word names; a prefix glued to a name; a
 * name with one typo (when typo_ok: only where one could be accepted). */
static int match_at(const struct region_db *db, const struct word *w, int nw, int i, int typo_ok,
                    struct mention *mt)
{
    char g[TM_KEY_MAX + 1];
    int len, partial = -1;

    for (int k = GLUE_MAX; k >= 1; k--) {
        if (i + k > nw || (k > 1 && !is_prefix(db, w[i].hash)) || (len = glue(w, i, k, g)) <= 0)
            continue;
        int p = k == 1 ? w[i].place : lookup(db, g, len);
        if (p < 0 || !usable(&db->place[p]))
            continue;
        const struct place *pl = &db->place[p];
        if (pl->partial) {
            partial = p;
            continue;
        }
        add_place(&mt->set, pl);
        mt->weak = pl->common || k > pl->words;
        return k;
    }
    if (w[i].len <= 0 || w[i].marker)
        return 0;
    if (typo_ok && i + 2 <= nw && (len = glue(w, i, 2, g)) > 0 &&
        typo_places(db, g, len, 1, &mt->set)) {
        mt->weak = 1;
        return 2;
    }
    if (partial >= 0) {
        add_place(&mt->set, &db->place[partial]);
        mt->weak = 1;
        return 1;
    }
    /* a prefix glued to a whole name: "kecbatang", "desawonokerto" (no word
     * of hunspell-id splits this way into a prefix and a name) */
    for (size_t j = 0; j < sizeof glued_prefixes / sizeof glued_prefixes[0]; j++) {
        const char *pre = glued_prefixes[j].word;
        int pl = glued_prefixes[j].len;
        if (w[i].len < pl + 3 || memcmp(w[i].key, pre, (size_t)pl) != 0)
            continue;
        int p = lookup(db, w[i].key + pl, w[i].len - pl);
        if (p >= 0 && usable(&db->place[p]) && !db->place[p].partial) {
            add_place(&mt->set, &db->place[p]);
            mt->marker = glued_prefixes[j].kind;
            return 1;
        }
    }
    if (typo_ok && typo_places(db, w[i].key, w[i].len, 0, &mt->set)) {
        mt->weak = 1;
        return 1;
    }
    return 0;
}

/* Cuts text into words with keys and markers; returns the count. */
static int words_of(const struct region_db *db, const char *text, struct word *w)
{
    size_t len = strnlen(text, REGION_TEXT_MAX), pos = 0, b, e;
    int truncated = len == REGION_TEXT_MAX, n = 0;

    while (n < REGION_WORDS_MAX && tm_next_word(text, len, &pos, &b, &e) == 0) {
        if (truncated && e == len && text[len] != '\0' &&
            tm_sep_len((const unsigned char *)text + len, 1) == 0)
            break; /* cut in the middle by the limit */
        struct word *x = &w[n++];
        x->start = (unsigned short)b;
        x->end = (unsigned short)e;
        x->len = (signed char)tm_key(text + b, e - b, x->key);
        x->hash = x->len > 0 ? tm_hash(x->key, (size_t)x->len) : 0;
        x->place = x->len > 0 ? (short)lookup_hashed(db, x->key, x->len, x->hash) : -1;
        x->marker = (unsigned char)word_marker(db, x);
        if (x->place >= 0 && !usable(&db->place[x->place]))
            x->place = -1;
    }
    return n;
}

/* Reads d as a desa of kecamatan k when k holds one of d's desa: narrows d
 * to those desa and k to their kecamatan. Returns 1 if it did. */
static int qualify(const struct region_db *db, struct mention *d, struct mention *k)
{
    struct cset ds = {0, 0, d->set.overflow, {0}};
    uint64_t ks = 0;

    for (int i = 0; i < d->set.ndesa; i++) {
        int kec = db->desa[d->set.desa[i]].kec;
        if (has_kec(&k->set, kec)) {
            add_desa(&ds, d->set.desa[i]);
            ks |= UINT64_C(1) << kec;
        }
    }
    if (ds.ndesa == 0)
        return 0;
    d->set = ds;
    k->set.kec = ks;
    k->set.ndesa = 0;
    k->set.overflow = 0;
    return 1;
}

static int placeward(int marker)
{
    return marker == MK_DESA || marker == MK_KEC;
}

/* Word j is a desa/kec prefix or a place: a typo next to it may be a
 * place confirmed by it. */
static int next_is_place(const struct word *w, int nw, int j)
{
    return j < nw && (placeward(w[j].marker) || w[j].place >= 0);
}

static void no_match(struct region_match *m)
{
    memset(m, 0, sizeof *m);
    m->kind = REGION_NONE;
    m->desa = m->kecamatan = -1;
}

/* Fills m from the places found. */
static int result(const struct region_db *db, const struct cset *pl, int npl, size_t start,
                  size_t end, struct region_match *m)
{
    int n = 0, kec = -2;

    for (int i = 0; i < npl; i++) {
        if (pl[i].overflow)
            return -1;
        for (int k = 0; k < db->nkec; k++) {
            if (!has_kec(&pl[i], k))
                continue;
            int dup = 0;
            for (int j = 0; j < n; j++)
                dup |= m->candidate_kind[j] == REGION_KECAMATAN && m->candidates[j] == k;
            if (dup)
                continue;
            if (n == CAND_MAX)
                return -1;
            m->candidates[n] = k;
            m->candidate_kind[n++] = REGION_KECAMATAN;
            kec = kec == -2 || kec == k ? k : -1;
        }
        for (int j = 0; j < pl[i].ndesa; j++) {
            int d = pl[i].desa[j], dup = 0;
            for (int x = 0; x < n; x++)
                dup |= m->candidate_kind[x] == REGION_DESA && m->candidates[x] == d;
            if (dup)
                continue;
            if (n == CAND_MAX)
                return -1;
            m->candidates[n] = d;
            m->candidate_kind[n++] = REGION_DESA;
            kec = kec == -2 || kec == db->desa[d].kec ? db->desa[d].kec : -1;
        }
    }
    if (n == 0)
        return -1;
    m->start = start;
    m->end = end;
    if (n == 1) {
        m->kind = m->candidate_kind[0];
        m->desa = m->kind == REGION_DESA ? m->candidates[0] : -1;
        m->kecamatan = m->kind == REGION_DESA ? db->desa[m->candidates[0]].kec : m->candidates[0];
        m->ncandidates = 0;
        m->candidates[0] = 0;
        m->candidate_kind[0] = REGION_NONE;
        return 0;
    }
    m->kind = REGION_AMBIGUOUS;
    m->kecamatan = kec;
    m->ncandidates = n;
    return 0;
}

int region_find(const struct region_db *db, const char *text, struct region_match *m)
{
    struct word w[REGION_WORDS_MAX];
    struct mention ms[MENTIONS_MAX];
    struct cset places[PLACES_IN_TEXT];
    int nw, nm = 0, npl = 0;

    no_match(m);
    if (!db || !text)
        return -1;
    nw = words_of(db, text, w);

    /* 1. mentions; "clean" while every word so far is a place or a prefix */
    int clean = 1;
    for (int i = 0; i < nw && nm < MENTIONS_MAX;) {
        struct mention *mt = &ms[nm];
        memset(mt, 0, sizeof *mt);
        int k = 0;
        if (!w[i].marker) {
            int typo_ok = clean || (i > 0 && placeward(w[i - 1].marker)) ||
                          (nm > 0 && ms[nm - 1].last == i - 1) || next_is_place(w, nw, i + 1) ||
                          next_is_place(w, nw, i + 2);
            k = match_at(db, w, nw, i, typo_ok, mt);
        }
        if (k == 0) {
            if (w[i].marker == MK_NEG || w[i].marker == MK_NONE)
                clean = 0;
            i++;
            continue;
        }
        mt->name = mt->first = i;
        mt->last = i + k - 1;
        int lo = nm ? ms[nm - 1].last + 1 : 0;
        if (!mt->marker && i - 1 >= lo && w[i - 1].marker != MK_CONNECT)
            mt->marker = (enum marker)w[i - 1].marker;
        if (mt->marker == MK_DESA || mt->marker == MK_KEC)
            while (mt->first - 1 >= lo &&
                   (w[mt->first - 1].marker == MK_DESA || w[mt->first - 1].marker == MK_KEC))
                mt->first--;
        /* the prefix picks the role; a prefix that fits no reading of the
         * name ("kec Kalisalak") is a slip for a strong name, and for a weak
         * one a sign that it is not a place ("desa batang" is no desa) */
        if (mt->marker == MK_DESA && mt->set.ndesa > 0)
            mt->set.kec = 0;
        else if (mt->marker == MK_DESA && mt->weak)
            mt->set.kec = 0;
        if (mt->marker == MK_KEC && (mt->set.kec || mt->weak)) {
            mt->set.ndesa = 0;
            mt->set.overflow = 0;
        }
        nm++;
        i += k;
    }

    /* 2. acceptance: is the whole text places, prefixes and "di"? */
    int place_only = nm > 0;
    for (int i = 0, j = 0; i < nw && place_only; i++) {
        while (j < nm && ms[j].last < i)
            j++;
        int in_mention = j < nm && ms[j].first <= i && i <= ms[j].last;
        int mk = w[i].marker;
        if (!in_mention && mk != MK_DESA && mk != MK_KEC && mk != MK_KAB && mk != MK_CONNECT)
            place_only = 0;
    }
    for (int i = 0; i < nm; i++) {
        enum marker mk = ms[i].marker;
        if (mk == MK_KAB || mk == MK_NEG)
            continue;
        ms[i].accepted = mk == MK_DESA || mk == MK_KEC || place_only || !ms[i].weak;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i + 1 < nm; i++) {
            struct mention *a = &ms[i], *b = &ms[i + 1];
            if (b->first != a->last + 1 || a->accepted == b->accepted)
                continue;
            if (a->marker == MK_KAB || a->marker == MK_NEG || b->marker == MK_KAB ||
                b->marker == MK_NEG)
                continue;
            if (holds(db, &a->set, &b->set) || holds(db, &b->set, &a->set))
                a->accepted = b->accepted = 1;
        }
    }

    /* a desa named next to a kecamatan that holds it is read as "that desa
     * of that kecamatan", whichever comes first ("Kalisalak Limpung",
     * "Limpung Kalisalak", "Bandar Bandar" = desa Bandar, kec Bandar) */
    for (int i = 0; i + 1 < nm; i++) {
        struct mention *a = &ms[i], *b = &ms[i + 1];
        if (a->accepted && b->accepted && b->first == a->last + 1 && !qualify(db, a, b))
            qualify(db, b, a);
    }

    /* 3. resolution */
    size_t start = 0, end = 0;
    int any = 0;
    for (int i = 0; i < nm; i++) {
        if (!ms[i].accepted || cset_empty(&ms[i].set))
            continue;
        if (!any || w[ms[i].first].start < start)
            start = w[ms[i].first].start;
        if (!any || w[ms[i].last].end > end)
            end = w[ms[i].last].end;
        any = 1;
        int merged = 0;
        for (int p = 0; p < npl && !merged; p++) {
            struct cset r = merge(db, &places[p], &ms[i].set);
            if (!cset_empty(&r)) {
                places[p] = r;
                merged = 1;
            }
        }
        if (merged)
            continue;
        if (npl == PLACES_IN_TEXT)
            return -1;
        places[npl++] = ms[i].set;
    }
    if (npl == 0 || result(db, places, npl, start, end, m) < 0) {
        no_match(m);
        return -1;
    }
    return 0;
}
