/* code.c: owns the human-facing request codes ("K7Q-4MX": 6 symbols of
 * Crockford base32, 30 bits from RAND_bytes) and syntax checks for codes and
 * uuids. Pure functions; nothing here allocates. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "code.h"

/* Crockford base32 (0-9 A-Z without I, L, O, U): 32 symbols, 5 bits each.
 * The ambiguous letters are absent so a code read aloud or typed from a
 * phone is unambiguous. */
static const char code_alphabet[32] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int
code_symbol_ok(char c)
{
	if (c >= '0' && c <= '9')
		return 1;
	if (c >= 'A' && c <= 'Z')
		return c != 'I' && c != 'L' && c != 'O' && c != 'U';
	return 0;
}

int
approve_code_generate(char out[APPROVE_CODE_LEN + 1])
{
	unsigned char rnd[4];
	uint32_t bits;
	int k, pos = 0;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	bits = (uint32_t)rnd[0] << 24 | (uint32_t)rnd[1] << 16 |
	       (uint32_t)rnd[2] << 8 | rnd[3];
	for (k = 0; k < 6; k++) {	/* 6 x 5 = 30 bits */
		if (k == 3)
			out[pos++] = '-';
		out[pos++] = code_alphabet[bits & 31];
		bits >>= 5;
	}
	out[pos] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	bits = 0;
	return 0;
}

int
approve_code_normalize(const char *s, char out[APPROVE_CODE_LEN + 1])
{
	char tmp[APPROVE_CODE_LEN + 1];
	int i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < APPROVE_CODE_LEN; i++) {
		char c = s[i];

		if (c == '\0')
			return -EINVAL;
		if (i == 3) {
			if (c != '-')
				return -EINVAL;
			tmp[i] = c;
			continue;
		}
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!code_symbol_ok(c))
			return -EINVAL;
		tmp[i] = c;
	}
	if (s[APPROVE_CODE_LEN] != '\0')
		return -EINVAL;
	tmp[APPROVE_CODE_LEN] = '\0';
	memcpy(out, tmp, sizeof(tmp));
	return 0;
}

int
approve_code_valid(const char *s)
{
	char tmp[APPROVE_CODE_LEN + 1];

	return approve_code_normalize(s, tmp) == 0;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

int
approve_uuid_valid(const char *s)
{
	int i;

	if (!s)
		return 0;
	for (i = 0; i < APPROVE_UUID_LEN; i++) {
		if (s[i] == '\0')
			return 0;
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_hex(s[i])) {
			return 0;
		}
	}
	return s[APPROVE_UUID_LEN] == '\0';
}

int
approve_uuid_normalize(const char *s, size_t len, char out[APPROVE_UUID_LEN + 1])
{
	size_t i;

	out[0] = '\0';
	if (len != APPROVE_UUID_LEN || memchr(s, '\0', len))
		return -EINVAL;
	for (i = 0; i < len; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
	out[len] = '\0';
	if (!approve_uuid_valid(out)) {
		out[0] = '\0';
		return -EINVAL;
	}
	return 0;
}
