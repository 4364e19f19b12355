/* Integration: the whole gateway (router + supervisor + modem worker on
 * libgammu's dummy driver) against a private redis-server. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct kt_env env;

static void setup(void)
{
    cr_assert_eq(kt_env_init(&env), 0, "temp dir");
    cr_assert_eq(kt_redis_start(&env), 0, "redis-server did not start");
    cr_assert_eq(kt_write_config(&env, "multipart_timeout = 5\nsender_per_minute = 10", NULL), 0);
    cr_assert_eq(kt_gateway_start(&env), 0);
}

static void teardown(void)
{
    kt_env_cleanup(&env);
}

struct want {
    const char *to;
    int n;
};

static int sent_to_at_least(struct kt_env *e, void *arg)
{
    struct want *w = arg;
    return kt_sent_to(e, w->to, NULL, 0) >= w->n;
}

static int stream_len_at_least(struct kt_env *e, void *arg)
{
    return kt_redis_int(e, "XLEN kt:in") >= *(long long *)arg;
}

TestSuite(dummy, .init = setup, .fini = teardown, .timeout = 120);

Test(dummy, info_is_answered_removed_from_sim_and_recorded)
{
    cr_assert_eq(kt_dummy_deliver(&env, "+62 812-3456-7890", "info", NULL, 0), 0);
    struct want w = {"6281234567890", 1};
    if (!kt_wait(&env, 20, sent_to_at_least, &w))
        kt_dump_log(&env);
    struct kt_sent s[4];
    int n = kt_sent_to(&env, "6281234567890", s, 4);
    cr_assert_eq(n, 1, "exactly one answer, got %d", n);
    cr_expect_str_eq(s[0].outcome, "sent");
    cr_expect(strstr(s[0].text, "LAPOR") || strstr(s[0].text, "INFO"),
              "INFO answer lists services: %s", s[0].text);
    cr_expect_neq(s[0].origin[0], '\0', "the answer names the inbound message");
    cr_expect(kt_wait(&env, 10, kt_dummy_inbox_empty, NULL), "message deleted from the SIM");
    long long one = 1;
    cr_expect(kt_wait(&env, 5, stream_len_at_least, &one));
    /* Acknowledged: nothing left pending for the router. */
    cr_expect_eq(kt_in_pending(&env), 0, "inbound acknowledged");
}

Test(dummy, two_parts_out_of_order_arrive_as_one)
{
    /* Part 2 first, then part 1; reference 0xA7, 8-bit. */
    cr_assert_eq(kt_dummy_deliver(&env, "081234500001", " rusak parah.", "050003A70202", 0), 0);
    cr_assert_eq(kt_dummy_deliver(&env, "081234500001", "LAPOR jalan desa", "050003A70201", 0), 0);
    long long one = 1;
    cr_assert(kt_wait(&env, 20, stream_len_at_least, &one));
    redisReply *r = kt_redis(&env, "XRANGE kt:in - +");
    cr_assert_eq(r->elements, 1, "one whole message, not two parts");
    redisReply *f = r->element[0]->element[1];
    const char *text = NULL, *parts = NULL;
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        if (!strcmp(f->element[i]->str, "text"))
            text = f->element[i + 1]->str;
        if (!strcmp(f->element[i]->str, "parts"))
            parts = f->element[i + 1]->str;
    }
    cr_assert_str_eq(text, "LAPOR jalan desa rusak parah.");
    cr_assert_str_eq(parts, "2");
    freeReplyObject(r);
}

Test(dummy, interleaved_senders_with_same_reference_stay_apart)
{
    cr_assert_eq(kt_dummy_deliver(&env, "081234500002", "A1 ",
                                  "0500031102"
                                  "01",
                                  0),
                 0);
    cr_assert_eq(kt_dummy_deliver(&env, "081234500003", "B1 ",
                                  "0500031102"
                                  "01",
                                  0),
                 0);
    cr_assert_eq(kt_dummy_deliver(&env, "081234500003", "B2",
                                  "0500031102"
                                  "02",
                                  0),
                 0);
    cr_assert_eq(kt_dummy_deliver(&env, "081234500002", "A2",
                                  "0500031102"
                                  "02",
                                  0),
                 0);
    long long two = 2;
    cr_assert(kt_wait(&env, 20, stream_len_at_least, &two));
    redisReply *r = kt_redis(&env, "XRANGE kt:in - +");
    cr_assert_eq(r->elements, 2);
    int seen_a = 0, seen_b = 0;
    for (size_t k = 0; k < r->elements; k++) {
        redisReply *f = r->element[k]->element[1];
        const char *from = "", *text = "";
        for (size_t i = 0; i + 1 < f->elements; i += 2) {
            if (!strcmp(f->element[i]->str, "text"))
                text = f->element[i + 1]->str;
            if (!strcmp(f->element[i]->str, "from"))
                from = f->element[i + 1]->str;
        }
        if (strstr(from, "500002")) {
            seen_a = 1;
            cr_expect_str_eq(text, "A1 A2");
        } else {
            seen_b = 1;
            cr_expect_str_eq(text, "B1 B2");
        }
    }
    cr_expect(seen_a && seen_b);
    freeReplyObject(r);
}

Test(dummy, sixteen_bit_reference_and_missing_part_released_incomplete)
{
    /* Part 1 of 3 with a 16-bit reference; parts 2 and 3 never come. */
    cr_assert_eq(kt_dummy_deliver(&env, "081234500004", "LAPOR sampah ",
                                  "0608041234"
                                  "0301",
                                  0),
                 0);
    long long one = 1;
    /* multipart_timeout is 5 s in this suite; released within a few sweeps. */
    cr_assert(kt_wait(&env, 30, stream_len_at_least, &one), "incomplete message released");
    redisReply *r = kt_redis(&env, "XRANGE kt:in - +");
    redisReply *f = r->element[0]->element[1];
    const char *incomplete = "", *text = "";
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        if (!strcmp(f->element[i]->str, "incomplete"))
            incomplete = f->element[i + 1]->str;
        if (!strcmp(f->element[i]->str, "text"))
            text = f->element[i + 1]->str;
    }
    cr_expect_str_eq(incomplete, "2", "two parts missing");
    cr_expect(strncmp(text, "LAPOR sampah", 12) == 0, "text kept: %s", text);
    freeReplyObject(r);
}

Test(dummy, ucs2_message_round_trips)
{
    const char *text = "Halo 😀 jalan ꦲꦏ꧀ꦱꦫ rusak — tolong";
    cr_assert_eq(kt_dummy_deliver(&env, "081234500005", text, NULL, 1), 0);
    long long one = 1;
    cr_assert(kt_wait(&env, 20, stream_len_at_least, &one));
    redisReply *r = kt_redis(&env, "XRANGE kt:in - +");
    redisReply *f = r->element[0]->element[1];
    const char *got = "", *coding = "";
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        if (!strcmp(f->element[i]->str, "text"))
            got = f->element[i + 1]->str;
        if (!strcmp(f->element[i]->str, "coding"))
            coding = f->element[i + 1]->str;
    }
    cr_expect_str_eq(got, text);
    cr_expect_str_eq(coding, "ucs2");
    freeReplyObject(r);
    /* and the resident gets an answer */
    struct want w = {"6281234500005", 1};
    cr_expect(kt_wait(&env, 20, sent_to_at_least, &w));
}

Test(dummy, alphanumeric_and_short_code_senders_get_no_reply)
{
    cr_assert_eq(kt_dummy_deliver(&env, "TELKOMSEL", "Promo paket data", NULL, 0), 0);
    cr_assert_eq(kt_dummy_deliver(&env, "3636", "INFO", NULL, 0), 0);
    cr_assert_eq(kt_dummy_deliver(&env, "081234500006", "INFO", NULL, 0), 0);
    /* The resident's answer is the marker that the others were handled too. */
    struct want w = {"6281234500006", 1};
    cr_assert(kt_wait(&env, 20, sent_to_at_least, &w));
    long long three = 3;
    cr_assert(kt_wait(&env, 10, stream_len_at_least, &three));
    cr_expect_eq(kt_sent_to(&env, "TELKOMSEL", NULL, 0), 0);
    cr_expect_eq(kt_sent_to(&env, "3636", NULL, 0), 0);
    struct kt_sent all[8];
    cr_expect_eq(kt_sent(&env, all, 8), 1, "only the resident was answered");
}

static int answers_settled(struct kt_env *e, void *arg)
{
    /* 12 messages: 10 answers + 1 "too many"; wait until all are acknowledged. */
    int done = kt_in_pending(e) == 0 && kt_redis_int(e, "XLEN kt:in") == 12;
    return done && kt_sent_to(e, "6281234500007", NULL, 0) >= 11;
}

Test(dummy, flood_from_one_number_gets_one_polite_refusal)
{
    char text[32];
    for (int i = 0; i < 12; i++) {
        snprintf(text, sizeof(text), "info %d", i);
        cr_assert_eq(kt_dummy_deliver(&env, "081234500007", text, NULL, 0), 0);
    }
    cr_assert(kt_wait(&env, 30, answers_settled, NULL));
    sleep(2); /* give a 13th answer, were there one, time to appear */
    struct kt_sent s[16];
    int n = kt_sent_to(&env, "6281234500007", s, 16);
    cr_assert_eq(n, 11, "10 answers and one refusal, got %d", n);
    int refusals = 0;
    for (int i = 0; i < n; i++)
        refusals += strstr(s[i].text, "terlalu banyak") != NULL;
    cr_expect_eq(refusals, 1);
}

Test(dummy, same_message_read_twice_is_processed_once)
{
    /* Two identical files (same sender, timestamp, text): a modem that
     * reports one message twice. The content key keeps one. */
    snprintf(env.stamp, sizeof(env.stamp), "20261128T010203Z");
    cr_assert_eq(kt_dummy_deliver(&env, "081234500008", "INFO dup", NULL, 0), 0);
    cr_assert_eq(kt_dummy_deliver(&env, "081234500008", "INFO dup", NULL, 0), 0);
    cr_assert(kt_wait(&env, 20, kt_dummy_inbox_empty, NULL));
    struct want w = {"6281234500008", 1};
    cr_assert(kt_wait(&env, 20, sent_to_at_least, &w));
    sleep(2);
    cr_expect_eq(kt_redis_int(&env, "XLEN kt:in"), 1);
    cr_expect_eq(kt_sent_to(&env, "6281234500008", NULL, 0), 1);
}

Test(dummy, sigterm_exits_zero)
{
    struct want w = {"6281234500009", 1};
    cr_assert_eq(kt_dummy_deliver(&env, "081234500009", "INFO", NULL, 0), 0);
    cr_assert(kt_wait(&env, 20, sent_to_at_least, &w));
    cr_expect_eq(kt_gateway_stop(&env, SIGTERM), 0);
}
