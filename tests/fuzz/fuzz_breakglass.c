/* fuzz_breakglass.c: libFuzzer target for the break-glass code file
 * parser (approve_bg_parse) and the reported-use JSON reader. Invariants:
 * a refusal returns no object and says why; an accepted file formats back
 * to text that parses again to the same entries (a round trip), and
 * matching a typed code against it never crashes. */
#include <stdlib.h>
#include <string.h>

#include "breakglass.h"
#include "buf.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

static void
same(const struct approve_bg_file *a, const struct approve_bg_file *b)
{
	size_t i;

	if (a->n != b->n || a->failures != b->failures ||
	    a->last_failure != b->last_failure)
		abort();
	for (i = 0; i < a->n; i++) {
		const struct approve_bg_entry *x = &a->e[i], *y = &b->e[i];

		if (strcmp(x->id, y->id) || strcmp(x->host, y->host) ||
		    strcmp(x->hash, y->hash) || strcmp(x->salt, y->salt) ||
		    x->used != y->used || x->issued_at != y->issued_at)
			abort();
		if (x->used && (x->used_at != y->used_at || x->reported != y->reported ||
				strcmp(x->user, y->user) || strcmp(x->target, y->target) ||
				strcmp(x->service, y->service) ||
				strcmp(x->command, y->command) ||
				strcmp(x->digest, y->digest)))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct approve_bg_file *f = NULL, *g = NULL;
	struct approve_bg_use *u = NULL;
	char err[512] = "", norm[APPROVE_BG_CODE_CHARS + 1];
	struct approve_buf b;

	if (approve_bg_parse((const char *)data, len, &f, err, sizeof(err)) != 0) {
		if (f || !err[0])
			abort();
	} else {
		approve_buf_init(&b, APPROVE_BG_FILE_MAX * 4);
		if (approve_bg_format(f, &b) != 0 ||
		    approve_bg_parse(b.data, b.len, &g, err, sizeof(err)) != 0)
			abort();
		same(f, g);
		if (approve_bg_normalize("0000000000000000000000000", 25, norm) != 0)
			abort();
		approve_bg_match(f, norm);
		approve_bg_delay_left(f, 1700000000LL);
		approve_buf_release(&b);
		approve_bg_file_free(f);
		approve_bg_file_free(g);
	}
	if (approve_bg_normalize((const char *)data, len, norm) == 0 &&
	    strlen(norm) != APPROVE_BG_CODE_CHARS)
		abort();
	if (approve_bg_use_from_json((const char *)data, len, &u, err, sizeof(err)) == 0) {
		if (!approve_bg_id_valid(u->code_id))
			abort();
		approve_bg_use_free(u);
	} else if (u) {
		abort();
	}
	return 0;
}
