/* csv.h: CSV fields for report exports (approvalctl report --format csv
 * and GET /v1/reports/NAME.csv): RFC 4180 quoting, and cells made safe to
 * open in a spreadsheet. One implementation for both sides, so the two
 * exports of a report are the same bytes. */
#ifndef APPROVE_CSV_H
#define APPROVE_CSV_H
#include "buf.h"

/* Records end in CRLF (RFC 4180); fields are separated by ','. */
#define APPROVE_CSV_EOL "\r\n"

/* Append one field to b.
 * v NULL: an empty field (SQL NULL). A field holding a comma, double
 * quote, CR or LF is put in double quotes, with quotes doubled.
 * text != 0: v is free text (possibly chosen by a requester); when it
 * starts with '=', '+', '-', '@', TAB or CR, which a spreadsheet would run
 * as a formula, it gets a leading single quote. text == 0 is for values
 * whose type cannot carry a formula (numbers, times, booleans), where a
 * quote would corrupt a negative number.
 * 0, or -E2BIG / -ENOMEM with b unchanged. */
int approve_csv_cell(struct approve_buf *b, const char *v, int text);

/* 1 when text would be neutralised by approve_csv_cell(), else 0. */
int approve_csv_is_formula(const char *v);

#endif
