/* reply — checked reads of hiredis replies.
 *
 *   redisReply *r = ...;                          from a callback or redisCommand
 *   if (!reply_is_array(r, 3)) { log reply_why(r); treat as an error; }
 *   long long id = reply_int_at(r, 0, -1);        -1 unless element 0 is an integer
 *   const char *s = reply_text_at(r, 1);          NULL unless a string or status
 *
 * Redis answers with whatever a function returns, and a function changed by a
 * newer or older kentongan sharing the Redis, a key of an unexpected type, a
 * Redis that refuses a command (ACL, LOADING, OOM) or a proxy in between can
 * give any shape. hiredis allocates every element it announces, but ->element
 * means something only on an array, ->str only on a string, status or error,
 * ->integer only on an integer. Code reads a reply through these helpers (or
 * checks type and count itself just before), logs an unexpected shape with
 * reply_why, and treats it as an error, never as data. Nothing here keeps a
 * pointer: what they return lives as long as the reply. */
#ifndef KT_REPLY_H
#define KT_REPLY_H

#include <hiredis/hiredis.h>
#include <stddef.h>

/* 1 when r is an array of exactly n elements (n < 0: of any length). */
int reply_is_array(const redisReply *r, long n);
/* Element i of array r when it exists and has type `type` (0: any type);
 * else NULL. */
redisReply *reply_at(const redisReply *r, size_t i, int type);
/* r's text when r is a string or status reply; else NULL. */
const char *reply_text(const redisReply *r);
/* The text of element i (a string or status reply); else NULL. */
const char *reply_text_at(const redisReply *r, size_t i);
/* The value of element i when it is an integer reply; else fallback. */
long long reply_int_at(const redisReply *r, size_t i, long long fallback);
/* The value of field name in a flat [field, value, ...] array (HGETALL,
 * a stream entry's fields), when both are strings; else "". */
const char *reply_field(const redisReply *r, const char *name);
/* For a log line or an error answer: Redis' error message, "connection
 * lost" for NULL, else "unexpected reply (TYPE)". Never NULL. */
const char *reply_why(const redisReply *r);

#endif
