/* libFuzzer: the USSD request parser (the aggregator's form body) on
 * arbitrary bytes. Invariants: it always answers; a refusal is an END
 * sentence; an accepted form has a valid session id, a normalised mobile
 * number (62...), and NUL-terminated fields within their bounds. */
#include "gateway/ussd.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ussd_form f;
    int status;
    const char *problem = ussd_parse_form((const char *)data, size, &f, &status);
    if (problem) {
        if (strncmp(problem, "END ", 4) != 0 || (status != 200 && status != 400))
            __builtin_trap();
        return 0;
    }
    if (f.session[0] == '\0' || strlen(f.session) > USSD_SESSION_MAX ||
        strncmp(f.phone, "62", 2) != 0 || strlen(f.text) > USSD_TEXT_MAX ||
        strlen(f.service) >= sizeof(f.service))
        __builtin_trap();
    return 0;
}
