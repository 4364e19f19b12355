/* opd — the regency's offices and recognising one by what an official types
 * (see opd.h).
 *
 * Officials redirect a ticket with ALIHKAN <ticket> <office>, typing the
 * office as they know it: the code (DPUPR), the short name (Disdukcapil,
 * "Satpol PP"), sometimes the full name. Each office gets up to three keys
 * (textmatch.h: case, spaces and repeats ignored); a key shared by two
 * offices is a load error, so an exact match is never ambiguous. The table
 * is small (OPD_MAX rows) and ALIHKAN rare, so lookups are plain scans. */
#include "handlers/opd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers/textmatch.h"

#define KEYS_PER_OPD 3 /* code, short name, full name */
#define TYPO_MIN     5 /* key length before one typo is forgiven */
#define HANDLES_MAX  256

struct opd {
    char code[OPD_CODE_MAX + 1];
    char short_name[OPD_SHORT_MAX + 1];
    char name[OPD_NAME_MAX + 1];
    char handles[HANDLES_MAX + 1];
};

struct opd_key {
    char key[TM_KEY_MAX + 1];
    int len;
    int opd;
};

struct opd_db {
    int n, nkeys;
    struct opd opd[OPD_MAX];
    struct opd_key keys[OPD_MAX * KEYS_PER_OPD];
};

static const char *const header[] = {"kode", "singkatan", "nama", "menangani", NULL};

/* Glued key of the words of s[0..len), at most max_words; its length, 0 if
 * no words, -1 if too long. *used gets the words used. */
static int glued_key(const char *s, size_t len, int max_words, char *key, int *used)
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

static int words_in(const char *s)
{
    int n = 0;
    size_t pos = 0, b, e, len = strlen(s);

    while (tm_next_word(s, len, &pos, &b, &e) == 0)
        n++;
    return n;
}

/* Adds name's key for office i unless it is already there; error if another
 * office has it. Names longer than a key are skipped (full names only). */
static int add_key(struct tm_csv *c, struct opd_db *db, int i, const char *name, char *err,
                   size_t errlen)
{
    struct opd_key *k = &db->keys[db->nkeys];

    k->len = glued_key(name, strlen(name), OPD_WORDS_MAX + 1, k->key, NULL);
    if (k->len < 0 || words_in(name) > OPD_WORDS_MAX)
        return 0; /* too long to be typed: not matched */
    if (k->len == 0)
        return tm_csv_error(c, err, errlen, "\"%s\" has no letters", name);
    for (int j = 0; j < db->nkeys; j++) {
        if (db->keys[j].len != k->len || memcmp(db->keys[j].key, k->key, (size_t)k->len) != 0)
            continue;
        if (db->keys[j].opd == i)
            return 0;
        return tm_csv_error(c, err, errlen, "\"%s\" also names %s", name,
                            db->opd[db->keys[j].opd].code);
    }
    k->opd = i;
    db->nkeys++;
    return 0;
}

static int valid_code(const char *s)
{
    if (!*s || strlen(s) > OPD_CODE_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

struct opd_db *opd_load(const char *path, char *err, size_t errlen)
{
    struct tm_csv c;
    struct opd_db *db;
    int rc;

    if (tm_csv_open(&c, path, header, err, errlen) < 0)
        return NULL;
    db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    while ((rc = tm_csv_next(&c, err, errlen)) == 1) {
        const char *code = c.field[0], *sh = c.field[1], *name = c.field[2], *hd = c.field[3];
        if (db->n >= OPD_MAX) {
            tm_csv_error(&c, err, errlen, "more than %d rows", OPD_MAX);
            goto fail;
        }
        if (!valid_code(code)) {
            tm_csv_error(&c, err, errlen, "bad kode \"%s\" (A-Z 0-9 _, at most %d)", code,
                         OPD_CODE_MAX);
            goto fail;
        }
        if (opd_by_code(db, code) >= 0) {
            tm_csv_error(&c, err, errlen, "kode %s twice", code);
            goto fail;
        }
        if (!*sh || strlen(sh) > OPD_SHORT_MAX) {
            tm_csv_error(&c, err, errlen, "singkatan empty or longer than %d bytes", OPD_SHORT_MAX);
            goto fail;
        }
        if (!*name || strlen(name) > OPD_NAME_MAX) {
            tm_csv_error(&c, err, errlen, "nama empty or longer than %d bytes", OPD_NAME_MAX);
            goto fail;
        }
        if (strlen(hd) > HANDLES_MAX) {
            tm_csv_error(&c, err, errlen, "menangani longer than %d bytes", HANDLES_MAX);
            goto fail;
        }
        int i = db->n++;
        struct opd *o = &db->opd[i];
        snprintf(o->code, sizeof o->code, "%s", code);
        snprintf(o->short_name, sizeof o->short_name, "%s", sh);
        snprintf(o->name, sizeof o->name, "%s", name);
        snprintf(o->handles, sizeof o->handles, "%s", hd);
        if (add_key(&c, db, i, code, err, errlen) < 0 || add_key(&c, db, i, sh, err, errlen) < 0 ||
            add_key(&c, db, i, name, err, errlen) < 0)
            goto fail;
    }
    if (rc < 0)
        goto fail;
    if (db->n == 0) {
        snprintf(err, errlen, "%s: no rows", path);
        goto fail;
    }
    tm_csv_close(&c);
    return db;
fail:
    tm_csv_close(&c);
    free(db);
    return NULL;
}

void opd_free(struct opd_db *db)
{
    free(db);
}

int opd_count(const struct opd_db *db)
{
    return db ? db->n : 0;
}

static const struct opd *opd_at(const struct opd_db *db, int i)
{
    return db && i >= 0 && i < db->n ? &db->opd[i] : NULL;
}

const char *opd_code(const struct opd_db *db, int i)
{
    const struct opd *o = opd_at(db, i);
    return o ? o->code : NULL;
}

const char *opd_short(const struct opd_db *db, int i)
{
    const struct opd *o = opd_at(db, i);
    return o ? o->short_name : NULL;
}

const char *opd_name(const struct opd_db *db, int i)
{
    const struct opd *o = opd_at(db, i);
    return o ? o->name : NULL;
}

const char *opd_handles(const struct opd_db *db, int i)
{
    const struct opd *o = opd_at(db, i);
    return o ? o->handles : NULL;
}

int opd_by_code(const struct opd_db *db, const char *code)
{
    if (!db || !code)
        return -1;
    for (int i = 0; i < db->n; i++)
        if (strcasecmp(db->opd[i].code, code) == 0)
            return i;
    return -1;
}

int opd_find(const struct opd_db *db, const char *text)
{
    char key[OPD_WORDS_MAX][TM_KEY_MAX + 1];
    int klen[OPD_WORDS_MAX], nk = 0;

    if (!db || !text)
        return -1;
    size_t len = strnlen(text, OPD_TEXT_MAX);
    if (len == OPD_TEXT_MAX)
        return -1; /* not an office name */
    /* key[k - 1]: the first k words glued */
    for (int k = 1; k <= OPD_WORDS_MAX; k++) {
        int used;
        klen[k - 1] = glued_key(text, len, k, key[k - 1], &used);
        if (klen[k - 1] <= 0 || used < k)
            break;
        nk = k;
    }
    for (int k = nk; k >= 1; k--)
        for (int j = 0; j < db->nkeys; j++)
            if (db->keys[j].len == klen[k - 1] &&
                memcmp(db->keys[j].key, key[k - 1], (size_t)klen[k - 1]) == 0)
                return db->keys[j].opd;
    for (int k = nk; k >= 1; k--) {
        int found = -1;
        if (klen[k - 1] < TYPO_MIN - 1)
            continue;
        for (int j = 0; j < db->nkeys; j++) {
            const struct opd_key *ok = &db->keys[j];
            if (ok->len < TYPO_MIN ||
                !tm_dist1(ok->key, (size_t)ok->len, key[k - 1], (size_t)klen[k - 1]))
                continue;
            if (found >= 0 && found != ok->opd)
                return -1; /* fits two offices */
            found = ok->opd;
        }
        if (found >= 0)
            return found;
    }
    return -1;
}
