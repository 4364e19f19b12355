/* Unit: which sends ask the network for a delivery report, and what a
 * report's TP-Status means for the message (modems/worker.h). */
#include "modems/worker.h"

#include <criterion/criterion.h>
#include <string.h>

Test(dlr, reports_requested_per_setting_and_origin)
{
    cr_expect(worker_wants_report("broadcasts", "bc:12"));
    cr_expect_not(worker_wants_report("broadcasts", "1712345678901-0"), "a reply");
    cr_expect_not(worker_wants_report("broadcasts", "adminduk:123"));
    cr_expect_not(worker_wants_report("broadcasts", ""));
    cr_expect(worker_wants_report("1", "bc:12"));
    cr_expect(worker_wants_report("1", "1712345678901-0"));
    cr_expect(worker_wants_report("1", ""));
    cr_expect_not(worker_wants_report("0", "bc:12"));
    cr_expect_not(worker_wants_report("0", "1712345678901-0"));
}

Test(dlr, tp_status_ranges)
{
    /* 0x00-0x1F: the message reached the phone (0x00 received, 0x01 forwarded, 0x02 replaced) */
    cr_expect_str_eq(worker_report_outcome(0x00), "delivered");
    cr_expect_str_eq(worker_report_outcome(0x02), "delivered");
    cr_expect_str_eq(worker_report_outcome(0x1F), "delivered");
    /* 0x20-0x3F: temporary, the network keeps trying (0x20 congestion, 0x21 phone busy) */
    cr_expect_str_eq(worker_report_outcome(0x20), "pending");
    cr_expect_str_eq(worker_report_outcome(0x3F), "pending");
    /* 0x40-0x5F permanent; 0x60-0x7F temporary but no more attempts; reserved values */
    cr_expect_str_eq(worker_report_outcome(0x40), "undelivered");
    cr_expect_str_eq(worker_report_outcome(0x41), "undelivered");
    cr_expect_str_eq(worker_report_outcome(0x62), "undelivered");
    cr_expect_str_eq(worker_report_outcome(0x7F), "undelivered");
    cr_expect_str_eq(worker_report_outcome(0x80), "undelivered");
    cr_expect_str_eq(worker_report_outcome(0xFF), "undelivered");
    cr_expect_str_eq(worker_report_outcome(-1), "undelivered");
}
