/* secret.c: owns tokens: generation (prefix + base64url of 32 RAND bytes),
 * sha256 hashing for storage, constant-time comparison, and reading the
 * host token file inside setuid sudo (root-owned, no group/other bits, no
 * symlink, strict alphabet). Secrets are wiped before they are freed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "secret.h"

void
approve_secret_free(struct approve_secret *s)
{
	if (!s)
		return;
	if (s->data) {
		OPENSSL_cleanse(s->data, s->len + 1);
		free(s->data);
	}
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static int
token_char_ok(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int
approve_secret_read_file(const char *path, struct approve_secret **out,
			 char *err, size_t errlen)
{
	unsigned char raw[APPROVE_TOKEN_MAX + 2];
	struct approve_secret *s = NULL;
	struct stat st;
	size_t len = 0, i;
	ssize_t n;
	int fd = -1, r;

	*out = NULL;
	if (!path || !*path) {
		approve_errf(err, errlen, "%s: %s", "token file", "no path given");
		r = -EINVAL;
		goto out;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		r = -errno;
		if (r == -ELOOP) {
			approve_errf(err, errlen, "%s: %s", path, "is a symlink, refused");
			r = -EACCES;
		} else {
			approve_errf(err, errlen, "%s: %s", path, strerror(-r));
			if (r != -ENOENT && r != -ENOMEM)
				r = -EACCES;
		}
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = -errno;
		approve_errf(err, errlen, "%s: %s", path, strerror(-r));
		r = -EACCES;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		approve_errf(err, errlen, "%s: %s", path, "not a regular file");
		r = -EACCES;
		goto out;
	}
	if (st.st_uid != 0) {
		approve_errf(err, errlen, "%s: %s", path, "not owned by root");
		r = -EPERM;
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		approve_errf(err, errlen, "%s: %s", path,
			"readable or writable by group/others (want mode 0600 or 0400)");
		r = -EPERM;
		goto out;
	}
	if (st.st_size > APPROVE_TOKEN_MAX + 1) {
		approve_errf(err, errlen, "%s: %s", path, "too large for a token");
		r = -EINVAL;
		goto out;
	}
	/* read up to one byte more than allowed so growth since fstat shows */
	while (len < sizeof(raw)) {
		n = read(fd, raw + len, sizeof(raw) - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			approve_errf(err, errlen, "%s: %s", path, strerror(-r));
			r = -EACCES;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > 0 && raw[len - 1] == '\n')
		len--;
	if (len > APPROVE_TOKEN_MAX) {
		approve_errf(err, errlen, "%s: %s", path, "too large for a token");
		r = -EINVAL;
		goto out;
	}
	if (len == 0) {
		approve_errf(err, errlen, "%s: %s", path, "empty");
		r = -EINVAL;
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (!token_char_ok(raw[i])) {
			approve_errf(err, errlen, "%s: %s", path,
				"holds characters outside [A-Za-z0-9_-]");
			r = -EINVAL;
			goto out;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->data = malloc(len + 1))) {
		approve_errf(err, errlen, "%s: %s", path, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	memcpy(s->data, raw, len);
	s->data[len] = '\0';
	s->len = len;
	*out = s;
	s = NULL;
	r = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	if (fd != -1)
		close(fd);
	approve_secret_free(s);
	return r;
}

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
approve_token_generate(const char *prefix, char **out)
{
	unsigned char rnd[APPROVE_TOKEN_RANDOM_BYTES];
	size_t plen, olen, i, o;
	uint32_t v;
	char *t;
	int r;

	*out = NULL;
	if (!prefix)
		prefix = "";
	plen = strlen(prefix);
	if (plen > APPROVE_TOKEN_MAX)
		return -EINVAL;
	olen = plen + APPROVE_TOKEN_B64_LEN;
	t = malloc(olen + 1);
	if (!t)
		return -ENOMEM;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		r = -EIO;
		free(t);
		goto out;
	}
	memcpy(t, prefix, plen);
	o = plen;
	for (i = 0; i + 3 <= sizeof(rnd); i += 3) {
		v = (uint32_t)rnd[i] << 16 | (uint32_t)rnd[i + 1] << 8 | rnd[i + 2];
		t[o++] = b64url[(v >> 18) & 63];
		t[o++] = b64url[(v >> 12) & 63];
		t[o++] = b64url[(v >> 6) & 63];
		t[o++] = b64url[v & 63];
	}
	if (sizeof(rnd) - i == 2) {	/* 32 = 30 + 2: three more chars */
		v = (uint32_t)rnd[i] << 16 | (uint32_t)rnd[i + 1] << 8;
		t[o++] = b64url[(v >> 18) & 63];
		t[o++] = b64url[(v >> 12) & 63];
		t[o++] = b64url[(v >> 6) & 63];
	} else if (sizeof(rnd) - i == 1) {
		v = (uint32_t)rnd[i] << 16;
		t[o++] = b64url[(v >> 18) & 63];
		t[o++] = b64url[(v >> 12) & 63];
	}
	t[o] = '\0';
	*out = t;
	r = 0;
	v = 0;
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return r;
}

int
approve_token_hash(const char *token, size_t len,
		   char out[APPROVE_HASH_HEX_LEN + 1])
{
	return approve_sha256_hex(token, len, out);
}

int
approve_sha256_hex(const void *data, size_t len,
		   char out[APPROVE_HASH_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen * 2 != APPROVE_HASH_HEX_LEN)
		return -EIO;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[APPROVE_HASH_HEX_LEN] = '\0';
	return 0;
}

int
approve_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
