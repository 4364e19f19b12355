/* siar — staff broadcast by SMS from a registered number: SIAR <area> <text>,
 * confirmed with YA (or dropped with BATAL) within 10 minutes; BATAL <number>
 * cancels a running broadcast. Officials with role staff, coordinator or
 * sekda may; to anyone else the words mean nothing (the unknown-keyword
 * answer). Creating goes through gateway/broadcast.h, once per message. */
#ifndef KT_SIAR_H
#define KT_SIAR_H

#include "handlers/handler.h"

void siar_handler(struct request *req, const struct kw_match *m);
void siar_ya(struct request *req, const struct kw_match *m);
void siar_batal(struct request *req, const struct kw_match *m);

#endif
