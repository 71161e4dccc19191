/* fuzz_http_parse.c: libFuzzer target for approve_http_parse_response.
 * Invariants: no crash/leak (ASan), a complete response has a status
 * 200..599, a NUL-terminated body within APPROVE_RESPONSE_MAX, and what is
 * complete before EOF is the same response at EOF. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct approve_http_response *a = NULL, *b = NULL;
	int ra, rb;

	ra = approve_http_parse_response((const char *)data, len, 0, &a);
	rb = approve_http_parse_response((const char *)data, len, 1, &b);
	if (ra < -200 || ra > 1 || rb < -200 || rb > 1 || rb == 0)
		abort();
	if ((ra == 1) != (a != NULL) || (rb == 1) != (b != NULL))
		abort();
	if (b && (b->status < 200 || b->status > 599 ||
		  b->body.len > APPROVE_RESPONSE_MAX || !b->body.data ||
		  b->body.data[b->body.len] != '\0'))
		abort();
	if (a && (!b || a->status != b->status || a->body.len != b->body.len ||
		  memcmp(a->body.data, b->body.data, a->body.len) != 0))
		abort();
	approve_http_response_free(a);
	approve_http_response_free(b);
	return 0;
}
