/* netaddr — IPv4/IPv6 addresses and CIDR ranges, for lists of who may call
 * an endpoint (ussd_allow) and for telling a loopback listener from one
 * the network can reach.
 *
 *   struct netaddr_range allow[NETADDR_LIST_MAX];
 *   int n = netaddr_parse_list("10.20.0.0/16, 192.0.2.7, 2001:db8::/32", allow,
 *                              NETADDR_LIST_MAX, why, sizeof why);
 *   if (n < 0) ... why says which entry is wrong ...
 *   if (netaddr_match(allow, n, peer)) ... peer ("192.0.2.7") may call ...
 *
 * Pure functions: no allocation, no I/O, no name lookups. */
#ifndef KT_NETADDR_H
#define KT_NETADDR_H

#include <stddef.h>

#define NETADDR_LIST_MAX  32 /* entries of one list */
#define NETADDR_ENTRY_MAX 64 /* bytes of one entry as written */

struct netaddr_range {
    int v6;                 /* 0: IPv4 (addr[0..3]), 1: IPv6 */
    unsigned char addr[16]; /* network byte order, host bits cleared */
    int prefix;             /* 0-32 or 0-128 */
};

/* Parses a comma- (or space-) separated list of addresses and CIDR ranges
 * ("192.0.2.7", "10.0.0.0/8", "::1", "2001:db8::/32"). Returns the number
 * of entries (0 for an empty list), or -1 with the first wrong entry and
 * why in why (a range with host bits set is refused: "10.0.0.1/8" is a
 * typo more often than a choice). */
int netaddr_parse_list(const char *spec, struct netaddr_range *out, int max, char *why,
                       size_t whylen);

/* 1 when the numeric address addr ("192.0.2.7", "2001:db8::1", or an
 * IPv4-mapped "::ffff:192.0.2.7", which counts as the IPv4 address) is in
 * one of the n ranges; 0 otherwise, and for anything that is not an address. */
int netaddr_match(const struct netaddr_range *ranges, int n, const char *addr);

/* 1 when host (a listener's address part: "127.0.0.1", "localhost", "::1",
 * "[::1]") can only be reached from this machine: 127.0.0.0/8, ::1 or
 * "localhost". Any other name or address (0.0.0.0, a LAN address, a
 * host name) is 0. */
int netaddr_is_loopback(const char *host);

#endif
