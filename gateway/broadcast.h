/* broadcast — announcements from staff to many residents.
 *
 *   struct broadcasts *b = broadcasts_new(base, router, cfg);  feeds 4 times a second
 *   broadcasts_set_config(b, cfg);                              after a reload
 *   broadcasts_free(b);
 *
 * A broadcast is created once (kt_bc_create): its recipients are gathered in
 * one step from the subscriber sets of its areas and/or a list of numbers,
 * de-duplicated, without opted-out numbers, into a Redis list. From then on
 * it lives in Redis only (kt:bc:ID, see store.h), so a restarted gateway, or
 * another one, carries on. Four times a second kt_bc_feed moves recipients of each
 * broadcast that may go now (its time has come; not in the quiet hours
 * unless it is an emergency) onto the bulk or emergency lane, at most
 * broadcast_window of each in flight; the modem workers share those lanes
 * within each SIM's caps and count every outcome back (kt_finish).
 * Cancelling drops who was not queued yet, and workers skip queued messages
 * of a cancelled broadcast.
 *
 * Audiences are written as a list separated by commas: "all" (everyone
 * subscribed), "desa:CODE-or-NAME", "kecamatan:CODE-or-NAME" (subscribers of
 * the kecamatan and of every desa in it); "kec:" is short for "kecamatan:".
 */
#ifndef KT_BROADCAST_H
#define KT_BROADCAST_H

#include <stddef.h>

struct event_base;
struct router;
struct config;
struct services;
struct broadcasts;

#define BROADCAST_AREAS_MAX   600 /* subscriber sets one broadcast may draw from */
#define BROADCAST_TEXT_MAX    1600
#define BROADCAST_PARTS_MAX   6
#define BROADCAST_NUMBERS_MAX 100000 /* numbers in one uploaded list */
#define BROADCAST_FOOTER      "\nBalas BERHENTI utk berhenti."

struct broadcasts *broadcasts_new(struct event_base *base, struct router *r,
                                  const struct config *cfg);
void broadcasts_set_config(struct broadcasts *b, const struct config *cfg);
void broadcasts_free(struct broadcasts *b);

/* Resolves an audience into Redis set keys (kt:subs:..., kt:subscribers),
 * at most max, and a short label for people ("Kec. Blado, Desa Kalisalak").
 * Returns how many keys, or -1 with a one-line reason in err. */
int broadcast_areas(const struct services *svc, const char *spec, char (*keys)[64], int max,
                    char *label, size_t labellen, char *err, size_t errlen);

/* The SMS a broadcast sends: text with the opt-out line added (unless the
 * text already tells about BERHENTI), checked against max_parts. Returns the
 * parts it takes (and its coding, "gsm7" or "ucs2"), or -1 with the reason
 * in err (how many parts it needs and why, e.g. the character forcing
 * UCS-2). Control characters are refused, bidi overrides removed, and a
 * text that holds what reads as a NIK or KK number (privacy.h) is refused:
 * a broadcast reaches thousands of phones. */
int broadcast_compose(const char *text, int max_parts, char *out, size_t outlen,
                      const char **coding, char *err, size_t errlen);

/* What a new broadcast is; numbers are normalised (628...). */
struct broadcast_spec {
    const char *text; /* composed (broadcast_compose) */
    int parts;
    const char *coding;
    int emergency;
    long long at;      /* unix seconds; 0 = now */
    long long now;     /* unix seconds */
    const char *actor; /* "api:TOKEN" or "sms:NUMBER" */
    const char *label; /* the audience as shown */
    const char *idem;  /* "" or a key that makes a repeat return the first */
    char (*keys)[64];
    int nkeys;
    const char *const *numbers;
    int nnumbers;
};

/* The FCALL kt_bc_create command for spec, as an argv array (malloc'ed, the
 * strings it points to are spec's or live in it); free with free(). The
 * reply is {id, recipients, repeat}. Returns argc, or -1. */
int broadcast_create_argv(const struct broadcast_spec *spec, const char ***argv);

#endif
