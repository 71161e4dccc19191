/* test_buf.c: check suite for common/buf.c: appends, the hard cap (an
 * append past max fails and leaves the buffer unchanged), printf, take and
 * release, embedded NULs, and the err/errlen helper. */
#include <errno.h>
#include <stdint.h>

#include "buf.h"
#include "unit.h"

START_TEST(append_and_take)
{
	struct approve_buf b;
	char *p;

	approve_buf_init(&b, 100);
	ck_assert_ptr_null(b.data);
	ck_assert_int_eq(approve_buf_append_str(&b, "hello"), 0);
	ck_assert_int_eq(approve_buf_append(&b, " world", 6), 0);
	ck_assert_uint_eq(b.len, 11);
	ck_assert_str_eq(b.data, "hello world");
	ck_assert_int_eq(approve_buf_printf(&b, " %d-%s", 42, "x"), 0);
	ck_assert_str_eq(b.data, "hello world 42-x");
	p = approve_buf_take(&b);
	ck_assert_str_eq(p, "hello world 42-x");
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	free(p);
	/* taking an empty buffer yields "" */
	p = approve_buf_take(&b);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "");
	free(p);
	approve_buf_release(&b);
	approve_buf_release(NULL);
}
END_TEST

START_TEST(cap_enforced)
{
	struct approve_buf b;
	char big[64];

	memset(big, 'a', sizeof(big));
	approve_buf_init(&b, 10);
	ck_assert_int_eq(approve_buf_append(&b, big, 10), 0);
	ck_assert_int_eq(approve_buf_append(&b, big, 1), -E2BIG);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq(b.data[10], 0);
	ck_assert_int_eq(approve_buf_printf(&b, "%s", "x"), -E2BIG);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq(approve_buf_append(&b, big, 0), 0);
	approve_buf_release(&b);

	approve_buf_init(&b, 10);
	ck_assert_int_eq(approve_buf_append(&b, big, 11), -E2BIG);
	ck_assert_ptr_null(b.data);
	/* lengths that would wrap size_t arithmetic */
	ck_assert_int_eq(approve_buf_append(&b, big, SIZE_MAX), -E2BIG);
	approve_buf_init(&b, SIZE_MAX);
	ck_assert_int_eq(approve_buf_append(&b, big, 3), 0);
	ck_assert_int_eq(approve_buf_append(&b, big, SIZE_MAX - 1), -E2BIG);
	ck_assert_int_eq(approve_buf_append(&b, big, SIZE_MAX), -E2BIG);
	ck_assert_uint_eq(b.len, 3);
	approve_buf_release(&b);
}
END_TEST

START_TEST(grows_and_embedded_nul)
{
	struct approve_buf b;
	size_t i;

	approve_buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(approve_buf_append(&b, "a\0b", 3), 0);
	ck_assert_uint_eq(b.len, 30000);
	ck_assert_uint_le(b.len + 1, b.cap);
	ck_assert_int_eq(b.data[1], 0);
	ck_assert_int_eq(b.data[29999], 'b');
	ck_assert_int_eq(b.data[30000], 0);
	approve_buf_release(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(errf)
{
	char err[8];

	approve_errf(err, sizeof(err), "%s:%d", "file", 12345);
	ck_assert_str_eq(err, "file:12");	/* cut, still terminated */
	approve_errf(NULL, 0, "%s", "nothing");
	err[0] = 'x';
	approve_errf(err, 0, "%s", "nothing");
	ck_assert_int_eq(err[0], 'x');
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, append_and_take);
	tcase_add_test(tc, cap_enforced);
	tcase_add_test(tc, grows_and_embedded_nul);
	tcase_add_test(tc, errf);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(buf_suite());
}
