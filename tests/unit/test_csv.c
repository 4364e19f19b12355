/* Unit: the strict CSV reader staff files go through. */
#include "gateway/csv.h"

#include <criterion/criterion.h>
#include <string.h>

static struct csv c;
static const char *f[CSV_FIELDS_MAX];
static char err[200];

static int row(void)
{
    return csv_row(&c, f, CSV_FIELDS_MAX, err, sizeof(err));
}

Test(csv, plain_quoted_crlf_bom_and_blank_lines)
{
    const char *text = "\xEF\xBB\xBFnomor,jenis\r\n\r\nA-1,\"Akta, kelahiran\"\r\n"
                       "B-2,\"say \"\"hi\"\"\"\n\nC-3,\"two\nlines\"\nD-4,";
    csv_init(&c, text, strlen(text));
    cr_assert_eq(row(), 2);
    cr_expect_str_eq(f[0], "nomor", "BOM skipped");
    cr_expect_eq(c.line, 1);
    cr_assert_eq(row(), 2);
    cr_expect_str_eq(f[1], "Akta, kelahiran");
    cr_expect_eq(c.line, 3, "blank line counted");
    cr_assert_eq(row(), 2);
    cr_expect_str_eq(f[1], "say \"hi\"");
    cr_assert_eq(row(), 2);
    cr_expect_str_eq(f[1], "two\nlines");
    cr_expect_eq(c.line, 6);
    cr_assert_eq(row(), 2);
    cr_expect_str_eq(f[0], "D-4");
    cr_expect_str_eq(f[1], "", "empty last field");
    cr_expect_eq(c.line, 8, "a quoted newline advances the line count");
    cr_expect_eq(row(), 0, "end");
}

Test(csv, errors_name_the_line)
{
    const char *cases[] = {"a,b\n\"open", "a,b\nx\"y,z", "a,b\n\"x\"y,z",
                           "a,b\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        csv_init(&c, cases[i], strlen(cases[i]));
        cr_assert_eq(row(), 2, "case %zu header", i);
        cr_expect_eq(row(), -1, "case %zu is refused", i);
        cr_expect(strncmp(err, "line 2:", 7) == 0, "case %zu: %s", i, err);
    }
}

Test(csv, field_longer_than_the_limit_is_an_error_not_a_cut)
{
    static char text[CSV_FIELD_MAX + 16];
    memset(text, 'x', CSV_FIELD_MAX + 1);
    text[CSV_FIELD_MAX + 1] = '\0';
    csv_init(&c, text, strlen(text));
    cr_expect_eq(row(), -1);
    cr_expect(strstr(err, "longer than") != NULL, "%s", err);
    text[CSV_FIELD_MAX] = '\0';
    csv_init(&c, text, strlen(text));
    cr_expect_eq(row(), 1, "exactly the limit is fine");
    cr_expect_eq(strlen(f[0]), CSV_FIELD_MAX);
}

Test(csv, nul_byte_inside_input_is_refused)
{
    const char text[] = "a,b\nx\0y,z\n";
    csv_init(&c, text, sizeof(text) - 1);
    cr_assert_eq(row(), 2);
    cr_expect_eq(row(), -1);
    cr_expect(strstr(err, "NUL") != NULL, "%s", err);
}
