/* conf.h: the "key = value" configuration file format shared by approvald,
 * approvalctl and the tests.
 * Format: one "key = value" per line; '#' starts a comment line; blank lines
 * ignored; key is [a-z0-9_]+; value is the rest of the line with surrounding
 * blanks trimmed (may be empty only if allowed by the caller). Errors: a line
 * without '=', a bad key, a duplicate key, a line over 4096 bytes, a NUL byte,
 * a file over 64 KiB, a key not in the caller's allowed list.
 * Every error message names the file and line: "FILE:LINE: what". */
#ifndef APPROVE_CONF_H
#define APPROVE_CONF_H
#include <stddef.h>

#define APPROVE_CONF_MAX (64 * 1024)

struct approve_conf;	/* opaque: ordered list of (key, value, line) */

enum approve_conf_flags {
	APPROVE_CONF_NONE = 0,
	/* the file must be a regular file owned by root (uid 0), not writable
	 * by group or others, and not a symlink (O_NOFOLLOW) */
	APPROVE_CONF_SECURE = 1 << 0,
};

/* Parse path. allowed is a NULL-terminated list of accepted keys (NULL:
 * accept any well-formed key). On error returns -errno style code, *out is
 * NULL and err holds a one-line message. */
int approve_conf_load(const char *path, int flags, const char *const *allowed,
		      struct approve_conf **out, char *err, size_t errlen);
/* Same, from memory (name is used in messages). */
int approve_conf_parse(const char *name, const char *text, size_t len,
		       const char *const *allowed, struct approve_conf **out,
		       char *err, size_t errlen);
/* The value for key, or NULL when absent. Owned by conf. */
const char *approve_conf_get(const struct approve_conf *c, const char *key);
/* Line number of key (for messages), 0 when absent. */
unsigned approve_conf_line(const struct approve_conf *c, const char *key);
void approve_conf_free(struct approve_conf *c);

/* Value parsers shared by config files and PAM module arguments.
 * Strict: no sign, no blanks, no trailing junk, within [min, max]. 0 or -EINVAL / -ERANGE. */
int approve_parse_ulong(const char *s, unsigned long min, unsigned long max,
			unsigned long *out);
/* yes/no/true/false/on/off/1/0 -> 1/0; else -EINVAL. */
int approve_parse_bool(const char *s, int *out);

#endif
