/* services — see services.h. */
#include "handlers/services.h"

#include "gateway/config.h"
#include "gateway/phone.h"
#include "handlers/category.h"
#include "handlers/urgency.h"
#include "handlers/lexicon.h"
#include "handlers/menu.h"
#include "handlers/opd.h"
#include "handlers/region.h"
#include "handlers/workday.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {"liaison", "head", "coordinator", "sekda", "staff"};

const char *services_role_name(enum official_role role)
{
    return role_names[role];
}

static void add_problem(char *err, size_t errlen, int *problems, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_problem(char *err, size_t errlen, int *problems, const char *fmt, ...)
{
    (*problems)++;
    size_t used = strlen(err);
    if (used + 2 >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + used, errlen - used - 1, fmt, ap);
    va_end(ap);
    used = strlen(err);
    err[used] = '\n';
    err[used + 1] = '\0';
}

struct services *services_load(const struct config *cfg, char *err, size_t errlen)
{
    char path[CONFIG_VALUE_MAX + 32], why[256];
    int problems = 0;
    err[0] = '\0';
    struct services *svc = calloc(1, sizeof(*svc));
    if (svc == NULL) {
        snprintf(err, errlen, "out of memory\n");
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/batang-wilayah.csv", cfg->data_dir);
    if ((svc->regions = region_load(path, why, sizeof(why))) == NULL)
        add_problem(err, errlen, &problems, "data: %s", why);
    snprintf(path, sizeof(path), "%s/kategori.csv", cfg->data_dir);
    if ((svc->categories = category_load(path, why, sizeof(why))) == NULL)
        add_problem(err, errlen, &problems, "data: %s", why);
    snprintf(path, sizeof(path), "%s/darurat.csv", cfg->data_dir);
    if ((svc->urgent = urgency_load(path, why, sizeof(why))) == NULL)
        add_problem(err, errlen, &problems, "data: %s", why);
    svc->urgent_deadline_hours = cfg->urgent_deadline_hours;
    snprintf(svc->emergency_number, sizeof(svc->emergency_number), "%s", cfg->emergency_number);
    snprintf(svc->bpbd_number, sizeof(svc->bpbd_number), "%s", cfg->bpbd_number);
    snprintf(svc->fire_number, sizeof(svc->fire_number), "%s", cfg->fire_number);
    snprintf(svc->pln_number, sizeof(svc->pln_number), "%s", cfg->pln_number);
    snprintf(svc->police_number, sizeof(svc->police_number), "%s", cfg->police_number);
    snprintf(path, sizeof(path), "%s/lexicon.csv", cfg->data_dir);
    if ((svc->lexicon = lexicon_load(path, why, sizeof(why))) == NULL)
        add_problem(err, errlen, &problems, "data: %s", why);
    snprintf(path, sizeof(path), "%s/opd.csv", cfg->data_dir);
    if ((svc->opds = opd_load(path, why, sizeof(why))) == NULL)
        add_problem(err, errlen, &problems, "data: %s", why);
    if (svc->regions && svc->categories) {
        char menu_err[2048];
        svc->menu_sms_ttl = cfg->menu_sms_ttl;
        svc->confirm_ttl = cfg->confirm_ttl;
        svc->menu = menu_load(cfg->menu, svc->regions, svc->categories, menu_err, sizeof(menu_err));
        if (svc->menu == NULL) {
            /* one line per problem, each naming the node */
            char *line = menu_err;
            while (*line) {
                size_t n = strcspn(line, "\n");
                add_problem(err, errlen, &problems, "[gateway] menu = %s: %.*s", cfg->menu, (int)n,
                            line);
                line += n + (line[n] == '\n');
            }
        }
    }
    if ((svc->holidays = holidays_parse(cfg->holidays, why, sizeof(why))) == NULL)
        add_problem(err, errlen, &problems, "[gateway] holidays: %s", why);
    svc->coordinator_opd = svc->opds ? opd_by_code(svc->opds, "DISKOMINFO") : -1;
    svc->pin_failures = cfg->pin_failures;
    svc->pin_window = cfg->pin_window;
    svc->pin_lockout = cfg->pin_lockout;

    for (int i = 0; i < cfg->nofficials && i < SERVICES_MAX_OFFICIALS; i++) {
        const struct official_config *oc = &cfg->officials[i];
        struct official *o = &svc->officials[svc->nofficials];
        snprintf(o->name, sizeof(o->name), "%s", oc->name);
        snprintf(o->pin, sizeof(o->pin), "%s", oc->pin_digest);
        if (phone_normalise(oc->phone, o->phone, sizeof(o->phone)) != PHONE_MOBILE) {
            add_problem(err, errlen, &problems,
                        "[official:%s] phone = '%s': not an Indonesian mobile number", oc->name,
                        oc->phone);
            continue;
        }
        for (int r = 0; r < (int)(sizeof(role_names) / sizeof(role_names[0])); r++)
            if (strcmp(oc->role, role_names[r]) == 0)
                o->role = (enum official_role)r;
        o->opd = -1;
        if (oc->opd[0] && svc->opds) {
            o->opd = opd_find(svc->opds, oc->opd);
            if (o->opd < 0) {
                add_problem(err, errlen, &problems,
                            "[official:%s] opd = '%s': no such OPD in %s/opd.csv", oc->name,
                            oc->opd, cfg->data_dir);
                continue;
            }
        }
        for (int k = 0; k < svc->nofficials; k++) {
            if (strcmp(svc->officials[k].phone, o->phone) == 0) {
                add_problem(err, errlen, &problems,
                            "[official:%s] phone: already used by [official:%s]", oc->name,
                            svc->officials[k].name);
                goto next;
            }
        }
        svc->nofficials++;
    next:;
    }
    /* Admin API tokens of officials: the OPD they see must exist, and the
     * official they act as must belong to it. */
    for (int i = 0; i < cfg->ntokens && svc->opds; i++) {
        const struct token_config *t = &cfg->tokens[i];
        if (t->opd[0] == '\0')
            continue;
        int opd = opd_by_code(svc->opds, t->opd);
        if (opd < 0) {
            add_problem(err, errlen, &problems,
                        "[token:%s] opd = '%s': no such OPD code in %s/opd.csv", t->name, t->opd,
                        cfg->data_dir);
            continue;
        }
        for (int k = 0; t->official[0] && k < svc->nofficials; k++) {
            const struct official *o = &svc->officials[k];
            if (strcmp(o->name, t->official) == 0 && o->opd != opd && o->role != ROLE_COORDINATOR &&
                o->role != ROLE_SEKDA)
                add_problem(err, errlen, &problems,
                            "[token:%s] official = '%s': that official is of %s, not %s", t->name,
                            t->official, o->opd >= 0 ? opd_code(svc->opds, o->opd) : "no OPD",
                            opd_code(svc->opds, opd));
        }
    }
    if (problems) {
        services_free(svc);
        return NULL;
    }
    return svc;
}

void services_free(struct services *svc)
{
    if (svc == NULL)
        return;
    region_free(svc->regions);
    category_free(svc->categories);
    urgency_free(svc->urgent);
    opd_free(svc->opds);
    holidays_free(svc->holidays);
    menu_free(svc->menu);
    lexicon_free(svc->lexicon);
    free(svc);
}

const struct official *services_official(const struct services *svc, const char *phone)
{
    for (int i = 0; svc && i < svc->nofficials; i++)
        if (strcmp(svc->officials[i].phone, phone) == 0)
            return &svc->officials[i];
    return NULL;
}

int services_officials(const struct services *svc, int opd, enum official_role role,
                       const struct official **out, int max)
{
    int n = 0;
    for (int i = 0; svc && i < svc->nofficials && n < max; i++) {
        const struct official *o = &svc->officials[i];
        if (o->role == role && (opd < 0 || o->opd == opd))
            out[n++] = o;
    }
    return n;
}
