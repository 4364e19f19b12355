/* complaint — complaints by SMS (see complaint.c for the life of a ticket).
 *
 * Keyword handlers, bound in the keyword table (handlers/keyword.c):
 *   LAPOR <text>                 resident files a complaint
 *   CEK <ticket|application>     resident or official asks the status
 *   TERIMA/BALAS/SELESAI/ALIHKAN/TOLAK <ticket> ...   officials act
 *   PUAS / TIDAK PUAS [ticket] [reason]               resident rates a resolution
 * Event handler, bound in handlers/events.c:
 *   deadline                     escalate a missed deadline or close a ticket */
#ifndef KT_COMPLAINT_H
#define KT_COMPLAINT_H

#include "handlers/handler.h"

void complaint_lapor(struct request *req, const struct kw_match *m);
void complaint_cek(struct request *req, const struct kw_match *m);
/* LOKASI <ticket> <desa> [kecamatan]: the resident who filed the ticket
 * corrects its place; an ambiguous or unknown name gets a question. */
void complaint_lokasi(struct request *req, const struct kw_match *m);
/* The confirmation a resident gets for a new complaint (office NULL: waits
 * for triage by triage_by, e.g. Diskominfo, or NULL), naming the place
 * understood (desa and kec may be "") and how to correct it, in one SMS; for
 * tests. */
void confirmation_text(char *out, size_t len, const char *ticket, const char *office,
                       const char *triage_by, const char *when, const char *desa, const char *kec);
void complaint_terima(struct request *req, const struct kw_match *m);
void complaint_balas(struct request *req, const struct kw_match *m);
void complaint_selesai(struct request *req, const struct kw_match *m);
void complaint_alihkan(struct request *req, const struct kw_match *m);
void complaint_tolak(struct request *req, const struct kw_match *m);
void complaint_puas(struct request *req, const struct kw_match *m);
void complaint_tidak_puas(struct request *req, const struct kw_match *m);
void complaint_deadline(struct request *req);

#endif
