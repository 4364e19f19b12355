/* libFuzzer: the CSV reader on arbitrary bytes. Invariants: it always ends
 * (0 or -1), every field is NUL-terminated within the limit, and the line
 * number never goes backwards. */
#include "gateway/csv.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct csv c;
    const char *f[CSV_FIELDS_MAX];
    char err[200];
    int n, rows = 0, last = 0;
    csv_init(&c, (const char *)data, size);
    while ((n = csv_row(&c, f, CSV_FIELDS_MAX, err, sizeof(err))) > 0) {
        if (n > CSV_FIELDS_MAX || c.line < last)
            __builtin_trap();
        for (int i = 0; i < n; i++)
            if (strlen(f[i]) > CSV_FIELD_MAX)
                __builtin_trap();
        last = c.line;
        if (++rows > (int)size + 1)
            __builtin_trap(); /* no progress */
    }
    return 0;
}
