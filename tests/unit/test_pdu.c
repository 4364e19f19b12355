/*
 * Unit tests for modems/pdu: hex and SMSC prefix, every length of an SMS-DELIVER checked
 * against the end (one malformed PDU per reason, each one octet away from a well-formed
 * one), the special kinds, and finding a location's PDU in an AT transcript as libgammu's
 * trace keeps it (frames between lines of its own commentary).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "modems/pdu.h"

/* An SMS-DELIVER from +6281234567890, 2026-12-08 10:20:30 +07. */
#define OA   "0D91261832547698F0"
#define SCTS "62218001020382"
#define INFO "0449A7F109" /* UDL 4, "INFO" in GSM 7-bit */

static int inspect(const char *hex, struct pdu_info *info)
{
    unsigned char t[PDU_MAX];
    int n = pdu_from_hex(hex, 0, t, sizeof(t));
    cr_assert_geq(n, 0, "hex %s", hex);
    return pdu_inspect(t, (size_t)n, info);
}

static void expect_reason(const char *hex, const char *reason)
{
    struct pdu_info info;
    cr_expect_eq(inspect(hex, &info), -1, "%s is malformed", hex);
    cr_expect_str_eq(info.reason ? info.reason : "(none)", reason, "%s", hex);
}

static void expect_kind(const char *hex, enum pdu_kind kind)
{
    struct pdu_info info;
    cr_assert_eq(inspect(hex, &info), 0, "%s: %s", hex, info.reason ? info.reason : "");
    cr_expect_str_eq(pdu_kind_name(info.kind), pdu_kind_name(kind), "%s", hex);
}

Test(pdu, hex_and_smsc_prefix)
{
    unsigned char t[PDU_MAX];
    cr_expect_eq(pdu_from_hex("07912618010000F0"
                              "04",
                              1, t, sizeof(t)),
                 1);
    cr_expect_eq(t[0], 0x04);
    cr_expect_eq(pdu_from_hex("00"
                              "0441",
                              1, t, sizeof(t)),
                 2, "an empty SMSC");
    cr_expect_eq(t[1], 0x41);
    cr_expect_eq(pdu_from_hex("0a0B", 0, t, sizeof(t)), 2, "either case");
    cr_expect_eq(pdu_from_hex("", 0, t, sizeof(t)), -1);
    cr_expect_eq(pdu_from_hex("123", 0, t, sizeof(t)), -1, "odd");
    cr_expect_eq(pdu_from_hex("12G4", 0, t, sizeof(t)), -1, "not hex");
    cr_expect_eq(pdu_from_hex("0991", 1, t, sizeof(t)), -1, "SMSC runs past the end");
    cr_expect_eq(pdu_from_hex("0102", 0, t, 1), -1, "too long for out");
}

Test(pdu, well_formed_text)
{
    expect_kind("04" OA "0000" SCTS INFO, PDU_KIND_TEXT);
    expect_kind("04" OA "0008" SCTS "0400490046", PDU_KIND_TEXT); /* UCS-2 "IF" */
    expect_kind("04" OA "0000" SCTS "00", PDU_KIND_TEXT);         /* empty */
    /* concatenated, 8-bit reference: UDHL 5, then text */
    expect_kind("44" OA "0008" SCTS "080500030A02010049", PDU_KIND_TEXT);
    /* alphanumeric sender (16 semi-octets: 8 octets) */
    expect_kind("04"
                "10D0D432B3FC96CFCB66"
                "0000" SCTS INFO,
                PDU_KIND_TEXT);
    struct pdu_info info;
    cr_assert_eq(inspect("04" OA "00F1" SCTS INFO, &info), 0, "class 1 is an ordinary message");
    cr_expect_eq(info.kind, PDU_KIND_TEXT);
    cr_expect_eq(info.dcs, 0xF1);
    cr_expect_eq(info.pid, 0);
}

Test(pdu, every_length_is_checked)
{
    struct pdu_info info;
    cr_expect_eq(pdu_inspect((const unsigned char *)"", 0, &info), -1);
    cr_expect_str_eq(info.reason, "truncated");
    expect_reason("04", "truncated");
    expect_reason("04" OA "0000"
                  "6221",
                  "truncated");
    expect_reason("04" OA "0000" SCTS, "truncated"); /* no UDL */
    expect_reason("04FF91"
                  "261832547698F0"
                  "0000" SCTS INFO,
                  "address_overrun");
    expect_reason("041591"
                  "261832547698F0"
                  "0000" SCTS INFO,
                  "address_overrun"); /* 21 digits */
    expect_reason("040D91"
                  "2618",
                  "address_overrun");
    expect_reason("04" OA "0000" SCTS "0549A7F109", "udl_overrun"); /* 5 septets need 5 octets */
    expect_reason("04" OA "0000" SCTS "A1"
                  "00",
                  "udl_overrun"); /* over 160 septets */
    expect_reason("04" OA "0004" SCTS "8D"
                  "00",
                  "udl_overrun"); /* over 140 octets */
    expect_reason("04" OA "0004" SCTS "03"
                  "0102",
                  "udl_overrun");
    expect_reason("44" OA "0004" SCTS "00", "udh_overrun"); /* no UDHL */
    expect_reason("44" OA "0004" SCTS "02"
                  "0500",
                  "udh_overrun"); /* UDHL 5 of 1 */
    expect_reason("44" OA "0004" SCTS "04"
                  "03000401",
                  "udh_overrun"); /* an IE runs past */
    expect_reason("44" OA "0004" SCTS "03"
                  "020001",
                  "udh_overrun"); /* IE header cut */
    expect_reason("04" OA "0008" SCTS "03"
                  "004900",
                  "ucs2_odd");
    expect_reason("44" OA "0008" SCTS "07"
                  "0500030A020100",
                  "ucs2_odd");               /* odd after UDH */
    expect_reason("01" OA, "reserved_type"); /* SMS-SUBMIT */
    expect_reason("03", "reserved_type");
    /* smashes libgammu 1.42's stack: 170 septets claimed, and the 149 octets they take */
    char crasher[400];
    int len = snprintf(crasher, sizeof(crasher), "04" OA "0000" SCTS "AA");
    for (int i = 0; i < 149; i++)
        len += snprintf(crasher + len, sizeof(crasher) - (size_t)len, "41");
    expect_reason(crasher, "udl_overrun");
    /* the same PDUs one octet longer are fine */
    expect_kind("04" OA "0000" SCTS "0549A7F10900", PDU_KIND_TEXT);
    expect_kind("44" OA "0004" SCTS "04"
                "03000101",
                PDU_KIND_TEXT);
    expect_kind("04" OA "0008" SCTS "04"
                "00490046",
                PDU_KIND_TEXT);
}

Test(pdu, special_kinds)
{
    expect_kind("04" OA "0010" SCTS INFO, PDU_KIND_FLASH);
    expect_kind("04" OA "00F0" SCTS INFO, PDU_KIND_FLASH);
    expect_kind("04" OA "00F4" SCTS "0101", PDU_KIND_FLASH); /* 8-bit class 0 */
    expect_kind("44" OA "0004" SCTS "0C0605040B8423F0010601AE00", PDU_KIND_WAP_PUSH);
    expect_kind("44" OA "0004" SCTS "0C0605040B8423F0010602BE00", PDU_KIND_MMS);
    expect_kind("44" OA "0004" SCTS "090605040B8523F00106", PDU_KIND_WAP_PUSH); /* 2949 */
    expect_kind("44" OA "0004" SCTS "0906050423F023F00106", PDU_KIND_WAP_PUSH); /* 9200 */
    expect_kind("44" OA "0004" SCTS "090605042390C0000106", PDU_KIND_TEXT);     /* port 9104 */
    expect_kind("04" OA "00C8" SCTS INFO, PDU_KIND_VOICEMAIL);
    expect_kind("04" OA "00D8" SCTS INFO, PDU_KIND_VOICEMAIL);
    expect_kind("04" OA "00E8" SCTS "020049", PDU_KIND_VOICEMAIL);
    expect_kind("04" OA "00D9" SCTS INFO, PDU_KIND_WAITING); /* fax */
    expect_kind("44" OA "0004" SCTS "0704010200016869", PDU_KIND_VOICEMAIL);
    expect_kind("44" OA "0004" SCTS "0704010202016869", PDU_KIND_WAITING); /* e-mail */
    expect_kind("04" OA "7FF6" SCTS "020102", PDU_KIND_SIM_DOWNLOAD);
    expect_kind("04" OA "4000" SCTS "00", PDU_KIND_SILENT);
    expect_kind("06"
                "05"
                "0D91261832547698F0" SCTS SCTS "00",
                PDU_KIND_STATUS_REPORT);
    expect_reason("06"
                  "05"
                  "0D91261832547698F0" SCTS,
                  "truncated");
    expect_reason("06"
                  "05"
                  "FF91",
                  "address_overrun");
}

Test(pdu, kind_of_decoded_fields)
{
    static const unsigned char wap[] = {0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0};
    static const unsigned char mms[] = {0x01, 0x06, 0x02, 0xBE, 0x00};
    static const unsigned char concat[] = {0x05, 0x00, 0x03, 0x0A, 0x02, 0x01};
    static const unsigned char vm[] = {0x04, 0x01, 0x02, 0x00, 0x01};
    static const unsigned char bad[] = {0x09, 0x05, 0x04, 0x0B};
    cr_expect_eq(pdu_kind_of(-1, NULL, 0, NULL, 0), PDU_KIND_TEXT);
    cr_expect_eq(pdu_kind_of(0, NULL, 0, NULL, 0), PDU_KIND_FLASH);
    cr_expect_eq(pdu_kind_of(1, concat, sizeof(concat), NULL, 0), PDU_KIND_TEXT);
    cr_expect_eq(pdu_kind_of(-1, wap, sizeof(wap), NULL, 0), PDU_KIND_WAP_PUSH);
    cr_expect_eq(pdu_kind_of(-1, wap, sizeof(wap), mms, sizeof(mms)), PDU_KIND_MMS);
    cr_expect_eq(pdu_kind_of(-1, vm, sizeof(vm), NULL, 0), PDU_KIND_VOICEMAIL);
    cr_expect_eq(pdu_kind_of(-1, bad, sizeof(bad), NULL, 0), PDU_KIND_TEXT, "bad UDH ignored");
}

/* A transcript as libgammu 1.42's binary trace writes it: its commentary, then the frame. */
static const char transcript[] = "Getting SMS locations\n"
                                 "\x01\x0a"
                                 "AT+CMGL=4\r1 \"AT+CMGL=4\"\n"
                                 "2 \"+CMGL: 1,1,,24\"\n"
                                 "3 \"0791AAAA\"\n"
                                 "Checking line: OK\n"
                                 "\x02"
                                 "d"
                                 "AT+CMGL=4\r\r\n"
                                 "+CMGL: 1,1,,24\r\n07912618010000F0040D91\r\n"
                                 "+CMGL: 3,0,,24\r\n07912618010000F0440D93\r\n"
                                 "+CMGL: 7,1,,24\r\n0791261801000000\r\n"
                                 "\r\nOK\r\n"
                                 "Parsing +CMGL: 1,1,,24 with +CMGL: @i, @0\n"
                                 "Getting message from cache\n0791BBBB\n"
                                 "\x01\x0b"
                                 "AT+CMGR=3\r"
                                 "\x02\x30"
                                 "AT+CMGR=3\r\r\n+CMGR: 0,,24\r\n0791261801000000CAFE\r\n\r\nOK\r\n"
                                 "2 \"+CMGR: 0,,24\"\n3 \"0791DDDD\"\n";

Test(pdu, transcript_find)
{
    char hex[64];
    size_t len = sizeof(transcript) - 1;
    cr_assert_eq(pdu_transcript_find(transcript, len, 1, hex, sizeof(hex)), 0);
    cr_expect_str_eq(hex, "07912618010000F0040D91", "from the frame, not the commentary");
    cr_assert_eq(pdu_transcript_find(transcript, len, 3, hex, sizeof(hex)), 0);
    cr_expect_str_eq(hex, "0791261801000000CAFE", "the later AT+CMGR answer wins");
    cr_assert_eq(pdu_transcript_find(transcript, len, 7, hex, sizeof(hex)), 0);
    cr_expect_str_eq(hex, "0791261801000000");
    cr_expect_eq(pdu_transcript_find(transcript, len, 2, hex, sizeof(hex)), -1);
    cr_expect_eq(pdu_transcript_find(transcript, len, 30, hex, sizeof(hex)), -1, "not 3");
    cr_assert_eq(pdu_transcript_find(transcript, len, 1, hex, 5), 0);
    cr_expect_str_eq(hex, "0791", "cut to fit");
    cr_expect_eq(pdu_transcript_find("", 0, 1, hex, sizeof(hex)), -1);
}

Test(pdu, transcript_next)
{
    size_t len = sizeof(transcript) - 1;
    cr_expect_eq(pdu_transcript_next(transcript, len, 0), 1, "the first listed");
    cr_expect_eq(pdu_transcript_next(transcript, len, 1), 3);
    cr_expect_eq(pdu_transcript_next(transcript, len, 3), 7);
    cr_expect_eq(pdu_transcript_next(transcript, len, 7), -1, "the last");
    cr_expect_eq(pdu_transcript_next(transcript, len, 2), 3, "not listed: the next above");
    cr_expect_eq(pdu_transcript_next("AT+CMGR=1\r", 10, 0), -1, "no listing");
}
