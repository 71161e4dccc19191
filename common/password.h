/* password.h: approver password hashing for the web sign-in.
 * PBKDF2-HMAC-SHA256 (OpenSSL) with a random 16-byte salt and at least
 * APPROVE_PASSWORD_ITER iterations (OWASP 2023 guidance for PBKDF2-SHA256).
 * The stored form is self-describing, so the cost can grow later without a
 * schema change:
 *     pbkdf2-sha256$<iterations>$<salt, base64url>$<32-byte key, base64url>
 * (base64url without padding; about 90 characters). */
#ifndef APPROVE_PASSWORD_H
#define APPROVE_PASSWORD_H
#include <stddef.h>

#define APPROVE_PASSWORD_ITER 600000u	/* cost of new hashes */
#define APPROVE_PASSWORD_ITER_MIN 100000u	/* verify refuses fewer */
#define APPROVE_PASSWORD_ITER_MAX 10000000u	/* verify refuses more (DoS bound) */
#define APPROVE_PASSWORD_MIN 8		/* bytes; approvalctl enforces it */
#define APPROVE_PASSWORD_MAX 1024	/* bytes; longer input is refused */
#define APPROVE_PASSWORD_HASH_MAX 160	/* longest stored form accepted */

/* Hash pw (len bytes, may hold any byte but NUL) with a fresh salt from
 * RAND_bytes. *out is malloc'd. 0, -EINVAL (empty, NUL inside, longer than
 * APPROVE_PASSWORD_MAX), -EIO (RNG/KDF failure) or -ENOMEM. */
int approve_password_hash(const char *pw, size_t len, char **out);

/* Check pw against a stored form. Returns 1 on a match, 0 on a mismatch
 * or on anything malformed (wrong scheme, iterations outside
 * [APPROVE_PASSWORD_ITER_MIN .. APPROVE_PASSWORD_ITER_MAX], bad base64,
 * wrong lengths). stored == NULL (unknown login, no password set) still
 * spends the same work on a dummy hash and returns 0, so the answer time
 * does not tell which logins exist. The key comparison is constant-time. */
int approve_password_verify(const char *pw, size_t len, const char *stored);

/* 1 when stored was made with fewer iterations than APPROVE_PASSWORD_ITER
 * (or is not understood), so a caller may re-hash after a good sign-in. */
int approve_password_needs_rehash(const char *stored);

#endif
