/* test_sig.c: check suite for common/sig.c: the canonical answer bytes
 * (explicit lengths, "-" for absent), key ids and signatures against
 * values computed independently (Python cryptography, RFC 8032 test key
 * 1), verification refusals (other key, retired, altered field, malformed
 * signature or key id, non-canonical base64), the key file parser (lines,
 * PEM, comments, retired, duplicates, garbage), the key file rules (mode,
 * owner, symlink) and the private key reader's refusal of a group-readable
 * file. Runs as root (chown). */
#include <errno.h>
#include <sys/stat.h>

#include "sig.h"
#include "unit.h"

#define RFC_PUB "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RFC_KID "21fe31dfa154a261"
#define RFC_SIG "62TnpJIHSd9d3Ple/aoanFMC0LnNYdvhNb/SU/HBiQgqAh5OvZNtSOJuFf6k7e7IKaCPNI6GzBAoNN7WFMp2Cg=="

static const struct approve_sig_answer ans = {
	.id = "6f1c1d7e-2b8a-4c1e-9f00-1a2b3c4d5e6f", .digest = "abc",
	.status = "approved", .decided_by = "bob", .decided_at = NULL,
	.nonce = "0123456789abcdef", .expires_at = NULL,
};

static EVP_PKEY *
rfc_key(void)
{
	static const unsigned char sk[32] = {
		0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
		0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
		0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60 };
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);

	ck_assert_ptr_nonnull(k);
	return k;
}

static struct approve_sig_keyring *
ring(const char *text)
{
	struct approve_sig_keyring *kr = NULL;
	char err[256];

	ck_assert_int_eq(approve_sig_keyring_parse(text, strlen(text), &kr, err,
						   sizeof(err)), 0);
	return kr;
}

START_TEST(canonical_bytes)
{
	static const char want[] = "approve-answer-v1"
		"36:6f1c1d7e-2b8a-4c1e-9f00-1a2b3c4d5e6f3:abc8:approved3:bob-"
		"16:0123456789abcdef-";
	unsigned char *b = NULL;
	size_t n = 0;

	ck_assert_int_eq(approve_sig_answer_bytes(&ans, &b, &n), 0);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_int_eq(memcmp(b, want, n), 0);
	free(b);
}
END_TEST

START_TEST(known_signature)
{
	EVP_PKEY *k = rfc_key();
	char kid[APPROVE_SIG_KEY_ID_LEN + 1], sig[APPROVE_SIG_B64_LEN + 1], *line = NULL;
	struct approve_sig_keyring *kr;
	const struct approve_sig_pub *used = NULL;

	ck_assert_int_eq(approve_sig_key_id(k, kid), 0);
	ck_assert_str_eq(kid, RFC_KID);
	ck_assert_int_eq(approve_sig_pub_line(k, &line), 0);
	ck_assert_str_eq(line, "ed25519 " RFC_PUB);
	ck_assert_int_eq(approve_sig_sign_answer(k, &ans, sig), 0);
	ck_assert_str_eq(sig, RFC_SIG);
	kr = ring(line);
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, RFC_KID, RFC_SIG, 0, &used), 0);
	ck_assert_ptr_eq(used, &kr->k[0]);
	free(line);
	approve_sig_keyring_free(kr);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(verify_refusals)
{
	struct approve_sig_keyring *kr = ring("ed25519 " RFC_PUB "\n");
	struct approve_sig_keyring *old = ring("ed25519 " RFC_PUB " retired\n");
	struct approve_sig_answer a = ans;
	char bad[APPROVE_SIG_B64_LEN + 1];

	/* every field counts, and absent differs from empty */
	a.status = "denied";
	ck_assert_int_eq(approve_sig_verify_answer(kr, &a, RFC_KID, RFC_SIG, 0, NULL), -EBADMSG);
	a = ans;
	a.nonce = "0123456789abcdeF";
	ck_assert_int_eq(approve_sig_verify_answer(kr, &a, RFC_KID, RFC_SIG, 0, NULL), -EBADMSG);
	a = ans;
	a.decided_at = "";
	ck_assert_int_eq(approve_sig_verify_answer(kr, &a, RFC_KID, RFC_SIG, 0, NULL), -EBADMSG);
	a = ans;
	a.digest = "ab";
	a.status = "capproved";	/* shifting a byte between fields */
	ck_assert_int_eq(approve_sig_verify_answer(kr, &a, RFC_KID, RFC_SIG, 0, NULL), -EBADMSG);
	/* key ids */
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, "0000000000000000", RFC_SIG, 0, NULL), -ENOKEY);
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, "21fe", RFC_SIG, 0, NULL), -EINVAL);
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, NULL, RFC_SIG, 0, NULL), -EINVAL);
	/* retired: refused for answers, history when allowed */
	ck_assert_int_eq(approve_sig_verify_answer(old, &ans, RFC_KID, RFC_SIG, 0, NULL), -EKEYREVOKED);
	ck_assert_int_eq(approve_sig_verify_answer(old, &ans, RFC_KID, RFC_SIG, 1, NULL), 0);
	/* malformed signatures */
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, RFC_KID, NULL, 0, NULL), -EINVAL);
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, RFC_KID, "", 0, NULL), -EINVAL);
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, RFC_KID, RFC_SIG "AA", 0, NULL), -EINVAL);
	strcpy(bad, RFC_SIG);
	bad[85] = 'h';	/* nonzero bits under the padding: not canonical */
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, RFC_KID, bad, 0, NULL), -EINVAL);
	strcpy(bad, RFC_SIG);
	bad[10] = '!';
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, RFC_KID, bad, 0, NULL), -EINVAL);
	strcpy(bad, RFC_SIG);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(approve_sig_verify_answer(kr, &ans, RFC_KID, bad, 0, NULL), -EBADMSG);
	approve_sig_keyring_free(kr);
	approve_sig_keyring_free(old);
}
END_TEST

START_TEST(keyring_parse)
{
	static const char pem[] = "-----BEGIN PUBLIC KEY-----\n"
		"MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
		"-----END PUBLIC KEY-----\n";
	static const char *const bad[] = {
		"", "# only a comment\n", "ed25519\n", "rsa " RFC_PUB "\n",
		"ed25519 " RFC_PUB " active\n", "ed25519 " RFC_PUB " retired x\n",
		"ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR=\n",
		"ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURoA\n",
		"-----BEGIN PUBLIC KEY-----\nMCow\n",
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	};
	struct approve_sig_keyring *kr = NULL;
	char err[256], text[512];
	size_t i;

	kr = ring("# approvald\n\ned25519 " RFC_PUB "   # web1's\r\n");
	ck_assert_uint_eq(kr->n, 1);
	ck_assert_str_eq(kr->k[0].id, RFC_KID);
	ck_assert_int_eq(kr->k[0].retired, 0);
	approve_sig_keyring_free(kr);
	kr = ring(pem);
	ck_assert_uint_eq(kr->n, 1);
	ck_assert_str_eq(kr->k[0].id, RFC_KID);
	approve_sig_keyring_free(kr);
	/* the same key twice: once, retired wins */
	snprintf(text, sizeof(text), "%sed25519 %s retired", pem, RFC_PUB);
	kr = ring(text);
	ck_assert_uint_eq(kr->n, 1);
	ck_assert_int_eq(kr->k[0].retired, 1);
	approve_sig_keyring_free(kr);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kr = NULL;
		ck_assert_msg(approve_sig_keyring_parse(bad[i], strlen(bad[i]), &kr, err,
							sizeof(err)) == -EINVAL, "%s", bad[i]);
		ck_assert_ptr_null(kr);
	}
	ck_assert_int_eq(approve_sig_keyring_parse("ed25519 " RFC_PUB "\0", 53, &kr,
						   err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(key_files)
{
	static const char line[] = "ed25519 " RFC_PUB "\n";
	const char *d = unit_tmpdir();
	struct approve_sig_keyring *kr = NULL;
	char err[256], *p, ln[256];
	EVP_PKEY *k = NULL;

	p = unit_write(d, "ok.pub", line, strlen(line), 0644);
	ck_assert_int_eq(approve_sig_keyring_read_file(p, 1, &kr, err, sizeof(err)), 0);
	approve_sig_keyring_free(kr);
	free(p);
	p = unit_write(d, "gw.pub", line, strlen(line), 0664);
	ck_assert_int_eq(approve_sig_keyring_read_file(p, 1, &kr, err, sizeof(err)), -EPERM);
	free(p);
	p = unit_write(d, "nr.pub", line, strlen(line), 0644);
	ck_assert_int_eq(chown(p, 65534, 65534), 0);
	ck_assert_int_eq(approve_sig_keyring_read_file(p, 1, &kr, err, sizeof(err)), -EPERM);
	ck_assert_int_eq(approve_sig_keyring_read_file(p, 0, &kr, err, sizeof(err)), 0);
	approve_sig_keyring_free(kr);
	snprintf(ln, sizeof(ln), "%s/ln.pub", d);
	ck_assert_int_eq(symlink(p, ln), 0);
	ck_assert_int_eq(approve_sig_keyring_read_file(ln, 1, &kr, err, sizeof(err)), -EACCES);
	free(p);
	/* private keys: generated 0600, refused once group-readable */
	snprintf(ln, sizeof(ln), "%s/signing.key", d);
	ck_assert_int_eq(approve_sig_private_generate(ln, (unsigned)-1, (unsigned)-1, &k,
						      err, sizeof(err)), 0);
	EVP_PKEY_free(k);
	ck_assert_int_eq(approve_sig_private_generate(ln, (unsigned)-1, (unsigned)-1, &k,
						      err, sizeof(err)), -EEXIST);
	ck_assert_int_eq(approve_sig_private_read_file(ln, &k, err, sizeof(err)), 0);
	EVP_PKEY_free(k);
	ck_assert_int_eq(chmod(ln, 0640), 0);
	ck_assert_int_eq(approve_sig_private_read_file(ln, &k, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "too open"));
}
END_TEST

START_TEST(nonce)
{
	char a[33], b[33];

	ck_assert_int_eq(approve_sig_nonce_new(a), 0);
	ck_assert_int_eq(approve_sig_nonce_new(b), 0);
	ck_assert_str_ne(a, b);
	ck_assert(approve_sig_nonce_valid(a));
	ck_assert(!approve_sig_nonce_valid("short"));
	ck_assert(!approve_sig_nonce_valid("0123456789abcdef!"));
	ck_assert(!approve_sig_nonce_valid(NULL));
}
END_TEST

/* The checkpoint line approvald logs and audit verify --checkpoint reads:
 * found after a syslog prefix, each field exactly once, in order, of its
 * syntax; anything else refused. */
START_TEST(checkpoint_line)
{
	static const char hash[] = "0123456789abcdef0123456789abcdef"
				   "0123456789abcdef0123456789abcdef";
	static const char sig[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
	struct approve_sig_checkpoint_line c;
	char line[512], bad[512];

	snprintf(line, sizeof(line), "Dec  1 12:00:00 db1 approvald[42]: NOTICE "
		 APPROVE_SIG_CHECKPOINT_FMT "\n", "17", hash,
		 "2026-12-01T12:00:00.123456Z", "0123456789abcdef", sig);
	ck_assert_int_eq(approve_sig_checkpoint_line_parse(line, &c), 0);
	ck_assert_str_eq(c.head_id, "17");
	ck_assert_str_eq(c.hash, hash);
	ck_assert_str_eq(c.at, "2026-12-01T12:00:00.123456Z");
	ck_assert_str_eq(c.key_id, "0123456789abcdef");
	ck_assert_str_eq(c.sig, sig);
	ck_assert_int_eq(approve_sig_checkpoint_line_parse("audit head id=17 hash=00", &c), 1);
	/* a field missing, swapped, repeated, too long, of the wrong set, or
	 * anything after the signature */
	{
		static const char *const repl[][2] = {
			{ "head_id=17 ", "" }, { "head_id=17", "head_id=-17" },
			{ "head_id=17", "head_id=12345678901234567890" },
			{ "hash=0123", "hash=X123" }, { "key=0123456789abcdef", "key=0123" },
			{ "at=", "when=" }, { "==\n", "== extra\n" }, { "==\n", "==;\n" },
		};
		for (size_t i = 0; i < sizeof(repl) / sizeof(repl[0]); i++) {
			const char *at = strstr(line, repl[i][0]);

			ck_assert_ptr_nonnull(at);
			snprintf(bad, sizeof(bad), "%.*s%s%s", (int)(at - line), line,
				 repl[i][1], at + strlen(repl[i][0]));
			ck_assert_msg(approve_sig_checkpoint_line_parse(bad, &c) == -EINVAL,
				      "accepted: %s", bad);
		}
	}
}
END_TEST

static Suite *
sig_suite(void)
{
	Suite *s = suite_create("sig");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, canonical_bytes);
	tcase_add_test(tc, known_signature);
	tcase_add_test(tc, verify_refusals);
	tcase_add_test(tc, keyring_parse);
	tcase_add_test(tc, key_files);
	tcase_add_test(tc, nonce);
	tcase_add_test(tc, checkpoint_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(sig_suite());
}
