/*
 * Unit tests for handlers/complaint_state: every cell of the (status, action) table against
 * an independent copy of the table in complaint_state.h, for every actor; refused moves that
 * matter (resolving before an OPD has it, PUAS before SELESAI, anything out of DITUTUP but
 * the coordinator's REASSIGN); whole lives of a complaint; names, resident texts, the TOLAK
 * rule and the timers.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "handlers/complaint_state.h"
#include "handlers/workday.h"

#define RES   CACTOR_RESIDENT
#define OFF   CACTOR_OFFICIAL
#define COORD CACTOR_COORDINATOR
#define SYS   CACTOR_SYSTEM

/* The table of complaint_state.h, row by row. */
static const struct {
    enum cstate from;
    enum caction action;
    enum cstate to;
    unsigned who;
} allowed[] = {
    {CSTATE_DITERIMA, CACTION_FORWARD, CSTATE_DITERUSKAN, SYS | COORD},
    {CSTATE_DITERIMA, CACTION_REJECT_AUTHORITY, CSTATE_BUKAN_WEWENANG, COORD},
    {CSTATE_DITERIMA, CACTION_REJECT, CSTATE_DITOLAK, COORD},
    {CSTATE_DITERIMA, CACTION_ESCALATE, CSTATE_DITERIMA, SYS},
    {CSTATE_DITERUSKAN, CACTION_ACK, CSTATE_DITINDAKLANJUTI, OFF},
    {CSTATE_DITERUSKAN, CACTION_ANSWER, CSTATE_DITINDAKLANJUTI, OFF | COORD},
    {CSTATE_DITERUSKAN, CACTION_RESOLVE, CSTATE_SELESAI, OFF | COORD},
    {CSTATE_DITERUSKAN, CACTION_REASSIGN, CSTATE_DITERUSKAN, OFF | COORD},
    {CSTATE_DITERUSKAN, CACTION_REJECT_AUTHORITY, CSTATE_BUKAN_WEWENANG, OFF | COORD},
    {CSTATE_DITERUSKAN, CACTION_REJECT, CSTATE_DITOLAK, OFF | COORD},
    {CSTATE_DITERUSKAN, CACTION_ESCALATE, CSTATE_DITERUSKAN, SYS},
    {CSTATE_DITINDAKLANJUTI, CACTION_ANSWER, CSTATE_DITINDAKLANJUTI, OFF | COORD},
    {CSTATE_DITINDAKLANJUTI, CACTION_RESOLVE, CSTATE_SELESAI, OFF | COORD},
    {CSTATE_DITINDAKLANJUTI, CACTION_REASSIGN, CSTATE_DITERUSKAN, OFF | COORD},
    {CSTATE_DITINDAKLANJUTI, CACTION_REJECT_AUTHORITY, CSTATE_BUKAN_WEWENANG, OFF | COORD},
    {CSTATE_DITINDAKLANJUTI, CACTION_REJECT, CSTATE_DITOLAK, OFF | COORD},
    {CSTATE_DITINDAKLANJUTI, CACTION_ESCALATE, CSTATE_DITINDAKLANJUTI, SYS},
    {CSTATE_SELESAI, CACTION_SATISFIED, CSTATE_DITUTUP, RES},
    {CSTATE_SELESAI, CACTION_UNSATISFIED, CSTATE_DIBUKA_KEMBALI, RES},
    {CSTATE_SELESAI, CACTION_AUTO_CLOSE, CSTATE_DITUTUP, SYS},
    {CSTATE_DIBUKA_KEMBALI, CACTION_ACK, CSTATE_DITINDAKLANJUTI, OFF},
    {CSTATE_DIBUKA_KEMBALI, CACTION_ANSWER, CSTATE_DITINDAKLANJUTI, OFF | COORD},
    {CSTATE_DIBUKA_KEMBALI, CACTION_RESOLVE, CSTATE_SELESAI, OFF | COORD},
    {CSTATE_DIBUKA_KEMBALI, CACTION_REASSIGN, CSTATE_DITERUSKAN, OFF | COORD},
    {CSTATE_DIBUKA_KEMBALI, CACTION_REJECT_AUTHORITY, CSTATE_BUKAN_WEWENANG, OFF | COORD},
    {CSTATE_DIBUKA_KEMBALI, CACTION_REJECT, CSTATE_DITOLAK, OFF | COORD},
    {CSTATE_DIBUKA_KEMBALI, CACTION_ESCALATE, CSTATE_DIBUKA_KEMBALI, SYS},
    {CSTATE_BUKAN_WEWENANG, CACTION_REASSIGN, CSTATE_DITERUSKAN, COORD},
    {CSTATE_DITOLAK, CACTION_REASSIGN, CSTATE_DITERUSKAN, COORD},
    {CSTATE_DITUTUP, CACTION_REASSIGN, CSTATE_DITERUSKAN, COORD},
};
#define N_ALLOWED (sizeof allowed / sizeof allowed[0])

static const unsigned actors[] = {RES, OFF, COORD, SYS};

static int find(enum cstate from, enum caction a)
{
    for (size_t i = 0; i < N_ALLOWED; i++)
        if (allowed[i].from == from && allowed[i].action == a)
            return (int)i;
    return -1;
}

/* Applies a as who and returns the new status; fails the test if refused. */
static enum cstate step(enum cstate from, enum caction a, enum cactor who)
{
    enum cstate to = CSTATE_COUNT;
    cr_assert_eq(cstate_apply_as(from, a, who, &to), 0, "%s in %s refused", cstate_action_name(a),
                 cstate_name(from));
    return to;
}

static void refused(enum cstate from, enum caction a)
{
    enum cstate to = CSTATE_COUNT;
    cr_assert_eq(cstate_apply(from, a, &to), -1, "%s in %s allowed", cstate_action_name(a),
                 cstate_name(from));
    cr_assert_eq(to, CSTATE_COUNT, "to written on refusal");
}

static void refused_as(enum cstate from, enum caction a, enum cactor who)
{
    enum cstate to = CSTATE_COUNT;
    cr_assert_eq(cstate_apply_as(from, a, who, &to), -1, "%s in %s allowed to actor %u",
                 cstate_action_name(a), cstate_name(from), (unsigned)who);
    cr_assert_eq(to, CSTATE_COUNT);
}

Test(cstate, every_cell_for_every_actor)
{
    int cells = 0, allowed_cells = 0;
    for (int s = 0; s < CSTATE_COUNT; s++) {
        for (int a = 0; a < CACTION_COUNT; a++, cells++) {
            int row = find((enum cstate)s, (enum caction)a);
            enum cstate to = CSTATE_COUNT;
            int rc = cstate_apply((enum cstate)s, (enum caction)a, &to);
            unsigned mask = cstate_actors((enum cstate)s, (enum caction)a);
            if (row < 0) {
                cr_assert_eq(rc, -1, "%s in %s allowed", cstate_action_name((enum caction)a),
                             cstate_name((enum cstate)s));
                cr_assert_eq(mask, 0);
                cr_assert_eq(to, CSTATE_COUNT);
            } else {
                allowed_cells++;
                cr_assert_eq(rc, 0, "%s in %s refused", cstate_action_name((enum caction)a),
                             cstate_name((enum cstate)s));
                cr_assert_eq(to, allowed[row].to, "%s in %s -> %s, want %s",
                             cstate_action_name((enum caction)a), cstate_name((enum cstate)s),
                             cstate_name(to), cstate_name(allowed[row].to));
                cr_assert_eq(mask, allowed[row].who, "%s in %s: actors %#x, want %#x",
                             cstate_action_name((enum caction)a), cstate_name((enum cstate)s), mask,
                             allowed[row].who);
            }
            for (size_t k = 0; k < sizeof actors / sizeof actors[0]; k++) {
                enum cstate t2 = CSTATE_COUNT;
                int may = row >= 0 && (allowed[row].who & actors[k]);
                int rc2 =
                    cstate_apply_as((enum cstate)s, (enum caction)a, (enum cactor)actors[k], &t2);
                cr_assert_eq(rc2, may ? 0 : -1, "%s in %s as actor %u: %d",
                             cstate_action_name((enum caction)a), cstate_name((enum cstate)s),
                             actors[k], rc2);
                if (may)
                    cr_assert_eq(t2, allowed[row].to);
            }
        }
    }
    cr_assert_eq(cells, 8 * 11);
    cr_assert_eq(allowed_cells, (int)N_ALLOWED);
}

Test(cstate, refused_moves_that_matter)
{
    /* nothing is answered or resolved before an OPD has it */
    refused(CSTATE_DITERIMA, CACTION_RESOLVE);
    refused(CSTATE_DITERIMA, CACTION_ANSWER);
    refused(CSTATE_DITERIMA, CACTION_ACK);
    refused(CSTATE_DITERIMA, CACTION_REASSIGN);
    refused_as(CSTATE_DITERIMA, CACTION_REJECT, CACTOR_OFFICIAL);
    /* FORWARD only once; the next move is REASSIGN */
    refused(CSTATE_DITERUSKAN, CACTION_FORWARD);
    refused(CSTATE_DITINDAKLANJUTI, CACTION_FORWARD);
    /* a second TERIMA */
    refused(CSTATE_DITINDAKLANJUTI, CACTION_ACK);
    /* PUAS / TIDAK PUAS only after SELESAI */
    for (int s = 0; s < CSTATE_COUNT; s++) {
        if (s == CSTATE_SELESAI)
            continue;
        refused((enum cstate)s, CACTION_SATISFIED);
        refused((enum cstate)s, CACTION_UNSATISFIED);
        refused((enum cstate)s, CACTION_AUTO_CLOSE);
    }
    /* SELESAI is not answered, resolved or rejected again */
    refused(CSTATE_SELESAI, CACTION_ANSWER);
    refused(CSTATE_SELESAI, CACTION_RESOLVE);
    refused(CSTATE_SELESAI, CACTION_REJECT);
    refused(CSTATE_SELESAI, CACTION_ESCALATE);
    /* out of the final statuses only the coordinator's REASSIGN */
    static const enum cstate finals[] = {CSTATE_DITUTUP, CSTATE_BUKAN_WEWENANG, CSTATE_DITOLAK};
    for (size_t f = 0; f < 3; f++) {
        for (int a = 0; a < CACTION_COUNT; a++)
            if (a != CACTION_REASSIGN)
                refused(finals[f], (enum caction)a);
        refused_as(finals[f], CACTION_REASSIGN, CACTOR_OFFICIAL);
        refused_as(finals[f], CACTION_REASSIGN, CACTOR_RESIDENT);
        refused_as(finals[f], CACTION_REASSIGN, CACTOR_SYSTEM);
        cr_assert_eq(step(finals[f], CACTION_REASSIGN, CACTOR_COORDINATOR), CSTATE_DITERUSKAN);
    }
    /* actors: a resident cannot act for the OPD, an official cannot say PUAS */
    refused_as(CSTATE_DITERUSKAN, CACTION_ACK, CACTOR_RESIDENT);
    refused_as(CSTATE_DITERUSKAN, CACTION_ACK, CACTOR_COORDINATOR);
    refused_as(CSTATE_DITERUSKAN, CACTION_RESOLVE, CACTOR_RESIDENT);
    refused_as(CSTATE_SELESAI, CACTION_SATISFIED, CACTOR_OFFICIAL);
    refused_as(CSTATE_SELESAI, CACTION_UNSATISFIED, CACTOR_COORDINATOR);
    refused_as(CSTATE_SELESAI, CACTION_AUTO_CLOSE, CACTOR_COORDINATOR);
    refused_as(CSTATE_DITERUSKAN, CACTION_ESCALATE, CACTOR_OFFICIAL);
    /* an actor mask with two bits, or none, is not an actor */
    refused_as(CSTATE_SELESAI, CACTION_SATISFIED, (enum cactor)(RES | SYS));
    refused_as(CSTATE_SELESAI, CACTION_SATISFIED, (enum cactor)0);
    /* out of range */
    refused(CSTATE_COUNT, CACTION_FORWARD);
    refused(CSTATE_DITERIMA, CACTION_COUNT);
    refused((enum cstate) - 1, CACTION_FORWARD);
    cr_assert_eq(cstate_actors(CSTATE_COUNT, CACTION_FORWARD), 0);
    cr_assert_eq(cstate_apply(CSTATE_DITERIMA, CACTION_FORWARD, NULL), -1);
}

Test(cstate, lives_of_a_complaint)
{
    /* routed, acknowledged, answered twice, resolved, objected to, resolved, closed */
    enum cstate s = CSTATE_DITERIMA;
    s = step(s, CACTION_ESCALATE, CACTOR_SYSTEM);
    cr_assert_eq(s, CSTATE_DITERIMA);
    s = step(s, CACTION_FORWARD, CACTOR_SYSTEM);
    s = step(s, CACTION_ACK, CACTOR_OFFICIAL);
    cr_assert_eq(s, CSTATE_DITINDAKLANJUTI);
    s = step(s, CACTION_ANSWER, CACTOR_OFFICIAL);
    s = step(s, CACTION_ANSWER, CACTOR_COORDINATOR);
    s = step(s, CACTION_RESOLVE, CACTOR_OFFICIAL);
    cr_assert_eq(s, CSTATE_SELESAI);
    s = step(s, CACTION_UNSATISFIED, CACTOR_RESIDENT);
    cr_assert_eq(s, CSTATE_DIBUKA_KEMBALI);
    s = step(s, CACTION_ESCALATE, CACTOR_SYSTEM);
    cr_assert_eq(s, CSTATE_DIBUKA_KEMBALI);
    s = step(s, CACTION_ANSWER, CACTOR_OFFICIAL);
    cr_assert_eq(s, CSTATE_DITINDAKLANJUTI);
    s = step(s, CACTION_RESOLVE, CACTOR_OFFICIAL);
    s = step(s, CACTION_AUTO_CLOSE, CACTOR_SYSTEM);
    cr_assert_eq(s, CSTATE_DITUTUP);

    /* wrong OPD: ALIHKAN, then resolved at once, PUAS */
    s = step(CSTATE_DITERIMA, CACTION_FORWARD, CACTOR_COORDINATOR);
    s = step(s, CACTION_REASSIGN, CACTOR_OFFICIAL);
    cr_assert_eq(s, CSTATE_DITERUSKAN);
    s = step(s, CACTION_RESOLVE, CACTOR_OFFICIAL);
    s = step(s, CACTION_SATISFIED, CACTOR_RESIDENT);
    cr_assert_eq(s, CSTATE_DITUTUP);

    /* TOLAK with an authority reason */
    s = step(CSTATE_DITERIMA, CACTION_FORWARD, CACTOR_SYSTEM);
    s = step(s, cstate_reject_action("bukan wewenang pemkab, jalan nasional"), CACTOR_OFFICIAL);
    cr_assert_eq(s, CSTATE_BUKAN_WEWENANG);
    cr_assert_eq(cstate_is_open(s), 0);
}

/* Every status is reachable from DITERIMA, and every one can end in DITUTUP. */
Test(cstate, reachability)
{
    int reach[CSTATE_COUNT] = {0};
    reach[CSTATE_DITERIMA] = 1;
    for (int round = 0; round < CSTATE_COUNT; round++)
        for (int s = 0; s < CSTATE_COUNT; s++)
            for (int a = 0; a < CACTION_COUNT && reach[s]; a++) {
                enum cstate to;
                if (cstate_apply((enum cstate)s, (enum caction)a, &to) == 0)
                    reach[to] = 1;
            }
    for (int s = 0; s < CSTATE_COUNT; s++)
        cr_assert(reach[s], "%s unreachable", cstate_name((enum cstate)s));

    int closes[CSTATE_COUNT] = {0};
    closes[CSTATE_DITUTUP] = 1;
    for (int round = 0; round < CSTATE_COUNT; round++)
        for (int s = 0; s < CSTATE_COUNT; s++)
            for (int a = 0; a < CACTION_COUNT; a++) {
                enum cstate to;
                if (cstate_apply((enum cstate)s, (enum caction)a, &to) == 0 && closes[to])
                    closes[s] = 1;
            }
    for (int s = 0; s < CSTATE_COUNT; s++)
        cr_assert(closes[s], "%s never closes", cstate_name((enum cstate)s));
}

Test(cstate, names)
{
    static const char *const want[CSTATE_COUNT] = {
        "DITERIMA",       "DITERUSKAN", "DITINDAKLANJUTI", "SELESAI",
        "BUKAN_WEWENANG", "DITOLAK",    "DIBUKA_KEMBALI",  "DITUTUP",
    };
    for (int s = 0; s < CSTATE_COUNT; s++) {
        enum cstate back = CSTATE_COUNT;
        cr_assert_str_eq(cstate_name((enum cstate)s), want[s]);
        cr_assert_eq(cstate_parse(want[s], &back), 0);
        cr_assert_eq(back, (enum cstate)s);
    }
    enum cstate s = CSTATE_COUNT;
    cr_assert_eq(cstate_parse("bukan wewenang", &s), 0);
    cr_assert_eq(s, CSTATE_BUKAN_WEWENANG);
    cr_assert_eq(cstate_parse("Dibuka_Kembali", &s), 0);
    cr_assert_eq(s, CSTATE_DIBUKA_KEMBALI);
    s = CSTATE_COUNT;
    cr_assert_eq(cstate_parse("DITERIMAX", &s), -1);
    cr_assert_eq(cstate_parse("DITERIM", &s), -1);
    cr_assert_eq(cstate_parse("", &s), -1);
    cr_assert_eq(cstate_parse(" DITUTUP", &s), -1);
    cr_assert_eq(cstate_parse("BUKAN-WEWENANG", &s), -1);
    cr_assert_eq(cstate_parse(NULL, &s), -1);
    cr_assert_eq(cstate_parse("DITUTUP", NULL), -1);
    cr_assert_eq(s, CSTATE_COUNT);
    cr_assert_str_eq(cstate_name(CSTATE_COUNT), "?");
    cr_assert_str_eq(cstate_name((enum cstate) - 1), "?");

    cr_assert_str_eq(cstate_action_name(CACTION_FORWARD), "FORWARD");
    cr_assert_str_eq(cstate_action_name(CACTION_REJECT_AUTHORITY), "REJECT_AUTHORITY");
    cr_assert_str_eq(cstate_action_name(CACTION_ESCALATE), "ESCALATE");
    cr_assert_str_eq(cstate_action_name(CACTION_COUNT), "?");
    for (int a = 0; a < CACTION_COUNT; a++)
        cr_assert_neq(strcmp(cstate_action_name((enum caction)a), "?"), 0);
}

/* GSM-7 basic set, the part a plain phrase may use. */
static int gsm7_plain(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == ' ' || *s == ','))
            return 0;
    return 1;
}

Test(cstate, resident_texts)
{
    for (int s = 0; s < CSTATE_COUNT; s++) {
        const char *t = cstate_resident_text((enum cstate)s);
        cr_assert_gt(strlen(t), 5, "%s: \"%s\"", cstate_name((enum cstate)s), t);
        cr_assert_leq(strlen(t), 40, "%s: \"%s\" too long for an SMS line",
                      cstate_name((enum cstate)s), t);
        cr_assert(gsm7_plain(t), "%s: \"%s\" not plain GSM-7", cstate_name((enum cstate)s), t);
        for (int o = 0; o < s; o++)
            cr_assert_str_neq(t, cstate_resident_text((enum cstate)o));
    }
    cr_assert_str_eq(cstate_resident_text(CSTATE_DITINDAKLANJUTI), "sedang ditindaklanjuti");
    cr_assert_str_eq(cstate_resident_text(CSTATE_COUNT), "");
}

Test(cstate, open)
{
    cr_assert_eq(cstate_is_open(CSTATE_DITERIMA), 1);
    cr_assert_eq(cstate_is_open(CSTATE_DITERUSKAN), 1);
    cr_assert_eq(cstate_is_open(CSTATE_DITINDAKLANJUTI), 1);
    cr_assert_eq(cstate_is_open(CSTATE_DIBUKA_KEMBALI), 1);
    cr_assert_eq(cstate_is_open(CSTATE_SELESAI), 0);
    cr_assert_eq(cstate_is_open(CSTATE_BUKAN_WEWENANG), 0);
    cr_assert_eq(cstate_is_open(CSTATE_DITOLAK), 0);
    cr_assert_eq(cstate_is_open(CSTATE_DITUTUP), 0);
    cr_assert_eq(cstate_is_open(CSTATE_COUNT), 0);
    /* ESCALATE is allowed exactly in the open statuses */
    for (int s = 0; s < CSTATE_COUNT; s++)
        cr_assert_eq(cstate_actors((enum cstate)s, CACTION_ESCALATE) != 0,
                     cstate_is_open((enum cstate)s), "%s", cstate_name((enum cstate)s));
}

Test(cstate, tolak_rule)
{
    cr_assert_eq(cstate_reject_action("bukan wewenang Pemkab"), CACTION_REJECT_AUTHORITY);
    cr_assert_eq(cstate_reject_action("BUKAN WEWENANG"), CACTION_REJECT_AUTHORITY);
    cr_assert_eq(cstate_reject_action("jalan nasional, kewenangan pusat"),
                 CACTION_REJECT_AUTHORITY);
    cr_assert_eq(cstate_reject_action("pemkab tidak berwenang"), CACTION_REJECT_AUTHORITY);
    cr_assert_eq(cstate_reject_action("dudu wewenange pemkab"), CACTION_REJECT_AUTHORITY);
    cr_assert_eq(cstate_reject_action("spam"), CACTION_REJECT);
    cr_assert_eq(cstate_reject_action("laporan tidak jelas, lokasi tidak ada"), CACTION_REJECT);
    cr_assert_eq(cstate_reject_action("wenan"), CACTION_REJECT);
    cr_assert_eq(cstate_reject_action(""), CACTION_REJECT);
    cr_assert_eq(cstate_reject_action(NULL), CACTION_REJECT);
}

Test(cstate, timers)
{
    enum caction a = CACTION_COUNT;
    cr_assert_eq(cstate_timer(CSTATE_DITERIMA, &a), WORKDAY_FORWARD);
    cr_assert_eq(a, CACTION_ESCALATE);
    a = CACTION_COUNT;
    cr_assert_eq(cstate_timer(CSTATE_DITERUSKAN, &a), WORKDAY_FOLLOW_UP);
    cr_assert_eq(a, CACTION_ESCALATE);
    a = CACTION_COUNT;
    cr_assert_eq(cstate_timer(CSTATE_DIBUKA_KEMBALI, &a), WORKDAY_FOLLOW_UP);
    cr_assert_eq(a, CACTION_ESCALATE);
    a = CACTION_COUNT;
    cr_assert_eq(cstate_timer(CSTATE_SELESAI, &a), WORKDAY_AUTO_CLOSE);
    cr_assert_eq(a, CACTION_AUTO_CLOSE);
    a = CACTION_COUNT;
    cr_assert_eq(cstate_timer(CSTATE_DITINDAKLANJUTI, &a), 0);
    cr_assert_eq(cstate_timer(CSTATE_DITUTUP, &a), 0);
    cr_assert_eq(cstate_timer(CSTATE_DITOLAK, &a), 0);
    cr_assert_eq(cstate_timer(CSTATE_BUKAN_WEWENANG, &a), 0);
    cr_assert_eq(cstate_timer(CSTATE_COUNT, &a), 0);
    cr_assert_eq(a, CACTION_COUNT);
    cr_assert_eq(cstate_timer(CSTATE_SELESAI, NULL), 10);
    /* what a timer fires is allowed to the system in that status */
    for (int s = 0; s < CSTATE_COUNT; s++) {
        if (cstate_timer((enum cstate)s, &a) == 0)
            continue;
        cr_assert(cstate_actors((enum cstate)s, a) & CACTOR_SYSTEM, "%s",
                  cstate_name((enum cstate)s));
    }
    cr_assert_eq(WORKDAY_FORWARD, 3);
    cr_assert_eq(WORKDAY_FOLLOW_UP, 5);
    cr_assert_eq(WORKDAY_AUTO_CLOSE, 10);
}
