/* report.c: `approvalctl report NAME [--from DATE] [--to DATE]
 * [--format csv|json|table]`: one compliance report view (sql/003_reports.sql)
 * for a period of days in the report time zone, as RFC 4180 CSV, a JSON
 * array of row objects, or a table for the terminal.
 * The view name and its filter and order come from common/report.c, never
 * from the command line; dates travel as parameters. CSV (common/csv.c,
 * the same writer as GET /v1/reports/NAME.csv): cells that a
 * spreadsheet would run as a formula (leading =, +, -, @, tab, CR) get a
 * leading single quote; table cells are sanitised for the terminal; JSON
 * has every control character and hostile code point escaped (common/text.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "print.h"
#include "report.h"
#include "report_csv.h"
#include "wire.h"

/* Each record written whole as soon as it is complete. */
static int
write_record(struct approve_buf *b, void *ctx)
{
	(void)ctx;
	if (fwrite(b->data, 1, b->len, stdout) != b->len)
		return -EIO;
	b->len = 0;
	return 0;
}

/* The rows as CSV (common/report_csv.c, the loop of the HTTP export). */
static int
print_csv(const PGresult *r)
{
	struct approve_buf b;
	int rc;

	approve_buf_init(&b, SIZE_MAX - 1);
	rc = approve_report_csv(r, &b, write_record, NULL);
	approve_buf_release(&b);
	return rc;
}

/* One row_to_json text per row: printed as a JSON array. */
static int
print_json(const PGresult *r)
{
	int nt = PQntuples(r);

	if (fputs(nt ? "[\n" : "[", stdout) == EOF)
		return -1;
	for (int i = 0; i < nt; i++) {
		if (ctl_put_json_text(PQgetvalue(r, i, 0)) != 0 ||
		    fputs(i + 1 < nt ? ",\n" : "\n", stdout) == EOF)
			return -1;
	}
	return fputs("]\n", stdout) == EOF ? -1 : 0;
}

#define TABLE_CELL_MAX 48

/* Characters (not bytes) of sanitised UTF-8 text, for alignment. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int
print_table(const PGresult *r)
{
	int nf = PQnfields(r), nt = PQntuples(r), rc = -1;
	char **cells = NULL;
	size_t *w = NULL;

	if (nt == 0) {
		puts("no rows");
		return 0;
	}
	cells = calloc((size_t)(nt + 1) * (size_t)nf, sizeof(*cells));
	w = calloc((size_t)nf, sizeof(*w));
	if (!cells || !w)
		goto out;
	for (int i = -1; i < nt; i++) {
		for (int c = 0; c < nf; c++) {
			const char *v = i < 0 ? PQfname(r, c) :
				PQgetisnull(r, i, c) ? "-" : PQgetvalue(r, i, c);
			char **cell = &cells[(size_t)(i + 1) * (size_t)nf + (size_t)c];

			*cell = approve_sanitize_display(v, strlen(v), TABLE_CELL_MAX);
			if (!*cell)
				goto out;
			if (width(*cell) > w[c])
				w[c] = width(*cell);
		}
	}
	for (int i = 0; i <= nt; i++) {
		for (int c = 0; c < nf; c++) {
			const char *v = cells[(size_t)i * (size_t)nf + (size_t)c];

			if (c + 1 < nf)
				printf("%s%*s  ", v, (int)(w[c] - width(v)), "");
			else
				printf("%s\n", v);
		}
	}
	rc = ferror(stdout) ? -1 : 0;
out:
	if (cells)
		for (size_t i = 0; i < (size_t)(nt + 1) * (size_t)nf; i++)
			free(cells[i]);
	free(cells);
	free(w);
	return rc;
}

/* The catalogue entry; the view's full name is accepted too. */
static const struct approve_report *
find_report(const char *name)
{
	if (!strncmp(name, "report_", 7))
		name += 7;
	return approve_report_find(name);
}

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

/* Run the report in a read-only transaction with fixed output settings
 * (UTC, ISO dates), so the text of every value is the same for everyone. */
static int
run_query(struct ctl_ctx *c, const struct approve_report *rep, enum fmt fmt,
	  const char *from, const char *to)
{
	char sql[1024], what[96];
	const char *params[2] = { from, to };
	PGconn *db = NULL;
	PGresult *r = NULL;
	int rc, n;

	if (approve_report_sql(rep, fmt == FMT_JSON, 0, sql, sizeof(sql)) != 0) {
		ctl_err("internal error: report query too long");
		return CTL_FAILURE;
	}
	snprintf(what, sizeof(what), "report %s", rep->name);
	rc = ctl_db_connect(c, 0, &db);
	if (rc != CTL_OK)
		return rc;
	if (PQsetClientEncoding(db, "UTF8") != 0) {
		ctl_err("%s: cannot set client_encoding to UTF8", what);
		rc = CTL_FAILURE;
		goto out;
	}
	rc = ctl_db_do(db, what, "START TRANSACTION READ ONLY", 0, NULL, NULL);
	if (rc == CTL_OK)
		rc = ctl_db_do(db, what, approve_report_settings_sql, 0, NULL, NULL);
	if (rc == CTL_OK)
		rc = ctl_db_do(db, what, sql, 2, params, &r);
	if (rc != CTL_OK)
		goto out;
	n = fmt == FMT_CSV ? print_csv(r) : fmt == FMT_JSON ? print_json(r) : print_table(r);
	if (n != 0 || fflush(stdout) != 0) {
		ctl_err("%s: could not write the report", what);
		rc = CTL_FAILURE;
	}
out:
	PQclear(r);
	PQfinish(db);
	return rc;
}

static const struct option report_opts[] = {
	{ "from", required_argument, NULL, 'f' },
	{ "to", required_argument, NULL, 't' },
	{ "format", required_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 },
};

static int
run_report(struct ctl_ctx *c, int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	const struct approve_report *rep;
	enum fmt fmt = FMT_TABLE;
	int o;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'f':
		case 't':
			if (!approve_report_date_valid(optarg))
				return ctl_usage_error(c, "bad --%s '%s' (YYYY-MM-DD)",
						       o == 'f' ? "from" : "to", optarg);
			*(o == 'f' ? &from : &to) = optarg;
			break;
		case 'F':
			if (!strcmp(optarg, "csv"))
				fmt = FMT_CSV;
			else if (!strcmp(optarg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(optarg, "table"))
				fmt = FMT_TABLE;
			else
				return ctl_usage_error(c, "bad --format '%s' (csv, json, table)",
						       optarg);
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind >= argc)
		return ctl_usage_error(c, "missing report NAME");
	if (optind + 1 < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind + 1]);
	rep = find_report(argv[optind]);
	if (!rep)
		return ctl_usage_error(c, "unknown report '%s' (see 'approvalctl report --help')",
				       argv[optind]);
	if (from && to && strcmp(from, to) > 0)
		return ctl_usage_error(c, "--from %s is after --to %s", from, to);
	return run_query(c, rep, fmt, from ? from : APPROVE_REPORT_FROM_ANY,
			 to ? to : APPROVE_REPORT_TO_ANY);
}

const struct ctl_command ctl_cmd_report = {
	.name = "report",
	.synopsis = "NAME [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format csv|json|table]",
	.summary = "print a compliance report for a period (database, read-only)",
	.details = "NAME: elevations, decision_latency, denied, expired_unanswered,\n"
		   "self_approval_attempts, approver_activity, after_hours, auto_allowed,\n"
		   "initiators, breakglass, notification_failures, host_silence (the views\n"
		   "approval.report_NAME;\n"
		   "docs/compliance.md).\n"
		   "Days are dates in the report time zone (approval.report_settings);\n"
		   "the period is inclusive, open-ended when --from or --to is left out;\n"
		   "host_silence lists the silences that overlap it. Times are UTC.\n"
		   "Options:\n"
		   "  --from DATE     first day\n"
		   "  --to DATE       last day\n"
		   "  --format FMT    table (default), csv (RFC 4180, CRLF; cells that\n"
		   "                  start with = + - @ tab or CR get a leading ')\n"
		   "                  or json (an array of row objects)\n",
	.longopts = report_opts, .run = run_report,
};
