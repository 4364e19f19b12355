/* keyword — the keyword table and the parser (see keyword.h for the rules).
 *
 * Residents write from feature phones, in Indonesian or Javanese, politely:
 * "Assalamualaikum pak, lapor jalan rusak", "infooo", "LAPOR#Kandeman#jalan",
 * "lpaor ...". The parser turns that into one row of kw_table plus the rest
 * of the message, or into "no keyword" with perhaps a suggestion.
 *
 * How it works, and why:
 *   - The text is copied into m->buf (bounded, cut at a UTF-8 boundary) so
 *     args can point into it and be trimmed in place; nothing is allocated.
 *   - Only the first KW_SCAN_WORDS words (+ room for a multi-word keyword) are
 *     tokenised, each into a "key": ASCII lower case, apostrophes dropped,
 *     repeated characters collapsed. Both the message word and the table
 *     spelling are reduced the same way, so "LAPORRR" = "lapor", and a real
 *     keyword with a double letter still matches itself.
 *   - Courtesies are skipped from a fixed list, never arbitrary words: the
 *     first word that is not a courtesy decides. Skipping unknown words to
 *     hunt for a keyword further on would turn free text into commands
 *     ("jalan di depan rumah saya rusak, STOP ..."), and with typo tolerance
 *     almost any long text would hit something. KW_SCAN_WORDS (16) bounds the
 *     work per message and covers the longest real openings we have seen,
 *     "Assalamualaikum wr wb, selamat pagi bapak ibu admin, mohon maaf, saya
 *     mau lapor" being 13 words; a message that is only courtesies for 16
 *     words is chit-chat, not a command.
 *   - A word that is a courtesy and a keyword (TOLONG) is kept as a fallback:
 *     "tolong cek 123" is CEK, "tolong" alone is INFO.
 *   - Order of tests on a word: exact keyword, courtesy (exact, or distance 1
 *     for courtesies of 7+ letters: "asalamualaikom"), bare number, keyword at
 *     Damerau distance 1 (spellings of 4+ letters). A correction that fits two
 *     different rows is refused and offered as a suggestion instead.
 *   - Suggestions ("Maksud Anda LAPOR?") for distance 2 from spellings of 5+
 *     letters and distance 1 from 3-letter ones (which are never corrected
 *     silently). Officials' commands are never suggested.
 *
 * Cost: no allocation, no pass over the message beyond the copy, the words
 * looked at and the args trim. Exact matching compares keys on the fly and
 * rejects a spelling on its first character; keys of spellings are built
 * only for the one deciding word when it is not exact (typo or unknown).
 * Measured at -O2 on this machine with a 13-row table: 0.3-1 us for a
 * message that starts with a keyword or a short greeting, about 5 us for a
 * 13-word greeting, 2-7 us for an unknown message (suggestion search). */
#include "handlers/keyword.h"

#include "handlers/complaint.h"
#include "handlers/menu_sms.h"
#include "handlers/siar.h"
#include "handlers/subscribe.h"

#include <string.h>

#include "handlers/textmatch.h"

#define PHRASE_MAX     4 /* words in a multi-word spelling */
#define FUZZY_MIN      4 /* letters a spelling needs before typos are corrected */
#define SUGGEST_MIN    5 /* letters a spelling needs for a distance-2 suggestion */
#define COURTESY_FUZZY 7 /* letters a courtesy needs before typos are tolerated */
#define WORDS_MAX      (KW_SCAN_WORDS + PHRASE_MAX)

/* ---- the table ---------------------------------------------------------- */

static const char *const info_aliases[] = {
    "INFORMASI", "BANTUAN", "BANTU",    "HELP",       "TOLONG", "TULUNG",
    "PITULUNG",  "PANDUAN", "PETUNJUK", "KETERANGAN", "?",      NULL,
};

static const char *const lapor_aliases[] = {
    "LPR",   "ADUAN",   "ADU",       "NGADU",  "KELUHAN", "KOMPLAIN", "COMPLAIN",
    "WADUL", "LAPORAN", "PENGADUAN", "REPORT", "MELAPOR", "SAMBAT",   NULL,
};
static const char *const cek_aliases[] = {
    "CEX", "CEEK", "CHECK", "STATUS", "LACAK", "TRACK", "CEKTIKET", "PRIKSA", NULL,
};
static const char *const daftar_aliases[] = {
    "REG", "LANGGANAN", "SUBSCRIBE", "IKUT", "DAFTARKAN", NULL,
};
static const char *const berhenti_aliases[] = {
    "STOP", "UNREG", "KELUAR", "UNSUB", "UNSUBSCRIBE", "MANDEG", "OFF", NULL,
};
static const char *const menu_aliases[] = {"MENUS", "PILIHAN", "MULAI", "START", NULL};
static const char *const puas_aliases[] = {"MAREM", "SENENG", "SATISFIED", NULL};
static const char *const tidak_puas_aliases[] = {
    "TDK PUAS", "GAK PUAS",  "NGGAK PUAS",   "ENGGAK PUAS",   "BELUM PUAS", "KURANG PUAS",
    "ORA PUAS", "ORA MAREM", "DURUNG MAREM", "NOT SATISFIED", NULL,
};
static const char *const terima_kasih_aliases[] = {
    "TRIMA KASIH", "MAKASIH", "TERIMAKASIH", "MATUR NUWUN", "MATURNUWUN",
    "SUWUN",       "THANKS",  "THX",         NULL,
};
static const char *const ya_aliases[] = {"IYA", "KIRIM", NULL};
static const char *const none[] = {NULL};

/* Help lines share one SMS (INFO_SMS_MAX); keep each short, GSM-7 only,
 * starting with the keyword. tests/unit/test_keyword.c checks all of it. */
const struct keyword kw_table[] = {
    {"LAPOR", lapor_aliases, complaint_lapor, "LAPOR <isi>: pengaduan", 0},
    {"CEK", cek_aliases, complaint_cek, "CEK <no tiket>: status", KW_BARE_NUMBER},
    {"DAFTAR", daftar_aliases, subscribe_daftar, "DAFTAR <desa>: info desa", 0},
    {"BERHENTI", berhenti_aliases, subscribe_berhenti, "BERHENTI: stop info", KW_MENU_EXIT},
    {"MENU", menu_aliases, menu_sms_start, "MENU: pilihan", KW_MENU_EXIT},
    {"INFO", info_aliases, info_handler, "INFO: bantuan", KW_MENU_EXIT},
    {"TIDAK PUAS", tidak_puas_aliases, complaint_tidak_puas, "TIDAK PUAS <alasan>: buka lagi",
     KW_HIDDEN},
    {"PUAS", puas_aliases, complaint_puas, "PUAS: tutup tiket", KW_HIDDEN},
    /* the resident corrects the place the confirmation named */
    {"LOKASI", none, complaint_lokasi, "LOKASI <tiket> <desa>: ubah lokasi", KW_HIDDEN},
    /* "terima kasih" must never be read as the officials' TERIMA: the
     * longer match wins, and thanks get a deliberate silence. */
    {"TERIMA KASIH", terima_kasih_aliases, kw_silence, "TERIMA KASIH: tidak dibalas", KW_HIDDEN},
    {"TERIMA", none, complaint_terima, "TERIMA <tiket>", KW_OFFICIAL},
    {"BALAS", none, complaint_balas, "BALAS <tiket> <jawaban>", KW_OFFICIAL},
    {"SELESAI", none, complaint_selesai, "SELESAI <tiket> <jawaban>", KW_OFFICIAL},
    {"ALIHKAN", none, complaint_alihkan, "ALIHKAN <tiket> <OPD>", KW_OFFICIAL},
    {"TOLAK", none, complaint_tolak, "TOLAK <tiket> <alasan>", KW_OFFICIAL},
    {"SIAR", none, siar_handler, "SIAR <desa/kec/SEMUA> <isi>", KW_OFFICIAL},
    {"YA", ya_aliases, siar_ya, "YA: kirim siaran", KW_OFFICIAL},
    {"BATAL", none, siar_batal, "BATAL: batalkan siaran", KW_OFFICIAL},
    {NULL, NULL, NULL, NULL, 0},
};

/* Openings residents put before the keyword: greetings (Islamic, Indonesian,
 * Javanese, Sundanese, Balinese), titles, apologies and "I want to". Matched
 * by key, so "Assalamu'alaikum", "asalamualaikum" and "ASSALAMUALAIKUM" are
 * one entry. Lower case. Never list a word that is likely to start a
 * complaint, nor "terima" (TERIMA is an officials' command; "terima kasih"
 * belongs at the end of a message, not before a keyword). */
static const char *const courtesies[] = {
    /* Islamic greeting and its pieces as people split and shorten it */
    "assalamualaikum",
    "assalamu",
    "alaikum",
    "alaykum",
    "assalam",
    "salam",
    "ass",
    "askum",
    "aslm",
    "aslmkm",
    "samlekom",
    "waalaikumsalam",
    "warahmatullahi",
    "warahmatullah",
    "wabarakatuh",
    "wabarokatuh",
    "wr",
    "wb",
    "wrwb",
    /* time-of-day greetings, Indonesian and Javanese */
    "selamat",
    "slamat",
    "met",
    "pagi",
    "siang",
    "sore",
    "malam",
    "sugeng",
    "enjing",
    "siyang",
    "sonten",
    "dalu",
    "ndalu",
    /* other greetings */
    "halo",
    "helo",
    "hai",
    "hay",
    "hi",
    "hei",
    "hey",
    "punten",
    "sampurasun",
    "om",
    "swastiastu",
    "shalom",
    /* courtesies and apologies */
    "permisi",
    "misi",
    "maaf",
    "mohon",
    "mhn",
    "tolong",
    "nyuwun",
    "sewu",
    "nuwun",
    "ngapunten",
    "yth",
    "kepada",
    "dengan",
    "hormat",
    "makasih",
    "matur",
    /* titles */
    "pak",
    "bapak",
    "bpk",
    "bp",
    "bu",
    "ibu",
    "buk",
    "mas",
    "mbak",
    "mba",
    "min",
    "admin",
    "mimin",
    "kak",
    "kakak",
    "gan",
    "dik",
    "dek",
    "bang",
    "bos",
    /* "I want to / please" */
    "saya",
    "aku",
    "kulo",
    "kula",
    "mau",
    "ingin",
    "pengen",
    "pingin",
    "kepingin",
    "minta",
    "badhe",
    "ajeng",
    "arep",
    NULL,
};

/* ---- characters --------------------------------------------------------- */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Word separators and apostrophes are textmatch's (tm_sep_len,
 * tm_apostrophe_len), shared with the region and category finders. */

/* Bytes trimmed around args: whitespace, control and the separators people
 * put between keyword and text. Brackets, quotes, '?' and '!' stay. */
static int is_trim_ascii(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || strchr("#.*,/:;-_+=", c) != NULL;
}

/* Length of a trimmable character starting at s (0 if none). */
static size_t trim_len_fwd(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return (s[0] != '\0' && is_trim_ascii(s[0])) ? 1 : 0;
    size_t l = tm_sep_len(s, n);
    /* curly double quotes are separators but not trimmed */
    if (l == 3 && (s[2] == 0x9C || s[2] == 0x9D))
        return 0;
    return l;
}

/* Length of a trimmable character ending at s[n - 1] (0 if none). */
static size_t trim_len_back(const unsigned char *s, size_t n)
{
    if (n >= 1 && s[n - 1] < 0x80)
        return is_trim_ascii(s[n - 1]) ? 1 : 0;
    if (n >= 2 && trim_len_fwd(s + n - 2, 2) == 2)
        return 2;
    if (n >= 3 && trim_len_fwd(s + n - 3, 3) == 3)
        return 3;
    return 0;
}

/* ---- keys --------------------------------------------------------------- */

struct key {
    unsigned char len; /* 0 for an empty or over-long word */
    char s[KW_WORD_MAX + 1];
};

/* Reduces s[0..n) to its key (tm_key_letters: tm_key without its
 * two-character floor); spaces are skipped so a multi-word spelling yields
 * its glued key. Returns the number of letters seen (for the length
 * thresholds), or -1 when the word is longer than KW_WORD_MAX. */
static int make_key(const char *s, size_t n, struct key *k)
{
    size_t letters;

    k->len = 0;
    k->s[0] = '\0';
    if (n > KW_WORD_MAX)
        return -1;
    /* n <= KW_WORD_MAX bounds the key, so this cannot fail */
    k->len = (unsigned char)tm_key_letters(s, n, k->s, KW_WORD_MAX, &letters);
    return (int)letters;
}

static int key_eq(const struct key *a, const struct key *b)
{
    return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/* 1 when a and b are at Damerau distance exactly 1 (tm_dist1). */
static int dist_one(const struct key *a, const struct key *b)
{
    return tm_dist1(a->s, a->len, b->s, b->len);
}

/* Damerau (optimal string alignment) distance, capped at 3. Only used on the
 * one deciding word of an unmatched message, for suggestions. */
static int dist_capped(const struct key *a, const struct key *b)
{
    int prev2[KW_WORD_MAX + 1], prev[KW_WORD_MAX + 1], cur[KW_WORD_MAX + 1];
    size_t la = a->len, lb = b->len;

    if ((la > lb ? la - lb : lb - la) > 2)
        return 3;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        int row_min = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            int cost = a->s[i - 1] != b->s[j - 1];
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a->s[i - 1] == b->s[j - 2] && a->s[i - 2] == b->s[j - 1] &&
                prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min >= 3)
            return 3;
        memcpy(prev2, prev, sizeof(int) * (lb + 1));
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb] < 3 ? prev[lb] : 3;
}

/* ---- words -------------------------------------------------------------- */

struct word {
    unsigned short start, end; /* byte offsets into m->buf */
    unsigned char number;      /* all ASCII digits */
    struct key key;
};

/* The message's words, tokenised only as far as the parser looks. */
struct words {
    const char *buf;
    size_t len, pos;
    int n;
    struct word w[WORDS_MAX];
};

/* Word i, tokenising up to it; NULL past the last word or WORDS_MAX. */
static const struct word *word_at(struct words *ws, int i)
{
    const unsigned char *s = (const unsigned char *)ws->buf;

    while (ws->n <= i && ws->n < WORDS_MAX) {
        size_t sl;
        while (ws->pos < ws->len && (sl = tm_sep_len(s + ws->pos, ws->len - ws->pos)) > 0)
            ws->pos += sl;
        if (ws->pos >= ws->len)
            return NULL;
        size_t start = ws->pos, j = start;
        if (s[j] == '?') {
            while (j < ws->len && s[j] == '?')
                j++;
        } else {
            /* a letter followed by a digit also ends a word: "CEK12345" */
            while (j < ws->len && s[j] != '?' && tm_sep_len(s + j, ws->len - j) == 0 &&
                   !(j > start && is_digit(s[j]) && is_letter(s[j - 1])))
                j++;
        }
        struct word *w = &ws->w[ws->n++];
        w->start = (unsigned short)start;
        w->end = (unsigned short)j;
        w->number = 1;
        for (size_t k = start; k < j; k++)
            if (!is_digit(s[k]))
                w->number = 0;
        make_key(ws->buf + start, j - start, &w->key);
        ws->pos = j;
    }
    return i < ws->n ? &ws->w[i] : NULL;
}

/* ---- exact matching (the hot path: no keys built) ----------------------- */

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Walks a spelling from *p, producing its key characters on the fly, and
 * compares them with k: one word (up to a space) or, glued, the whole rest.
 * On a match returns 1 and leaves *p at the next word of the spelling. */
static int part_eq(const char **p, const struct key *k, int glued)
{
    const char *s = *p;
    size_t o = 0;
    char last = 0;

    if (k->len == 0)
        return 0;
    for (; *s && (glued || *s != ' '); s++) {
        char c = lower(*s);
        if (c == '\'' || c == '`' || c == ' ' || c == last)
            continue;
        if (o >= k->len || k->s[o] != c)
            return 0;
        last = c;
        o++;
    }
    if (o != k->len)
        return 0;
    while (*s == ' ')
        s++;
    *p = s;
    return 1;
}

/* Words of spelling sp matching exactly from word i (0 if none): word by
 * word, or glued into word i. Spellings start with a letter, digit or '?',
 * so the key's first character rejects almost every spelling at once. */
static int spelling_exact(struct words *ws, int i, const char *sp)
{
    const struct word *w = word_at(ws, i);
    const char *p = sp;
    int used = 0;

    if (!w || lower(sp[0]) != w->key.s[0])
        return 0;
    while (*p && used < PHRASE_MAX) {
        const struct word *wj = word_at(ws, i + used);
        if (!wj || !part_eq(&p, &wj->key, 0))
            break;
        used++;
    }
    if (*p == '\0' && used > 0)
        return used;
    p = sp;
    return (strchr(sp, ' ') && part_eq(&p, &w->key, 1)) ? 1 : 0;
}

/* ---- fuzzy matching (only for the one word that decides) --------------- */

/* The first two key characters of a spelling, without building its key. */
static void key_head(const char *sp, char head[2])
{
    char last = 0;
    int n = 0;

    head[0] = head[1] = 0;
    for (; *sp && *sp != ' ' && n < 2; sp++) {
        char c = lower(*sp);
        if (c == '\'' || c == '`' || c == last)
            continue;
        head[n++] = last = c;
    }
}

/* A necessary condition for Damerau distance <= 1 between keys a and b, on
 * their first two characters only: whatever the one edit is, it leaves one of
 * these pairs equal. Rejects most spellings before their key is built. */
static int may_be_close(const char *sp, const struct key *k)
{
    char h[2];

    key_head(sp, h);
    if (h[1] == 0 || k->len < 2)
        return 1; /* too short to tell */
    return h[0] == k->s[0] || h[1] == k->s[1] || h[0] == k->s[1] || h[1] == k->s[0];
}

/* Raw letters in a spelling, to skip spellings whose key cannot be within
 * one character of a key of length len (a key is never longer than this). */
static int too_short_for(const char *sp, size_t len)
{
    return strlen(sp) + 1 < len;
}

/* Distance (0 or 1) of spelling sp from word i on, word by word with one
 * typo in all, or glued; returns words used, 0 if no match. */
static int spelling_fuzzy(struct words *ws, int i, const char *sp, int *dist)
{
    struct key k;
    const char *p = sp;
    int used = 0, d = 0, ok = 1;
    const struct word *w = word_at(ws, i);

    if (!w || w->key.len == 0 || too_short_for(sp, w->key.len) || !may_be_close(sp, &w->key))
        return 0;
    while (*p && ok) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const struct word *wj = word_at(ws, i + used);
        int letters = make_key(p, n, &k);
        if (!wj || used >= PHRASE_MAX || letters < 0 || wj->key.len == 0)
            ok = 0;
        else if (!key_eq(&k, &wj->key)) {
            if (d == 0 && letters >= FUZZY_MIN && dist_one(&k, &wj->key))
                d = 1;
            else
                ok = 0;
        }
        used++;
        p += n;
        while (*p == ' ')
            p++;
    }
    if (ok && used > 0) {
        *dist = d;
        return used;
    }
    if (strchr(sp, ' ')) {
        int letters = make_key(sp, strlen(sp), &k);
        if (letters >= FUZZY_MIN && dist_one(&k, &w->key)) {
            *dist = 1;
            return 1;
        }
    }
    return 0;
}

/* ---- choosing a row ----------------------------------------------------- */

struct cand {
    const struct keyword *kw;
    int used;      /* words consumed */
    int dist;      /* 0 or 1 */
    int ambiguous; /* a different row matched as well as kw */
};

/* Best row for the words starting at i: more words first, then table order
 * (fuzzy: a tie between different rows is ambiguous). */
static struct cand match_at(const struct keyword *table, struct words *ws, int i, int fuzzy)
{
    struct cand best = {NULL, 0, fuzzy, 0};

    for (const struct keyword *kw = table; kw->name; kw++) {
        if (!kw->handler)
            continue;
        const char *const *al = kw->aliases;
        for (const char *sp = kw->name; sp; sp = (al && *al) ? *al++ : NULL) {
            int dist = 0;
            int used = fuzzy ? spelling_fuzzy(ws, i, sp, &dist) : spelling_exact(ws, i, sp);
            if (used == 0)
                continue;
            if (used > best.used) {
                best = (struct cand){kw, used, dist, 0};
            } else if (used == best.used && kw != best.kw) {
                best.ambiguous = 1;
            }
        }
    }
    return best;
}

static int is_courtesy(const struct word *w)
{
    const char *c;

    if (w->key.len == 0)
        return 0;
    for (const char *const *cp = courtesies; (c = *cp) != NULL; cp++)
        if (c[0] == w->key.s[0] && part_eq(&c, &w->key, 0))
            return 1;
    return 0;
}

/* A long greeting with one typo: "asalamualaikom", "wabarakatu". */
static int is_courtesy_typo(const struct word *w)
{
    struct key k;

    if (w->key.len < COURTESY_FUZZY - 2)
        return 0;
    for (const char *const *c = courtesies; *c; c++) {
        size_t n = strlen(*c);
        if (n < COURTESY_FUZZY || n + 1 < w->key.len || !may_be_close(*c, &w->key))
            continue;
        make_key(*c, n, &k);
        if (dist_one(&k, &w->key))
            return 1;
    }
    return 0;
}

/* A "did you mean" row for a word no spelling matched, or NULL. */
static const struct keyword *suggest(const struct keyword *table, const struct word *w)
{
    const struct keyword *best = NULL;
    int best_d = 3;
    struct key k;

    if (w->key.len < 3 || w->number) /* "ad", "ce": too little to guess from */
        return NULL;
    for (const struct keyword *kw = table; kw->name; kw++) {
        if (!kw->handler || (kw->flags & KW_OFFICIAL))
            continue;
        const char *const *al = kw->aliases;
        for (const char *sp = kw->name; sp; sp = (al && *al) ? *al++ : NULL) {
            if (strlen(sp) + 2 < w->key.len)
                continue;
            int letters = make_key(sp, strlen(sp), &k);
            if (letters < 3)
                continue;
            int d = dist_capped(&k, &w->key);
            int limit = letters >= SUGGEST_MIN ? 2 : 1;
            if (d > 0 && d <= limit && d < best_d)
                best = kw, best_d = d;
        }
    }
    return best;
}

/* ---- parse -------------------------------------------------------------- */

size_t kw_copy_text(const char *text, char *buf)
{
    size_t n = text ? strnlen(text, KW_TEXT_MAX) : 0;

    if (n >= KW_TEXT_MAX) {
        n = KW_TEXT_MAX - 1;
        /* text[n] is the first byte left out; while it continues a sequence,
         * leave out the bytes before it too, down to and with the lead byte
         * (at most 3: longer runs are invalid UTF-8 anyway). */
        for (int back = 0; back < 3 && ((unsigned char)text[n] & 0xC0) == 0x80; back++)
            n--;
    }
    if (n)
        memcpy(buf, text, n);
    buf[n] = '\0';
    return n;
}

/* Points m->args at buf[from..len) minus trimmable characters at both ends. */
static void set_args(struct kw_match *m, size_t from, size_t len)
{
    const unsigned char *s = (const unsigned char *)m->buf;
    size_t t;

    while (from < len && (t = trim_len_fwd(s + from, len - from)) > 0)
        from += t;
    while (len > from && (t = trim_len_back(s + from, len - from)) > 0)
        len -= t;
    m->buf[len] = '\0';
    m->args = m->buf + from;
}

static int matched(struct kw_match *m, const struct keyword *kw, int dist, size_t from, size_t len)
{
    m->keyword = kw;
    m->suggestion = NULL;
    m->distance = dist;
    set_args(m, from, len);
    return 0;
}

int kw_parse_table(const struct keyword *table, const char *text, struct kw_match *m)
{
    struct words ws;
    struct cand fallback = {NULL, 0, 0, 0};
    size_t fallback_end = 0;
    const struct word *w;

    m->keyword = NULL;
    m->suggestion = NULL;
    m->distance = 0;
    ws.buf = m->buf;
    ws.len = kw_copy_text(text, m->buf);
    ws.pos = 0;
    ws.n = 0;

    for (int i = 0; i < KW_SCAN_WORDS && (w = word_at(&ws, i)) != NULL; i++) {
        struct cand c = match_at(table, &ws, i, 0);
        if (c.kw) {
            size_t end = ws.w[i + c.used - 1].end;
            if (!is_courtesy(w))
                return matched(m, c.kw, 0, end, ws.len);
            /* TOLONG: the keyword only if no other keyword follows */
            if (!fallback.kw)
                fallback = c, fallback_end = end;
            i += c.used - 1;
            continue;
        }
        if (is_courtesy(w))
            continue;
        if (w->number) {
            for (const struct keyword *kw = table; kw->name; kw++)
                if (kw->handler && (kw->flags & KW_BARE_NUMBER))
                    return matched(m, kw, 0, w->start, ws.len);
            break;
        }
        if (is_courtesy_typo(w))
            continue;
        c = match_at(table, &ws, i, 1);
        if (c.kw && !c.ambiguous)
            return matched(m, c.kw, 1, ws.w[i + c.used - 1].end, ws.len);
        if (!fallback.kw) {
            m->suggestion = c.kw ? c.kw : suggest(table, w);
            if (m->suggestion && (m->suggestion->flags & KW_OFFICIAL))
                m->suggestion = NULL;
        }
        break;
    }
    if (fallback.kw)
        return matched(m, fallback.kw, 0, fallback_end, ws.len);
    set_args(m, 0, ws.len);
    return -1;
}

int kw_parse(const char *text, struct kw_match *m)
{
    return kw_parse_table(kw_table, text, m);
}

const struct keyword *kw_find(const char *name)
{
    for (const struct keyword *k = kw_table; name && k->name; k++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}
