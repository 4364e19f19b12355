/* adminduk — imports the status of civil-registration (adminduk)
 * applications from a CSV file that Disdukcapil staff export:
 *
 *   nomor,jenis,telepon,status,catatan
 *   3325-LU-20261128-0001,Akta Kelahiran,081234567890,SIAP DIAMBIL,Bawa KK asli
 *
 * Statuses: DITERIMA, VERIFIKASI, DIVALIDASI, PROSES CETAK, SIAP DIAMBIL,
 * DIAMBIL, DIBATALKAN (which needs a reason in catatan). The whole file is
 * checked first and every bad row reported with its line number; a file with
 * any bad row changes nothing. A good file is applied in one atomic step
 * (kt_adminduk_import): importing the same file twice changes nothing the
 * second time, and an applicant is sent an SMS only when their application
 * becomes SIAP DIAMBIL. Residents ask with CEK <nomor>. */
#ifndef KT_ADMINDUK_H
#define KT_ADMINDUK_H

#include <stdio.h>

struct config;

#define ADMINDUK_ROWS_MAX     20000
#define ADMINDUK_FILE_MAX     (4 * 1024 * 1024)
#define ADMINDUK_PROBLEMS_MAX 200 /* problems reported one by one; the rest are counted */

/* Checks and applies path; reports to out. Returns 0 when applied, 1 when
 * the file was refused (nothing applied), 2 when Redis could not be reached. */
int adminduk_import(const struct config *cfg, const char *path, FILE *out);

/* The same in two steps, for callers with their own Redis connection (the
 * admin API, on the event loop):
 *
 *   struct adminduk_batch *b = adminduk_check(text, len, problem_fn, arg, &problems);
 *   if (b) { argc = adminduk_command(b, time(NULL), &argv); send argv; adminduk_free(b); }
 *
 * problem_fn(arg, line, text) is called for each of the first
 * ADMINDUK_PROBLEMS_MAX problems (line 0: the file as a whole); *problems
 * gets their number. The reply to the command is {rows, changed, notified}. */
struct adminduk_batch;
typedef void (*adminduk_problem_fn)(void *arg, int line, const char *problem);
/* The checked rows, or NULL when the text has any problem (or memory ran out:
 * *problems 1, reported as line 0). */
struct adminduk_batch *adminduk_check(const char *text, size_t len, adminduk_problem_fn fn,
                                      void *arg, int *problems);
int adminduk_rows(const struct adminduk_batch *b);
/* FCALL kt_adminduk_import for the batch at unix time now; *argv is owned by
 * the batch. Returns argc, or -1 when out of memory. */
int adminduk_command(struct adminduk_batch *b, long long now, const char ***argv);
void adminduk_free(struct adminduk_batch *b);

#endif
