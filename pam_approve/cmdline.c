/* cmdline.c: owns the rendering of the command line approvers see (see
 * cmdline.h). The point is fidelity without terminal tricks: every byte of
 * every argument is visible (escaped when it is not printable text), and
 * nothing in an argument can fake a line break or reorder what is shown
 * (bidi controls). The result is valid UTF-8, so the server accepts it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmdline.h"
#include "text.h"

static int
ascii_plain(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || strchr("_@%+=:,./-", c) != NULL;
}

enum quoting { Q_NONE, Q_SINGLE, Q_ANSI };

static enum quoting
arg_quoting(const unsigned char *a, size_t n)
{
	enum quoting q = n == 0 ? Q_SINGLE : Q_NONE;
	uint32_t cp;
	size_t i = 0, k;

	while (i < n) {
		if (a[i] < 0x80) {
			if (a[i] < 0x20 || a[i] == 0x7f)
				return Q_ANSI;
			if (!ascii_plain(a[i]))
				q = Q_SINGLE;
			i++;
			continue;
		}
		k = approve_utf8_decode(a + i, n - i, &cp);
		if (k == 0 || approve_cp_hostile(cp))
			return Q_ANSI;
		i += k;
	}
	return q;
}

/* The append_* functions render one argument into b, one input character
 * at a time, so that at b's cap (-E2BIG) the text holds only whole
 * characters and *used says how many input bytes it shows. */
static int
append_ansi(struct approve_buf *b, const unsigned char *a, size_t n,
	    size_t *used)
{
	static const char named[] = "\a\b\t\n\v\f\r";
	static const char letter[] = "abtnvfr";
	uint32_t cp;
	size_t i = 0, k;
	int r = approve_buf_append(b, "$'", 2);

	*used = 0;
	while (r == 0 && i < n) {
		const char *p;

		k = 1;
		if (a[i] >= 0x80) {
			k = approve_utf8_decode(a + i, n - i, &cp);
			if (k == 0) {
				k = 1;
				r = approve_buf_printf(b, "\\x%02X", a[i]);
			} else if (approve_cp_hostile(cp)) {
				/* bash: \uHHHH, or \UHHHHHHHH above U+FFFF */
				r = cp > 0xffff ?
				    approve_buf_printf(b, "\\U%08lX", (unsigned long)cp) :
				    approve_buf_printf(b, "\\u%04lX", (unsigned long)cp);
			} else {
				r = approve_buf_append(b, a + i, k);
			}
		} else if (a[i] == '\\' || a[i] == '\'') {
			r = approve_buf_printf(b, "\\%c", a[i]);
		} else if (a[i] != 0 && (p = strchr(named, a[i])) != NULL) {
			r = approve_buf_printf(b, "\\%c", letter[p - named]);
		} else if (a[i] < 0x20 || a[i] == 0x7f) {
			r = approve_buf_printf(b, "\\x%02X", a[i]);
		} else {
			r = approve_buf_append(b, a + i, 1);
		}
		if (r == 0)
			*used = i += k;
	}
	return r ? r : approve_buf_append(b, "'", 1);
}

/* Single quotes: a' becomes a'\'' ; the text is valid UTF-8 (else ANSI). */
static int
append_single(struct approve_buf *b, const unsigned char *a, size_t n,
	      size_t *used)
{
	uint32_t cp;
	size_t i = 0, k;
	int r = approve_buf_append(b, "'", 1);

	*used = 0;
	while (r == 0 && i < n) {
		k = approve_utf8_decode(a + i, n - i, &cp);
		if (k == 0)
			k = 1;
		r = a[i] == '\'' ? approve_buf_append(b, "'\\''", 4)
				 : approve_buf_append(b, a + i, k);
		if (r == 0)
			*used = i += k;
	}
	return r ? r : approve_buf_append(b, "'", 1);
}

static int
append_plain(struct approve_buf *b, const unsigned char *a, size_t n,
	     size_t *used)
{
	uint32_t cp;
	size_t i = 0, k;
	int r = 0;

	*used = 0;
	while (r == 0 && i < n) {
		k = approve_utf8_decode(a + i, n - i, &cp);
		if (k == 0)
			k = 1;
		r = approve_buf_append(b, a + i, k);
		if (r == 0)
			*used = i += k;
	}
	return r;
}

/* Render the arguments into b (capped at cap bytes). *shown: input bytes
 * the text shows (an argument's NUL counts once the argument is whole);
 * *whole: every argument fitted, the last one with its NUL. */
static int
render(const unsigned char *p, size_t len, size_t cap, struct approve_buf *b,
       size_t *shown, int *whole)
{
	size_t off = 0, n, used;
	int r = 0, nargs = 0;

	approve_buf_init(b, cap);
	*shown = 0;
	*whole = 0;
	r = approve_buf_append(b, "", 0);
	while (r == 0 && off < len) {
		const unsigned char *end = memchr(p + off, '\0', len - off);

		n = end ? (size_t)(end - (p + off)) : len - off;
		used = 0;
		if (nargs++ > 0)
			r = approve_buf_append(b, " ", 1);
		if (r == 0) {
			switch (arg_quoting(p + off, n)) {
			case Q_NONE:
				r = append_plain(b, p + off, n, &used);
				break;
			case Q_SINGLE:
				r = append_single(b, p + off, n, &used);
				break;
			default:
				r = append_ansi(b, p + off, n, &used);
			}
		}
		*shown = off + used;
		if (r != 0)
			break;
		off += n + (end ? 1 : 0);
		*shown = off;
		if (!end)
			return 0;	/* the last argument ends mid-way: cut */
	}
	if (r == -E2BIG)
		return 0;
	if (r == 0)
		*whole = 1;
	return r;
}

int
pa_cmdline_format(const char *data, size_t len, int truncated,
		  size_t max, char **out, size_t *shown)
{
	const unsigned char *p = (const unsigned char *)data;
	struct approve_buf b;
	int r, whole;

	*out = NULL;
	*shown = 0;
	if (!data || len == 0 || max < 4)
		return -EINVAL;
	r = render(p, len, max, &b, shown, &whole);
	if (r != 0 || (whole && !truncated))
		goto take;
	/* cut: as much as fits before the marker */
	approve_buf_release(&b);
	r = render(p, len, max - 3, &b, shown, &whole);
	b.max = max;
	if (r == 0)
		r = approve_buf_append(&b, "...", 3);
take:
	if (r == 0) {
		*out = approve_buf_take(&b);
		if (!*out)
			r = -ENOMEM;
	}
	approve_buf_release(&b);
	return r;
}
