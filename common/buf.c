/* buf.c: owns struct approve_buf, the capped growable byte buffer used for
 * HTTP bodies, JSON text and request building. Never exceeds b->max bytes of
 * content; data stays NUL-terminated after the first append; a secret
 * buffer leaves no copy in freed memory. Also the
 * err/errlen message helper shared by all of common/. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
approve_buf_init(struct approve_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->secret = 0;
}

void
approve_buf_init_secret(struct approve_buf *b, size_t max)
{
	approve_buf_init(b, max);
	b->secret = 1;
}

/* Make room for n more bytes plus the terminating NUL. */
static int
buf_reserve(struct approve_buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (n > b->max || b->len > b->max - n)
		return -E2BIG;
	need = b->len + n + 1;	/* max < SIZE_MAX assumed below */
	if (need == 0)
		return -E2BIG;
	if (b->data && need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	/* never allocate far beyond what the cap allows */
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1 > need ? b->max + 1 : need;
	if (b->secret) {
		p = malloc(ncap);
		if (!p)
			return -ENOMEM;
		if (b->data) {
			memcpy(p, b->data, b->len + 1);
			explicit_bzero(b->data, b->cap);
			free(b->data);
		}
	} else {
		p = realloc(b->data, ncap);
		if (!p)
			return -ENOMEM;
	}
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
approve_buf_append(struct approve_buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
approve_buf_append_str(struct approve_buf *b, const char *s)
{
	return approve_buf_append(b, s, strlen(s));
}

int
approve_buf_printf(struct approve_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	r = buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	r = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (r != n) {
		b->data[b->len] = '\0';
		return -EINVAL;
	}
	b->len += (size_t)n;
	return 0;
}

char *
approve_buf_take(struct approve_buf *b)
{
	char *p = b->data;

	if (!p) {
		p = strdup("");
		if (!p)
			return NULL;
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

void
approve_buf_release(struct approve_buf *b)
{
	if (!b)
		return;
	if (b->secret && b->data)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
approve_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}
