/* sig.c: owns Ed25519 signing and verification of answers and
 * checkpoints, their canonical bytes, key ids and key files (sig.h).
 * Everything read here is hostile: lengths are checked before decoding,
 * base64 is decoded only from exactly APPROVE_SIG_B64_LEN characters, and
 * a verification failure of any kind is an error, never a pass. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "buf.h"
#include "secret.h"
#include "sig.h"

#define RAW_PUB_LEN 32
#define RAW_SIG_LEN 64
#define PUB_B64_LEN 44
#define DOMAIN_ANSWER "approve-answer-v1"
#define DOMAIN_CHECKPOINT "approve-checkpoint-v1"
#define SIGNED_MAX (64 * 1024)	/* canonical bytes of one answer */
#define PEM_PUB_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_PUB_END "-----END PUBLIC KEY-----"

/* ---- canonical bytes ---- */

static int
put_field(struct approve_buf *b, const char *s)
{
	char pre[32];
	int n;

	if (!s)
		return approve_buf_append(b, "-", 1);
	n = snprintf(pre, sizeof(pre), "%zu:", strlen(s));
	if (n < 0 || (size_t)n >= sizeof(pre))
		return -EINVAL;
	if (approve_buf_append(b, pre, (size_t)n) < 0 ||
	    approve_buf_append(b, s, strlen(s)) < 0)
		return -ENOMEM;
	return 0;
}

static int
canonical(const char *domain, const char *const *f, size_t n,
	  struct approve_buf *b)
{
	size_t i;

	approve_buf_init(b, SIGNED_MAX);
	if (approve_buf_append(b, domain, strlen(domain)) < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (put_field(b, f[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int
answer_buf(const struct approve_sig_answer *a, struct approve_buf *b)
{
	const char *f[7] = { a->id, a->digest, a->status, a->decided_by,
			     a->decided_at, a->nonce, a->expires_at };

	return canonical(DOMAIN_ANSWER, f, 7, b);
}

static int
checkpoint_buf(const struct approve_sig_checkpoint *c, struct approve_buf *b)
{
	const char *f[3] = { c->head_id, c->head_hash, c->at };

	return canonical(DOMAIN_CHECKPOINT, f, 3, b);
}

int
approve_sig_answer_bytes(const struct approve_sig_answer *a,
			 unsigned char **out, size_t *len)
{
	struct approve_buf b;
	int r = answer_buf(a, &b);

	*out = NULL;
	*len = 0;
	if (r < 0) {
		approve_buf_release(&b);
		return r;
	}
	*len = b.len;
	*out = (unsigned char *)approve_buf_take(&b);
	return *out ? 0 : -ENOMEM;
}

/* ---- base64 ---- */

/* Decode exactly want bytes from text of exactly 4*ceil(want/3) chars. */
static int
b64_decode(const char *text, size_t tlen, unsigned char *out, size_t want)
{
	unsigned char tmp[96];
	size_t enc = 4 * ((want + 2) / 3);
	int n;

	if (tlen != enc || enc > sizeof(tmp) * 4 / 3 || want + 2 > sizeof(tmp))
		return -EINVAL;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)tlen);
	if (n < 0 || (size_t)n != enc / 4 * 3)
		return -EINVAL;
	/* EVP_DecodeBlock counts padding as zero bytes: they must be zero */
	for (size_t i = want; i < (size_t)n; i++)
		if (tmp[i] != 0)
			return -EINVAL;
	if (want % 3 == 1 && (text[tlen - 1] != '=' || text[tlen - 2] != '='))
		return -EINVAL;
	if (want % 3 == 2 && (text[tlen - 1] != '=' || text[tlen - 2] == '='))
		return -EINVAL;
	if (want % 3 == 0 && text[tlen - 1] == '=')
		return -EINVAL;
	memcpy(out, tmp, want);
	return 0;
}

static void
b64_encode(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* ---- keys ---- */

int
approve_sig_key_id(EVP_PKEY *pk, char out[APPROVE_SIG_KEY_ID_LEN + 1])
{
	unsigned char raw[RAW_PUB_LEN];
	char hex[APPROVE_HASH_HEX_LEN + 1];
	size_t n = sizeof(raw);

	if (!pk || EVP_PKEY_get_raw_public_key(pk, raw, &n) != 1 ||
	    n != RAW_PUB_LEN || approve_sha256_hex(raw, n, hex) < 0)
		return -EIO;
	memcpy(out, hex, APPROVE_SIG_KEY_ID_LEN);
	out[APPROVE_SIG_KEY_ID_LEN] = '\0';
	return 0;
}

int
approve_sig_pub_line(EVP_PKEY *pk, char **out)
{
	unsigned char raw[RAW_PUB_LEN];
	char b64[PUB_B64_LEN + 1];
	size_t n = sizeof(raw);

	*out = NULL;
	if (EVP_PKEY_get_raw_public_key(pk, raw, &n) != 1 || n != RAW_PUB_LEN)
		return -EIO;
	b64_encode(raw, n, b64);
	*out = malloc(sizeof("ed25519 ") + PUB_B64_LEN);
	if (!*out)
		return -ENOMEM;
	snprintf(*out, sizeof("ed25519 ") + PUB_B64_LEN, "ed25519 %s", b64);
	return 0;
}

void
approve_sig_keyring_free(struct approve_sig_keyring *kr)
{
	size_t i;

	if (!kr)
		return;
	for (i = 0; i < kr->n; i++)
		EVP_PKEY_free(kr->k[i].pk);
	free(kr);
}

static int
keyring_add(struct approve_sig_keyring *kr, EVP_PKEY *pk, int retired,
	    unsigned line, char *err, size_t errlen)
{
	size_t i;

	if (kr->n == APPROVE_SIG_KEYS_MAX) {
		approve_errf(err, errlen, "line %u: more than %d keys", line,
			     APPROVE_SIG_KEYS_MAX);
		EVP_PKEY_free(pk);
		return -EINVAL;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519 ||
	    approve_sig_key_id(pk, kr->k[kr->n].id) < 0) {
		approve_errf(err, errlen, "line %u: not an Ed25519 key", line);
		EVP_PKEY_free(pk);
		return -EINVAL;
	}
	for (i = 0; i < kr->n; i++)
		if (strcmp(kr->k[i].id, kr->k[kr->n].id) == 0) {
			/* the same key twice: retired wins */
			kr->k[i].retired |= retired;
			EVP_PKEY_free(pk);
			return 0;
		}
	kr->k[kr->n].pk = pk;
	kr->k[kr->n].retired = retired;
	kr->n++;
	return 0;
}

/* One "ed25519 BASE64 [retired]" line (comment already cut). */
static int
parse_line(struct approve_sig_keyring *kr, char *s, unsigned line, char *err,
	   size_t errlen)
{
	unsigned char raw[RAW_PUB_LEN];
	char *tok[4], *save = NULL, *t;
	size_t n = 0;
	EVP_PKEY *pk;

	for (t = strtok_r(s, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == 4)
			break;
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
	if (n > 3 || strcmp(tok[0], "ed25519") != 0 || n < 2 ||
	    (n == 3 && strcmp(tok[2], "retired") != 0) ||
	    b64_decode(tok[1], strlen(tok[1]), raw, RAW_PUB_LEN) < 0) {
		approve_errf(err, errlen, "line %u: expected \"ed25519 BASE64 "
			     "[retired]\"", line);
		return -EINVAL;
	}
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, RAW_PUB_LEN);
	if (!pk) {
		approve_errf(err, errlen, "line %u: not an Ed25519 key", line);
		return -EINVAL;
	}
	return keyring_add(kr, pk, n == 3, line, err, errlen);
}

/* A PEM block from begin (at the BEGIN line) to its END line. */
static int
parse_pem(struct approve_sig_keyring *kr, const char *begin, const char *end,
	  unsigned line, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(begin, (int)(end - begin));
	EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (!pk) {
		approve_errf(err, errlen, "line %u: unreadable PEM public key", line);
		return -EINVAL;
	}
	return keyring_add(kr, pk, 0, line, err, errlen);
}

int
approve_sig_keyring_parse(const char *text, size_t len,
			  struct approve_sig_keyring **out, char *err,
			  size_t errlen)
{
	struct approve_sig_keyring *kr = NULL;
	char *copy = NULL, *p, *nl, *hash;
	unsigned line = 0;
	int r = -EINVAL;

	*out = NULL;
	if (len > APPROVE_SIG_FILE_MAX || memchr(text, '\0', len)) {
		approve_errf(err, errlen, "not a key file (size or NUL byte)");
		goto out;
	}
	kr = calloc(1, sizeof(*kr));
	copy = malloc(len + 1);
	if (!kr || !copy) {
		approve_errf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (p = copy; *p; p = nl) {
		line++;
		nl = strchr(p, '\n');
		nl = nl ? nl + 1 : p + strlen(p);
		if (strncmp(p, PEM_PUB_BEGIN, strlen(PEM_PUB_BEGIN)) == 0) {
			char *e = strstr(p, PEM_PUB_END);
			unsigned first = line;

			if (!e) {
				approve_errf(err, errlen, "line %u: PEM block without end",
					     line);
				goto out;
			}
			e += strlen(PEM_PUB_END);
			for (char *q = p; q < e; q++)
				line += *q == '\n';
			if ((r = parse_pem(kr, p, e, first, err, errlen)) < 0)
				goto out;
			r = -EINVAL;
			nl = strchr(e, '\n');
			nl = nl ? nl + 1 : e + strlen(e);
			continue;
		}
		if (nl > p && nl[-1] == '\n')
			nl[-1] = '\0';
		hash = strchr(p, '#');
		if (hash)
			*hash = '\0';
		if (parse_line(kr, p, line, err, errlen) < 0)
			goto out;
	}
	if (kr->n == 0) {
		approve_errf(err, errlen, "no keys");
		goto out;
	}
	*out = kr;
	kr = NULL;
	r = 0;
out:
	free(copy);
	approve_sig_keyring_free(kr);
	return r;
}

/* Open path for reading with O_NOFOLLOW, a regular file; refused when any
 * bit of deny is in its mode, or (root_only) it is not root's. The text
 * (NUL-terminated, malloc'd) in *out. */
static int
read_checked(const char *path, int root_only, mode_t deny, const char *what,
	     char **out, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t got;
	size_t n = 0;
	int fd, r = -EACCES;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		r = -errno;
		approve_errf(err, errlen, "%s %s: %s", what, path,
			     r == -ELOOP ? "is a symlink, refused" : strerror(-r));
		if (r == -ELOOP)
			r = -EACCES;
		return r;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		approve_errf(err, errlen, "%s %s: not a regular file", what, path);
		goto out;
	}
	if (root_only && st.st_uid != 0) {
		approve_errf(err, errlen, "%s %s: not owned by root", what, path);
		r = -EPERM;
		goto out;
	}
	if (st.st_mode & deny) {
		approve_errf(err, errlen, "%s %s: mode %04o is too open (%s)", what,
			     path, (unsigned)(st.st_mode & 07777),
			     deny & S_IRGRP ? "readable or writable by group or others"
					    : "writable by group or others");
		r = -EPERM;
		goto out;
	}
	if (st.st_size > APPROVE_SIG_FILE_MAX) {
		approve_errf(err, errlen, "%s %s: over %d bytes", what, path,
			     APPROVE_SIG_FILE_MAX);
		r = -EINVAL;
		goto out;
	}
	buf = malloc(APPROVE_SIG_FILE_MAX + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (n < APPROVE_SIG_FILE_MAX &&
	       (got = read(fd, buf + n, APPROVE_SIG_FILE_MAX - n)) != 0) {
		if (got < 0) {
			r = -errno;
			approve_errf(err, errlen, "%s %s: %s", what, path, strerror(-r));
			goto out;
		}
		n += (size_t)got;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	if (buf)
		OPENSSL_cleanse(buf, APPROVE_SIG_FILE_MAX + 1);
	free(buf);
	close(fd);
	return r;
}

int
approve_sig_keyring_read_file(const char *path, int root_only,
			      struct approve_sig_keyring **out, char *err,
			      size_t errlen)
{
	char *text = NULL, e2[200];
	size_t len = 0;
	int r;

	*out = NULL;
	r = read_checked(path, root_only, S_IWGRP | S_IWOTH, "key file", &text,
			 &len, err, errlen);
	if (r < 0)
		return r;
	r = approve_sig_keyring_parse(text, len, out, e2, sizeof(e2));
	if (r < 0)
		approve_errf(err, errlen, "key file %s: %s", path, e2);
	free(text);
	return r;
}

int
approve_sig_private_read_file(const char *path, EVP_PKEY **out, char *err,
			      size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	int r;

	*out = NULL;
	r = read_checked(path, 0, S_IRWXG | S_IRWXO, "signing key", &text, &len,
			 err, errlen);
	if (r < 0)
		return r;
	r = -EINVAL;
	bio = BIO_new_mem_buf(text, (int)len);
	if (bio)
		pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519) {
		approve_errf(err, errlen, "signing key %s: not an Ed25519 PEM "
			     "private key", path);
		EVP_PKEY_free(pk);
		goto out;
	}
	*out = pk;
	r = 0;
out:
	BIO_free(bio);
	OPENSSL_cleanse(text, len);
	free(text);
	return r;
}

int
approve_sig_private_generate(const char *path, unsigned uid, unsigned gid,
			     EVP_PKEY **out, char *err, size_t errlen)
{
	EVP_PKEY_CTX *kc = NULL;
	EVP_PKEY *pk = NULL;
	FILE *f = NULL;
	int fd = -1, r = -EIO;

	*out = NULL;
	kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (!kc || EVP_PKEY_keygen_init(kc) != 1 || EVP_PKEY_keygen(kc, &pk) != 1) {
		approve_errf(err, errlen, "cannot generate an Ed25519 key");
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		r = -errno;
		approve_errf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (uid != (unsigned)-1 && fchown(fd, uid, gid) != 0) {
		r = -errno;
		approve_errf(err, errlen, "%s: chown: %s", path, strerror(errno));
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f)
		goto out;
	fd = -1;
	if (PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fflush(f) != 0 || fsync(fileno(f)) != 0) {
		approve_errf(err, errlen, "%s: cannot write the key", path);
		goto out;
	}
	*out = pk;
	pk = NULL;
	r = 0;
out:
	if (f && fclose(f) != 0 && r == 0)
		r = -EIO;
	if (fd != -1)
		close(fd);
	if (r < 0 && (f || fd != -1))
		unlink(path);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(kc);
	return r;
}

/* ---- nonce ---- */

int
approve_sig_nonce_valid(const char *s)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	return n >= APPROVE_NONCE_MIN && n <= APPROVE_NONCE_MAX && strspn(s, ok) == n;
}

int
approve_sig_nonce_new(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	int i;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

/* ---- sign / verify ---- */

static int
sign_buf(EVP_PKEY *priv, const struct approve_buf *b,
	 char sig[APPROVE_SIG_B64_LEN + 1])
{
	unsigned char raw[RAW_SIG_LEN];
	size_t n = sizeof(raw);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -EIO;

	if (md && EVP_DigestSignInit(md, NULL, NULL, NULL, priv) == 1 &&
	    EVP_DigestSign(md, raw, &n, (const unsigned char *)b->data, b->len) == 1 &&
	    n == RAW_SIG_LEN) {
		b64_encode(raw, n, sig);
		r = 0;
	}
	EVP_MD_CTX_free(md);
	return r;
}

static int
verify_buf(const struct approve_sig_keyring *kr, const struct approve_buf *b,
	   const char *key_id, const char *sig, int allow_retired,
	   const struct approve_sig_pub **used)
{
	unsigned char raw[RAW_SIG_LEN];
	const struct approve_sig_pub *k = NULL;
	EVP_MD_CTX *md = NULL;
	size_t i;
	int r = -EINVAL;

	if (used)
		*used = NULL;
	if (!key_id || strlen(key_id) != APPROVE_SIG_KEY_ID_LEN || !sig ||
	    b64_decode(sig, strlen(sig), raw, RAW_SIG_LEN) < 0)
		return -EINVAL;
	for (i = 0; kr && i < kr->n; i++)
		if (strcmp(kr->k[i].id, key_id) == 0)
			k = &kr->k[i];
	if (!k)
		return -ENOKEY;
	if (k->retired && !allow_retired)
		return -EKEYREVOKED;
	r = -EBADMSG;
	md = EVP_MD_CTX_new();
	if (md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k->pk) == 1 &&
	    EVP_DigestVerify(md, raw, RAW_SIG_LEN, (const unsigned char *)b->data,
			     b->len) == 1) {
		r = 0;	/* the one line that proves the signature */
		if (used)
			*used = k;
	}
	EVP_MD_CTX_free(md);
	return r;
}

int
approve_sig_sign_answer(EVP_PKEY *priv, const struct approve_sig_answer *a,
			char sig[APPROVE_SIG_B64_LEN + 1])
{
	struct approve_buf b;
	int r = answer_buf(a, &b);

	if (r == 0)
		r = sign_buf(priv, &b, sig);
	approve_buf_release(&b);
	return r;
}

int
approve_sig_sign_checkpoint(EVP_PKEY *priv, const struct approve_sig_checkpoint *c,
			    char sig[APPROVE_SIG_B64_LEN + 1])
{
	struct approve_buf b;
	int r = checkpoint_buf(c, &b);

	if (r == 0)
		r = sign_buf(priv, &b, sig);
	approve_buf_release(&b);
	return r;
}

int
approve_sig_verify_answer(const struct approve_sig_keyring *kr,
			  const struct approve_sig_answer *a, const char *key_id,
			  const char *sig, int allow_retired,
			  const struct approve_sig_pub **used)
{
	struct approve_buf b;
	int r = answer_buf(a, &b);

	if (r == 0)
		r = verify_buf(kr, &b, key_id, sig, allow_retired, used);
	else
		r = -EBADMSG;
	approve_buf_release(&b);
	return r;
}

int
approve_sig_verify_checkpoint(const struct approve_sig_keyring *kr,
			      const struct approve_sig_checkpoint *c,
			      const char *key_id, const char *sig,
			      const struct approve_sig_pub **used)
{
	struct approve_buf b;
	int r = checkpoint_buf(c, &b);

	if (r == 0)
		r = verify_buf(kr, &b, key_id, sig, 1, used);
	else
		r = -EBADMSG;
	approve_buf_release(&b);
	return r;
}

/* ---- checkpoint lines ---- */

/* "name=" then min..max bytes of set into out, up to white space or the
 * end, and past one space. */
static int
take_field(const char **p, const char *name, const char *set, size_t min, size_t max,
	   char *out)
{
	size_t nl = strlen(name), n;

	if (strncmp(*p, name, nl) != 0)
		return -EINVAL;
	*p += nl;
	n = strspn(*p, set);
	if (n < min || n > max || ((*p)[n] && !strchr(" \t\r\n", (*p)[n])))
		return -EINVAL;
	memcpy(out, *p, n);
	out[n] = 0;
	*p += n;
	if (**p == ' ')
		(*p)++;
	return 0;
}

int
approve_sig_checkpoint_line_parse(const char *line,
				  struct approve_sig_checkpoint_line *c)
{
	static const char hex[] = "0123456789abcdef";
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	const char *p = strstr(line, APPROVE_SIG_CHECKPOINT_MARK);

	if (!p)
		return 1;
	p += strlen(APPROVE_SIG_CHECKPOINT_MARK);
	if (take_field(&p, "head_id=", "0123456789", 1, sizeof(c->head_id) - 1, c->head_id) < 0 ||
	    take_field(&p, "hash=", hex, 64, 64, c->hash) < 0 ||
	    take_field(&p, "at=", "0123456789-T:.Z", 20, sizeof(c->at) - 1, c->at) < 0 ||
	    take_field(&p, "key=", hex, APPROVE_SIG_KEY_ID_LEN, APPROVE_SIG_KEY_ID_LEN,
		       c->key_id) < 0 ||
	    take_field(&p, "sig=", b64, APPROVE_SIG_B64_LEN, APPROVE_SIG_B64_LEN, c->sig) < 0)
		return -EINVAL;
	return p[strspn(p, " \t\r\n")] ? -EINVAL : 0;
}
