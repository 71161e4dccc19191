/* report.h: the catalogue of compliance reports (sql/003_reports.sql),
 * shared by `approvalctl report` and GET /v1/reports/NAME so that both run
 * the same query and print the same values. The view name, its period
 * filter and its order come from this fixed table only; what a user types
 * picks an entry by exact name and never reaches the SQL text. Dates
 * travel as query parameters. No libpq here: column types are plain oids. */
#ifndef APPROVE_REPORT_H
#define APPROVE_REPORT_H
#include <stddef.h>

struct approve_report {
	const char *name;	/* the view is approval.report_<name> */
	const char *range;	/* WHERE over alias r: $1 = first day, $2 = last day */
	const char *order;	/* ORDER BY over alias r */
};

extern const struct approve_report approve_reports[];
extern const size_t approve_reports_count;

/* The entry named exactly name (without "report_"), or NULL. */
const struct approve_report *approve_report_find(const char *name);

/* The statement for rep, into out: "SELECT r.* ..." or, with as_json, one
 * row_to_json text per row. limit 0: no LIMIT. 0, or -ENAMETOOLONG. */
int approve_report_sql(const struct approve_report *rep, int as_json,
		       unsigned long limit, char *out, size_t len);

/* Run inside the report's read-only transaction before the query: fixed
 * output settings (UTC, ISO dates, ISO intervals, exact floats), so the
 * text of every value is the same for every client and session. */
extern const char approve_report_settings_sql[];

/* Open ends of a period: the parameters for a missing from / to. */
#define APPROVE_REPORT_FROM_ANY "-infinity"
#define APPROVE_REPORT_TO_ANY "infinity"

/* 1 when s is exactly YYYY-MM-DD and a real calendar day (years
 * 0001..9999, leap years counted), else 0. */
int approve_report_date_valid(const char *s);

/* 1 when values of the PostgreSQL type with this oid are numbers, times
 * or booleans (their text cannot start a spreadsheet formula, so CSV
 * leaves them alone), else 0. */
int approve_report_plain_type(unsigned int oid);

#endif
