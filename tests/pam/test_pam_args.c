/* test_pam_args.c: unit tests (check) for pam_approve's argument parser
 * (pam_approve/args.c) and command-line rendering (pam_approve/cmdline.c).
 * Every malformed vector must be refused as a whole. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "peer.h"
#include "cmdline.h"

#define URL "url=unix:/run/approvald/approvald.sock"
#define NARGS(v) ((int)(sizeof(v) / sizeof((v)[0])))

static int
parse(int argc, const char **argv, struct pa_args *a)
{
	char err[256];
	int r = pa_args_parse(argc, argv, a, err, sizeof(err));

	/* a refusal always says why */
	if (r != 0)
		ck_assert_msg(err[0] != '\0', "no error message");
	return r;
}

START_TEST(test_minimal_defaults)
{
	const char *v[] = { URL };
	struct pa_args a;

	ck_assert_int_eq(parse(NARGS(v), v, &a), 0);
	ck_assert_str_eq(a.url, "unix:/run/approvald/approvald.sock");
	ck_assert_str_eq(a.server_user, "approvald");
	ck_assert_ptr_null(a.ca);
	ck_assert_str_eq(a.token_file, "/etc/pam_approve/token");
	ck_assert_ptr_null(a.keys);	/* no pinned keys unless asked */
	ck_assert_uint_eq(a.timeout, 300);
	ck_assert_int_eq(a.failmode, PA_FAIL_CLOSED);
	ck_assert_int_eq(a.reason, PA_REASON_OFF);
	ck_assert_uint_eq(a.reason_min, 0);
	ck_assert_int_eq(a.debug, 0);
}
END_TEST

START_TEST(test_all_arguments)
{
	const char *v[] = { "debug", "url=https://approvald.example:8443/base/",
			    "ca=/etc/pam_approve/ca.pem",
			    "token_file=/etc/pam_approve/tok",
			    "keys=/etc/pam_approve/approvald.pub",
			    "timeout=86400", "failmode=open", "reason=prompt",
			    "reason_min=1024", "server_user=_appr-1.d$" };
	struct pa_args a;

	ck_assert_int_eq(parse(NARGS(v), v, &a), 0);
	ck_assert_str_eq(a.url, "https://approvald.example:8443/base/");
	ck_assert_str_eq(a.ca, "/etc/pam_approve/ca.pem");
	ck_assert_str_eq(a.token_file, "/etc/pam_approve/tok");
	ck_assert_str_eq(a.keys, "/etc/pam_approve/approvald.pub");
	ck_assert_uint_eq(a.timeout, 86400);
	ck_assert_int_eq(a.failmode, PA_FAIL_OPEN);
	ck_assert_int_eq(a.reason, PA_REASON_PROMPT);
	ck_assert_uint_eq(a.reason_min, 1024);
	ck_assert_int_eq(a.debug, 1);
	ck_assert_str_eq(a.server_user, "_appr-1.d$");
}
END_TEST

START_TEST(test_other_good_values)
{
	const char *v1[] = { URL, "timeout=1", "failmode=closed",
			     "reason=optional", "reason_min=0" };
	const char *v2[] = { "reason=off", "url=http://[::1]:1" };
	const char *v3[] = { "ca=/etc/pam_approve/ca.pem", "url=HTTPS://a.example" };
	struct pa_args a;

	ck_assert_int_eq(parse(NARGS(v1), v1, &a), 0);
	ck_assert_uint_eq(a.timeout, 1);
	ck_assert_int_eq(a.failmode, PA_FAIL_CLOSED);
	ck_assert_int_eq(a.reason, PA_REASON_OPTIONAL);
	ck_assert_int_eq(parse(NARGS(v2), v2, &a), 0);
	ck_assert_int_eq(a.reason, PA_REASON_OFF);
	ck_assert_int_eq(parse(NARGS(v3), v3, &a), 0);	/* ca= may come first */
}
END_TEST

/* Each entry is one argument added after a valid url=. */
static const char *const bad_single[] = {
	"frobnicate",		/* unknown */
	"debug=1",		/* flag with a value */
	"Debug",
	"url",			/* key without '=' */
	"timeout",
	"timeout=0",
	"timeout=86401",
	"timeout=5x",
	"timeout=-1",
	"timeout=+5",
	"timeout= 5",
	"timeout=",
	"timeout=99999999999999999999999",
	"failmode=maybe",
	"failmode=",
	"failmode=OPEN",
	"failmode=open ",
	"reason=xyz",
	"reason=",
	"reason_min=1025",
	"reason_min=-1",
	"reason_min=",
	"ca=",
	"ca=relative/ca.pem",
	"token_file=",
	"token_file=token",
	"token_file=/etc/pam_approve/tok\nen",
	"keys=",
	"keys=approvald.pub",
	"keys",
	" url=http://x",
	"URL=http://x",
	"server_user=",
	"server_user=Root",
	"server_user=1abc",
	"server_user=a b",
	"server_user=a$b",
	"server_user=a/b",
	"server_user=abcdefghijklmnopqrstuvwxyz0123456",	/* 33 */
};

START_TEST(test_breakglass)
{
	const char *ok[] = { URL, "breakglass=/etc/security/approve_breakglass" };
	const char *none[] = { URL };
	const char *bad[][3] = {
		{ URL, "breakglass=relative/path", NULL },
		{ URL, "breakglass=", NULL },
		{ URL, "breakglass=/a\x01b", NULL },
		{ URL, "breakglass=/a", "breakglass=/b" },
		{ URL, "breakglass=/a", "failmode=open" },
		{ URL, "failmode=open", "breakglass=/a" },
	};
	struct pa_args a;
	size_t i;

	ck_assert_int_eq(parse(NARGS(ok), ok, &a), 0);
	ck_assert_str_eq(a.breakglass, "/etc/security/approve_breakglass");
	ck_assert_int_eq(parse(NARGS(none), none, &a), 0);
	ck_assert_ptr_null(a.breakglass);	/* off unless configured */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i][2] ? 3 : 2, bad[i], &a) != 0,
			      "accepted %s %s", bad[i][1], bad[i][2] ? bad[i][2] : "");
}
END_TEST

START_TEST(test_bad_single)
{
	const char *v[] = { URL, bad_single[_i] };
	struct pa_args a;

	ck_assert_msg(parse(NARGS(v), v, &a) != 0, "accepted '%s'",
		      bad_single[_i]);
}
END_TEST

static const char *const bad_urls[] = {
	"url=",
	"url=127.0.0.1:8080",
	"url=ftp://127.0.0.1/",
	"url=http://",
	"url=http://user:pw@127.0.0.1/",
	"url=http://127.0.0.1:0",
	"url=http://127.0.0.1:65536",
	"url=http://127.0.0.1:80x",
	"url=http://127.0.0.1/?q=1",
	"url=http://127.0.0.1/#frag",
	"url=file:///etc/passwd",
	/* plain http leaves the machine: anyone on the path could approve */
	"url=http://10.0.0.1",
	"url=http://approvald.example.org",
	"url=http://[2001:db8::1]:8080",
	"url=http://127.0.0.1.example.org",
	"url=http://localhost.example.org",
	/* localhost resolves to several addresses: a local user may listen
	 * on the one tried first */
	"url=http://localhost",
	"url=http://localhost:80",
	"url=http://LOCALHOST:443",
	/* a port any local user may bind while approvald is down */
	"url=http://127.0.0.1:8080",
	"url=http://[::1]:8080/base",
	"url=http://127.0.0.1:65535",
	/* https without ca=: any CA of the system bundle could vouch */
	"url=https://approvald.example.org",
	/* unix: an absolute, plain path */
	"url=unix:",
	"url=unix:run/approvald.sock",
	"url=unix:/",
	"url=unix:/run//approvald.sock",
	"url=unix:/run/./approvald.sock",
	"url=unix:/run/../approvald.sock",
	"url=unix:/run/approvald/",
	"url=unix:/run/approvald/..",
	"url=unix:/run/a.sock?x=1",
	"url=unix:/run/a.sock#f",
	"url=unix:/run/a sock",
	"url=unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 108 */
};

START_TEST(test_bad_url)
{
	const char *v[] = { bad_urls[_i] };
	struct pa_args a;

	ck_assert_msg(parse(NARGS(v), v, &a) != 0, "accepted '%s'",
		      bad_urls[_i]);
}
END_TEST

/* plain http stays allowed to a literal loopback address on a port only
 * root can bind (a local TLS proxy, approvald itself on port 80); unix:
 * always (the server is proven at connect) */
START_TEST(test_loopback_http)
{
	static const char *const ok[] = { "url=http://127.5.5.5",
		"url=http://127.0.0.1:443", "url=http://[::1]:80/base",
		"url=unix:/run/approvald/approvald.sock", "url=UNIX:/a",
		"url=unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 107 */ };
	unsigned start = approve_unprivileged_port_start();
	char below[64], at[64];
	struct pa_args a;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *v[] = { ok[i] };

		ck_assert_msg(parse(NARGS(v), v, &a) == 0, "refused '%s'", ok[i]);
	}
	/* the limit is the kernel's, read at the time of use */
	snprintf(below, sizeof(below), "url=http://127.0.0.1:%u", start - 1);
	snprintf(at, sizeof(at), "url=http://127.0.0.1:%u", start);
	if (start > 1 && start <= 65536) {
		const char *v[] = { below };

		ck_assert_msg(parse(NARGS(v), v, &a) == 0, "refused '%s'", below);
	}
	if (start >= 1 && start <= 65535) {
		const char *v[] = { at };

		ck_assert_msg(parse(NARGS(v), v, &a) != 0, "accepted '%s'", at);
	}
}
END_TEST

/* the refusal of localhost tells the administrator what to use instead */
START_TEST(test_localhost_message)
{
	const char *v[] = { "url=http://localhost:80" };
	struct pa_args a;
	char err[512];

	ck_assert_int_ne(pa_args_parse(NARGS(v), v, &a, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "url=unix:") && strstr(err, "literal address"),
		      "message: %s", err);
}
END_TEST

START_TEST(test_missing_url)
{
	const char *v[] = { "timeout=5", "debug" };
	struct pa_args a;

	ck_assert_int_ne(parse(NARGS(v), v, &a), 0);
	ck_assert_int_ne(parse(0, NULL, &a), 0);
}
END_TEST

static const char *const dups[][2] = {
	{ "timeout=5", "timeout=5" },
	{ "timeout=5", "timeout=6" },
	{ "debug", "debug" },
	{ "failmode=closed", "failmode=open" },
	{ "reason=off", "reason=prompt" },
	{ "reason_min=1", "reason_min=2" },
	{ "ca=/a", "ca=/b" },
	{ "token_file=/a", "token_file=/a" },
	{ "keys=/a", "keys=/b" },
	{ URL, "url=http://127.0.0.2" },
	{ "server_user=a", "server_user=a" },
};

START_TEST(test_duplicates)
{
	const char *v[] = { URL, dups[_i][0], dups[_i][1] };
	const char *w[] = { dups[_i][0], dups[_i][1] };
	struct pa_args a;

	/* the url pair already contains url= */
	if (strncmp(dups[_i][0], "url=", 4) == 0)
		ck_assert_int_ne(parse(NARGS(w), w, &a), 0);
	else
		ck_assert_int_ne(parse(NARGS(v), v, &a), 0);
}
END_TEST

START_TEST(test_overlong)
{
	struct pa_args a;
	char err[256];
	char *url = malloc(2100 + 32), *path = malloc(4200);
	const char *v1[] = { url };
	const char *v2[] = { URL, path };

	ck_assert_ptr_nonnull(url);
	ck_assert_ptr_nonnull(path);
	strcpy(url, "url=http://127.0.0.1/");
	memset(url + strlen(url), 'a', 2100);
	url[2100 + 20] = '\0';
	ck_assert_int_ne(parse(NARGS(v1), v1, &a), 0);

	strcpy(path, "token_file=/");
	memset(path + strlen(path), 'a', 4150);
	path[4150 + 12] = '\0';
	ck_assert_int_ne(pa_args_parse(NARGS(v2), v2, &a, err, sizeof(err)), 0);
	/* the message quotes a bounded prefix only */
	ck_assert_uint_lt(strlen(err), 200);
	free(url);
	free(path);
}
END_TEST

START_TEST(test_null_and_small_err)
{
	const char *v[] = { URL, NULL };
	const char *bad[] = { "nope" };
	struct pa_args a;
	char err[8];

	ck_assert_int_ne(pa_args_parse(NARGS(v), v, &a, NULL, 0), 0);
	ck_assert_int_ne(pa_args_parse(NARGS(bad), bad, &a, err, sizeof(err)), 0);
	ck_assert_uint_lt(strlen(err), sizeof(err));
}
END_TEST

/* ---- command line rendering ---- */

static size_t fmt_shown;	/* what the last fmt() said it shows */

static char *
fmt(const char *data, size_t len, int truncated, size_t max)
{
	char *out = NULL;

	ck_assert_int_eq(pa_cmdline_format(data, len, truncated, max, &out,
					   &fmt_shown), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_le(strlen(out), max);
	ck_assert_uint_le(fmt_shown, len);
	return out;
}

#define FMT_EQ(lit, expect) do { \
	char *o_ = fmt(lit, sizeof(lit) - 1, 0, 8192); \
	ck_assert_str_eq(o_, expect); \
	ck_assert_uint_eq(fmt_shown, sizeof(lit) - 1); \
	free(o_); \
} while (0)

START_TEST(test_cmdline_quoting)
{
	FMT_EQ("sudo\0systemctl\0restart\0nginx\0",
	       "sudo systemctl restart nginx");
	FMT_EQ("sudo\0-u\0bob\0/usr/bin/id\0", "sudo -u bob /usr/bin/id");
	FMT_EQ("su\0-c\0echo hi; id\0", "su -c 'echo hi; id'");
	FMT_EQ("sudo\0\0x\0", "sudo '' x");
	FMT_EQ("sudo\0it's\0", "sudo 'it'\\''s'");
	FMT_EQ("sudo\0a\nb\0", "sudo $'a\\nb'");
	FMT_EQ("sudo\0\x1b[2J\0", "sudo $'\\x1B[2J'");
	FMT_EQ("sudo\0tab\there\0", "sudo $'tab\\there'");
	FMT_EQ("sudo\0q'\\\n\0", "sudo $'q\\'\\\\\\n'");
	FMT_EQ("sudo\0caf\xc3\xa9\0", "sudo caf\xc3\xa9");
	FMT_EQ("sudo\0bad\xff\0", "sudo $'bad\\xFF'");
	FMT_EQ("sudo\0\xc0\xaf\0", "sudo $'\\xC0\\xAF'");	/* overlong '/' */
	FMT_EQ("sudo\0x\xe2\x80\xaeyz\0", "sudo $'x\\u202Eyz'");	/* RLO */
	FMT_EQ("sudo\0\xc2\x9b" "31m\0", "sudo $'\\u009B31m'");	/* C1 CSI */
	/* the hostile list of common/text.h: zero-width, word joiner, BOM,
	 * Arabic letter mark, tag characters (above U+FFFF) */
	FMT_EQ("rm\0-rf\0/tmp/x\xe2\x80\x8b\0", "rm -rf $'/tmp/x\\u200B'");
	FMT_EQ("id\0a\xe2\x81\xa0" "b\xef\xbb\xbf\xd8\x9c\0", "id $'a\\u2060b\\uFEFF\\u061C'");
	FMT_EQ("id\0\xf3\xa0\x80\x81x\0", "id $'\\U000E0001x'");
	/* no final NUL: the last argument was cut */
	FMT_EQ("sudo\0abc", "sudo abc...");
}
END_TEST

START_TEST(test_cmdline_bounds)
{
	static char big[20000];
	char *o;
	size_t i;

	memcpy(big, "sudo", 5);
	for (i = 5; i < sizeof(big) - 1; i++)
		big[i] = (i % 100 == 0) ? '\0' : 'x';
	big[sizeof(big) - 1] = '\0';
	o = fmt(big, sizeof(big), 0, 8192);
	ck_assert_uint_eq(strlen(o), 8192);
	ck_assert_str_eq(o + 8189, "...");
	ck_assert_uint_eq(fmt_shown, 8189);	/* plain: a byte per byte */
	free(o);

	/* escaping grows the text: still bounded, cut between characters */
	for (i = 5; i < sizeof(big) - 1; i++)
		big[i] = (i % 100 == 0) ? '\0' : '\n';
	o = fmt(big, sizeof(big), 0, 100);
	ck_assert_uint_le(strlen(o), 100);
	ck_assert_str_eq(o + strlen(o) - 3, "...");
	free(o);

	/* multibyte characters are not split */
	for (i = 5; i + 1 < sizeof(big) - 1; i += 2) {
		big[i] = '\xc3';
		big[i + 1] = '\xa9';
	}
	big[sizeof(big) - 1] = '\0';
	o = fmt(big, sizeof(big), 0, 50);
	ck_assert_uint_le(strlen(o), 50);
	ck_assert_str_eq(o + strlen(o) - 3, "...");
	ck_assert_int_ne((unsigned char)o[strlen(o) - 4], 0xc3);
	free(o);

	/* truncated input is marked even when short */
	o = fmt("a\0b\0", 4, 1, 100);
	ck_assert_str_eq(o, "a b...");
	free(o);

	/* how much a cut text shows, through quoting and escapes */
	o = fmt("echo\0it's here\0", 15, 0, 12);
	ck_assert_str_eq(o, "echo 'it...");
	ck_assert_uint_eq(fmt_shown, 7);	/* "echo\0it" */
	free(o);
	o = fmt("echo\0a\nbcdef\0", 13, 0, 15);
	ck_assert_str_eq(o, "echo $'a\\nbc...");
	ck_assert_uint_eq(fmt_shown, 9);	/* "echo\0a\nbc" */
	free(o);
	o = fmt("id\0\xc3\xa9\xc3\xa9\xc3\xa9\0", 10, 0, 8);
	ck_assert_str_eq(o, "id \xc3\xa9...");
	ck_assert_uint_eq(fmt_shown, 5);
	free(o);
}
END_TEST

START_TEST(test_cmdline_refuses)
{
	char *o = (char *)1;
	size_t shown;

	ck_assert_int_ne(pa_cmdline_format("", 0, 0, 100, &o, &shown), 0);
	ck_assert_ptr_null(o);
	ck_assert_int_ne(pa_cmdline_format("a\0", 2, 0, 3, &o, &shown), 0);
	ck_assert_int_ne(pa_cmdline_format(NULL, 5, 0, 100, &o, &shown), 0);
}
END_TEST

static Suite *
pam_args_suite(void)
{
	Suite *s = suite_create("pam_args");
	TCase *tc = tcase_create("args");

	tcase_add_test(tc, test_minimal_defaults);
	tcase_add_test(tc, test_breakglass);
	tcase_add_test(tc, test_all_arguments);
	tcase_add_test(tc, test_other_good_values);
	tcase_add_loop_test(tc, test_bad_single, 0,
			    (int)(sizeof(bad_single) / sizeof(bad_single[0])));
	tcase_add_loop_test(tc, test_bad_url, 0,
			    (int)(sizeof(bad_urls) / sizeof(bad_urls[0])));
	tcase_add_test(tc, test_missing_url);
	tcase_add_test(tc, test_loopback_http);
	tcase_add_test(tc, test_localhost_message);
	tcase_add_loop_test(tc, test_duplicates, 0,
			    (int)(sizeof(dups) / sizeof(dups[0])));
	tcase_add_test(tc, test_overlong);
	tcase_add_test(tc, test_null_and_small_err);
	suite_add_tcase(s, tc);

	tc = tcase_create("cmdline");
	tcase_add_test(tc, test_cmdline_quoting);
	tcase_add_test(tc, test_cmdline_bounds);
	tcase_add_test(tc, test_cmdline_refuses);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pam_args_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
