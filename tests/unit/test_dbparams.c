/* test_dbparams.c: check suite for approvald/dbparams.c, the connection
 * parameters of approvald's pool and LISTEN connection: the operator's
 * conninfo overrides the defaults but never target_session_attrs (always
 * read-write, also when the conninfo asks for "any"); a host list (keywords
 * or URI, with per-host ports and hostaddrs) starts one entry later after
 * each timed-out attempt and comes back round; one host, or one port for
 * all hosts, is left alone. No connection is made. */
#include <errno.h>

#include "dbparams.h"
#include "unit.h"

/* The value the last entry for key has (what libpq uses), or NULL. */
static const char *
last(struct db_params *p, const char *key)
{
	const char *kw[DB_PARAMS_MAX], *val[DB_PARAMS_MAX], *v = NULL;
	int i;

	db_params_fill(p, kw, val);
	for (i = 0; kw[i]; i++) {
		ck_assert_int_lt(i, DB_PARAMS_MAX - 1);
		if (strcmp(kw[i], key) == 0)
			v = val[i];
	}
	return v;
}

START_TEST(read_write_always_wins)
{
	struct db_params p;

	ck_assert_int_eq(db_params_init(&p, "host=/run/postgresql dbname=approval "
					"target_session_attrs=any connect_timeout=2"), 0);
	ck_assert_str_eq(last(&p, "target_session_attrs"), "read-write");
	/* the conninfo's own connect_timeout=2 reaches libpq through the
	 * expanded dbname entry, which comes after the default one */
	ck_assert_str_eq(last(&p, "connect_timeout"), "5");
	ck_assert_str_eq(last(&p, "dbname"), "host=/run/postgresql dbname=approval "
			 "target_session_attrs=any connect_timeout=2");
	ck_assert_uint_eq(p.nhosts, 1);
	ck_assert_ptr_null(last(&p, "host"));	/* one host: not repeated */
	db_connect_timed_out(&p, NULL);
	ck_assert_ptr_null(last(&p, "host"));
	db_params_free(&p);
}
END_TEST

START_TEST(host_list_rotates_on_timeout)
{
	struct db_params p;

	ck_assert_int_eq(db_params_init(&p, "host=pg1,pg2,/run/pg3 port=5432,5433,5434 "
					"dbname=approval"), 0);
	ck_assert_uint_eq(p.nhosts, 3);
	ck_assert_str_eq(last(&p, "host"), "pg1,pg2,/run/pg3");
	ck_assert_str_eq(last(&p, "port"), "5432,5433,5434");
	db_connect_timed_out(&p, NULL);
	ck_assert_str_eq(last(&p, "host"), "pg2,/run/pg3,pg1");
	ck_assert_str_eq(last(&p, "port"), "5433,5434,5432");
	db_connect_timed_out(&p, NULL);
	ck_assert_str_eq(last(&p, "host"), "/run/pg3,pg1,pg2");
	ck_assert_str_eq(last(&p, "port"), "5434,5432,5433");
	db_connect_timed_out(&p, NULL);
	ck_assert_str_eq(last(&p, "host"), "pg1,pg2,/run/pg3");
	ck_assert_str_eq(last(&p, "target_session_attrs"), "read-write");
	db_params_free(&p);
}
END_TEST

START_TEST(one_port_and_hostaddr_lists)
{
	struct db_params p;

	ck_assert_int_eq(db_params_init(&p, "host=a,b hostaddr=10.0.0.1,10.0.0.2 "
					"port=5432 dbname=x"), 0);
	ck_assert_ptr_null(last(&p, "port"));	/* one port for all: as given */
	db_connect_timed_out(&p, NULL);
	ck_assert_str_eq(last(&p, "host"), "b,a");
	ck_assert_str_eq(last(&p, "hostaddr"), "10.0.0.2,10.0.0.1");
	db_params_free(&p);
	/* an empty entry (the default socket) keeps its place */
	ck_assert_int_eq(db_params_init(&p, "host=,pg2 dbname=x"), 0);
	ck_assert_uint_eq(p.nhosts, 2);
	db_connect_timed_out(&p, NULL);
	ck_assert_str_eq(last(&p, "host"), "pg2,");
	db_params_free(&p);
}
END_TEST

START_TEST(uri_host_list)
{
	struct db_params p;

	ck_assert_int_eq(db_params_init(&p, "postgresql://pg1:5432,pg2:5433/approval"
					"?target_session_attrs=read-only"), 0);
	ck_assert_uint_eq(p.nhosts, 2);
	db_connect_timed_out(&p, NULL);
	ck_assert_str_eq(last(&p, "host"), "pg2,pg1");
	ck_assert_str_eq(last(&p, "port"), "5433,5432");
	ck_assert_str_eq(last(&p, "target_session_attrs"), "read-write");
	db_params_free(&p);
}
END_TEST

START_TEST(unparsable_refused)
{
	struct db_params p;

	ck_assert_int_eq(db_params_init(&p, "host='unterminated"), -EINVAL);
	ck_assert_int_eq(db_params_init(&p, "nosuchkeyword=1"), -EINVAL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dbparams");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, read_write_always_wins);
	tcase_add_test(tc, host_list_rotates_on_timeout);
	tcase_add_test(tc, one_port_and_hostaddr_lists);
	tcase_add_test(tc, uri_host_list);
	tcase_add_test(tc, unparsable_refused);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
