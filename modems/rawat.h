/* rawat — AT commands libgammu's public API cannot send without decoding first.
 *
 * GSM_DeleteSMS on an AT modem reads the message again (AT+CMGR) and decodes it before it
 * says AT+CMGD, and gives up when the decode fails: a malformed message could never be
 * deleted, and one that crashes libgammu's decoder would crash the deleting worker too. The
 * worker deletes the messages it keeps aside with rawat_delete instead.
 *
 *   if (rawat_delete(sm, index) < 0)    -1: not available (not an AT modem, or a libgammu
 *       ...fall back...                     whose reply table is not as expected) */
#ifndef KT_RAWAT_H
#define KT_RAWAT_H

#include <gammu.h>

/* Says AT+CMGD=index to the modem (SIM storage, as the last listing selected it) and waits
 * for the answer. Returns the GSM_Error of the answer (ERR_NONE: deleted), or -1 when this
 * libgammu offers no way to say it (then nothing was said). */
int rawat_delete(GSM_StateMachine *sm, int index);

/* Any AT command whose beginning libgammu's reply table knows (the longest entry that starts
 * it names the request, so the answer reaches that entry's handler): the modem reset of the
 * recovery ladder, AT+CFUN=1,1 or a configured command. Returns the GSM_Error of the
 * answer, or -1 when no entry starts the command or the table is not as expected (then
 * nothing was said). */
int rawat_command(GSM_StateMachine *sm, const char *command, int timeout_s);
/* 1 when rawat_command can say command: it begins with AT, holds printable characters
 * only, at most RAWAT_COMMAND_MAX of them, and an entry of the reply table starts it. */
int rawat_known(const char *command);
#define RAWAT_COMMAND_MAX 60

#endif
