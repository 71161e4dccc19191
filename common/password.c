/* password.c: owns approver password hashes (see password.h for the
 * format). PBKDF2-HMAC-SHA256 through OpenSSL, salt from RAND_bytes, strict
 * parsing of the stored form (anything unexpected is a mismatch, never a
 * pass), constant-time comparison, and a dummy computation for unknown
 * logins so timing does not reveal which logins exist. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "password.h"
#include "secret.h"

#define SCHEME "pbkdf2-sha256$"
#define SALT_LEN 16
#define KEY_LEN 32
#define B64_MAX 64	/* base64url of at most 48 bytes, with room */

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding; out must hold 4 * ceil(n / 3) + 1 bytes. */
static void
b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
}

static int
b64_value(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;

	return p ? (int)(p - b64url) : -1;
}

/* Strict decode of exactly want bytes from n characters of base64url
 * without padding; unused low bits must be zero. 0 or -EINVAL. */
static int
b64_decode_exact(const char *in, size_t n, unsigned char *out, size_t want)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	if (n != (want * 8 + 5) / 6)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if ((v = b64_value(in[i])) < 0)
			return -EINVAL;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= want)
				return -EINVAL;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (o != want || (acc & ((1u << bits) - 1)) != 0)
		return -EINVAL;
	return 0;
}

static int
input_ok(const char *pw, size_t len)
{
	return pw && len > 0 && len <= APPROVE_PASSWORD_MAX &&
	       !memchr(pw, '\0', len);
}

static int
derive(const char *pw, size_t len, const unsigned char *salt,
       unsigned iter, unsigned char key[KEY_LEN])
{
	if (PKCS5_PBKDF2_HMAC(pw, (int)len, salt, SALT_LEN, (int)iter,
			      EVP_sha256(), KEY_LEN, key) != 1)
		return -EIO;
	return 0;
}

int
approve_password_hash(const char *pw, size_t len, char **out)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	char salt64[B64_MAX], key64[B64_MAX];
	char *s = NULL;
	size_t cap;
	int r, n;

	*out = NULL;
	if (!input_ok(pw, len))
		return -EINVAL;
	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		r = -EIO;
		goto out;
	}
	if ((r = derive(pw, len, salt, APPROVE_PASSWORD_ITER, key)) != 0)
		goto out;
	b64_encode(salt, sizeof(salt), salt64);
	b64_encode(key, sizeof(key), key64);
	cap = APPROVE_PASSWORD_HASH_MAX + 1;
	if (!(s = malloc(cap))) {
		r = -ENOMEM;
		goto out;
	}
	n = snprintf(s, cap, SCHEME "%u$%s$%s", APPROVE_PASSWORD_ITER,
		     salt64, key64);
	if (n < 0 || (size_t)n >= cap) {
		r = -EIO;
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(s);
	return r;
}

/* Split a stored form into its parts; 0 or -EINVAL. */
static int
parse_stored(const char *stored, unsigned *iter, unsigned char salt[SALT_LEN],
	     unsigned char key[KEY_LEN])
{
	const char *p, *d1, *d2;
	unsigned long v = 0;
	size_t len;

	if (!stored)
		return -EINVAL;
	len = strnlen(stored, APPROVE_PASSWORD_HASH_MAX + 1);
	if (len > APPROVE_PASSWORD_HASH_MAX ||
	    strncmp(stored, SCHEME, strlen(SCHEME)) != 0)
		return -EINVAL;
	p = stored + strlen(SCHEME);
	/* iterations: decimal digits, no sign, no leading zero */
	if (*p < '1' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > APPROVE_PASSWORD_ITER_MAX)
			return -EINVAL;
	}
	if (*p != '$' || v < APPROVE_PASSWORD_ITER_MIN)
		return -EINVAL;
	d1 = strchr(p + 1, '$');
	if (!d1)
		return -EINVAL;
	d2 = d1 + 1 + strlen(d1 + 1);
	if (memchr(d1 + 1, '$', (size_t)(d2 - d1 - 1)))
		return -EINVAL;
	if (b64_decode_exact(p + 1, (size_t)(d1 - p - 1), salt, SALT_LEN) != 0 ||
	    b64_decode_exact(d1 + 1, (size_t)(d2 - d1 - 1), key, KEY_LEN) != 0)
		return -EINVAL;
	*iter = (unsigned)v;
	return 0;
}

int
approve_password_verify(const char *pw, size_t len, const char *stored)
{
	static const unsigned char dummy_salt[SALT_LEN] = "approvald-dummy";
	unsigned char salt[SALT_LEN], want[KEY_LEN], got[KEY_LEN];
	unsigned iter;
	int r = 0;	/* mismatch until proven */

	if (!input_ok(pw, len))
		goto out;
	if (parse_stored(stored, &iter, salt, want) != 0) {
		/* same work as a real check: unknown logins look alike */
		(void)derive(pw, len, dummy_salt, APPROVE_PASSWORD_ITER, got);
		goto out;
	}
	if (derive(pw, len, salt, iter, got) != 0)
		goto out;
	r = approve_ct_equal(got, want, KEY_LEN) ? 1 : 0;
out:
	OPENSSL_cleanse(got, sizeof(got));
	OPENSSL_cleanse(want, sizeof(want));
	return r;
}

int
approve_password_needs_rehash(const char *stored)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	unsigned iter;
	int r;

	r = parse_stored(stored, &iter, salt, key) != 0 ||
	    iter < APPROVE_PASSWORD_ITER;
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}
