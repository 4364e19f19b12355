/* subscribe — DAFTAR <desa or kecamatan> and BERHENTI (STOP, UNREG).
 *
 * A subscription is consent to announcements for one area, kept with the
 * time and channel it was given (kt:consent:NUMBER). A desa implies its
 * kecamatan: a broadcast to the kecamatan reaches the desa's subscribers.
 * BERHENTI removes every subscription of the number at once and records the
 * opt-out (kt:optout:NUMBER), which broadcasts honour. */
#ifndef KT_SUBSCRIBE_H
#define KT_SUBSCRIBE_H

#include "handlers/handler.h"

void subscribe_daftar(struct request *req, const struct kw_match *m);
void subscribe_berhenti(struct request *req, const struct kw_match *m);

#endif
