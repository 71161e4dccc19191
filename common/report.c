/* report.c: owns the report catalogue and the text of its queries (see
 * report.h). Adding a report view means one line in the table below. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

/* "day" is every view's date column; the period is inclusive. */
#define DAY_RANGE "r.day BETWEEN $1::date AND $2::date"

const struct approve_report approve_reports[] = {
	{ "elevations", DAY_RANGE, "r.created_at, r.request_id" },
	{ "decision_latency", DAY_RANGE, "r.day, r.approver" },
	{ "denied", DAY_RANGE, "r.created_at, r.request_id" },
	{ "expired_unanswered", DAY_RANGE, "r.created_at, r.request_id" },
	{ "self_approval_attempts", DAY_RANGE, "r.at, r.request_id" },
	{ "approver_activity", DAY_RANGE, "r.day, r.approver" },
	{ "after_hours", DAY_RANGE, "r.created_at, r.request_id" },
	{ "auto_allowed", DAY_RANGE, "r.created_at, r.request_id" },
	{ "initiators", DAY_RANGE, "r.day, r.host, r.service, r.initiator" },
	{ "breakglass", DAY_RANGE, "r.created_at, r.request_id" },
	{ "notification_failures", DAY_RANGE, "r.day, r.sink" },
	/* silences overlapping the period */
	{ "host_silence", "r.day <= $2::date AND (r.ongoing OR (r.silent_until AT TIME ZONE"
	  " (SELECT s.time_zone FROM approval.report_settings s))::date >= $1::date)",
	  "r.host, r.silent_since" },
};
const size_t approve_reports_count = sizeof(approve_reports) / sizeof(approve_reports[0]);

const char approve_report_settings_sql[] =
	"SELECT pg_catalog.set_config('TimeZone', 'UTC', true),"
	" pg_catalog.set_config('DateStyle', 'ISO, YMD', true),"
	" pg_catalog.set_config('IntervalStyle', 'iso_8601', true),"
	" pg_catalog.set_config('extra_float_digits', '1', true)";

const struct approve_report *
approve_report_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < approve_reports_count; i++)
		if (strcmp(approve_reports[i].name, name) == 0)
			return &approve_reports[i];
	return NULL;
}

int
approve_report_sql(const struct approve_report *rep, int as_json,
		   unsigned long limit, char *out, size_t len)
{
	char lim[32] = "";
	int n;

	if (limit)
		snprintf(lim, sizeof(lim), " LIMIT %lu", limit);
	n = snprintf(out, len, as_json ?
		"SELECT pg_catalog.row_to_json(r)::text FROM approval.report_%s r"
		" WHERE %s ORDER BY %s%s" :
		"SELECT r.* FROM approval.report_%s r WHERE %s ORDER BY %s%s",
		rep->name, rep->range, rep->order, lim);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

int
approve_report_date_valid(const char *s)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, leap;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    !digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
		return 0;
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

int
approve_report_plain_type(unsigned int oid)
{
	switch (oid) {
	case 16:	/* bool */
	case 20: case 21: case 23:	/* int8, int2, int4 */
	case 700: case 701: case 1700:	/* float4, float8, numeric */
	case 1082: case 1083: case 1114: case 1184:	/* date, time, timestamp(tz) */
		return 1;
	default:
		return 0;
	}
}
