/* config — kentongan's INI file, read with inih and checked as a whole.
 *
 *   struct config *cfg = config_new();
 *   if (config_load(cfg, "kentongan.ini", errs, sizeof(errs)) != 0) { print errs; }
 *   ... use cfg->... read-only ...
 *   config_free(cfg);
 *
 * Every key is described once in a table in config.c (type, default, bounds).
 * A [modem:NAME] section also takes gammurc [gammu] keys (model, connection,
 * device, features, logfile, ...), which are kept verbatim in `gammu` and
 * handed to libgammu by the modem worker. config_load collects every problem,
 * one line each, instead of stopping at the first. */
#ifndef KT_CONFIG_H
#define KT_CONFIG_H

#include "gateway/redisauth.h"

#include <stddef.h>

#define CONFIG_MAX_MODEMS     16
#define CONFIG_MAX_GAMMU_KEYS 24
#define CONFIG_NAME_MAX       32
#define CONFIG_VALUE_MAX      512
#define CONFIG_TEXT_MAX       60000 /* bytes; fits a pipe buffer whole (see supervisor.c) */

/* Per-number limits: well below a SIM's default 10 a minute, so one number
 * can never take a modem's whole minute (config_load refuses a
 * sender_per_minute that is not below every modem's per_minute). */
#define CONFIG_SENDER_PER_MINUTE 3
#define CONFIG_SENDER_PER_DAY    20
/* The reply budget, when not set: this share of all modems' per_minute
 * together (a complaint costs two SMS, the resident's and the liaison's;
 * the rest is left for officials and emergency broadcasts). */
#define CONFIG_BUDGET_PERCENT 50
/* Numbers told to residents instead of (or with) a ticket. 112 is the
 * national emergency number, 113 the fire brigade's, 117 BNPB's disaster
 * line (set bpbd_number to BPBD Batang's own line), 123 PLN's, 110 the
 * police's. An urgent ticket must be followed up within this many hours
 * (calendar hours, not working days: emergencies keep no office hours). */
#define CONFIG_NUMBER_MAX            20
#define CONFIG_EMERGENCY_NUMBER      "112"
#define CONFIG_BPBD_NUMBER           "117"
#define CONFIG_FIRE_NUMBER           "113"
#define CONFIG_PLN_NUMBER            "123"
#define CONFIG_POLICE_NUMBER         "110"
#define CONFIG_URGENT_DEADLINE_HOURS 24
/* Modem health (modems/worker.c, "recovery"): checks every CONFIG_CHECK_SECONDS;
 * after CONFIG_RESET_AFTER consecutive failures the modem is reset, after
 * CONFIG_USB_RESET_AFTER its USB device re-enumerated (when usb_reset names it);
 * the coordinators hear of a modem out for CONFIG_MODEM_ALERT_AFTER seconds. */
#define CONFIG_CHECK_SECONDS     30
#define CONFIG_RESET_AFTER       3
#define CONFIG_USB_RESET_AFTER   6
#define CONFIG_MODEM_ALERT_AFTER 600
#define CONFIG_USB_PATH_MAX      200 /* characters of usb_reset */

struct config_kv {
    char key[CONFIG_NAME_MAX];
    char value[CONFIG_VALUE_MAX];
};

struct modem_config {
    char name[CONFIG_NAME_MAX];
    struct config_kv gammu[CONFIG_MAX_GAMMU_KEYS]; /* passed to libgammu as-is */
    int ngammu;
    char smsc[CONFIG_NAME_MAX]; /* "" = the SIM's own SMSC */
    int per_minute;             /* sends per minute cap for this SIM */
    int per_day;                /* sends per day cap for this SIM */
    int poll_seconds;           /* SIM storage sweep interval */
    int cmti_poll_seconds;      /* at least this once +CMTI has announced a message */
    int hang_seconds;           /* worker silent this long is killed */
    int failover_seconds;       /* replies to a down modem move after this */
    int send_timeout_seconds;   /* wait for the network's answer per part */
    char delivery_reports[16];  /* "0", "1" or "broadcasts": which sends ask for a report */
    int ussd_timeout_seconds;   /* wait for the network's answer to a USSD code */
    char balance_code[48];      /* USSD code answering the SIM's credit; "" = no check */
    char balance_pattern[256];  /* extended regex, one group around the amount */
    int balance_every;          /* seconds between credit checks */
    int balance_low;            /* rupiah: below this, staff are told by SMS (once) */
    char ussd_allowed[256];     /* codes staff tokens may dial through the API, besides
                                   balance_code (comma-separated); admin tokens dial any */
    /* the installer's probe (kentongan-ctl modem probe) */
    char own_number[CONFIG_NAME_MAX]; /* the SIM's own number, for the test SMS; "" unknown */
    int probe_timeout_seconds;        /* wait for the test SMS to come back */
    /* Health and the recovery ladder (modems/worker.c, "recovery") */
    int check_seconds;                    /* SIM, registration and storage checked this often */
    char reset[64];                       /* "cfun" (AT+CFUN=1,1), "none", or an AT command */
    int reset_after;                      /* consecutive failures before the modem is reset */
    char usb_reset[CONFIG_VALUE_MAX / 2]; /* sysfs USB device dir ("" = off) */
    int usb_reset_after; /* consecutive failures before the USB device is re-enumerated */
};

#define CONFIG_MAX_OFFICIALS 128
#define CONFIG_PIN_MAX       160 /* "pbkdf2-sha256$ROUNDS$NUMBER$HASH" (gateway/pin.h) */

/* [official:NAME]: a person who receives and acts on complaints by SMS. */
struct official_config {
    char name[CONFIG_NAME_MAX];
    char phone[CONFIG_NAME_MAX]; /* as written; services normalise it */
    char opd[CONFIG_NAME_MAX];   /* OPD code from data/opd.csv */
    char role[16];               /* liaison, head, coordinator, sekda, staff */
    char pin[CONFIG_PIN_MAX];    /* "" = no PIN asked; else its hash (gateway/pin.h) */
    char pin_digest[72];         /* the digest part of pin, checked; "" = none */
};

#define CONFIG_MAX_TOKENS 64
#define CONFIG_SHA256_HEX 64

/* [token:NAME]: a bearer token of the admin API, stored as the SHA-256 of
 * the token (hex), never the token itself. */
struct token_config {
    char name[CONFIG_NAME_MAX];
    char sha256[CONFIG_SHA256_HEX + 8]; /* 64 hex digits */
    char role[16];                      /* admin, staff, official */
    char opd[CONFIG_NAME_MAX];          /* official: the OPD it sees (code in data/opd.csv) */
    char official[CONFIG_NAME_MAX];     /* official: [official:NAME] it acts as on complaints */
};

struct config {
    char path[CONFIG_VALUE_MAX];
    char *text;                   /* the file as read and checked; workers get exactly this */
    char redis[CONFIG_VALUE_MAX]; /* HOST:PORT or unix:PATH */
    char http[CONFIG_VALUE_MAX];  /* ADDR:PORT, "" = no HTTP listener */
    /* Redis ACL login: the user ("" = the default user), the file holding its
     * password ("" = no AUTH), and the password read from it at load (never logged). */
    char redis_user[CONFIG_NAME_MAX * 2];
    char redis_password_file[CONFIG_VALUE_MAX];
    char redis_password[REDISAUTH_PASSWORD_MAX];
    char loglevel[CONFIG_NAME_MAX];
    char name[64];         /* consumer name of this gateway in Redis */
    int sender_per_minute; /* messages (SMS, USSD actions) a number may send a minute */
    int reply_ttl;         /* seconds a reply may wait before it is dropped as stale */
    int multipart_timeout; /* seconds to wait for missing parts */
    int dedupe_ttl;        /* seconds inbound/reply idempotency keys are kept */
    int claim_idle;        /* seconds before another gateway's pending message is taken over */

    /* per-number limits and the reply budget (router.c, kt_rate) */
    int sender_per_day;          /* messages a number may send in 24 hours from its first */
    int reply_budget_per_minute; /* messages answered a minute, all numbers; 0 = derived */

    char data_dir[CONFIG_VALUE_MAX];     /* kecamatan/desa, OPD and category CSVs */
    char holidays[CONFIG_VALUE_MAX * 4]; /* dates that are not working days */
    int test_clock;                      /* 1: kt:clock:offset in Redis shifts "now" (tests only) */
    char menu[CONFIG_VALUE_MAX];         /* the menu served over USSD and SMS (JSON) */
    int ussd_session_ttl;                /* seconds a USSD session lives after its last screen */
    int ussd_draft_ttl;                  /* seconds an interrupted complaint is kept */
    int menu_sms_ttl;                    /* seconds an SMS menu session lives after a reply */
    int confirm_ttl;                     /* seconds a likely complaint waits for the YA */
    char ussd_secret[128];               /* "" = none; else the secret's SHA-256, 64 hex digits */
    char ussd_allow[CONFIG_VALUE_MAX];   /* "" = any; else addresses and CIDR ranges */
    char quiet_hours[32];                /* "21:00-06:00" (WIB): no ordinary broadcasts; "" none */
    int broadcast_window;                /* messages of one broadcast queued and not yet sent */
    int broadcast_ttl;                   /* seconds a broadcast message may wait for a modem */
    int lane_keep_seconds;               /* finished messages stay on their lane this long */
    int metrics_public;                  /* 1: GET /metrics needs no token; 0: a staff token */
    /* Officials' PINs and one-time codes (handlers/auth.h) */
    int pin_failures;         /* wrong PINs or codes within pin_window that lock an official */
    int pin_window;           /* seconds over which wrong PINs are counted */
    int pin_lockout;          /* seconds an official stays locked */
    int http_max_connections; /* open HTTP connections at once (see http.h) */
    int http_max_per_address; /* open HTTP connections from one client address */
    int http_request_timeout; /* seconds for a whole HTTP request to arrive */
    int http_idle_timeout;    /* seconds an HTTP connection may idle */
    /* emergencies and matters outside the regency (digits, checked by services) */
    char emergency_number[CONFIG_NUMBER_MAX]; /* told with every emergency: 112 */
    char bpbd_number[CONFIG_NUMBER_MAX];      /* BPBD's line ("" = not told) */
    char fire_number[CONFIG_NUMBER_MAX];      /* the fire brigade's line ("" = not told) */
    char pln_number[CONFIG_NUMBER_MAX];       /* electricity faults (PLN): 123 */
    char police_number[CONFIG_NUMBER_MAX];    /* crime and security (Polri): 110 */
    int urgent_deadline_hours;                /* an urgent ticket's follow-up deadline */
    int modem_alert_after; /* seconds a modem may be out before the coordinators are told */
    struct modem_config modems[CONFIG_MAX_MODEMS];
    int nmodems;
    struct official_config officials[CONFIG_MAX_OFFICIALS];
    int nofficials;
    struct token_config tokens[CONFIG_MAX_TOKENS];
    int ntokens;
};

/* Returns a config holding every default; NULL on allocation failure. */
struct config *config_new(void);
void config_free(struct config *cfg);
/* Reads and checks path ("-" = standard input) into cfg, which should be
 * fresh from config_new. Returns 0, or -1 with one line per problem in err. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* The same for a text in memory (name is used in messages); for tests and
 * fuzzing. */
int config_load_text(struct config *cfg, const char *name, const char *text, char *err,
                     size_t errlen);
/* Looks up a gammu key of a modem; NULL when absent. */
const char *modem_gammu(const struct modem_config *m, const char *key);
/* The modem named name, or NULL. */
const struct modem_config *config_modem(const struct config *cfg, const char *name);
/* Splits a redis spec ("HOST:PORT" or "unix:PATH") into host (or path) and
 * port (0 for unix sockets); 0, or -1 if it does not parse. */
int config_redis_endpoint(const char *spec, char *host, size_t hostlen, int *port);
/* Parses quiet_hours ("HH:MM-HH:MM", "" = none) into minutes of the day;
 * 0, or -1 when it does not parse. */
int config_quiet_hours(const char *spec, int *from, int *to);
/* 1 when unix time now falls in the quiet hours (WIB); a range may wrap
 * midnight ("21:00-06:00"). */
int config_is_quiet(const struct config *cfg, long long now);
/* Messages from the public answered per minute, all numbers and gateways
 * together: reply_budget_per_minute, or CONFIG_BUDGET_PERCENT of the
 * modems' per_minute together (at least 1). */
int config_reply_budget(const struct config *cfg);
/* 1 when two modem sections would start identical workers. */
int modem_config_equal(const struct modem_config *a, const struct modem_config *b);

#endif
