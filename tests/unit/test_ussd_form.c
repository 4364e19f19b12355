/*
 * Unit tests for ussd_parse_form (gateway/ussd.c), the aggregator's form body. It reads the
 * form in place, as libevent's evhttp_parse_query_str would (which it used to call): this
 * suite checks both on the same bodies, hand-written edge cases and generated ones, so a
 * difference in splitting, decoding, key matching or refusal shows up here.
 */
#include <criterion/criterion.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "gateway/textsafe.h"
#include "gateway/ussd.h"

/* What the form gives through libevent: 0 with the four fields (NULL when absent), -1 when
 * evhttp_parse_query_str refuses the body. */
struct reference {
    int refused;
    char session[USSD_BODY_MAX + 1], phone[USSD_BODY_MAX + 1], service[USSD_BODY_MAX + 1],
        text[USSD_BODY_MAX + 1];
    int has_session, has_phone, has_service, has_text;
};

static void reference(const char *body, struct reference *r)
{
    struct evkeyvalq kv;
    memset(r, 0, sizeof *r);
    TAILQ_INIT(&kv);
    if (evhttp_parse_query_str(body, &kv) != 0) {
        r->refused = 1;
        evhttp_clear_headers(&kv);
        return;
    }
    const char *v;
    if ((v = evhttp_find_header(&kv, "sessionId")))
        r->has_session = 1, snprintf(r->session, sizeof r->session, "%s", v);
    if ((v = evhttp_find_header(&kv, "phoneNumber")))
        r->has_phone = 1, snprintf(r->phone, sizeof r->phone, "%s", v);
    if ((v = evhttp_find_header(&kv, "serviceCode")))
        r->has_service = 1, snprintf(r->service, sizeof r->service, "%s", v);
    if ((v = evhttp_find_header(&kv, "text")))
        r->has_text = 1, snprintf(r->text, sizeof r->text, "%s", v);
    evhttp_clear_headers(&kv);
}

/* The form as ussd_parse_form reads it agrees with libevent's reading of the same body: an
 * accepted form carries the very fields libevent found (text and service cleaned of control
 * characters as ussd_parse_form promises; the number normalised), and a body libevent
 * refuses, or one without a field, is refused. */
static void agrees(const char *body)
{
    struct reference want;
    struct ussd_form f;
    int status;
    reference(body, &want);
    const char *problem = ussd_parse_form(body, strlen(body), &f, &status);
    if (want.refused || !want.has_session || !want.has_service || !want.has_text ||
        !want.has_phone) {
        cr_assert_not_null(problem, "accepted, libevent %s: \"%s\"",
                           want.refused ? "refuses it" : "misses a field", body);
        return;
    }
    if (problem)
        return; /* refused for what a field holds: checked below, not a reading difference */
    cr_assert_str_eq(f.session, want.session, "body \"%s\"", body);
    textsafe_clean(want.text); /* controls and bidi overrides go at the edge */
    textsafe_clean(want.service);
    cr_assert_str_eq(f.text, want.text, "body \"%s\"", body);
    cr_assert_str_eq(f.service, want.service, "body \"%s\"", body);
}

#define PHONE "phoneNumber=%2B6281234567890"

Test(ussd_form, reads_a_form_as_libevent_does)
{
    static const char *const bodies[] = {
        "sessionId=s1&serviceCode=*123%23&" PHONE "&text=1*2*3",
        "sessionId=s1&serviceCode=%2A123%23&" PHONE "&networkCode=51010&text=",
        "text=Jalan+rusak%2C+tolong&sessionId=s2&serviceCode=*1%23&" PHONE,
        "SESSIONID=up&SERVICECODE=x&PHONENUMBER=081234567890&TEXT=1",      /* keys without case */
        "sessionId=first&sessionId=second&serviceCode=x&" PHONE "&text=1", /* the first counts */
        "sessionId=s3&serviceCode=x&" PHONE "&text=%4",                    /* a cut escape */
        "sessionId=s3&serviceCode=x&" PHONE "&text=%zz%41%4a%4A",          /* bad and good */
        "sessionId=s3&serviceCode=x&" PHONE "&text=100%25",
        "sessionId=s3&serviceCode=x&" PHONE "&text=a%00b", /* a decoded NUL */
        "sessionId=s3&serviceCode=x&" PHONE "&text=a=b=c", /* '=' in a value */
        "sessionId=s3&serviceCode=x&" PHONE "&text=1&",    /* a trailing '&' */
        "sessionId=s3&serviceCode=x&" PHONE "&&text=1",    /* an empty argument */
        "sessionId=s3&serviceCode=x&" PHONE "&text",       /* no '=' */
        "=1&sessionId=s3&serviceCode=x&" PHONE "&text=1",  /* an empty key */
        "sessionId=s3&serviceCode=x&" PHONE "&text=1&extra",
        "sessionId%3Ds4&serviceCode=x&" PHONE "&text=1", /* keys are not decoded */
        "sessionId=s5&service+Code=x&" PHONE "&text=1",
        "sessionId=s%20x&serviceCode=x&" PHONE "&text=1", /* a space in the id */
        "sessionId=&serviceCode=x&" PHONE "&text=1",
        "sessionId=s6&serviceCode=x&phoneNumber=12&text=1",
        "",
        "&",
        "=",
        "sessionId=s7&serviceCode=x&" PHONE "&text=%E2%80%AEabc", /* a bidi override */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        agrees(bodies[i]);
}

Test(ussd_form, generated_bodies_agree)
{
    static const char *const parts[] = {"sessionId=",
                                        "serviceCode=",
                                        "phoneNumber=",
                                        "text=",
                                        "SessionID=",
                                        "TEXT=",
                                        "%2B62812345678",
                                        "0812345678",
                                        "*",
                                        "%",
                                        "%2",
                                        "%2A",
                                        "%4G",
                                        "+",
                                        "&",
                                        "=",
                                        "1",
                                        "98",
                                        "00",
                                        "abc",
                                        "%00",
                                        "%7e",
                                        "x",
                                        "&&",
                                        "%E2%82%AC"};
    unsigned seed = 4242;
    char body[512];
    for (int n = 0; n < 20000; n++) {
        size_t o = 0;
        /* mostly well-formed: the four fields, then noise */
        if (n % 2)
            o = (size_t)snprintf(body, sizeof body, "sessionId=g%d&serviceCode=x&%s&", n, PHONE);
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 16) % 12);
        for (int i = 0; i < k; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = parts[(seed >> 16) % (sizeof parts / sizeof parts[0])];
            o += (size_t)snprintf(body + o, sizeof body - o, "%s", p);
        }
        body[o < sizeof body ? o : sizeof body - 1] = '\0';
        agrees(body);
    }
}

Test(ussd_form, limits)
{
    char body[USSD_BODY_MAX + 64];
    struct ussd_form f;
    int status;
    /* a session id one byte too long: 400, never cut */
    int o = snprintf(body, sizeof body, "sessionId=");
    for (int i = 0; i <= USSD_SESSION_MAX; i++)
        body[o++] = 'a';
    o += snprintf(body + o, sizeof body - o, "&serviceCode=x&%s&text=1", PHONE);
    cr_assert_not_null(ussd_parse_form(body, (size_t)o, &f, &status));
    cr_assert_eq(status, 400);
    /* one byte shorter: accepted whole */
    memmove(body + 10, body + 11, (size_t)o - 10);
    cr_assert_null(ussd_parse_form(body, (size_t)o - 1, &f, &status));
    cr_assert_eq(strlen(f.session), USSD_SESSION_MAX);
    /* a raw NUL, and a body over USSD_BODY_MAX: refused */
    cr_assert_not_null(ussd_parse_form("sessionId=a\0&text=1", 19, &f, &status));
    memset(body, 'a', sizeof body);
    cr_assert_not_null(ussd_parse_form(body, USSD_BODY_MAX + 1, &f, &status));
    cr_assert_eq(status, 200);
}
