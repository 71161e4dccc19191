/* fuzz_text.c: libFuzzer target for common/text.c. Invariants: decoding
 * agrees with approve_utf8_valid; the display sanitiser's result is
 * bounded, valid UTF-8 and free of hostile code points, and says how much
 * input it stands for; the JSON escaping leaves nothing hostile raw (only
 * TAB, LF, CR), and JSON that parses still parses to the same value; the
 * command display is valid UTF-8 free of hostile code points (no blank
 * but the space survives), within max characters plus one unit when cut,
 * and a cut display ends with the display of the input's last unit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

/* Every character of s[0..n) is valid and, unless allowed, not hostile. */
static void
check_clean(const char *s, size_t n, int allow_blanks)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = approve_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (k == 0)
			abort();
		if (approve_cp_hostile(cp) &&
		    !(allow_blanks && (cp == '\t' || cp == '\n' || cp == '\r')))
			abort();
		i += k;
	}
}

static void
check_decode(const unsigned char *p, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;
	int ok = 1;

	while (i < n) {
		k = approve_utf8_decode(p + i, n - i, &cp);
		if (k == 0) {
			ok = 0;
			break;
		}
		if (k > 4 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			abort();
		i += k;
	}
	if (ok != approve_utf8_valid((const char *)p, n))
		abort();
}

static void
check_sanitize(const char *s, size_t n, size_t max)
{
	size_t shown = (size_t)-1, ol;
	char *o = approve_sanitize_display_shown(s, n, max, &shown);

	if (!o)
		abort();
	ol = strlen(o);
	if (ol > max || shown > n || (shown == n && ol > n))
		abort();
	check_clean(o, ol, 0);
	free(o);
}

static void
check_json(const char *s, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *a = NULL, *b = NULL;
	struct approve_buf out;

	approve_buf_init(&out, n * 12 + 16);
	if (approve_json_escape_hostile(&out, s, n) != 0)
		abort();
	if (out.data)
		check_clean(out.data, out.len, 1);
	if (tok) {
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		a = json_tokener_parse_ex(tok, s, (int)n);
		if (a && json_tokener_get_error(tok) == json_tokener_success &&
		    json_tokener_get_parse_end(tok) == n && approve_utf8_valid(s, n)) {
			json_tokener_reset(tok);
			b = json_tokener_parse_ex(tok, out.data ? out.data : "",
						  (int)out.len);
			if (!b || !json_object_equal(a, b))
				abort();
		}
		json_tokener_free(tok);
	}
	json_object_put(a);
	json_object_put(b);
	approve_buf_release(&out);
}

/* Characters (code points) of valid UTF-8 s. */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void
check_command(const char *s, size_t n, size_t max)
{
	struct approve_cmd_shape sh;
	char *o = approve_command_display(s, n, max, &sh);
	size_t ol;

	if (!o)
		abort();
	ol = strlen(o);
	check_clean(o, ol, 0);
	if (strpbrk(o, "\t\n\r") || sh.lines < 1 || sh.lines > n + 1)
		abort();
	/* a unit is at most "<U+10FFFF>" or a marker with a 20-digit count */
	if (sh.cut && chars(o) > (max < 8 ? 8 : max) + 24)
		abort();
	if (!sh.cut && chars(o) != sh.chars)
		abort();
	free(o);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	const char *s = (const char *)data;

	if (len > 65536)
		return 0;
	check_decode(data, len);
	check_sanitize(s, len, 4096);
	check_sanitize(s, len, len ? (size_t)data[0] % 40 : 0);
	check_json(s, len);
	check_command(s, len, 240);
	check_command(s, len, len ? (size_t)data[0] % 40 : 0);
	return 0;
}
