/* netaddr — see netaddr.h. inet_pton does the reading; the rest is prefix
 * arithmetic on the bytes. */
#include "gateway/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* addr as 4 or 16 bytes; an IPv4-mapped IPv6 address becomes IPv4. 0/-1. */
static int read_addr(const char *text, int *v6, unsigned char out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, out) == 1) {
        *v6 = 0;
        return 0;
    }
    if (inet_pton(AF_INET6, text, out) != 1)
        return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(out, mapped, sizeof(mapped)) == 0) {
        memmove(out, out + 12, 4);
        memset(out + 4, 0, 12);
        *v6 = 0;
        return 0;
    }
    *v6 = 1;
    return 0;
}

/* 1 when the first prefix bits of a and b agree. */
static int same_prefix(const unsigned char *a, const unsigned char *b, int prefix)
{
    int whole = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

static int parse_entry(const char *entry, struct netaddr_range *r, char *why, size_t whylen)
{
    char text[NETADDR_ENTRY_MAX];
    snprintf(text, sizeof(text), "%s", entry);
    char *slash = strchr(text, '/');
    long prefix = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        prefix = strtol(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0') {
            snprintf(why, whylen, "'%s': the prefix after '/' is not a number", entry);
            return -1;
        }
    }
    if (read_addr(text, &r->v6, r->addr) != 0) {
        snprintf(why, whylen, "'%s': not an IPv4 or IPv6 address (names are not looked up)", entry);
        return -1;
    }
    int bits = r->v6 ? 128 : 32;
    if (prefix > bits) {
        snprintf(why, whylen, "'%s': prefix longer than %d bits", entry, bits);
        return -1;
    }
    r->prefix = prefix < 0 ? bits : (int)prefix;
    unsigned char net[16] = {0};
    memcpy(net, r->addr, (size_t)(r->prefix / 8));
    if (r->prefix % 8)
        net[r->prefix / 8] =
            (unsigned char)(r->addr[r->prefix / 8] & (0xff << (8 - r->prefix % 8)));
    if (memcmp(net, r->addr, 16) != 0) {
        snprintf(why, whylen,
                 "'%s': host bits set after the /%d prefix (did you mean the network?)", entry,
                 r->prefix);
        return -1;
    }
    return 0;
}

int netaddr_parse_list(const char *spec, struct netaddr_range *out, int max, char *why,
                       size_t whylen)
{
    int n = 0;
    const char *p = spec;
    if (why && whylen)
        why[0] = '\0';
    char scratch[1];
    if (why == NULL || whylen == 0) {
        why = scratch;
        whylen = sizeof(scratch);
    }
    while (*p) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (len == 0)
            break;
        char entry[NETADDR_ENTRY_MAX];
        if (len >= sizeof(entry)) {
            snprintf(why, whylen, "'%.*s...': longer than %d characters", 20, p,
                     NETADDR_ENTRY_MAX - 1);
            return -1;
        }
        memcpy(entry, p, len);
        entry[len] = '\0';
        if (n == max) {
            snprintf(why, whylen, "more than %d entries", max);
            return -1;
        }
        if (parse_entry(entry, &out[n], why, whylen) != 0)
            return -1;
        n++;
        p += len;
    }
    return n;
}

int netaddr_match(const struct netaddr_range *ranges, int n, const char *addr)
{
    unsigned char a[16];
    int v6;
    if (addr == NULL || read_addr(addr, &v6, a) != 0)
        return 0;
    for (int i = 0; i < n; i++)
        if (ranges[i].v6 == v6 && same_prefix(a, ranges[i].addr, ranges[i].prefix))
            return 1;
    return 0;
}

int netaddr_is_loopback(const char *host)
{
    char text[NETADDR_ENTRY_MAX];
    size_t len = strlen(host);
    if (strcasecmp(host, "localhost") == 0)
        return 1;
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (len >= sizeof(text))
        return 0;
    memcpy(text, host, len);
    text[len] = '\0';
    unsigned char a[16];
    int v6;
    if (read_addr(text, &v6, a) != 0)
        return 0;
    static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return v6 ? memcmp(a, one, 16) == 0 : a[0] == 127;
}
