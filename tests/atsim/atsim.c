/*
 * atsim — a fake GSM modem speaking the AT command set on stdin/stdout.
 *
 * It stands in for a USB modem in tests, through libgammu's proxyat connection:
 *
 *     [gammu]
 *     model = at
 *     connection = proxyat
 *     device = /path/to/build/atsim --state /tmp/somedir
 *
 * libgammu runs the device string as `$SHELL -c "exec <device>"` (so shell quoting works) every
 * time the connection is opened, with the modem's stdin and stdout on pipes and stderr inherited;
 * on close it sends SIGHUP and never reaps the child (the caller must, or keep a zombie). A worker
 * restart therefore means a new atsim process, so everything that must outlive one lives in the
 * state directory. One process at a time per directory; a killed one leaves nothing half written
 * (files are replaced with rename(2)) except, in a window of microseconds, an incoming message
 * already on the SIM whose inbox file was not yet removed: it is then delivered twice, as
 * networks sometimes do.
 *
 * Options: --state DIR (required), --quiet (no DIR/atsim.log transcript).
 *
 * The modem: echo on (ATE1) by default, PDU mode only (AT+CMGF=0; +CMGF=1 is refused), one
 * message store "SM" with 1-based locations, identity "Kentongan ATSIM-1" (unknown to Gammu, so
 * it is driven generically), network Telkomsel (510 10), SMSC +62811000000. Unknown commands get
 * ERROR. Unsolicited lines (+CMTI) are only written between commands, never inside an answer,
 * never while a PDU is being typed after AT+CMGS, and not before the first command has been
 * answered (so that they cannot disturb Gammu's initialisation).
 *
 * What Gammu 1.42 sends (seen with logformat = textall): on connect ESC CR, AT, ATE1, AT+MODE=2
 * (Motorola probe, ERROR), AT+CMEE=1, AT+CSCS? / =? / ="GSM" / ?, AT+CGMM, AT+CGMI,
 * AT+CPROT=?, AT+SYNCML=?, AT$TSSPCSW=?, AT+CHUP=? (all probes, ERROR), AT+CGMR, AT+CFUN=1;
 * then per operation AT+CGSN, AT+CIMI, AT+CPMS=?, AT+CMGF=0, AT+CPMS="SM","SM", AT+CMGL=4,
 * AT+CMGR=n, AT+CMGD=n, AT+CSCA?, AT+CMGS=len (prompt "> ", PDU, Ctrl-Z), AT+CNMI=? then
 * AT+CNMI=2,1,0,2,0 (GSM_SetIncomingSMS; it refuses unless the <bm> range offers 2), and for
 * USSD AT+CSCS="UCS2", AT+CUSD=1,"<code in UCS2 hex>",15 — so the +CUSD answer is printed in
 * the active character set, as real modems do.
 *
 * State directory layout:
 *
 *   DIR/sim/N          SIM location N: "STAT\nPDUHEX\n", STAT as in AT+CMGL (0 unread, 1 read,
 *                      2 unsent, 3 sent), PDUHEX with the SMSC prefix, as AT+CMGR returns it.
 *   DIR/mr             next TP message reference to hand out (0..255; first one is 1).
 *   DIR/sent.log       one line per accepted AT+CMGS (format below).
 *   DIR/cmti.log       one line per +CMTI written: "t=<ms>\tloc=<N>\tfrom=<sender or empty>\t
 *                      file=<inbox file name>" (t as in sent.log), appended just before the +CMTI
 *                      is written; a dup_cmti repeat is not logged.
 *   DIR/ussd.log       one line per USSD request: "code=<code>".
 *   DIR/ussd_reply     optional: the text of the +CUSD answer (first line, UTF-8);
 *                      default "Sisa pulsa Rp 12.345".
 *   DIR/atsim.log      transcript of commands and answers (unless --quiet).
 *   DIR/inbox/         incoming messages (format below).
 *   DIR/rejected/      inbox files that could not be turned into a PDU (see atsim.log for why).
 *   DIR/faults/        fault switches (format below).
 *   DIR/reports        optional: what the network reports for a message sent with a status
 *                      report requested (TP-SRR): "ok" (default: delivered, TP-ST 0x00), "fail"
 *                      (permanent failure, TP-ST 0x41), "twice" (delivered, and the same report
 *                      comes a second time, as networks sometimes do) or "none" (no report).
 *   DIR/report_delay   optional: milliseconds between the +CMGS answer and the report (default
 *                      300).
 *
 * Inbox files. A test writes a file under a name starting with '.' (ignored), then renames it to
 * a name without the dot; files are taken in name order. The simulator notices it at once
 * (inotify), stores it in the first free SIM location, removes the file and writes
 * `+CMTI: "SM",N`. While the SIM is full, files wait in inbox/. Content: lines `key=value`:
 *
 *   from=+6281234567890     sender: '+' and digits (international), digits (unknown type),
 *                           or up to 11 characters (alphanumeric, e.g. TELKOMSEL)
 *   text=UTF-8 text         "\n", "\r" and "\\" are escapes for newline, CR and backslash
 *   coding=gsm7|ucs2|8bit   optional; default gsm7 when every character is in the GSM 03.38
 *                           alphabet or its extension table, else ucs2
 *   udh=HEX                 optional user data header, length octet included
 *                           (050003A70201: part 1 of 2, 8-bit reference 0xA7)
 *   data=HEX                optional raw user data for coding=8bit (else the text's bytes)
 *   pdu=HEX                 optional complete SMS-DELIVER TPDU without SMSC; overrides the rest
 *   time=YYYYMMDDHHMMSS     optional SMSC timestamp in local time; default now
 *
 * Status reports. An SMS-SUBMIT with TP-SRR set gets, after report_delay, an SMS-STATUS-REPORT
 * (TP-MR as answered in +CMGS, TP-RA the destination as submitted, TP-SCTS and TP-DT now, TP-ST
 * as DIR/reports says). It goes through DIR/inbox like any incoming message (a file
 * "~report-..." holding pdu=), so it waits there while the SIM is full, is stored on the SIM
 * and is announced with `+CDSI: "SM",N` (AT+CNMI <ds>=2) instead of +CMTI. Reports not yet due
 * live in the process only: a simulator killed meanwhile loses them, as networks lose reports.
 *
 * sent.log: one line per accepted AT+CMGS, tab-separated key=value fields:
 *   mr=<reference> to=<destination, '+' if international> coding=gsm7|ucs2|8bit
 *   udh=<hex, length octet included, or empty> ref=<concatenation reference or empty>
 *   part=<n or empty> total=<n or empty> text=<decoded text: hex of its UTF-8 bytes (raw bytes
 *   for 8bit)> pdu=<the PDU hex as received, SMSC prefix included> cmgs_t=<ms> t=<ms>
 * The two times come last, after pdu=, so that readers of the older format still work. Both are
 * the wall clock (CLOCK_REALTIME) in milliseconds since the epoch with three decimals: cmgs_t
 * when the AT+CMGS=<length> command line came, t when the PDU was accepted (Ctrl-Z read and
 * decoded), before the +CMGS answer is written. cmti.log's t is taken just before the +CMTI
 * line is written (a few microseconds early: the log line goes first), so t - cmti t is the
 * modem-side reply latency (tests/bench/bench_latency.c).
 *
 * Faults, files in DIR/faults/, re-read before each command:
 *   cms_error     "CODE COUNT": the next COUNT AT+CMGS answer "+CMS ERROR: CODE" after the PDU
 *                 (COUNT is decremented in the file, which is removed at 0)
 *   hang          exists: read and drop every command without any answer (not even the echo),
 *                 deliver nothing; removing the file ends it
 *   slow          "MS": wait MS milliseconds before every answer (after the echo)
 *   dup_cmti      exists: each new incoming message's +CMTI is written twice
 *   noise         exists: write an unsolicited line before the OK of every answer; the file's
 *                 first line if not empty, else alternately "+CREG: 1" and "RING"
 *   storage_size  "N": SIM size (default 20, at most 255)
 *   ussd_charset  "GSM", "UCS2" or "PDU7": USSD answers printed in that character set whatever
 *                 AT+CSCS chose (PDU7: GSM 7-bit packed, as hex), as confused modems do
 *   ussd_status   "N": USSD requests answered "+CUSD: N" without text (4: not supported)
 *   ussd_silent   exists: USSD requests get OK and then no +CUSD at all
 *   hang_cmgr     "N": AT+CMGR=N is echoed and then never answered (a modem that hangs
 *                 reading one location); other commands are answered
 *   hang_cmgd     "N": AT+CMGD=N is echoed and then never answered, the message stays (a
 *                 gateway stopped between storing a message and deleting it)
 *
 * Loopback (the installer's probe, kentongan-ctl modem probe): the simulated SIM's own number is
 * OWN_NUMBER (+6281299990001) unless DIR/own_number holds another ("+62..." or digits). A
 * single-part text message sent to that number comes back to this modem's own inbox, as a real
 * network delivers a message a SIM sends to itself: it is written to DIR/inbox as
 * "~loop-<mr>" (from= the own number, text= the decoded text) right after the +CMGS answer.
 * The fault file DIR/faults/no_loopback (exists) makes the network swallow it instead, as an
 * operator that does not deliver (no credit, a SIM barred from receiving) does. AT+CGREG (the
 * packet-domain registration libgammu's network question asks for first) answers as AT+CREG? does
 * (the creg fault below; location 2F3A and cell 0C81 in mode 2); AT+CGATT? answers attached while
 * registered.
 *
 * Health faults (the SIM, the network, a wedged radio; see "health faults" below):
 *   creg          "N": the registration status AT+CREG? answers (+CREG: <mode>,N): 0 not
 *                 registered, 2 searching, 3 denied, 4 unknown, 5 roaming (default 1, home);
 *                 while it is not 1 or 5, AT+COPS? names no operator ("+COPS: 0"); AT+CGREG?
 *                 (packet registration, which libgammu asks too) answers the same status and
 *                 AT+CGATT? 1 while registered
 *   cpin          "SIM PIN", "SIM PUK" or "NOT INSERTED": AT+CPIN? answers "+CPIN: SIM PIN" /
 *                 "+CPIN: SIM PUK", or +CME ERROR: 10 (no SIM); every SIM command (AT+CMGL,
 *                 +CMGR, +CMGD, +CMGS, +CMGW, +CPMS, +CSCA, +CIMI; not their =? forms) answers
 *                 +CME ERROR: 11 (PIN), 12 (PUK) or 10 (no SIM)
 *   sim_used      "N": AT+CPMS reports at least N of the SIM's locations used (at most its
 *                 size), as a SIM filled by messages a phone stored there that no inbox listing
 *                 shows; storage_size N and sim_used N make the SIM look full
 *   wedged        exists: the PDU typed after AT+CMGS is taken and never answered (no +CMGS,
 *                 no error), as a modem whose radio stack hung; a reset (AT+CFUN=1,1) removes
 *                 the file
 * DIR/cfun.log gets one line per AT+CFUN=... command: "t=<ms>\targs=<arguments>" (t as in
 * sent.log). AT+CFUN=1,1 (a reset) is answered OK and the simulator then exits, as a modem
 * that restarts drops off its line; the next connection starts a fresh one.
 *
 * Exits with status 0 on end of stdin, SIGTERM, SIGINT, SIGHUP or a broken stdout pipe.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN     1024 /* one AT command line */
#define PDU_HEX_MAX      1024 /* hex characters typed after AT+CMGS */
#define OUT_MAX          65536
#define SIM_SIZE_DEFAULT 20
#define SIM_SIZE_MAX     255
#define UD_MAX           140 /* octets of user data in one SMS */
#define TPDU_MAX         176
#define TEXT_MAX         2048 /* decoded text, UTF-8 */
#define FILE_MAX         8192 /* an inbox or fault file */
#define SMSC             "+62811000000"
#define USSD_DEFAULT     "Sisa pulsa Rp 12.345"
#define POLL_FALLBACK_MS 20 /* inbox polling period when inotify is unavailable */

#define OWN_NUMBER "+6281299990001" /* the SIM's own number (loopback, for the probe) */

enum coding { CODING_GSM7, CODING_8BIT, CODING_UCS2 };
static const char *const coding_names[] = {"gsm7", "8bit", "ucs2"};

/* Final result of a command. */
enum result { RES_OK, RES_ERROR, RES_CMS, RES_CME, RES_PROMPT, RES_NONE };

static struct {
    char dir[PATH_MAX - 64];
    int quiet;
    int log_fd;
    int notify_fd;
    int echo;
    int answered; /* at least one command answered: unsolicited lines allowed */
    int inbox_dirty;
    char charset[16];
    int creg_mode;
    char cnmi[64];
    int cops_format;
    int noise_flip;
    /* AT+CMGS in progress */
    int in_pdu;
    int pdu_len; /* announced TPDU length */
    char pdu[PDU_HEX_MAX + 1];
    size_t pdu_used;
    int pdu_overflow;
    /* command line being typed */
    char line[LINE_MAX_LEN + 1];
    size_t line_used;
    int line_overflow;
    /* answer being built */
    char out[OUT_MAX];
    size_t out_used;
    char after[OUT_MAX]; /* unsolicited text to write after the final result */
    size_t after_used;
    int err_code;  /* for RES_CMS, RES_CME */
    double cmgs_t; /* when the AT+CMGS command of the PDU being typed came (sent.log cmgs_t) */
} S;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* ---------------------------------------------------------------- files, log, output */

static void path_of(char *buf, size_t len, const char *fmt, ...)
{
    char rel[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    if (snprintf(buf, len, "%s/%s", S.dir, rel) >= (int)len)
        buf[0] = '\0'; /* cannot happen: S.dir leaves room for the names we use */
}

/* Reads a whole small file into buf (NUL-terminated). Returns its length, -1 if missing. */
static ssize_t read_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t used = 0;
    while (used + 1 < len) {
        ssize_t n = read(fd, buf + used, len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    close(fd);
    return (ssize_t)used;
}

/* Replaces a file atomically: tmp file then rename. Returns 0/-1. */
static int write_file(const char *path, const char *data, size_t len)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, data, len);
    close(fd);
    if (n != (ssize_t)len || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int fault_exists(const char *name)
{
    char p[PATH_MAX];
    path_of(p, sizeof p, "faults/%s", name);
    return access(p, F_OK) == 0;
}

static long fault_number(const char *name, long dflt)
{
    char p[PATH_MAX], buf[64];
    path_of(p, sizeof p, "faults/%s", name);
    if (read_file(p, buf, sizeof buf) < 0)
        return dflt;
    char *end;
    long v = strtol(buf, &end, 10);
    return end == buf ? dflt : v;
}

static int sim_size(void)
{
    long n = fault_number("storage_size", SIM_SIZE_DEFAULT);
    if (n < 1)
        n = 1;
    if (n > SIM_SIZE_MAX)
        n = SIM_SIZE_MAX;
    return (int)n;
}

/* Transcript: DIR/atsim.log, one line per chunk, control characters escaped. */
static void tlog(const char *dirmark, const char *data, size_t len)
{
    if (S.log_fd < 0)
        return;
    char buf[OUT_MAX * 2 + 64];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    n += (size_t)snprintf(buf + n, sizeof buf - n, ".%03d %s ", (int)(tv.tv_usec / 1000), dirmark);
    for (size_t i = 0; i < len && n + 8 < sizeof buf; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\r')
            n += (size_t)snprintf(buf + n, sizeof buf - n, "\\r");
        else if (c == '\n')
            n += (size_t)snprintf(buf + n, sizeof buf - n, "\\n");
        else if (c < 0x20 || c == 0x7f)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "\\x%02x", c);
        else
            buf[n++] = (char)c;
    }
    buf[n++] = '\n';
    ssize_t w = write(S.log_fd, buf, n);
    (void)w;
}

static void note(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = (int)sizeof buf - 1;
    tlog("#", buf, (size_t)n);
}

/* Writes to the modem's line (stdout). A broken pipe stops the simulator. */
static void emit(const char *data, size_t len)
{
    if (len == 0)
        return;
    tlog("<", data, len);
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            stop_flag = 1;
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void vappend(char *buf, size_t *used, size_t cap, const char *fmt, va_list ap)
{
    if (*used >= cap - 1)
        return;
    int n = vsnprintf(buf + *used, cap - *used, fmt, ap);
    if (n > 0)
        *used += (size_t)n < cap - *used ? (size_t)n : cap - *used - 1;
}

/* Adds an information response line to the answer being built. */
static void answer(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[OUT_MAX];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    size_t cap = sizeof S.out;
    int n = snprintf(S.out + S.out_used, cap - S.out_used, "\r\n%s\r\n", tmp);
    if (n > 0)
        S.out_used += (size_t)n < cap - S.out_used ? (size_t)n : cap - S.out_used - 1;
}

static void answer_after(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(S.after, &S.after_used, sizeof S.after, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- text and PDU codecs */

/* GSM 03.38 default alphabet, code → Unicode. 0x1B is the escape to the extension table. */
static const uint16_t gsm_default[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A, 0x00D8,
    0x00F8, 0x000D, 0x00C5, 0x00E5, 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x0020, 0x0021, 0x0022, 0x0023,
    0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A, 0x003B,
    0x003C, 0x003D, 0x003E, 0x003F, 0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053,
    0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B,
    0x006C, 0x006D, 0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

static const struct {
    uint8_t code;
    uint16_t uc;
} gsm_ext[] = {
    {0x0A, 0x000C}, {0x14, '^'}, {0x28, '{'}, {0x29, '}'}, {0x2F, '\\'},
    {0x3C, '['},    {0x3D, '~'}, {0x3E, ']'}, {0x40, '|'}, {0x65, 0x20AC},
};

#define GSM_ESC 0x1B

/* Decodes one UTF-8 character; invalid bytes give U+FFFD. Returns bytes consumed (≥ 1). */
static size_t utf8_next(const unsigned char *p, size_t len, uint32_t *cp)
{
    unsigned c = p[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (n > len) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        v = 0xFFFD;
    *cp = v;
    return n;
}

/* Appends the UTF-8 form of cp to out (cap bytes, NUL kept). Returns 0/-1 when full. */
static int utf8_put(char *out, size_t *used, size_t cap, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    if (*used + n >= cap)
        return -1;
    memcpy(out + *used, b, n);
    *used += n;
    out[*used] = '\0';
    return 0;
}

/* UTF-8 → GSM septets (extension characters take two). Returns the count, -1 if a character
 * is outside the alphabet or max is exceeded. */
static int gsm7_from_utf8(const char *s, size_t len, uint8_t *sept, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (len > 0) {
        uint32_t cp;
        size_t k = utf8_next(p, len, &cp);
        p += k, len -= k;
        int code = -1;
        for (int i = 0; i < 128; i++) {
            if (i != GSM_ESC && gsm_default[i] == cp) {
                code = i;
                break;
            }
        }
        if (code >= 0) {
            if (n + 1 > max)
                return -1;
            sept[n++] = (uint8_t)code;
            continue;
        }
        for (size_t i = 0; i < sizeof gsm_ext / sizeof gsm_ext[0]; i++) {
            if (gsm_ext[i].uc == cp) {
                code = gsm_ext[i].code;
                break;
            }
        }
        if (code < 0 || n + 2 > max)
            return -1;
        sept[n++] = GSM_ESC;
        sept[n++] = (uint8_t)code;
    }
    return (int)n;
}

/* GSM septets → UTF-8. Returns 0/-1 when out is too small. */
static int gsm7_to_utf8(const uint8_t *sept, size_t n, char *out, size_t *used, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t cp;
        if (sept[i] == GSM_ESC) {
            if (i + 1 >= n)
                break; /* a lone escape at the end shows nothing */
            uint8_t c = sept[++i] & 0x7F;
            cp = gsm_default[c]; /* unknown extension: the default character (23.038) */
            for (size_t k = 0; k < sizeof gsm_ext / sizeof gsm_ext[0]; k++)
                if (gsm_ext[k].code == c)
                    cp = gsm_ext[k].uc;
        } else {
            cp = gsm_default[sept[i] & 0x7F];
        }
        if (utf8_put(out, used, cap, cp) < 0)
            return -1;
    }
    return 0;
}

/* Packs septets into out (zeroed by the caller) starting at bit bitoff. */
static void pack7(const uint8_t *sept, size_t n, uint8_t *out, size_t bitoff)
{
    for (size_t i = 0; i < n; i++) {
        size_t bit = bitoff + 7 * i, byte = bit / 8, sh = bit % 8;
        out[byte] |= (uint8_t)(sept[i] << sh);
        if (sh > 1)
            out[byte + 1] |= (uint8_t)(sept[i] >> (8 - sh));
    }
}

/* Unpacks n septets from in (inlen octets) starting at bit bitoff. Returns 0/-1 if short. */
static int unpack7(const uint8_t *in, size_t inlen, size_t bitoff, size_t n, uint8_t *sept)
{
    for (size_t i = 0; i < n; i++) {
        size_t bit = bitoff + 7 * i, byte = bit / 8, sh = bit % 8;
        if (byte >= inlen)
            return -1;
        unsigned v = in[byte] >> sh;
        if (sh > 1) {
            if (byte + 1 >= inlen)
                return -1;
            v |= (unsigned)in[byte + 1] << (8 - sh);
        }
        sept[i] = (uint8_t)(v & 0x7F);
    }
    return 0;
}

/* UTF-8 → UTF-16BE. Returns octets written, -1 if max is exceeded. */
static int ucs2_from_utf8(const char *s, size_t len, uint8_t *out, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (len > 0) {
        uint32_t cp;
        size_t k = utf8_next(p, len, &cp);
        p += k, len -= k;
        if (cp >= 0x10000) {
            if (n + 4 > max)
                return -1;
            cp -= 0x10000;
            uint16_t hi = (uint16_t)(0xD800 | (cp >> 10)), lo = (uint16_t)(0xDC00 | (cp & 0x3FF));
            out[n++] = (uint8_t)(hi >> 8), out[n++] = (uint8_t)hi;
            out[n++] = (uint8_t)(lo >> 8), out[n++] = (uint8_t)lo;
        } else {
            if (n + 2 > max)
                return -1;
            out[n++] = (uint8_t)(cp >> 8), out[n++] = (uint8_t)cp;
        }
    }
    return (int)n;
}

/* UTF-16BE → UTF-8; unpaired surrogates become U+FFFD, an odd last octet is dropped. */
static int ucs2_to_utf8(const uint8_t *in, size_t len, char *out, size_t *used, size_t cap)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint32_t u = (uint32_t)in[i] << 8 | in[i + 1];
        if (u >= 0xD800 && u <= 0xDBFF && i + 3 < len) {
            uint32_t lo = (uint32_t)in[i + 2] << 8 | in[i + 3];
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            } else {
                u = 0xFFFD;
            }
        } else if (u >= 0xD800 && u <= 0xDFFF) {
            u = 0xFFFD;
        }
        if (utf8_put(out, used, cap, u) < 0)
            return -1;
    }
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Hex → bytes. Returns the byte count, -1 on odd length, bad digit or overflow. */
static int hex_decode(const char *hex, size_t len, uint8_t *out, size_t max)
{
    if (len % 2 != 0 || len / 2 > max)
        return -1;
    for (size_t i = 0; i < len; i += 2) {
        int h = hexval((unsigned char)hex[i]), l = hexval((unsigned char)hex[i + 1]);
        if (h < 0 || l < 0)
            return -1;
        out[i / 2] = (uint8_t)(h << 4 | l);
    }
    return (int)(len / 2);
}

static void hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* Address (TP-OA/TP-DA layout: digit count, type, BCD digits) → out. Returns octets written,
 * -1 if the address is not valid. Alphanumeric senders are packed GSM 7-bit. */
static int address_encode(const char *addr, uint8_t *out, size_t max)
{
    const char *d = addr;
    uint8_t toa = 0x81;
    if (*d == '+')
        d++, toa = 0x91;
    size_t nd = strlen(d);
    int numeric = nd > 0 && nd <= 20;
    for (size_t i = 0; i < nd; i++)
        if (!isdigit((unsigned char)d[i]) && d[i] != '*' && d[i] != '#')
            numeric = 0;
    if (numeric) {
        size_t oct = (nd + 1) / 2;
        if (2 + oct > max)
            return -1;
        out[0] = (uint8_t)nd;
        out[1] = toa;
        memset(out + 2, 0xFF, oct);
        for (size_t i = 0; i < nd; i++) {
            uint8_t v = d[i] == '*' ? 0xA : d[i] == '#' ? 0xB : (uint8_t)(d[i] - '0');
            if (i % 2 == 0)
                out[2 + i / 2] = (uint8_t)((out[2 + i / 2] & 0xF0) | v);
            else
                out[2 + i / 2] = (uint8_t)((out[2 + i / 2] & 0x0F) | (v << 4));
        }
        return (int)(2 + oct);
    }
    uint8_t sept[16];
    int ns = gsm7_from_utf8(addr, strlen(addr), sept, 11);
    if (ns <= 0)
        return -1;
    size_t semi = ((size_t)ns * 7 + 3) / 4, oct = (semi + 1) / 2;
    if (2 + oct > max)
        return -1;
    out[0] = (uint8_t)semi;
    out[1] = 0xD0;
    memset(out + 2, 0, oct);
    pack7(sept, (size_t)ns, out + 2, 0);
    return (int)(2 + oct);
}

/* Decodes an address at p (avail octets). Returns octets consumed, -1 if truncated. */
static int address_decode(const uint8_t *p, size_t avail, char *out, size_t cap)
{
    if (avail < 2)
        return -1;
    size_t nd = p[0], oct = (nd + 1) / 2;
    uint8_t toa = p[1];
    if (2 + oct > avail)
        return -1;
    size_t used = 0;
    out[0] = '\0';
    if ((toa & 0x70) == 0x50) {
        uint8_t sept[24];
        size_t ns = nd * 4 / 7;
        if (ns > sizeof sept || unpack7(p + 2, oct, 0, ns, sept) < 0)
            return -1;
        gsm7_to_utf8(sept, ns, out, &used, cap);
        return (int)(2 + oct);
    }
    if ((toa & 0x70) == 0x10 && used + 1 < cap)
        out[used++] = '+';
    static const char digits[] = "0123456789*#abc";
    for (size_t i = 0; i < nd && used + 1 < cap; i++) {
        unsigned v = i % 2 == 0 ? p[2 + i / 2] & 15 : p[2 + i / 2] >> 4;
        if (v == 15)
            break;
        out[used++] = digits[v];
    }
    out[used] = '\0';
    return (int)(2 + oct);
}

static uint8_t bcd_swapped(int v)
{
    return (uint8_t)((v % 10) << 4 | (v / 10 % 10));
}

/* The SMSC prefix the modem puts before a stored PDU. */
static int smsc_prefix(uint8_t *out)
{
    uint8_t a[16];
    int n = address_encode(SMSC, a, sizeof a);
    /* SMSC length counts octets (type included), unlike TP addresses which count digits. */
    out[0] = (uint8_t)(n - 1);
    memcpy(out + 1, a + 1, (size_t)n - 1);
    return n;
}

struct incoming {
    char from[64];
    char text[TEXT_MAX];
    size_t text_len;
    int coding; /* -1 = auto */
    uint8_t udh[UD_MAX];
    int udh_len;
    uint8_t data[UD_MAX];
    int data_len; /* -1 = none */
    uint8_t pdu[TPDU_MAX];
    int pdu_len; /* -1 = none */
    int has_time;
    struct tm tm;
};

/* A service-centre time stamp (TP-SCTS, TP-DT): 7 octets, local time and its offset. */
static void put_scts(uint8_t *out, const struct tm *tm, long quarters)
{
    out[0] = bcd_swapped(tm->tm_year % 100);
    out[1] = bcd_swapped(tm->tm_mon + 1);
    out[2] = bcd_swapped(tm->tm_mday);
    out[3] = bcd_swapped(tm->tm_hour);
    out[4] = bcd_swapped(tm->tm_min);
    out[5] = bcd_swapped(tm->tm_sec);
    out[6] = (uint8_t)(bcd_swapped((int)(quarters < 0 ? -quarters : quarters)) |
                       (quarters < 0 ? 0x08 : 0));
}

/* Builds an SMS-DELIVER TPDU. Returns its length, -1 with why set. */
static int deliver_build(const struct incoming *m, uint8_t *out, size_t max, const char **why)
{
    if (m->pdu_len >= 0) {
        if ((size_t)m->pdu_len > max || m->pdu_len < 13) {
            *why = "pdu length";
            return -1;
        }
        memcpy(out, m->pdu, (size_t)m->pdu_len);
        return m->pdu_len;
    }
    uint8_t ud[UD_MAX];
    memset(ud, 0, sizeof ud);
    size_t udl, udoct;
    int coding = m->coding;
    uint8_t sept[UD_MAX * 8 / 7 + 2];
    int ns = -1;
    if (coding < 0 || coding == CODING_GSM7) {
        ns = gsm7_from_utf8(m->text, m->text_len, sept, sizeof sept);
        if (coding < 0)
            coding = ns >= 0 ? CODING_GSM7 : CODING_UCS2;
        else if (ns < 0) {
            *why = "text not in the GSM alphabet or too long";
            return -1;
        }
    }
    size_t hl = (size_t)m->udh_len;
    memcpy(ud, m->udh, hl);
    if (coding == CODING_GSM7) {
        size_t fill = (7 - (hl * 8) % 7) % 7, udh_sept = (hl * 8 + fill) / 7;
        udl = udh_sept + (size_t)ns;
        if (udl > 160) {
            *why = "text too long for one SMS";
            return -1;
        }
        pack7(sept, (size_t)ns, ud, hl * 8 + fill);
        udoct = (udl * 7 + 7) / 8;
    } else if (coding == CODING_UCS2) {
        int n = ucs2_from_utf8(m->text, m->text_len, ud + hl, UD_MAX - hl);
        if (n < 0) {
            *why = "text too long for one SMS";
            return -1;
        }
        udl = udoct = hl + (size_t)n;
    } else {
        const uint8_t *src = m->data_len >= 0 ? m->data : (const uint8_t *)m->text;
        size_t n = m->data_len >= 0 ? (size_t)m->data_len : m->text_len;
        if (hl + n > UD_MAX) {
            *why = "data too long for one SMS";
            return -1;
        }
        memcpy(ud + hl, src, n);
        udl = udoct = hl + n;
    }
    size_t o = 0;
    out[o++] = (uint8_t)(0x04 | (hl ? 0x40 : 0)); /* SMS-DELIVER, no more messages, UDHI */
    int n = address_encode(m->from, out + o, max - o);
    if (n < 0) {
        *why = "bad sender";
        return -1;
    }
    o += (size_t)n;
    out[o++] = 0x00;                                                               /* PID */
    out[o++] = coding == CODING_GSM7 ? 0x00 : coding == CODING_UCS2 ? 0x08 : 0x04; /* DCS */
    struct tm tm = m->tm;
    long off;
    if (m->has_time) {
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        localtime_r(&t, &tm);
    } else {
        time_t t = time(NULL);
        localtime_r(&t, &tm);
    }
    off = tm.tm_gmtoff / 900; /* quarters of an hour */
    put_scts(out + o, &tm, off);
    o += 7;
    if (o + 1 + udoct > max) {
        *why = "pdu too long";
        return -1;
    }
    out[o++] = (uint8_t)udl;
    memcpy(out + o, ud, udoct);
    return (int)(o + udoct);
}

struct submit {
    int mr;
    int srr; /* TP-SRR: a status report is requested */
    char to[48];
    int coding;
    uint8_t udh[UD_MAX];
    int udh_len;
    int ref, part, total;
    char text[TEXT_MAX];
    size_t text_len;
};

static int dcs_coding(uint8_t dcs)
{
    if ((dcs & 0x80) == 0) { /* general data coding (00xx) and automatic deletion (01xx) */
        if (dcs & 0x20)
            return CODING_8BIT; /* compressed: we do not decompress */
        switch ((dcs >> 2) & 3) {
        case 0:
            return CODING_GSM7;
        case 2:
            return CODING_UCS2;
        default:
            return CODING_8BIT;
        }
    }
    if ((dcs & 0xF0) == 0xF0)
        return dcs & 0x04 ? CODING_8BIT : CODING_GSM7;
    if ((dcs & 0xF0) == 0xC0 || (dcs & 0xF0) == 0xD0)
        return CODING_GSM7;
    if ((dcs & 0xF0) == 0xE0)
        return CODING_UCS2;
    return CODING_8BIT;
}

/* Decodes an SMS-SUBMIT TPDU (no SMSC prefix). Returns 0, -1 with why set. */
static int submit_decode(const uint8_t *p, size_t len, struct submit *m, const char **why)
{
    memset(m, 0, sizeof *m);
    m->ref = m->part = m->total = -1;
    size_t o = 0;
    if (len < 7 || (p[0] & 3) != 1) {
        *why = "not an SMS-SUBMIT";
        return -1;
    }
    uint8_t fo = p[o++];
    m->srr = (fo & 0x20) != 0;
    m->mr = p[o++];
    int n = address_decode(p + o, len - o, m->to, sizeof m->to);
    if (n < 0) {
        *why = "truncated destination";
        return -1;
    }
    o += (size_t)n;
    if (o + 2 > len) {
        *why = "truncated";
        return -1;
    }
    o++; /* PID */
    m->coding = dcs_coding(p[o++]);
    switch ((fo >> 3) & 3) {
    case 2:
        o += 1;
        break;
    case 1:
    case 3:
        o += 7;
        break;
    }
    if (o + 1 > len) {
        *why = "truncated";
        return -1;
    }
    size_t udl = p[o++];
    const uint8_t *ud = p + o;
    size_t avail = len - o;
    size_t need = m->coding == CODING_GSM7 ? (udl * 7 + 7) / 8 : udl;
    if (need != avail) {
        *why = "user data length does not match the PDU";
        return -1;
    }
    size_t hl = 0;
    if (fo & 0x40) {
        if (avail < 1 || (size_t)ud[0] + 1 > avail) {
            *why = "bad UDH";
            return -1;
        }
        hl = (size_t)ud[0] + 1;
        memcpy(m->udh, ud, hl);
        m->udh_len = (int)hl;
        for (size_t i = 1; i + 1 < hl;) {
            uint8_t iei = ud[i], iel = ud[i + 1];
            if (i + 2 + iel > hl) {
                *why = "bad UDH element";
                return -1;
            }
            if (iei == 0x00 && iel == 3) {
                m->ref = ud[i + 2], m->total = ud[i + 3], m->part = ud[i + 4];
            } else if (iei == 0x08 && iel == 4) {
                m->ref = ud[i + 2] << 8 | ud[i + 3], m->total = ud[i + 4], m->part = ud[i + 5];
            }
            i += 2u + iel;
        }
    }
    m->text[0] = '\0';
    if (m->coding == CODING_GSM7) {
        size_t fill = (7 - (hl * 8) % 7) % 7, skip = (hl * 8 + fill) / 7;
        if (skip > udl) {
            *why = "UDH longer than the user data";
            return -1;
        }
        uint8_t sept[161];
        if (unpack7(ud, avail, hl * 8 + fill, udl - skip, sept) < 0) {
            *why = "truncated 7-bit data";
            return -1;
        }
        gsm7_to_utf8(sept, udl - skip, m->text, &m->text_len, sizeof m->text);
    } else {
        if (hl > udl) {
            *why = "UDH longer than the user data";
            return -1;
        }
        if (m->coding == CODING_UCS2) {
            ucs2_to_utf8(ud + hl, udl - hl, m->text, &m->text_len, sizeof m->text);
        } else {
            memcpy(m->text, ud + hl, udl - hl);
            m->text_len = udl - hl;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- SIM storage */

struct slot {
    int stat; /* -1 = empty */
    char pdu[2 * (TPDU_MAX + 12) + 1];
};

static int sim_load(int loc, struct slot *sl)
{
    char p[PATH_MAX], buf[sizeof sl->pdu + 16];
    path_of(p, sizeof p, "sim/%d", loc);
    sl->stat = -1;
    if (read_file(p, buf, sizeof buf) < 0)
        return -1;
    char *nl = strchr(buf, '\n');
    if (!nl)
        return -1;
    sl->stat = atoi(buf);
    snprintf(sl->pdu, sizeof sl->pdu, "%.*s", (int)strcspn(nl + 1, "\r\n"), nl + 1);
    return 0;
}

static int sim_store(int loc, int stat, const char *pdu)
{
    char p[PATH_MAX], buf[2 * (TPDU_MAX + 12) + 16];
    path_of(p, sizeof p, "sim/%d", loc);
    int n = snprintf(buf, sizeof buf, "%d\n%s\n", stat, pdu);
    return write_file(p, buf, (size_t)n);
}

static int sim_used(int size)
{
    int used = 0;
    struct slot sl;
    for (int i = 1; i <= size; i++)
        if (sim_load(i, &sl) == 0)
            used++;
    return used;
}

/* TPDU length of a stored PDU (hex, SMSC prefix included). */
static int tpdu_length(const char *hex)
{
    int smsc = hexval((unsigned char)hex[0]) * 16 + hexval((unsigned char)hex[1]);
    return (int)strlen(hex) / 2 - 1 - smsc;
}

/* ---------------------------------------------------------------- incoming messages */

static int parse_inbox(char *buf, struct incoming *m, const char **why)
{
    memset(m, 0, sizeof *m);
    m->coding = -1;
    m->data_len = -1;
    m->pdu_len = -1;
    int have_from = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        line[strcspn(line, "\r")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *k = line, *v = eq + 1;
        if (strcmp(k, "from") == 0) {
            snprintf(m->from, sizeof m->from, "%s", v);
            have_from = 1;
        } else if (strcmp(k, "text") == 0) {
            size_t n = 0;
            for (const char *s = v; *s && n + 1 < sizeof m->text; s++) {
                if (*s == '\\' && s[1]) {
                    s++;
                    m->text[n++] = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s;
                } else {
                    m->text[n++] = *s;
                }
            }
            m->text[n] = '\0';
            m->text_len = n;
        } else if (strcmp(k, "coding") == 0) {
            m->coding = -2;
            for (int i = 0; i < 3; i++)
                if (strcmp(v, coding_names[i]) == 0)
                    m->coding = i;
            if (m->coding == -2) {
                *why = "unknown coding";
                return -1;
            }
        } else if (strcmp(k, "udh") == 0) {
            m->udh_len = hex_decode(v, strlen(v), m->udh, sizeof m->udh);
            if (m->udh_len < 0 || (m->udh_len > 0 && m->udh[0] + 1 != m->udh_len)) {
                *why = "bad udh (hex, first octet is the length of the rest)";
                return -1;
            }
        } else if (strcmp(k, "data") == 0) {
            m->data_len = hex_decode(v, strlen(v), m->data, sizeof m->data);
            if (m->data_len < 0) {
                *why = "bad data hex";
                return -1;
            }
        } else if (strcmp(k, "pdu") == 0) {
            m->pdu_len = hex_decode(v, strlen(v), m->pdu, sizeof m->pdu);
            if (m->pdu_len < 0) {
                *why = "bad pdu hex";
                return -1;
            }
        } else if (strcmp(k, "time") == 0) {
            if (strlen(v) != 14 || !strptime(v, "%Y%m%d%H%M%S", &m->tm)) {
                *why = "bad time (YYYYMMDDHHMMSS)";
                return -1;
            }
            m->has_time = 1;
        }
    }
    if (!have_from && m->pdu_len < 0) {
        *why = "no from=";
        return -1;
    }
    return 0;
}

static int name_filter(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Wall clock in milliseconds, microsecond resolution: the t= field of sent.log and cmti.log. */
static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Appends one line to DIR/name (O_APPEND: one write per line, never interleaved). */
static void log_line(const char *name, const char *line, size_t len)
{
    char p[PATH_MAX];
    path_of(p, sizeof p, "%s", name);
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t w = write(fd, line, len);
        (void)w;
        close(fd);
    }
}

static void write_cmti(int loc, int report, const char *from, const char *file)
{
    char buf[64], line[512];
    int n = snprintf(buf, sizeof buf, "\r\n+%s: \"SM\",%d\r\n", report ? "CDSI" : "CMTI", loc);
    int k = snprintf(line, sizeof line, "t=%.3f\tloc=%d\tfrom=%s\tfile=%s\n", wall_ms(), loc, from,
                     file);
    if (k >= (int)sizeof line) {
        k = (int)sizeof line - 1;
        line[k - 1] = '\n';
    }
    /* Logged first: whoever sees the +CMTI finds its line already there. */
    log_line("cmti.log", line, (size_t)k);
    emit(buf, (size_t)n);
    if (fault_exists("dup_cmti"))
        emit(buf, (size_t)n);
}

/* Moves inbox files to free SIM locations, announcing each with +CMTI. */
static void inbox_scan(void)
{
    char ip[PATH_MAX];
    path_of(ip, sizeof ip, "inbox");
    struct dirent **names;
    int count = scandir(ip, &names, name_filter, alphasort);
    if (count < 0)
        return;
    int size = sim_size();
    for (int i = 0; i < count && !stop_flag; i++) {
        char p[PATH_MAX], buf[FILE_MAX];
        path_of(p, sizeof p, "inbox/%s", names[i]->d_name);
        if (read_file(p, buf, sizeof buf) < 0)
            continue;
        int loc = 0;
        struct slot sl;
        for (int k = 1; k <= size && !loc; k++)
            if (sim_load(k, &sl) < 0)
                loc = k;
        if (!loc) {
            note("SIM full (%d), %s waits in inbox", size, names[i]->d_name);
            break;
        }
        struct incoming *m = malloc(sizeof *m);
        const char *why = "out of memory";
        uint8_t pdu[TPDU_MAX + 16];
        int len = -1, pre = smsc_prefix(pdu);
        char from[64] = "";
        if (m && parse_inbox(buf, m, &why) == 0) {
            len = deliver_build(m, pdu + pre, sizeof pdu - (size_t)pre, &why);
            snprintf(from, sizeof from, "%s", m->from);
        }
        free(m);
        if (len < 0) {
            char rp[PATH_MAX];
            path_of(rp, sizeof rp, "rejected/%s", names[i]->d_name);
            note("inbox file %s rejected: %s", names[i]->d_name, why);
            rename(p, rp);
            continue;
        }
        char hex[2 * sizeof pdu + 1];
        hex_encode(pdu, (size_t)(pre + len), hex);
        if (sim_store(loc, 0, hex) < 0) {
            note("cannot store SIM location %d: %s", loc, strerror(errno));
            break;
        }
        unlink(p);
        note("incoming %s stored at %d", names[i]->d_name, loc);
        write_cmti(loc, (pdu[pre] & 3) == 2, from,
                   names[i]->d_name); /* TP-MTI 10: SMS-STATUS-REPORT */
    }
    for (int i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* ---------------------------------------------------------------- status reports */

#define REPORTS_MAX          256
#define REPORT_DELAY_DEFAULT 300 /* ms */

static struct pending_report {
    long long due; /* ms, CLOCK_MONOTONIC */
    int mr;
    int status; /* TP-ST */
    char to[48];
} reports[REPORTS_MAX];
static int nreports;
static unsigned report_seq;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Schedules the network's status report for a message just accepted with reference mr. */
static void report_schedule(int mr, const char *to)
{
    char p[PATH_MAX], mode[32] = "ok";
    path_of(p, sizeof p, "reports");
    if (read_file(p, mode, sizeof mode) >= 0)
        mode[strcspn(mode, " \r\n")] = '\0';
    if (strcmp(mode, "none") == 0)
        return;
    path_of(p, sizeof p, "report_delay");
    char buf[32];
    long delay = read_file(p, buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : REPORT_DELAY_DEFAULT;
    int copies = strcmp(mode, "twice") == 0 ? 2 : 1;
    for (int i = 0; i < copies && nreports < REPORTS_MAX; i++) {
        struct pending_report *r = &reports[nreports++];
        r->due = mono_ms() + (delay > 0 ? delay : 0) + i * 50;
        r->mr = mr;
        r->status = strcmp(mode, "fail") == 0 ? 0x41 : 0x00;
        snprintf(r->to, sizeof r->to, "%s", to);
    }
}

/* Builds an SMS-STATUS-REPORT TPDU (no SMSC) into out. Returns its length, -1 on a bad address. */
static int report_build(const struct pending_report *r, uint8_t *out, size_t max)
{
    size_t o = 0;
    out[o++] = 0x06; /* TP-MTI 10 (status report), TP-MMS: no more messages, TP-SRQ 0 */
    out[o++] = (uint8_t)r->mr;
    int n = address_encode(r->to, out + o, max - o);
    if (n < 0 || o + (size_t)n + 15 > max)
        return -1;
    o += (size_t)n;
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    put_scts(out + o, &tm, tm.tm_gmtoff / 900); /* TP-SCTS */
    o += 7;
    put_scts(out + o, &tm, tm.tm_gmtoff / 900); /* TP-DT */
    o += 7;
    out[o++] = (uint8_t)r->status; /* TP-ST */
    return (int)o;
}

/* Hands the reports that fell due to the inbox. Returns ms until the next one, -1 if none. */
static long reports_due(void)
{
    long long now = mono_ms(), next = -1;
    for (int i = 0; i < nreports;) {
        struct pending_report *r = &reports[i];
        if (r->due > now) {
            if (next < 0 || r->due - now < next)
                next = r->due - now;
            i++;
            continue;
        }
        uint8_t pdu[TPDU_MAX];
        char hex[2 * TPDU_MAX + 1], name[64], p[PATH_MAX], line[2 * TPDU_MAX + 16];
        int len = report_build(r, pdu, sizeof pdu);
        if (len > 0) {
            hex_encode(pdu, (size_t)len, hex);
            int k = snprintf(line, sizeof line, "pdu=%s\n", hex);
            /* '~' sorts after the names tests use, so a report never overtakes a message. */
            snprintf(name, sizeof name, "~report-%lld-%u", now, report_seq++);
            path_of(p, sizeof p, "inbox/%s", name);
            if (write_file(p, line, (size_t)k) == 0)
                note("status report mr=%d to=%s st=0x%02X queued as %s", r->mr, r->to, r->status,
                     name);
            S.inbox_dirty = 1;
        }
        reports[i] = reports[--nreports];
    }
    return next < 0 ? -1 : (long)next;
}

/* ---------------------------------------------------------------- commands */

#define ARGS_MAX 8
#define ARG_LEN  256

/* Splits "a,"b,c",d" into args (quotes removed). Returns the count. */
static int split_args(const char *s, char args[ARGS_MAX][ARG_LEN])
{
    int n = 0;
    if (!s || !*s)
        return 0;
    while (n < ARGS_MAX) {
        size_t k = 0;
        while (*s == ' ')
            s++;
        if (*s == '"') {
            s++;
            while (*s && *s != '"')
                if (k + 1 < ARG_LEN)
                    args[n][k++] = *s++;
                else
                    s++;
            if (*s == '"')
                s++;
            while (*s && *s != ',')
                s++;
        } else {
            while (*s && *s != ',')
                if (k + 1 < ARG_LEN)
                    args[n][k++] = *s++;
                else
                    s++;
            while (k > 0 && args[n][k - 1] == ' ')
                k--;
        }
        args[n++][k] = '\0';
        if (*s != ',')
            break;
        s++;
    }
    return n;
}

/* How a command was written: AT+X (exec), AT+X? (read), AT+X=? (test), AT+X=... (set). */
enum form { FORM_EXEC, FORM_READ, FORM_TEST, FORM_SET };

struct req {
    enum form form;
    const char *args; /* after '=' for FORM_SET */
    char argv[ARGS_MAX][ARG_LEN];
    int argc;
};

static int ok_only(struct req *r)
{
    (void)r;
    return RES_OK;
}

static int cms(int code)
{
    S.err_code = code;
    return RES_CMS;
}

static int cme(int code)
{
    S.err_code = code;
    return RES_CME;
}

/* ---------------------------------------------------------------- health faults
 * creg, cpin, wedged and cfun.log (see the header comment). */

/* The +CME ERROR code SIM commands answer under the cpin fault; 0 when the SIM is ready. */
static int sim_fault_cme(void)
{
    char p[PATH_MAX], buf[64];
    path_of(p, sizeof p, "faults/cpin");
    if (read_file(p, buf, sizeof buf) < 0)
        return 0;
    buf[strcspn(buf, "\r\n")] = '\0';
    if (strcmp(buf, "SIM PIN") == 0)
        return 11;
    if (strcmp(buf, "SIM PUK") == 0)
        return 12;
    if (strcmp(buf, "NOT INSERTED") == 0)
        return 10;
    return 0;
}

static int sim_command(const char *name)
{
    static const char *const sim[] = {"+CMGL", "+CMGR", "+CMGD", "+CMGS", "+CMGW",
                                      "+CPMS", "+CSCA", "+CIMI", NULL};
    for (const char *const *s = sim; *s; s++)
        if (strcmp(*s, name) == 0)
            return 1;
    return 0;
}

/* The registration status AT+CREG? reports (creg fault; 1 = home). */
static int registration(void)
{
    return (int)fault_number("creg", 1);
}

static void cfun_set(const char *args)
{
    char line[300];
    int n = snprintf(line, sizeof line, "t=%.3f\targs=%s\n", wall_ms(), args ? args : "");
    log_line("cfun.log", line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
    if (args && strcmp(args, "1,1") == 0) {
        char p[PATH_MAX];
        path_of(p, sizeof p, "faults/wedged");
        unlink(p);
        note("reset: answering OK, then restarting (exit)");
        stop_flag = 1; /* the answer is written first (finish), then the loop ends */
    }
}

static int c_cgmi(struct req *r)
{
    if (r->form == FORM_TEST)
        return RES_OK;
    answer("Kentongan");
    return RES_OK;
}

static int c_cgmm(struct req *r)
{
    if (r->form == FORM_TEST)
        return RES_OK;
    answer("ATSIM-1");
    return RES_OK;
}

static int c_cgmr(struct req *r)
{
    if (r->form == FORM_TEST)
        return RES_OK;
    answer("1.0.0");
    return RES_OK;
}

static int c_cgsn(struct req *r)
{
    if (r->form == FORM_TEST)
        return RES_OK;
    answer("356938035643809");
    return RES_OK;
}

static int c_cimi(struct req *r)
{
    if (r->form == FORM_TEST)
        return RES_OK;
    answer("510101234567890");
    return RES_OK;
}

static int c_cpin(struct req *r)
{
    if (r->form == FORM_READ) {
        int cme_code = sim_fault_cme();
        if (cme_code == 10)
            return cme(10);
        answer(cme_code == 11   ? "+CPIN: SIM PIN"
               : cme_code == 12 ? "+CPIN: SIM PUK"
                                : "+CPIN: READY");
        return RES_OK;
    }
    return r->form == FORM_TEST ? RES_OK : cme(3);
}

static int c_csq(struct req *r)
{
    answer(r->form == FORM_TEST ? "+CSQ: (0-31,99),(0-7,99)" : "+CSQ: 20,99");
    return RES_OK;
}

static int c_creg(struct req *r)
{
    switch (r->form) {
    case FORM_TEST:
        answer("+CREG: (0-2)");
        return RES_OK;
    case FORM_SET:
        if (r->argc < 1 || atoi(r->argv[0]) < 0 || atoi(r->argv[0]) > 2)
            return cme(50);
        S.creg_mode = atoi(r->argv[0]);
        return RES_OK;
    case FORM_READ:
        if (registration() != 1 && registration() != 5)
            answer("+CREG: %d,%d", S.creg_mode, registration());
        else if (S.creg_mode == 2)
            answer("+CREG: 2,%d,\"2F3A\",\"0C81\"", registration());
        else
            answer("+CREG: %d,%d", S.creg_mode, registration());
        return RES_OK;
    default:
        return RES_ERROR;
    }
}

static int c_cops(struct req *r)
{
    switch (r->form) {
    case FORM_TEST:
        answer("+COPS: (2,\"TELKOMSEL\",\"TSEL\",\"51010\"),,(0-4),(0-2)");
        return RES_OK;
    case FORM_SET:
        if (r->argc >= 2)
            S.cops_format = atoi(r->argv[1]);
        return RES_OK;
    case FORM_READ:
        if (registration() != 1 && registration() != 5)
            answer("+COPS: 0");
        else if (S.cops_format == 2)
            answer("+COPS: 0,2,\"51010\"");
        else if (S.cops_format == 1)
            answer("+COPS: 0,1,\"TSEL\"");
        else
            answer("+COPS: 0,0,\"TELKOMSEL\"");
        return RES_OK;
    default:
        return RES_ERROR;
    }
}

static int c_cscs(struct req *r)
{
    static const char *const sets[] = {"IRA", "GSM", "UCS2"};
    switch (r->form) {
    case FORM_TEST:
        answer("+CSCS: (\"IRA\",\"GSM\",\"UCS2\")");
        return RES_OK;
    case FORM_READ:
        answer("+CSCS: \"%s\"", S.charset);
        return RES_OK;
    case FORM_SET:
        for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
            if (r->argc == 1 && strcasecmp(r->argv[0], sets[i]) == 0) {
                snprintf(S.charset, sizeof S.charset, "%s", sets[i]);
                return RES_OK;
            }
        }
        return cme(4);
    default:
        return RES_ERROR;
    }
}

static int c_cmgf(struct req *r)
{
    switch (r->form) {
    case FORM_TEST:
        answer("+CMGF: (0)");
        return RES_OK;
    case FORM_READ:
        answer("+CMGF: 0");
        return RES_OK;
    case FORM_SET:
        return r->argc == 1 && strcmp(r->argv[0], "0") == 0 ? RES_OK : cms(303);
    default:
        return RES_ERROR;
    }
}

static int c_csca(struct req *r)
{
    switch (r->form) {
    case FORM_READ:
        answer("+CSCA: \"%s\",145", SMSC);
        return RES_OK;
    case FORM_SET:
    case FORM_TEST:
        return RES_OK;
    default:
        return RES_ERROR;
    }
}

static int c_cpms(struct req *r)
{
    int size = sim_size(), used = sim_used(size);
    if (fault_number("sim_used", 0) > used)
        used = (int)(fault_number("sim_used", 0) < size ? fault_number("sim_used", 0) : size);
    switch (r->form) {
    case FORM_TEST:
        answer("+CPMS: (\"SM\"),(\"SM\"),(\"SM\")");
        return RES_OK;
    case FORM_READ:
        answer("+CPMS: \"SM\",%d,%d,\"SM\",%d,%d,\"SM\",%d,%d", used, size, used, size, used, size);
        return RES_OK;
    case FORM_SET:
        if (r->argc < 1)
            return cms(302);
        for (int i = 0; i < r->argc; i++)
            if (strcasecmp(r->argv[i], "SM") != 0)
                return cms(302);
        answer("+CPMS: %d,%d,%d,%d,%d,%d", used, size, used, size, used, size);
        return RES_OK;
    default:
        return RES_ERROR;
    }
}

static int c_cnmi(struct req *r)
{
    switch (r->form) {
    case FORM_TEST:
        answer("+CNMI: (0-2),(0,1),(0,2),(0-2),(0,1)");
        return RES_OK;
    case FORM_READ:
        answer("+CNMI: %s", S.cnmi);
        return RES_OK;
    case FORM_SET:
        /* Accepted and remembered; +CMTI is written whatever it says. */
        snprintf(S.cnmi, sizeof S.cnmi, "%.63s", r->args);
        return RES_OK;
    default:
        return RES_ERROR;
    }
}

static int c_cmgr(struct req *r)
{
    if (r->form == FORM_TEST)
        return RES_OK;
    if (r->form != FORM_SET || r->argc != 1)
        return RES_ERROR;
    int loc = atoi(r->argv[0]);
    if (fault_number("hang_cmgr", 0) == loc) {
        note("hang_cmgr: AT+CMGR=%d not answered", loc);
        return RES_NONE;
    }
    struct slot sl;
    if (loc < 1 || loc > sim_size() || sim_load(loc, &sl) < 0)
        return cms(321);
    answer("+CMGR: %d,,%d\r\n%s", sl.stat, tpdu_length(sl.pdu), sl.pdu);
    if (sl.stat == 0)
        sim_store(loc, 1, sl.pdu);
    return RES_OK;
}

static int c_cmgl(struct req *r)
{
    if (r->form == FORM_TEST) {
        answer("+CMGL: (0-4)");
        return RES_OK;
    }
    int want = 0;
    if (r->form == FORM_SET && r->argc >= 1) {
        if (!isdigit((unsigned char)r->argv[0][0]))
            return cms(302); /* "ALL" and friends are text mode */
        want = atoi(r->argv[0]);
    }
    if (want < 0 || want > 4)
        return cms(302);
    int size = sim_size();
    struct slot sl;
    for (int i = 1; i <= size; i++) {
        if (sim_load(i, &sl) < 0 || (want != 4 && sl.stat != want))
            continue;
        answer("+CMGL: %d,%d,,%d\r\n%s", i, sl.stat, tpdu_length(sl.pdu), sl.pdu);
        if (sl.stat == 0)
            sim_store(i, 1, sl.pdu);
    }
    return RES_OK;
}

static int c_cmgd(struct req *r)
{
    if (r->form == FORM_TEST) {
        answer("+CMGD: (1-%d),(0-4)", sim_size());
        return RES_OK;
    }
    if (r->form != FORM_SET || r->argc < 1)
        return RES_ERROR;
    int loc = atoi(r->argv[0]), flag = r->argc > 1 ? atoi(r->argv[1]) : 0;
    if (fault_number("hang_cmgd", 0) == loc) {
        note("hang_cmgd: AT+CMGD=%d not answered", loc);
        return RES_NONE;
    }
    int size = sim_size();
    char p[PATH_MAX];
    if (flag == 0) {
        if (loc < 1 || loc > size)
            return cms(321);
        path_of(p, sizeof p, "sim/%d", loc);
        unlink(p);
    } else {
        /* 1 read, 2 read+sent, 3 read+sent+unsent, 4 all */
        struct slot sl;
        for (int i = 1; i <= size; i++) {
            if (sim_load(i, &sl) < 0)
                continue;
            if (flag >= 4 || sl.stat == 1 || (flag >= 2 && sl.stat == 3) ||
                (flag >= 3 && sl.stat == 2)) {
                path_of(p, sizeof p, "sim/%d", i);
                unlink(p);
            }
        }
    }
    S.inbox_dirty = 1; /* a waiting message may fit now */
    return RES_OK;
}

static int c_cmgs(struct req *r)
{
    if (r->form == FORM_TEST)
        return RES_OK;
    if (r->form != FORM_SET || r->argc < 1)
        return RES_ERROR;
    int len = atoi(r->argv[0]);
    if (len < 7 || len > TPDU_MAX)
        return cms(304);
    S.in_pdu = 1;
    S.cmgs_t = wall_ms();
    S.pdu_len = len;
    S.pdu_used = 0;
    S.pdu_overflow = 0;
    return RES_PROMPT;
}

static int next_mr(void)
{
    char p[PATH_MAX], buf[32];
    path_of(p, sizeof p, "mr");
    int mr = read_file(p, buf, sizeof buf) > 0 ? atoi(buf) & 0xFF : 1;
    int n = snprintf(buf, sizeof buf, "%d\n", (mr + 1) & 0xFF);
    write_file(p, buf, (size_t)n);
    return mr;
}

/* ---------------------------------------------------------------- loopback (the probe) */

/* The SIM's own number as digits (no '+'): DIR/own_number or OWN_NUMBER. */
static void own_number(char *out, size_t cap)
{
    char p[PATH_MAX], buf[64];
    path_of(p, sizeof p, "own_number");
    if (read_file(p, buf, sizeof buf) < 0)
        snprintf(buf, sizeof buf, "%s", OWN_NUMBER);
    size_t o = 0;
    for (const char *c = buf; *c && o + 1 < cap; c++)
        if (isdigit((unsigned char)*c))
            out[o++] = *c;
    out[o] = '\0';
}

/* A single-part message sent to the SIM's own number comes back to its inbox (unless the
 * no_loopback fault says the network swallows it). */
static void loopback(const struct submit *m, int mr)
{
    char own[64], to[64];
    own_number(own, sizeof own);
    size_t o = 0;
    for (const char *c = m->to; *c && o + 1 < sizeof to; c++)
        if (isdigit((unsigned char)*c))
            to[o++] = *c;
    to[o] = '\0';
    if (own[0] == '\0' || strcmp(own, to) != 0 || m->ref >= 0 || m->coding == CODING_8BIT)
        return;
    if (fault_exists("no_loopback")) {
        note("loopback mr=%d swallowed (no_loopback)", mr);
        return;
    }
    char line[2 * TEXT_MAX + 128], p[PATH_MAX];
    int k = snprintf(line, sizeof line, "from=+%s\ntext=", own);
    for (size_t i = 0; i < m->text_len && (size_t)k + 4 < sizeof line; i++) {
        char c = m->text[i];
        if (c == '\n' || c == '\r' || c == '\\') {
            line[k++] = '\\';
            line[k++] = c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        } else {
            line[k++] = c;
        }
    }
    line[k++] = '\n';
    path_of(p, sizeof p, "inbox/~loop-%d-%lld", mr, (long long)wall_ms());
    if (write_file(p, line, (size_t)k) == 0)
        note("loopback mr=%d delivered to own inbox", mr);
}

/* AT+CGREG, packet-domain registration: libgammu's GSM_GetNetworkInfo sets it (=2, else =1)
 * and reads it before AT+CREG?, and fails as a whole when it is refused. Registered at home. */
static int cgreg_mode;

static int cgreg(struct req *r)
{
    switch (r->form) {
    case FORM_TEST:
        answer("+CGREG: (0-2)");
        return RES_OK;
    case FORM_SET:
        if (r->argc < 1 || atoi(r->argv[0]) < 0 || atoi(r->argv[0]) > 2)
            return cme(50);
        cgreg_mode = atoi(r->argv[0]);
        return RES_OK;
    case FORM_READ:
        if (cgreg_mode == 2 && (registration() == 1 || registration() == 5))
            answer("+CGREG: 2,%d,\"2F3A\",\"0C81\"", registration());
        else
            answer("+CGREG: %d,%d", cgreg_mode, registration());
        return RES_OK;
    default:
        return RES_ERROR;
    }
}

/* AT+CGATT, packet-domain attach, asked next: attached. */
static int cgatt(struct req *r)
{
    if (r->form == FORM_READ)
        answer("+CGATT: %d", registration() == 1 || registration() == 5);
    else if (r->form == FORM_TEST)
        answer("+CGATT: (0,1)");
    return RES_OK;
}

/* The PDU typed after AT+CMGS has ended with Ctrl-Z. */
static int submit_pdu(void)
{
    uint8_t pdu[TPDU_MAX + 16];
    const char *why = NULL;
    int n = S.pdu_overflow ? -1 : hex_decode(S.pdu, S.pdu_used, pdu, sizeof pdu);
    if (n < 1 || pdu[0] + 1 + S.pdu_len != n) {
        note("PDU rejected: length does not match AT+CMGS=%d", S.pdu_len);
        return cms(304);
    }
    struct submit *m = malloc(sizeof *m);
    if (!m)
        return cms(500);
    if (submit_decode(pdu + pdu[0] + 1, (size_t)S.pdu_len, m, &why) < 0) {
        note("PDU rejected: %s", why);
        free(m);
        return cms(304);
    }
    char p[PATH_MAX], buf[64];
    path_of(p, sizeof p, "faults/cms_error");
    if (read_file(p, buf, sizeof buf) >= 0) {
        int code = 500, count = 1;
        sscanf(buf, "%d %d", &code, &count);
        if (count > 0) {
            if (count - 1 > 0) {
                int k = snprintf(buf, sizeof buf, "%d %d\n", code, count - 1);
                write_file(p, buf, (size_t)k);
            } else {
                unlink(p);
            }
            free(m);
            return cms(code);
        }
        unlink(p);
    }
    int mr = next_mr();
    size_t cap = 2 * TEXT_MAX + 2 * sizeof pdu + 512;
    char *line = malloc(cap), udh[2 * UD_MAX + 1], ref[16] = "", part[16] = "", total[16] = "";
    if (!line) {
        free(m);
        return cms(500);
    }
    hex_encode(m->udh, (size_t)m->udh_len, udh);
    if (m->ref >= 0) {
        snprintf(ref, sizeof ref, "%d", m->ref);
        snprintf(part, sizeof part, "%d", m->part);
        snprintf(total, sizeof total, "%d", m->total);
    }
    int k =
        snprintf(line, cap, "mr=%d\tto=%s\tcoding=%s\tudh=%s\tref=%s\tpart=%s\ttotal=%s\ttext=", mr,
                 m->to, coding_names[m->coding], udh, ref, part, total);
    hex_encode((const uint8_t *)m->text, m->text_len, line + k);
    k += (int)(2 * m->text_len);
    k += snprintf(line + k, cap - (size_t)k, "\tpdu=%.*s\tcmgs_t=%.3f\tt=%.3f\n", (int)S.pdu_used,
                  S.pdu, S.cmgs_t, wall_ms());
    log_line("sent.log", line, (size_t)k);
    free(line);
    if (m->srr)
        report_schedule(mr, m->to);
    loopback(m, mr);
    free(m);
    answer("+CMGS: %d", mr);
    return RES_OK;
}

/* USSD text in the active character set, as a modem would print it; the ussd_charset fault
 * makes it print in another one (GSM: the text as it is, UCS2: UCS-2 hex, PDU7: GSM 7-bit
 * packed hex, as modems that need ENCODED_USSD do), whatever +CSCS says. */
static void ussd_encode(const char *text, char *out, size_t cap)
{
    char p[PATH_MAX], forced[16] = "";
    path_of(p, sizeof p, "faults/ussd_charset");
    if (read_file(p, forced, sizeof forced) < 0)
        forced[0] = '\0';
    forced[strcspn(forced, "\r\n")] = '\0';
    const char *set = forced[0] ? forced : strcmp(S.charset, "UCS2") == 0 ? "UCS2" : "GSM";
    if (strcmp(set, "PDU7") == 0) {
        uint8_t sept[512], packed[512] = {0};
        int n = gsm7_from_utf8(text, strlen(text), sept, sizeof sept);
        if (n < 0 || (size_t)((n * 7 + 7) / 8 * 2 + 1) > cap)
            n = 0;
        pack7(sept, (size_t)n, packed, 0);
        hex_encode(packed, (size_t)(n * 7 + 7) / 8, out);
        return;
    }
    if (strcmp(set, "UCS2") != 0) {
        snprintf(out, cap, "%s", text);
        return;
    }
    uint8_t u[512];
    int n = ucs2_from_utf8(text, strlen(text), u, sizeof u);
    if (n < 0 || (size_t)(2 * n + 1) > cap)
        n = 0;
    hex_encode(u, (size_t)n, out);
}

static int c_cusd(struct req *r)
{
    switch (r->form) {
    case FORM_TEST:
        answer("+CUSD: (0-2)");
        return RES_OK;
    case FORM_READ:
        answer("+CUSD: 1");
        return RES_OK;
    case FORM_SET:
        break;
    default:
        return RES_ERROR;
    }
    if (r->argc < 2)
        return RES_OK; /* presentation on/off, or cancel */
    /* The code arrives in the active character set. */
    char code[ARG_LEN];
    snprintf(code, sizeof code, "%s", r->argv[1]);
    if (strcmp(S.charset, "UCS2") == 0) {
        uint8_t u[ARG_LEN];
        int n = hex_decode(r->argv[1], strlen(r->argv[1]), u, sizeof u);
        size_t used = 0;
        if (n >= 0)
            ucs2_to_utf8(u, (size_t)n, code, &used, sizeof code);
    }
    char p[PATH_MAX], text[512], enc[2048], line[ARG_LEN + 16];
    path_of(p, sizeof p, "ussd.log");
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        int k = snprintf(line, sizeof line, "code=%s\n", code);
        ssize_t w = write(fd, line, (size_t)k);
        (void)w;
        close(fd);
    }
    if (fault_exists("ussd_silent"))
        return RES_OK; /* the network never answers */
    long status = fault_number("ussd_status", -1);
    if (status >= 0) {
        answer_after("\r\n+CUSD: %ld\r\n", status);
        return RES_OK;
    }
    path_of(p, sizeof p, "ussd_reply");
    if (read_file(p, text, sizeof text) < 0)
        snprintf(text, sizeof text, "%s", USSD_DEFAULT);
    text[strcspn(text, "\r\n")] = '\0';
    ussd_encode(text, enc, sizeof enc);
    answer_after("\r\n+CUSD: 0,\"%s\",15\r\n", enc);
    return RES_OK;
}

static int c_cmee(struct req *r)
{
    if (r->form == FORM_READ)
        answer("+CMEE: 1");
    else if (r->form == FORM_TEST)
        answer("+CMEE: (0-2)");
    return RES_OK;
}

static int c_cfun(struct req *r)
{
    if (r->form == FORM_READ)
        answer("+CFUN: 1");
    else if (r->form == FORM_TEST)
        answer("+CFUN: (0,1),(0,1)");
    else if (r->form == FORM_SET)
        cfun_set(r->args);
    return RES_OK;
}

static int c_csms(struct req *r)
{
    if (r->form == FORM_READ)
        answer("+CSMS: 0,1,1,1");
    else if (r->form == FORM_TEST)
        answer("+CSMS: (0,1)");
    else if (r->form == FORM_SET)
        answer("+CSMS: 1,1,1");
    return RES_OK;
}

static const struct command {
    const char *name; /* after "AT", upper case */
    int (*fn)(struct req *);
} commands[] = {
    {"+CGMI", c_cgmi},  {"+GMI", c_cgmi},   {"+CGMM", c_cgmm},  {"+GMM", c_cgmm},
    {"+CGMR", c_cgmr},  {"+GMR", c_cgmr},   {"+CGSN", c_cgsn},  {"+GSN", c_cgsn},
    {"+CIMI", c_cimi},  {"+CPIN", c_cpin},  {"+CSQ", c_csq},    {"+CREG", c_creg},
    {"+COPS", c_cops},  {"+CSCS", c_cscs},  {"+CMGF", c_cmgf},  {"+CSCA", c_csca},
    {"+CPMS", c_cpms},  {"+CNMI", c_cnmi},  {"+CMGR", c_cmgr},  {"+CMGL", c_cmgl},
    {"+CMGD", c_cmgd},  {"+CMGS", c_cmgs},  {"+CUSD", c_cusd},  {"+CMEE", c_cmee},
    {"+CFUN", c_cfun},  {"+CSMS", c_csms},  {"+CLIP", ok_only}, {"+CRC", ok_only},
    {"+CSDH", ok_only}, {"+CMMS", ok_only}, {"+CGREG", cgreg},  {"+CGATT", cgatt},
};

/* Basic (V.250) commands: a chain of letters with optional numbers, e.g. "E1V1Q0", "&F", "I". */
static int basic_commands(const char *s)
{
    while (*s) {
        char c = (char)toupper((unsigned char)*s++);
        if (c == '&') {
            if (!*s)
                return RES_ERROR;
            s++;
        } else if (c == 'S') {
            while (isdigit((unsigned char)*s))
                s++;
            if (*s == '?') {
                s++;
                answer("000");
                continue;
            }
            if (*s == '=')
                s++;
        } else if (c == 'I') {
            answer("Kentongan ATSIM-1\r\nRevision: 1.0.0");
        } else if (c == 'E') {
            S.echo = *s != '0';
        } else if (c == 'Z') {
            S.echo = 1;
        } else if (!strchr("VQXLMHD", c)) {
            return RES_ERROR;
        }
        while (isdigit((unsigned char)*s))
            s++;
    }
    return RES_OK;
}

static int dispatch(const char *line)
{
    if (strncasecmp(line, "AT", 2) != 0)
        return RES_ERROR;
    const char *s = line + 2;
    if (*s != '+' && *s != '^')
        return basic_commands(s);
    size_t nlen = strcspn(s, "=?");
    char name[32];
    if (nlen >= sizeof name)
        return RES_ERROR;
    for (size_t i = 0; i < nlen; i++)
        name[i] = (char)toupper((unsigned char)s[i]);
    name[nlen] = '\0';
    struct req *r = calloc(1, sizeof *r);
    if (!r)
        return RES_ERROR;
    const char *rest = s + nlen;
    if (rest[0] == '=' && rest[1] == '?')
        r->form = FORM_TEST;
    else if (rest[0] == '?')
        r->form = FORM_READ;
    else if (rest[0] == '=') {
        r->form = FORM_SET;
        r->args = rest + 1;
        r->argc = split_args(r->args, r->argv);
    } else
        r->form = FORM_EXEC;
    int res = RES_ERROR;
    if (r->form != FORM_TEST && sim_command(name) && sim_fault_cme()) {
        res = cme(sim_fault_cme());
        free(r);
        return res;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            res = commands[i].fn(r);
            break;
        }
    }
    free(r);
    return res;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (!stop_flag && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Writes the answer built by a handler, with its final result, honouring slow and noise. */
static void finish(int res)
{
    if (res == RES_NONE) {
        S.out_used = S.after_used = 0;
        return;
    }
    long slow = fault_number("slow", 0);
    if (slow > 0)
        sleep_ms(slow);
    char fin[64];
    switch (res) {
    case RES_OK:
        snprintf(fin, sizeof fin, "\r\nOK\r\n");
        break;
    case RES_CMS:
        snprintf(fin, sizeof fin, "\r\n+CMS ERROR: %d\r\n", S.err_code);
        break;
    case RES_CME:
        snprintf(fin, sizeof fin, "\r\n+CME ERROR: %d\r\n", S.err_code);
        break;
    case RES_PROMPT:
        snprintf(fin, sizeof fin, "\r\n> ");
        break;
    default:
        snprintf(fin, sizeof fin, "\r\nERROR\r\n");
        break;
    }
    if (res == RES_OK && fault_exists("noise")) {
        char p[PATH_MAX], buf[256];
        path_of(p, sizeof p, "faults/noise");
        if (read_file(p, buf, sizeof buf) < 0)
            buf[0] = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
        if (!buf[0])
            snprintf(buf, sizeof buf, "%s", S.noise_flip++ % 2 ? "RING" : "+CREG: 1");
        answer("%s", buf);
    }
    size_t n = strlen(fin);
    if (S.out_used + n < sizeof S.out) {
        memcpy(S.out + S.out_used, fin, n);
        S.out_used += n;
    }
    emit(S.out, S.out_used);
    emit(S.after, S.after_used);
    S.out_used = S.after_used = 0;
    S.answered = 1;
}

static void command_line(void)
{
    char *line = S.line;
    size_t len = S.line_used;
    S.line_used = 0;
    line[len] = '\0';
    int overflow = S.line_overflow;
    S.line_overflow = 0;
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        line[--len] = '\0';
    while (*line == ' ' || *line == '\t')
        line++, len--;
    if (len == 0)
        return; /* a bare CR is no command */
    tlog(">", line, len);
    if (fault_exists("hang")) {
        note("hang: command dropped");
        return;
    }
    if (S.echo) {
        char e[LINE_MAX_LEN + 2];
        int n = snprintf(e, sizeof e, "%s\r", line);
        emit(e, (size_t)n);
    }
    S.out_used = S.after_used = 0;
    finish(overflow ? RES_ERROR : dispatch(line));
}

/* Feeds bytes from the line into the command or PDU state machine. */
static void feed(const char *buf, size_t n)
{
    for (size_t i = 0; i < n && !stop_flag; i++) {
        char c = buf[i];
        if (S.in_pdu) {
            if (c == 0x1A || c == 0x1B) {
                if (S.echo && S.pdu_used > 0)
                    emit(S.pdu, S.pdu_used);
                S.in_pdu = 0;
                tlog(">", S.pdu, S.pdu_used);
                if (c == 0x1B) {
                    note("PDU entry cancelled");
                    continue;
                }
                if (fault_exists("hang")) {
                    note("hang: PDU dropped");
                    continue;
                }
                if (fault_exists("wedged")) {
                    note("wedged: PDU taken, never answered");
                    continue;
                }
                S.out_used = S.after_used = 0;
                finish(submit_pdu());
            } else if (isxdigit((unsigned char)c)) {
                if (S.pdu_used < PDU_HEX_MAX)
                    S.pdu[S.pdu_used++] = c;
                else
                    S.pdu_overflow = 1;
            }
            continue;
        }
        if (c == '\r') {
            command_line();
        } else if (c == 0x1B) {
            S.line_used = 0; /* escape: abandon the line being typed */
        } else if (c == '\b') {
            if (S.line_used > 0)
                S.line_used--;
        } else if (c == '\n' || c == 0x1A || c == '\0') {
            /* ignored */
        } else if (S.line_used < LINE_MAX_LEN) {
            S.line[S.line_used++] = c;
        } else {
            S.line_overflow = 1;
        }
    }
}

/* ---------------------------------------------------------------- main */

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: atsim --state DIR [--quiet]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--quiet") == 0)
            S.quiet = 1;
        else
            usage();
    }
    if (!dir || strlen(dir) >= sizeof S.dir)
        usage();
    snprintf(S.dir, sizeof S.dir, "%s", dir);
    static const char *const subdirs[] = {"", "/inbox", "/faults", "/sim", "/rejected"};
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s", S.dir, subdirs[i]);
        if (mkdir_p(p) < 0) {
            fprintf(stderr, "atsim: cannot create %s: %s\n", p, strerror(errno));
            return 1;
        }
    }
    S.echo = 1;
    S.log_fd = -1;
    snprintf(S.charset, sizeof S.charset, "IRA");
    snprintf(S.cnmi, sizeof S.cnmi, "0,0,0,0,0");
    if (!S.quiet) {
        char p[PATH_MAX];
        path_of(p, sizeof p, "atsim.log");
        S.log_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    }
    note("start pid=%d", (int)getpid());

    /* Signals only set a flag; they are unblocked only inside ppoll, so none is lost. */
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &orig);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout shows up as EPIPE from write */

    S.notify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (S.notify_fd >= 0) {
        char p[PATH_MAX];
        path_of(p, sizeof p, "inbox");
        int ok = inotify_add_watch(S.notify_fd, p, IN_MOVED_TO | IN_CLOSE_WRITE) >= 0;
        path_of(p, sizeof p, "faults");
        ok = ok && inotify_add_watch(S.notify_fd, p,
                                     IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE) >= 0;
        if (!ok) {
            close(S.notify_fd);
            S.notify_fd = -1;
        }
    }
    S.inbox_dirty = 1;

    char buf[4096];
    while (!stop_flag) {
        long next_report = nreports > 0 ? reports_due() : -1;
        if (S.answered && !S.in_pdu && (S.inbox_dirty || S.notify_fd < 0) &&
            !fault_exists("hang")) {
            S.inbox_dirty = 0;
            inbox_scan();
        }
        struct pollfd pfd[2] = {{STDIN_FILENO, POLLIN, 0}, {S.notify_fd, POLLIN, 0}};
        struct timespec fallback = {0, POLL_FALLBACK_MS * 1000000L};
        struct timespec until_report = {next_report / 1000, (next_report % 1000) * 1000000L};
        const struct timespec *timeout = S.notify_fd >= 0 ? NULL : &fallback;
        if (next_report >= 0 && (timeout == NULL || next_report < POLL_FALLBACK_MS))
            timeout = &until_report;
        int r = ppoll(pfd, S.notify_fd >= 0 ? 2 : 1, timeout, &orig);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[0].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break; /* EOF: the connection is closed */
            feed(buf, (size_t)n);
        }
        if (S.notify_fd >= 0 && pfd[1].revents) {
            char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
            while (read(S.notify_fd, ev, sizeof ev) > 0)
                ;
            S.inbox_dirty = 1;
        }
    }
    note("exit%s", stop_flag ? " (signal or broken pipe)" : " (end of input)");
    if (S.notify_fd >= 0)
        close(S.notify_fd);
    if (S.log_fd >= 0)
        close(S.log_fd);
    return 0;
}
