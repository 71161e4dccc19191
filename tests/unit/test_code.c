/* test_code.c: check suite for common/code.c: generated codes are
 * well-formed, use only the alphabet and differ; validation and
 * normalisation of codes; uuid syntax checks with hostile inputs. */
#include <ctype.h>
#include <errno.h>

#include "code.h"
#include "unit.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

START_TEST(generate)
{
	char c[APPROVE_CODE_LEN + 1], first[APPROVE_CODE_LEN + 1];
	int seen[256] = { 0 }, i, j, same = 0, distinct = 0;

	ck_assert_int_eq(approve_code_generate(first), 0);
	for (i = 0; i < 2000; i++) {
		memset(c, 'x', sizeof(c));
		ck_assert_int_eq(approve_code_generate(c), 0);
		ck_assert_uint_eq(strlen(c), APPROVE_CODE_LEN);
		ck_assert_int_eq(c[3], '-');
		ck_assert_int_eq(approve_code_valid(c), 1);
		for (j = 0; j < APPROVE_CODE_LEN; j++) {
			if (j == 3)
				continue;
			ck_assert_ptr_nonnull(strchr(alphabet, c[j]));
			seen[(unsigned char)c[j]]++;
		}
		if (strcmp(c, first) == 0)
			same++;
	}
	/* 30 random bits: 2000 draws essentially never repeat the first */
	ck_assert_int_le(same, 1);
	/* 12000 symbols cover the whole 32-symbol alphabet */
	for (j = 0; alphabet[j]; j++)
		distinct += seen[(unsigned char)alphabet[j]] > 0;
	ck_assert_int_eq(distinct, 32);
	ck_assert_int_eq(seen['I'] + seen['L'] + seen['O'] + seen['U'], 0);
}
END_TEST

static const char *const good_codes[] = {
	"K7Q-4MX", "k7q-4mx", "000-000", "ZZZ-ZZZ", "abc-def", "V9W-XY8",
};
static const char *const bad_codes[] = {
	"", "K7Q4MX", "K7Q-4M", "K7Q-4MXX", "K7Q_4MX", "I7Q-4MX", "K7L-4MX",
	"K7Q-4OX", "K7Q-4MU", "k7q-4mu", " K7Q-4MX", "K7Q-4MX ", "K7Q-4MX\n",
	"K7Q--MX", "-K7Q4MX", "K7Q-4M\x01", "K7Q-4M\xc3\xa9", "\xff\xff\xff-\xff\xff\xff",
};

START_TEST(valid_codes)
{
	char out[APPROVE_CODE_LEN + 1];
	const char *s = good_codes[_i];
	int i;

	ck_assert_int_eq(approve_code_valid(s), 1);
	ck_assert_int_eq(approve_code_normalize(s, out), 0);
	ck_assert_uint_eq(strlen(out), APPROVE_CODE_LEN);
	for (i = 0; i < APPROVE_CODE_LEN; i++)
		ck_assert_int_eq(out[i], toupper((unsigned char)s[i]));
}
END_TEST

START_TEST(invalid_codes)
{
	char out[APPROVE_CODE_LEN + 1] = "keepme";

	ck_assert_int_eq(approve_code_valid(bad_codes[_i]), 0);
	ck_assert_int_eq(approve_code_normalize(bad_codes[_i], out), -EINVAL);
	ck_assert_str_eq(out, "keepme");	/* untouched on failure */
}
END_TEST

START_TEST(null_code)
{
	char out[APPROVE_CODE_LEN + 1];

	ck_assert_int_eq(approve_code_valid(NULL), 0);
	ck_assert_int_eq(approve_code_normalize(NULL, out), -EINVAL);
	ck_assert_int_eq(approve_uuid_valid(NULL), 0);
}
END_TEST

static const char *const good_uuids[] = {
	"123e4567-e89b-12d3-a456-426614174000",
	"00000000-0000-0000-0000-000000000000",
	"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
	"aBcDeF01-2345-6789-abcd-ef0123456789",
};
static const char *const bad_uuids[] = {
	"", "123e4567e89b12d3a456426614174000",
	"123e4567-e89b-12d3-a456-42661417400",
	"123e4567-e89b-12d3-a456-4266141740000",
	"123e4567-e89b-12d3-a456_426614174000",
	"123e4567-e89b-12d3-a456-42661417400g",
	"{123e4567-e89b-12d3-a456-426614174000}",
	" 123e4567-e89b-12d3-a456-426614174000",
	"123e4567-e89b-12d3-a456-426614174000\n",
	"123e4567-e89b-12d3-a456-42661417400\xc3\xa9",
	"123e4567-e89b-12d3-a45--426614174000",
	"../../../etc/passwd-aaaa-bbbb-cccccc",
	"123e4567-e89b-12d3-a456-426614174000' OR '1'='1",
};

START_TEST(uuids)
{
	ck_assert_int_eq(approve_uuid_valid(good_uuids[_i]), 1);
}
END_TEST

START_TEST(bad_uuid)
{
	char out[APPROVE_UUID_LEN + 1] = "x";

	ck_assert_msg(approve_uuid_valid(bad_uuids[_i]) == 0, "accepted %s", bad_uuids[_i]);
	ck_assert_int_eq(approve_uuid_normalize(bad_uuids[_i], strlen(bad_uuids[_i]), out),
			 -EINVAL);
	ck_assert_str_eq(out, "");
}
END_TEST

/* Lower-cased, whole input only: a uuid followed by more bytes, or with a
 * NUL inside its length, is refused. */
START_TEST(uuid_normalize)
{
	static const char nul[] = "123e4567-e89b-12d3-a456-426614\0" "74000";	/* 36 */
	char out[APPROVE_UUID_LEN + 1];
	const char *up = "ABCDEF01-2345-6789-ABCD-EF0123456789";

	ck_assert_int_eq(approve_uuid_normalize(up, strlen(up), out), 0);
	ck_assert_str_eq(out, "abcdef01-2345-6789-abcd-ef0123456789");
	ck_assert_int_eq(approve_uuid_normalize(good_uuids[0], strlen(good_uuids[0]), out), 0);
	ck_assert_str_eq(out, good_uuids[0]);
	ck_assert_int_eq(approve_uuid_normalize(up, APPROVE_UUID_LEN - 1, out), -EINVAL);
	ck_assert_int_eq(approve_uuid_normalize(nul, APPROVE_UUID_LEN, out), -EINVAL);
	ck_assert_int_eq(approve_uuid_normalize("123e4567-e89b-12d3-a456-426614174000 x",
						APPROVE_UUID_LEN + 2, out), -EINVAL);
	/* the first 36 bytes of a longer buffer, when the caller says so */
	ck_assert_int_eq(approve_uuid_normalize("123E4567-e89b-12d3-a456-426614174000 x",
						APPROVE_UUID_LEN, out), 0);
	ck_assert_str_eq(out, "123e4567-e89b-12d3-a456-426614174000");
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
code_suite(void)
{
	Suite *s = suite_create("code");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, generate);
	tcase_add_loop_test(tc, valid_codes, 0, N(good_codes));
	tcase_add_loop_test(tc, invalid_codes, 0, N(bad_codes));
	tcase_add_test(tc, null_code);
	tcase_add_loop_test(tc, uuids, 0, N(good_uuids));
	tcase_add_loop_test(tc, bad_uuid, 0, N(bad_uuids));
	tcase_add_test(tc, uuid_normalize);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(code_suite());
}
