/* libFuzzer: a message as libgammu hands it to the worker (GSM_SMSMessage,
 * filled from the fuzz bytes: number, text, coding, length, date and the
 * concatenation header with any part number, total and reference) turned
 * into what the worker stores and what the multipart reassembler keys on
 * (worker_inbound). Invariants: every field is NUL-terminated; a part number
 * lies within 1..total; a single message is part 1 of 1 with no reference;
 * the keys depend on the message alone.
 *
 * The struct is filled directly rather than decoded from a PDU: libgammu's
 * own PDU decoder (GSM_DecodePDUFrame) reads past the end of malformed PDUs
 * and smashes its stack on some (found by an earlier version of this
 * target); that is libgammu's code, kept out of what is fuzzed here. */
#include "modems/worker.h"

#include <gammu.h>
#include <stdint.h>
#include <string.h>

static size_t take(const uint8_t **data, size_t *size, void *out, size_t n)
{
    size_t k = *size < n ? *size : n;
    memcpy(out, *data, k);
    *data += k;
    *size -= k;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GSM_SMSMessage sms;
    static struct worker_inbound a, b;
    uint8_t head[12] = {0};
    memset(&sms, 0, sizeof(sms));
    take(&data, &size, head, sizeof(head));
    sms.Coding = (GSM_Coding_Type)(head[0] % 6);
    sms.UDH.Type = (GSM_UDH)(head[1] % 12);
    sms.UDH.PartNumber = (signed char)head[2];
    sms.UDH.AllParts = (signed char)head[3];
    sms.UDH.ID8bit = head[4];
    sms.UDH.ID16bit = head[5] << 8 | head[6];
    sms.UDH.Length = head[7];
    sms.Length = head[8] | (head[9] & 1) << 8;
    sms.DateTime.Year = head[10] * 17;
    sms.DateTime.Timezone = (int8_t)head[11] * 900;
    /* number, UDH and text: raw bytes, not necessarily terminated */
    take(&data, &size, sms.Number, head[1] % 2 ? sizeof(sms.Number) : 24);
    take(&data, &size, sms.UDH.Text, head[7] % (GSM_MAX_UDH_LENGTH + 1));
    take(&data, &size, sms.Text, sizeof(sms.Text));
    worker_inbound(&sms, &a);
    worker_inbound(&sms, &b);
    if (memchr(a.from, '\0', sizeof(a.from)) == NULL ||
        memchr(a.text, '\0', sizeof(a.text)) == NULL ||
        memchr(a.data, '\0', sizeof(a.data)) == NULL ||
        memchr(a.udh, '\0', sizeof(a.udh)) == NULL ||
        memchr(a.smsc_time, '\0', sizeof(a.smsc_time)) == NULL || a.coding == NULL)
        __builtin_trap();
    if (a.part < 1 || a.part > a.total || (a.total == 1 && (a.part != 1 || a.ref != -1)))
        __builtin_trap();
    if (a.content != b.content || a.group != b.group)
        __builtin_trap();
    return 0;
}
