/* lexicon — the resident lexicon (data/lexicon.csv) and intent_of, the pure
 * reader of what a message means (see lexicon.h for the file and the API).
 *
 * kw_parse stays the first judge: it knows the keyword table, courtesies,
 * typos and multi-word keywords, and it only ever looks at the first word
 * that is not a courtesy, which keeps "jalan rusak, STOP dulu proyeknya"
 * from being an opt-out. intent_of adds, in this order:
 *   1. senders that are not mobile numbers get nothing (INTENT_SILENT);
 *   2. after a keyword: CEK skips the filler words before the ticket ("CEK
 *      tiket 100014") and finds the valid ticket anywhere; a bare number too
 *      short to be a ticket is no lookup; a LAPOR/INFO/MENU message that
 *      holds a valid ticket and a status question is a status check;
 *   3. without a keyword, anywhere in the first INTENT_WORDS_MAX words:
 *      a valid ticket with a status question (CEK); a "not satisfied"
 *      phrase (TIDAK PUAS); the keyword respelled (L4P0R, LAPORjalan, LPR,
 *      BRHNTI) in the words kw_parse looks at; a question about the service
 *      in a short message (INFO); a complaint keyword or an "I want to
 *      report" phrase (LAPOR); an emergency word not taken back (LAPOR,
 *      filed at once); an opt-out phrase in a short message (BERHENTI);
 *      "satisfied" in a short message (PUAS); thanks in a short message
 *      (silence); a text of several words with a complaint word or a place
 *      (ask once, INTENT_COMPLAINT_LIKELY);
 *   4. a TOLONG that kw_parse read as INFO goes through 3 first: it stays
 *      INFO only when nothing else is understood.
 * Only tickets with a right check digit count: a number with a wrong one,
 * a phone number or a NIK is never read as someone's ticket.
 *
 * Abbreviations are derived, not listed: a word whose only vowels are its
 * first or last letter is the abbreviation of the one row whose spellings
 * reduce to the same consonant skeleton (LPR, STS, DFTR, BRHNTI); a
 * skeleton that two rows share belongs to neither. Respellings are tried
 * only towards the residents' everyday rows (LAPOR, CEK, DAFTAR, BERHENTI,
 * MENU, INFO), and gluing never towards BERHENTI ("stopkontak rusak" is a
 * complaint, not an opt-out). */
#include "handlers/lexicon.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/phone.h"
#include "handlers/region.h"
#include "handlers/textmatch.h"

#define PHRASE_KEY_MAX 200 /* bytes of a phrase's keys joined by spaces */
#define RESPELL_TRIES  3   /* respelled words tried per message */
#define GLUE_REST_MIN  3   /* letters after a glued keyword */
#define GLUE_LONG      5   /* a keyword this long glues without a case change */

enum lx_kind {
    LX_KEYWORD,
    LX_NIAT,
    LX_STATUS,
    LX_FILLER,
    LX_GREETING,
    LX_OPTOUT,
    LX_DISSATISFIED,
    LX_THANKS,
    LX_LIKELY,
    LX_SATISFIED,
    LX_QUESTION,
    LX_PLEA,
    LX_EMERGENCY,
    LX_NEGATION,
    LX_KINDS
};

static const char *const kind_names[LX_KINDS] = {
    "kata_kunci",   "niat",    "tanya_status", "pengisi",    "salam",  "berhenti", "tidak_puas",
    "terima_kasih", "mungkin", "puas",         "tanya_info", "tolong", "darurat",  "sangkal",
};

struct phrase {
    unsigned char kind;
    unsigned char nwords;
    const struct keyword *kw; /* kata_kunci, niat */
    char key[PHRASE_KEY_MAX]; /* word keys joined by single spaces */
};

struct lexicon {
    int n;
    struct phrase p[LEXICON_MAX];
};

/* ---- loading ------------------------------------------------------------ */

static const char *const header[] = {"jenis", "bahasa", "frasa", "arti", NULL};

/* The keys of phrase's words joined by spaces into out; the word count, 0
 * when it has none, -1 when too long or too many words. */
static int phrase_key(const char *phrase, char *out, size_t outlen)
{
    size_t len = strlen(phrase), pos = 0, b, e, used = 0;
    int n = 0;
    char k[TM_KEY_MAX + 1];

    out[0] = '\0';
    while (tm_next_word(phrase, len, &pos, &b, &e) == 0) {
        int kl = tm_key(phrase + b, e - b, k);
        if (kl < 0 || n == LEXICON_PHRASE_WORDS || used + (size_t)kl + 2 > outlen)
            return -1;
        if (kl == 0)
            continue;
        if (n > 0)
            out[used++] = ' ';
        memcpy(out + used, k, (size_t)kl + 1);
        used += (size_t)kl;
        n++;
    }
    return n;
}

static int load_row(struct tm_csv *c, void *arg, char *err, size_t errlen)
{
    struct lexicon *lx = arg;
    const char *jenis = c->field[0], *bahasa = c->field[1], *frasa = c->field[2],
               *arti = c->field[3];
    int kind = -1;

    for (int i = 0; i < LX_KINDS; i++)
        if (strcmp(jenis, kind_names[i]) == 0)
            kind = i;
    if (kind < 0)
        return tm_csv_error(c, err, errlen,
                            "unknown jenis \"%s\" (kata_kunci, niat, tanya_status, pengisi, "
                            "salam, berhenti, tidak_puas, terima_kasih, mungkin, puas, "
                            "tanya_info, tolong, darurat, sangkal)",
                            jenis);
    if (tm_csv_text(c, "bahasa", bahasa, 15, err, errlen) < 0 ||
        tm_csv_text(c, "frasa", frasa, PHRASE_KEY_MAX - 1, err, errlen) < 0)
        return -1;
    struct phrase *p = &lx->p[lx->n];
    int nw = phrase_key(frasa, p->key, sizeof p->key);
    if (nw <= 0)
        return tm_csv_error(c, err, errlen, "frasa \"%s\" has no words or more than %d", frasa,
                            LEXICON_PHRASE_WORDS);
    p->kw = NULL;
    if (kind == LX_KEYWORD || kind == LX_NIAT) {
        p->kw = kw_find(arti);
        if (p->kw == NULL || p->kw->handler == NULL || (p->kw->flags & KW_OFFICIAL))
            return tm_csv_error(c, err, errlen, "arti \"%s\" is not a residents' keyword", arti);
    } else if (strcmp(arti, "-") != 0 && arti[0] != '\0') {
        return tm_csv_error(c, err, errlen, "arti must be \"-\" for jenis %s", jenis);
    }
    for (int i = 0; i < lx->n; i++)
        if (lx->p[i].kind == kind && strcmp(lx->p[i].key, p->key) == 0)
            return tm_csv_error(c, err, errlen, "frasa \"%s\" twice in jenis %s", frasa, jenis);
    p->kind = (unsigned char)kind;
    p->nwords = (unsigned char)nw;
    lx->n++;
    return 0;
}

struct lexicon *lexicon_load(const char *path, char *err, size_t errlen)
{
    struct lexicon *lx = calloc(1, sizeof *lx);

    if (!lx) {
        snprintf(err, errlen, "%s: out of memory", path ? path : "(null)");
        return NULL;
    }
    if (tm_csv_load(path, header, LEXICON_MAX, load_row, lx, err, errlen) < 0) {
        free(lx);
        return NULL;
    }
    return lx;
}

void lexicon_free(struct lexicon *lx)
{
    free(lx);
}

int lexicon_count(const struct lexicon *lx)
{
    return lx ? lx->n : 0;
}

/* ---- the message's words ------------------------------------------------ */

struct mword {
    size_t start, end;
    int number; /* only ASCII digits */
    int klen;
    char key[TM_KEY_MAX + 1];
};

struct msg {
    char text[KW_TEXT_MAX];
    size_t len;
    int n;
    struct mword w[INTENT_WORDS_MAX];
};

static void split(struct msg *m, const char *text)
{
    size_t pos = 0, b, e;

    m->len = kw_copy_text(text, m->text);
    m->n = 0;
    while (m->n < INTENT_WORDS_MAX && tm_next_word(m->text, m->len, &pos, &b, &e) == 0) {
        struct mword *w = &m->w[m->n];
        w->start = b;
        w->end = e;
        w->number = 1;
        for (size_t i = b; i < e; i++)
            if (m->text[i] < '0' || m->text[i] > '9')
                w->number = 0;
        w->klen = tm_key(m->text + b, e - b, w->key);
        if (w->klen <= 0)
            continue; /* only apostrophes, or too long: no key, never matches */
        m->n++;
    }
}

/* Words of phrase p matched from word i, or 0. */
static int phrase_at(const struct msg *m, int i, const struct phrase *p)
{
    const char *k = p->key;

    for (int used = 0; used < p->nwords; used++) {
        if (i + used >= m->n)
            return 0;
        const struct mword *w = &m->w[i + used];
        if (strncmp(k, w->key, (size_t)w->klen) != 0 || (k[w->klen] != ' ' && k[w->klen] != '\0'))
            return 0;
        k += w->klen;
        if (*k == ' ')
            k++;
    }
    return p->nwords;
}

/* The first phrase of kind anywhere (the longest at the first place), from
 * word `from`; sets *at and *used. NULL if none. */
static const struct phrase *find_kind(const struct lexicon *lx, const struct msg *m, int kind,
                                      int from, int *at, int *used)
{
    if (!lx)
        return NULL;
    for (int i = from; i < m->n; i++) {
        const struct phrase *best = NULL;
        int best_used = 0;
        for (int j = 0; j < lx->n; j++) {
            const struct phrase *p = &lx->p[j];
            if (p->kind != kind || p->key[0] != m->w[i].key[0])
                continue;
            int u = phrase_at(m, i, p);
            if (u > best_used)
                best = p, best_used = u;
        }
        if (best) {
            *at = i;
            *used = best_used;
            return best;
        }
    }
    return NULL;
}

/* 1 when a phrase of kind starts at word i (its words in *used). */
static int kind_at(const struct lexicon *lx, const struct msg *m, int kind, int i, int *used)
{
    int at;
    return find_kind(lx, m, kind, i, &at, used) != NULL && at == i;
}

static int is_filler(const struct lexicon *lx, const struct msg *m, int i, int *used)
{
    return kind_at(lx, m, LX_FILLER, i, used);
}

/* Words of the message inside phrases of kind. */
static int words_of_kind(const struct lexicon *lx, const struct msg *m, int kind)
{
    int at, used, n = 0;
    for (int from = 0; find_kind(lx, m, kind, from, &at, &used); from = at + used)
        n += used;
    return n;
}

/* 1 when a comma or a sentence's end stands between words j and j + 1. */
static int clause_ends(const struct msg *m, int j)
{
    for (size_t i = m->w[j].end; i < m->w[j + 1].start; i++)
        if (strchr(",.;!?\n", m->text[i]))
            return 1;
    return 0;
}

/* 1 when the message names an emergency (a darurat phrase) that no sangkal
 * word among the INTENT_NEGATION_WORDS words before it in the same clause
 * takes back ("bukan banjir", "kalau hujan banjir", "ora kobongan"; but
 * "bukan banjir, longsor" is one). */
static int emergency(const struct lexicon *lx, const struct msg *m)
{
    int at, used, u;
    for (int from = 0; find_kind(lx, m, LX_EMERGENCY, from, &at, &used); from = at + used) {
        int negated = 0;
        for (int j = at - 1; j >= 0 && j >= at - INTENT_NEGATION_WORDS && !clause_ends(m, j); j--)
            negated |= kind_at(lx, m, LX_NEGATION, j, &u);
        if (!negated)
            return 1;
    }
    return 0;
}

/* ---- keyword rows ------------------------------------------------------- */

/* Rows a respelled or anywhere word may stand for: the everyday ones. */
static const char *const respell_rows[] = {"LAPOR", "CEK",  "DAFTAR", "BERHENTI",
                                           "MENU",  "INFO", NULL};

/* Calls fn on each single-word spelling of row kw; stops at nonzero. */
static int each_spelling(const struct keyword *kw, int (*fn)(const char *sp, void *arg), void *arg)
{
    const char *const *al = kw->aliases;
    for (const char *sp = kw->name; sp; sp = (al && *al) ? *al++ : NULL) {
        if (strchr(sp, ' ') || sp[0] == '?')
            continue;
        int r = fn(sp, arg);
        if (r)
            return r;
    }
    return 0;
}

/* The keys and skeletons of the single-word spellings of the residents'
 * rows, built once: kw_table is fixed for the life of the process, and a
 * message's words are compared with them many times. */
#define SPELLINGS_MAX 160
static struct spelling {
    const struct keyword *kw;
    int klen, slen;
    char key[TM_KEY_MAX + 1];
    char skel[KW_WORD_MAX + 1];
} spellings[SPELLINGS_MAX];
static int nspellings;
static pthread_once_t spellings_once = PTHREAD_ONCE_INIT;

static int intent_skeleton_of(const char *spelling, char *out);

static int add_spelling(const char *sp, void *arg)
{
    struct spelling *e = &spellings[nspellings];
    if (nspellings == SPELLINGS_MAX)
        return 1; /* test_intent checks the table fits */
    e->kw = arg;
    e->klen = tm_key(sp, strlen(sp), e->key);
    e->slen = intent_skeleton_of(sp, e->skel);
    if (e->klen > 0)
        nspellings++;
    return 0;
}

static void build_spellings(void)
{
    for (const struct keyword *kw = kw_table; kw->name; kw++)
        if (kw->handler && !(kw->flags & KW_OFFICIAL))
            each_spelling(kw, add_spelling, (void *)kw);
}

/* 1 when key is the key of a single-word spelling of row kw. */
static int spelling_of(const struct keyword *kw, const char *key, int len)
{
    pthread_once(&spellings_once, build_spellings);
    for (int i = 0; i < nspellings; i++)
        if (spellings[i].kw == kw && spellings[i].klen == len &&
            memcmp(spellings[i].key, key, (size_t)len) == 0)
            return 1;
    return 0;
}

/* The row of respell_rows (or all residents' rows when any) one of whose
 * single-word spellings has this key. */
static const struct keyword *row_of_key(const char *key, int len)
{
    for (const char *const *r = respell_rows; *r; r++) {
        const struct keyword *kw = kw_find(*r);
        if (kw && kw->handler && spelling_of(kw, key, len))
            return kw;
    }
    return NULL;
}

static int is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int intent_skeleton(const char *spelling, char *out)
{
    return intent_skeleton_of(spelling, out);
}

static int intent_skeleton_of(const char *spelling, char *out)
{
    size_t o = 0;
    char last = 0;

    out[0] = '\0';
    for (size_t i = 0; spelling[i] && o < KW_WORD_MAX; i++) {
        char c = lower(spelling[i]);
        if (c < 'a' || c > 'z')
            continue; /* apostrophes, spaces, digits: not part of a skeleton */
        if (o > 0 && is_vowel(c))
            continue;
        if (c == last)
            continue;
        out[o++] = last = c;
    }
    out[o] = '\0';
    return o >= 3 ? (int)o : 0;
}

const struct keyword *intent_abbreviation(const char *word, size_t len)
{
    char w[KW_WORD_MAX + 1], skel[KW_WORD_MAX + 1];
    const struct keyword *found = NULL;

    if (len < 3 || len > KW_WORD_MAX)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = lower(word[i]);
        if (c < 'a' || c > 'z')
            return NULL;
        /* only the first and the last letter may be vowels */
        if (i > 0 && i + 1 < len && is_vowel(c))
            return NULL;
        w[i] = c;
    }
    w[len] = '\0';
    if (intent_skeleton(w, skel) == 0)
        return NULL;
    pthread_once(&spellings_once, build_spellings);
    for (const char *const *r = respell_rows; *r; r++) {
        const struct keyword *kw = kw_find(*r);
        int hit = 0;
        for (int i = 0; i < nspellings && !hit; i++)
            hit = spellings[i].kw == kw && spellings[i].slen > 0 &&
                  strcmp(spellings[i].skel, skel) == 0;
        if (!hit)
            continue;
        if (found && found != kw)
            return NULL; /* two rows share it: neither */
        found = kw;
    }
    return found;
}

/* ---- respelling --------------------------------------------------------- */

static const char *const affixes[] = {"an", "kan", "nya", "e",   "ne", "ipun", "i",
                                      "ke", "ku",  "mu",  "lah", "in", "na",   NULL};

static int is_affix(const char *s, size_t n)
{
    for (const char *const *a = affixes; *a; a++)
        if (strlen(*a) == n && strncmp(*a, s, n) == 0)
            return 1;
    return 0;
}

struct glue_arg {
    const char *lower; /* the token, lower case */
    size_t len;
    size_t best; /* longest spelling that starts the token */
};

static int glue_prefix(const char *sp, void *arg)
{
    struct glue_arg *g = arg;
    size_t n = strlen(sp);
    if (n < 3 || n >= g->len || n <= g->best)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(sp[i]) != g->lower[i])
            return 0;
    g->best = n;
    return 0;
}

/* Digits people type for letters. */
static char leet(char c)
{
    switch (c) {
    case '0':
        return 'o';
    case '1':
        return 'i';
    case '3':
        return 'e';
    case '4':
        return 'a';
    case '5':
        return 's';
    case '7':
        return 't';
    case '8':
        return 'b';
    case '9':
        return 'g';
    default:
        return c;
    }
}

/* What token s[0..n) stands for: writes its replacement (a spelling) into
 * out and returns the row, or NULL. *cut is set to the bytes of the token
 * replaced (all of it, or the glued keyword). */
static const struct keyword *respell(const char *s, size_t n, char *out, size_t outlen, size_t *cut)
{
    char w[KW_WORD_MAX + 1];
    int letters = 0, digits = 0;
    const struct keyword *kw;

    if (n < 3 || n > KW_WORD_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            letters++, w[i] = lower(c);
        else if (c >= '0' && c <= '9')
            digits++, w[i] = leet(c);
        else
            return NULL;
    }
    w[n] = '\0';
    *cut = n;
    if (digits > 0) {
        if (letters < 2)
            return NULL;
        for (size_t i = 0; i < n; i++)
            if (w[i] < 'a' || w[i] > 'z')
                return NULL;
        char k[TM_KEY_MAX + 1];
        int kl = tm_key(w, n, k);
        if (kl > 0 && (kw = row_of_key(k, kl)) != NULL) {
            snprintf(out, outlen, "%s", kw->name);
            return kw;
        }
        if ((kw = intent_abbreviation(w, n)) != NULL) {
            snprintf(out, outlen, "%s", kw->name);
            return kw;
        }
        return NULL;
    }
    if ((kw = intent_abbreviation(s, n)) != NULL) {
        snprintf(out, outlen, "%s", kw->name);
        return kw;
    }
    /* glued: the longest spelling of a row that starts the token */
    for (const char *const *r = respell_rows; *r; r++) {
        kw = kw_find(*r);
        if (!kw || !kw->handler || strcmp(kw->name, "BERHENTI") == 0)
            continue;
        struct glue_arg g = {w, n, 0};
        each_spelling(kw, glue_prefix, &g);
        if (g.best == 0)
            continue;
        size_t rest = n - g.best;
        int boundary =
            s[g.best - 1] >= 'A' && s[g.best - 1] <= 'Z' && s[g.best] >= 'a' && s[g.best] <= 'z';
        if (rest < GLUE_REST_MIN || is_affix(w + g.best, rest) || (!boundary && g.best < GLUE_LONG))
            continue;
        snprintf(out, outlen, "%s", kw->name);
        *cut = g.best;
        return kw;
    }
    return NULL;
}

/* ---- deciding ----------------------------------------------------------- */

static int is_row(const struct keyword *kw, const char *name)
{
    return kw && strcmp(kw->name, name) == 0;
}

/* Points r->match at a fresh copy of the message with args = text[from..to)
 * trimmed; keyword row kw. */
static void set_match(struct intent_result *r, const struct msg *m, const struct keyword *kw,
                      size_t from, size_t to)
{
    char *buf = r->match.buf;

    memcpy(buf, m->text, m->len + 1);
    while (from < to && strchr(" \t\r\n#.*,/:;-_+=", buf[from]))
        from++;
    while (to > from && strchr(" \t\r\n#.*,/:;-_+=", buf[to - 1]))
        to--;
    buf[to] = '\0';
    r->match.args = buf + from;
    r->match.keyword = kw;
    r->match.suggestion = NULL;
    r->match.distance = 0;
}

/* Sets args to the ticket, then " ", then text[from..] (TIDAK PUAS). */
static void set_ticket_args(struct intent_result *r, const struct msg *m, const struct keyword *kw,
                            size_t from)
{
    char *buf = r->match.buf;
    size_t n = 0;

    if (r->seq)
        n = (size_t)snprintf(buf, KW_TEXT_MAX, "%s ", r->ticket);
    while (from < m->len && strchr(" \t\r\n#.*,/:;-_+=", m->text[from]))
        from++;
    snprintf(buf + n, KW_TEXT_MAX - n, "%s", m->text + from);
    n = strlen(buf);
    while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
        buf[--n] = '\0';
    r->match.args = buf;
    r->match.keyword = kw;
    r->match.suggestion = NULL;
    r->match.distance = 0;
}

/* The first valid ticket: one number word, or two joined by one ' ', '-'
 * or '.' ("100 014"). Sets r->seq, r->ticket, *at. */
static void find_ticket(const struct msg *m, struct intent_result *r, int *at, int *words)
{
    char t[TICKET_MAX + 16];
    unsigned long long seq;

    for (int i = 0; i < m->n; i++) {
        if (!m->w[i].number)
            continue;
        for (int span = 2; span >= 1; span--) {
            if (i + span > m->n || (span == 2 && !m->w[i + 1].number))
                continue;
            size_t b = m->w[i].start, e = m->w[i + span - 1].end;
            if (e - b >= sizeof t)
                continue;
            memcpy(t, m->text + b, e - b);
            t[e - b] = '\0';
            if (ticket_parse(t, &seq) == 0) {
                r->seq = seq;
                ticket_format(seq, r->ticket, sizeof r->ticket);
                *at = i;
                *words = span;
                return;
            }
        }
    }
}

/* A status question: a tanya_status phrase, or a single-word spelling of CEK. */
static int asks_status(const struct lexicon *lx, const struct msg *m)
{
    int at, used;
    const struct keyword *cek = kw_find("CEK");

    if (find_kind(lx, m, LX_STATUS, 0, &at, &used))
        return 1;
    for (int i = 0; i < m->n; i++) {
        if (cek && spelling_of(cek, m->w[i].key, m->w[i].klen))
            return 1;
    }
    return 0;
}

/* A complaint keyword anywhere: a LAPOR spelling of 5+ letters other than
 * the noun "laporan", a kata_kunci or a niat phrase. */
static const struct keyword *complaint_anywhere(const struct lexicon *lx, const struct msg *m,
                                                int *at, int *used)
{
    const struct keyword *lapor = kw_find("LAPOR");
    const struct phrase *p;
    int a1 = m->n, u1 = 0, a2 = m->n, u2 = 0;

    if (lx && (p = find_kind(lx, m, LX_NIAT, 0, &a1, &u1)) == NULL)
        a1 = m->n;
    if (lx && (p = find_kind(lx, m, LX_KEYWORD, 0, &a2, &u2)) != NULL && a2 < a1) {
        a1 = a2, u1 = u2;
        lapor = p->kw;
    }
    for (int i = 0; lapor && i < a1 && i < m->n; i++) {
        if (m->w[i].klen >= 5 && strcmp(m->w[i].key, "laporan") != 0 &&
            spelling_of(kw_find("LAPOR"), m->w[i].key, m->w[i].klen)) {
            a1 = i, u1 = 1;
            lapor = kw_find("LAPOR");
            break;
        }
    }
    if (a1 >= m->n)
        return NULL;
    *at = a1;
    *used = u1;
    return lapor;
}

static void find_place(const struct region_db *rg, struct intent_result *r)
{
    struct region_match rm;

    if (!rg || !r->match.args)
        return;
    region_find(rg, r->match.args, &rm);
    if (rm.kind == REGION_AMBIGUOUS && rm.kecamatan >= 0)
        rm.kind = REGION_KECAMATAN; /* "di Limpung": the kecamatan, or its desa of that name */
    r->place_kind = rm.kind;
    r->desa = rm.desa;
    r->kecamatan = rm.kecamatan;
}

static enum intent finish(struct intent_result *r, const struct region_db *rg, enum intent in)
{
    r->intent = in;
    if (in == INTENT_COMPLAINT || in == INTENT_COMPLAINT_LIKELY)
        find_place(rg, r);
    if (in == INTENT_NONE || in == INTENT_SILENT || in == INTENT_THANKS)
        r->match.keyword = NULL;
    return in;
}

/* 1 when the keyword kw_parse found was the noun "laporan" ("laporan
 * 100014": my report 100014), not the verb "lapor". */
static int noun_before(const struct msg *m, const struct intent_result *r)
{
    size_t off = (size_t)(r->match.args - r->match.buf);
    int i = 0;
    while (i < m->n && m->w[i].end <= off)
        i++;
    return i > 0 && strncmp(m->w[i - 1].key, "laporan", 7) == 0;
}

/* After kw_parse found row kw. */
static enum intent after_keyword(const struct lexicon *lx, const struct region_db *rg,
                                 const struct msg *m, struct intent_result *r)
{
    const struct keyword *kw = r->match.keyword;

    if (is_row(kw, "TERIMA KASIH"))
        return finish(r, rg, INTENT_THANKS);
    if (is_row(kw, "CEK")) {
        /* where the args start in the text */
        size_t off = (size_t)(r->match.args - r->match.buf);
        int i = 0;
        while (i < m->n && m->w[i].end <= off)
            i++;
        int bare = 1;
        for (int j = 0; j < i; j++) {
            if (spelling_of(kw, m->w[j].key, m->w[j].klen))
                bare = 0; /* "CEK 12": asked, not bare */
        }
        if (bare && i < m->n && m->w[i].number && !r->seq && m->w[i].end - m->w[i].start < 32) {
            char word[32];
            memcpy(word, m->text + m->w[i].start, m->w[i].end - m->w[i].start);
            word[m->w[i].end - m->w[i].start] = '\0';
            if (!ticket_looks_like(word)) {
                /* "5", "12 rumah terendam": not a ticket lookup */
                r->match.keyword = NULL;
                return INTENT_NONE; /* caller goes on without a keyword */
            }
        }
        int used;
        while (i < m->n && is_filler(lx, m, i, &used))
            i += used;
        if (r->seq)
            set_ticket_args(r, m, kw, m->len); /* the valid ticket, wherever it is */
        else
            set_match(r, m, kw, i < m->n ? m->w[i].start : m->len, m->len);
        return finish(r, rg, INTENT_STATUS);
    }
    if ((is_row(kw, "LAPOR") || is_row(kw, "INFO") || is_row(kw, "MENU")) && r->seq &&
        (asks_status(lx, m) ||
         (is_row(kw, "LAPOR") && m->n <= INTENT_STATUS_WORDS && noun_before(m, r)))) {
        set_ticket_args(r, m, kw_find("CEK"), m->len);
        return finish(r, rg, INTENT_STATUS);
    }
    if (is_row(kw, "LAPOR"))
        return finish(r, rg, INTENT_COMPLAINT);
    if (is_row(kw, "BERHENTI"))
        return finish(r, rg, INTENT_OPTOUT);
    if (is_row(kw, "TIDAK PUAS"))
        return finish(r, rg, INTENT_DISSATISFIED);
    return finish(r, rg, INTENT_COMMAND);
}

static enum intent decide(const struct lexicon *lx, const struct region_db *rg, const char *text,
                          struct intent_result *r, int depth);

/* Tries respelled words among those kw_parse looks at. */
static enum intent try_respell(const struct lexicon *lx, const struct region_db *rg,
                               const struct msg *m, struct intent_result *r)
{
    const unsigned char *s = (const unsigned char *)m->text;
    size_t pos = 0, sl;
    int tries = 0;
    char alt[KW_TEXT_MAX + KW_WORD_MAX + 2];
    struct intent_result tmpr, *tmp = &tmpr;

    for (int words = 0; words < KW_SCAN_WORDS && tries < RESPELL_TRIES; words++) {
        while (pos < m->len && (sl = tm_sep_len(s + pos, m->len - pos)) > 0)
            pos += sl;
        if (pos >= m->len)
            break;
        size_t b = pos;
        while (pos < m->len && tm_sep_len(s + pos, m->len - pos) == 0)
            pos++;
        char rep[KW_WORD_MAX + 1];
        size_t cut;
        const struct keyword *kw = respell(m->text + b, pos - b, rep, sizeof rep, &cut);
        if (!kw)
            continue;
        tries++;
        int n = snprintf(alt, sizeof alt, "%.*s%s %s", (int)b, m->text, rep, m->text + b + cut);
        if (n < 0)
            continue;
        if (decide(lx, rg, alt, tmp, 1) != INTENT_NONE && tmp->match.keyword == kw) {
            *r = *tmp;
            /* args pointed into tmp's buffer: re-point into r's */
            r->match.args = r->match.buf + (tmp->match.args - tmp->match.buf);
            r->respelled = 1;
            return r->intent;
        }
    }
    return INTENT_NONE;
}

static int count_kind(const struct lexicon *lx, const struct msg *m, int kind)
{
    int at, used, n = 0;
    for (int from = 0; find_kind(lx, m, kind, from, &at, &used); from = at + used)
        n++;
    return n;
}

static enum intent no_keyword(const struct lexicon *lx, const struct region_db *rg,
                              const struct msg *m, struct intent_result *r, int depth)
{
    int at, used;
    const struct phrase *p;
    const struct keyword *kw;

    if (r->seq && asks_status(lx, m)) {
        set_ticket_args(r, m, kw_find("CEK"), m->len);
        return finish(r, rg, INTENT_STATUS);
    }
    if ((p = find_kind(lx, m, LX_DISSATISFIED, 0, &at, &used)) != NULL) {
        set_ticket_args(r, m, kw_find("TIDAK PUAS"), m->w[at + used - 1].end);
        return finish(r, rg, INTENT_DISSATISFIED);
    }
    if (depth == 0) {
        enum intent in = try_respell(lx, rg, m, r);
        if (in != INTENT_NONE)
            return in;
    }
    int urgent = emergency(lx, m);
    /* "cara lapor gimana?", "ini nomor apa?": a question about the service */
    if (!urgent && m->n <= INTENT_QUESTION_WORDS && find_kind(lx, m, LX_QUESTION, 0, &at, &used)) {
        set_match(r, m, kw_find("INFO"), m->len, m->len);
        return finish(r, rg, INTENT_COMMAND);
    }
    if ((kw = complaint_anywhere(lx, m, &at, &used)) != NULL) {
        /* the whole text is the complaint: what comes before the keyword
         * often names the place ("kulo Budi saking desa X, lapor ...") */
        set_match(r, m, kw, 0, m->len);
        return finish(r, rg, INTENT_COMPLAINT);
    }
    /* an emergency is filed at once, never asked first */
    if (urgent && m->n >= INTENT_URGENT_WORDS) {
        set_match(r, m, kw_find("LAPOR"), 0, m->len);
        return finish(r, rg, INTENT_COMPLAINT);
    }
    int likely = count_kind(lx, m, LX_LIKELY);
    /* pleas, greetings and fillers ("tolong ... ke nomor ini") are not
     * counted against an opt-out's slack */
    int around = words_of_kind(lx, m, LX_PLEA) + words_of_kind(lx, m, LX_GREETING);
    if ((p = find_kind(lx, m, LX_OPTOUT, 0, &at, &used)) != NULL && likely == 0 &&
        m->n - around <= used + (p->nwords >= 2 ? INTENT_OPTOUT_SLACK : 1)) {
        set_match(r, m, kw_find("BERHENTI"), m->len, m->len);
        return finish(r, rg, INTENT_OPTOUT);
    }
    /* "puas", "sampun sae, matur nuwun, marem": satisfied, before thanks */
    if ((p = find_kind(lx, m, LX_SATISFIED, 0, &at, &used)) != NULL &&
        m->n <= INTENT_SATISFIED_WORDS && likely == 0) {
        set_ticket_args(r, m, kw_find("PUAS"), m->w[at + used - 1].end);
        return finish(r, rg, INTENT_COMMAND);
    }
    if (find_kind(lx, m, LX_THANKS, 0, &at, &used) && m->n <= INTENT_THANKS_WORDS && likely == 0)
        return finish(r, rg, INTENT_THANKS);
    if (m->n >= INTENT_LIKELY_WORDS) {
        int place = 0;
        if (!likely && rg) {
            struct region_match rm;
            region_find(rg, m->text, &rm);
            place = rm.kind == REGION_DESA || rm.kind == REGION_KECAMATAN;
        }
        if (likely || place) {
            const struct keyword *suggestion = r->match.suggestion;
            set_match(r, m, kw_find("LAPOR"), 0, m->len);
            r->match.suggestion = suggestion;
            return finish(r, rg, INTENT_COMPLAINT_LIKELY);
        }
    }
    return finish(r, rg, INTENT_NONE);
}

/* 1 when kw_parse's INFO came from a plea (a tolong phrase: "tolong",
 * "tulung") and more words follow or come before it. */
static int plea_only(const struct lexicon *lx, const struct msg *m, const struct intent_result *r)
{
    size_t off = (size_t)(r->match.args - r->match.buf);
    int i = 0, used;

    if (!is_row(r->match.keyword, "INFO"))
        return 0;
    while (i < m->n && m->w[i].end <= off)
        i++;
    /* word i - 1 ends the keyword; a plea phrase of one or two words */
    for (int b = i - 1; b >= 0 && b >= i - 2; b--)
        if (kind_at(lx, m, LX_PLEA, b, &used) && b + used == i)
            return m->n > used;
    return 0;
}

static enum intent decide(const struct lexicon *lx, const struct region_db *rg, const char *text,
                          struct intent_result *r, int depth)
{
    struct msg msg, *m = &msg;
    int tk_at = -1, tk_words = 0;
    enum intent in;

    r->intent = INTENT_NONE;
    r->seq = 0;
    r->ticket[0] = '\0';
    r->place_kind = REGION_NONE;
    r->desa = r->kecamatan = -1;
    r->respelled = 0;
    int kw = kw_parse(text, &r->match);
    split(m, text);
    find_ticket(m, r, &tk_at, &tk_words);
    if (kw == 0 && r->match.keyword->handler) {
        in = after_keyword(lx, rg, m, r);
        if (in == INTENT_COMMAND && plea_only(lx, m, r)) {
            /* "tolong" is INFO only when nothing else is understood:
             * "tolong, banjir masuk rumah" is an emergency */
            struct intent_result help = *r;
            if (no_keyword(lx, rg, m, r, depth) != INTENT_NONE)
                return r->intent;
            *r = help; /* help's args point into r's buffer, restored with it */
            return in;
        }
        if (r->match.keyword != NULL || in != INTENT_NONE)
            return in;
        r->match.suggestion = NULL;
    }
    return no_keyword(lx, rg, m, r, depth);
}

enum intent intent_of(const struct lexicon *lx, const struct region_db *regions, const char *sender,
                      const char *text, struct intent_result *r)
{
    if (sender) {
        char norm[32];
        if (phone_normalise(sender, norm, sizeof norm) != PHONE_MOBILE) {
            kw_parse("", &r->match);
            r->match.keyword = NULL;
            r->seq = 0;
            r->ticket[0] = '\0';
            r->place_kind = REGION_NONE;
            r->desa = r->kecamatan = -1;
            r->respelled = 0;
            return r->intent = INTENT_SILENT;
        }
    }
    return decide(lx, regions, text, r, 0);
}

const char *intent_name(enum intent in)
{
    static const char *const names[] = {"none",      "silent",           "command",
                                        "complaint", "complaint_likely", "status",
                                        "optout",    "dissatisfied",     "thanks"};
    return (unsigned)in < sizeof names / sizeof names[0] ? names[in] : "?";
}
