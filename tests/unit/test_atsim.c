/*
 * The AT modem simulator (tests/atsim) driven by the real libgammu through a proxyat
 * connection: what the integration tests rely on — receiving, deleting, sending (single and
 * concatenated), send failures reported through the send-status callback, +CMTI
 * notifications and USSD — is checked here once, against Gammu itself.
 *
 * The simulator is found in $KT_BUILD (default "build", relative to the working directory);
 * the tests are skipped when it has not been built.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <gammu.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/atsim_ctl.h"

#define WAIT_SECONDS 10.0 /* how long to wait for a callback before declaring it lost */

struct modem {
    char dir[256];
    INI_Section *cfg;
    GSM_StateMachine *s;
    int incoming_count, incoming_location, incoming_folder;
    int status_count, status, status_ref;
    int ussd_count;
    char ussd_text[512];
};

static struct modem M;

static void on_incoming_sms(GSM_StateMachine *s, GSM_SMSMessage *sms, void *user)
{
    (void)s;
    struct modem *m = user;
    /* Only record: libgammu must not be called from inside its own callback. */
    m->incoming_count++;
    m->incoming_location = sms->Location;
    m->incoming_folder = sms->Folder;
}

static void on_send_status(GSM_StateMachine *s, int status, int ref, void *user)
{
    (void)s;
    struct modem *m = user;
    m->status_count++;
    m->status = status;
    m->status_ref = ref;
}

static void on_ussd(GSM_StateMachine *s, GSM_USSDMessage *ussd, void *user)
{
    (void)s;
    struct modem *m = user;
    m->ussd_count++;
    EncodeUTF8(m->ussd_text, ussd->Text);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Lets libgammu read the line until *counter reaches target. GSM_ReadDevice(s, TRUE) returns as
 * soon as something arrives, else after about a second. Returns 1 if reached. */
static int wait_for(const int *counter, int target)
{
    double end = now() + WAIT_SECONDS;
    while (*counter < target && now() < end)
        GSM_ReadDevice(M.s, TRUE);
    return *counter >= target;
}

/* Starts a simulator in a fresh directory and connects libgammu to it. */
static void modem_open(void)
{
    const char *build = getenv("KT_BUILD");
    char atsim[PATH_MAX], abs[PATH_MAX], rc[PATH_MAX], device[2 * PATH_MAX + 16];
    snprintf(atsim, sizeof atsim, "%s/atsim", build && *build ? build : "build");
    if (!realpath(atsim, abs) || access(abs, X_OK) != 0)
        cr_skip_test("simulator not built: %s (make build/atsim)", atsim);

    memset(&M, 0, sizeof M);
    snprintf(M.dir, sizeof M.dir, "/tmp/kt-atsim-XXXXXX");
    cr_assert_not_null(mkdtemp(M.dir), "mkdtemp: %s", strerror(errno));
    cr_assert_eq(atsim_init_dir(M.dir), 0);
    cr_assert_eq(atsim_device(abs, M.dir, device, sizeof device), 0);

    snprintf(rc, sizeof rc, "%s/gammurc", M.dir);
    FILE *f = fopen(rc, "w");
    cr_assert_not_null(f);
    fprintf(f, "[gammu]\nmodel = at\nconnection = proxyat\ndevice = %s\n", device);
    fclose(f);

    cr_assert_eq(INI_ReadFile(rc, FALSE, &M.cfg), ERR_NONE);
    M.s = GSM_AllocStateMachine();
    cr_assert_not_null(M.s);
    cr_assert_eq(GSM_ReadConfig(M.cfg, GSM_GetConfig(M.s, 0), 0), ERR_NONE);
    GSM_SetConfigNum(M.s, 1);
    GSM_Error err = GSM_InitConnection(M.s, 1);
    cr_assert_eq(err, ERR_NONE, "GSM_InitConnection: %s", GSM_ErrorString(err));
    GSM_SetIncomingSMSCallback(M.s, on_incoming_sms, &M);
    GSM_SetSendSMSStatusCallback(M.s, on_send_status, &M);
    GSM_SetIncomingUSSDCallback(M.s, on_ussd, &M);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void modem_close(void)
{
    if (M.s) {
        if (GSM_IsConnected(M.s))
            GSM_TerminateConnection(M.s);
        GSM_FreeStateMachine(M.s);
        M.s = NULL;
    }
    if (M.cfg) {
        INI_Free(M.cfg);
        M.cfg = NULL;
    }
    /* libgammu signals the proxyat child (SIGHUP) but never reaps it. */
    for (int i = 0; i < 100 && waitpid(-1, NULL, WNOHANG) == 0; i++)
        usleep(10000);
    if (M.dir[0])
        nftw(M.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    M.dir[0] = '\0';
}

TestSuite(atsim, .fini = modem_close, .timeout = 60);

/* Reads every message on the modem into msgs (heap, n entries); returns the count. */
static int read_all(GSM_MultiSMSMessage *msgs, int n)
{
    GSM_MultiSMSMessage *cur = calloc(1, sizeof *cur);
    cr_assert_not_null(cur);
    int count = 0;
    for (gboolean start = TRUE;; start = FALSE) {
        GSM_Error err = GSM_GetNextSMS(M.s, cur, start);
        if (err == ERR_EMPTY)
            break;
        cr_assert_eq(err, ERR_NONE, "GSM_GetNextSMS: %s", GSM_ErrorString(err));
        if (count < n)
            msgs[count] = *cur;
        count++;
    }
    free(cur);
    return count;
}

static void utf8_of(const unsigned char *gammu_text, char *out)
{
    EncodeUTF8(out, gammu_text);
}

static void fill_submit(GSM_SMSMessage *sms, const char *to)
{
    GSM_SetDefaultSMSData(sms);
    GSM_SMSC smsc;
    memset(&smsc, 0, sizeof smsc);
    smsc.Location = 1;
    cr_assert_eq(GSM_GetSMSC(M.s, &smsc), ERR_NONE);
    CopyUnicodeString(sms->SMSC.Number, smsc.Number);
    sms->SMSC.Location = 0;
    DecodeUTF8(sms->Number, to, strlen(to));
    sms->PDU = SMS_Submit;
}

static void send_text(const char *to, const char *text, GSM_Coding_Type coding)
{
    GSM_SMSMessage *sms = calloc(1, sizeof *sms);
    cr_assert_not_null(sms);
    fill_submit(sms, to);
    sms->Coding = coding;
    DecodeUTF8(sms->Text, text, strlen(text));
    GSM_Error err = GSM_SendSMS(M.s, sms);
    cr_assert_eq(err, ERR_NONE, "GSM_SendSMS: %s", GSM_ErrorString(err));
    free(sms);
}

Test(atsim, receive_gsm7)
{
    modem_open();
    const char *text = "Halo {Batang} €5 [ok] ~|^\\ @£$\nbaris dua";
    cr_assert_eq(atsim_deliver(M.dir, "+6281234567890", text, NULL, NULL), 0);
    cr_assert_eq(atsim_deliver(M.dir, "TELKOMSEL", "Paket data aktif", NULL, NULL), 0);

    GSM_MultiSMSMessage *msgs = calloc(4, sizeof *msgs);
    cr_assert_not_null(msgs);
    cr_assert_eq(read_all(msgs, 4), 2);
    char buf[2048];
    GSM_SMSMessage *a = &msgs[0].SMS[0], *b = &msgs[1].SMS[0];
    utf8_of(a->Number, buf);
    cr_expect_str_eq(buf, "+6281234567890");
    utf8_of(a->Text, buf);
    cr_expect_str_eq(buf, text);
    cr_expect_eq(a->Coding, SMS_Coding_Default_No_Compression);
    cr_expect_eq(a->State, SMS_UnRead);
    utf8_of(b->Number, buf);
    cr_expect_str_eq(buf, "TELKOMSEL");
    utf8_of(b->Text, buf);
    cr_expect_str_eq(buf, "Paket data aktif");
    cr_expect_eq(atsim_inbox_count(M.dir), 0, "inbox files must be consumed");
    free(msgs);
}

Test(atsim, receive_ucs2_emoji)
{
    modem_open();
    const char *text = "Terima kasih 🙏😀 — jalan rusak di Warungasem";
    cr_assert_eq(atsim_deliver(M.dir, "+6285712345678", text, NULL, NULL), 0);

    GSM_MultiSMSMessage *msgs = calloc(2, sizeof *msgs);
    cr_assert_not_null(msgs);
    cr_assert_eq(read_all(msgs, 2), 1);
    char buf[2048];
    utf8_of(msgs[0].SMS[0].Number, buf);
    cr_expect_str_eq(buf, "+6285712345678");
    utf8_of(msgs[0].SMS[0].Text, buf);
    cr_expect_str_eq(buf, text);
    cr_expect_eq(msgs[0].SMS[0].Coding, SMS_Coding_Unicode_No_Compression);
    free(msgs);
}

Test(atsim, receive_concatenated_part)
{
    modem_open();
    cr_assert_eq(atsim_deliver(M.dir, "+628111", "bagian satu", "050003A70201", NULL), 0);

    GSM_MultiSMSMessage *msgs = calloc(2, sizeof *msgs);
    cr_assert_not_null(msgs);
    cr_assert_eq(read_all(msgs, 2), 1);
    GSM_SMSMessage *p = &msgs[0].SMS[0];
    char buf[2048];
    utf8_of(p->Text, buf);
    cr_expect_str_eq(buf, "bagian satu");
    cr_expect_eq(p->UDH.Type, UDH_ConcatenatedMessages);
    cr_expect_eq(p->UDH.ID8bit, 0xA7);
    cr_expect_eq(p->UDH.AllParts, 2);
    cr_expect_eq(p->UDH.PartNumber, 1);
    free(msgs);
}

Test(atsim, delete)
{
    modem_open();
    cr_assert_eq(atsim_deliver(M.dir, "+628111", "satu", NULL, NULL), 0);
    cr_assert_eq(atsim_deliver(M.dir, "+628222", "dua", NULL, NULL), 0);

    GSM_MultiSMSMessage *msgs = calloc(4, sizeof *msgs);
    cr_assert_not_null(msgs);
    cr_assert_eq(read_all(msgs, 4), 2);
    cr_assert_eq(atsim_sim_count(M.dir), 2);
    GSM_Error err = GSM_DeleteSMS(M.s, &msgs[0].SMS[0]);
    cr_assert_eq(err, ERR_NONE, "GSM_DeleteSMS: %s", GSM_ErrorString(err));
    cr_expect_eq(atsim_sim_count(M.dir), 1);

    cr_assert_eq(read_all(msgs, 4), 1);
    char buf[256];
    utf8_of(msgs[0].SMS[0].Text, buf);
    cr_expect_str_eq(buf, "dua");
    free(msgs);
}

Test(atsim, incoming_notification)
{
    modem_open();
    GSM_Error err = GSM_SetIncomingSMS(M.s, TRUE);
    cr_assert_eq(err, ERR_NONE, "GSM_SetIncomingSMS: %s", GSM_ErrorString(err));
    cr_assert_eq(atsim_deliver(M.dir, "+6281234567890", "LAPOR jalan rusak", NULL, NULL), 0);
    cr_assert(wait_for(&M.incoming_count, 1), "no +CMTI callback");
    cr_expect_eq(M.incoming_location, 1);

    /* Read it after the callback returned, as libgammu requires. */
    GSM_MultiSMSMessage *msg = calloc(1, sizeof *msg);
    cr_assert_not_null(msg);
    msg->Number = 1;
    msg->SMS[0].Folder = M.incoming_folder;
    msg->SMS[0].Location = M.incoming_location;
    err = GSM_GetSMS(M.s, msg);
    cr_assert_eq(err, ERR_NONE, "GSM_GetSMS: %s", GSM_ErrorString(err));
    char buf[256];
    utf8_of(msg->SMS[0].Text, buf);
    cr_expect_str_eq(buf, "LAPOR jalan rusak");
    free(msg);
}

Test(atsim, duplicate_notification)
{
    modem_open();
    cr_assert_eq(GSM_SetIncomingSMS(M.s, TRUE), ERR_NONE);
    cr_assert_eq(atsim_fault(M.dir, "dup_cmti", 1), 0);
    cr_assert_eq(atsim_deliver(M.dir, "+628111", "dobel", NULL, NULL), 0);
    cr_assert(wait_for(&M.incoming_count, 2), "expected the +CMTI twice, got %d", M.incoming_count);
    cr_expect_eq(M.incoming_location, 1);
    cr_expect_eq(atsim_sim_count(M.dir), 1, "one message, announced twice");
}

Test(atsim, send_text)
{
    modem_open();
    send_text("+6281234567890", "halo dari kentongan", SMS_Coding_Default_No_Compression);
    cr_assert(wait_for(&M.status_count, 1), "no send-status callback");
    cr_expect_eq(M.status, 0);

    struct atsim_sent sent[4];
    cr_assert_eq(atsim_read_sent(M.dir, sent, 4), 1);
    cr_expect_eq(sent[0].mr, M.status_ref, "callback reference %d, modem %d", M.status_ref,
                 sent[0].mr);
    cr_expect_str_eq(sent[0].to, "+6281234567890");
    cr_expect_str_eq(sent[0].coding, "gsm7");
    cr_expect_str_eq(sent[0].text, "halo dari kentongan");
    cr_expect_eq(sent[0].ref, -1);

    send_text("081234567", "Pesan 😀 ñ", SMS_Coding_Unicode_No_Compression);
    cr_assert(wait_for(&M.status_count, 2), "no send-status callback");
    cr_assert_eq(atsim_read_sent(M.dir, sent, 4), 2);
    cr_expect_eq(sent[1].mr, (sent[0].mr + 1) & 0xFF, "references increment");
    cr_expect_str_eq(sent[1].to, "081234567");
    cr_expect_str_eq(sent[1].coding, "ucs2");
    cr_expect_str_eq(sent[1].text, "Pesan 😀 ñ");
}

/* The wall-clock stamps bench_latency measures with: cmti.log per +CMTI, cmgs_t and t in
 * sent.log, in that order and close to the test's own clock. */
Test(atsim, timestamps)
{
    modem_open();
    cr_assert_eq(GSM_SetIncomingSMS(M.s, TRUE), ERR_NONE);
    double before = atsim_now_ms();
    cr_assert_eq(atsim_deliver(M.dir, "+6281200000077", "INFO", NULL, NULL), 0);
    cr_assert(wait_for(&M.incoming_count, 1), "no +CMTI callback");
    struct atsim_cmti c[2];
    cr_assert_eq(atsim_read_cmti(M.dir, c, 2), 1);
    cr_expect_str_eq(c[0].from, "+6281200000077");
    cr_expect_eq(c[0].loc, M.incoming_location);
    cr_expect(strstr(c[0].file, ".msg") != NULL, "inbox file name: %s", c[0].file);
    cr_expect(c[0].t >= before && c[0].t <= atsim_now_ms(), "+CMTI at %.3f, deliver at %.3f",
              c[0].t, before);

    send_text("+6281200000077", "jawaban", SMS_Coding_Default_No_Compression);
    cr_assert(wait_for(&M.status_count, 1), "no send-status callback");
    struct atsim_sent sent[2];
    cr_assert_eq(atsim_read_sent(M.dir, sent, 2), 1);
    cr_expect_str_eq(sent[0].text, "jawaban", "the fields before the stamps still parse");
    cr_expect(sent[0].cmgs_t >= c[0].t, "AT+CMGS at %.3f, +CMTI at %.3f", sent[0].cmgs_t, c[0].t);
    cr_expect(sent[0].t >= sent[0].cmgs_t, "accepted at %.3f, AT+CMGS at %.3f", sent[0].t,
              sent[0].cmgs_t);
    cr_expect(sent[0].t <= atsim_now_ms());
}

Test(atsim, send_concatenated)
{
    modem_open();
    char text[401];
    for (int i = 0; i < 400; i++)
        text[i] = (char)('a' + i % 26);
    text[400] = '\0';
    memcpy(text + 100, "{€}", strlen("{€}")); /* extension characters across the encoder */

    unsigned char *utext = calloc(2, 1024);
    GSM_MultiPartSMSInfo info;
    GSM_MultiSMSMessage *multi = calloc(1, sizeof *multi);
    cr_assert(utext && multi);
    DecodeUTF8(utext, text, strlen(text));
    GSM_ClearMultiPartSMSInfo(&info);
    info.EntriesNum = 1;
    info.Entries[0].ID = SMS_ConcatenatedTextLong;
    info.Entries[0].Buffer = utext;
    cr_assert_eq(GSM_EncodeMultiPartSMS(GSM_GetGlobalDebug(), &info, multi), ERR_NONE);
    cr_assert_eq(multi->Number, 3);

    GSM_SMSMessage *sms = calloc(1, sizeof *sms);
    cr_assert_not_null(sms);
    fill_submit(sms, "+6281234567890");
    for (int i = 0; i < multi->Number; i++) {
        CopyUnicodeString(multi->SMS[i].SMSC.Number, sms->SMSC.Number);
        CopyUnicodeString(multi->SMS[i].Number, sms->Number);
        cr_assert_eq(GSM_SendSMS(M.s, &multi->SMS[i]), ERR_NONE);
        cr_assert(wait_for(&M.status_count, i + 1), "no send-status callback for part %d", i);
        cr_expect_eq(M.status, 0);
    }

    struct atsim_sent sent[4];
    cr_assert_eq(atsim_read_sent(M.dir, sent, 4), 3);
    char joined[1024] = "";
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(sent[i].ref, sent[0].ref);
        cr_expect_neq(sent[i].ref, -1);
        cr_expect_eq(sent[i].part, i + 1);
        cr_expect_eq(sent[i].total, 3);
        cr_expect_str_eq(sent[i].coding, "gsm7");
        strcat(joined, sent[i].text);
    }
    cr_expect_str_eq(joined, text);
    free(sms);
    free(multi);
    free(utext);
}

Test(atsim, send_cms_error)
{
    modem_open();
    cr_assert_eq(atsim_fail_sends(M.dir, 500, 1), 0);
    send_text("+6281234567890", "gagal", SMS_Coding_Default_No_Compression);
    cr_assert(wait_for(&M.status_count, 1), "no send-status callback");
    cr_expect_eq(M.status, 500, "status %d", M.status);
    cr_expect_eq(atsim_read_sent(M.dir, NULL, 0), 0, "a refused message is not sent");

    /* The fault was for one message only. */
    send_text("+6281234567890", "berhasil", SMS_Coding_Default_No_Compression);
    cr_assert(wait_for(&M.status_count, 2), "no send-status callback");
    cr_expect_eq(M.status, 0);
    struct atsim_sent sent[2];
    cr_assert_eq(atsim_read_sent(M.dir, sent, 2), 1);
    cr_expect_str_eq(sent[0].text, "berhasil");
}

/* A submit asking for a status report (PDU type SMS_Status_Report, as `gammu sendsms -report`
 * does) carries TP-SRR; the simulator answers with an SMS-STATUS-REPORT announced by +CDSI,
 * which libgammu reads back with the reference, the recipient and TP-ST. */
static void report_round(const char *mode, int want_status)
{
    cr_assert_eq(atsim_set_reports(M.dir, mode), 0);
    int sent_before = M.status_count, incoming_before = M.incoming_count;
    GSM_SMSMessage *sms = calloc(1, sizeof *sms);
    cr_assert_not_null(sms);
    fill_submit(sms, "+6281234567890");
    sms->PDU = SMS_Status_Report;
    sms->Coding = SMS_Coding_Default_No_Compression;
    DecodeUTF8(sms->Text, "lapor terkirim?", 15);
    cr_assert_eq(GSM_SendSMS(M.s, sms), ERR_NONE);
    free(sms);
    cr_assert(wait_for(&M.status_count, sent_before + 1), "no send-status callback");
    cr_assert_eq(M.status, 0);
    int mr = M.status_ref;
    cr_assert(wait_for(&M.incoming_count, incoming_before + 1), "no +CDSI for the report");

    GSM_MultiSMSMessage *msg = calloc(1, sizeof *msg);
    cr_assert_not_null(msg);
    msg->Number = 1;
    msg->SMS[0].Folder = M.incoming_folder;
    msg->SMS[0].Location = M.incoming_location;
    GSM_Error err = GSM_GetSMS(M.s, msg);
    cr_assert_eq(err, ERR_NONE, "GSM_GetSMS: %s", GSM_ErrorString(err));
    const GSM_SMSMessage *r = &msg->SMS[0];
    cr_expect_eq(r->PDU, SMS_Status_Report);
    cr_expect(r->InboxFolder);
    cr_expect_eq(r->MessageReference, mr, "TP-MR %d, +CMGS said %d", r->MessageReference, mr);
    cr_expect_eq(r->DeliveryStatus, want_status, "TP-ST 0x%02X", r->DeliveryStatus);
    char num[64];
    utf8_of(r->Number, num);
    cr_expect_str_eq(num, "+6281234567890");
    err = GSM_DeleteSMS(M.s, &msg->SMS[0]);
    cr_expect_eq(err, ERR_NONE, "GSM_DeleteSMS: %s", GSM_ErrorString(err));
    free(msg);
}

Test(atsim, status_report)
{
    modem_open();
    cr_assert_eq(GSM_SetIncomingSMS(M.s, TRUE), ERR_NONE);
    report_round("ok", 0x00);
    report_round("fail", 0x41);
    cr_expect_eq(atsim_sim_count(M.dir), 0);
    /* An ordinary submit asks for nothing and gets nothing. */
    cr_assert_eq(atsim_set_reports(M.dir, NULL), 0);
    send_text("+6281234567890", "tanpa laporan", SMS_Coding_Default_No_Compression);
    cr_assert(wait_for(&M.status_count, 3), "no send-status callback");
    int before = M.incoming_count;
    double end = now() + 1.5;
    while (now() < end)
        GSM_ReadDevice(M.s, TRUE);
    cr_expect_eq(M.incoming_count, before, "no report was asked for");
    cr_expect_eq(atsim_sim_count(M.dir), 0);
}

Test(atsim, ussd)
{
    modem_open();
    cr_assert_eq(atsim_set_ussd_reply(M.dir, "Sisa pulsa Rp 7.500 s/d 31-12"), 0);
    GSM_Error err = GSM_SetIncomingUSSD(M.s, TRUE);
    cr_assert_eq(err, ERR_NONE, "GSM_SetIncomingUSSD: %s", GSM_ErrorString(err));
    err = GSM_DialService(M.s, "*888#");
    cr_assert_eq(err, ERR_NONE, "GSM_DialService: %s", GSM_ErrorString(err));
    cr_assert(wait_for(&M.ussd_count, 1), "no USSD answer");
    cr_expect_str_eq(M.ussd_text, "Sisa pulsa Rp 7.500 s/d 31-12");
}
