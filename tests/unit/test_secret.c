/* test_secret.c: check suite for common/secret.c: token generation
 * (prefix, alphabet, length, uniqueness), sha256 hashing against a known
 * vector, constant-time compare, and every refusal of the token file reader
 * (group/other bits, non-root owner, symlink, FIFO, directory, bad charset,
 * empty, oversize) next to the accepted forms. Runs as root (chown). */
#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>

#include "secret.h"
#include "unit.h"

START_TEST(generate)
{
	char *a = NULL, *b = NULL;
	size_t i;

	ck_assert_int_eq(approve_token_generate("aph_", &a), 0);
	ck_assert_int_eq(approve_token_generate("aph_", &b), 0);
	ck_assert_uint_eq(strlen(a), 4 + 43);	/* base64url(32 bytes), no padding */
	ck_assert_int_eq(strncmp(a, "aph_", 4), 0);
	for (i = 4; a[i]; i++)
		ck_assert_ptr_nonnull(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
	ck_assert_int_eq(approve_token_generate("apa_", &a), 0);
	ck_assert_int_eq(strncmp(a, "apa_", 4), 0);
	free(a);
	ck_assert_int_eq(approve_token_generate(NULL, &a), 0);
	ck_assert_uint_eq(strlen(a), 43);
	free(a);
}
END_TEST

START_TEST(hash)
{
	char h[APPROVE_HASH_HEX_LEN + 1];

	/* sha256("abc"), FIPS 180-2 test vector */
	ck_assert_int_eq(approve_token_hash("abc", 3, h), 0);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(approve_token_hash("", 0, h), 0);
	ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* the length is honoured: trailing bytes are not hashed */
	ck_assert_int_eq(approve_token_hash("abcdef", 3, h), 0);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(ct_equal)
{
	ck_assert_int_eq(approve_ct_equal("abcd", "abcd", 4), 1);
	ck_assert_int_eq(approve_ct_equal("abcd", "abce", 4), 0);
	ck_assert_int_eq(approve_ct_equal("xbcd", "abcd", 4), 0);
	ck_assert_int_eq(approve_ct_equal("a\0c", "a\0d", 3), 0);
	ck_assert_int_eq(approve_ct_equal("a", "b", 0), 1);
}
END_TEST

/* Read path; expect r. On success, the token must equal want. */
static void
expect_read(const char *path, int r, const char *want, const char *errpart)
{
	struct approve_secret *s = (struct approve_secret *)1;
	char err[256] = "";

	ck_assert_int_eq(approve_secret_read_file(path, &s, err, sizeof(err)), r);
	if (r == 0) {
		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(s->data, want);
		ck_assert_uint_eq(s->len, strlen(want));
		approve_secret_free(s);
	} else {
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(err, path) != NULL, "err lacks path: %s", err);
		if (errpart)
			ck_assert_msg(strstr(err, errpart) != NULL, "err: %s", err);
	}
}

START_TEST(read_good)
{
	const char *d = unit_tmpdir();
	char *p;

	p = unit_write(d, "t1", "aph_abcDEF-_09", 14, 0600);
	if (geteuid() != 0) {	/* our own file is not root's: refused */
		expect_read(p, -EPERM, NULL, "not owned by root");
		free(p);
		unit_rmdir(d);
		return;
	}
	expect_read(p, 0, "aph_abcDEF-_09", NULL);
	free(p);
	p = unit_write(d, "t2", "aph_abc\n", 8, 0400);	/* one trailing newline */
	expect_read(p, 0, "aph_abc", NULL);
	free(p);
	p = unit_write(d, "t3", "x", 1, 0600);
	expect_read(p, 0, "x", NULL);
	free(p);
	unit_rmdir(d);
}
END_TEST

/* Contents refused whatever the file's permissions. */
#define C(s, msg) { s, sizeof(s) - 1, msg }
static const struct { const char *data; size_t len; const char *msg; } bad_content[] = {
	C("", "empty"), C("\n", "empty"),
	C("aph_abc\n\n", "outside"), C("aph_abc\r\n", "outside"),
	C("aph_a bc", "outside"), C("aph_a\0bc", "outside"),
	C("aph_\xc3\xa9", "outside"), C("aph_a/b+c=", "outside"),
	C("\naph_abc", "outside"), C("aph_abc\x1b[0m", "outside"),
};

START_TEST(read_refused)
{
	const char *d = unit_tmpdir();
	char big[APPROVE_TOKEN_MAX + 2], *p, *link;
	struct passwd *nobody = getpwnam("nobody");
	size_t i;

	if (geteuid() != 0) {
		unit_rmdir(d);
		ck_abort_msg("needs root (chown to nobody, root-owned files)");
	}
	p = unit_write(d, "g", "aph_abc", 7, 0640);
	expect_read(p, -EPERM, NULL, "group/others");
	free(p);
	p = unit_write(d, "o", "aph_abc", 7, 0604);
	expect_read(p, -EPERM, NULL, "group/others");
	free(p);
	p = unit_write(d, "x", "aph_abc", 7, 0601);
	expect_read(p, -EPERM, NULL, NULL);
	free(p);

	p = unit_write(d, "nobody", "aph_abc", 7, 0600);
	ck_assert_ptr_nonnull(nobody);
	ck_assert_int_eq(chown(p, nobody->pw_uid, 0), 0);
	expect_read(p, -EPERM, NULL, "not owned by root");
	free(p);

	p = unit_write(d, "target", "aph_abc", 7, 0600);
	ck_assert_int_ge(asprintf(&link, "%s/link", d), 0);
	ck_assert_int_eq(symlink(p, link), 0);
	expect_read(link, -EACCES, NULL, "symlink");
	free(link);
	free(p);

	ck_assert_int_ge(asprintf(&p, "%s/fifo", d), 0);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	expect_read(p, -EACCES, NULL, "not a regular file");	/* and no hang */
	free(p);
	expect_read(d, -EACCES, NULL, NULL);

	ck_assert_int_ge(asprintf(&p, "%s/missing", d), 0);
	expect_read(p, -ENOENT, NULL, NULL);
	free(p);

	for (i = 0; i < sizeof(bad_content) / sizeof(bad_content[0]); i++) {
		p = unit_write(d, "bad", bad_content[i].data, bad_content[i].len, 0600);
		expect_read(p, -EINVAL, NULL, bad_content[i].msg);
		free(p);
	}

	memset(big, 'a', sizeof(big));
	p = unit_write(d, "max", big, APPROVE_TOKEN_MAX, 0600);
	{
		struct approve_secret *s = NULL;
		char err[256];

		ck_assert_int_eq(approve_secret_read_file(p, &s, err, sizeof(err)), 0);
		ck_assert_uint_eq(s->len, APPROVE_TOKEN_MAX);
		approve_secret_free(s);
	}
	free(p);
	p = unit_write(d, "max_nl", big, APPROVE_TOKEN_MAX + 1, 0600);
	expect_read(p, -EINVAL, NULL, "too large");
	free(p);
	p = unit_write(d, "huge", big, sizeof(big), 0600);
	expect_read(p, -EINVAL, NULL, "too large");
	free(p);
	expect_read("", -EINVAL, NULL, NULL);
	unit_rmdir(d);
}
END_TEST

START_TEST(free_null)
{
	approve_secret_free(NULL);
}
END_TEST

static Suite *
secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, generate);
	tcase_add_test(tc, hash);
	tcase_add_test(tc, ct_equal);
	tcase_add_test(tc, read_good);
	tcase_add_test(tc, read_refused);
	tcase_add_test(tc, free_null);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(secret_suite());
}
