/* config — see config.h.
 *
 * Two tables describe every key kentongan understands: gateway_keys for the
 * [gateway] section and modem_keys for the gateway's own keys of a
 * [modem:NAME] section (official_keys and token_keys likewise for
 * [official:NAME] and [token:NAME]). gammu_keys lists what libgammu reads from a gammurc
 * [gammu] section; those are stored verbatim and handed to libgammu. Anything
 * else is an error, so a typo never silently falls back to a default. */
#include "gateway/config.h"
#include "gateway/clock.h"

#include "gateway/log.h"
#include "gateway/netaddr.h"
#include "gateway/phone.h"
#include "gateway/pin.h"
#include "modems/credit.h"
#include "modems/rawat.h"

#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum key_type { KEY_STRING, KEY_INT, KEY_LOGLEVEL, KEY_REDIS, KEY_LISTEN, KEY_DIGITS };

struct key_def {
    const char *name;
    enum key_type type;
    size_t offset;
    size_t size; /* for strings */
    long min, max;
    const char *defval; /* strings */
    long intdef;        /* whole numbers (an expression such as 7 * 86400 is evaluated) */
};

#define S(field, type, def)                                                                        \
    {                                                                                              \
#field, type, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0,   \
            def                                                                                    \
    }
#define I(field, lo, hi, def)                                                                      \
    {                                                                                              \
#field, KEY_INT, offsetof(struct config, field), 0, lo, hi, NULL, (def)                    \
    }

static const struct key_def gateway_keys[] = {
    S(redis, KEY_REDIS, "127.0.0.1:6379"),
    S(redis_user, KEY_STRING, ""),          /* Redis ACL user (AUTH user password) */
    S(redis_password_file, KEY_STRING, ""), /* read by check_redis_auth, never logged */
    S(http, KEY_LISTEN, "127.0.0.1:8080"),
    S(loglevel, KEY_LOGLEVEL, "info"),
    S(name, KEY_STRING, ""),
    /* Per-number limits and the reply budget (router.c, kt_rate): one number
     * must never take a SIM, a flood from many numbers is shed. */
    I(sender_per_minute, 1, 1000, CONFIG_SENDER_PER_MINUTE),
    I(sender_per_day, 1, 100000, CONFIG_SENDER_PER_DAY),
    I(reply_budget_per_minute, 0, 1000000, 0),
    I(reply_ttl, 10, 7 * 86400, 3600),
    I(multipart_timeout, 5, 86400, 600),
    I(dedupe_ttl, 3600, 90 * 86400, 7 * 86400),
    I(claim_idle, 1, 3600, 60),
    S(data_dir, KEY_STRING, "data"),
    S(holidays, KEY_STRING, ""),
    I(test_clock, 0, 1, 0),
    S(menu, KEY_STRING, "etc/menu.json"),
    I(ussd_session_ttl, 30, 3600, 180),
    I(ussd_draft_ttl, 60, 604800, 86400),
    I(menu_sms_ttl, 60, 86400, 900),
    I(confirm_ttl, 60, 86400, 1800),
    S(ussd_secret, KEY_STRING, ""),
    S(ussd_allow, KEY_STRING, ""),
    S(quiet_hours, KEY_STRING, "21:00-06:00"),
    I(broadcast_window, 1, 10000, 200),
    I(broadcast_ttl, 600, 7 * 86400, 86400),
    I(lane_keep_seconds, 1, 30 * 86400, 3600),
    I(metrics_public, 0, 1, 1),
    I(pin_failures, 1, 100, 5),
    I(pin_window, 60, 86400, 900),
    I(pin_lockout, 60, 86400, 900),
    /* the HTTP listener's limits (http.h) */
    I(http_max_connections, 1, 65536, 256),
    I(http_max_per_address, 1, 65536, 32),
    I(http_request_timeout, 1, 3600, 10),
    I(http_idle_timeout, 1, 86400, 30),
    /* emergencies and matters outside the regency (handlers/urgency.h,
     * complaint.c): numbers told to residents, the urgent deadline */
    S(emergency_number, KEY_DIGITS, CONFIG_EMERGENCY_NUMBER),
    S(bpbd_number, KEY_DIGITS, CONFIG_BPBD_NUMBER),
    S(fire_number, KEY_DIGITS, CONFIG_FIRE_NUMBER),
    S(pln_number, KEY_DIGITS, CONFIG_PLN_NUMBER),
    S(police_number, KEY_DIGITS, CONFIG_POLICE_NUMBER),
    I(urgent_deadline_hours, 1, 72, CONFIG_URGENT_DEADLINE_HOURS),
    /* modems out of service: the coordinators are told by SMS (router.c, kt_modem_alert) */
    I(modem_alert_after, 0, 7 * 86400, CONFIG_MODEM_ALERT_AFTER),
    {NULL, 0, 0, 0, 0, 0, NULL},
};

#define MS(field, def)                                                                             \
    {                                                                                              \
#field, KEY_STRING, offsetof(struct modem_config, field),                                  \
            sizeof(((struct modem_config *)0)->field), 0, 0, def                                   \
    }
#define MI(field, lo, hi, def)                                                                     \
    {                                                                                              \
#field, KEY_INT, offsetof(struct modem_config, field), 0, lo, hi, NULL, (def)              \
    }

static const struct key_def modem_keys[] = {
    MS(smsc, ""),
    MI(per_minute, 1, 600, 10),
    MI(per_day, 1, 100000, 1000),
    MI(poll_seconds, 1, 3600, 5),
    /* replies first: once +CMTI has announced a message, sweeps are only the safety net */
    MI(cmti_poll_seconds, 1, 3600, 60),
    MI(hang_seconds, 10, 3600, 120),
    MI(failover_seconds, 0, 86400, 120),
    MI(send_timeout_seconds, 5, 600, 60),
    MS(delivery_reports, "broadcasts"),
    MI(ussd_timeout_seconds, 5, 60, 20),
    MS(balance_code, ""),
    MS(balance_pattern, CREDIT_PATTERN),
    /* 5 s is for tests and small setups: every check holds the modem for a few seconds,
     * during which it sends nothing. */
    MI(balance_every, 5, 7 * 86400, 21600),
    MI(balance_low, 0, 1000000000, 10000),
    MS(ussd_allowed, ""),
    /* the installer's probe */
    MS(own_number, ""),
    MI(probe_timeout_seconds, 5, 600, 120),
    /* health checks and the recovery ladder (modems/worker.c, "recovery") */
    MI(check_seconds, 2, 3600, CONFIG_CHECK_SECONDS),
    MS(reset, "cfun"),
    MI(reset_after, 1, 1000, CONFIG_RESET_AFTER),
    MS(usb_reset, ""),
    MI(usb_reset_after, 1, 1000, CONFIG_USB_RESET_AFTER),
    {NULL, 0, 0, 0, 0, 0, NULL},
};

/* Keys libgammu reads from a [gammu] section (gammu(1), "gammurc"). */
static const char *const gammu_keys[] = {
    "model",       "connection",      "device",     "port",        "features",  "logfile",
    "logformat",   "synchronizetime", "lockdevice", "use_locking", "startinfo", "gammuloc",
    "gammucoding", "atgen_setcnmi",   "name",       NULL,
};

struct load_state {
    struct config *cfg;
    char *err;
    size_t errlen;
    size_t used;
    int problems;
};

static void problem(struct load_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct load_state *st, const char *fmt, ...)
{
    st->problems++;
    if (st->err == NULL || st->used + 2 >= st->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(st->err + st->used, st->errlen - st->used - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    st->used += (size_t)n;
    if (st->used > st->errlen - 2)
        st->used = st->errlen - 2;
    st->err[st->used++] = '\n';
    st->err[st->used] = '\0';
}

static int parse_int(const char *v, long lo, long hi, long *out)
{
    char *end;
    if (*v == '\0')
        return -1;
    long n = strtol(v, &end, 10);
    if (*end != '\0' || n < lo || n > hi)
        return -1;
    *out = n;
    return 0;
}

/* HOST:PORT with a port in 1..65535, or unix:PATH. */
static int valid_endpoint(const char *v, int allow_unix)
{
    if (allow_unix && strncmp(v, "unix:", 5) == 0)
        return v[5] != '\0';
    const char *colon = strrchr(v, ':');
    long port;
    if (colon == NULL || colon == v)
        return 0;
    return parse_int(colon + 1, 1, 65535, &port) == 0;
}

static int set_key(struct load_state *st, const struct key_def *defs, void *base,
                   const char *section, const char *name, const char *value)
{
    for (const struct key_def *k = defs; k->name; k++) {
        if (strcasecmp(k->name, name) != 0)
            continue;
        char *field = (char *)base + k->offset;
        long n;
        enum log_level lvl;
        switch (k->type) {
        case KEY_INT:
            if (parse_int(value, k->min, k->max, &n) != 0) {
                problem(st, "[%s] %s = '%s': expected a whole number from %ld to %ld", section,
                        name, value, k->min, k->max);
                return 0;
            }
            *(int *)field = (int)n;
            return 0;
        case KEY_LOGLEVEL:
            if (log_level_parse(value, &lvl) != 0) {
                problem(st, "[%s] %s = '%s': expected error, warn, info or debug", section, name,
                        value);
                return 0;
            }
            break;
        case KEY_REDIS:
            if (!valid_endpoint(value, 1)) {
                problem(st, "[%s] %s = '%s': expected HOST:PORT or unix:PATH", section, name,
                        value);
                return 0;
            }
            break;
        case KEY_LISTEN:
            if (*value != '\0' && !valid_endpoint(value, 0)) {
                problem(st, "[%s] %s = '%s': expected ADDRESS:PORT (or empty to disable)", section,
                        name, value);
                return 0;
            }
            break;
        case KEY_DIGITS: /* a telephone number told to residents: digits or "" */
            if (strspn(value, "0123456789") != strlen(value)) {
                problem(st, "[%s] %s = '%s': expected a telephone number (digits only)", section,
                        name, value);
                return 0;
            }
            break;
        case KEY_STRING:
            break;
        }
        if (strlen(value) >= k->size) {
            problem(st, "[%s] %s: value longer than %zu characters", section, name, k->size - 1);
            return 0;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    return -1;
}

static void apply_defaults(const struct key_def *defs, void *base)
{
    for (const struct key_def *k = defs; k->name; k++) {
        char *field = (char *)base + k->offset;
        if (k->type == KEY_INT)
            *(int *)field = (int)k->intdef;
        else
            snprintf(field, k->size, "%s", k->defval);
    }
}

static struct modem_config *modem_for(struct load_state *st, const char *section)
{
    const char *name = section + strlen("modem:");
    struct config *cfg = st->cfg;
    for (int i = 0; i < cfg->nmodems; i++)
        if (strcmp(cfg->modems[i].name, name) == 0)
            return &cfg->modems[i];
    if (cfg->nmodems == CONFIG_MAX_MODEMS) {
        problem(st, "[%s]: too many modems (at most %d)", section, CONFIG_MAX_MODEMS);
        return NULL;
    }
    size_t len = strlen(name);
    int ok = len > 0 && len < CONFIG_NAME_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
             (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '_';
    if (!ok) {
        problem(st, "[%s]: a modem name is 1-%d letters, digits, '-' or '_'", section,
                CONFIG_NAME_MAX - 1);
        return NULL;
    }
    struct modem_config *m = &cfg->modems[cfg->nmodems++];
    memset(m, 0, sizeof(*m));
    apply_defaults(modem_keys, m);
    snprintf(m->name, sizeof(m->name), "%s", name);
    return m;
}

#define OS(field)                                                                                  \
    {                                                                                              \
#field, KEY_STRING, offsetof(struct official_config, field),                               \
            sizeof(((struct official_config *)0)->field), 0, 0, ""                                 \
    }

static const struct key_def official_keys[] = {
    OS(phone), OS(opd), OS(role), OS(pin), {NULL, 0, 0, 0, 0, 0, NULL},
};

static const char *const official_roles[] = {"liaison", "head",  "coordinator",
                                             "sekda",   "staff", NULL};

static struct official_config *official_for(struct load_state *st, const char *section)
{
    const char *name = section + strlen("official:");
    struct config *cfg = st->cfg;
    for (int i = 0; i < cfg->nofficials; i++)
        if (strcmp(cfg->officials[i].name, name) == 0)
            return &cfg->officials[i];
    if (cfg->nofficials == CONFIG_MAX_OFFICIALS) {
        problem(st, "[%s]: too many officials (at most %d)", section, CONFIG_MAX_OFFICIALS);
        return NULL;
    }
    if (*name == '\0' || strlen(name) >= CONFIG_NAME_MAX) {
        problem(st, "[%s]: an official's name is 1-%d characters", section, CONFIG_NAME_MAX - 1);
        return NULL;
    }
    struct official_config *o = &cfg->officials[cfg->nofficials++];
    memset(o, 0, sizeof(*o));
    snprintf(o->name, sizeof(o->name), "%s", name);
    return o;
}

/* A PIN is kept only as its hash, made for this official's number; whoever
 * may broadcast must have one (README "Officials' PINs"). */
static void check_pin(struct load_state *st, struct official_config *o)
{
    char norm[32], why[160];
    int broadcasts = strcmp(o->role, "staff") == 0 || strcmp(o->role, "coordinator") == 0 ||
                     strcmp(o->role, "sekda") == 0;
    o->pin_digest[0] = '\0';
    if (o->pin[0] == '\0') {
        if (broadcasts)
            problem(st,
                    "[official:%s] pin: missing; role %s may broadcast, so it needs a PIN. "
                    "Make the line with: kentongan --hash-pin %s (the PIN on standard input)",
                    o->name, o->role, o->phone[0] ? o->phone : "NUMBER");
        return;
    }
    if (phone_normalise(o->phone, norm, sizeof(norm)) != PHONE_MOBILE)
        return; /* the phone's own problem is reported by the services */
    if (pin_config_parse(o->pin, norm, o->pin_digest, why, sizeof(why)) != 0)
        problem(st,
                "[official:%s] pin: %s. Make the line with: kentongan --hash-pin %s (the PIN on "
                "standard input)",
                o->name, why, o->phone);
}

static void check_official(struct load_state *st, struct official_config *o)
{
    int known = 0;
    for (const char *const *r = official_roles; *r; r++)
        known |= strcmp(*r, o->role) == 0;
    if (o->phone[0] == '\0')
        problem(st, "[official:%s] phone: missing", o->name);
    if (o->role[0] == '\0' || !known)
        problem(st,
                "[official:%s] role = '%s': expected liaison, head, coordinator, sekda or staff",
                o->name, o->role);
    if (o->opd[0] == '\0' && strcmp(o->role, "sekda") != 0)
        problem(st, "[official:%s] opd: missing (an OPD code from opd.csv)", o->name);
    check_pin(st, o);
}

#define TS(field)                                                                                  \
    {                                                                                              \
#field, KEY_STRING, offsetof(struct token_config, field),                                  \
            sizeof(((struct token_config *)0)->field), 0, 0, ""                                    \
    }

static const struct key_def token_keys[] = {
    TS(sha256), TS(role), TS(opd), TS(official), {NULL, 0, 0, 0, 0, 0, NULL},
};

static const char *const token_roles[] = {"admin", "staff", "official", NULL};

/* Letters, digits, '-', '_' and '.': names that go into log lines as they are. */
static int plain_name(const char *name, size_t max)
{
    size_t len = strlen(name);
    if (len == 0 || len >= max)
        return 0;
    for (; *name; name++)
        if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
              (*name >= '0' && *name <= '9') || *name == '-' || *name == '_' || *name == '.'))
            return 0;
    return 1;
}

static struct token_config *token_for(struct load_state *st, const char *section)
{
    const char *name = section + strlen("token:");
    struct config *cfg = st->cfg;
    for (int i = 0; i < cfg->ntokens; i++)
        if (strcmp(cfg->tokens[i].name, name) == 0)
            return &cfg->tokens[i];
    if (cfg->ntokens == CONFIG_MAX_TOKENS) {
        problem(st, "[%s]: too many tokens (at most %d)", section, CONFIG_MAX_TOKENS);
        return NULL;
    }
    if (!plain_name(name, CONFIG_NAME_MAX)) {
        problem(st, "[%s]: a token name is 1-%d letters, digits, '-', '_' or '.'", section,
                CONFIG_NAME_MAX - 1);
        return NULL;
    }
    struct token_config *t = &cfg->tokens[cfg->ntokens++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    return t;
}

/* A token's own keys; whether its official and OPD exist is checked once
 * every section is read (check_tokens) and against data/opd.csv by the
 * services. */
static void check_token(struct load_state *st, struct token_config *t)
{
    size_t n = strlen(t->sha256);
    if (n == 0)
        problem(st, "[token:%s] sha256: missing (printf %%s TOKEN | sha256sum)", t->name);
    else if (n != CONFIG_SHA256_HEX || strspn(t->sha256, "0123456789abcdefABCDEF") != n)
        problem(st, "[token:%s] sha256: expected 64 hex digits (printf %%s TOKEN | sha256sum)",
                t->name);
    for (char *p = t->sha256; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p + 32);
    int known = 0;
    for (const char *const *r = token_roles; *r; r++)
        known |= strcmp(*r, t->role) == 0;
    if (!known) {
        problem(st, "[token:%s] role = '%s': expected admin, staff or official", t->name, t->role);
        return;
    }
    int official = strcmp(t->role, "official") == 0;
    if (official && t->opd[0] == '\0')
        problem(st,
                "[token:%s] opd: missing (an official's token sees one OPD, a code from opd.csv)",
                t->name);
    if (!official && t->opd[0])
        problem(st, "[token:%s] opd: only for role = official", t->name);
    if (!official && t->official[0])
        problem(st,
                "[token:%s] official: only for role = official (admin and staff tokens act "
                "as the coordinator)",
                t->name);
}

static void check_tokens(struct load_state *st)
{
    struct config *cfg = st->cfg;
    for (int i = 0; i < cfg->ntokens; i++) {
        struct token_config *t = &cfg->tokens[i];
        check_token(st, t);
        if (t->official[0]) {
            int found = 0;
            for (int k = 0; k < cfg->nofficials; k++)
                found |= strcmp(cfg->officials[k].name, t->official) == 0;
            if (!found)
                problem(st, "[token:%s] official = '%s': no [official:%s] section", t->name,
                        t->official, t->official);
        }
        for (int k = 0; k < i; k++)
            if (t->sha256[0] && strcmp(cfg->tokens[k].sha256, t->sha256) == 0)
                problem(st, "[token:%s] sha256: the same as [token:%s] (each token must differ)",
                        t->name, cfg->tokens[k].name);
    }
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct load_state *st = user;
    if (strcmp(section, "gateway") == 0) {
        if (set_key(st, gateway_keys, st->cfg, section, name, value) != 0)
            problem(st, "[gateway] %s: unknown key", name);
        return 1;
    }
    if (strncmp(section, "modem:", 6) == 0) {
        struct modem_config *m = modem_for(st, section);
        if (m == NULL)
            return 1;
        if (set_key(st, modem_keys, m, section, name, value) == 0)
            return 1;
        for (const char *const *g = gammu_keys; *g; g++) {
            if (strcasecmp(*g, name) != 0)
                continue;
            const char *key = strcasecmp(name, "port") == 0 ? "device" : *g;
            if (modem_gammu(m, key) != NULL) {
                problem(st, "[%s] %s: given twice", section, name);
                return 1;
            }
            if (m->ngammu == CONFIG_MAX_GAMMU_KEYS || strlen(value) >= CONFIG_VALUE_MAX) {
                problem(st, "[%s] %s: too long or too many keys", section, name);
                return 1;
            }
            struct config_kv *kv = &m->gammu[m->ngammu++];
            snprintf(kv->key, sizeof(kv->key), "%s", key);
            snprintf(kv->value, sizeof(kv->value), "%s", value);
            return 1;
        }
        problem(st, "[%s] %s: unknown key", section, name);
        return 1;
    }
    if (strncmp(section, "official:", 9) == 0) {
        struct official_config *o = official_for(st, section);
        if (o && set_key(st, official_keys, o, section, name, value) != 0)
            problem(st, "[%s] %s: unknown key", section, name);
        return 1;
    }
    if (strncmp(section, "token:", 6) == 0) {
        struct token_config *t = token_for(st, section);
        if (t && set_key(st, token_keys, t, section, name, value) != 0)
            problem(st, "[%s] %s: unknown key", section, name);
        return 1;
    }
    problem(st,
            "[%s]: unknown section (expected [gateway], [modem:NAME], [official:NAME] or "
            "[token:NAME])",
            section);
    return 1;
}

/* The first word of a proxy command must be something we can execute. */
static int command_exists(const char *cmd)
{
    char word[CONFIG_VALUE_MAX];
    size_t n = strcspn(cmd, " \t");
    if (n == 0 || n >= sizeof(word))
        return 0;
    memcpy(word, cmd, n);
    word[n] = '\0';
    if (strchr(word, '/'))
        return access(word, X_OK) == 0;
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/bin:/bin";
    char dir[CONFIG_VALUE_MAX * 2];
    while (*path) {
        size_t len = strcspn(path, ":");
        snprintf(dir, sizeof(dir), "%.*s/%s", (int)len, path, word);
        if (access(dir, X_OK) == 0)
            return 1;
        path += len + (path[len] == ':');
    }
    return 0;
}

static void check_modem(struct load_state *st, const struct modem_config *m)
{
    const char *model = modem_gammu(m, "model");
    const char *conn = modem_gammu(m, "connection");
    const char *dev = modem_gammu(m, "device");
    struct stat sb;
    if (conn == NULL)
        problem(st, "[modem:%s] connection: missing (e.g. at, proxyat, none)", m->name);
    if (strcmp(m->delivery_reports, "0") != 0 && strcmp(m->delivery_reports, "1") != 0 &&
        strcmp(m->delivery_reports, "broadcasts") != 0)
        problem(st, "[modem:%s] delivery_reports = '%s': expected 0, 1 or broadcasts", m->name,
                m->delivery_reports);
    if (dev == NULL || *dev == '\0') {
        problem(st, "[modem:%s] device: missing", m->name);
        return;
    }
    if (conn == NULL)
        return;
    if (model != NULL && strcasecmp(model, "dummy") == 0) {
        if (stat(dev, &sb) != 0 || !S_ISDIR(sb.st_mode))
            problem(st, "[modem:%s] device = '%s': dummy modem directory does not exist", m->name,
                    dev);
    } else if (strncasecmp(conn, "proxy", 5) == 0) {
        if (!command_exists(dev))
            problem(st, "[modem:%s] device = '%s': proxy command not found or not executable",
                    m->name, dev);
    } else if (strchr(dev, ':') == NULL && stat(dev, &sb) != 0) {
        /* Serial, USB and Bluetooth-tty devices are paths; network ones carry a ':'. */
        problem(st, "[modem:%s] device = '%s': no such device", m->name, dev);
    }
}

/* The credit check's keys: a code that can be dialled and a pattern that finds the amount. */
static void check_balance(struct load_state *st, const struct modem_config *m)
{
    if (m->balance_code[0] && !credit_code_valid(m->balance_code))
        problem(st,
                "[modem:%s] balance_code = '%s': expected a USSD code of %d to %d characters "
                "0-9, * and #, ending in # (e.g. *888#), or empty for no credit check",
                m->name, m->balance_code, CREDIT_CODE_MIN, CREDIT_CODE_MAX);
    char bad[CONFIG_VALUE_MAX];
    if (credit_list_check(m->ussd_allowed, bad, sizeof(bad)) != 0)
        problem(st,
                "[modem:%s] ussd_allowed: '%s' is not a USSD code (%d to %d characters 0-9, * "
                "and #, ending in #; codes separated by commas)",
                m->name, bad, CREDIT_CODE_MIN, CREDIT_CODE_MAX);
    char own[CONFIG_NAME_MAX];
    if (m->own_number[0] && phone_normalise(m->own_number, own, sizeof(own)) != PHONE_MOBILE)
        problem(st,
                "[modem:%s] own_number = '%s': expected the SIM's own mobile number "
                "(e.g. 0812 3456 7890), or empty when unknown",
                m->name, m->own_number);
    regex_t re;
    char why[256];
    if (credit_pattern_compile(&re, m->balance_pattern, why, sizeof(why)) != 0)
        problem(st, "[modem:%s] balance_pattern = '%s': %s", m->name, m->balance_pattern, why);
    else
        regfree(&re);
}

/* The recovery ladder's keys (modems/worker.c, "recovery"): what a reset
 * says, and the USB device whose sysfs `authorized` file re-enumerates it.
 * The device itself is not looked for: a modem that fell off the bus has no
 * directory until it comes back, and that must not stop the gateway. */
static void check_recovery(struct load_state *st, const struct modem_config *m)
{
    if (strcmp(m->reset, "cfun") != 0 && strcmp(m->reset, "none") != 0 && !rawat_known(m->reset))
        problem(st,
                "[modem:%s] reset = '%s': expected cfun (AT+CFUN=1,1), none, or an AT command "
                "of at most %d printable characters that libgammu knows how to answer (e.g. "
                "AT^SRESET, AT+CFUN=1,1)",
                m->name, m->reset, RAWAT_COMMAND_MAX);
    if (m->usb_reset[0] && (m->usb_reset[0] != '/' || strstr(m->usb_reset, "/..") != NULL ||
                            strlen(m->usb_reset) > CONFIG_USB_PATH_MAX))
        problem(st,
                "[modem:%s] usb_reset = '%s': expected the modem's USB device directory, an "
                "absolute path without '..' of at most %d characters (e.g. "
                "/sys/bus/usb/devices/1-1.2), or empty for none",
                m->name, m->usb_reset, CONFIG_USB_PATH_MAX);
    if (m->usb_reset[0] && strcmp(m->reset, "none") != 0 && m->usb_reset_after <= m->reset_after)
        problem(st,
                "[modem:%s] usb_reset_after = %d: must be above reset_after (%d), the USB device "
                "is the later step",
                m->name, m->usb_reset_after, m->reset_after);
}

/* The USSD callback and the per-number limits (gateway/ussd.c, router.c):
 * a listener the network can reach needs the aggregator's secret or its
 * addresses, and one number must not be able to take a SIM's minute. */
static void check_trust(struct load_state *st)
{
    struct config *cfg = st->cfg;
    size_t n = strlen(cfg->ussd_secret);
    if (n && (n != CONFIG_SHA256_HEX || strspn(cfg->ussd_secret, "0123456789abcdefABCDEF") != n))
        problem(st,
                "[gateway] ussd_secret: expected the SHA-256 of the aggregator's secret, 64 hex "
                "digits (printf %%s SECRET | sha256sum), never the secret itself");
    struct netaddr_range allow[NETADDR_LIST_MAX];
    char why[160];
    int nallow = netaddr_parse_list(cfg->ussd_allow, allow, NETADDR_LIST_MAX, why, sizeof(why));
    if (nallow < 0)
        problem(st,
                "[gateway] ussd_allow: %s (expected addresses and CIDR ranges, e.g. "
                "192.0.2.10, 10.20.0.0/16)",
                why);
    const char *colon = strrchr(cfg->http, ':');
    char host[CONFIG_VALUE_MAX];
    if (cfg->http[0] && colon) {
        snprintf(host, sizeof(host), "%.*s", (int)(colon - cfg->http), cfg->http);
        if (!netaddr_is_loopback(host) && n == 0 && nallow == 0)
            problem(st,
                    "[gateway] http = '%s': reachable from the network, so POST /ussd needs "
                    "ussd_secret (the SHA-256 of the aggregator's shared secret) or ussd_allow "
                    "(the aggregator's addresses); or listen on 127.0.0.1",
                    cfg->http);
    }
    for (int i = 0; i < cfg->nmodems; i++) {
        const struct modem_config *m = &cfg->modems[i];
        if (cfg->sender_per_minute >= m->per_minute)
            problem(st,
                    "[gateway] sender_per_minute = %d: not below [modem:%s] per_minute = %d, so "
                    "one number could take the SIM's whole minute (keep it well below, e.g. %d)",
                    cfg->sender_per_minute, m->name, m->per_minute,
                    m->per_minute > 3 ? m->per_minute / 3 : 1);
    }
}

int config_reply_budget(const struct config *cfg)
{
    if (cfg->reply_budget_per_minute > 0)
        return cfg->reply_budget_per_minute;
    long sum = 0;
    for (int i = 0; i < cfg->nmodems; i++)
        sum += cfg->modems[i].per_minute;
    sum = sum * CONFIG_BUDGET_PERCENT / 100;
    return sum < 1 ? 1 : (int)sum;
}

struct config *config_new(void)
{
    struct config *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return NULL;
    apply_defaults(gateway_keys, cfg);
    return cfg;
}

void config_free(struct config *cfg)
{
    if (cfg) {
        free(cfg->text);
        explicit_bzero(cfg->redis_password, sizeof(cfg->redis_password));
    }
    free(cfg);
}

/* Reads a whole file (at most CONFIG_TEXT_MAX bytes) into a new buffer. */
static char *slurp(FILE *f, const char *name, struct load_state *st)
{
    char *text = malloc(CONFIG_TEXT_MAX + 1);
    if (text == NULL) {
        problem(st, "%s: out of memory", name);
        return NULL;
    }
    size_t n = fread(text, 1, CONFIG_TEXT_MAX + 1, f);
    if (n > CONFIG_TEXT_MAX) {
        problem(st, "%s: larger than %d bytes", name, CONFIG_TEXT_MAX);
        free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

static int parse_text(struct config *cfg, struct load_state *st, char *text);

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    struct load_state st = {cfg, err, errlen, 0, 0};
    if (err && errlen)
        err[0] = '\0';
    snprintf(cfg->path, sizeof(cfg->path), "%s", path);
    /* "-": the text comes on standard input (how the gateway hands a worker
     * the very configuration it validated, not whatever is on disk now). */
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        problem(&st, "%s: cannot open", path);
        return -1;
    }
    char *text = slurp(f, path, &st);
    if (f != stdin)
        fclose(f);
    if (text == NULL)
        return -1;
    return parse_text(cfg, &st, text);
}

int config_load_text(struct config *cfg, const char *name, const char *text, char *err,
                     size_t errlen)
{
    struct load_state st = {cfg, err, errlen, 0, 0};
    if (err && errlen)
        err[0] = '\0';
    snprintf(cfg->path, sizeof(cfg->path), "%s", name);
    size_t len = strlen(text);
    if (len > CONFIG_TEXT_MAX) {
        problem(&st, "%s: larger than %d bytes", name, CONFIG_TEXT_MAX);
        return -1;
    }
    char *copy = strdup(text);
    if (copy == NULL) {
        problem(&st, "%s: out of memory", name);
        return -1;
    }
    return parse_text(cfg, &st, copy);
}

/* redis_user and redis_password_file: the password is read here, so that a
 * file that cannot be read stops `kentongan -t`, the start and a reload
 * alike (redisauth.h). */
static void check_redis_auth(struct load_state *st, struct config *cfg)
{
    char why[160];
    explicit_bzero(cfg->redis_password, sizeof(cfg->redis_password));
    if (strcspn(cfg->redis_user, " \t\r\n") != strlen(cfg->redis_user))
        problem(st, "[gateway] redis_user = '%s': a Redis user name has no spaces",
                cfg->redis_user);
    if (cfg->redis_password_file[0] == '\0') {
        if (cfg->redis_user[0])
            problem(st,
                    "[gateway] redis_user = '%s': needs redis_password_file (a file "
                    "holding the user's password)",
                    cfg->redis_user);
        return;
    }
    if (redisauth_read_password(cfg->redis_password_file, cfg->redis_password,
                                sizeof(cfg->redis_password), why, sizeof(why)) != 0)
        problem(st, "[gateway] redis_password_file = '%s': %s", cfg->redis_password_file, why);
}

/* Parses text (taken over by cfg) and checks the whole. */
static int parse_text(struct config *cfg, struct load_state *st_, char *text)
{
    struct load_state st = *st_;
    const char *path = cfg->path;
    free(cfg->text);
    cfg->text = text;
    int rc = ini_parse_string(text, on_entry, &st);
    if (rc == -2) {
        problem(&st, "%s: out of memory", path);
        return -1;
    }
    if (rc > 0)
        problem(&st, "%s:%d: syntax error (expected [section], key = value or ; comment)", path,
                rc);
    if (cfg->name[0] == '\0') {
        char host[48] = "gateway";
        gethostname(host, sizeof(host) - 1);
        host[sizeof(host) - 1] = '\0';
        snprintf(cfg->name, sizeof(cfg->name), "%s", host);
    }
    check_redis_auth(&st, cfg);
    if (cfg->nmodems == 0)
        problem(&st, "%s: no [modem:NAME] section: kentongan needs at least one modem", path);
    for (int i = 0; i < cfg->nmodems; i++) {
        check_modem(&st, &cfg->modems[i]);
        check_balance(&st, &cfg->modems[i]);
        check_recovery(&st, &cfg->modems[i]);
    }
    for (int i = 0; i < cfg->nofficials; i++)
        check_official(&st, &cfg->officials[i]);
    int from, to;
    if (config_quiet_hours(cfg->quiet_hours, &from, &to) != 0)
        problem(&st, "[gateway] quiet_hours = '%s': expected HH:MM-HH:MM (WIB), or empty for none",
                cfg->quiet_hours);
    check_tokens(&st);
    check_trust(&st);
    return st.problems ? -1 : 0;
}

int config_quiet_hours(const char *spec, int *from, int *to)
{
    int h1, m1, h2, m2, end = 0;
    *from = *to = 0;
    if (spec[0] == '\0')
        return 0;
    if (sscanf(spec, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &end) != 4 || spec[end] != '\0' ||
        h1 < 0 || h1 > 23 || h2 < 0 || h2 > 23 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59)
        return -1;
    *from = h1 * 60 + m1;
    *to = h2 * 60 + m2;
    return 0;
}

int config_is_quiet(const struct config *cfg, long long now)
{
    int from, to;
    if (config_quiet_hours(cfg->quiet_hours, &from, &to) != 0 || from == to)
        return 0;
    int minute = (int)(((now + CLOCK_WIB_OFFSET) % 86400 + 86400) % 86400 / 60);
    return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

const char *modem_gammu(const struct modem_config *m, const char *key)
{
    for (int i = 0; i < m->ngammu; i++)
        if (strcasecmp(m->gammu[i].key, key) == 0)
            return m->gammu[i].value;
    return NULL;
}

const struct modem_config *config_modem(const struct config *cfg, const char *name)
{
    for (int i = 0; i < cfg->nmodems; i++)
        if (strcmp(cfg->modems[i].name, name) == 0)
            return &cfg->modems[i];
    return NULL;
}

int modem_config_equal(const struct modem_config *a, const struct modem_config *b)
{
    if (a->ngammu != b->ngammu || strcmp(a->smsc, b->smsc) != 0 || a->per_minute != b->per_minute ||
        a->per_day != b->per_day || a->poll_seconds != b->poll_seconds ||
        a->cmti_poll_seconds != b->cmti_poll_seconds || a->hang_seconds != b->hang_seconds ||
        a->failover_seconds != b->failover_seconds ||
        a->send_timeout_seconds != b->send_timeout_seconds ||
        strcmp(a->delivery_reports, b->delivery_reports) != 0 ||
        a->ussd_timeout_seconds != b->ussd_timeout_seconds ||
        strcmp(a->balance_code, b->balance_code) != 0 ||
        strcmp(a->balance_pattern, b->balance_pattern) != 0 ||
        a->balance_every != b->balance_every || a->balance_low != b->balance_low ||
        strcmp(a->own_number, b->own_number) != 0 ||
        a->probe_timeout_seconds != b->probe_timeout_seconds ||
        a->check_seconds != b->check_seconds || strcmp(a->reset, b->reset) != 0 ||
        a->reset_after != b->reset_after || strcmp(a->usb_reset, b->usb_reset) != 0 ||
        a->usb_reset_after != b->usb_reset_after)
        return 0;
    for (int i = 0; i < a->ngammu; i++) {
        const char *v = modem_gammu(b, a->gammu[i].key);
        if (v == NULL || strcmp(v, a->gammu[i].value) != 0)
            return 0;
    }
    return 1;
}

int config_redis_endpoint(const char *spec, char *host, size_t hostlen, int *port)
{
    if (strncmp(spec, "unix:", 5) == 0) {
        if (spec[5] == '\0' || strlen(spec + 5) >= hostlen)
            return -1;
        snprintf(host, hostlen, "%s", spec + 5);
        *port = 0;
        return 0;
    }
    const char *colon = strrchr(spec, ':');
    long p;
    if (colon == NULL || (size_t)(colon - spec) >= hostlen || parse_int(colon + 1, 1, 65535, &p))
        return -1;
    snprintf(host, hostlen, "%.*s", (int)(colon - spec), spec);
    *port = (int)p;
    return 0;
}
