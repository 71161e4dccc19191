/* test_password.c: check suite for common/password.c: round trip, wrong
 * passwords, the stored format, and hostile stored forms and inputs (every
 * one of which must be a mismatch, never a match or a crash). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "unit.h"

/* A known vector: PBKDF2-HMAC-SHA256("password", 16 x 'A', 600000), made
 * with Python's hashlib.pbkdf2_hmac, so the format is checked against an
 * independent implementation. */
static const char known[] =
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQQ$"
	"6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4";

START_TEST(round_trip)
{
	char *h = NULL, *h2 = NULL;

	ck_assert_int_eq(approve_password_hash("correct horse", 13, &h), 0);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(strncmp(h, "pbkdf2-sha256$600000$", 21), 0);
	ck_assert_uint_le(strlen(h), APPROVE_PASSWORD_HASH_MAX);
	ck_assert_int_eq(approve_password_verify("correct horse", 13, h), 1);
	ck_assert_int_eq(approve_password_verify("correct hors", 12, h), 0);
	ck_assert_int_eq(approve_password_verify("correct horsf", 13, h), 0);
	ck_assert_int_eq(approve_password_verify("Correct horse", 13, h), 0);
	ck_assert_int_eq(approve_password_needs_rehash(h), 0);
	/* a fresh salt every time */
	ck_assert_int_eq(approve_password_hash("correct horse", 13, &h2), 0);
	ck_assert_str_ne(h, h2);
	free(h);
	free(h2);
}
END_TEST

START_TEST(known_vector)
{
	ck_assert_int_eq(approve_password_verify("password", 8, known), 1);
	ck_assert_int_eq(approve_password_verify("passwore", 8, known), 0);
}
END_TEST

START_TEST(bad_input)
{
	char *h = (char *)0x1;
	char big[APPROVE_PASSWORD_MAX + 2];

	ck_assert_int_eq(approve_password_hash("", 0, &h), -EINVAL);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(approve_password_hash("a\0b", 3, &h), -EINVAL);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(approve_password_hash(big, APPROVE_PASSWORD_MAX + 1, &h),
			 -EINVAL);
	ck_assert_int_eq(approve_password_verify(NULL, 0, known), 0);
	ck_assert_int_eq(approve_password_verify("", 0, known), 0);
	/* a NUL inside does not truncate the password to a match */
	ck_assert_int_eq(approve_password_verify("password\0x", 10, known), 0);
	ck_assert_int_eq(approve_password_verify(big, sizeof(big), known), 0);
}
END_TEST

/* Every one of these is a mismatch, whatever the password. */
static const char *const hostile[] = {
	NULL,
	"",
	"password",
	"pbkdf2-sha256$",
	"pbkdf2-sha256$600000$",
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQQ$",
	/* other scheme names */
	"pbkdf2-sha1$600000$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"PBKDF2-SHA256$600000$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	/* iterations: too few, too many, sign, leading zero, junk, overflow */
	"pbkdf2-sha256$1$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$99999$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$10000001$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$+600000$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$0600000$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$600000x$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$99999999999999999999999$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	/* salt: short, long, padded, bad alphabet, nonzero trailing bits */
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQQA$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQQ==$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQ+$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQR$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4",
	/* key: short, long, extra field, trailing newline */
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb",
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4A",
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4$",
	"pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQQ$6ZktfUzt6L01lkjuAzYnfQkV5jhcw7Xdyppc0-Z3Hb4\n",
};

START_TEST(hostile_stored)
{
	ck_assert_int_eq(approve_password_verify("password", 8, hostile[_i]), 0);
	ck_assert_int_eq(approve_password_needs_rehash(hostile[_i]), 1);
}
END_TEST

START_TEST(overlong_stored)
{
	char s[APPROVE_PASSWORD_HASH_MAX + 64];

	/* a valid form padded past the length limit before the key */
	memset(s, 0, sizeof(s));
	strcpy(s, "pbkdf2-sha256$600000$QUFBQUFBQUFBQUFBQUFBQQ$");
	memset(s + strlen(s), 'A', APPROVE_PASSWORD_HASH_MAX);
	ck_assert_int_eq(approve_password_verify("password", 8, s), 0);
}
END_TEST

START_TEST(needs_rehash)
{
	/* an older, cheaper hash still verifies but asks to be redone */
	static const char old[] = "pbkdf2-sha256$100000$QUFBQUFBQUFBQUFBQUFBQQ$"
		"2Z34XaklJUuUGAzEP6up1NyKpoHVp3Om5bC-b1oqC-k";

	ck_assert_int_eq(approve_password_verify("password", 8, old), 1);
	ck_assert_int_eq(approve_password_needs_rehash(old), 1);
	ck_assert_int_eq(approve_password_needs_rehash(known), 0);
}
END_TEST

static Suite *
password_suite(void)
{
	Suite *s = suite_create("password");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, known_vector);
	tcase_add_test(tc, bad_input);
	tcase_add_loop_test(tc, hostile_stored, 0,
			    (int)(sizeof(hostile) / sizeof(hostile[0])));
	tcase_add_test(tc, overlong_stored);
	tcase_add_test(tc, needs_rehash);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(password_suite());
}
