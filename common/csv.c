/* csv.c: owns the CSV field writer (see csv.h). A field is built in the
 * caller's capped buffer and rolled back whole when it does not fit, so a
 * record is never left with half a field. */
#include <string.h>

#include "csv.h"

int
approve_csv_is_formula(const char *v)
{
	return v && v[0] && strchr("=+-@\t\r", v[0]) != NULL;
}

int
approve_csv_cell(struct approve_buf *b, const char *v, int text)
{
	size_t start = b->len, run;
	int quote, r = 0;
	const char *p;

	if (!v)
		return 0;
	quote = strpbrk(v, ",\"\r\n") != NULL;
	if (quote)
		r = approve_buf_append(b, "\"", 1);
	if (r == 0 && text && approve_csv_is_formula(v))
		r = approve_buf_append(b, "'", 1);
	/* runs up to and including each '"', which is then doubled */
	for (p = v; r == 0 && *p; p += run) {
		run = strcspn(p, "\"");
		if (p[run] == '"')
			run++;
		r = approve_buf_append(b, p, run);
		if (r == 0 && p[run - 1] == '"')
			r = approve_buf_append(b, "\"", 1);
	}
	if (r == 0 && quote)
		r = approve_buf_append(b, "\"", 1);
	if (r != 0 && b->data) {
		b->len = start;
		b->data[start] = '\0';
	}
	return r;
}
