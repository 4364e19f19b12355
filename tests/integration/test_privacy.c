/* Integration: personal numbers and control characters through the real
 * gateway (dummy modem, real Redis). A NIK written every way residents write
 * one (slashes, two spaces, full-width digits, underscores, one group per
 * line, commas) reaches the DPUPR liaison masked, is masked in every SMS, in
 * every log line and in the admin API's answers; a message from the
 * alphanumeric sender "\nx=1" and texts carrying ESC sequences and a bidi
 * override leave the log one line per event with no raw ESC, and reach
 * officials, residents and the API without them. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESIDENT   "081234567890"
#define RESIDENT_N "6281234567890"
#define LIAISON_N  "6281311110001"
#define T_ADMIN    "privacy-admin-1"
#define T_BUDI     "privacy-budi-2"

static struct kt_env env;
static int port;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0);
    cr_assert_eq(kt_redis_start(&env), 0);
    signal(SIGPIPE, SIG_IGN);
    port = kt_free_port();
    cr_assert_gt(port, 0);
    char hash[65], hash_budi[65], extra[256], modems[4096], pin[192];
    kt_sha256_hex(T_ADMIN, hash);
    kt_sha256_hex(T_BUDI, hash_budi);
    snprintf(extra, sizeof(extra), "http = 127.0.0.1:%d\nsender_per_minute = 100", port);
    snprintf(modems, sizeof(modems),
             "[modem:dummy]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_seconds = 1\n"
             "per_minute = 600\nper_day = 100000\n"
             "[official:budi]\nphone = 081311110001\nopd = DPUPR\nrole = liaison\n"
             "[official:kominfo]\nphone = 081311110003\nopd = DISKOMINFO\nrole = coordinator\n%s"
             "[token:ops]\nsha256 = %s\nrole = admin\n"
             "[token:budi]\nsha256 = %s\nrole = official\nopd = dpupr\nofficial = budi\n",
             env.modem_dir, kt_pin_line("081311110003", "2468", pin, sizeof(pin)), hash, hash_budi);
    cr_assert_eq(kt_write_config(&env, extra, modems), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

TestSuite(privacy, .init = setup, .fini = teardown, .timeout = 180);

/* The digits of text in order, ASCII and full-width alike, everything else
 * left out: a NIK written with any separators shows up here whole. */
static void digits_of(const char *text, char *out, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0;
    for (; *s && o + 1 < len; s++) {
        if (*s >= '0' && *s <= '9')
            out[o++] = (char)*s;
        else if (s[0] == 0xEF && s[1] == 0xBC && s[2] >= 0x90 && s[2] <= 0x99)
            out[o++] = (char)('0' + s[2] - 0x90), s += 2;
    }
    out[o] = '\0';
}

static int holds(const char *text, const char *nik)
{
    static char digits[1 << 20];
    digits_of(text, digits, sizeof(digits));
    return strstr(digits, nik) != NULL;
}

/* An admin API call (the admin's token, or budi's when as_budi); the body
 * of the answer into out. Returns the status. */
static int api_as(int as_budi, const char *method, const char *path, const char *body, char *out,
                  size_t len)
{
    static char raw[1 << 18];
    int code = -1;
    for (int i = 0; i < 100 && code < 0; i++) {
        code = kt_http_header(port, method, path,
                              as_budi ? "Authorization: Bearer " T_BUDI
                                      : "Authorization: Bearer " T_ADMIN,
                              body, raw, sizeof(raw));
        if (code < 0)
            usleep(100000);
    }
    const char *b = strstr(raw, "\r\n\r\n");
    snprintf(out, len, "%s", b ? b + 4 : "");
    return code;
}

static int api(const char *method, const char *path, const char *body, char *out, size_t len)
{
    return api_as(0, method, path, body, out, len);
}

static char *read_log(void)
{
    FILE *f = fopen(env.log, "r");
    cr_assert_not_null(f);
    static char buf[1 << 21];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Every line of the log is one event: it starts with the time stamp and
 * names its process; no raw ESC, C1 CSI or bidi override anywhere. */
static void log_is_one_line_per_event(void)
{
    char *log = read_log();
    cr_expect_null(strchr(log, '\x1b'), "no raw ESC in the log");
    cr_expect_null(strstr(log, "\xC2\x9B"), "no raw C1 CSI in the log");
    cr_expect_null(strstr(log, "\xE2\x80\xAE"), "no raw bidi override in the log");
    for (char *line = log; *line;) {
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl, "the log ends with a whole line");
        *nl = '\0';
        cr_expect(strncmp(line, "20", 2) == 0 && strstr(line, " proc=") != NULL,
                  "a line that is not an event of its own: %s", line);
        line = nl + 1;
    }
}

static const struct {
    const char *text, *nik, *last4;
} written[] = {
    {"LAPOR jalan rusak di desa Kalisalak kec Batang, NIK 3325/0101/0101/0002", "3325010101010002",
     "0002"},
    {"LAPOR jalan rusak di desa Kalisalak kec Batang, NIK 3325 0101  0101 0003", "3325010101010003",
     "0003"},
    {"LAPOR jalan rusak di desa Kalisalak kec Batang, NIK "
     "\xEF\xBC\x93\xEF\xBC\x93\xEF\xBC\x92\xEF\xBC\x95\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x90\xEF"
     "\xBC\x91\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC"
     "\x90\xEF\xBC\x94",
     "3325010101010004", "0004"},
    {"LAPOR jalan rusak di desa Kalisalak kec Batang, NIK 3325_0101_0101_0005", "3325010101010005",
     "0005"},
    {"LAPOR jalan rusak di desa Kalisalak kec Batang, NIK\n3325\n0101\n0101\n0006",
     "3325010101010006", "0006"},
    {"LAPOR jalan rusak di desa Kalisalak kec Batang NIK 3325,0101,0101,0007 tolong",
     "3325010101010007", "0007"},
};
#define NWRITTEN (sizeof(written) / sizeof(written[0]))

Test(privacy, nik_masked_however_written)
{
    char out[2048], tickets[NWRITTEN][32];
    for (size_t i = 0; i < NWRITTEN; i++) {
        int rc = kt_exchange(&env, RESIDENT, written[i].text, RESIDENT_N, 20, out, sizeof(out));
        if (rc != 0)
            kt_dump_log(&env);
        cr_assert_eq(rc, 0, "no answer to complaint %zu", i);
        const char *p = strstr(out, "tiket ");
        cr_assert_not_null(p, "a ticket: %s", out);
        snprintf(tickets[i], sizeof(tickets[i]), "%.*s", (int)strspn(p + 6, "0123456789"), p + 6);
    }
    /* the liaison gets each complaint, masked, its last 4 digits kept */
    for (size_t i = 0; i < NWRITTEN; i++) {
        cr_assert_eq(kt_wait_sent_to(&env, LIAISON_N, (int)i + 1, 20, out, sizeof(out)), 0,
                     "liaison told of complaint %zu", i);
        cr_expect(strstr(out, tickets[i]) != NULL, "in filing order: %s", out);
        cr_expect(!holds(out, written[i].nik), "masked for the liaison: %s", out);
        cr_expect(strstr(out, "************") && strstr(out, written[i].last4),
                  "stars and the last 4 digits: %s", out);
    }
    /* no SMS at all holds one */
    static struct kt_sent s[64];
    int n = kt_sent(&env, s, 64);
    cr_expect_geq(n, 2 * (int)NWRITTEN);
    for (int k = 0; k < n && k < 64; k++)
        for (size_t i = 0; i < NWRITTEN; i++)
            cr_expect(!holds(s[k].text, written[i].nik), "sms to %s: %s", s[k].to, s[k].text);
    /* the API: the list and each complaint */
    static char body[1 << 18];
    cr_assert_eq(api("GET", "/api/complaints?limit=50", NULL, body, sizeof(body)), 200, "%s", body);
    for (size_t i = 0; i < NWRITTEN; i++) {
        cr_expect(!holds(body, written[i].nik), "API list: %s", body);
        cr_expect(strstr(body, tickets[i]) != NULL, "complaint %zu listed: %s", i, body);
    }
    cr_expect(strstr(body, "************0004") != NULL, "the full-width one too: %s", body);
    for (size_t i = 0; i < NWRITTEN; i++) {
        char path[256];
        snprintf(path, sizeof(path), "/api/complaints/%s", tickets[i]);
        cr_assert_eq(api("GET", path, NULL, body, sizeof(body)), 200, "%s", body);
        cr_expect(!holds(body, written[i].nik), "API show: %s", body);
    }
    /* the log: no line holds one, and every line is one event */
    char *log = read_log();
    for (char *line = log; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        for (size_t i = 0; i < NWRITTEN; i++)
            cr_expect(!holds(line, written[i].nik), "log line: %s", line);
        if (!nl)
            break;
        line = nl + 1;
    }
    log_is_one_line_per_event();
}

static int inbound_logged(struct kt_env *e, void *arg)
{
    FILE *f = fopen(e->log, "r");
    if (f == NULL)
        return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, "event=inbound") && strstr(line, (const char *)arg);
    fclose(f);
    return found;
}

Test(privacy, controls_never_reach_a_log_line_an_sms_or_the_api)
{
    /* an alphanumeric sender that once split a log line: silenced, logged on one line */
    cr_assert_eq(kt_dummy_deliver(&env, "\nx=1", "INFO", NULL, 0), 0);
    cr_assert(kt_wait(&env, 20, inbound_logged, "from=\"x=1\""), "the inbound is logged");

    /* a complaint carrying terminal escape sequences, a C1 CSI and a bidi override */
    char out[2048], path[128], ticket[32];
    const char *text = "LAPOR jalan rusak \x1b[2J\x1b]0;pwned\x07parah \xC2\x9B"
                       "31m di desa "
                       "\xE2\x80\xAE"
                       "Kalisalak kec Batang";
    /* (delivered and awaited by hand: kt_exchange finds the inbound by its text, and the
     * stored text is the filtered one) */
    cr_assert_eq(kt_dummy_deliver(&env, RESIDENT, text, NULL, 1), 0);
    cr_assert_eq(kt_wait_sent_to(&env, RESIDENT_N, 1, 20, out, sizeof(out)), 0, "answered");
    cr_expect(strstr(out, "DPUPR") != NULL, "routed to DPUPR: %s", out);
    const char *p = strstr(out, "tiket ");
    cr_assert_not_null(p, "%s", out);
    snprintf(ticket, sizeof(ticket), "%.*s", (int)strspn(p + 6, "0123456789"), p + 6);
    cr_assert_eq(kt_wait_sent_to(&env, LIAISON_N, 1, 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "jalan rusak [2J]0;pwnedparah 31m di desa Kalisalak") != NULL,
              "the liaison reads the text without its controls: %s", out);

    static char body[1 << 16];
    snprintf(path, sizeof(path), "/api/complaints/%s", ticket);
    cr_assert_eq(api("GET", path, NULL, body, sizeof(body)), 200, "%s", body);
    cr_expect(strstr(body, "\\u001b") == NULL && strstr(body, "\\u0007") == NULL &&
                  strstr(body, "\xC2\x9B") == NULL && strstr(body, "\xE2\x80\xAE") == NULL,
              "stored without them: %s", body);
    cr_expect(strstr(body, "jalan rusak [2J]0;pwnedparah") != NULL, "%s", body);

    /* an answer through the API with the same: the resident gets it clean */
    snprintf(path, sizeof(path), "/api/complaints/%s/accept", ticket);
    cr_assert_eq(api_as(1, "POST", path, NULL, body, sizeof(body)), 200, "%s", body);
    snprintf(path, sizeof(path), "/api/complaints/%s/answer", ticket);
    cr_assert_eq(api_as(1, "POST", path,
                        "{\"text\": \"Tim \\u001b[31mdatang\\u001b[0m \\u202ebesok\\r\\npagi\"}",
                        body, sizeof(body)),
                 200, "%s", body);
    cr_assert_eq(kt_wait_sent_with(&env, RESIDENT_N, "datang", 20, out, sizeof(out)), 0);
    cr_expect(strstr(out, "Tim [31mdatang[0m besok\npagi") != NULL, "%s", out);

    log_is_one_line_per_event();
}

/* One USSD screen: the body ("CON ..." / "END ...") into out. */
static void ussd_screen(const char *session, const char *text, char *out, size_t len)
{
    char form[4096], raw[8192];
    size_t o = (size_t)snprintf(form, sizeof(form),
                                "sessionId=%s&serviceCode=%%2A123%%23&phoneNumber=" RESIDENT
                                "&networkCode=51010&text=",
                                session);
    for (const unsigned char *s = (const unsigned char *)text; *s && o + 4 < sizeof(form); s++)
        o += (size_t)snprintf(form + o, sizeof(form) - o, "%%%02X", *s);
    int code = -1;
    for (int i = 0; i < 100 && code != 200; i++) {
        code = kt_http(port, "POST", "/ussd", form, raw, sizeof(raw));
        if (code != 200 || strstr(raw, "sibuk"))
            code = -1, usleep(100000);
    }
    cr_assert_eq(code, 200, "HTTP %d: %s", code, raw);
    const char *body = strstr(raw, "\r\n\r\n");
    snprintf(out, len, "%s", body ? body + 4 : "");
}

Test(privacy, ussd_screens_mask_what_they_show_back)
{
    /* the confirm screen of a complaint shows its text back ("Isi: ...") */
    char out[2048];
    const char *path = "1*1*3*3*Jalan rusak, NIK saya 3325 / 0101 / 0101 / 0009";
    ussd_screen("priv1", path, out, sizeof(out));
    cr_expect(strstr(out, "Kirim laporan ini?") != NULL, "the confirm screen: %s", out);
    cr_expect(strstr(out, "NIK saya ************0009") != NULL, "shown masked: %s", out);
    cr_expect(!holds(out, "3325010101010009"), "%s", out);
    /* 15 digits (a NIK with one missing) are shown masked too */
    ussd_screen("priv3", "1*1*3*3*Jalan rusak, NIK 332501010101009 ya", out, sizeof(out));
    cr_expect(strstr(out, "NIK ***********1009 ya") != NULL, "shown masked: %s", out);
    /* a control character typed in is gone before the menu sees it */
    ussd_screen("priv2", "1*1*3*3*Jalan rusak parah\x1b[2J sekali", out, sizeof(out));
    cr_expect(strstr(out, "Jalan rusak parah[2J sekali") != NULL, "%s", out);
    cr_expect_null(strchr(out, '\x1b'), "%s", out);
}
