/* complaint_state — the statuses of a complaint and the moves between them.
 *
 *   1. A handler that is about to change a complaint calls
 *      cstate_apply_as(stored_status, action, who, &next); -1 means refused
 *      (answer the sender why, change nothing).
 *   2. It stores cstate_name(next) and, when next != stored_status, tells the
 *      resident with cstate_resident_text(next).
 *   3. The timer looks up cstate_timer(status, &action) to know which
 *      deadline runs in a status and what fires when it passes.
 *
 * Transition table: every move allowed; any (status, action) not listed is
 * refused. complaint_state.c holds the same table as data, and
 * tests/unit/test_complaint_state.c checks every cell of it.
 *
 *   from             action            to               who may
 *   ---------------  ----------------  ---------------  -------------------------
 *   DITERIMA         FORWARD           DITERUSKAN       system, coordinator
 *   DITERIMA         REJECT_AUTHORITY  BUKAN_WEWENANG   coordinator
 *   DITERIMA         REJECT            DITOLAK          coordinator
 *   DITERIMA         ESCALATE          DITERIMA         system
 *   DITERUSKAN       ACK               DITINDAKLANJUTI  official
 *   DITERUSKAN       ANSWER            DITINDAKLANJUTI  official, coordinator
 *   DITERUSKAN       RESOLVE           SELESAI          official, coordinator
 *   DITERUSKAN       REASSIGN          DITERUSKAN       official, coordinator
 *   DITERUSKAN       REJECT_AUTHORITY  BUKAN_WEWENANG   official, coordinator
 *   DITERUSKAN       REJECT            DITOLAK          official, coordinator
 *   DITERUSKAN       ESCALATE          DITERUSKAN       system
 *   DITINDAKLANJUTI  ANSWER            DITINDAKLANJUTI  official, coordinator
 *   DITINDAKLANJUTI  RESOLVE           SELESAI          official, coordinator
 *   DITINDAKLANJUTI  REASSIGN          DITERUSKAN       official, coordinator
 *   DITINDAKLANJUTI  REJECT_AUTHORITY  BUKAN_WEWENANG   official, coordinator
 *   DITINDAKLANJUTI  REJECT            DITOLAK          official, coordinator
 *   DITINDAKLANJUTI  ESCALATE          DITINDAKLANJUTI  system
 *   SELESAI          SATISFIED         DITUTUP          resident
 *   SELESAI          UNSATISFIED       DIBUKA_KEMBALI   resident
 *   SELESAI          AUTO_CLOSE        DITUTUP          system
 *   DIBUKA_KEMBALI   ACK               DITINDAKLANJUTI  official
 *   DIBUKA_KEMBALI   ANSWER            DITINDAKLANJUTI  official, coordinator
 *   DIBUKA_KEMBALI   RESOLVE           SELESAI          official, coordinator
 *   DIBUKA_KEMBALI   REASSIGN          DITERUSKAN       official, coordinator
 *   DIBUKA_KEMBALI   REJECT_AUTHORITY  BUKAN_WEWENANG   official, coordinator
 *   DIBUKA_KEMBALI   REJECT            DITOLAK          official, coordinator
 *   DIBUKA_KEMBALI   ESCALATE          DIBUKA_KEMBALI   system
 *   BUKAN_WEWENANG   REASSIGN          DITERUSKAN       coordinator
 *   DITOLAK          REASSIGN          DITERUSKAN       coordinator
 *   DITUTUP          REASSIGN          DITERUSKAN       coordinator
 *
 * Actors: the resident who filed the complaint; an official registered for
 * the complaint's current OPD (checking that is the caller's job); the
 * coordinator (Diskominfo staff); the system (router, timers).
 *
 * Decisions behind the table:
 *   - Nothing is answered or resolved before an OPD has it: DITERIMA allows
 *     only FORWARD, the two rejections and ESCALATE. Diskominfo answering a
 *     question itself forwards to itself first, so every answer has an OPD.
 *   - ACK is "TERIMA": the OPD has it and works on it -> DITINDAKLANJUTI. A
 *     second ACK is refused (the handler says "sudah diterima"). ANSWER
 *     may repeat (several replies) and moves DITERUSKAN / DIBUKA_KEMBALI to
 *     DITINDAKLANJUTI. RESOLVE needs no ACK first: an official who fixed it
 *     the same day sends one SMS.
 *   - PUAS / TIDAK PUAS only after SELESAI; a resident cannot close or reopen
 *     a complaint still being handled, nor object after DITUTUP (they file a
 *     new one).
 *   - BUKAN_WEWENANG, DITOLAK and DITUTUP are final for residents and
 *     officials. The one way out is the coordinator's REASSIGN (a wrong
 *     rejection or closure corrected by routing the complaint to an OPD
 *     again). Rejected complaints are not auto-closed, so CEK keeps saying
 *     why.
 *   - REASSIGN by an official is "ALIHKAN": not my OPD, send it to another
 *     one; back to DITERUSKAN, and the new OPD's deadline starts.
 *   - TOLAK is one verb: cstate_reject_action(reason) picks BUKAN_WEWENANG
 *     when the reason mentions authority ("bukan wewenang Pemkab, jalan
 *     nasional", "kewenangan provinsi"), else DITOLAK.
 *   - ESCALATE never changes the status: it only tells the next level up. */
#ifndef KT_COMPLAINT_STATE_H
#define KT_COMPLAINT_STATE_H

enum cstate {
    CSTATE_DITERIMA,        /* received, not yet with an OPD */
    CSTATE_DITERUSKAN,      /* forwarded to an OPD, not yet acknowledged */
    CSTATE_DITINDAKLANJUTI, /* the OPD acknowledged or answered */
    CSTATE_SELESAI,         /* resolved, waiting for PUAS / TIDAK PUAS */
    CSTATE_BUKAN_WEWENANG,  /* not the regency's authority (final) */
    CSTATE_DITOLAK,         /* rejected as invalid (final) */
    CSTATE_DIBUKA_KEMBALI,  /* reopened by TIDAK PUAS, back with the OPD */
    CSTATE_DITUTUP,         /* closed: PUAS or no objection in time (final) */
    CSTATE_COUNT
};

enum caction {
    CACTION_FORWARD,
    CACTION_ACK,
    CACTION_ANSWER,
    CACTION_RESOLVE,
    CACTION_REASSIGN,
    CACTION_REJECT_AUTHORITY,
    CACTION_REJECT,
    CACTION_SATISFIED,
    CACTION_UNSATISFIED,
    CACTION_AUTO_CLOSE,
    CACTION_ESCALATE,
    CACTION_COUNT
};

/* Who acts; bits, so a set of actors is an unsigned mask. */
enum cactor {
    CACTOR_RESIDENT = 1u << 0,    /* the resident who filed the complaint */
    CACTOR_OFFICIAL = 1u << 1,    /* a registered official of the complaint's OPD */
    CACTOR_COORDINATOR = 1u << 2, /* Diskominfo staff (admin API, kentongan-ctl) */
    CACTOR_SYSTEM = 1u << 3,      /* router and timers */
};

/* "DITERIMA", ... as stored and shown to staff; "?" for a value out of range. */
const char *cstate_name(enum cstate s);
/* Reads a stored name (case-insensitive, ' ' or '_' between words). 0 / -1. */
int cstate_parse(const char *name, enum cstate *out);
/* "FORWARD", ... for logs; "?" for a value out of range. */
const char *cstate_action_name(enum caction a);

/* The status after action a in status from, whoever acts. 0 allowed (*to
 * set), -1 refused or out of range (*to untouched). */
int cstate_apply(enum cstate from, enum caction a, enum cstate *to);
/* The same for one actor (a single enum cactor bit). */
int cstate_apply_as(enum cstate from, enum caction a, enum cactor who, enum cstate *to);
/* The actors allowed to do a in status from (mask of enum cactor, 0 = refused). */
unsigned cstate_actors(enum cstate from, enum caction a);

/* Which TOLAK it is: CACTION_REJECT_AUTHORITY when reason contains "wenang"
 * (wewenang, kewenangan, berwenang; any case), else CACTION_REJECT. */
enum caction cstate_reject_action(const char *reason);

/* A short Indonesian phrase for residents, GSM-7, starting in lower case, to follow
 * "Aduan 100014 ": "sedang ditindaklanjuti". "" for a value out of range. */
const char *cstate_resident_text(enum cstate s);

/* 1 while the government still owes action (DITERIMA, DITERUSKAN,
 * DITINDAKLANJUTI, DIBUKA_KEMBALI); SELESAI waits for the resident and the
 * final statuses are not open. */
int cstate_is_open(enum cstate s);

/* The deadline that runs in status s, in working days from entering it
 * (workday_deadline), and in *on_expiry the action the timer applies then:
 * DITERIMA 3 -> ESCALATE (not forwarded), DITERUSKAN and DIBUKA_KEMBALI 5 ->
 * ESCALATE (no follow-up), SELESAI 10 -> AUTO_CLOSE. 0 when no working-day
 * timer runs (the 60-day legal maximum is counted from filing, elsewhere). */
int cstate_timer(enum cstate s, enum caction *on_expiry);

#endif
