/* reply — see reply.h. */
#include "gateway/reply.h"

#include <string.h>

int reply_is_array(const redisReply *r, long n)
{
    return r && r->type == REDIS_REPLY_ARRAY && (n < 0 || r->elements == (size_t)n);
}

redisReply *reply_at(const redisReply *r, size_t i, int type)
{
    if (!reply_is_array(r, -1) || i >= r->elements || r->element[i] == NULL)
        return NULL;
    return type == 0 || r->element[i]->type == type ? r->element[i] : NULL;
}

const char *reply_text(const redisReply *r)
{
    if (r == NULL || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS))
        return NULL;
    return r->str;
}

const char *reply_text_at(const redisReply *r, size_t i)
{
    return reply_text(reply_at(r, i, 0));
}

long long reply_int_at(const redisReply *r, size_t i, long long fallback)
{
    const redisReply *e = reply_at(r, i, REDIS_REPLY_INTEGER);
    return e ? e->integer : fallback;
}

const char *reply_field(const redisReply *r, const char *name)
{
    for (size_t i = 0; reply_is_array(r, -1) && i + 1 < r->elements; i += 2) {
        const char *k = reply_text_at(r, i), *v = reply_text_at(r, i + 1);
        if (k && v && strcmp(k, name) == 0)
            return v;
    }
    return "";
}

const char *reply_why(const redisReply *r)
{
    if (r == NULL)
        return "connection lost";
    switch (r->type) {
    case REDIS_REPLY_ERROR:
        return r->str ? r->str : "error";
    case REDIS_REPLY_STRING:
        return "unexpected reply (string)";
    case REDIS_REPLY_ARRAY:
        return "unexpected reply (array)";
    case REDIS_REPLY_INTEGER:
        return "unexpected reply (integer)";
    case REDIS_REPLY_NIL:
        return "unexpected reply (nil)";
    case REDIS_REPLY_STATUS:
        return "unexpected reply (status)";
    default:
        return "unexpected reply";
    }
}
