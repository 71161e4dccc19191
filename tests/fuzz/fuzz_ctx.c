/* fuzz_ctx.c: libFuzzer target for approve_ctx_from_json (the body of
 * POST /v1/requests, parsed by approvald from any host). Invariants: what
 * parses encodes, the encoding parses back to the same context with the
 * same digest; refusals carry a message. */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

static int
same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct approve_ctx *c = NULL, *c2 = NULL;
	char err[256] = "", *js = NULL;
	char d1[APPROVE_HASH_HEX_LEN + 1], d2[APPROVE_HASH_HEX_LEN + 1];
	int r;

	r = approve_ctx_from_json((const char *)data, len, &c, err, sizeof(err));
	if (r < 0) {
		if (c || !err[0])
			abort();
		return 0;
	}
	if (approve_ctx_to_json(c, &js, err, sizeof(err)) != 0)
		abort();
	if (approve_ctx_from_json(js, strlen(js), &c2, err, sizeof(err)) != 0)
		abort();
	if (c->uid != c2->uid || !same(c->service, c2->service) ||
	    !same(c->user, c2->user) || !same(c->target_user, c2->target_user) ||
	    !same(c->command, c2->command) || !same(c->sudo_command, c2->sudo_command) ||
	    !same(c->tty, c2->tty) || !same(c->rhost, c2->rhost) ||
	    !same(c->cwd, c2->cwd) || !same(c->hostname, c2->hostname) ||
	    !same(c->reason, c2->reason) || !same(c->ticket, c2->ticket))
		abort();
	if (approve_ctx_digest(c, d1) != 0 || approve_ctx_digest(c2, d2) != 0 ||
	    strcmp(d1, d2) != 0)
		abort();
	free(js);
	approve_ctx_free(c);
	approve_ctx_free(c2);
	return 0;
}
