/* fuzz_cmdline.c: libFuzzer target for pa_cmdline_format, the module's
 * rendering of /proc/self/cmdline for approvers. The first input byte picks
 * the cut flag and the size bound. Invariants: the result is valid UTF-8
 * without C0/C1 controls, DEL or another hostile code point of text.h, at
 * most max bytes, says it shows no more
 * input bytes than it was given, and a cut input ends in "...". */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	uint32_t cp;
	size_t max, n, i, k, shown = 0;
	char *out = NULL;
	int cut, r;

	if (len < 1)
		return 0;
	cut = data[0] & 1;
	max = 4 + (size_t)(data[0] >> 1) * 64;	/* 4 .. 8132 */
	r = pa_cmdline_format((const char *)data + 1, len - 1, cut, max, &out, &shown);
	if (r != 0) {
		if ((r != -EINVAL && r != -ENOMEM) || out)
			abort();
		return 0;
	}
	n = strlen(out);
	if (n > max || shown > len - 1)
		abort();
	for (i = 0; i < n; i += k) {
		k = approve_utf8_decode((const unsigned char *)out + i, n - i, &cp);
		if (k == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    approve_cp_hostile(cp))
			abort();
	}
	if (cut && (n < 3 || memcmp(out + n - 3, "...", 3) != 0))
		abort();
	free(out);
	return 0;
}
