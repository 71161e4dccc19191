/* secret.h: tokens: generation (OpenSSL RAND), hashing for storage, reading
 * the host token file inside setuid sudo, and wiping. */
#ifndef APPROVE_SECRET_H
#define APPROVE_SECRET_H
#include <stddef.h>

#define APPROVE_TOKEN_MAX 256
#define APPROVE_HASH_HEX_LEN 64	/* sha256 as lowercase hex */
#define APPROVE_TOKEN_RANDOM_BYTES 32
/* base64url (no padding) of APPROVE_TOKEN_RANDOM_BYTES: a token after its prefix */
#define APPROVE_TOKEN_B64_LEN ((APPROVE_TOKEN_RANDOM_BYTES * 4 + 2) / 3)

struct approve_secret {
	char *data;	/* NUL-terminated, wiped on free */
	size_t len;
};

void approve_secret_free(struct approve_secret *s);

/* Read a token file. Refuses (and says why in err): not a regular file, a
 * symlink (O_NOFOLLOW), not owned by uid 0, any group/other permission bit
 * set, larger than APPROVE_TOKEN_MAX, empty, or holding bytes outside the
 * token alphabet [A-Za-z0-9_-] (one trailing newline is allowed).
 * 0 or -EACCES / -EPERM / -EINVAL / -ENOENT / -ENOMEM. */
int approve_secret_read_file(const char *path, struct approve_secret **out,
			     char *err, size_t errlen);

/* New random token: prefix followed by base64url (no padding) of
 * APPROVE_TOKEN_RANDOM_BYTES from RAND_bytes. prefix is e.g. "aph_" (host) or "apa_" (approver).
 * *out is malloc'd; 0, -ENOMEM or -EIO (RNG failure). */
int approve_token_generate(const char *prefix, char **out);

/* sha256(token) as 64 lowercase hex chars + NUL. Tokens carry 256 bits of
 * entropy, so a fast hash is the right storage form. 0 or -EIO. */
int approve_token_hash(const char *token, size_t len,
		       char out[APPROVE_HASH_HEX_LEN + 1]);

/* sha256 of data[0..len) as 64 lowercase hex chars + NUL. 0 or -EIO. */
int approve_sha256_hex(const void *data, size_t len,
		       char out[APPROVE_HASH_HEX_LEN + 1]);

/* Constant-time comparison of two equal-length buffers; 1 when equal. */
int approve_ct_equal(const void *a, const void *b, size_t len);

#endif
