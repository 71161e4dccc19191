/* test_conf.c: check suite for common/conf.c: good files (comments,
 * blanks, trimming, empty values, CRLF, no final newline), every kind of
 * bad file with its "FILE:LINE: what" message (missing '=', bad key,
 * duplicate, overlong line, NUL byte, oversize, unknown key), the
 * APPROVE_CONF_SECURE checks (owner, group/other-writable, symlink), and
 * the shared value parsers. */
#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>

#include "conf.h"
#include "unit.h"

static const char *const allowed[] = { "listen", "database", "debug",
				       "public_url", "request_ttl", NULL };

START_TEST(good)
{
	static const char text[] =
		"# approvald test config\n"
		"\n"
		"   # indented comment\n"
		"listen = 127.0.0.1:8080\n"
		"database=host=/run/postgresql dbname=approval\n"
		"\tdebug\t=\tyes  \r\n"
		"public_url =\n"
		"request_ttl = 600 # not a comment";
	struct approve_conf *c = NULL;
	char err[256] = "";

	ck_assert_int_eq(approve_conf_parse("t.conf", text, sizeof(text) - 1,
					    allowed, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(approve_conf_get(c, "listen"), "127.0.0.1:8080");
	ck_assert_uint_eq(approve_conf_line(c, "listen"), 4);
	ck_assert_str_eq(approve_conf_get(c, "database"),
			 "host=/run/postgresql dbname=approval");
	ck_assert_str_eq(approve_conf_get(c, "debug"), "yes");
	ck_assert_uint_eq(approve_conf_line(c, "debug"), 6);
	ck_assert_str_eq(approve_conf_get(c, "public_url"), "");
	ck_assert_str_eq(approve_conf_get(c, "request_ttl"), "600 # not a comment");
	ck_assert_ptr_null(approve_conf_get(c, "missing"));
	ck_assert_uint_eq(approve_conf_line(c, "missing"), 0);
	approve_conf_free(c);
	approve_conf_free(NULL);

	/* empty input and any-key mode */
	ck_assert_int_eq(approve_conf_parse("e", "", 0, allowed, &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(approve_conf_get(c, "listen"));
	approve_conf_free(c);
	ck_assert_int_eq(approve_conf_parse("a", "any_key_9 = v\n", 14, NULL, &c,
					    err, sizeof(err)), 0);
	ck_assert_str_eq(approve_conf_get(c, "any_key_9"), "v");
	approve_conf_free(c);
}
END_TEST

struct bad_case {
	const char *text;
	size_t len;	/* 0: strlen */
	const char *msg;	/* expected substring of err */
};
#define T(s, m) { s, sizeof(s) - 1, m }
static const struct bad_case bad[] = {
	T("listen 127.0.0.1\n", "t.conf:1: expected \"key = value\""),
	T("# c\n\nlisten\n", "t.conf:3: expected"),
	T("= value\n", "t.conf:1: missing key"),
	T("Listen = x\n", "t.conf:1: bad key"),
	T("lis ten = x\n", "t.conf:1: bad key"),
	T("listen-x = x\n", "t.conf:1: bad key"),
	T("l\xc3\xa9 = x\n", "t.conf:1: bad key"),
	T("listen = a\ndebug = no\nlisten = b\n",
	  "t.conf:3: duplicate key \"listen\" (first on line 1)"),
	T("listen = a\nnope = 1\n", "t.conf:2: unknown key \"nope\""),
	T("debug = a\0b\n", "t.conf:1: NUL byte"),
	T("debug = a\nx\0 = 1\n", "t.conf:2: NUL byte"),
	T("debug = a\x1b[31m\n", "t.conf:1: control character"),
	T("debug = a\rb\n", "t.conf:1: control character"),
};

START_TEST(bad_text)
{
	const struct bad_case *b = &bad[_i];
	struct approve_conf *c = (struct approve_conf *)1;
	char err[256] = "";

	ck_assert_int_lt(approve_conf_parse("t.conf", b->text, b->len, allowed,
					    &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, b->msg) != NULL, "case %d: err \"%s\" lacks \"%s\"",
		      _i, err, b->msg);
}
END_TEST

START_TEST(overlong_and_oversize)
{
	struct approve_conf *c = (struct approve_conf *)1;
	size_t n = APPROVE_CONF_MAX + 1;
	char *t = malloc(n + 1), err[256] = "";

	ck_assert_ptr_nonnull(t);
	/* a 4096-byte line is fine, 4097 is not */
	memcpy(t, "debug = ", 8);
	memset(t + 8, 'x', 4096 - 8);
	t[4096] = '\n';
	ck_assert_int_eq(approve_conf_parse("t.conf", t, 4097, allowed, &c, err,
					    sizeof(err)), 0);
	ck_assert_uint_eq(strlen(approve_conf_get(c, "debug")), 4088);
	approve_conf_free(c);
	memset(t + 8, 'x', 4097 - 8);
	t[4097] = '\n';
	ck_assert_int_eq(approve_conf_parse("t.conf", t, 4098, allowed, &c, err,
					    sizeof(err)), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:1: line over 4096 bytes"));
	/* 64 KiB of comments is fine; one byte more is refused */
	memset(t, '#', n);
	for (size_t i = 100; i < n; i += 100)
		t[i] = '\n';
	ck_assert_int_eq(approve_conf_parse("t.conf", t, n - 1, allowed, &c, err,
					    sizeof(err)), 0);
	approve_conf_free(c);
	ck_assert_int_eq(approve_conf_parse("t.conf", t, n, allowed, &c, err,
					    sizeof(err)), -EFBIG);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:0: file over"));
	free(t);
}
END_TEST

static int
load(const char *path, int flags, char *err, size_t errlen, struct approve_conf **c)
{
	return approve_conf_load(path, flags, allowed, c, err, errlen);
}

START_TEST(files)
{
	const char *d = unit_tmpdir();
	struct approve_conf *c = NULL;
	struct passwd *nobody = getpwnam("nobody");
	char err[512] = "", *p, *link, *big;

	p = unit_write(d, "ok.conf", "listen = 1\n", 11, 0644);
	ck_assert_int_eq(load(p, APPROVE_CONF_NONE, err, sizeof(err), &c), 0);
	ck_assert_str_eq(approve_conf_get(c, "listen"), "1");
	approve_conf_free(c);
	if (geteuid() == 0) {
		ck_assert_int_eq(load(p, APPROVE_CONF_SECURE, err, sizeof(err), &c), 0);
		approve_conf_free(c);
		ck_assert_int_eq(chmod(p, 0400), 0);	/* read-only is fine */
		ck_assert_int_eq(load(p, APPROVE_CONF_SECURE, err, sizeof(err), &c), 0);
		approve_conf_free(c);
	}
	/* group- or world-writable */
	ck_assert_int_eq(chmod(p, 0664), 0);
	ck_assert_int_lt(load(p, APPROVE_CONF_SECURE, err, sizeof(err), &c), 0);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, p));
	ck_assert_int_eq(chmod(p, 0646), 0);
	ck_assert_int_lt(load(p, APPROVE_CONF_SECURE, err, sizeof(err), &c), 0);
	if (geteuid() == 0)
		ck_assert_ptr_nonnull(strstr(err, "writable by group or others"));
	/* not owned by root */
	ck_assert_int_eq(chmod(p, 0644), 0);
	ck_assert_ptr_nonnull(nobody);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(p, nobody->pw_uid, nobody->pw_gid), 0);
	ck_assert_int_eq(load(p, APPROVE_CONF_SECURE, err, sizeof(err), &c), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "not owned by root"));
	ck_assert_int_eq(load(p, APPROVE_CONF_NONE, err, sizeof(err), &c), 0);
	approve_conf_free(c);
	/* symlink: refused when secure, followed otherwise */
	ck_assert_int_ge(asprintf(&link, "%s/link.conf", d), 0);
	ck_assert_int_eq(symlink(p, link), 0);
	ck_assert_int_lt(load(link, APPROVE_CONF_SECURE, err, sizeof(err), &c), 0);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "symlink"));
	ck_assert_int_eq(load(link, APPROVE_CONF_NONE, err, sizeof(err), &c), 0);
	approve_conf_free(c);
	free(link);
	free(p);
	/* directory, missing file, FIFO */
	ck_assert_int_lt(load(d, APPROVE_CONF_NONE, err, sizeof(err), &c), 0);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	ck_assert_int_ge(asprintf(&p, "%s/missing.conf", d), 0);
	ck_assert_int_eq(load(p, APPROVE_CONF_NONE, err, sizeof(err), &c), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "missing.conf:0: "));
	free(p);
	ck_assert_int_ge(asprintf(&p, "%s/fifo.conf", d), 0);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_lt(load(p, APPROVE_CONF_NONE, err, sizeof(err), &c), 0);
	free(p);
	/* oversize file; a bad line names the file and line */
	big = calloc(1, APPROVE_CONF_MAX + 10);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', APPROVE_CONF_MAX + 10);
	p = unit_write(d, "big.conf", big, APPROVE_CONF_MAX + 10, 0600);
	ck_assert_int_eq(load(p, APPROVE_CONF_NONE, err, sizeof(err), &c), -EFBIG);
	free(p);
	free(big);
	p = unit_write(d, "bad.conf", "\n\nlisten = 1\nlisten\n", 20, 0600);
	ck_assert_int_eq(load(p, APPROVE_CONF_NONE, err, sizeof(err), &c), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "bad.conf:4: "));
	free(p);
	unit_rmdir(d);
}
END_TEST

START_TEST(parse_ulong_strict)
{
	unsigned long v = 77;

	ck_assert_int_eq(approve_parse_ulong("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(approve_parse_ulong("600", 10, 86400, &v), 0);
	ck_assert_uint_eq(v, 600);
	ck_assert_int_eq(approve_parse_ulong("18446744073709551615", 0, ~0UL, &v), 0);
	ck_assert_uint_eq(v, ~0UL);
	v = 77;
	ck_assert_int_eq(approve_parse_ulong("18446744073709551616", 0, ~0UL, &v), -ERANGE);
	ck_assert_int_eq(approve_parse_ulong("99999999999999999999999", 0, ~0UL, &v), -ERANGE);
	ck_assert_int_eq(approve_parse_ulong("9", 10, 86400, &v), -ERANGE);
	ck_assert_int_eq(approve_parse_ulong("86401", 10, 86400, &v), -ERANGE);
	ck_assert_int_eq(approve_parse_ulong("", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(approve_parse_ulong(NULL, 0, 10, &v), -EINVAL);
	ck_assert_int_eq(approve_parse_ulong("+5", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(approve_parse_ulong("-5", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(approve_parse_ulong(" 5", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(approve_parse_ulong("5 ", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(approve_parse_ulong("5s", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(approve_parse_ulong("0x5", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(approve_parse_ulong("1e3", 0, 10000, &v), -EINVAL);
	ck_assert_uint_eq(v, 77);	/* untouched on failure */
}
END_TEST

START_TEST(booleans)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	static const char *const junk[] = { "", "YES?", "y", "2", "yes ", " no",
					    "nope", "truee", "-1" };
	size_t i;
	int b;

	for (i = 0; i < 4; i++) {
		b = -1;
		ck_assert_int_eq(approve_parse_bool(yes[i], &b), 0);
		ck_assert_int_eq(b, 1);
		ck_assert_int_eq(approve_parse_bool(no[i], &b), 0);
		ck_assert_int_eq(b, 0);
	}
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		b = 7;
		ck_assert_int_eq(approve_parse_bool(junk[i], &b), -EINVAL);
		ck_assert_int_eq(b, 7);
	}
	ck_assert_int_eq(approve_parse_bool(NULL, &b), -EINVAL);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, good);
	tcase_add_loop_test(tc, bad_text, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, overlong_and_oversize);
	tcase_add_test(tc, files);
	tcase_add_test(tc, parse_ulong_strict);
	tcase_add_test(tc, booleans);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(conf_suite());
}
