/* Unit: addresses and CIDR ranges of ussd_allow, and what counts as a
 * loopback listener. */
#include "gateway/netaddr.h"

#include <criterion/criterion.h>
#include <string.h>

Test(netaddr, addresses_and_ranges_match_what_they_cover)
{
    struct netaddr_range r[NETADDR_LIST_MAX];
    char why[160];
    int n = netaddr_parse_list(" 192.0.2.7,10.20.0.0/16  2001:db8::/32 , 127.0.0.2", r,
                               NETADDR_LIST_MAX, why, sizeof(why));
    cr_assert_eq(n, 4, "%s", why);
    cr_expect(netaddr_match(r, n, "192.0.2.7"));
    cr_expect_not(netaddr_match(r, n, "192.0.2.8"), "a single address is /32");
    cr_expect(netaddr_match(r, n, "10.20.255.1"));
    cr_expect_not(netaddr_match(r, n, "10.21.0.1"));
    cr_expect(netaddr_match(r, n, "2001:db8:1::5"));
    cr_expect_not(netaddr_match(r, n, "2001:db9::5"));
    cr_expect(netaddr_match(r, n, "::ffff:192.0.2.7"), "IPv4-mapped counts as IPv4");
    cr_expect(netaddr_match(r, n, "127.0.0.2"));
    cr_expect_not(netaddr_match(r, n, "127.0.0.1"));
    cr_expect_not(netaddr_match(r, n, "not-an-address"));
    cr_expect_not(netaddr_match(r, n, NULL));
    cr_expect_not(netaddr_match(r, n, ""));
    cr_expect_eq(netaddr_parse_list("", r, NETADDR_LIST_MAX, why, sizeof(why)), 0);
    cr_expect_eq(netaddr_parse_list(" , ", r, NETADDR_LIST_MAX, why, sizeof(why)), 0);
    n = netaddr_parse_list("0.0.0.0/0", r, NETADDR_LIST_MAX, why, sizeof(why));
    cr_assert_eq(n, 1);
    cr_expect(netaddr_match(r, n, "203.0.113.9"), "/0 is everyone (an operator's choice)");
    cr_expect_not(netaddr_match(r, n, "2001:db8::1"), "but only IPv4");
    n = netaddr_parse_list("10.0.0.0/12", r, NETADDR_LIST_MAX, why, sizeof(why));
    cr_assert_eq(n, 1, "%s", why);
    cr_expect(netaddr_match(r, n, "10.15.255.255"));
    cr_expect_not(netaddr_match(r, n, "10.16.0.0"), "a prefix that is not a whole byte");
}

Test(netaddr, wrong_entries_are_named)
{
    struct netaddr_range r[2];
    char why[160];
    const struct {
        const char *spec, *want;
    } bad[] = {
        {"192.0.2.256", "not an IPv4 or IPv6 address"},
        {"aggregator.example", "names are not looked up"},
        {"10.0.0.1/8", "host bits set"},
        {"10.0.0.0/33", "prefix longer than 32"},
        {"2001:db8::/129", "prefix longer than 128"},
        {"10.0.0.0/", "not a number"},
        {"10.0.0.0/-1", "not a number"},
        {"10.0.0.0/8x", "not a number"},
        {"1.1.1.1, 2.2.2.2, 3.3.3.3", "more than 2 entries"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(netaddr_parse_list(bad[i].spec, r, 2, why, sizeof(why)), -1, "%s",
                     bad[i].spec);
        cr_expect(strstr(why, bad[i].want) != NULL, "%s: %s", bad[i].spec, why);
    }
    char longer[200];
    memset(longer, '1', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    cr_expect_eq(netaddr_parse_list(longer, r, 2, why, sizeof(why)), -1);
    cr_expect_eq(netaddr_parse_list("nope", r, 2, NULL, 0), -1, "no buffer for why is fine");
}

Test(netaddr, only_loopback_listeners_are_loopback)
{
    const char *yes[] = {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"};
    const char *no[] = {"0.0.0.0",       "",          "::",  "[::]", "192.0.2.1", "10.0.0.1",
                        "gateway.local", "128.0.0.1", "::2", "[::1"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        cr_expect(netaddr_is_loopback(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        cr_expect_not(netaddr_is_loopback(no[i]), "%s", no[i]);
}
