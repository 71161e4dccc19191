/* test_report.c: check suite for common/report.c: the catalogue (names
 * unique and plain identifiers, exact lookup only), the query text (the
 * view from the table, parameters for the dates, LIMIT), strict calendar
 * dates with hostile inputs, and which column types CSV leaves alone. */
#include <errno.h>

#include "report.h"
#include "unit.h"

START_TEST(catalogue)
{
	size_t i, j;

	ck_assert_uint_eq(approve_reports_count, 12);
	for (i = 0; i < approve_reports_count; i++) {
		const char *n = approve_reports[i].name;

		/* the name is pasted into SQL: identifier characters only */
		ck_assert_uint_gt(strlen(n), 0);
		ck_assert_uint_eq(strspn(n, "abcdefghijklmnopqrstuvwxyz_"), strlen(n));
		ck_assert_ptr_eq(approve_report_find(n), &approve_reports[i]);
		for (j = i + 1; j < approve_reports_count; j++)
			ck_assert_str_ne(n, approve_reports[j].name);
	}
}
END_TEST

static const char *const not_names[] = {
	"", "Elevations", "elevations ", " elevations", "report_elevations", "elevations.csv",
	"elevations;drop table x", "elevation", "elevationss", "../elevations", "audit_log",
	"elevations\n", "settings",
};

START_TEST(find_exact_only)
{
	ck_assert_ptr_null(approve_report_find(not_names[_i]));
}
END_TEST

START_TEST(sql_text)
{
	char sql[1024], tiny[16];

	ck_assert_int_eq(approve_report_sql(approve_report_find("denied"), 0, 0, sql, sizeof(sql)), 0);
	ck_assert_str_eq(sql, "SELECT r.* FROM approval.report_denied r WHERE "
			 "r.day BETWEEN $1::date AND $2::date ORDER BY r.created_at, r.request_id");
	ck_assert_int_eq(approve_report_sql(approve_report_find("approver_activity"), 1, 100001,
					    sql, sizeof(sql)), 0);
	ck_assert_str_eq(sql, "SELECT pg_catalog.row_to_json(r)::text FROM "
			 "approval.report_approver_activity r WHERE r.day BETWEEN $1::date AND "
			 "$2::date ORDER BY r.day, r.approver LIMIT 100001");
	ck_assert_int_eq(approve_report_sql(approve_report_find("host_silence"), 0, 5, sql, sizeof(sql)), 0);
	ck_assert_ptr_nonnull(strstr(sql, "FROM approval.report_host_silence r WHERE r.day <= $2::date"));
	ck_assert_ptr_nonnull(strstr(sql, "ORDER BY r.host, r.silent_since LIMIT 5"));
	ck_assert_int_eq(approve_report_sql(approve_report_find("denied"), 0, 0, tiny, sizeof(tiny)),
			 -ENAMETOOLONG);
}
END_TEST

static const char *const good_dates[] = {
	"2025-03-03", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "2025-12-31",
	"2025-04-30", "2025-01-31",
};
static const char *const bad_dates[] = {
	"", "2025-3-03", "2025-03-3", "25-03-03", "2025/03/03", "2025-03-03 ", " 2025-03-03",
	"2025-03-03T00:00", "2025-13-01", "2025-00-10", "2025-01-00", "2025-01-32",
	"2025-02-29", "1900-02-29", "2100-02-29", "2025-04-31", "0000-01-01", "+025-01-01",
	"2025-0a-01", "2025-01-0\xff", "２０２５-01-01", "infinity", "-infinity", "epoch",
	"2025-03-03\n", "20250303", "2025--03-03",
};

START_TEST(good_date)
{
	ck_assert_msg(approve_report_date_valid(good_dates[_i]) == 1, "refused %s", good_dates[_i]);
}
END_TEST

START_TEST(bad_date)
{
	ck_assert_msg(approve_report_date_valid(bad_dates[_i]) == 0, "accepted %s", bad_dates[_i]);
}
END_TEST

START_TEST(null_date)
{
	ck_assert_int_eq(approve_report_date_valid(NULL), 0);
}
END_TEST

START_TEST(plain_types)
{
	static const unsigned int plain[] = { 16, 20, 21, 23, 700, 701, 1700, 1082, 1083, 1114, 1184 };
	static const unsigned int text[] = { 25, 1043, 2950, 3802, 114, 1009, 0, 19, 18 };
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		ck_assert_int_eq(approve_report_plain_type(plain[i]), 1);
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		ck_assert_int_eq(approve_report_plain_type(text[i]), 0);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, catalogue);
	tcase_add_loop_test(tc, find_exact_only, 0, N(not_names));
	tcase_add_test(tc, sql_text);
	tcase_add_loop_test(tc, good_date, 0, N(good_dates));
	tcase_add_loop_test(tc, bad_date, 0, N(bad_dates));
	tcase_add_test(tc, null_date);
	tcase_add_test(tc, plain_types);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(report_suite());
}
