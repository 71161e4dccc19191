/* report_csv.c: owns the CSV row loop of report exports (see report_csv.h). */
#include "csv.h"
#include "report.h"
#include "report_csv.h"

int
approve_report_csv(const PGresult *rows, struct approve_buf *b, approve_csv_flush flush,
		   void *ctx)
{
	int nf = PQnfields(rows), nt = PQntuples(rows), rc = 0, i, c;

	for (i = -1; rc == 0 && i < nt; i++) {
		for (c = 0; rc == 0 && c < nf; c++) {
			if (c)
				rc = approve_buf_append(b, ",", 1);
			if (rc == 0 && i < 0)
				rc = approve_csv_cell(b, PQfname(rows, c), 1);
			else if (rc == 0)
				rc = approve_csv_cell(b, PQgetisnull(rows, i, c) ? NULL :
						      PQgetvalue(rows, i, c),
						      !approve_report_plain_type(PQftype(rows, c)));
		}
		if (rc == 0)
			rc = approve_buf_append_str(b, APPROVE_CSV_EOL);
		if (rc == 0 && flush)
			rc = flush(b, ctx);
	}
	return rc;
}
