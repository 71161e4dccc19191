/* breakglass.h: offline break-glass codes (docs/policy.md, "Offline
 * break-glass codes"): one-time codes that let exactly one elevation
 * through when approvald is provably not there. Shared by the module
 * (which consumes a code and later reports its use), approvalctl (which
 * issues codes and writes the host's file) and approvald (which reads a
 * reported use).
 *
 * A code is APPROVE_BG_CODE_CHARS characters of the request-code
 * alphabet (code.h: Crockford base32), 125 bits from RAND_bytes, shown in
 * groups of five. Typed input is normalised (case, '-' and blanks
 * dropped, O->0, I/L->1). The file keeps only sha256 over a domain tag,
 * a per-code random salt and the normalised code: with 125 bits of
 * entropy a fast hash cannot be inverted, so nothing slower is needed.
 *
 * The file (one line each, fields separated by one space, text fields
 * percent-encoded, APPROVE_BG_FILE_MAX bytes, APPROVE_BG_LINE_MAX a line):
 *   approve-breakglass 1
 *   failures N LAST_UNIX
 *   code ID HOST ISSUED_UNIX SALT HASH unused
 *   code ID HOST ISSUED_UNIX SALT HASH used USED_UNIX REPORTED USER TARGET
 *        SERVICE DIGEST COMMAND
 * (the last one on one line). REPORTED is 0 or 1. Anything else (another
 * version, an unknown word, a field too long, a duplicate id, more than
 * APPROVE_BG_ENTRIES_MAX codes) refuses the whole file. */
#ifndef APPROVE_BREAKGLASS_H
#define APPROVE_BREAKGLASS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "secret.h"	/* APPROVE_HASH_HEX_LEN */

struct approve_buf;

#define APPROVE_BG_DEFAULT_FILE "/etc/security/approve_breakglass"
#define APPROVE_BG_CODE_CHARS 25	/* 125 bits */
#define APPROVE_BG_CODE_SHOWN (APPROVE_BG_CODE_CHARS + APPROVE_BG_CODE_CHARS / 5 - 1)
#define APPROVE_BG_ID_LEN 11		/* "BG-" and 8 characters (40 bits) */
#define APPROVE_BG_SALT_HEX 32		/* 16 random bytes */
#define APPROVE_BG_FILE_MAX 65536
#define APPROVE_BG_LINE_MAX 4096
#define APPROVE_BG_ENTRIES_MAX 64
#define APPROVE_BG_TEXT_MAX 512		/* decoded bytes of HOST, USER, TARGET, SERVICE */
#define APPROVE_BG_COMMAND_MAX 1024	/* decoded bytes of COMMAND kept */
#define APPROVE_BG_ISSUE_MAX 16		/* codes per `approvalctl breakglass issue` */
#define APPROVE_BG_TYPED_MAX 128	/* longest typed answer looked at */

struct approve_bg_entry {
	char id[APPROVE_BG_ID_LEN + 1];
	char *host;
	long long issued_at;
	char salt[APPROVE_BG_SALT_HEX + 1];
	char hash[APPROVE_HASH_HEX_LEN + 1];
	int used;
	/* when used: */
	long long used_at;
	int reported;
	char *user, *target, *service, *command;
	char digest[APPROVE_HASH_HEX_LEN + 1];
};

struct approve_bg_file {
	unsigned long failures;		/* wrong codes in a row */
	long long last_failure;		/* unix time of the last one, 0: none */
	size_t n;
	struct approve_bg_entry e[APPROVE_BG_ENTRIES_MAX];
};

/* A new code: *code as shown (groups of five), id, salt and hash for the
 * file. 0 or -EIO (RNG). */
int approve_bg_generate(char code[APPROVE_BG_CODE_SHOWN + 1],
			char id[APPROVE_BG_ID_LEN + 1],
			char salt[APPROVE_BG_SALT_HEX + 1],
			char hash[APPROVE_HASH_HEX_LEN + 1]);

/* Typed text (s[0..len)) to the normalised code; 0 or -EINVAL (not
 * exactly APPROVE_BG_CODE_CHARS characters of the alphabet). */
int approve_bg_normalize(const char *s, size_t len,
			 char out[APPROVE_BG_CODE_CHARS + 1]);

/* The index of the entry whose hash matches the normalised code (every
 * entry is hashed and compared in constant time, used or not), or
 * -ENOENT. -EIO when hashing fails. */
int approve_bg_match(const struct approve_bg_file *f,
		     const char norm[APPROVE_BG_CODE_CHARS + 1]);

/* 1 when s is a well-formed code id ("BG-" and 8 alphabet characters). */
int approve_bg_id_valid(const char *s);

/* Parse a whole file. 0 and *out (approve_bg_file_free), or -EINVAL /
 * -E2BIG / -ENOMEM with the reason (and line number) in err. */
int approve_bg_parse(const char *data, size_t len, struct approve_bg_file **out,
		     char *err, size_t errlen);
/* The file's text for f into b. 0, -EINVAL (an entry that cannot be
 * written, e.g. a missing field), -E2BIG, -ENOMEM. */
int approve_bg_format(const struct approve_bg_file *f, struct approve_buf *b);
/* An empty file (no codes, no failures); NULL on ENOMEM. */
struct approve_bg_file *approve_bg_file_new(void);
void approve_bg_file_free(struct approve_bg_file *f);
/* Set a text field of an entry (a copy, cut to max bytes); 0 or -ENOMEM. */
int approve_bg_set_text(char **field, const char *v, size_t max);

/* Seconds a caller must still wait before the next code is checked,
 * after f->failures wrong codes in a row (the last at f->last_failure):
 * 0 for none, then APPROVE_BG_DELAY_BASE_S doubling with each failure,
 * at most APPROVE_BG_DELAY_MAX_S (a person who mistyped waits seconds; a
 * guesser gets a few dozen tries an hour at 125 bits). */
#define APPROVE_BG_DELAY_BASE_S 5LL
#define APPROVE_BG_DELAY_MAX_S 60
long long approve_bg_delay_left(const struct approve_bg_file *f, long long now);

/* ---- the file on disk --------------------------------------------------
 * The host's file is trusted only when it is a regular file (not a
 * symlink: O_NOFOLLOW), owned by root, without any group or other
 * permission bit, with one link, in directories proven by
 * approve_path_dirs (root only). */
struct approve_bg_handle {
	int dirfd;		/* O_PATH of the file's directory */
	const char *leaf;	/* into the path given */
	int fd;			/* the file, locked when locked is set */
	int locked;
};

/* Open path and check it (and, with lock_deadline_ms != 0, take an
 * exclusive flock, polled until that CLOCK_MONOTONIC deadline: never
 * blocks for ever; a file renamed over while waiting is opened again).
 * create: when the file does not exist, an empty one is made (0600, in a
 * sound directory), for approvalctl. 0 and *h; or -EACCES (a check
 * failed), -ENOENT, -ETIMEDOUT (lock), -E2BIG, -errno, with err saying
 * why. Read the file with approve_bg_read. */
int approve_bg_open(const char *path, int create, uint64_t lock_deadline_ms,
		    struct approve_bg_handle *h, char *err, size_t errlen);
/* Read and parse the open file. 0 and *out, or as approve_bg_parse. */
int approve_bg_read(struct approve_bg_handle *h, struct approve_bg_file **out,
		    char *err, size_t errlen);
/* Replace the file with f, durably: a new file (O_EXCL, 0600) in the same
 * directory, written, fsync'd, renamed over the old one, the directory
 * fsync'd. Needs the lock. 0, or -errno with err (the old file is then
 * unchanged). */
int approve_bg_write(struct approve_bg_handle *h, const struct approve_bg_file *f,
		     char *err, size_t errlen);
/* Unlock and close; safe on a zeroed or closed handle. */
void approve_bg_close(struct approve_bg_handle *h);

/* ---- the report of a use (the module to approvald) -------------------
 * POST /v1/breakglass/uses, docs/api.md. */
struct approve_bg_use {
	char code_id[APPROVE_BG_ID_LEN + 1];
	char *requester, *target_user, *service, *command;
	char digest[APPROVE_HASH_HEX_LEN + 1];
	long long used_at;	/* unix time, as the host's clock said */
};
int approve_bg_use_to_json(const struct approve_bg_entry *e, char **out);
/* Strict: exactly these fields, right types and lengths. 0 and *out
 * (approve_bg_use_free), or -EINVAL with err. */
int approve_bg_use_from_json(const char *json, size_t len,
			     struct approve_bg_use **out, char *err, size_t errlen);
void approve_bg_use_free(struct approve_bg_use *u);

#endif
