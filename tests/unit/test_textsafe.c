/*
 * Unit tests for gateway/textsafe (what inbound text loses at the edge, how printed text is
 * escaped) and for the log lines built on it (gateway/log: one event is one line, values
 * from outside are quoted, NIK masked, no raw ESC), read back from a file put in place of
 * stderr.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/log.h"
#include "gateway/textsafe.h"

static void cleans(const char *in, const char *want)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", in);
    size_t n = textsafe_clean(buf);
    cr_assert_str_eq(buf, want, "clean(\"%s\")", in);
    cr_assert_eq(n, strlen(want));
    cr_assert_eq(textsafe_is_clean(buf), 1, "clean output is clean: \"%s\"", buf);
    cr_assert_eq(textsafe_is_clean(in), strcmp(in, want) == 0, "is_clean(\"%s\")", in);
}

Test(textsafe, clean_keeps_text)
{
    cleans("", "");
    cleans("LAPOR jalan rusak di desa Kalisalak", "LAPOR jalan rusak di desa Kalisalak");
    cleans("baris satu\nbaris dua", "baris satu\nbaris dua");
    cleans("caf\xC3\xA9 \xE2\x80\xA6 \xF0\x9F\x99\x8F",
           "caf\xC3\xA9 \xE2\x80\xA6 \xF0\x9F\x99\x8F");
    /* marks that reorder nothing beyond a neighbour stay (Arabic needs them) */
    cleans("a\xE2\x80\x8F"
           "b",
           "a\xE2\x80\x8F"
           "b");
    cr_assert_eq(textsafe_clean(NULL), 0);
}

Test(textsafe, clean_removes_controls)
{
    cleans("\x1b[31mmerah\x1b[0m", "[31mmerah[0m");
    cleans("a\x01\x02\x07\x08\x0b\x0c\x1f"
           "b",
           "ab");
    cleans("a\x7f"
           "b",
           "ab");
    /* line breaks: CR LF and CR become LF; a tab a space */
    cleans("a\r\nb\rc\n", "a\nb\nc\n");
    cleans("a\tb", "a b");
    /* C1 controls U+0080..U+009F, as UTF-8 */
    cleans("a\xC2\x80"
           "b\xC2\x9B"
           "31m\xC2\x9F",
           "ab31m");
    /* bidi embeddings, overrides and isolates */
    cleans("a\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD\xE2\x80\xAE"
           "b",
           "ab");
    cleans("a\xE2\x81\xA6\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9"
           "b",
           "ab");
    cleans("tiket \xE2\x80\xAE"
           "7100001",
           "tiket 7100001");
    /* a sender that once split a log line */
    cleans("\nx=1", "\nx=1");
    cleans("\r\nx=1", "\nx=1");
    /* bytes that are not UTF-8 become '?' (never longer) */
    cleans("a\xFF"
           "b\xC3",
           "a?b?");
    cleans("\xC0\xAF", "??");      /* overlong '/' */
    cleans("\xED\xA0\x80", "???"); /* a surrogate */
    cleans("\xE2\x80", "??");      /* truncated */
}

Test(textsafe, clean_line)
{
    char s[64] = "\nx=1";
    cr_assert_eq(textsafe_clean_line(s), 3);
    cr_assert_str_eq(s, "x=1");
    snprintf(s, sizeof s,
             "BANK\r\nBRI\t\x1b[0m\xE2\x80\xAE"
             "x");
    textsafe_clean_line(s);
    cr_assert_str_eq(s, "BANKBRI [0mx");
    cr_assert_eq(textsafe_clean_line(NULL), 0);
}

static void escapes(const char *in, int flags, const char *want)
{
    char buf[512];
    memset(buf, 'X', sizeof buf);
    size_t n = textsafe_escape(in, buf, sizeof buf, flags);
    cr_assert_str_eq(buf, want, "escape(\"%s\", %d)", in, flags);
    cr_assert_eq(n, strlen(want));
    cr_assert_leq(n, TEXTSAFE_GROWTH * strlen(in ? in : ""));
}

Test(textsafe, escape)
{
    escapes("", 0, "");
    escapes(NULL, 0, "");
    escapes("plain text 123", 0, "plain text 123");
    escapes("a\nb\rc\td", 0, "a\\nb\\rc\\td");
    escapes("\x1b[2J", 0, "\\u001b[2J");
    escapes("\x7f", 0, "\\u007f");
    escapes("\xC2\x9B"
            "31m",
            0, "\\u009b31m");
    escapes("\xE2\x80\xAE"
            "abc",
            0, "\\u202eabc");
    escapes("\xE2\x81\xA9", 0, "\\u2069");
    escapes("caf\xC3\xA9", 0, "caf\xC3\xA9");
    escapes("a\xFF"
            "b",
            0, "a\\xffb");
    escapes("a\xFF"
            "b",
            TEXTSAFE_JSON, "a\\ufffdb");
    /* quotes and backslashes only when asked */
    escapes("say \"hi\" \\o/", 0, "say \"hi\" \\o/");
    escapes("say \"hi\" \\o/", TEXTSAFE_QUOTES, "say \\\"hi\\\" \\\\o/");
    /* worst case growth */
    escapes("\x01", 0, "\\u0001");
}

Test(textsafe, escape_never_cuts_an_escape)
{
    char buf[8];
    cr_assert_eq(textsafe_escape("ab\x1b"
                                 "c",
                                 buf, 8, 0),
                 2);
    cr_assert_str_eq(buf, "ab"); /* "ab\u001b" needs 8 + NUL */
    cr_assert_eq(textsafe_escape("a\x1b", buf, 8, 0), 7);
    cr_assert_str_eq(buf, "a\\u001b");
    cr_assert_eq(textsafe_escape("ab\xE2\x80\xA6", buf, 5, 0), 2);
    cr_assert_str_eq(buf, "ab");
    cr_assert_eq(textsafe_escape("abc", buf, 0, 0), 0);
    cr_assert_eq(textsafe_escape("abc", buf, 1, 0), 0);
    cr_assert_str_eq(buf, "");
}

/* ---- log lines ---- */

static char logpath[64];
static int saved_stderr = -1;

static void log_capture(void)
{
    snprintf(logpath, sizeof logpath, "/tmp/kt-textsafe-%d.log", (int)getpid());
    int fd = open(logpath, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    cr_assert_geq(fd, 0);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    log_init("test", LOG_INFO);
}

static void log_release(void)
{
    if (saved_stderr >= 0) {
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        saved_stderr = -1;
    }
    unlink(logpath);
}

/* The captured log: its lines into lines[] (up to max), their number returned. */
static int log_lines(char *buf, size_t len, char **lines, int max)
{
    FILE *f = fopen(logpath, "r");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    int k = 0;
    for (char *p = buf; *p && k < max;) {
        lines[k++] = p;
        char *nl = strchr(p, '\n');
        cr_assert_not_null(nl, "every line ends with a newline");
        *nl = '\0';
        p = nl + 1;
    }
    return k;
}

TestSuite(log, .init = log_capture, .fini = log_release);

Test(log, one_event_one_line)
{
    char v[64], phone[64];
    log_info("event=a from=%s", log_phone("\nx=1", phone, sizeof phone));
    log_info("event=b text=%s", "satu\ndua\r\ntiga"); /* a caller that forgot log_value */
    log_info("event=c text=\"%s\"", "\x1b]0;owned\x07\x1b[2J\xC2\x9B"
                                    "31m\xE2\x80\xAE"
                                    "abc");
    log_info("event=d value=%s", log_value("BANK BRI \"promo\"\n", v, sizeof v));
    log_info("event=e value=%s empty=%s", log_value("plain-1.2:3", v, sizeof v),
             log_value("", phone, sizeof phone));
    char buf[4096], *lines[16];
    int n = log_lines(buf, sizeof buf, lines, 16);
    cr_assert_eq(n, 5, "five events, five lines");
    cr_assert(strstr(lines[0], "event=a from=\"\\nx=1\"") != NULL, "%s", lines[0]);
    cr_assert(strstr(lines[1], "event=b text=satu\\ndua\\r\\ntiga") != NULL, "%s", lines[1]);
    cr_assert(strstr(lines[2], "\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m\\u202eabc") != NULL,
              "%s", lines[2]);
    cr_assert(strstr(lines[3], "value=\"BANK BRI \\\"promo\\\"\\n\"") != NULL, "%s", lines[3]);
    cr_assert(strstr(lines[4], "value=plain-1.2:3 empty=\"\"") != NULL, "%s", lines[4]);
    for (int i = 0; i < n; i++) {
        cr_assert_null(strchr(lines[i], '\x1b'), "no raw ESC: %s", lines[i]);
        cr_assert_null(strchr(lines[i], '\r'), "no raw CR: %s", lines[i]);
        cr_assert_null(strstr(lines[i], "\xC2\x9B"), "no raw C1: %s", lines[i]);
        cr_assert_null(strstr(lines[i], "\xE2\x80\xAE"), "no raw RLO: %s", lines[i]);
    }
}

Test(log, nik_masked_stream_ids_kept)
{
    log_info("event=a note=%s", "NIK 3325/0101/0101/0002");
    log_info("event=b id=1764300000000-15 text=\"3325 0101  0101 0003\" other=1764300000000-1234");
    log_info("event=c id=1764300000000-0 modem=dummy");
    char buf[4096], *lines[8];
    int n = log_lines(buf, sizeof buf, lines, 8);
    cr_assert_eq(n, 3);
    cr_assert(strstr(lines[0], "note=NIK ************0002") != NULL, "%s", lines[0]);
    cr_assert(strstr(lines[1], "id=1764300000000-15 text=\"************0003\" "
                               "other=1764300000000-1234") != NULL,
              "%s", lines[1]);
    cr_assert(strstr(lines[2], "id=1764300000000-0 modem=dummy") != NULL, "%s", lines[2]);
}

Test(log, long_line_stays_one_line)
{
    static char big[5000];
    memset(big, '\n', sizeof big - 1);
    log_info("event=big text=%s", big);
    char buf[8192], *lines[4];
    int n = log_lines(buf, sizeof buf, lines, 4);
    cr_assert_eq(n, 1);
    cr_assert(strstr(lines[0], "event=big text=\\n\\n") != NULL);
}
