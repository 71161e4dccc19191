/* breakglass.c: owns offline break-glass codes (see breakglass.h): their
 * generation and hashing, the strict parser and writer of the host's
 * file, the checked, locked, durable access to that file, and the JSON of
 * a reported use. The module decides with it whether a code lets one
 * elevation in, so every reader here refuses what it does not fully
 * understand. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "breakglass.h"
#include "buf.h"
#include "clock.h"
#include "http.h"
#include "peer.h"
#include "text.h"
#include "wire.h"

#define BG_MAGIC "approve-breakglass"
#define BG_VERSION "1"
#define BG_HASH_TAG "approve-breakglass-v1"	/* domain of the code hash */
#define BG_LOCK_POLL_MS 50
#define BG_REOPEN_TRIES 8	/* the file renamed over while we waited */
#define BG_FIELDS_MAX 16
#define BG_USE_JSON_MAX 8192

/* code.h's alphabet: Crockford base32 without I, L, O, U */
static const char bg_alphabet[32] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int
bg_symbol(char c)
{
	return (c >= '0' && c <= '9') ||
	       (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U');
}

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
is_lower_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* n symbols of 5 random bits each into out (NUL-terminated). */
static int
random_symbols(char *out, size_t n)
{
	unsigned char rnd[APPROVE_BG_CODE_CHARS];
	size_t i;

	if (n > sizeof(rnd) || RAND_bytes(rnd, (int)n) != 1)
		return -EIO;
	for (i = 0; i < n; i++)
		out[i] = bg_alphabet[rnd[i] & 31];
	out[n] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}

static int
code_hash(const char *salt_hex, const char norm[APPROVE_BG_CODE_CHARS + 1],
	  char out[APPROVE_HASH_HEX_LEN + 1])
{
	char in[sizeof(BG_HASH_TAG) + APPROVE_BG_SALT_HEX + APPROVE_BG_CODE_CHARS];
	int r;

	/* tag NUL salt code: fixed lengths, no ambiguity */
	memcpy(in, BG_HASH_TAG, sizeof(BG_HASH_TAG));
	memcpy(in + sizeof(BG_HASH_TAG), salt_hex, APPROVE_BG_SALT_HEX);
	memcpy(in + sizeof(BG_HASH_TAG) + APPROVE_BG_SALT_HEX, norm,
	       APPROVE_BG_CODE_CHARS);
	r = approve_sha256_hex(in, sizeof(in), out);
	OPENSSL_cleanse(in, sizeof(in));
	return r;
}

int
approve_bg_generate(char code[APPROVE_BG_CODE_SHOWN + 1],
		    char id[APPROVE_BG_ID_LEN + 1],
		    char salt[APPROVE_BG_SALT_HEX + 1],
		    char hash[APPROVE_HASH_HEX_LEN + 1])
{
	char norm[APPROVE_BG_CODE_CHARS + 1];
	unsigned char rs[APPROVE_BG_SALT_HEX / 2];
	size_t i, k = 0;
	int r = -EIO;

	if (random_symbols(norm, APPROVE_BG_CODE_CHARS) != 0 ||
	    RAND_bytes(rs, sizeof(rs)) != 1)
		goto out;
	memcpy(id, "BG-", 3);
	if (random_symbols(id + 3, APPROVE_BG_ID_LEN - 3) != 0)
		goto out;
	hex_encode(rs, sizeof(rs), salt);
	if (code_hash(salt, norm, hash) != 0)
		goto out;
	for (i = 0; i < APPROVE_BG_CODE_CHARS; i++) {
		if (i && i % 5 == 0)
			code[k++] = '-';
		code[k++] = norm[i];
	}
	code[k] = '\0';
	r = 0;
out:
	OPENSSL_cleanse(norm, sizeof(norm));
	return r;
}

int
approve_bg_normalize(const char *s, size_t len, char out[APPROVE_BG_CODE_CHARS + 1])
{
	size_t i, n = 0;

	out[0] = '\0';
	if (!s || len > APPROVE_BG_TYPED_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '-' || c == ' ' || c == '\t')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (!bg_symbol(c) || n >= APPROVE_BG_CODE_CHARS) {
			OPENSSL_cleanse(out, APPROVE_BG_CODE_CHARS + 1);
			out[0] = '\0';
			return -EINVAL;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (n != APPROVE_BG_CODE_CHARS) {
		OPENSSL_cleanse(out, APPROVE_BG_CODE_CHARS + 1);
		out[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

int
approve_bg_match(const struct approve_bg_file *f,
		 const char norm[APPROVE_BG_CODE_CHARS + 1])
{
	char h[APPROVE_HASH_HEX_LEN + 1];
	int found = -ENOENT;
	size_t i;

	/* every entry, no early exit: the time says nothing about which */
	for (i = 0; i < f->n; i++) {
		if (code_hash(f->e[i].salt, norm, h) != 0)
			return -EIO;
		if (approve_ct_equal(h, f->e[i].hash, APPROVE_HASH_HEX_LEN))
			found = (int)i;
	}
	return found;
}

int
approve_bg_id_valid(const char *s)
{
	size_t i;

	if (!s || strlen(s) != APPROVE_BG_ID_LEN || strncmp(s, "BG-", 3) != 0)
		return 0;
	for (i = 3; i < APPROVE_BG_ID_LEN; i++)
		if (!bg_symbol(s[i]))
			return 0;
	return 1;
}

long long
approve_bg_delay_left(const struct approve_bg_file *f, long long now)
{
	long long delay, left;

	if (f->failures == 0)
		return 0;
	delay = f->failures > 8 ? APPROVE_BG_DELAY_MAX_S :
		APPROVE_BG_DELAY_BASE_S << (f->failures - 1);
	if (delay > APPROVE_BG_DELAY_MAX_S)
		delay = APPROVE_BG_DELAY_MAX_S;
	if (now < f->last_failure)	/* the clock went back: wait the whole delay */
		return delay;
	left = f->last_failure + delay - now;
	return left > 0 ? left : 0;
}

/* ---- text fields ------------------------------------------------------ */

/* A byte written as itself in a field; everything else is %XX. */
static int
plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
	       c == '/' || c == ':' || c == '+' || c == '=' || c == ',';
}

static int
put_text(struct approve_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	int r = 0;

	if (!s)
		return -EINVAL;
	if (!*s)
		return approve_buf_append(b, "-", 1);	/* empty */
	for (; *p && r == 0; p++) {
		char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		r = plain_byte(*p) ? approve_buf_append(b, p, 1) :
		    approve_buf_append(b, e, 3);
	}
	return r;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a field into a new string (at most max bytes, no NUL, valid
 * UTF-8). "-" is the empty string. */
static int
get_text(const char *f, size_t max, char **out)
{
	size_t n = strlen(f), i, k = 0;
	char *s;

	*out = NULL;
	if (strcmp(f, "-") == 0) {
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hexval(f[i + 1]);
			lo = hexval(f[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			/* canonical: a plain byte is never escaped, NUL never */
			if (c == 0 || plain_byte(c))
				goto bad;
			i += 2;
		} else if (!plain_byte(c)) {
			goto bad;
		}
		if (k >= max)
			goto bad;
		s[k++] = (char)c;
	}
	s[k] = '\0';
	if (!approve_utf8_valid(s, k))
		goto bad;
	*out = s;
	return 0;
bad:
	free(s);
	return -EINVAL;
}

static int
get_ll(const char *f, long long *out)
{
	char *end;
	long long v;

	if (!*f || strlen(f) > 19 || f[0] == '-' || f[0] == '+' ||
	    (f[0] == '0' && f[1]))
		return -EINVAL;
	errno = 0;
	v = strtoll(f, &end, 10);
	if (errno || *end || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* ---- the file --------------------------------------------------------- */

static void
entry_release(struct approve_bg_entry *e)
{
	free(e->host);
	free(e->user);
	free(e->target);
	free(e->service);
	free(e->command);
	memset(e, 0, sizeof(*e));
}

struct approve_bg_file *
approve_bg_file_new(void)
{
	return calloc(1, sizeof(struct approve_bg_file));
}

void
approve_bg_file_free(struct approve_bg_file *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		entry_release(&f->e[i]);
	free(f);
}

int
approve_bg_set_text(char **field, const char *v, size_t max)
{
	size_t n = v ? strnlen(v, max) : 0;
	char *s;

	/* not inside a UTF-8 sequence */
	while (v && n > 0 && n < strlen(v) && ((unsigned char)v[n] & 0xc0) == 0x80)
		n--;
	s = strndup(v ? v : "", n);
	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

/* Split line (modified) at single spaces into at most BG_FIELDS_MAX
 * fields; -EINVAL for an empty field (two spaces, a leading or trailing
 * one) or too many. */
static int
split(char *line, char **fv, size_t *nf)
{
	char *p = line;

	*nf = 0;
	for (;;) {
		char *sp = strchr(p, ' ');

		if (*nf >= BG_FIELDS_MAX)
			return -EINVAL;
		fv[(*nf)++] = p;
		if (!sp)
			break;
		*sp = '\0';
		if (sp == p)
			return -EINVAL;
		p = sp + 1;
	}
	return **fv && *fv[*nf - 1] ? 0 : -EINVAL;
}

static int
parse_entry(char **fv, size_t nf, struct approve_bg_entry *e, const char **why)
{
	if (nf != 7 && nf != 14) {
		*why = "a code line has the wrong number of fields";
		return -EINVAL;
	}
	if (!approve_bg_id_valid(fv[1])) {
		*why = "malformed code id";
		return -EINVAL;
	}
	memcpy(e->id, fv[1], APPROVE_BG_ID_LEN + 1);
	if (get_text(fv[2], APPROVE_BG_TEXT_MAX, &e->host) != 0 || !*e->host) {
		*why = "malformed host";
		return -EINVAL;
	}
	if (get_ll(fv[3], &e->issued_at) != 0) {
		*why = "malformed issue time";
		return -EINVAL;
	}
	if (!is_lower_hex(fv[4], APPROVE_BG_SALT_HEX) ||
	    !is_lower_hex(fv[5], APPROVE_HASH_HEX_LEN)) {
		*why = "malformed salt or hash";
		return -EINVAL;
	}
	memcpy(e->salt, fv[4], APPROVE_BG_SALT_HEX + 1);
	memcpy(e->hash, fv[5], APPROVE_HASH_HEX_LEN + 1);
	if (strcmp(fv[6], "unused") == 0 && nf == 7)
		return 0;
	if (strcmp(fv[6], "used") != 0 || nf != 14) {
		*why = "a code is neither unused nor used with its record";
		return -EINVAL;
	}
	e->used = 1;
	if (get_ll(fv[7], &e->used_at) != 0 ||
	    (strcmp(fv[8], "0") != 0 && strcmp(fv[8], "1") != 0)) {
		*why = "malformed use time or reported flag";
		return -EINVAL;
	}
	e->reported = fv[8][0] == '1';
	if (get_text(fv[9], APPROVE_BG_TEXT_MAX, &e->user) != 0 ||
	    get_text(fv[10], APPROVE_BG_TEXT_MAX, &e->target) != 0 ||
	    get_text(fv[11], APPROVE_BG_TEXT_MAX, &e->service) != 0 ||
	    !is_lower_hex(fv[12], APPROVE_HASH_HEX_LEN) ||
	    get_text(fv[13], APPROVE_BG_COMMAND_MAX, &e->command) != 0) {
		*why = "malformed use record";
		return -EINVAL;
	}
	memcpy(e->digest, fv[12], APPROVE_HASH_HEX_LEN + 1);
	return 0;
}

int
approve_bg_parse(const char *data, size_t len, struct approve_bg_file **out,
		 char *err, size_t errlen)
{
	struct approve_bg_file *f = NULL;
	char line[APPROVE_BG_LINE_MAX + 1], *fv[BG_FIELDS_MAX];
	const char *p = data, *end = data + len, *why = NULL;
	size_t lineno = 0, nf, i;
	int r = -EINVAL;

	*out = NULL;
	if (len > APPROVE_BG_FILE_MAX) {
		approve_errf(err, errlen, "file over %d bytes", APPROVE_BG_FILE_MAX);
		return -E2BIG;
	}
	if (len == 0 || data[len - 1] != '\n') {
		approve_errf(err, errlen, "empty or not ending in a newline");
		return -EINVAL;
	}
	if (memchr(data, '\0', len)) {
		approve_errf(err, errlen, "NUL byte in the file");
		return -EINVAL;
	}
	f = approve_bg_file_new();
	if (!f) {
		approve_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);	/* nl exists: the data ends in one */

		lineno++;
		if (n > APPROVE_BG_LINE_MAX) {
			why = "line too long";
			goto bad;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl + 1;
		if (split(line, fv, &nf) != 0) {
			why = "malformed line";
			goto bad;
		}
		if (lineno == 1) {
			if (nf != 2 || strcmp(fv[0], BG_MAGIC) != 0) {
				why = "not a break-glass code file";
				goto bad;
			}
			if (strcmp(fv[1], BG_VERSION) != 0) {
				why = "unknown file version";
				goto bad;
			}
			continue;
		}
		if (lineno == 2) {
			long long fails;

			if (nf != 3 || strcmp(fv[0], "failures") != 0 ||
			    get_ll(fv[1], &fails) != 0 ||
			    get_ll(fv[2], &f->last_failure) != 0 ||
			    fails > 1000000) {
				why = "malformed failures line";
				goto bad;
			}
			f->failures = (unsigned long)fails;
			continue;
		}
		if (strcmp(fv[0], "code") != 0) {
			why = "unknown line";
			goto bad;
		}
		if (f->n >= APPROVE_BG_ENTRIES_MAX) {
			why = "too many codes";
			r = -E2BIG;
			goto bad;
		}
		if (parse_entry(fv, nf, &f->e[f->n], &why) != 0) {
			f->n++;		/* released with the file */
			goto bad;
		}
		for (i = 0; i < f->n; i++)
			if (strcmp(f->e[i].id, f->e[f->n].id) == 0) {
				f->n++;
				why = "duplicate code id";
				goto bad;
			}
		f->n++;
	}
	if (lineno < 2) {
		approve_errf(err, errlen, "no failures line");
		goto out;
	}
	*out = f;
	f = NULL;
	r = 0;
	goto out;
bad:
	approve_errf(err, errlen, "line %zu: %s", lineno, why);
out:
	OPENSSL_cleanse(line, sizeof(line));
	approve_bg_file_free(f);
	return r;
}

int
approve_bg_format(const struct approve_bg_file *f, struct approve_buf *b)
{
	size_t i;
	int r;

	r = approve_buf_printf(b, "%s %s\nfailures %lu %lld\n", BG_MAGIC, BG_VERSION,
			       f->failures, f->last_failure);
	for (i = 0; r == 0 && i < f->n; i++) {
		const struct approve_bg_entry *e = &f->e[i];

		if (!approve_bg_id_valid(e->id) || !e->host || !*e->host ||
		    !is_lower_hex(e->salt, APPROVE_BG_SALT_HEX) ||
		    !is_lower_hex(e->hash, APPROVE_HASH_HEX_LEN))
			return -EINVAL;
		r = approve_buf_printf(b, "code %s ", e->id);
		if (r == 0)
			r = put_text(b, e->host);
		if (r == 0)
			r = approve_buf_printf(b, " %lld %s %s %s", e->issued_at,
					       e->salt, e->hash, e->used ? "used" : "unused");
		if (r == 0 && e->used) {
			if (!is_lower_hex(e->digest, APPROVE_HASH_HEX_LEN))
				return -EINVAL;
			r = approve_buf_printf(b, " %lld %d ", e->used_at, e->reported ? 1 : 0);
			if (r == 0)
				r = put_text(b, e->user);
			if (r == 0)
				r = approve_buf_append(b, " ", 1);
			if (r == 0)
				r = put_text(b, e->target);
			if (r == 0)
				r = approve_buf_append(b, " ", 1);
			if (r == 0)
				r = put_text(b, e->service);
			if (r == 0)
				r = approve_buf_printf(b, " %s ", e->digest);
			if (r == 0)
				r = put_text(b, e->command);
		}
		if (r == 0)
			r = approve_buf_append(b, "\n", 1);
	}
	return r;
}

/* ---- on disk ------------------------------------------------------------ */

static int
file_ok(const struct stat *st, const char *path, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		approve_errf(err, errlen, "%s is not a regular file", path);
		return -EACCES;
	}
	if (st->st_uid != 0) {
		approve_errf(err, errlen, "%s is owned by uid %lu, not root", path,
			     (unsigned long)st->st_uid);
		return -EACCES;
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		approve_errf(err, errlen, "%s has group or other permissions (mode %04o)",
			     path, (unsigned)(st->st_mode & 07777));
		return -EACCES;
	}
	if (st->st_nlink != 1) {
		approve_errf(err, errlen, "%s has %lu links, not 1", path,
			     (unsigned long)st->st_nlink);
		return -EACCES;
	}
	if (st->st_size > APPROVE_BG_FILE_MAX) {
		approve_errf(err, errlen, "%s is over %d bytes", path, APPROVE_BG_FILE_MAX);
		return -E2BIG;
	}
	return 0;
}

/* Make an empty file (approvalctl's first issue) durably; EEXIST is fine. */
static int
create_empty(struct approve_bg_handle *h, const char *path, char *err, size_t errlen)
{
	struct approve_bg_file *f = approve_bg_file_new();
	struct approve_bg_handle t = { .dirfd = h->dirfd, .leaf = h->leaf, .fd = -1,
				       .locked = 1 };
	struct stat st;
	int r;

	if (!f)
		return -ENOMEM;
	if (fstatat(h->dirfd, h->leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		approve_bg_file_free(f);
		return 0;
	}
	r = approve_bg_write(&t, f, err, errlen);
	approve_bg_file_free(f);
	if (r != 0)
		approve_errf(err, errlen, "%s: cannot create: %s", path, strerror(-r));
	return r;
}

int
approve_bg_open(const char *path, int create, uint64_t lock_deadline_ms,
		struct approve_bg_handle *h, char *err, size_t errlen)
{
	struct stat st, now;
	int r, tries;

	memset(h, 0, sizeof(*h));
	h->dirfd = -1;
	h->fd = -1;
	r = approve_path_dirs(path, 0, &h->dirfd, &h->leaf, err, errlen);
	if (r != 0) {
		if (r == APPROVE_HTTP_UNREACHABLE)
			r = -ENOENT;
		goto fail;
	}
	if (create) {
		r = create_empty(h, path, err, errlen);
		if (r != 0)
			goto fail;
	}
	for (tries = 0;; tries++) {
		h->fd = openat(h->dirfd, h->leaf,
			       O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (h->fd < 0) {
			r = -errno;
			approve_errf(err, errlen, "%s: %s%s", path, strerror(errno),
				     errno == ELOOP ? " (a symlink: not followed)" : "");
			if (r == -ELOOP)
				r = -EACCES;
			goto fail;
		}
		if (fstat(h->fd, &st) < 0) {
			r = -errno;
			approve_errf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		r = file_ok(&st, path, err, errlen);
		if (r != 0)
			goto fail;
		if (!lock_deadline_ms)
			return 0;
		for (;;) {
			if (flock(h->fd, LOCK_EX | LOCK_NB) == 0)
				break;
			if (errno != EWOULDBLOCK && errno != EINTR) {
				r = -errno;
				approve_errf(err, errlen, "%s: lock: %s", path, strerror(errno));
				goto fail;
			}
			if (approve_now_ms() + BG_LOCK_POLL_MS > lock_deadline_ms) {
				approve_errf(err, errlen, "%s: locked by another process "
					     "until the deadline", path);
				r = -ETIMEDOUT;
				goto fail;
			}
			poll(NULL, 0, BG_LOCK_POLL_MS);
		}
		h->locked = 1;
		/* whoever held the lock may have renamed a new file over
		 * this one: then ours has no link left, and the name is
		 * another inode; open that one */
		if (fstat(h->fd, &st) == 0 &&
		    fstatat(h->dirfd, h->leaf, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_nlink == 1 && st.st_ino == now.st_ino && st.st_dev == now.st_dev)
			break;
		close(h->fd);
		h->fd = -1;
		h->locked = 0;
		if (tries + 1 >= BG_REOPEN_TRIES) {
			approve_errf(err, errlen, "%s: replaced again and again", path);
			r = -EAGAIN;
			goto fail;
		}
	}
	r = file_ok(&st, path, err, errlen);
	if (r != 0)
		goto fail;
	return 0;
fail:
	approve_bg_close(h);
	return r;
}

int
approve_bg_read(struct approve_bg_handle *h, struct approve_bg_file **out,
		char *err, size_t errlen)
{
	char *data = NULL;
	size_t got = 0;
	int r;

	*out = NULL;
	data = malloc(APPROVE_BG_FILE_MAX + 1);
	if (!data) {
		approve_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = pread(h->fd, data + got, APPROVE_BG_FILE_MAX + 1 - got,
				  (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			approve_errf(err, errlen, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > APPROVE_BG_FILE_MAX) {
			approve_errf(err, errlen, "file over %d bytes", APPROVE_BG_FILE_MAX);
			r = -E2BIG;
			goto out;
		}
	}
	r = approve_bg_parse(data, got, out, err, errlen);
out:
	OPENSSL_cleanse(data, APPROVE_BG_FILE_MAX + 1);
	free(data);
	return r;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Never leave a file that the next reader would refuse. */
static int
parses_back(const struct approve_buf *b, char *err, size_t errlen)
{
	struct approve_bg_file *check = NULL;
	char why[256];
	int r;

	r = approve_bg_parse(b->data ? b->data : "", b->len, &check, why, sizeof(why));
	approve_bg_file_free(check);
	if (r != 0)
		approve_errf(err, errlen, "the new file would not parse (%s)", why);
	return r;
}

int
approve_bg_write(struct approve_bg_handle *h, const struct approve_bg_file *f,
		 char *err, size_t errlen)
{
	struct approve_buf b;
	char tmp[NAME_MAX + 1], rnd[9];
	int fd = -1, dfd = -1, r, made = 0;

	approve_buf_init(&b, APPROVE_BG_FILE_MAX);
	if (!h->locked || h->dirfd < 0) {
		approve_errf(err, errlen, "write without the lock");
		r = -EINVAL;
		goto out;
	}
	r = approve_bg_format(f, &b);
	if (r != 0) {
		approve_errf(err, errlen, "cannot format the file: %s", strerror(-r));
		goto out;
	}
	r = parses_back(&b, err, errlen);
	if (r != 0)
		goto out;
	r = random_symbols(rnd, 8);
	if (r != 0 || snprintf(tmp, sizeof(tmp), ".%.200s.%s", h->leaf, rnd) >=
	    (int)sizeof(tmp)) {
		approve_errf(err, errlen, "cannot name a temporary file");
		r = r ? r : -ENAMETOOLONG;
		goto out;
	}
	fd = openat(h->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = -errno;
		approve_errf(err, errlen, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	made = 1;
	if (fchmod(fd, 0600) < 0 || (geteuid() == 0 && fchown(fd, 0, 0) < 0)) {
		r = -errno;
		approve_errf(err, errlen, "chmod %s: %s", tmp, strerror(errno));
		goto out;
	}
	r = write_all(fd, b.data ? b.data : "", b.len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && close(fd) < 0)
		r = -errno;
	fd = -1;
	if (r != 0) {
		approve_errf(err, errlen, "write %s: %s", tmp, strerror(-r));
		goto out;
	}
	if (renameat(h->dirfd, tmp, h->dirfd, h->leaf) < 0) {
		r = -errno;
		approve_errf(err, errlen, "rename over %s: %s", h->leaf, strerror(errno));
		goto out;
	}
	made = 0;
	dfd = openat(h->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = -errno;
		approve_errf(err, errlen, "fsync of the directory: %s", strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (made)
		unlinkat(h->dirfd, tmp, 0);
	if (b.data)
		OPENSSL_cleanse(b.data, b.len);
	approve_buf_release(&b);
	return r;
}

void
approve_bg_close(struct approve_bg_handle *h)
{
	if (h->fd >= 0) {
		if (h->locked)
			flock(h->fd, LOCK_UN);
		close(h->fd);
	}
	if (h->dirfd >= 0)
		close(h->dirfd);
	h->fd = -1;
	h->dirfd = -1;
	h->locked = 0;
}

/* ---- the report of a use ------------------------------------------------ */

static const char *const use_keys[] = {
	"code_id", "requester", "target_user", "service", "command", "digest",
	"used_at", NULL,
};

int
approve_bg_use_to_json(const struct approve_bg_entry *e, char **out)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	int r = 0;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	if (approve_json_add_str(o, "code_id", e->id) != 0 ||
	    approve_json_add_str(o, "requester", e->user ? e->user : "") != 0 ||
	    approve_json_add_str(o, "target_user", e->target ? e->target : "") != 0 ||
	    approve_json_add_str(o, "service", e->service ? e->service : "") != 0 ||
	    approve_json_add_str(o, "command", e->command ? e->command : "") != 0 ||
	    approve_json_add_str(o, "digest", e->digest) != 0 ||
	    approve_json_add(o, "used_at", json_object_new_int64(e->used_at)) != 0)
		r = -ENOMEM;
	s = r == 0 ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	if (r == 0 && (!s || !(*out = strdup(s))))
		r = -ENOMEM;
	json_object_put(o);
	return r;
}

int
approve_bg_use_from_json(const char *json, size_t len, struct approve_bg_use **out,
			 char *err, size_t errlen)
{
	struct json_object *o = NULL, *v;
	struct approve_bg_use *u = NULL;
	char *id = NULL, *digest = NULL;
	int r;

	*out = NULL;
	u = calloc(1, sizeof(*u));
	if (!u) {
		approve_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = approve_json_read_object(json, len, BG_USE_JSON_MAX, use_keys, &o, err, errlen);
	if (r == 0)
		r = approve_json_get_str(o, "code_id", APPROVE_BG_ID_LEN, 1, 1, &id, err, errlen);
	if (r == 0)
		r = approve_json_get_str(o, "requester", APPROVE_BG_TEXT_MAX, 1, 1,
					 &u->requester, err, errlen);
	if (r == 0)
		r = approve_json_get_str(o, "target_user", APPROVE_BG_TEXT_MAX, 1, 1,
					 &u->target_user, err, errlen);
	if (r == 0)
		r = approve_json_get_str(o, "service", APPROVE_BG_TEXT_MAX, 1, 1,
					 &u->service, err, errlen);
	if (r == 0)
		r = approve_json_get_str(o, "command", APPROVE_BG_COMMAND_MAX, 1, 0,
					 &u->command, err, errlen);
	if (r == 0)
		r = approve_json_get_str(o, "digest", APPROVE_HASH_HEX_LEN, 1, 1,
					 &digest, err, errlen);
	if (r != 0)
		goto out;
	if (!approve_bg_id_valid(id)) {
		approve_errf(err, errlen, "field \"code_id\" is not a code id");
		r = -EINVAL;
		goto out;
	}
	if (!is_lower_hex(digest, APPROVE_HASH_HEX_LEN)) {
		approve_errf(err, errlen, "field \"digest\" is not a sha256");
		r = -EINVAL;
		goto out;
	}
	if (!json_object_object_get_ex(o, "used_at", &v) || !v ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0 ||
	    json_object_get_int64(v) >= 253402300800LL) {	/* before year 10000 */
		approve_errf(err, errlen, "field \"used_at\" must be a positive unix time");
		r = -EINVAL;
		goto out;
	}
	u->used_at = json_object_get_int64(v);
	memcpy(u->code_id, id, APPROVE_BG_ID_LEN + 1);
	memcpy(u->digest, digest, APPROVE_HASH_HEX_LEN + 1);
	*out = u;
	u = NULL;
out:
	free(id);
	free(digest);
	json_object_put(o);
	approve_bg_use_free(u);
	return r;
}

void
approve_bg_use_free(struct approve_bg_use *u)
{
	if (!u)
		return;
	free(u->requester);
	free(u->target_user);
	free(u->service);
	free(u->command);
	free(u);
}
