/* report_csv.h: a report's rows (a libpq result) as CSV records: the one
 * row loop behind `approvalctl report --format csv` and
 * GET /v1/reports/NAME.csv, so both exports are the same bytes. Built into
 * its own small library (common/meson.build): only approvald and
 * approvalctl link libpq, never the PAM module. */
#ifndef APPROVE_REPORT_CSV_H
#define APPROVE_REPORT_CSV_H
#include <libpq-fe.h>

#include "buf.h"

/* Called after each complete record: may take b's bytes (write them and
 * set b->len = 0); nonzero stops the loop and is returned. */
typedef int (*approve_csv_flush)(struct approve_buf *b, void *ctx);

/* Append to b a header record of the column names, then one record per
 * row (approve_csv_cell: SQL NULL an empty field; columns whose type is
 * not approve_report_plain_type() formula-safe), each ending in
 * APPROVE_CSV_EOL; flush (when not NULL) after each record.
 * 0, -E2BIG / -ENOMEM (b's cap or memory), or what flush returned. */
int approve_report_csv(const PGresult *rows, struct approve_buf *b,
		       approve_csv_flush flush, void *ctx);

#endif
