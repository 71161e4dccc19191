/* test_access.c: check suite for approvald/access.c, the route
 * authorisation rule: each class admits exactly its callers (host tokens,
 * readers, deciders; auditors read but never decide), and a class the
 * rule does not know (a corrupted or future route table entry) is refused
 * with 500 for every caller, an admin included: it never falls through to
 * allow. Not reachable over HTTP: the route table holds known classes. */
#include <errno.h>

#include "access.h"
#include "unit.h"

static struct identity
who(enum identity_kind kind, unsigned roles)
{
	struct identity w;

	memset(&w, 0, sizeof(w));
	w.kind = kind;
	w.roles = roles;
	w.id = 7;
	return w;
}

static int
check(enum access_need need, struct identity w, unsigned *status)
{
	struct access_refusal no = { 0, NULL, NULL };
	int r = access_check(need, &w, &no);

	*status = r == 0 ? 0 : no.status;
	if (r != 0) {
		ck_assert_int_eq(r, -EACCES);
		ck_assert_ptr_nonnull(no.error);
		ck_assert_ptr_nonnull(no.detail);
	}
	return r;
}

START_TEST(classes)
{
	const struct identity host = who(IDENTITY_HOST, 0);
	const struct identity none = who(IDENTITY_NONE, 0);
	const struct identity approver = who(IDENTITY_APPROVER, ROLE_APPROVER);
	const struct identity auditor = who(IDENTITY_APPROVER, ROLE_AUDITOR);
	const struct identity admin = who(IDENTITY_APPROVER, ROLE_ADMIN);
	const struct identity roleless = who(IDENTITY_APPROVER, 0);
	/* a host never gains approver rights from stray role bits */
	const struct identity host_roles = who(IDENTITY_HOST, ROLE_ADMIN | ROLE_APPROVER);
	unsigned st;

	ck_assert_int_eq(check(NEED_NONE, none, &st), 0);
	ck_assert_int_eq(check(NEED_NONE, host, &st), 0);

	ck_assert_int_eq(check(NEED_HOST, host, &st), 0);
	ck_assert_int_ne(check(NEED_HOST, admin, &st), 0);
	ck_assert_uint_eq(st, 403);
	ck_assert_int_ne(check(NEED_HOST, none, &st), 0);
	ck_assert_uint_eq(st, 403);

	ck_assert_int_eq(check(NEED_READER, approver, &st), 0);
	ck_assert_int_eq(check(NEED_READER, auditor, &st), 0);
	ck_assert_int_eq(check(NEED_READER, admin, &st), 0);
	ck_assert_int_ne(check(NEED_READER, roleless, &st), 0);
	ck_assert_uint_eq(st, 403);
	ck_assert_int_ne(check(NEED_READER, host, &st), 0);
	ck_assert_int_ne(check(NEED_READER, host_roles, &st), 0);
	ck_assert_int_ne(check(NEED_READER, none, &st), 0);

	ck_assert_int_eq(check(NEED_DECIDER, approver, &st), 0);
	ck_assert_int_eq(check(NEED_DECIDER, admin, &st), 0);
	ck_assert_int_ne(check(NEED_DECIDER, auditor, &st), 0);
	ck_assert_uint_eq(st, 403);
	ck_assert_int_ne(check(NEED_DECIDER, roleless, &st), 0);
	ck_assert_int_ne(check(NEED_DECIDER, host_roles, &st), 0);
	ck_assert_int_ne(check(NEED_DECIDER, none, &st), 0);
}
END_TEST

START_TEST(unknown_class_refuses)
{
	const struct identity all[] = {
		who(IDENTITY_NONE, 0), who(IDENTITY_HOST, 0),
		who(IDENTITY_APPROVER, ROLE_APPROVER | ROLE_AUDITOR | ROLE_ADMIN),
	};
	const int needs[] = { NEED_DECIDER + 1, 42, -1, 0x7fffffff };
	struct access_refusal no;
	size_t i, j;

	for (i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		for (j = 0; j < sizeof(all) / sizeof(all[0]); j++) {
			no = (struct access_refusal){ 0, NULL, NULL };
			ck_assert_int_eq(access_check((enum access_need)needs[i], &all[j], &no),
					 -EACCES);
			ck_assert_uint_eq(no.status, 500);
			ck_assert_str_eq(no.error, "internal_error");
		}
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("access");

	tcase_add_test(tc, classes);
	tcase_add_test(tc, unknown_class_refuses);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
