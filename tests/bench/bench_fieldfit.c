/* bench_fieldfit — how well kentongan understands what residents actually
 * write, against tests/data/fieldfit.tsv (realistic messages labelled by
 * hand with intent, office, place and urgency; its header says how).
 *
 * Every message goes through the pure functions the gateway uses, loaded
 * from data/ as the gateway loads them, no Redis, no gateway:
 *   - sender: phone_normalise; anything but a mobile number is never
 *     answered (router.c), so "replies to operator senders" counts the
 *     OPERATOR rows whose sender would be answered;
 *   - intent: intent_label() below, over the router's intent_of
 *     (handlers/lexicon.h) with data/lexicon.csv; a likely complaint, which
 *     the gateway files once the resident answers YA, counts as LAPOR and is
 *     counted apart ("asked first");
 *   - office: as complaint_lapor decides it — an emergency (urgency_find)
 *     goes to its office (BPBD); a PLN or police matter gets a number
 *     (PLN, POLRI); else the category's office (category_find), triage
 *     (DISKOMINFO) when none decides. The place named is blanked first, as
 *     complaint.c does, so "Banjiran" (a desa) is no flood;
 *   - place: region_find — the desa code, or the kecamatan code when only
 *     the kecamatan is sure; a wrong desa picked for a name two kecamatan
 *     share is counted apart (the goal is none);
 *   - urgency: urgency_find, recall over the urgent rows and false alarms
 *     over the rest.
 * It prints accuracy per intent and per office label, the misses, and the
 * goals (intent >= 98 %, office >= 92 %, place >= 95 %, urgent recall >=
 * 95 %, 0 replies to operator senders); rows go to $BENCH_TABLE.
 *
 *   build/bench/bench_fieldfit [corpus.tsv]     (KT_ROOT: where data/ is) */
#include "tests/bench/bench.h"

#include "gateway/phone.h"
#include "handlers/category.h"
#include "handlers/keyword.h"
#include "handlers/lexicon.h"
#include "handlers/region.h"
#include "handlers/urgency.h"

#define ROWS_MAX    2000
#define LINE_MAX_   4096
#define LABELS_MAX  64
#define MISSES_SHOW 40 /* misses printed per section */

struct row {
    int line;
    char sender[40], intent[24], office[24], place[24];
    int urgent;
    char text[LINE_MAX_];
};

static struct row rows[ROWS_MAX];
static int nrows;

static struct category_db *categories;
static struct region_db *regions;
static struct urgency_db *urgent_db;

/* ---- intent --------------------------------------------------------------
 * The router's reading (intent_of) in the corpus's names. */
static struct lexicon *lexicon;
static int asked_first; /* likely complaints: filed after the resident's YA */

static const char *intent_label(const char *sender, const char *text)
{
    struct intent_result r;
    switch (intent_of(lexicon, regions, sender, text, &r)) {
    case INTENT_SILENT:
        return "OPERATOR";
    case INTENT_COMMAND:
        return r.match.keyword ? r.match.keyword->name : "NONE";
    case INTENT_COMPLAINT_LIKELY:
        asked_first++;
        return "LAPOR";
    case INTENT_COMPLAINT:
        return "LAPOR";
    case INTENT_STATUS:
        return "CEK";
    case INTENT_OPTOUT:
        return "BERHENTI";
    case INTENT_DISSATISFIED:
        return "TIDAK PUAS";
    case INTENT_THANKS:
        return "TERIMA KASIH";
    case INTENT_NONE:
    default:
        return "NONE";
    }
}

/* ---- office, as complaint_lapor decides it ------------------------------- */

/* The categories whose matters belong to another authority (complaint.c's
 * referral table) and the label of that authority. */
static const char *referral_of(const char *category)
{
    if (strcmp(category, "LST") == 0)
        return "PLN";
    if (strcmp(category, "POL") == 0)
        return "POLRI";
    return NULL;
}

/* text with the bytes [start, end) of the place named blanked. */
static void blank_place(const char *text, const struct region_match *rm, char *out, size_t len)
{
    snprintf(out, len, "%s", text);
    if (rm->end > rm->start && rm->end < len)
        memset(out + rm->start, ' ', rm->end - rm->start);
}

static const char *office_of(const char *text, int *urgent)
{
    static char subject[LINE_MAX_];
    struct region_match rm;
    region_find(regions, text, &rm);
    blank_place(text, &rm, subject, sizeof(subject));
    struct urgency_match um;
    *urgent = urgency_find(urgent_db, subject, &um);
    if (*urgent)
        return urgency_opd(urgent_db, um.kind);
    struct category_match cm;
    category_find(categories, subject, &cm);
    const char *code = category_code(categories, cm.category);
    const char *ref = referral_of(code);
    return ref ? ref : category_opd(categories, cm.category);
}

/* ---- place --------------------------------------------------------------- */

/* The code understood, "-" for none; *shared when it is a desa whose name
 * another kecamatan has too. */
static void place_of(const char *text, char *out, size_t len, int *shared)
{
    struct region_match rm;
    *shared = 0;
    region_find(regions, text, &rm);
    if (rm.kind == REGION_DESA) {
        snprintf(out, len, "%s", region_desa_code(regions, rm.desa));
        const char *name = region_desa_name(regions, rm.desa);
        for (int d = 0; d < region_desa_count(regions); d++)
            if (d != rm.desa && strcasecmp(region_desa_name(regions, d), name) == 0)
                *shared = 1;
    } else if ((rm.kind == REGION_KECAMATAN || rm.kind == REGION_AMBIGUOUS) && rm.kecamatan >= 0) {
        region_kecamatan_code(regions, rm.kecamatan, out, len);
    } else {
        snprintf(out, len, "-");
    }
}

/* ---- the corpus ---------------------------------------------------------- */

static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static int load(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[LINE_MAX_ + 128];
    int n = 0;
    if (!f) {
        fprintf(stderr, "bench_fieldfit: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        n++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (nrows == ROWS_MAX) {
            fprintf(stderr, "bench_fieldfit: %s: more than %d rows\n", path, ROWS_MAX);
            break;
        }
        struct row *r = &rows[nrows];
        char *field[6];
        int k = 0;
        for (char *p = line; k < 6; k++) {
            field[k] = p;
            char *tab = k < 5 ? strchr(p, '\t') : NULL;
            if (k < 5 && !tab)
                break;
            if (tab) {
                *tab = '\0';
                p = tab + 1;
            }
        }
        if (k != 6) {
            fprintf(stderr, "bench_fieldfit: %s:%d: expected 6 tab-separated fields\n", path, n);
            fclose(f);
            return -1;
        }
        r->line = n;
        snprintf(r->sender, sizeof(r->sender), "%s", field[0]);
        snprintf(r->intent, sizeof(r->intent), "%s", field[1]);
        snprintf(r->office, sizeof(r->office), "%s", field[2]);
        snprintf(r->place, sizeof(r->place), "%s", field[3]);
        r->urgent = field[4][0] == '1';
        snprintf(r->text, sizeof(r->text), "%s", field[5]);
        unescape(r->text);
        nrows++;
    }
    fclose(f);
    return 0;
}

/* ---- tallies ------------------------------------------------------------- */

struct tally {
    char label[24];
    int total, right;
};

static struct tally *tally_of(struct tally *t, int *n, const char *label)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(t[i].label, label) == 0)
            return &t[i];
    if (*n == LABELS_MAX)
        return &t[LABELS_MAX - 1];
    snprintf(t[*n].label, sizeof(t[*n].label), "%s", label);
    t[*n].total = t[*n].right = 0;
    return &t[(*n)++];
}

static double pct(int a, int b)
{
    return b ? 100.0 * a / b : 100.0;
}

static void print_tallies(const char *what, struct tally *t, int n)
{
    printf("  %-16s %6s %6s %8s\n", what, "right", "of", "accuracy");
    for (int i = 0; i < n; i++)
        printf("  %-16s %6d %6d %7.1f %%\n", t[i].label, t[i].right, t[i].total,
               pct(t[i].right, t[i].total));
}

/* One line of text for a miss listing. */
static const char *oneline(const char *text)
{
    static char out[120];
    size_t i = 0;
    for (; text[i] && i < sizeof(out) - 4; i++)
        out[i] = text[i] == '\n' ? '/' : text[i];
    if (text[i]) {
        while (i > 0 && ((unsigned char)out[i] & 0xC0) == 0x80)
            i--;
        memcpy(out + i, "...", 4);
    } else {
        out[i] = '\0';
    }
    return out;
}

static void goal(const char *what, double value, double target, int at_least, const char *unit)
{
    int met = at_least ? value >= target : value <= target;
    printf("  %-34s %7.1f%s  goal %s %.0f%s  %s\n", what, value, unit,
           at_least ? ">=" : "<=", target, unit, met ? "met" : "MISSED");
    bench_row("| fieldfit: %s | %.1f%s | | | %s %.0f%s | %s |", what, value, unit,
              at_least ? "≥" : "≤", target, unit, met ? "met" : "missed");
}

int main(int argc, char **argv)
{
    char path[1024], err[256];
    const char *root = getenv("KT_ROOT");
    root = root && *root ? root : ".";

    snprintf(path, sizeof(path), "%s/data/kategori.csv", root);
    if (!(categories = category_load(path, err, sizeof(err)))) {
        fprintf(stderr, "bench_fieldfit: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/data/batang-wilayah.csv", root);
    if (!(regions = region_load(path, err, sizeof(err)))) {
        fprintf(stderr, "bench_fieldfit: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/data/darurat.csv", root);
    if (!(urgent_db = urgency_load(path, err, sizeof(err)))) {
        fprintf(stderr, "bench_fieldfit: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/data/lexicon.csv", root);
    if (!(lexicon = lexicon_load(path, err, sizeof(err)))) {
        fprintf(stderr, "bench_fieldfit: %s\n", err);
        return 1;
    }
    if (argc > 1)
        snprintf(path, sizeof(path), "%s", argv[1]);
    else
        snprintf(path, sizeof(path), "%s/tests/data/fieldfit.tsv", root);
    if (load(path) < 0)
        return 1;

    struct tally intents[LABELS_MAX], offices[LABELS_MAX];
    int nintents = 0, noffices = 0;
    int intent_right = 0, intent_total = 0, office_right = 0, office_total = 0;
    int place_right = 0, place_total = 0, shared_guesses = 0;
    int urgent_total = 0, urgent_found = 0, false_alarms = 0, ordinary = 0;
    int operator_rows = 0, operator_replies = 0, intent_misses = 0, office_misses = 0,
        place_misses = 0, urgency_misses = 0;
    double t0 = bench_now();

    printf("== bench_fieldfit: %d messages from %s\n", nrows, path);
    printf("\n-- misses (line: label -> understood: text)\n");
    for (int i = 0; i < nrows; i++) {
        struct row *r = &rows[i];
        char normal[64];
        enum phone_kind kind = phone_normalise(r->sender, normal, sizeof(normal));
        if (strcmp(r->intent, "OPERATOR") == 0) {
            operator_rows++;
            if (kind == PHONE_MOBILE) {
                operator_replies++;
                printf("  %d: OPERATOR sender %s would be answered\n", r->line, r->sender);
            }
            continue;
        }
        /* intent */
        const char *got = kind == PHONE_MOBILE ? intent_label(normal, r->text) : "OPERATOR";
        struct tally *ti = tally_of(intents, &nintents, r->intent);
        ti->total++;
        intent_total++;
        if (strcmp(got, r->intent) == 0) {
            ti->right++;
            intent_right++;
        } else if (intent_misses++ < MISSES_SHOW) {
            printf("  %d: intent %s -> %s: %s\n", r->line, r->intent, got, oneline(r->text));
        }
        /* place: complaints and subscriptions name one */
        if (strcmp(r->intent, "LAPOR") == 0 || strcmp(r->intent, "DAFTAR") == 0) {
            char place[32];
            int shared;
            place_of(r->text, place, sizeof(place), &shared);
            place_total++;
            if (strcmp(place, r->place) == 0) {
                place_right++;
            } else {
                if (shared)
                    shared_guesses++;
                if (place_misses++ < MISSES_SHOW)
                    printf("  %d: place %s -> %s%s: %s\n", r->line, r->place, place,
                           shared ? " (a guess between desa of one name)" : "", oneline(r->text));
            }
        }
        if (strcmp(r->intent, "LAPOR") != 0)
            continue;
        /* office and urgency */
        int urgent;
        const char *office = office_of(r->text, &urgent);
        struct tally *to = tally_of(offices, &noffices, r->office);
        to->total++;
        office_total++;
        if (strcmp(office, r->office) == 0) {
            to->right++;
            office_right++;
        } else if (office_misses++ < MISSES_SHOW) {
            printf("  %d: office %s -> %s: %s\n", r->line, r->office, office, oneline(r->text));
        }
        if (r->urgent) {
            urgent_total++;
            urgent_found += urgent;
        } else {
            ordinary++;
            false_alarms += urgent;
        }
        if (urgent != r->urgent && urgency_misses++ < MISSES_SHOW)
            printf("  %d: urgent %d -> %d: %s\n", r->line, r->urgent, urgent, oneline(r->text));
    }
    double took = bench_now() - t0;

    printf("\n-- intent (intent_of; %d likely complaints asked first, filed on YA)\n", asked_first);
    print_tallies("intent", intents, nintents);
    printf("\n-- office (complaints)\n");
    print_tallies("office", offices, noffices);
    printf("\n-- figures (%d messages in %.1f ms)\n", nrows, took * 1000);
    goal("intent accuracy", pct(intent_right, intent_total), 98, 1, " %");
    goal("office accuracy", pct(office_right, office_total), 92, 1, " %");
    goal("place accuracy", pct(place_right, place_total), 95, 1, " %");
    goal("guesses between same-named desa", shared_guesses, 0, 0, "");
    goal("urgent recall", pct(urgent_found, urgent_total), 95, 1, " %");
    printf("  %-34s %7.1f %%  (%d of %d ordinary complaints)\n", "false alarms",
           pct(false_alarms, ordinary), false_alarms, ordinary);
    goal("replies to operator senders", operator_replies, 0, 0, "");
    printf("  (%d operator messages, %d urgent, %d complaints, %d places checked)\n", operator_rows,
           urgent_total, office_total, place_total);
    category_free(categories);
    region_free(regions);
    urgency_free(urgent_db);
    return 0;
}
