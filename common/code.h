/* code.h: request codes ("K7Q-4MX") shown to humans, and id syntax checks. */
#ifndef APPROVE_CODE_H
#define APPROVE_CODE_H
#include <stddef.h>

#define APPROVE_CODE_LEN 7	/* XXX-XXX */
#define APPROVE_UUID_LEN 36

/* Alphabet: Crockford base32 without I, L, O, U (0-9 A-H J K M N P-T V-Z).
 * 30 random bits from RAND_bytes. out gets "XXX-XXX\0". 0 or -EIO. */
int approve_code_generate(char out[APPROVE_CODE_LEN + 1]);
/* 1 when s is exactly a well-formed code (case-insensitive), else 0.
 * approve_code_normalize upper-cases into out and returns 0, or -EINVAL. */
int approve_code_valid(const char *s);
int approve_code_normalize(const char *s, char out[APPROVE_CODE_LEN + 1]);
/* 1 when s is exactly 8-4-4-4-12 hex digits (either case), else 0. */
int approve_uuid_valid(const char *s);
/* s[0..len) when it is exactly such a uuid, lower-cased into out (the form
 * the database prints): 0, or -EINVAL (out is then ""). */
int approve_uuid_normalize(const char *s, size_t len, char out[APPROVE_UUID_LEN + 1]);

#endif
