/* rawat — see rawat.h.
 *
 * libgammu sends every AT command through GSM_WaitFor (exported, not in its public headers):
 * the command, a frame type, a timeout in seconds, and the request id its reply table
 * answers to. The id of AT+CMGD is an internal enum value, so it is not copied here: it is
 * read once from libgammu's own AT reply table (ATGENReplyFunctions, exported), in the entry
 * whose handler is ATGEN_ReplyDeleteSMSMessage and whose command is "AT+CMGD". When no such
 * entry is found within a bound (another libgammu, another layout), rawat says nothing. */
#include "modems/rawat.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define RAWAT_TABLE_MAX   1024 /* entries of the reply table looked at, at most */
#define RAWAT_CMGD_WAIT_S 5    /* seconds libgammu waits for the answer (as it does itself) */

/* The reply table entry as libgammu 1.40+ declares it (libgammu/gsmreply.h). */
struct reply_entry {
    GSM_Error (*function)(void *msg, GSM_StateMachine *s);
    const char *msgtype;
    size_t subtypechar;
    unsigned char subtype;
    int request;
};

extern struct reply_entry ATGENReplyFunctions[];
extern GSM_Error ATGEN_ReplyDeleteSMSMessage(void *msg, GSM_StateMachine *s);
extern GSM_Error GSM_WaitFor(GSM_StateMachine *s, const unsigned char *buffer, size_t length,
                             int type, int timeout, int request);

/* The request id of AT+CMGD; -1 when the table is not as expected. */
static int delete_request(void)
{
    static int cached = -2;
    if (cached != -2)
        return cached;
    cached = -1;
    for (int i = 0; i < RAWAT_TABLE_MAX && ATGENReplyFunctions[i].function; i++) {
        const struct reply_entry *e = &ATGENReplyFunctions[i];
        if (e->function == ATGEN_ReplyDeleteSMSMessage && e->msgtype &&
            strcmp(e->msgtype, "AT+CMGD") == 0) {
            cached = e->request;
            break;
        }
    }
    return cached;
}

int rawat_delete(GSM_StateMachine *sm, int index)
{
    if (index < 1 || index >= GSM_PHONE_MAXSMSINFOLDER)
        return -1;
    /* only the AT driver: model "at", or any AT connection (at115200, proxyat, blueat...) */
    GSM_Config *gc = GSM_GetConfig(sm, -1);
    if (gc == NULL || (strcasecmp(gc->Model, "at") != 0 &&
                       (gc->Connection == NULL || strcasestr(gc->Connection, "at") == NULL)))
        return -1;
    int request = delete_request();
    if (request < 0)
        return -1;
    char req[32];
    int len = snprintf(req, sizeof(req), "AT+CMGD=%d\r", index);
    return (int)GSM_WaitFor(sm, (const unsigned char *)req, (size_t)len, 0x00, RAWAT_CMGD_WAIT_S,
                            request);
}

/* The request id of the longest reply-table entry that begins command (an AT
 * command, not a bare "AT"); -1 when none does. */
static int command_request(const char *command)
{
    size_t best = 0;
    int request = -1;
    for (int i = 0; i < RAWAT_TABLE_MAX && ATGENReplyFunctions[i].function; i++) {
        const char *type = ATGENReplyFunctions[i].msgtype;
        size_t len = type ? strlen(type) : 0;
        if (len < 3 || strncmp(type, "AT", 2) != 0 || strncmp(command, type, len) != 0)
            continue;
        if (len > best) {
            best = len;
            request = ATGENReplyFunctions[i].request;
        }
    }
    return request;
}

int rawat_known(const char *command)
{
    size_t n = strlen(command);
    if (n < 3 || n > RAWAT_COMMAND_MAX || strncmp(command, "AT", 2) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (command[i] < 0x20 || command[i] > 0x7e)
            return 0;
    return command_request(command) >= 0;
}

int rawat_command(GSM_StateMachine *sm, const char *command, int timeout_s)
{
    GSM_Config *gc = GSM_GetConfig(sm, -1);
    if (!rawat_known(command) || gc == NULL ||
        (strcasecmp(gc->Model, "at") != 0 &&
         (gc->Connection == NULL || strcasestr(gc->Connection, "at") == NULL)))
        return -1;
    char req[RAWAT_COMMAND_MAX + 2];
    int len = snprintf(req, sizeof(req), "%s\r", command);
    return (int)GSM_WaitFor(sm, (const unsigned char *)req, (size_t)len, 0x00, timeout_s,
                            command_request(command));
}
