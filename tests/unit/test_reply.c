/* Unit: checked reads of hiredis replies (gateway/reply.h), on replies
 * parsed from the Redis protocol by hiredis itself. */
#include "gateway/reply.h"

#include <criterion/criterion.h>
#include <hiredis/hiredis.h>
#include <string.h>

static redisReply *parse(const char *resp)
{
    redisReader *rd = redisReaderCreate();
    void *out = NULL;
    cr_assert_eq(redisReaderFeed(rd, resp, strlen(resp)), REDIS_OK);
    cr_assert_eq(redisReaderGetReply(rd, &out), REDIS_OK);
    cr_assert_not_null(out, "a whole reply in %s", resp);
    redisReaderFree(rd);
    return out;
}

Test(reply, right_shape_reads)
{
    /* {7, "menu", {"a", "b"}} */
    redisReply *r = parse("*3\r\n:7\r\n$4\r\nmenu\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    cr_expect(reply_is_array(r, 3));
    cr_expect(reply_is_array(r, -1));
    cr_expect(!reply_is_array(r, 2));
    cr_expect_eq(reply_int_at(r, 0, -1), 7);
    cr_expect_str_eq(reply_text_at(r, 1), "menu");
    cr_expect_not_null(reply_at(r, 2, REDIS_REPLY_ARRAY));
    cr_expect_str_eq(reply_text_at(reply_at(r, 2, REDIS_REPLY_ARRAY), 1), "b");
    freeReplyObject(r);

    r = parse("+OK\r\n");
    cr_expect_str_eq(reply_text(r), "OK", "a status reads as text");
    freeReplyObject(r);
}

Test(reply, wrong_shapes_read_as_missing)
{
    redisReply *r = parse("*2\r\n$4\r\nmany\r\n$-1\r\n"); /* {"many", nil} */
    cr_expect_eq(reply_int_at(r, 0, -1), -1, "a string is not an integer");
    cr_expect_null(reply_text_at(r, 1), "nil is not text");
    cr_expect_null(reply_at(r, 2, 0), "past the end");
    cr_expect_null(reply_at(r, 5, REDIS_REPLY_STRING));
    cr_expect_null(reply_at(reply_at(r, 0, 0), 0, 0), "a string has no elements");
    cr_expect_str_eq(reply_why(r), "unexpected reply (array)");
    freeReplyObject(r);

    r = parse(":42\r\n");
    cr_expect(!reply_is_array(r, -1));
    cr_expect_null(reply_at(r, 0, 0), "an integer has no elements");
    cr_expect_null(reply_text(r));
    cr_expect_eq(reply_int_at(r, 0, 5), 5);
    freeReplyObject(r);

    r = parse("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    cr_expect_null(reply_text(r), "an error is not data");
    cr_expect_str_eq(reply_why(r),
                     "WRONGTYPE Operation against a key holding the wrong kind of value");
    freeReplyObject(r);

    cr_expect_str_eq(reply_why(NULL), "connection lost");
    cr_expect(!reply_is_array(NULL, -1));
    cr_expect_null(reply_at(NULL, 0, 0));
    cr_expect_null(reply_text(NULL));
}

Test(reply, fields_of_a_flat_list)
{
    /* {"to", "628", "n", 3, "text", "hai", "odd"} */
    redisReply *r = parse("*7\r\n$2\r\nto\r\n$3\r\n628\r\n$1\r\nn\r\n:3\r\n$4\r\ntext\r\n"
                          "$3\r\nhai\r\n$3\r\nodd\r\n");
    cr_expect_str_eq(reply_field(r, "to"), "628");
    cr_expect_str_eq(reply_field(r, "text"), "hai");
    cr_expect_str_eq(reply_field(r, "n"), "", "an integer value is skipped");
    cr_expect_str_eq(reply_field(r, "odd"), "", "a field without its value");
    cr_expect_str_eq(reply_field(r, "missing"), "");
    freeReplyObject(r);
    r = parse("$5\r\nhello\r\n");
    cr_expect_str_eq(reply_field(r, "hello"), "", "not a list");
    freeReplyObject(r);
    cr_expect_str_eq(reply_field(NULL, "x"), "");
}
