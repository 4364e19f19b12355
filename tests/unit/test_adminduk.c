/* Unit: adminduk_check on a buffer (what the admin API imports): every
 * problem with its line, nothing returned when any row is bad, the command
 * built for a good file. */
#include "gateway/adminduk.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

struct seen {
    int lines[16];
    char text[16][400];
    int n;
};

static void note(void *arg, int line, const char *problem)
{
    struct seen *s = arg;
    if (s->n < 16) {
        s->lines[s->n] = line;
        snprintf(s->text[s->n], sizeof(s->text[0]), "%s", problem);
        s->n++;
    }
}

Test(adminduk, bad_rows_with_their_lines)
{
    const char *csv = "nomor,jenis,telepon,status,catatan\n"
                      "LU-001,Akta Kelahiran,081234567890,PROSES CETAK,\n"
                      "LU-002,KTP-el,12345,SIAP DIAMBIL,\n"
                      "LU-003,KK,081234567891,DIBATALKAN,\n"
                      "LU-001,KIA,081234567892,DIAMBIL,\n";
    struct seen s = {0};
    int problems = -1;
    struct adminduk_batch *b = adminduk_check(csv, strlen(csv), note, &s, &problems);
    cr_expect_null(b);
    cr_expect_eq(problems, 3);
    cr_assert_eq(s.n, 3);
    cr_expect_eq(s.lines[0], 3);
    cr_expect(strstr(s.text[0], "telepon") != NULL, "%s", s.text[0]);
    cr_expect_eq(s.lines[1], 4);
    cr_expect(strstr(s.text[1], "reason") != NULL, "%s", s.text[1]);
    cr_expect_eq(s.lines[2], 5);
    cr_expect(strstr(s.text[2], "already on line 2") != NULL, "%s", s.text[2]);
}

Test(adminduk, broken_structure_and_header)
{
    struct seen s = {0};
    int problems;
    const char *quote = "nomor,jenis,telepon,status,catatan\nLU-1,\"KTP,081234567890,DIAMBIL,\n";
    cr_expect_null(adminduk_check(quote, strlen(quote), note, &s, &problems));
    cr_assert_eq(s.n, 1);
    cr_expect_eq(s.lines[0], 2, "the CSV reader's line, taken out of its message");
    cr_expect(strstr(s.text[0], "line") == NULL, "%s", s.text[0]);
    s.n = 0;
    cr_expect_null(adminduk_check("a,b\n", 4, note, &s, &problems));
    cr_expect_eq(s.lines[0], 1);
    s.n = 0;
    cr_expect_null(adminduk_check("", 0, note, &s, &problems));
    cr_expect_eq(s.lines[0], 0);
    cr_expect_str_eq(s.text[0], "empty file");
}

Test(adminduk, good_file_gives_one_command)
{
    const char *csv = "nomor,jenis,telepon,status,catatan\n"
                      "lu-001,Akta Kelahiran,0812-3456-7890,siap  diambil,Bawa KK\n";
    struct seen s = {0};
    int problems = -1;
    struct adminduk_batch *b = adminduk_check(csv, strlen(csv), note, &s, &problems);
    cr_assert_not_null(b);
    cr_expect_eq(problems, 0);
    cr_expect_eq(adminduk_rows(b), 1);
    const char **argv;
    int argc = adminduk_command(b, 1767225600, &argv);
    cr_assert_eq(argc, 6 + 7);
    cr_expect_str_eq(argv[1], "kt_adminduk_import");
    cr_expect_str_eq(argv[4], "1767225600000");
    cr_expect_str_eq(argv[8], "6281234567890", "normalised phone");
    cr_expect_str_eq(argv[9], "SIAP DIAMBIL", "normalised status");
    adminduk_free(b);
    adminduk_free(NULL);
}
