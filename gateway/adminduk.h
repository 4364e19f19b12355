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

#define ADMINDUK_ROWS_MAX 20000
#define ADMINDUK_FILE_MAX (4 * 1024 * 1024)

/* Checks and applies path; reports to out. Returns 0 when applied, 1 when
 * the file was refused (nothing applied), 2 when Redis could not be reached. */
int adminduk_import(const struct config *cfg, const char *path, FILE *out);

#endif
