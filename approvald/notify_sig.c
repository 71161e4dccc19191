/* notify_sig.c: owns the HMACs of notifications and the Slack form
 * decoding (see notify_sig.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "notify_sig.h"

int
notify_hmac_hex(const char *key, size_t klen, const char *a, size_t alen,
		const char *b, size_t blen, char hex[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM p[2] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
			    OSSL_PARAM_construct_end() };
	size_t out = 0;
	int r = -EIO;

	if (c && EVP_MAC_init(c, (const unsigned char *)key, klen, p) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)a, alen) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)b, blen) == 1 &&
	    EVP_MAC_final(c, mac, &out, sizeof(mac)) == 1 && out == 32) {
		for (size_t i = 0; i < out; i++)
			snprintf(hex + 2 * i, 3, "%02x", mac[i]);
		r = 0;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return r;
}

int
notify_webhook_sign(const char *secret, size_t secret_len, long long ts,
		    const char *body, size_t len, char hex[65])
{
	char prefix[32];
	int n = snprintf(prefix, sizeof(prefix), "%lld.", ts);

	if (n < 0 || (size_t)n >= sizeof(prefix))
		return -EIO;
	return notify_hmac_hex(secret, secret_len, prefix, (size_t)n, body, len, hex);
}

int
slack_signature_check(const char *secret, size_t secret_len, const char *ts,
		      const char *sig, const char *body, size_t len, time_t now)
{
	char prefix[40], hex[65];
	long long t;
	size_t i;
	int n, ok = 0;

	if (!secret || !ts || !sig || !*ts || strlen(ts) > 12)
		return -EBADMSG;
	for (i = 0; ts[i]; i++)
		if (ts[i] < '0' || ts[i] > '9')
			return -EBADMSG;
	if (strlen(sig) != 3 + 64 || strncmp(sig, "v0=", 3) != 0)
		return -EBADMSG;
	t = strtoll(ts, NULL, 10);
	n = snprintf(prefix, sizeof(prefix), "v0:%s:", ts);
	if (n < 0 || (size_t)n >= sizeof(prefix) ||
	    notify_hmac_hex(secret, secret_len, prefix, (size_t)n, body, len, hex) < 0)
		return -EBADMSG;
	/* the hex from Slack is lowercase; anything else does not match */
	ok = CRYPTO_memcmp(hex, sig + 3, 64) == 0;
	OPENSSL_cleanse(hex, sizeof(hex));
	if (!ok)
		return -EBADMSG;
	if (t < (long long)now - SLACK_MAX_SKEW_S || t > (long long)now + SLACK_MAX_SKEW_S)
		return -ETIME;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
form_value(const char *body, size_t len, const char *key, char **out)
{
	size_t klen = strlen(key), i = 0, j, end;
	char *d;
	int h, l;

	*out = NULL;
	while (i < len) {
		end = i;
		while (end < len && body[end] != '&')
			end++;
		if (end - i > klen && memcmp(body + i, key, klen) == 0 && body[i + klen] == '=') {
			d = malloc(end - i - klen);
			if (!d)
				return -ENOMEM;
			for (i += klen + 1, j = 0; i < end; i++) {
				if (body[i] == '+') {
					d[j++] = ' ';
				} else if (body[i] == '%') {
					if (i + 2 >= end) {
						free(d);
						return -EINVAL;
					}
					h = hexval(body[i + 1]);
					l = hexval(body[i + 2]);
					if (h < 0 || l < 0 || (h == 0 && l == 0)) {
						free(d);
						return -EINVAL;
					}
					d[j++] = (char)(h * 16 + l);
					i += 2;
				} else if (body[i] == '\0') {
					free(d);
					return -EINVAL;
				} else {
					d[j++] = body[i];
				}
			}
			d[j] = '\0';
			*out = d;
			return 0;
		}
		i = end + 1;
	}
	return -ENOENT;
}
