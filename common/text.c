/* text.c: owns UTF-8 decoding, the hostile code point list, the display
 * sanitiser and JSON escaping for terminals (see text.h). Shared by the
 * module (inside sudo), approvald and approvalctl so that all three agree
 * on what is text and what may be shown. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "text.h"

size_t
approve_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* shortest form, no surrogates, within Unicode */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
approve_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t k;

	while (n) {
		k = approve_utf8_decode(p, n, &cp);
		if (k == 0)
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

/* Ranges of hostile code points, sorted (text.h says why each is here). */
static const struct {
	uint32_t lo, hi;
} hostile[] = {
	{ 0x0000, 0x001f }, { 0x007f, 0x009f }, { 0x00ad, 0x00ad },
	{ 0x034f, 0x034f }, { 0x061c, 0x061c }, { 0x115f, 0x1160 },
	{ 0x180e, 0x180e }, { 0x200b, 0x200f }, { 0x2028, 0x202e },
	{ 0x2060, 0x2064 }, { 0x2066, 0x206f }, { 0x3164, 0x3164 },
	{ 0xfeff, 0xfeff }, { 0xffa0, 0xffa0 }, { 0xfff9, 0xfffb },
	{ 0xe0000, 0xe007f },
};

int
approve_cp_hostile(uint32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		if (cp < hostile[i].lo)
			return 0;
		if (cp <= hostile[i].hi)
			return 1;
	}
	return 0;
}

/* Unicode space separators (Zs), which read as nothing at a name's end. */
static int
cp_blank(uint32_t cp)
{
	return cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

int
approve_name_clean(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp = 0;
	size_t i = 0, k;
	int first = 1;

	if (n == 0)
		return 0;
	while (i < n) {
		k = approve_utf8_decode(p + i, n - i, &cp);
		if (k == 0 || approve_cp_hostile(cp) || (first && cp_blank(cp)))
			return 0;
		first = 0;
		i += k;
	}
	return !cp_blank(cp);
}

/* Length of an escape sequence starting at ESC (or C1 CSI U+009B encoded
 * as c2 9b): ESC [ params final, ESC ] ... BEL/ST, ESC x. At least 1. */
static size_t
esc_len(const unsigned char *p, size_t n)
{
	size_t i, start = 0;

	if (n >= 2 && p[0] == 0x1b && p[1] == '[')
		start = 2;
	else if (n >= 2 && p[0] == 0xc2 && p[1] == 0x9b)
		start = 2;
	if (start) {	/* CSI: parameter and intermediate bytes, a final */
		for (i = start; i < n; i++)
			if (p[i] >= 0x40 && p[i] <= 0x7e)
				return i + 1;
			else if (p[i] < 0x20 || p[i] > 0x3f)
				return i;
		return n;
	}
	if (n >= 2 && p[0] == 0x1b && p[1] == ']') {	/* OSC: to BEL or ESC \ */
		for (i = 2; i < n; i++) {
			if (p[i] == 0x07)
				return i + 1;
			if (p[i] == 0x1b && i + 1 < n && p[i + 1] == '\\')
				return i + 2;
		}
		return n;
	}
	if (n >= 2 && p[0] == 0x1b && p[1] >= 0x20 && p[1] <= 0x7e)
		return 2;
	return 1;
}

/* Sanitise s[0..len) into b, stopping before the output would pass stop
 * bytes; *used gets the input bytes consumed. Each step adds one '?' or
 * one whole valid character. */
static int
sanitize_into(struct approve_buf *b, const unsigned char *p, size_t len,
	      size_t stop, size_t *used)
{
	size_t i = 0, k, outk;
	uint32_t cp;
	int r = 0;

	while (i < len) {
		const void *out = "?";

		if (p[i] == 0x1b || (i + 1 < len && p[i] == 0xc2 && p[i + 1] == 0x9b)) {
			k = esc_len(p + i, len - i);
			outk = 1;
		} else if ((k = approve_utf8_decode(p + i, len - i, &cp)) == 0) {
			k = 1;
			outk = 1;
		} else if (approve_cp_hostile(cp)) {
			outk = 1;
		} else {
			out = p + i;
			outk = k;
		}
		if (b->len + outk > stop)
			break;
		r = approve_buf_append(b, out, outk);
		if (r < 0)
			break;
		i += k;
	}
	*used = i;
	return r;
}

char *
approve_sanitize_display_shown(const char *s, size_t len, size_t max,
			       size_t *shown)
{
	const unsigned char *p = (const unsigned char *)s;
	struct approve_buf b;
	size_t used = 0;
	char *o = NULL;

	*shown = 0;
	if (!s)
		len = 0;
	if (len > SIZE_MAX - 8)
		return NULL;
	/* the output never has more bytes than the input */
	approve_buf_init(&b, len + 4);
	if (approve_buf_append(&b, "", 0) < 0 ||
	    sanitize_into(&b, p, len, SIZE_MAX, &used) < 0)
		goto out;
	if (b.len <= max) {
		*shown = len;
		o = approve_buf_take(&b);
		goto out;
	}
	if (max < 3) {
		o = strndup("...", max);
		goto out;
	}
	/* again, up to where "..." still fits */
	b.len = 0;
	b.data[0] = '\0';
	if (sanitize_into(&b, p, len, max - 3, &used) < 0 ||
	    approve_buf_append(&b, "...", 3) < 0)
		goto out;
	*shown = used;
	o = approve_buf_take(&b);
out:
	approve_buf_release(&b);
	return o;
}

char *
approve_sanitize_display(const char *s, size_t len, size_t max)
{
	size_t shown;

	return approve_sanitize_display_shown(s, len, max, &shown);
}

/* \uXXXX for cp, as a surrogate pair above U+FFFF. */
static int
json_u_escape(struct approve_buf *b, uint32_t cp)
{
	if (cp < 0x10000)
		return approve_buf_printf(b, "\\u%04x", (unsigned)cp);
	cp -= 0x10000;
	return approve_buf_printf(b, "\\u%04x\\u%04x",
				  (unsigned)(0xd800 + (cp >> 10)),
				  (unsigned)(0xdc00 + (cp & 0x3ff)));
}

int
approve_json_escape_hostile(struct approve_buf *b, const char *json, size_t n)
{
	const unsigned char *p = (const unsigned char *)json;
	size_t i = 0, k;
	uint32_t cp;
	int r = 0;

	while (r == 0 && i < n) {
		if (p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
			r = approve_buf_append(b, p + i, 1);
			i++;
			continue;
		}
		k = approve_utf8_decode(p + i, n - i, &cp);
		if (k == 0) {
			r = approve_buf_printf(b, "\\u%04x", (unsigned)p[i]);
			i++;
			continue;
		}
		r = approve_cp_hostile(cp) ? json_u_escape(b, cp)
					   : approve_buf_append(b, p + i, k);
		i += k;
	}
	return r;
}

/* ---- commands as approvers read them ---- */

int
approve_cp_rtl(uint32_t cp)
{
	return (cp >= 0x0590 && cp <= 0x08ff) || (cp >= 0xfb1d && cp <= 0xfdff) ||
	       (cp >= 0xfe70 && cp <= 0xfefe) || (cp >= 0x10800 && cp <= 0x10fff) ||
	       (cp >= 0x1e800 && cp <= 0x1efff);
}

/* One display unit at p (n > 0 bytes): a run of one blank, one character,
 * one marked code point or one bad byte. *in gets the bytes it stands for;
 * its text goes to b when b is not NULL. Returns its width in characters,
 * or -1 on a buffer failure. */
static long
cmd_unit(const unsigned char *p, size_t n, size_t *in, struct approve_buf *b,
	 uint32_t *cp_out)
{
	static const char *const blank_mark[] = { "\u2423", "\u23ce", "\u240d", "\u21e5" };
	static const char blanks[] = " \n\r\t";
	const char *bl = memchr(blanks, p[0], 4);
	char tmp[32];
	uint32_t cp = 0;
	size_t k, run;
	long w;

	*cp_out = 0;
	if (p[0] && bl) {
		const char *mark = blank_mark[bl - blanks];

		for (run = 1; run < n && p[run] == p[0]; run++)
			;
		if (run > APPROVE_BLANK_RUN) {
			*in = run;
			w = snprintf(tmp, sizeof(tmp), "%s\u00d7%zu", mark, run);
			if (w < 0 || (size_t)w >= sizeof(tmp))
				return -1;
			if (b && approve_buf_append(b, tmp, (size_t)w) < 0)
				return -1;
			/* the marker, the times sign and the digits */
			return 2 + (long)strlen(tmp + strlen(mark) + 2);
		}
		*in = 1;
		*cp_out = p[0];
		if (p[0] == ' ')
			return b && approve_buf_append(b, " ", 1) < 0 ? -1 : 1;
		return b && approve_buf_append_str(b, mark) < 0 ? -1 : 1;
	}
	k = approve_utf8_decode(p, n, &cp);
	if (k == 0) {
		*in = 1;
		w = snprintf(tmp, sizeof(tmp), "<0x%02X>", p[0]);
	} else if (approve_cp_hostile(cp)) {
		*in = k;
		w = snprintf(tmp, sizeof(tmp), "<U+%04X>", (unsigned)cp);
	} else {
		*in = k;
		*cp_out = cp;
		return b && approve_buf_append(b, p, k) < 0 ? -1 : 1;
	}
	if (w < 0 || (size_t)w >= sizeof(tmp) || (b && approve_buf_append(b, tmp, (size_t)w) < 0))
		return -1;
	return w;
}

char *
approve_command_display(const char *s, size_t len, size_t max,
			struct approve_cmd_shape *shape)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t i, k, head, tail, acc, tail_at;
	struct approve_buf b;
	uint32_t cp;
	char *o = NULL;
	long w;

	memset(shape, 0, sizeof(*shape));
	shape->lines = 1;
	if (!s)
		len = 0;
	/* first pass: widths, line breaks, direction */
	for (i = 0; i < len; i += k) {
		w = cmd_unit(p + i, len - i, &k, NULL, &cp);
		if (w < 0)
			return NULL;
		shape->chars += (size_t)w;
		for (size_t j = i; j < i + k; j++)
			if (p[j] == '\n' || (p[j] == '\r' && !(j + 1 < len && p[j + 1] == '\n')))
				shape->lines++;
		if (approve_cp_rtl(cp))
			shape->rtl = 1;
	}
	approve_buf_init(&b, SIZE_MAX / 2);
	if (approve_buf_append(&b, "", 0) < 0)
		goto out;
	if (max < 8)
		max = 8;
	head = shape->chars > max ? (max * 2) / 3 : SIZE_MAX;
	tail = shape->chars > max ? max - head - 3 : 0;
	/* where the tail starts: the first unit whose remainder fits in tail */
	tail_at = len;
	if (head != SIZE_MAX) {
		for (i = 0, acc = 0; i < len; i += k) {
			w = cmd_unit(p + i, len - i, &k, NULL, &cp);
			if (shape->chars - acc <= tail)
				break;
			tail_at = i;	/* at least the last unit */
			acc += (size_t)w;
		}
		if (i < len)
			tail_at = i;
	}
	for (i = 0, acc = 0; i < len; i += k) {
		w = cmd_unit(p + i, len - i, &k, NULL, &cp);
		if (i >= tail_at || acc + (size_t)w <= head) {
			if (cmd_unit(p + i, len - i, &k, &b, &cp) < 0)
				goto out;
		} else if (!shape->cut) {
			shape->cut = 1;
			if (approve_buf_append_str(&b, " \u2026 ") < 0)
				goto out;
		}
		acc += (size_t)w;
	}
	o = approve_buf_take(&b);
out:
	approve_buf_release(&b);
	return o;
}
