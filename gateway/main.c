/* kentongan — the gateway daemon.
 *
 *   kentongan -c FILE            run the gateway (event loop, router, HTTP,
 *                                one supervised worker process per modem)
 *   kentongan -t -c FILE         check the configuration and exit
 *   kentongan --hash-pin NUMBER  reads an official's PIN from standard input
 *                                and prints its "pin = ..." line
 *   kentongan --worker NAME -c FILE   run one modem worker (the supervisor
 *                                starts these; not for people)
 *
 * Signals arrive through the event loop: SIGTERM/SIGINT stop taking work,
 * let the router finish what is in flight, stop the workers and exit 0;
 * SIGHUP reloads the configuration all-or-nothing. */
#include "gateway/adminduk.h"
#include "gateway/api.h"
#include "gateway/api_broadcast.h"
#include "gateway/api_modem.h"
#include "gateway/api_quarantine.h"
#include "gateway/broadcast.h"
#include "gateway/config.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/pin.h"
#include "gateway/redisauth.h"
#include "gateway/router.h"
#include "gateway/supervisor.h"
#include "gateway/ussd.h"
#include "handlers/services.h"
#include "modems/worker.h"

#include <event2/event.h>
#include <event2/http.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define CONFIG_ERR_MAX 8192

struct gateway {
    struct event_base *base;
    struct config *cfg;
    struct services *svc;
    /* The services replaced by the last reload: requests read before it may
     * still point into them, so they are freed one reload later (or at exit). */
    struct services *retired;
    struct router *router;
    struct supervisor *sv;
    struct http *http;
    struct ussd *ussd;
    struct broadcasts *bc;
    struct api *api;
    struct api_modem *api_modem;
    struct event *sigterm_ev, *sigint_ev, *sighup_ev;
    int stopping;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kentongan [-t] -c FILE\n"
               "       kentongan --import-status STATUS.csv -c FILE\n"
               "       kentongan --hash-pin NUMBER < PIN\n"
               "  -c FILE   configuration file (INI)\n"
               "  -t        check the configuration and exit (0 when valid)\n"
               "  --import-status STATUS.csv\n"
               "            import civil-registration application status (all or nothing)\n"
               "  --hash-pin NUMBER\n"
               "            read an official's PIN (4-8 digits) from standard input, never\n"
               "            from the command line, and print the [official:NAME] line\n"
               "            \"pin = ...\" that holds its salted hash for that number\n"
               "  -h        this help\n");
}

static void status(void *arg, struct http_status *out)
{
    struct gateway *g = arg;
    struct router_stats rs;
    router_get_stats(g->router, &rs);
    out->redis_connected = rs.connected;
    out->redis_auth_error = rs.auth_error;
    out->workers_up = supervisor_workers_up(g->sv);
    out->modems_up = supervisor_modems_up(g->sv);
    out->workers_configured = g->cfg->nmodems;
    out->received = rs.received;
    out->committed = rs.committed;
    out->replies = rs.replies;
}

/* The listener's limits from the configuration; the descriptors kept for
 * the rest of the gateway grow with its modems (each worker's pipes). */
static struct http_limits http_limits_of(const struct config *cfg)
{
    return (struct http_limits){
        .max_connections = cfg->http_max_connections,
        .max_per_address = cfg->http_max_per_address,
        .request_timeout = cfg->http_request_timeout,
        .idle_timeout = cfg->http_idle_timeout,
        .reserve_fds = HTTP_FD_RESERVE + HTTP_FD_RESERVE_PER_MODEM * cfg->nmodems,
    };
}

/* The HTTP listener with every route: /healthz and /readyz in http.c, /ussd
 * from ussd.c, /api/ and /metrics from api.c (once the API exists: at
 * start it is created on this listener right after). */
static struct http *open_http(struct gateway *g, const struct config *cfg, char *errs, size_t len)
{
    struct http_limits lim = http_limits_of(cfg);
    struct http *h = http_new(g->base, cfg->http, &lim, status, g, errs, len);
    if (h && g->ussd)
        http_add_route(h, "/ussd", EVHTTP_REQ_POST, ussd_handle, g->ussd);
    if (h && g->api)
        api_listen(g->api, h);
    return h;
}

static void print_problems(const char *errs)
{
    const char *p = errs;
    while (*p) {
        size_t n = strcspn(p, "\n");
        log_error("event=config_problem problem=\"%.*s\"", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

static void workers_stopped(void *arg)
{
    struct gateway *g = arg;
    log_info("event=stopped");
    event_base_loopexit(g->base, NULL);
}

static void router_stopped(void *arg)
{
    struct gateway *g = arg;
    supervisor_stop(g->sv, workers_stopped, g);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    struct gateway *g = arg;
    if (g->stopping) {
        log_warnx("event=stop_again action=exit_now");
        event_base_loopexit(g->base, NULL);
        return;
    }
    g->stopping = 1;
    log_info("event=stopping signal=%d", (int)sig);
    http_free(g->http);
    g->http = NULL;
    router_stop(g->router, router_stopped, g);
}

static void on_reload(evutil_socket_t sig, short what, void *arg)
{
    struct gateway *g = arg;
    char errs[CONFIG_ERR_MAX];
    if (g->stopping)
        return;
    struct config *next = config_new();
    if (next == NULL || config_load(next, g->cfg->path, errs, sizeof(errs)) != 0) {
        print_problems(next ? errs : "out of memory");
        log_error("event=reload_refused note=\"old configuration stays in force\"");
        config_free(next);
        return;
    }
    struct services *svc = services_load(next, errs, sizeof(errs));
    if (svc == NULL) {
        print_problems(errs);
        log_error("event=reload_refused note=\"old configuration stays in force\"");
        config_free(next);
        return;
    }
    struct http *h = g->http;
    if (strcmp(next->http, g->cfg->http) != 0) {
        h = NULL;
        if (next->http[0] && (h = open_http(g, next, errs, sizeof(errs))) == NULL) {
            log_error("event=reload_refused reason=\"%s\"", errs);
            services_free(svc);
            config_free(next);
            return;
        }
        http_free(g->http);
    } else if (h) {
        struct http_limits lim = http_limits_of(next);
        http_set_limits(h, &lim);
    }
    g->http = h;
    enum log_level lvl;
    if (log_level_parse(next->loglevel, &lvl) == 0)
        log_set_level(lvl);
    router_set_config(g->router, next);
    router_set_services(g->router, svc);
    ussd_set_config(g->ussd, next);
    broadcasts_set_config(g->bc, next);
    api_set_config(g->api, next);
    services_free(g->retired);
    g->retired = g->svc;
    g->svc = svc;
    supervisor_set_config(g->sv, next);
    config_free(g->cfg);
    g->cfg = next;
    log_info("event=reloaded modems=%d", next->nmodems);
}

/* --hash-pin: the PIN comes on standard input (a terminal does not echo it),
 * never on the command line, where any user could read it in ps. */
static int hash_pin(const char *phone)
{
    char pin[64] = "", value[PIN_LINE_MAX], why[160];
    struct termios saved, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        fprintf(stderr, "PIN for %s (4-8 digits, not shown): ", phone);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    int got = fgets(pin, sizeof(pin), stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    pin[strcspn(pin, "\r\n")] = '\0';
    int rc = got ? pin_config_value(phone, pin, value, sizeof(value), why, sizeof(why)) : -1;
    explicit_bzero(pin, sizeof(pin));
    if (rc != 0) {
        fprintf(stderr, "kentongan --hash-pin: %s\n", got ? why : "no PIN on standard input");
        return 1;
    }
    printf("pin = %s\n", value);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--hash-pin") == 0)
        return hash_pin(argv[2]);
    const char *path = NULL, *worker = NULL, *import = NULL;
    int check = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "-t") == 0)
            check = 1;
        else if (strcmp(argv[i], "--worker") == 0 && i + 1 < argc)
            worker = argv[++i];
        else if (strcmp(argv[i], "--import-status") == 0 && i + 1 < argc)
            import = argv[++i];
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (path == NULL) {
        usage(stderr);
        return 2;
    }
    char errs[CONFIG_ERR_MAX];
    struct config *cfg = config_new();
    if (cfg == NULL)
        return 1;
    if (config_load(cfg, path, errs, sizeof(errs)) != 0) {
        fputs(errs, stderr);
        config_free(cfg);
        return 1;
    }
    if (import) {
        int rc = adminduk_import(cfg, import, stdout);
        config_free(cfg);
        return rc;
    }
    struct services *svc = NULL;
    if (!worker && !import && (svc = services_load(cfg, errs, sizeof(errs))) == NULL) {
        fputs(errs, stderr);
        config_free(cfg);
        return 1;
    }
    char warning[CONFIG_VALUE_MAX + 128];
    int loose = redisauth_warning(cfg, warning, sizeof(warning));
    if (check) {
        if (loose)
            fprintf(stderr, "%s: warning: %s\n", path, warning);
        printf("%s: configuration ok (%d modem%s, %d official%s, %d API token%s)\n", path,
               cfg->nmodems, cfg->nmodems == 1 ? "" : "s", svc->nofficials,
               svc->nofficials == 1 ? "" : "s", cfg->ntokens, cfg->ntokens == 1 ? "" : "s");
        services_free(svc);
        config_free(cfg);
        return 0;
    }
    enum log_level lvl = LOG_INFO;
    log_level_parse(cfg->loglevel, &lvl);
    if (worker) {
        log_init("worker", lvl);
        int rc = worker_main(cfg, worker);
        config_free(cfg);
        return rc;
    }
    log_init("gateway", lvl);
    if (loose)
        log_warnx("event=config_warning warning=\"%s\"", warning);
    signal(SIGPIPE, SIG_IGN);

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        log_warn("event=start_failed reason=\"cannot find own executable\"");
        return 1;
    }
    exe[n] = '\0';

    struct gateway g = {0};
    g.cfg = cfg;
    g.svc = svc;
    g.base = event_base_new();
    if (g.base == NULL)
        return 1;
    g.router = router_new(g.base, cfg);
    if (g.router) {
        router_set_services(g.router, svc);
        g.ussd = ussd_new(g.router, cfg);
        g.bc = broadcasts_new(g.base, g.router, cfg);
    }
    if (cfg->http[0] && (g.http = open_http(&g, cfg, errs, sizeof(errs))) == NULL) {
        log_error("event=start_failed reason=\"%s\"", errs);
        return 1;
    }
    /* The admin API answers on the same listener (api.h); it exists even
     * without one, so modules can add their routes all the same. */
    if (g.router)
        g.api = api_new(g.http, g.router, cfg);
    if (g.api && (api_broadcast_routes(g.api) != 0 || api_quarantine_routes(g.api) != 0 ||
                  (g.api_modem = api_modem_new(g.api, g.base)) == NULL)) {
        log_error("event=start_failed reason=\"API route table full\"");
        return 1;
    }
    g.sv = supervisor_new(g.base, cfg, exe);
    if (g.router == NULL || g.sv == NULL || g.bc == NULL || g.api == NULL) {
        log_error("event=start_failed reason=\"out of memory\"");
        return 1;
    }
    g.sigterm_ev = evsignal_new(g.base, SIGTERM, on_stop_signal, &g);
    g.sigint_ev = evsignal_new(g.base, SIGINT, on_stop_signal, &g);
    g.sighup_ev = evsignal_new(g.base, SIGHUP, on_reload, &g);
    evsignal_add(g.sigterm_ev, NULL);
    evsignal_add(g.sigint_ev, NULL);
    evsignal_add(g.sighup_ev, NULL);
    log_info("event=started config=%s redis=%s http=%s modems=%d", path, cfg->redis,
             cfg->http[0] ? cfg->http : "off", cfg->nmodems);

    event_base_dispatch(g.base);

    http_free(g.http);
    ussd_free(g.ussd);
    router_free(g.router);       /* answers calls still waiting on Redis (API, broadcasts' feed) */
    api_modem_free(g.api_modem); /* then those waiting for a modem's USSD answer */
    api_free(g.api);
    broadcasts_free(g.bc);
    supervisor_free(g.sv);
    event_free(g.sigterm_ev);
    event_free(g.sigint_ev);
    event_free(g.sighup_ev);
    event_base_free(g.base);
    services_free(g.svc);
    services_free(g.retired);
    config_free(g.cfg);
    return 0;
}
