/* fuzz_status.c: libFuzzer target for approve_status_from_json (a server
 * answer, parsed inside sudo by the module), plus the decision and error
 * body parsers and approve_sanitize_display on what they return.
 * Invariants: round trips are stable, sanitised text is bounded, valid
 * UTF-8 and free of control characters. */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

static void
check_display(const char *s, size_t n, size_t max)
{
	char *o = approve_sanitize_display(s, n, max);
	size_t i, ol;

	if (!o)
		abort();
	ol = strlen(o);
	if (ol > max || !approve_utf8_valid(o, ol))
		abort();
	for (i = 0; i < ol; i++)
		if ((unsigned char)o[i] < 0x20 || o[i] == 0x7f)
			abort();
	free(o);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	const char *j = (const char *)data;
	struct approve_status *s = NULL, *s2 = NULL;
	char err[256] = "", *js = NULL, *c = NULL, *e = NULL, *d = NULL;

	if (approve_status_from_json(j, len, &s, err, sizeof(err)) == 0) {
		if (approve_status_to_json(s, &js) != 0 ||
		    approve_status_from_json(js, strlen(js), &s2, err, sizeof(err)) != 0 ||
		    strcmp(s->id, s2->id) != 0 || strcmp(s->code, s2->code) != 0 ||
		    s->state != s2->state || strcmp(s->digest, s2->digest) != 0)
			abort();
		if (s->comment)
			check_display(s->comment, strlen(s->comment), 200);
		free(js);
		approve_status_free(s);
		approve_status_free(s2);
	} else if (s || !err[0]) {
		abort();
	}
	if (approve_decision_from_json(j, len, &c, err, sizeof(err)) == 0) {
		if (c && (approve_decision_to_json(c, &js) != 0))
			abort();
		if (c)
			free(js);
		free(c);
	}
	if (approve_error_from_json(j, len, &e, &d) == 0) {
		if (!e)
			abort();
		free(e);
		free(d);
	}
	check_display(j, len, len % 97);
	check_display(j, len, 4096);
	return 0;
}
