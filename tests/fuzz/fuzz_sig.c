/* fuzz_sig.c: libFuzzer target for the signature and receipt decoders:
 * approve_sig_keyring_parse (the module's keys= file), a server answer
 * (approve_status_from_json) checked like the module checks it
 * (approve_sig_verify_answer), approve_receipt_check, and the checkpoint
 * line of audit verify --checkpoint (approve_sig_checkpoint_line_parse).
 * Invariants: a random answer never verifies under the fixed key unless
 * it carries that key's real signature; an answer re-signed with the key
 * always verifies, and no longer does when its status changes; a parsed
 * keyring has 1..APPROVE_SIG_KEYS_MAX keys with 16-hex ids. */
#include <stdlib.h>
#include <string.h>

#include "receipt.h"
#include "sig.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

static EVP_PKEY *priv;
static struct approve_sig_keyring *ring;

static void
setup(void)
{
	static const unsigned char seed[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	char *line = NULL, err[256];

	priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (!priv || approve_sig_pub_line(priv, &line) != 0 ||
	    approve_sig_keyring_parse(line, strlen(line), &ring, err, sizeof(err)) != 0)
		abort();
	free(line);
}

static void
check_status(const struct approve_status *st)
{
	struct approve_sig_answer a = {
		.id = st->id, .digest = st->digest,
		.status = approve_state_name(st->state), .decided_by = st->decided_by,
		.decided_at = st->decided_at, .nonce = st->nonce,
		.expires_at = st->expires_at,
	};
	char sig[APPROVE_SIG_B64_LEN + 1];

	(void)approve_sig_verify_answer(ring, &a, st->key_id, st->signature, 0, NULL);
	if (approve_sig_sign_answer(priv, &a, sig) != 0 ||
	    approve_sig_verify_answer(ring, &a, ring->k[0].id, sig, 0, NULL) != 0)
		abort();
	a.status = st->state == APPROVE_APPROVED ? "denied" : "approved";
	if (approve_sig_verify_answer(ring, &a, ring->k[0].id, sig, 0, NULL) == 0)
		abort();
}

/* A checkpoint line (audit verify --checkpoint): what parses prints back
 * through APPROVE_SIG_CHECKPOINT_FMT to the same fields; a random line
 * never verifies unless it carries the fixed key's real signature. */
static void
check_line(const unsigned char *data, size_t len)
{
	struct approve_sig_checkpoint_line c, d;
	char *s = malloc(len + 1), out[512];

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = 0;
	if (approve_sig_checkpoint_line_parse(s, &c) == 0) {
		const struct approve_sig_checkpoint cp = { c.head_id, c.hash, c.at };

		snprintf(out, sizeof(out), APPROVE_SIG_CHECKPOINT_FMT, c.head_id, c.hash,
			 c.at, c.key_id, c.sig);
		if (approve_sig_checkpoint_line_parse(out, &d) != 0 ||
		    strcmp(c.head_id, d.head_id) || strcmp(c.hash, d.hash) ||
		    strcmp(c.at, d.at) || strcmp(c.key_id, d.key_id) || strcmp(c.sig, d.sig))
			abort();
		(void)approve_sig_verify_checkpoint(ring, &cp, c.key_id, c.sig, NULL);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	const char *j = (const char *)data;
	struct approve_sig_keyring *kr = NULL;
	struct approve_status *st = NULL;
	char err[256], why[256];
	int retired;
	size_t i;

	if (!priv)
		setup();
	if (approve_sig_keyring_parse(j, len, &kr, err, sizeof(err)) == 0) {
		if (kr->n == 0 || kr->n > APPROVE_SIG_KEYS_MAX)
			abort();
		for (i = 0; i < kr->n; i++)
			if (strlen(kr->k[i].id) != APPROVE_SIG_KEY_ID_LEN)
				abort();
		approve_sig_keyring_free(kr);
	}
	if (approve_status_from_json(j, len, &st, err, sizeof(err)) == 0) {
		check_status(st);
		approve_status_free(st);
	}
	(void)approve_receipt_check(j, len, ring, &retired, why, sizeof(why));
	check_line(data, len);
	return 0;
}
