/* test_text.c: check suite for common/text.c: UTF-8 decoding (overlongs,
 * surrogates, above U+10FFFF, truncation, stray continuation bytes), the
 * hostile code point list (every entry and its neighbours), the display
 * sanitiser (escape sequences, controls, bidi and zero-width characters,
 * tag characters, cuts at character boundaries, how much input a cut
 * result stands for) and the JSON escaping for terminals (the JSON still
 * parses to the same value, nothing hostile is left raw), and the command
 * display for approvers (blank markers and runs, line count, hostile code
 * points and bad bytes marked, right-to-left letters reported, head ...
 * tail keeping the end of a long command). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "text.h"
#include "unit.h"

START_TEST(decode)
{
	static const struct {
		const char *s;
		size_t n, len;
		uint32_t cp;
	} cases[] = {
		{ "A", 1, 1, 0x41 }, { "\x7f", 1, 1, 0x7f },
		{ "\xc2\x80", 2, 2, 0x80 }, { "\xdf\xbf", 2, 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 3, 0x800 }, { "\xef\xbf\xbf", 3, 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "\xc0\x80", 2, 0, 0 }, { "\xc1\xbf", 2, 0, 0 },	/* overlong */
		{ "\xe0\x9f\xbf", 3, 0, 0 }, { "\xf0\x8f\xbf\xbf", 4, 0, 0 },
		{ "\xed\xa0\x80", 3, 0, 0 }, { "\xed\xbf\xbf", 3, 0, 0 },	/* surrogates */
		{ "\xf4\x90\x80\x80", 4, 0, 0 }, { "\xf5\x80\x80\x80", 4, 0, 0 },
		{ "\x80", 1, 0, 0 }, { "\xbf", 1, 0, 0 }, { "\xff", 1, 0, 0 },
		{ "\xe2\x82", 2, 0, 0 }, { "\xe2\x82\xac", 2, 0, 0 },	/* cut by n */
		{ "\xe2\x28\xac", 3, 0, 0 }, { "", 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t cp = 0xdeadbeef;
		size_t k = approve_utf8_decode((const unsigned char *)cases[i].s,
					       cases[i].n, &cp);

		ck_assert_msg(k == cases[i].len, "case %zu: length %zu", i, k);
		if (k)
			ck_assert_uint_eq(cp, cases[i].cp);
		ck_assert_int_eq(approve_utf8_valid(cases[i].s, cases[i].n),
				 cases[i].n == 0 || k == cases[i].n);
	}
}
END_TEST

START_TEST(hostile_list)
{
	static const uint32_t bad[] = {
		0x00, 0x09, 0x0a, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9b, 0x9f, 0xad,
		0x34f, 0x61c, 0x115f, 0x1160, 0x180e, 0x200b, 0x200c, 0x200d,
		0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d,
		0x202e, 0x2060, 0x2061, 0x2064, 0x2066, 0x2067, 0x2068, 0x2069,
		0x206a, 0x206f, 0x3164, 0xfeff, 0xffa0, 0xfff9, 0xfffb, 0xe0000,
		0xe0001, 0xe0041, 0xe007f,
	};
	static const uint32_t fine[] = {
		0x20, 0x41, 0x7e, 0xa0, 0xac, 0xae, 0xe9, 0x34e, 0x350, 0x61b,
		0x61d, 0x200a, 0x2010, 0x2027, 0x202f, 0x205f, 0x2065, 0x2070,
		0x20ac, 0x3163, 0x3165, 0xfefe, 0xff00, 0xfff8, 0xfffc, 0xfffd,
		0x1f511, 0xdffff, 0xe0080, 0x10ffff,
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(approve_cp_hostile(bad[i]), "U+%04X not hostile",
			      (unsigned)bad[i]);
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		ck_assert_msg(!approve_cp_hostile(fine[i]), "U+%04X hostile",
			      (unsigned)fine[i]);
}
END_TEST

struct san_case {
	const char *in;
	size_t len;
	size_t max;
	const char *out;
};
#define S(in, max, out) { in, sizeof(in) - 1, max, out }
static const struct san_case san[] = {
	S("plain text", 100, "plain text"),
	S("", 100, ""),
	S("tab\there\nnew\rline", 100, "tab?here?new?line"),
	S("a\0b", 100, "a?b"),
	S("red \x1b[31mALERT\x1b[0m", 100, "red ?ALERT?"),
	S("title \x1b]0;pwned\x07 x", 100, "title ? x"),
	S("osc \x1b]8;;http://e\x1b\\link", 100, "osc ?link"),
	S("esc \x1b" "c reset", 100, "esc ? reset"),
	S("lone esc\x1b", 100, "lone esc?"),
	S("c1 \xc2\x9b" "31m csi", 100, "c1 ? csi"),
	S("c1 \xc2\x85 nel", 100, "c1 ? nel"),
	S("del\x7f", 100, "del?"),
	S("bad \xff\xfe utf8", 100, "bad ?? utf8"),
	S("trunc \xe2\x82", 100, "trunc ??"),
	S("overlong \xc0\xaf", 100, "overlong ??"),
	S("surrogate \xed\xa0\x80", 100, "surrogate ???"),
	S("bidi \xe2\x80\xae" "evil", 100, "bidi ?evil"),
	S("isolate \xe2\x81\xa6x\xe2\x81\xa9", 100, "isolate ?x?"),
	/* the ones wire.c used to let through */
	S("alm \xd8\x9c" "x", 100, "alm ?x"),
	S("bom \xef\xbb\xbf" "x", 100, "bom ?x"),
	S("zw r\xe2\x80\x8bm -rf", 100, "zw r?m -rf"),
	S("zwnj \xe2\x80\x8c zwj \xe2\x80\x8d", 100, "zwnj ? zwj ?"),
	S("wj \xe2\x81\xa0" "x", 100, "wj ?x"),
	S("tags \xf3\xa0\x80\x81\xf3\xa0\x81\x81", 100, "tags ??"),
	S("shy ab\xc2\xad" "cd", 100, "shy ab?cd"),
	S("filler \xe3\x85\xa4", 100, "filler ?"),
	S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", 100, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"),
	S("0123456789", 10, "0123456789"),
	S("0123456789a", 10, "0123456..."),
	S("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 7, "\xc3\xa9\xc3\xa9..."),
	S("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 6, "\xc3\xa9..."),	/* never half a char */
	S("\xf0\x9f\x94\x91\xf0\x9f\x94\x91", 6, "..."),
	S("abcdef", 3, "..."),
	S("abcdef", 2, ".."),
	S("abcdef", 0, ""),
	S("\x1b[31m\x1b[31m\x1b[31m\x1b[31m\x1b[31m", 4, "?..."),
};

START_TEST(sanitize)
{
	const struct san_case *c = &san[_i];
	char *o = approve_sanitize_display(c->in, c->len, c->max);
	size_t i, k;
	uint32_t cp;

	ck_assert_ptr_nonnull(o);
	ck_assert_msg(strcmp(o, c->out) == 0, "case %d: got \"%s\" want \"%s\"", _i, o, c->out);
	ck_assert_uint_le(strlen(o), c->max);
	ck_assert_int_eq(approve_utf8_valid(o, strlen(o)), 1);
	for (i = 0; o[i]; i += k) {
		k = approve_utf8_decode((const unsigned char *)o + i, strlen(o + i), &cp);
		ck_assert_uint_gt(k, 0);
		ck_assert(!approve_cp_hostile(cp));
	}
	free(o);
}
END_TEST

/* How much of the input a (cut) result stands for. */
START_TEST(sanitize_shown)
{
	size_t shown = 99;
	char *o;

	o = approve_sanitize_display_shown("abcdef", 6, 10, &shown);
	ck_assert_str_eq(o, "abcdef");
	ck_assert_uint_eq(shown, 6);
	free(o);
	o = approve_sanitize_display_shown("abcdefghij", 10, 8, &shown);
	ck_assert_str_eq(o, "abcde...");
	ck_assert_uint_eq(shown, 5);
	free(o);
	/* an escape sequence is several input bytes for one '?' */
	o = approve_sanitize_display_shown("\x1b[31mab\x1b[0mcdefgh", 17, 7, &shown);
	ck_assert_str_eq(o, "?ab?...");
	ck_assert_uint_eq(shown, 11);
	free(o);
	o = approve_sanitize_display_shown("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, 6, &shown);
	ck_assert_str_eq(o, "\xc3\xa9...");
	ck_assert_uint_eq(shown, 2);
	free(o);
	o = approve_sanitize_display_shown(NULL, 5, 10, &shown);
	ck_assert_str_eq(o, "");
	ck_assert_uint_eq(shown, 0);
	free(o);
}
END_TEST

/* Escaped JSON parses to the same value and holds nothing hostile raw. */
START_TEST(json_escape)
{
	static const char *const strs[] = {
		"plain", "tab\tnl\n", "del\x7f", "c1 \xc2\x85\xc2\x9b" "31m",
		"bidi \xe2\x80\xae" "cod.exe", "zw \xe2\x80\x8b \xef\xbb\xbf \xd8\x9c",
		"tag \xf3\xa0\x80\x81", "ok \xc3\xa9 \xf0\x9f\x94\x91 \xe2\x82\xac",
	};
	size_t i, k;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		struct json_object *o = json_object_new_object(), *back;
		struct approve_buf b;
		const char *text, *v;
		uint32_t cp;

		json_object_object_add(o, "k", json_object_new_string(strs[i]));
		text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
		approve_buf_init(&b, 4096);
		ck_assert_int_eq(approve_json_escape_hostile(&b, text, strlen(text)), 0);
		for (k = 0; k < b.len;) {
			size_t n = approve_utf8_decode((const unsigned char *)b.data + k,
						       b.len - k, &cp);

			ck_assert_uint_gt(n, 0);
			ck_assert_msg(!approve_cp_hostile(cp) || cp == '\n' || cp == '\t',
				      "case %zu: U+%04X left raw", i, (unsigned)cp);
			k += n;
		}
		back = json_tokener_parse(b.data);
		ck_assert_ptr_nonnull(back);
		v = json_object_get_string(json_object_object_get(back, "k"));
		ck_assert_str_eq(v, strs[i]);
		json_object_put(back);
		json_object_put(o);
		approve_buf_release(&b);
	}
}
END_TEST

START_TEST(json_escape_bytes)
{
	struct approve_buf b;

	approve_buf_init(&b, 256);
	/* raw C0 other than the JSON blanks, and bytes that are not UTF-8 */
	ck_assert_int_eq(approve_json_escape_hostile(&b, "\"a\x01\"\r\n \x9b\xff", 9), 0);
	ck_assert_str_eq(b.data, "\"a\\u0001\"\r\n \\u009b\\u00ff");
	approve_buf_release(&b);
	approve_buf_init(&b, 5);
	ck_assert_int_eq(approve_json_escape_hostile(&b, "\xe2\x80\xae", 3), -E2BIG);
	approve_buf_release(&b);
}
END_TEST

/* The cases web/dom.js commandParts() must agree with (tests/browser
 * hostile.test.mjs renders the same inputs). */
static const struct {
	const char *in, *out;
	size_t max, lines;
	int rtl, cut;
} cmds[] = {
	{ "ls -l", "ls -l", 80, 1, 0, 0 },
	{ "a\nb\r\nc\td", "a\u23ceb\u240d\u23cec\u21e5d", 80, 3, 0, 0 },
	{ "a\rb", "a\u240db", 80, 2, 0, 0 },
	{ "x   y", "x   y", 80, 1, 0, 0 },
	{ "x     y", "x\u2423\u00d75y", 80, 1, 0, 0 },
	{ "a\n\n\n\nb", "a\u23ce\u00d74b", 80, 5, 0, 0 },
	{ "\x1b[31mred", "<U+001B>[31mred", 80, 1, 0, 0 },
	{ "rm \u202e/x", "rm <U+202E>/x", 80, 1, 0, 0 },
	{ "bad \xff byte", "bad <0xFF> byte", 80, 1, 0, 0 },
	{ "echo \u05e9\u05dc\u05d5\u05dd", "echo \u05e9\u05dc\u05d5\u05dd", 80, 1, 1, 0 },
	{ "echo \u0645\u0631\u062d\u0628\u0627", "echo \u0645\u0631\u062d\u0628\u0627", 80, 1, 1, 0 },
	{ "0123456789abcdefghijXYZ", "0123456789abc \u2026 jXYZ", 20, 1, 0, 1 },
	{ "sudo systemctl status nginx\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
	  "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\nrm -rf --no-preserve-root /",
	  "sudo systemctl status nginx\u23ce\u00d740rm -rf --no-preserve-root /", 160, 41, 0, 0 },
};

START_TEST(command_display)
{
	struct approve_cmd_shape sh;
	char *o = approve_command_display(cmds[_i].in, strlen(cmds[_i].in), cmds[_i].max, &sh);

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(o, cmds[_i].out);
	ck_assert_uint_eq(sh.lines, cmds[_i].lines);
	ck_assert_int_eq(sh.rtl, cmds[_i].rtl);
	ck_assert_int_eq(sh.cut, cmds[_i].cut);
	ck_assert_int_eq(approve_utf8_valid(o, strlen(o)), 1);
	free(o);
}
END_TEST

START_TEST(command_display_tail_kept)
{
	struct approve_cmd_shape sh;
	char in[4096];
	char *o;

	memset(in, 'a', sizeof(in));
	memcpy(in + sizeof(in) - 9, " rm -rf /", 9);
	o = approve_command_display(in, sizeof(in), 72, &sh);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(sh.cut, 1);
	ck_assert_uint_eq(sh.chars, sizeof(in));
	ck_assert_msg(strstr(o, " rm -rf /") && strcmp(o + strlen(o) - 9, " rm -rf /") == 0, "%s", o);
	ck_assert_ptr_nonnull(strstr(o, " \u2026 "));
	free(o);
	/* a marker is never split by the cut */
	o = approve_command_display("\u202e\u202e\u202e\u202e\u202e\u202e\u202e\u202e\u202e\u202e", 30, 20, &sh);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(o, "<U+202E> \u2026 <U+202E>");
	free(o);
	o = approve_command_display(NULL, 0, 80, &sh);
	ck_assert_str_eq(o, "");
	ck_assert_uint_eq(sh.lines, 1);
	free(o);
}
END_TEST

/* A name: no hostile code point, no blank at an end, valid UTF-8, not
 * empty; letters of any script and inner blanks are fine. */
START_TEST(name_clean)
{
	static const char *const good[] = {
		"carol", "c", "jos\xc3\xa9", "\357\275\203arol" /* full-width c */,
		"John Smith", "alice@EXAMPLE.COM", "host$", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
	};
	static const char *const bad[] = {
		"carol ", " carol", "carol\t", "car\xe2\x80\x8bol" /* ZWSP */,
		"carol\xe2\x80\x8d" /* ZWJ */, "\xe2\x80\xae" "carol" /* RLO */,
		"carol\xc2\xa0" /* NBSP */, "\xe3\x80\x80" "carol" /* ideographic space */,
		"car\xc2\xadol" /* soft hyphen */, "carol\x7f", "ca\x1brol", "carol\xc2\x85",
		"car\xef\xbb\xbfol" /* BOM */, "carol\xf3\xa0\x80\x81" /* tag */,
		"carol\xff", "carol\xc3", "\xe2\x80\x8b", " ", "",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(approve_name_clean(good[i], strlen(good[i])) == 1, "refused '%s'",
			      good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(approve_name_clean(bad[i], strlen(bad[i])) == 0, "accepted case %zu",
			      i);
	ck_assert_int_eq(approve_name_clean("carol\0x", 7), 0);
	ck_assert_int_eq(approve_name_clean("carol ", 5), 1);	/* length bounds the read */
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, decode);
	tcase_add_test(tc, hostile_list);
	tcase_add_loop_test(tc, sanitize, 0, N(san));
	tcase_add_test(tc, sanitize_shown);
	tcase_add_test(tc, json_escape);
	tcase_add_test(tc, json_escape_bytes);
	tcase_add_loop_test(tc, command_display, 0, N(cmds));
	tcase_add_test(tc, command_display_tail_kept);
	tcase_add_test(tc, name_clean);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(text_suite());
}
