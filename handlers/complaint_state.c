/* complaint_state — statuses and transitions of a complaint (the table and its reasons are in
 * complaint_state.h).
 *
 * The rules live in one place, the `moves` table below, indexed by (status,
 * action): every handler (resident's PUAS, official's TERIMA / BALAS /
 * SELESAI / ALIHKAN / TOLAK, the coordinator's API, the timers) asks it before
 * writing a status, so no handler can invent a move. A cell with no actors is
 * a refused move. Status names are stored in Redis and shown to staff; the
 * enum order is not stored anywhere, only the names. */
#include "handlers/complaint_state.h"

#include <stddef.h>

#include "handlers/workday.h"

#define SYS   CACTOR_SYSTEM
#define OFF   CACTOR_OFFICIAL
#define COORD CACTOR_COORDINATOR
#define RES   CACTOR_RESIDENT

struct move {
    unsigned char to;     /* enum cstate */
    unsigned char actors; /* enum cactor bits; 0 = refused */
};

#define M(action, status, who) [CACTION_##action] = {CSTATE_##status, (who)}

/* An OPD has the complaint: what its official and the coordinator may do. */
#define WITH_OPD(self)                                                                             \
    M(ANSWER, DITINDAKLANJUTI, OFF | COORD), M(RESOLVE, SELESAI, OFF | COORD),                     \
        M(REASSIGN, DITERUSKAN, OFF | COORD), M(REJECT_AUTHORITY, BUKAN_WEWENANG, OFF | COORD),    \
        M(REJECT, DITOLAK, OFF | COORD), M(ESCALATE, self, SYS)

static const struct move moves[CSTATE_COUNT][CACTION_COUNT] = {
    [CSTATE_DITERIMA] =
        {
            M(FORWARD, DITERUSKAN, SYS | COORD),
            M(REJECT_AUTHORITY, BUKAN_WEWENANG, COORD),
            M(REJECT, DITOLAK, COORD),
            M(ESCALATE, DITERIMA, SYS),
        },
    [CSTATE_DITERUSKAN] = {M(ACK, DITINDAKLANJUTI, OFF), WITH_OPD(DITERUSKAN)},
    [CSTATE_DITINDAKLANJUTI] = {WITH_OPD(DITINDAKLANJUTI)},
    [CSTATE_SELESAI] =
        {
            M(SATISFIED, DITUTUP, RES),
            M(UNSATISFIED, DIBUKA_KEMBALI, RES),
            M(AUTO_CLOSE, DITUTUP, SYS),
        },
    [CSTATE_DIBUKA_KEMBALI] = {M(ACK, DITINDAKLANJUTI, OFF), WITH_OPD(DIBUKA_KEMBALI)},
    [CSTATE_BUKAN_WEWENANG] = {M(REASSIGN, DITERUSKAN, COORD)},
    [CSTATE_DITOLAK] = {M(REASSIGN, DITERUSKAN, COORD)},
    [CSTATE_DITUTUP] = {M(REASSIGN, DITERUSKAN, COORD)},
};

static const struct {
    const char *name;
    const char *resident; /* GSM-7, follows "Aduan 100014 " */
    unsigned char open;
    unsigned char timer_days; /* working days, 0 = none */
    unsigned char on_expiry;  /* enum caction */
} states[CSTATE_COUNT] = {
    [CSTATE_DITERIMA] = {"DITERIMA", "sudah diterima", 1, WORKDAY_FORWARD, CACTION_ESCALATE},
    [CSTATE_DITERUSKAN] = {"DITERUSKAN", "sudah diteruskan ke dinas terkait", 1, WORKDAY_FOLLOW_UP,
                           CACTION_ESCALATE},
    [CSTATE_DITINDAKLANJUTI] = {"DITINDAKLANJUTI", "sedang ditindaklanjuti", 1, 0, 0},
    [CSTATE_SELESAI] = {"SELESAI", "sudah selesai ditangani", 0, WORKDAY_AUTO_CLOSE,
                        CACTION_AUTO_CLOSE},
    [CSTATE_BUKAN_WEWENANG] = {"BUKAN_WEWENANG", "di luar wewenang Pemkab Batang", 0, 0, 0},
    [CSTATE_DITOLAK] = {"DITOLAK", "tidak dapat diproses", 0, 0, 0},
    [CSTATE_DIBUKA_KEMBALI] = {"DIBUKA_KEMBALI", "dibuka kembali dan ditangani ulang", 1,
                               WORKDAY_FOLLOW_UP, CACTION_ESCALATE},
    [CSTATE_DITUTUP] = {"DITUTUP", "sudah ditutup", 0, 0, 0},
};

static const char *const action_names[CACTION_COUNT] = {
    [CACTION_FORWARD] = "FORWARD",         [CACTION_ACK] = "ACK",
    [CACTION_ANSWER] = "ANSWER",           [CACTION_RESOLVE] = "RESOLVE",
    [CACTION_REASSIGN] = "REASSIGN",       [CACTION_REJECT_AUTHORITY] = "REJECT_AUTHORITY",
    [CACTION_REJECT] = "REJECT",           [CACTION_SATISFIED] = "SATISFIED",
    [CACTION_UNSATISFIED] = "UNSATISFIED", [CACTION_AUTO_CLOSE] = "AUTO_CLOSE",
    [CACTION_ESCALATE] = "ESCALATE",
};

static int valid_state(enum cstate s)
{
    return (unsigned)s < CSTATE_COUNT;
}

static int valid_action(enum caction a)
{
    return (unsigned)a < CACTION_COUNT;
}

const char *cstate_name(enum cstate s)
{
    return valid_state(s) ? states[s].name : "?";
}

const char *cstate_action_name(enum caction a)
{
    return valid_action(a) ? action_names[a] : "?";
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

int cstate_parse(const char *name, enum cstate *out)
{
    if (!name || !out)
        return -1;
    for (int s = 0; s < CSTATE_COUNT; s++) {
        const char *a = name, *b = states[s].name;
        while (*a && *b && (upper(*a) == *b || (*a == ' ' && *b == '_')))
            a++, b++;
        if (*a == '\0' && *b == '\0') {
            *out = (enum cstate)s;
            return 0;
        }
    }
    return -1;
}

unsigned cstate_actors(enum cstate from, enum caction a)
{
    if (!valid_state(from) || !valid_action(a))
        return 0;
    return moves[from][a].actors;
}

int cstate_apply(enum cstate from, enum caction a, enum cstate *to)
{
    if (!to || cstate_actors(from, a) == 0)
        return -1;
    *to = (enum cstate)moves[from][a].to;
    return 0;
}

int cstate_apply_as(enum cstate from, enum caction a, enum cactor who, enum cstate *to)
{
    unsigned bit = (unsigned)who;
    if (!to || bit == 0 || (bit & (bit - 1)) != 0 || (cstate_actors(from, a) & bit) == 0)
        return -1;
    *to = (enum cstate)moves[from][a].to;
    return 0;
}

enum caction cstate_reject_action(const char *reason)
{
    static const char key[] = "WENANG";
    for (const char *p = reason; p && *p; p++) {
        size_t i = 0;
        while (key[i] && upper(p[i]) == key[i])
            i++;
        if (key[i] == '\0')
            return CACTION_REJECT_AUTHORITY;
    }
    return CACTION_REJECT;
}

const char *cstate_resident_text(enum cstate s)
{
    return valid_state(s) ? states[s].resident : "";
}

int cstate_is_open(enum cstate s)
{
    return valid_state(s) && states[s].open;
}

int cstate_timer(enum cstate s, enum caction *on_expiry)
{
    if (!valid_state(s) || states[s].timer_days == 0)
        return 0;
    if (on_expiry)
        *on_expiry = (enum caction)states[s].on_expiry;
    return states[s].timer_days;
}
