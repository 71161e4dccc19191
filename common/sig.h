/* sig.h: Ed25519 signatures over approvald's final answers and audit
 * checkpoints (OpenSSL EVP), the canonical bytes they cover, key ids, and
 * the key files of the three programs.
 *
 * Canonical bytes: a domain word ("approve-answer-v1" or
 * "approve-checkpoint-v1") and then each field as <decimal length>:<bytes>,
 * an absent field as "-", in the fixed order of the struct below, so no
 * field can be shifted into another. A signature is 64 bytes, standard
 * base64 on the wire (88 characters); a key id is the first 16 hex
 * characters of sha256 over the 32 raw public key bytes.
 *
 * Public key files (the module's keys=, approvalctl --key): any number of
 * lines "ed25519 BASE64 [retired]" (BASE64: the 32 raw bytes; '#' starts a
 * comment) and/or PEM "PUBLIC KEY" blocks. "retired": the key's old
 * signatures are history; the module accepts no answer signed with it. */
#ifndef APPROVE_SIG_H
#define APPROVE_SIG_H
#include <stddef.h>
#include <openssl/evp.h>

#define APPROVE_SIG_KEY_ID_LEN 16	/* hex */
#define APPROVE_SIG_B64_LEN 88		/* 64 bytes, base64 with padding */
#define APPROVE_SIG_KEYS_MAX 16		/* keys in one public key file */
#define APPROVE_SIG_FILE_MAX 65536	/* any key file */
#define APPROVE_NONCE_MIN 16		/* nonce: [A-Za-z0-9_-] */
#define APPROVE_NONCE_MAX 64

/* What an answer's signature covers. NULL: absent. */
struct approve_sig_answer {
	const char *id;
	const char *digest;
	const char *status;
	const char *decided_by;
	const char *decided_at;
	const char *nonce;
	const char *expires_at;
};

/* A signed checkpoint as one self-verifying line of text: approvald logs
 * it (syslog/journal: a copy outside the database), `approvalctl audit
 * checkpoint` prints it, `approvalctl audit verify --checkpoint FILE`
 * reads it after any syslog prefix. The fields in this order, each once:
 * head_id decimal, hash 64 lowercase hex, at ISO 8601 UTC, key the key
 * id, sig the base64 signature. */
#define APPROVE_SIG_CHECKPOINT_MARK "approve-checkpoint-v1 "
#define APPROVE_SIG_CHECKPOINT_FMT APPROVE_SIG_CHECKPOINT_MARK \
	"head_id=%s hash=%s at=%s key=%s sig=%s"
struct approve_sig_checkpoint_line {
	char head_id[20], hash[65], at[33];
	char key_id[APPROVE_SIG_KEY_ID_LEN + 1];
	char sig[APPROVE_SIG_B64_LEN + 1];
};
/* One NUL-terminated line of text: 1 when it has no checkpoint mark (not a
 * checkpoint line); 0 when the fields after the mark are exactly those of
 * APPROVE_SIG_CHECKPOINT_FMT, each of its syntax (then in *out), with only
 * white space after them; -EINVAL otherwise. The signature is not checked
 * here (approve_sig_verify_checkpoint). */
int approve_sig_checkpoint_line_parse(const char *line,
				      struct approve_sig_checkpoint_line *out);

/* What a checkpoint's signature covers. */
struct approve_sig_checkpoint {
	const char *head_id;	/* decimal */
	const char *head_hash;
	const char *at;		/* ISO 8601 UTC */
};

struct approve_sig_pub {
	EVP_PKEY *pk;
	char id[APPROVE_SIG_KEY_ID_LEN + 1];
	int retired;
};
struct approve_sig_keyring {
	size_t n;
	struct approve_sig_pub k[APPROVE_SIG_KEYS_MAX];
};
void approve_sig_keyring_free(struct approve_sig_keyring *kr);
/* Parse a public key file's text. 0, -EINVAL (err says which line),
 * -ENOMEM. An empty set is -EINVAL. */
int approve_sig_keyring_parse(const char *text, size_t len,
			      struct approve_sig_keyring **out, char *err,
			      size_t errlen);
/* Read and parse a public key file. With root_only (the module): refused
 * unless a regular file (O_NOFOLLOW) owned by root and not writable by
 * group or others. 0 or negative errno, err says why. */
int approve_sig_keyring_read_file(const char *path, int root_only,
				  struct approve_sig_keyring **out, char *err,
				  size_t errlen);

/* Nonce syntax: 16..64 of [A-Za-z0-9_-]. 1 when valid. */
int approve_sig_nonce_valid(const char *s);
/* A fresh random nonce (32 hex characters from RAND_bytes). 0 or -EIO. */
int approve_sig_nonce_new(char out[33]);

/* Key id of a public (or private) key. 0 or -EIO. */
int approve_sig_key_id(EVP_PKEY *pk, char out[APPROVE_SIG_KEY_ID_LEN + 1]);
/* "ed25519 BASE64" (malloc'd) for a key file line. 0 or -ENOMEM/-EIO. */
int approve_sig_pub_line(EVP_PKEY *pk, char **out);

/* Private key: a PEM (PKCS#8) Ed25519 key file. Refused when group or
 * others may read or write it, or it is a symlink. 0 or negative errno. */
int approve_sig_private_read_file(const char *path, EVP_PKEY **out,
				  char *err, size_t errlen);
/* A new Ed25519 key written as PEM to path (O_CREAT|O_EXCL, mode 0600,
 * then fchown to uid/gid unless (uid_t)-1). 0 or negative errno. */
int approve_sig_private_generate(const char *path, unsigned uid, unsigned gid,
				 EVP_PKEY **out, char *err, size_t errlen);

/* Sign / verify. sig is base64 (APPROVE_SIG_B64_LEN + NUL). */
int approve_sig_sign_answer(EVP_PKEY *priv, const struct approve_sig_answer *a,
			    char sig[APPROVE_SIG_B64_LEN + 1]);
int approve_sig_sign_checkpoint(EVP_PKEY *priv,
				const struct approve_sig_checkpoint *c,
				char sig[APPROVE_SIG_B64_LEN + 1]);
/* 0: a valid signature by key_id from kr (*used its entry); -ENOKEY: no
 * such key in kr; -EKEYREVOKED: key retired and !allow_retired;
 * -EBADMSG: not a valid signature over these fields; -EINVAL: malformed
 * key_id or signature text. */
int approve_sig_verify_answer(const struct approve_sig_keyring *kr,
			      const struct approve_sig_answer *a,
			      const char *key_id, const char *sig,
			      int allow_retired,
			      const struct approve_sig_pub **used);
int approve_sig_verify_checkpoint(const struct approve_sig_keyring *kr,
				  const struct approve_sig_checkpoint *c,
				  const char *key_id, const char *sig,
				  const struct approve_sig_pub **used);
/* The canonical bytes (malloc'd, *len) of an answer; for tests/tools. */
int approve_sig_answer_bytes(const struct approve_sig_answer *a,
			     unsigned char **out, size_t *len);

#endif
