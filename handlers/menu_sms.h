/* menu_sms — the USSD menu (handlers/menu.h) over SMS.
 *
 * MENU starts a session (kt:menu:NUMBER, 15 minutes after the last reply);
 * each later SMS from that number is one input, as a USSD screen's text
 * would be, and the answer is the next screen, kept to one SMS. A leaf
 * action runs the keyword handler an SMS would reach (LAPOR, CEK, DAFTAR,
 * BERHENTI) with the menu's choices as hints, and the session ends. The
 * router sends every message of a number inside a session here, except the
 * keywords flagged KW_MENU_EXIT (BERHENTI, MENU, INFO). */
#ifndef KT_MENU_SMS_H
#define KT_MENU_SMS_H

#include "handlers/handler.h"

#define MENU_SMS_TTL 900 /* default of [gateway] menu_sms_ttl */

struct menu_result;
/* The keyword handler a menu's leaf action runs (LAPOR, CEK, DAFTAR,
 * BERHENTI) and its argument text taken from the collected values; the same
 * for USSD and SMS. Returns NULL for an unknown action. */
const struct keyword *menu_sms_action(const struct menu_result *res, const char **args);

/* The MENU keyword: start (or restart) a session and send the first screen. */
void menu_sms_start(struct request *req, const struct kw_match *m);
/* One reply inside a session. */
void menu_sms_step(struct request *req);
/* Ends the sender's session (fire and forget) before another keyword runs. */
void menu_sms_leave(struct request *req);

#endif
