/* textmatch — words, keys, one-typo comparison, the never-corrected words and
 * the seed CSV reader (see textmatch.h).
 *
 * The word rules are the keyword parser's (handlers/keyword.c), so a word is
 * cut the same way wherever the gateway looks at a message. Keys differ from
 * the parser's in one point: a word of two or more letters keeps a key of at
 * least two characters, because the category list has "kk" (kartu keluarga)
 * and a lone "k" must not match it.
 *
 * The never-corrected list (common_words) was made from Debian's hunspell-id
 * 7.5.0 dictionary: every word at Damerau distance 1 from a place name of 6+
 * letters (data/batang-wilayah.csv) or a complaint word of 5+ letters
 * (data/kategori.csv), plus Javanese words found the same way by hand
 * (dolan, godong, banjur, tiker), minus obscure words that are more likely a
 * typo of the place or complaint word than meant ("sampa", "pinda", "selurah")
 * and variant spellings of the same thing ("geringsing", "kedaung",
 * "jelamprang", "asfal"). Exact matches are looked up before typos, so a word
 * on this list that is itself a place or complaint word ("batang", "jalan")
 * still matches exactly. When the data files gain new words, recompute the
 * list the same way: python3 over /usr/share/hunspell/id_ID.dic, keys made as
 * tm_key does, sorted. */
#include "handlers/textmatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- characters and words ----------------------------------------------- */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t tm_sep_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];

    if (c < 0x80) {
        if (is_letter(c) || is_digit(c))
            return 0;
        if (c == '\'' || c == '`' || c == '?')
            return 0;
        return 1;
    }
    if (c == 0xC2 && n >= 2 && s[1] == 0xA0)
        return 2;
    if (c == 0xE2 && n >= 3 && s[1] == 0x80 &&
        (s[2] == 0x8B || s[2] == 0x93 || s[2] == 0x94 || s[2] == 0xA6 || s[2] == 0x9C ||
         s[2] == 0x9D))
        return 3;
    return 0;
}

size_t tm_apostrophe_len(const unsigned char *s, size_t n)
{
    if (s[0] == '\'' || s[0] == '`')
        return 1;
    if (s[0] == 0xC2 && n >= 2 && s[1] == 0xB4)
        return 2;
    if (s[0] == 0xE2 && n >= 3 && s[1] == 0x80 && (s[2] == 0x98 || s[2] == 0x99))
        return 3;
    return 0;
}

int tm_next_word(const char *str, size_t len, size_t *pos, size_t *start, size_t *end)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t p = *pos, sl;

    while (p < len && (sl = tm_sep_len(s + p, len - p)) > 0)
        p += sl;
    if (p >= len) {
        *pos = len;
        return -1;
    }
    size_t b = p;
    if (s[p] == '?') {
        while (p < len && s[p] == '?')
            p++;
    } else {
        while (p < len && s[p] != '?' && tm_sep_len(s + p, len - p) == 0 &&
               !(p > b && is_digit(s[p]) && is_letter(s[p - 1])))
            p++;
    }
    *start = b;
    *end = p;
    *pos = p;
    return 0;
}

/* ---- keys --------------------------------------------------------------- */

int tm_key_letters(const char *str, size_t n, char *key, size_t max, size_t *letters)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, out = 0;
    char last = 0;

    key[0] = '\0';
    *letters = 0;
    while (i < n) {
        size_t a = tm_apostrophe_len(s + i, n - i);
        if (a) {
            i += a;
            continue;
        }
        char c = (char)s[i++];
        if (c == ' ')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        (*letters)++;
        if (c == last)
            continue;
        if (out >= max) {
            key[0] = '\0';
            return -1;
        }
        key[out++] = last = c;
    }
    key[out] = '\0';
    return (int)out;
}

int tm_key(const char *s, size_t n, char *key)
{
    size_t letters;
    int len = tm_key_letters(s, n, key, TM_KEY_MAX, &letters);

    if (len == 1 && letters >= 2) {
        key[1] = key[0];
        key[2] = '\0';
        len = 2;
    }
    return len;
}

int tm_key_append(char *a, int alen, const char *b, int blen)
{
    if (alen > 0 && blen > 0 && a[alen - 1] == b[0]) {
        b++;
        blen--;
    }
    if (alen + blen > TM_KEY_MAX)
        return -1;
    memcpy(a + alen, b, (size_t)blen);
    a[alen + blen] = '\0';
    return alen + blen;
}

int tm_glued_key(const char *s, size_t len, int max_words, char *key, int *used)
{
    char k[TM_KEY_MAX + 1];
    size_t pos = 0, b, e;
    int klen = 0, n = 0;

    key[0] = '\0';
    while (n < max_words && tm_next_word(s, len, &pos, &b, &e) == 0) {
        int l = tm_key(s + b, e - b, k);
        if (l < 0 || (klen = tm_key_append(key, klen, k, l)) < 0)
            return -1;
        n++;
    }
    if (used)
        *used = n;
    return klen;
}

int tm_word_count(const char *s)
{
    int n = 0;
    size_t pos = 0, b, e, len = strlen(s);

    while (tm_next_word(s, len, &pos, &b, &e) == 0)
        n++;
    return n;
}

int tm_dist1(const char *a, size_t la, const char *b, size_t lb)
{
    const char *l = a, *s = b;
    size_t ll = la, sl = lb, i = 0;

    if (la < lb) {
        l = b, ll = lb;
        s = a, sl = la;
    }
    if (ll - sl > 1)
        return 0;
    while (i < sl && l[i] == s[i])
        i++;
    if (ll == sl) {
        if (i == ll)
            return 0; /* equal */
        if (memcmp(l + i + 1, s + i + 1, ll - i - 1) == 0)
            return 1;
        return i + 1 < ll && l[i] == s[i + 1] && l[i + 1] == s[i] &&
               memcmp(l + i + 2, s + i + 2, ll - i - 2) == 0;
    }
    return memcmp(l + i + 1, s + i, sl - i) == 0;
}

unsigned tm_hash(const char *key, size_t len)
{
    unsigned h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 16777619u;
    }
    return h;
}

/* ---- one-typo index ----------------------------------------------------- */

struct tm_typo_slot {
    unsigned hash;
    int id; /* id + 1; 0: empty */
};

int tm_typo_init(struct tm_typo_index *x, size_t total_len)
{
    size_t size = 16;

    while (size < 2 * total_len)
        size *= 2;
    x->size = size;
    x->used = 0;
    x->slot = calloc(size, sizeof *x->slot);
    return x->slot ? 0 : -1;
}

static void typo_file(struct tm_typo_index *x, unsigned h, int id)
{
    size_t i = h & (x->size - 1);

    while (x->slot[i].id) {
        if (x->slot[i].hash == h && x->slot[i].id == id + 1)
            return; /* "aba" minus either a files "ab"... once */
        i = (i + 1) & (x->size - 1);
    }
    x->slot[i].hash = h;
    x->slot[i].id = id + 1;
    x->used++;
}

/* A polynomial hash, so that the hashes of a key and of all its one-letter
 * deletions cost O(length) together; mixed before use as a table index. */
#define POLY 0x9E3779B1u

static unsigned mix(unsigned h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

/* out[k]: hash of key without key[k]; out[len]: hash of the whole key. */
static void deletion_hashes(const char *key, int len, unsigned *out)
{
    unsigned pre[TM_KEY_MAX + 1], suf = 0, pw = 1;

    pre[0] = 0;
    for (int i = 0; i < len; i++)
        pre[i + 1] = pre[i] * POLY + (unsigned char)key[i];
    out[len] = mix(pre[len]);
    for (int k = len - 1; k >= 0; k--) {
        /* suf = sum of key[i] * POLY^(len-1-i) for i > k; pw = POLY^(len-1-k) */
        out[k] = mix(pre[k] * pw + suf);
        suf += (unsigned char)key[k] * pw;
        pw *= POLY;
    }
}

int tm_typo_add(struct tm_typo_index *x, const char *key, int len, int id)
{
    unsigned h[TM_KEY_MAX + 1];

    if (len <= 0 || len > TM_KEY_MAX || x->used + (size_t)len + 1 > x->size / 2)
        return -1;
    deletion_hashes(key, len, h);
    for (int k = 0; k <= len; k++)
        typo_file(x, h[k], id);
    return 0;
}

int tm_typo_candidates(const struct tm_typo_index *x, const char *key, int len, int *ids, int max)
{
    unsigned h[TM_KEY_MAX + 1];
    int n = 0;

    if (!x->slot || len <= 0 || len > TM_KEY_MAX)
        return 0;
    deletion_hashes(key, len, h);
    for (int k = 0; k <= len; k++) {
        for (size_t i = h[k] & (x->size - 1); x->slot[i].id; i = (i + 1) & (x->size - 1)) {
            if (x->slot[i].hash != h[k])
                continue;
            int id = x->slot[i].id - 1, seen = 0;
            for (int j = 0; j < n && !seen; j++)
                seen = ids[j] == id;
            if (!seen && n < max)
                ids[n++] = id;
        }
    }
    return n;
}

void tm_typo_free(struct tm_typo_index *x)
{
    free(x->slot);
    x->slot = NULL;
    x->size = x->used = 0;
}

/* ---- words never typo-corrected (sorted: bsearch) ------------------------ */

static const char *const common_words[] = {
    "adam",    "andar",    "andung",   "angan",    "angina",    "angit",   "angkin",   "angon",
    "angun",   "anjir",    "anteng",   "asal",     "awang",     "babang",  "bacang",   "badam",
    "badan",   "badang",   "badar",    "badung",   "bagang",    "bahalan", "bahang",   "bajang",
    "balan",   "balang",   "balong",   "banang",   "banar",     "bancar",  "banda",    "bandan",
    "bandang", "bandara",  "bandeng",  "banding",  "bandos",    "bangar",  "bangir",   "banir",
    "banjar",  "banjaran", "banjur",   "bankir",   "bantai",    "bantar",  "bantaran", "banting",
    "bapang",  "barang",   "baruh",    "batang",   "batung",    "bawang",  "bayang",   "bedan",
    "bendang", "bendung",  "bengah",   "benteng",  "bentul",    "berani",  "besan",    "betang",
    "bidah",   "bidai",    "bidak",    "bidal",    "bidang",    "bidar",   "bidas",    "biduan",
    "bijan",   "bimbang",  "blong",    "bocong",   "bodong",    "bohong",  "bokoh",    "bokong",
    "boling",  "bongsor",  "bopong",   "borong",   "botang",    "boyong",  "bubuh",    "buluh",
    "bundar",  "bundung",  "bunuh",    "buru",     "buruj",     "buruk",   "burut",    "butang",
    "butuh",   "buwuh",    "campah",   "candung",  "canteng",   "capar",   "cawang",   "cembung",
    "cendang", "cerlang",  "colong",   "combong",  "dahan",     "dalai",   "dalam",    "dalang",
    "daman",   "datang",   "dawan",    "delan",    "dendang",   "dingo",   "distrik",  "dodong",
    "dolan",   "dondang",  "embok",    "embung",   "endang",    "engah",   "etiket",   "galan",
    "gandar",  "gandung",  "ganteng",  "gapura",   "gawang",    "gelang",  "gemawang", "gembok",
    "gembong", "gembung",  "gendang",  "gerang",   "gerbang",   "germang", "gersang",  "gobang",
    "godong",  "golong",   "gombang",  "gombeng",  "gondong",   "gonjang", "gonrang",  "gosong",
    "gumbang", "gundang",  "guruh",    "hantai",   "imbang",    "indah",   "ingin",    "jadam",
    "jahan",   "jajan",    "jala",     "jalad",    "jalal",     "jalan",   "jalang",   "jalar",
    "jalin",   "japan",    "jaran",    "jawang",   "jengah",    "jodong",  "jolong",   "juruh",
    "kadam",   "kandar",   "kandung",  "karau",    "karti",     "kartun",  "karut",    "kawang",
    "kebiri",  "kecepek",  "kecipak",  "kelepak",  "kemari",    "kembung", "kendang",  "kepiri",
    "kera",    "kerjap",   "ketepeng", "kidang",   "kimbah",    "kimbang", "kolong",   "kondang",
    "kosong",  "kuman",    "kumbang",  "labang",   "ladam",     "lampau",  "lampung",  "landung",
    "langis",  "lantai",   "lapar",    "lawang",   "lebang",    "lembah",  "lembok",   "lembung",
    "lempung", "lengah",   "limas",    "limbai",   "limbak",    "limban",  "limbang",  "limbat",
    "limbung", "limpah",   "loban",    "lodong",   "lokek",     "loket",   "lolong",   "lombong",
    "londang", "longor",   "longser",  "loper",    "losong",    "loyang",  "lubang",   "luhung",
    "lupung",  "luruh",    "lutung",   "luweng",   "madam",     "magis",   "malan",    "mampu",
    "mandar",  "mandung",  "mangas",   "mangir",   "mangsi",    "manis",   "matang",   "mengah",
    "mentul",  "mohon",    "mumbang",  "murad",    "muris",     "nandung", "natang",   "noken",
    "oblong",  "odalan",   "oker",     "pada",     "padah",     "padak",   "padan",    "padas",
    "padat",   "padma",    "paham",    "palam",    "panai",     "pandai",  "pandam",   "pantak",
    "pantar",  "pantas",   "pantat",   "pantau",   "panti",     "pantri",  "param",    "parkit",
    "partai",  "patam",    "patang",   "pawang",   "pengah",    "pepagan", "perban",   "pesong",
    "petek",   "piadah",   "piket",    "pindai",   "pingah",    "pocong",  "poker",    "polong",
    "porong",  "potong",   "prefek",   "pretel",   "pusak",     "ragung",  "rakit",    "randung",
    "rangin",  "rantai",   "rawang",   "rendang",  "retek",     "ridan",   "rimpung",  "ringsing",
    "risak",   "rodong",   "roker",    "rombong",  "rujak",     "rusa",    "rusuk",    "ruyak",
    "sabit",   "sakat",    "sakti",    "sambang",  "sambangan", "sambung", "sampai",   "sampak",
    "sampan",  "sampar",   "sampat",   "sampu",    "sandang",   "sandar",  "sandung",  "sangon",
    "santai",  "sapit",    "sarangan", "sarit",    "satang",    "sawang",  "sawit",    "sedang",
    "sedong",  "sekotah",  "selapan",  "sembuang", "senang",    "sendeng", "sendon",   "sengang",
    "sengol",  "senjang",  "sental",   "sentil",   "sentol",    "sentuh",  "sentuk",   "serban",
    "serdang", "setangan", "seteleng", "sialang",  "sikit",     "simbah",  "simbang",  "simbar",
    "simpai",  "simpak",   "simpan",   "simpat",   "simpir",    "simpur",  "soker",    "sokong",
    "sombong", "sondang",  "sondong",  "sorong",   "sotong",    "sumbang", "sumbung",  "sumpah",
    "sundang", "suruh",    "tambang",  "tampah",   "tangah",    "tangis",  "tatang",   "tawang",
    "teban",   "tebok",    "tegah",    "teken",    "tembak",    "tembang", "tembek",   "tembuk",
    "tembung", "tendang",  "tengak",   "tengan",   "tengar",    "tengas",  "tengat",   "teran",
    "terbang", "tiker",    "timang",   "timbang",  "timpang",   "tobang",  "todong",   "tokek",
    "tolong",  "tombok",   "tumang",   "tumbang",  "tumbung",   "tumpang", "tuwung",   "umbang",
    "usada",   "usah",     "usak",     "wadam",    "watang",    "yosong",
};

static int cmp_word(const void *k, const void *e)
{
    return strcmp(k, *(const char *const *)e);
}

int tm_common_word(const char *key, size_t len)
{
    if (len == 0 || len > TM_KEY_MAX || key[len] != '\0')
        return 0;
    return bsearch(key, common_words, sizeof common_words / sizeof common_words[0],
                   sizeof common_words[0], cmp_word) != NULL;
}

/* ---- strict CSV reader -------------------------------------------------- */

int tm_csv_error(const struct tm_csv *c, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(err, errlen, "%s:%d: ", c->path, c->line);

    if (n >= 0 && (size_t)n < errlen) {
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* overlong 3- and 4-byte forms, surrogates, past U+10FFFF */
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return len;
}

/* Reads one line into c->buf (newline and a trailing CR removed) and checks
 * its bytes. Returns 1, 0 at end of file, -1 on error. */
static int read_line(struct tm_csv *c, char *err, size_t errlen)
{
    size_t n = 0;
    int ch;

    if (feof(c->f))
        return 0;
    c->line++;
    while ((ch = getc(c->f)) != EOF && ch != '\n') {
        if (n >= TM_CSV_LINE_MAX)
            return tm_csv_error(c, err, errlen, "line longer than %d bytes", TM_CSV_LINE_MAX);
        c->buf[n++] = (char)ch;
    }
    if (ferror(c->f))
        return tm_csv_error(c, err, errlen, "read error: %s", strerror(errno));
    if (ch == EOF && n == 0)
        return 0;
    if (n > 0 && c->buf[n - 1] == '\r')
        n--;
    c->buf[n] = '\0';

    const unsigned char *s = (const unsigned char *)c->buf;
    size_t i = 0;
    if (c->line == 1 && n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        i = 3; /* a byte order mark, as spreadsheets write */
    for (; i < n;) {
        if (s[i] == '"')
            return tm_csv_error(c, err, errlen, "quotes are not supported");
        if (s[i] < 0x20 && s[i] != '\t')
            return tm_csv_error(c, err, errlen, "control character 0x%02x", s[i]);
        if (s[i] == 0x7f)
            return tm_csv_error(c, err, errlen, "control character 0x7f");
        size_t l = utf8_len(s + i, n - i);
        if (l == 0)
            return tm_csv_error(c, err, errlen, "invalid UTF-8");
        i += l;
    }
    return 1;
}

char *tm_csv_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Splits c->buf at commas into c->field; returns the field count (capped at
 * TM_CSV_FIELDS_MAX + 1 to report "too many"). */
static int split(struct tm_csv *c)
{
    char *p = c->buf;
    int n = 0;

    if (c->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* a byte order mark */
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (n < TM_CSV_FIELDS_MAX)
            c->field[n] = tm_csv_trim(p);
        n++;
        if (!comma || n > TM_CSV_FIELDS_MAX)
            return n;
        p = comma + 1;
    }
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return 0;
    return 1;
}

/* Reads the next row into c->field: 1, 0 at end of file, -1 on error. */
static int csv_next(struct tm_csv *c, char *err, size_t errlen)
{
    int rc;

    if (!c->f)
        return 0;
    while ((rc = read_line(c, err, errlen)) == 1 && blank(c->buf))
        ;
    if (rc <= 0)
        return rc;
    int n = split(c);
    if (n != c->nfields)
        return tm_csv_error(c, err, errlen, "%s%d fields, expected %d",
                            n > TM_CSV_FIELDS_MAX ? "more than " : "",
                            n > TM_CSV_FIELDS_MAX ? TM_CSV_FIELDS_MAX : n, c->nfields);
    return 1;
}

static void csv_close(struct tm_csv *c)
{
    if (c->f)
        fclose(c->f);
    c->f = NULL;
}

/* Opens path and checks its header line: 0, or -1 (the file then closed). */
static int csv_open(struct tm_csv *c, const char *path, const char *const *header, char *err,
                    size_t errlen)
{
    int want = 0;

    memset(c, 0, sizeof *c);
    c->path = path ? path : "(null)";
    while (header[want])
        want++;
    if (want < 1 || want > TM_CSV_FIELDS_MAX) {
        snprintf(err, errlen, "%s: bad header list", c->path);
        return -1;
    }
    if (!path || !(c->f = fopen(path, "r"))) {
        snprintf(err, errlen, "%s: %s", c->path, path ? strerror(errno) : "no path");
        return -1;
    }
    int rc = read_line(c, err, errlen);
    if (rc == 0) {
        snprintf(err, errlen, "%s: empty file", c->path);
        rc = -1;
    }
    if (rc < 0)
        goto fail;
    int n = split(c);
    for (int i = 0; i < want; i++) {
        if (i >= n || n > TM_CSV_FIELDS_MAX || strcmp(c->field[i], header[i]) != 0) {
            char exp[200];
            size_t o = 0;
            for (int j = 0; j < want && o < sizeof exp; j++)
                o += (size_t)snprintf(exp + o, sizeof exp - o, "%s%s", j ? "," : "", header[j]);
            tm_csv_error(c, err, errlen, "bad header, expected \"%s\"", exp);
            goto fail;
        }
    }
    if (n != want) {
        tm_csv_error(c, err, errlen, "header has %d fields, expected %d", n, want);
        goto fail;
    }
    c->nfields = want;
    return 0;
fail:
    csv_close(c);
    return -1;
}

int tm_csv_load(const char *path, const char *const *header, int max_rows, tm_csv_row_fn *row,
                void *db, char *err, size_t errlen)
{
    struct tm_csv c;
    int rc, rows = 0;

    if (csv_open(&c, path, header, err, errlen) < 0)
        return -1;
    while ((rc = csv_next(&c, err, errlen)) == 1) {
        if (rows >= max_rows) {
            rc = tm_csv_error(&c, err, errlen, "more than %d rows", max_rows);
            break;
        }
        if (row(&c, db, err, errlen) < 0) {
            rc = -1;
            break;
        }
        rows++;
    }
    csv_close(&c);
    return rc < 0 ? -1 : rows;
}

int tm_csv_code(const struct tm_csv *c, const char *what, const char *s, int max, char *err,
                size_t errlen)
{
    size_t n = strlen(s);
    int ok = n > 0 && n <= (size_t)max;

    for (size_t i = 0; ok && i < n; i++)
        ok = (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
    if (!ok)
        return tm_csv_error(c, err, errlen, "bad %s \"%s\" (A-Z 0-9 _, at most %d)", what, s, max);
    return 0;
}

int tm_csv_text(const struct tm_csv *c, const char *what, const char *s, int max, char *err,
                size_t errlen)
{
    if (!*s || strlen(s) > (size_t)max)
        return tm_csv_error(c, err, errlen, "%s empty or longer than %d bytes", what, max);
    return 0;
}
