/* services — what handlers need besides Redis: Batang's regions, complaint
 * categories, OPDs, the holiday list and the officials, loaded once from
 * data_dir and the configuration and read-only afterwards.
 *
 *   struct services *svc = services_load(cfg, err, sizeof(err));
 *   ... handlers read it through request_services(req) ...
 *   services_free(svc);
 *
 * A reload builds a new one and swaps it in; a failed load changes nothing. */
#ifndef KT_SERVICES_H
#define KT_SERVICES_H

#include <stddef.h>

struct config;
struct region_db;
struct category_db;
struct opd_db;
struct holidays;
struct menu;
struct urgency_db;
struct lexicon;

enum official_role { ROLE_LIAISON, ROLE_HEAD, ROLE_COORDINATOR, ROLE_SEKDA, ROLE_STAFF };

struct official {
    char name[32];
    char phone[24]; /* normalised 628... */
    int opd;        /* index in the OPD table; -1 for the sekda */
    enum official_role role;
    char pin[72]; /* digest of the PIN (gateway/pin.h); "" = none asked */
};

#define SERVICES_MAX_OFFICIALS 128

struct services {
    struct region_db *regions;
    struct category_db *categories;
    struct opd_db *opds;
    struct holidays *holidays;
    struct menu *menu; /* served over USSD (and SMS MENU) */
    int menu_sms_ttl;  /* seconds an SMS menu session lives after its last reply */
    struct official officials[SERVICES_MAX_OFFICIALS];
    int nofficials;
    int coordinator_opd; /* the OPD that triages uncategorised complaints (DISKOMINFO) */
    int pin_failures;    /* [gateway] pin_failures, pin_window, pin_lockout (handlers/auth.h) */
    int pin_window;
    int pin_lockout;
    /* emergencies (handlers/urgency.h, data/darurat.csv) and matters outside
     * the regency: the numbers told to residents ([gateway] *_number, digits
     * or "") and an urgent ticket's deadline */
    struct urgency_db *urgent;
    int urgent_deadline_hours;
    char emergency_number[20], bpbd_number[20], fire_number[20], pln_number[20], police_number[20];
    /* what residents write around the keywords (handlers/lexicon.h), and how
     * long a likely complaint waits for the resident's YA ([gateway] confirm_ttl) */
    struct lexicon *lexicon;
    int confirm_ttl;
};

/* Loads everything; NULL with one line per problem in err. */
struct services *services_load(const struct config *cfg, char *err, size_t errlen);
void services_free(struct services *svc);

/* The official registered with this normalised number, or NULL. */
const struct official *services_official(const struct services *svc, const char *phone);
/* Officials of an OPD with a role (opd -1: any OPD); fills out, returns how many. */
int services_officials(const struct services *svc, int opd, enum official_role role,
                       const struct official **out, int max);
const char *services_role_name(enum official_role role);

#endif
