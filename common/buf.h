/* buf.h: a growable byte buffer with a hard size cap.
 * The buffer owns data; data is always NUL-terminated (data[len] == 0) once
 * anything was appended, so text can be handed to parsers, but it may hold
 * embedded NULs: callers that need text check with memchr. */
#ifndef APPROVE_BUF_H
#define APPROVE_BUF_H
#include <stddef.h>

struct approve_buf {
	char *data;	/* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;	/* appending beyond max bytes fails with -E2BIG */
	int secret;	/* wipe every copy: growth and release (see below) */
};

/* Initialise an empty buffer capped at max bytes (no allocation yet). */
void approve_buf_init(struct approve_buf *b, size_t max);
/* The same for a buffer that will hold a secret (the host token in a
 * request head): growth allocates anew, copies, wipes and frees the old
 * block (never realloc, which may leave a copy behind), and release wipes
 * the whole allocation before freeing it. approve_buf_take hands the data
 * over as it is: the taker wipes it. */
void approve_buf_init_secret(struct approve_buf *b, size_t max);
/* 0, -E2BIG (would exceed max; buffer unchanged) or -ENOMEM. */
int approve_buf_append(struct approve_buf *b, const void *p, size_t n);
int approve_buf_append_str(struct approve_buf *b, const char *s);
/* printf-style append; -E2BIG / -ENOMEM / -EINVAL. */
int approve_buf_printf(struct approve_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand the data to the caller (who frees it with free()); buffer is reset.
 * Never returns NULL: an empty buffer yields an allocated "". NULL on ENOMEM. */
char *approve_buf_take(struct approve_buf *b);
/* Free the data and reset; accepts NULL. */
void approve_buf_release(struct approve_buf *b);

/* One-line error message into a caller's buffer (err may be NULL or
 * errlen 0: nothing is written). A message cut at errlen stays
 * NUL-terminated. Used by every common/ function that takes err/errlen. */
void approve_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
