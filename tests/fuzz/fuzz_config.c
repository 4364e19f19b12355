/* libFuzzer: the configuration reader (inih and every check of config.c) on
 * arbitrary text. Invariants: it always answers; a refusal always says why,
 * one line per problem; an accepted configuration has at least one modem and
 * values inside their bounds. */
#include "gateway/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct config *cfg = config_new();
    static char err[8192];
    if (cfg) {
        int rc = config_load_text(cfg, "fuzz.ini", text, err, sizeof(err));
        if (rc != 0 && err[0] == '\0')
            __builtin_trap(); /* refused without a reason */
        if (rc == 0 && (cfg->nmodems < 1 || cfg->nmodems > CONFIG_MAX_MODEMS ||
                        cfg->sender_per_minute < 1 || cfg->ussd_session_ttl < 30))
            __builtin_trap();
        config_free(cfg);
    }
    free(text);
    return 0;
}
