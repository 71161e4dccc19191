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

static int
append_ansi(struct approve_buf *b, const unsigned char *a, size_t n)
{
	static const char named[] = "\a\b\t\n\v\f\r";
	static const char letter[] = "abtnvfr";
	uint32_t cp;
	size_t i = 0, k;
	int r = approve_buf_append(b, "$'", 2);

	while (r == 0 && i < n) {
		const char *p;

		if (a[i] >= 0x80) {
			k = approve_utf8_decode(a + i, n - i, &cp);
			if (k == 0) {
				r = approve_buf_printf(b, "\\x%02X", a[i]);
				i++;
			} else if (approve_cp_hostile(cp)) {
				/* bash: \uHHHH, or \UHHHHHHHH above U+FFFF */
				r = cp > 0xffff ?
				    approve_buf_printf(b, "\\U%08lX", (unsigned long)cp) :
				    approve_buf_printf(b, "\\u%04lX", (unsigned long)cp);
				i += k;
			} else {
				r = approve_buf_append(b, a + i, k);
				i += k;
			}
			continue;
		}
		if (a[i] == '\\' || a[i] == '\'')
			r = approve_buf_printf(b, "\\%c", a[i]);
		else if (a[i] != 0 && (p = strchr(named, a[i])) != NULL)
			r = approve_buf_printf(b, "\\%c", letter[p - named]);
		else if (a[i] < 0x20 || a[i] == 0x7f)
			r = approve_buf_printf(b, "\\x%02X", a[i]);
		else
			r = approve_buf_append(b, a + i, 1);
		i++;
	}
	return r ? r : approve_buf_append(b, "'", 1);
}

static int
append_single(struct approve_buf *b, const unsigned char *a, size_t n)
{
	size_t i;
	int r = approve_buf_append(b, "'", 1);

	for (i = 0; r == 0 && i < n; i++)
		r = a[i] == '\'' ? approve_buf_append(b, "'\\''", 4)
				 : approve_buf_append(b, a + i, 1);
	return r ? r : approve_buf_append(b, "'", 1);
}

/* Byte by byte, so that a long argument fills the buffer up to its cap
 * before -E2BIG (the cut then keeps as much as fits). */
static int
append_plain(struct approve_buf *b, const unsigned char *a, size_t n)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < n; i++)
		r = approve_buf_append(b, a + i, 1);
	return r;
}

/* Cut s (valid UTF-8 up to byte max - 3, *len + 3 > max, room for
 * *len + 4 bytes) to at most max bytes ending in "...". */
static void
cut_with_marker(char *s, size_t *len, size_t max)
{
	size_t n = max - 3;

	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(s + n, "...", 4);
	*len = n + 3;
}

int
pa_cmdline_format(const char *data, size_t len, int truncated,
		  size_t max, char **out)
{
	struct approve_buf b;
	const unsigned char *p = (const unsigned char *)data;
	size_t off = 0, olen;
	int r = 0, cut = truncated != 0, nargs = 0;
	char *s;

	*out = NULL;
	if (!data || len == 0 || max < 4)
		return -EINVAL;
	/* Escaping at most quadruples a byte; building a little past max is
	 * enough to know the result must be cut. */
	approve_buf_init(&b, max + 64);
	while (off < len) {
		const unsigned char *end = memchr(p + off, '\0', len - off);
		size_t n = end ? (size_t)(end - (p + off)) : len - off;

		if (!end)
			cut = 1;	/* last argument ends mid-way */
		if (nargs++ > 0)
			r = approve_buf_append(&b, " ", 1);
		if (r == 0) {
			switch (arg_quoting(p + off, n)) {
			case Q_NONE:
				r = append_plain(&b, p + off, n);
				break;
			case Q_SINGLE:
				r = append_single(&b, p + off, n);
				break;
			default:
				r = append_ansi(&b, p + off, n);
			}
		}
		if (r == -E2BIG) {
			cut = 1;
			r = 0;
			break;
		}
		if (r != 0)
			goto out;
		off += n + 1;
	}
	s = approve_buf_take(&b);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	olen = strlen(s);
	if (olen > max || cut) {
		char *t = realloc(s, olen + 4);

		if (!t) {
			free(s);
			r = -ENOMEM;
			goto out;
		}
		s = t;
		if (olen + 3 > max)
			cut_with_marker(s, &olen, max);
		else
			memcpy(s + olen, "...", 4);
	}
	*out = s;
out:
	approve_buf_release(&b);
	return r;
}
