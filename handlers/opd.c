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

/* Adds name's key for office i unless it is already there; error if another
 * office has it. Names longer than a key are skipped (full names only). */
static int add_key(struct tm_csv *c, struct opd_db *db, int i, const char *name, char *err,
                   size_t errlen)
{
    struct opd_key *k = &db->keys[db->nkeys];

    k->len = tm_glued_key(name, strlen(name), OPD_WORDS_MAX + 1, k->key, NULL);
    if (k->len < 0 || tm_word_count(name) > OPD_WORDS_MAX)
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

/* One row of opd.csv (tm_csv_row_fn). */
static int load_row(struct tm_csv *c, void *arg, char *err, size_t errlen)
{
    struct opd_db *db = arg;
    const char *code = c->field[0], *sh = c->field[1], *name = c->field[2], *hd = c->field[3];

    if (tm_csv_code(c, "kode", code, OPD_CODE_MAX, err, errlen) < 0)
        return -1;
    if (opd_by_code(db, code) >= 0)
        return tm_csv_error(c, err, errlen, "kode %s twice", code);
    if (tm_csv_text(c, "singkatan", sh, OPD_SHORT_MAX, err, errlen) < 0 ||
        tm_csv_text(c, "nama", name, OPD_NAME_MAX, err, errlen) < 0)
        return -1;
    if (strlen(hd) > HANDLES_MAX)
        return tm_csv_error(c, err, errlen, "menangani longer than %d bytes", HANDLES_MAX);
    int i = db->n++;
    struct opd *o = &db->opd[i];
    snprintf(o->code, sizeof o->code, "%s", code);
    snprintf(o->short_name, sizeof o->short_name, "%s", sh);
    snprintf(o->name, sizeof o->name, "%s", name);
    snprintf(o->handles, sizeof o->handles, "%s", hd);
    if (add_key(c, db, i, code, err, errlen) < 0 || add_key(c, db, i, sh, err, errlen) < 0 ||
        add_key(c, db, i, name, err, errlen) < 0)
        return -1;
    return 0;
}

struct opd_db *opd_load(const char *path, char *err, size_t errlen)
{
    struct opd_db *db = calloc(1, sizeof *db);

    if (!db) {
        snprintf(err, errlen, "%s: out of memory", path ? path : "(null)");
        return NULL;
    }
    int rows = tm_csv_load(path, header, OPD_MAX, load_row, db, err, errlen);
    if (rows < 0)
        goto fail;
    if (rows == 0) {
        snprintf(err, errlen, "%s: no rows", path);
        goto fail;
    }
    return db;
fail:
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
        klen[k - 1] = tm_glued_key(text, len, k, key[k - 1], &used);
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
