/* test_breakglass.c: check suite for common/breakglass.c: generated codes
 * and their hashes, normalisation of typed codes, matching, the failure
 * delay, the strict file parser (table of refused files) and its round
 * trip through the writer, the on-disk checks that need no root (a
 * symlink, group bits, two links), and the reported-use JSON. */
#include <errno.h>
#include <fcntl.h>

#include "breakglass.h"
#include "buf.h"
#include "unit.h"

#define SALT "00112233445566778899aabbccddeeff"
#define HASH "0011223344556677889900112233445566778899001122334455667788990011"

START_TEST(generate_and_match)
{
	char code[APPROVE_BG_CODE_SHOWN + 1], norm[APPROVE_BG_CODE_CHARS + 1], typed[64];
	struct approve_bg_file *f = approve_bg_file_new();
	size_t i;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 3; i++) {
		struct approve_bg_entry *e = &f->e[f->n++];

		ck_assert_int_eq(approve_bg_generate(code, e->id, e->salt, e->hash), 0);
		ck_assert_int_eq(approve_bg_id_valid(e->id), 1);
		ck_assert_uint_eq(strlen(code), APPROVE_BG_CODE_SHOWN);
		ck_assert_int_eq(approve_bg_set_text(&e->host, "web1", 64), 0);
	}
	/* the last code, typed in lower case with blanks and O for 0 */
	snprintf(typed, sizeof(typed), " %s ", code);
	for (i = 0; typed[i]; i++) {
		if (typed[i] >= 'A' && typed[i] <= 'Z')
			typed[i] = (char)(typed[i] - 'A' + 'a');
		if (typed[i] == '0')
			typed[i] = 'o';
		if (typed[i] == '1')
			typed[i] = 'l';
	}
	ck_assert_int_eq(approve_bg_normalize(typed, strlen(typed), norm), 0);
	ck_assert_int_eq(approve_bg_match(f, norm), 2);
	norm[0] = norm[0] == 'Z' ? 'Y' : 'Z';
	ck_assert_int_eq(approve_bg_match(f, norm), -ENOENT);
	approve_bg_file_free(f);
}
END_TEST

START_TEST(normalize_refuses)
{
	static const char *const bad[] = {
		"", "ABCDE", "ABCDE-FGHJK-MNPQR-STVWX-YZ01", "ABCDE-FGHJK-MNPQR-STVWX-YZ0123",
		"ABCDE-FGHJK-MNPQR-STVWX-YZ01U", "ABCDE_FGHJK_MNPQR_STVWX_YZ012",
		"ABCDE-FGHJK-MNPQR-STVWX-YZ01\xc3\xa9",
	};
	char norm[APPROVE_BG_CODE_CHARS + 1];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(approve_bg_normalize(bad[i], strlen(bad[i]), norm) != 0,
			      "accepted '%s'", bad[i]);
		ck_assert_str_eq(norm, "");
	}
	ck_assert_int_eq(approve_bg_normalize("ABCDE-FGHJK-MNPQR-STVWX-YZ012", 29, norm), 0);
	ck_assert_str_eq(norm, "ABCDEFGHJKMNPQRSTVWXYZ012");
}
END_TEST

START_TEST(delay)
{
	struct approve_bg_file f = { .failures = 0, .last_failure = 1000 };

	ck_assert_int_eq(approve_bg_delay_left(&f, 1000), 0);
	f.failures = 1;
	ck_assert_int_eq(approve_bg_delay_left(&f, 1000), APPROVE_BG_DELAY_BASE_S);
	ck_assert_int_eq(approve_bg_delay_left(&f, 1000 + APPROVE_BG_DELAY_BASE_S), 0);
	f.failures = 2;
	ck_assert_int_eq(approve_bg_delay_left(&f, 1001), 2 * APPROVE_BG_DELAY_BASE_S - 1);
	f.failures = 1000000;
	ck_assert_int_eq(approve_bg_delay_left(&f, 1000), APPROVE_BG_DELAY_MAX_S);
	ck_assert_int_eq(approve_bg_delay_left(&f, 10), APPROVE_BG_DELAY_MAX_S);	/* clock went back */
}
END_TEST

#define HEAD "approve-breakglass 1\nfailures 0 0\n"
#define UNUSED "code BG-ABCDEFGH web1 1700000000 " SALT " " HASH " unused\n"
#define USED "code BG-ABCDEFGJ web%2D1 1700000000 " SALT " " HASH \
	" used 1700000100 1 alice root sudo " HASH " sudo%20/usr/bin/id\n"

START_TEST(parse_round_trip)
{
	static const char text[] = HEAD UNUSED USED;
	struct approve_bg_file *f = NULL, *g = NULL;
	struct approve_buf b;
	char err[256];

	ck_assert_int_eq(approve_bg_parse(text, sizeof(text) - 1, &f, err, sizeof(err)), 0);
	ck_assert_uint_eq(f->n, 2);
	ck_assert_int_eq(f->e[0].used, 0);
	ck_assert_str_eq(f->e[1].host, "web-1");
	ck_assert_str_eq(f->e[1].command, "sudo /usr/bin/id");
	ck_assert_int_eq(f->e[1].reported, 1);
	approve_buf_init(&b, APPROVE_BG_FILE_MAX);
	ck_assert_int_eq(approve_bg_format(f, &b), 0);
	ck_assert_str_eq(b.data, text);
	ck_assert_int_eq(approve_bg_parse(b.data, b.len, &g, err, sizeof(err)), 0);
	ck_assert_uint_eq(g->n, 2);
	approve_buf_release(&b);
	approve_bg_file_free(f);
	approve_bg_file_free(g);
}
END_TEST

START_TEST(parse_refuses)
{
	static const char *const bad[] = {
		"",
		"approve-breakglass 1\n",
		"approve-breakglass 2\nfailures 0 0\n",
		"approve-breakglass 1\nfailures 0 0",			/* no final newline */
		"approve-breakglass 1\nfailures -1 0\n",
		"approve-breakglass 1\nfailures 01 0\n",
		"approve-breakglass  1\nfailures 0 0\n",
		"approve-breakglass 1 \nfailures 0 0\n",
		HEAD "code BG-ABCDEFGH web1 1700000000 " SALT " " HASH "\n",
		HEAD "code BG-ABCDEFGI web1 1700000000 " SALT " " HASH " unused\n",
		HEAD "code BG-ABCDEFGH web1 1700000000 " SALT " " HASH " spent\n",
		HEAD "code BG-ABCDEFGH web1 1700000000 " SALT "0 " HASH " unused\n",
		HEAD "code BG-ABCDEFGH web1 1700000000 " SALT " " HASH " used\n",
		HEAD "code BG-ABCDEFGH web%41 1700000000 " SALT " " HASH " unused\n", /* plain escaped */
		HEAD "code BG-ABCDEFGH web%00 1700000000 " SALT " " HASH " unused\n",
		HEAD "code BG-ABCDEFGH web%2 1700000000 " SALT " " HASH " unused\n",
		HEAD "code BG-ABCDEFGH - 1700000000 " SALT " " HASH " unused\n",	/* empty host */
		HEAD UNUSED UNUSED,						/* duplicate id */
		HEAD "note hello\n",
		HEAD "code BG-ABCDEFGH web%FF 1700000000 " SALT " " HASH " unused\n", /* not UTF-8 */
	};
	struct approve_bg_file *f = NULL;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(approve_bg_parse(bad[i], strlen(bad[i]), &f, err, sizeof(err)) != 0,
			      "accepted case %zu", i);
		ck_assert_ptr_null(f);
		ck_assert_msg(err[0], "case %zu: no reason", i);
	}
	ck_assert_int_eq(approve_bg_parse("x\0y\n", 4, &f, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(parse_limits)
{
	struct approve_bg_file *f = NULL;
	struct approve_buf b;
	char err[256], id[16];
	int i;

	approve_buf_init(&b, APPROVE_BG_FILE_MAX * 2);
	ck_assert_int_eq(approve_buf_append_str(&b, HEAD), 0);
	for (i = 0; i <= APPROVE_BG_ENTRIES_MAX; i++) {
		snprintf(id, sizeof(id), "BG-AAAA%04d", i);
		ck_assert_int_eq(approve_buf_printf(&b, "code %s web1 1 " SALT " " HASH
						    " unused\n", id), 0);
	}
	ck_assert_int_eq(approve_bg_parse(b.data, b.len, &f, err, sizeof(err)), -E2BIG);
	ck_assert_ptr_null(f);
	approve_buf_release(&b);
	approve_buf_init(&b, APPROVE_BG_FILE_MAX * 2);
	ck_assert_int_eq(approve_buf_append_str(&b, HEAD "code "), 0);
	for (i = 0; i < APPROVE_BG_LINE_MAX; i++)
		ck_assert_int_eq(approve_buf_append(&b, "x", 1), 0);
	ck_assert_int_eq(approve_buf_append(&b, "\n", 1), 0);
	ck_assert_int_eq(approve_bg_parse(b.data, b.len, &f, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	approve_buf_release(&b);
}
END_TEST

/* As a non-root user every file is refused for its owner; as root the
 * other checks show. Either way nothing is accepted here. */
START_TEST(open_refuses)
{
	const char *dir = unit_tmpdir();
	char p[256], l[256], err[512];
	struct approve_bg_handle h;
	int fd;

	snprintf(p, sizeof(p), "%s/bg", dir);
	snprintf(l, sizeof(l), "%s/link", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0640);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, HEAD, strlen(HEAD)), (ssize_t)strlen(HEAD));
	close(fd);
	ck_assert_int_ne(approve_bg_open(p, 0, 0, &h, err, sizeof(err)), 0);
	ck_assert_int_eq(symlink(p, l), 0);
	ck_assert_int_ne(approve_bg_open(l, 0, 0, &h, err, sizeof(err)), 0);
	ck_assert_int_ne(approve_bg_open("relative", 0, 0, &h, err, sizeof(err)), 0);
	ck_assert_int_eq(h.fd, -1);
	ck_assert_int_eq(h.dirfd, -1);
	approve_bg_close(&h);
}
END_TEST

START_TEST(use_json)
{
	struct approve_bg_entry e = { .id = "BG-ABCDEFGH", .used = 1, .used_at = 1700000000,
				      .digest = HASH };
	struct approve_bg_use *u = NULL;
	char *json = NULL, err[256];
	static const char *const bad[] = {
		"{}",
		"{\"code_id\":\"BG-ABCDEFGI\",\"requester\":\"a\",\"target_user\":\"r\",\"service\":\"s\",\"command\":\"\",\"digest\":\"" HASH "\",\"used_at\":1}",
		"{\"code_id\":\"BG-ABCDEFGH\",\"requester\":\"a\",\"target_user\":\"r\",\"service\":\"s\",\"command\":\"\",\"digest\":\"" HASH "\",\"used_at\":0}",
		"{\"code_id\":\"BG-ABCDEFGH\",\"requester\":\"\",\"target_user\":\"r\",\"service\":\"s\",\"command\":\"\",\"digest\":\"" HASH "\",\"used_at\":1}",
		"{\"code_id\":\"BG-ABCDEFGH\",\"requester\":\"a\",\"target_user\":\"r\",\"service\":\"s\",\"command\":\"\",\"digest\":\"" HASH "\",\"used_at\":1,\"x\":1}",
		"{\"code_id\":\"BG-ABCDEFGH\",\"requester\":\"a\",\"target_user\":\"r\",\"service\":\"s\",\"command\":\"\",\"digest\":\"ABC\",\"used_at\":1}",
	};
	size_t i;

	e.user = strdup("alice");
	e.target = strdup("root");
	e.service = strdup("sudo");
	e.command = strdup("sudo id");
	ck_assert_int_eq(approve_bg_use_to_json(&e, &json), 0);
	ck_assert_int_eq(approve_bg_use_from_json(json, strlen(json), &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u->code_id, "BG-ABCDEFGH");
	ck_assert_str_eq(u->requester, "alice");
	ck_assert_str_eq(u->command, "sudo id");
	ck_assert_int_eq(u->used_at, 1700000000);
	approve_bg_use_free(u);
	free(json);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		u = NULL;
		ck_assert_msg(approve_bg_use_from_json(bad[i], strlen(bad[i]), &u, err,
						       sizeof(err)) != 0, "accepted case %zu", i);
		ck_assert_ptr_null(u);
	}
	free(e.user);
	free(e.target);
	free(e.service);
	free(e.command);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("breakglass");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, generate_and_match);
	tcase_add_test(tc, normalize_refuses);
	tcase_add_test(tc, delay);
	tcase_add_test(tc, parse_round_trip);
	tcase_add_test(tc, parse_refuses);
	tcase_add_test(tc, parse_limits);
	tcase_add_test(tc, open_refuses);
	tcase_add_test(tc, use_json);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
