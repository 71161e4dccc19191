/* audit.c: `approvalctl audit verify [--from ID]` and `approvalctl audit head`.
 * verify recomputes the audit_log hash chain outside the database: it reads
 * the raw columns (binary results: no server-side formatting except jsonb's
 * own text form), rebuilds the canonical row documented in sql/002_audit.sql
 * and hashes it with OpenSSL. The chain is authoritative: a row whose content
 * does not give its hash, or whose prev_hash is not the previous row's hash,
 * is a break. Rows are sealed into the chain in id order after they commit
 * (sql/014_audit_sealer.sql) and an id that never committed is sealed as a
 * gap row (kind audit.gap), so the sealed ids are dense: a missing id is a
 * break too, and so is a newest sealed row other than the head recorded in
 * approval.audit_chain, or a sealed row beyond it. Rows after the head are
 * not sealed yet: verify counts them and fails when the oldest has waited
 * longer than --unsealed-max (no sealer running, or one stuck).
 * Last, every request must agree with the chained log (audit_crosscheck),
 * so the reports built on the request tables are backed by the chain.
 * The first break is reported and the exit code is 1. Everything is read in
 * one REPEATABLE READ snapshot, in batches by id. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "conf.h"
#include "secret.h"
#include "wire.h"

#define AUDIT_BATCH 5000
#define STR_(x) #x
#define STR(x) STR_(x)
#define PG_EPOCH_UNIX INT64_C(946684800)	/* 2000-01-01 in Unix time */
#define TS_LEN 40

/* PostgreSQL type oids of the columns we read in binary. */
enum { OID_INT8 = 20, OID_TEXT = 25, OID_TIMESTAMPTZ = 1184, OID_UUID = 2950,
       OID_JSONB = 3802 };
enum { C_ID, C_AT, C_KIND, C_ACTOR, C_SUBJECT, C_REQ, C_DETAIL, C_PREV, C_HASH, C_N };
static const unsigned col_oid[C_N] = {
	OID_INT8, OID_TIMESTAMPTZ, OID_TEXT, OID_TEXT, OID_TEXT, OID_UUID, OID_JSONB,
	OID_TEXT, OID_TEXT,
};

static const char zero_hash[APPROVE_HASH_HEX_LEN + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

#define GAPS_LISTED 10	/* gap ids printed; the count is always complete */
#define UNSEALED_MAX_S 60	/* default --unsealed-max */

struct chain {
	int64_t last_id;			/* 0: nothing seen yet */
	char last_hash[APPROVE_HASH_HEX_LEN + 1];
	char last_at[TS_LEN];
	unsigned long long verified;
	int64_t first_id;
	unsigned long long gaps;		/* audit.gap rows verified */
	int64_t gap_ids[GAPS_LISTED];
};

static int64_t
be64(const char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | (unsigned char)p[i];
	return (int64_t)v;
}

/* Microseconds since 2000-01-01 UTC as the canonical
 * "YYYY-MM-DDTHH:MI:SS.ffffffZ" (to_char's output for years 1..9999). */
static int
format_ts(int64_t us, char out[TS_LEN])
{
	int64_t secs = us / 1000000, frac = us % 1000000;
	struct tm tm;
	time_t t;
	int n;

	if (frac < 0) {
		frac += 1000000;
		secs -= 1;
	}
	/* years 1..9999, which also rules out +-infinity and overflow */
	if (secs < INT64_C(-63082281600) || secs > INT64_C(252423993599))
		return -ERANGE;
	t = (time_t)(secs + PG_EPOCH_UNIX);
	if (!gmtime_r(&t, &tm))
		return -ERANGE;
	n = snprintf(out, TS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, frac);
	return n < 0 || n >= TS_LEN ? -ERANGE : 0;
}

/* F(v) of the canonical row: "-," for NULL, else "<bytes>:" v ",". */
static int
digest_field(EVP_MD_CTX *md, const char *v, size_t len)
{
	char pre[32];
	int n;

	if (!v)
		return EVP_DigestUpdate(md, "-,", 2) == 1 ? 0 : -EIO;
	n = snprintf(pre, sizeof(pre), "%zu:", len);
	if (n < 0 || (size_t)n >= sizeof(pre))
		return -EINVAL;
	if (EVP_DigestUpdate(md, pre, (size_t)n) != 1 || EVP_DigestUpdate(md, v, len) != 1 ||
	    EVP_DigestUpdate(md, ",", 1) != 1)
		return -EIO;
	return 0;
}

static const char *
cell(const PGresult *r, int row, int col, size_t *len)
{
	if (PQgetisnull(r, row, col)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)PQgetlength(r, row, col);
	return PQgetvalue(r, row, col);
}

/* Recompute one row's hash into out (64 hex + NUL) and its time into at.
 * 0, or -EINVAL for a value that cannot be in a well-formed row (the
 * caller reports the row as malformed), -EIO for an OpenSSL failure. */
static int
row_hash(const PGresult *r, int row, char out[APPROVE_HASH_HEX_LEN + 1], char at[TS_LEN])
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char idtxt[24], uuid[37];
	const char *v;
	size_t len;
	EVP_MD_CTX *ctx = NULL;
	int rc = -EINVAL;

	if (PQgetisnull(r, row, C_ID) || PQgetlength(r, row, C_ID) != 8 ||
	    PQgetisnull(r, row, C_AT) || PQgetlength(r, row, C_AT) != 8 ||
	    PQgetisnull(r, row, C_PREV) || PQgetlength(r, row, C_PREV) != APPROVE_HASH_HEX_LEN)
		goto out;
	snprintf(idtxt, sizeof(idtxt), "%" PRId64, be64(PQgetvalue(r, row, C_ID)));
	if (format_ts(be64(PQgetvalue(r, row, C_AT)), at) != 0)
		goto out;
	ctx = EVP_MD_CTX_new();
	rc = -EIO;
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, PQgetvalue(r, row, C_PREV), APPROVE_HASH_HEX_LEN) != 1)
		goto out;
	if ((rc = digest_field(ctx, idtxt, strlen(idtxt))) != 0 ||
	    (rc = digest_field(ctx, at, strlen(at))) != 0)
		goto out;
	for (int c = C_KIND; c <= C_SUBJECT; c++) {
		v = cell(r, row, c, &len);
		if ((rc = digest_field(ctx, v, len)) != 0)
			goto out;
	}
	v = cell(r, row, C_REQ, &len);
	if (v) {
		const unsigned char *u = (const unsigned char *)v;
		char *p = uuid;

		rc = -EINVAL;
		if (len != 16)
			goto out;
		for (int i = 0; i < 16; i++) {
			if (i == 4 || i == 6 || i == 8 || i == 10)
				*p++ = '-';
			*p++ = hexd[u[i] >> 4];
			*p++ = hexd[u[i] & 15];
		}
		*p = 0;
		v = uuid;
		len = 36;
	}
	if ((rc = digest_field(ctx, v, len)) != 0)
		goto out;
	/* jsonb binary = version byte 1, then exactly jsonb's text output */
	v = cell(r, row, C_DETAIL, &len);
	if (v) {
		rc = -EINVAL;
		if (len < 1 || v[0] != 1)
			goto out;
		v++;
		len--;
	}
	if ((rc = digest_field(ctx, v, len)) != 0)
		goto out;
	rc = -EIO;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	for (unsigned i = 0; i < mdlen; i++) {
		out[2 * i] = hexd[md[i] >> 4];
		out[2 * i + 1] = hexd[md[i] & 15];
	}
	out[2 * mdlen] = 0;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* The kind of row n, sanitised enough for a message (kinds are checked
 * [a-z_.] by the table, but this is read back from a possibly altered row). */
static void
row_kind(const PGresult *r, int row, char *out, size_t outlen)
{
	const char *k = PQgetisnull(r, row, C_KIND) ? "-" : PQgetvalue(r, row, C_KIND);
	size_t i;

	for (i = 0; k[i] && i + 1 < outlen; i++)
		out[i] = strchr("abcdefghijklmnopqrstuvwxyz_.", k[i]) ? k[i] : '?';
	out[i] = 0;
}

/* Check one row against the chain so far; 0 when it holds (the chain
 * advances), CTL_REFUSED after printing the break, or another exit code. */
static int
check_row(struct chain *ch, const PGresult *r, int row)
{
	char hash[APPROVE_HASH_HEX_LEN + 1], at[TS_LEN], kind[48];
	const char *stored, *prev;
	int64_t id;

	id = be64(PQgetvalue(r, row, C_ID));
	row_kind(r, row, kind, sizeof(kind));
	switch (row_hash(r, row, hash, at)) {
	case 0:
		break;
	case -EINVAL:
		printf("BROKEN at row %" PRId64 " (%s): malformed row (id, time, "
		       "prev_hash, request_id or detail cannot be in a valid row)\n", id, kind);
		return CTL_REFUSED;
	default:
		ctl_err("audit verify: SHA-256 failed (OpenSSL)");
		return CTL_FAILURE;
	}
	stored = PQgetisnull(r, row, C_HASH) ? "" : PQgetvalue(r, row, C_HASH);
	prev = PQgetvalue(r, row, C_PREV);
	if (strcmp(hash, stored) != 0) {
		printf("BROKEN at row %" PRId64 " (%s, %s): altered: its content does not "
		       "give its hash\n", id, at, kind);
		return CTL_REFUSED;
	}
	if (strcmp(prev, ch->last_hash) != 0) {
		if (id > ch->last_id + 1)
			printf("BROKEN at row %" PRId64 " (%s, %s): missing rows %" PRId64
			       "..%" PRId64 ": its prev_hash is not the hash of row %" PRId64 "\n",
			       id, at, kind, ch->last_id + 1, id - 1, ch->last_id);
		else
			printf("BROKEN at row %" PRId64 " (%s, %s): broken link: its prev_hash is "
			       "not the hash of row %" PRId64 "\n", id, at, kind, ch->last_id);
		return CTL_REFUSED;
	}
	if (id != ch->last_id + 1) {
		/* Linked, yet not dense: the rows after the gap were rewritten. */
		printf("BROKEN at row %" PRId64 " (%s, %s): missing rows %" PRId64 "..%" PRId64
		       " although it links to row %" PRId64 " (rows rewritten)\n",
		       id, at, kind, ch->last_id + 1, id - 1, ch->last_id);
		return CTL_REFUSED;
	}
	if (strcmp(kind, "audit.gap") == 0) {
		if (ch->gaps < GAPS_LISTED)
			ch->gap_ids[ch->gaps] = id;
		ch->gaps++;
	}
	if (!ch->first_id)
		ch->first_id = id;
	ch->last_id = id;
	memcpy(ch->last_hash, hash, sizeof(hash));
	memcpy(ch->last_at, at, TS_LEN);
	ch->verified++;
	return CTL_OK;
}

static int
types_ok(const PGresult *r)
{
	if (PQnfields(r) != C_N)
		return 0;
	for (int c = 0; c < C_N; c++)
		if (PQftype(r, c) != col_oid[c] || PQfformat(r, c) != 1)
			return 0;
	return 1;
}

/* One row whose last column is a 64-hex hash: CTL_OK with *out (PQclear
 * it); CTL_REFUSED with *out NULL when there is no such row; or the exit
 * code of a failed statement (reported). param may be NULL. */
static int
hash_row(PGconn *db, const char *what, const char *sql, const char *param, PGresult **out)
{
	const char *params[1] = { param };
	PGresult *r = NULL;
	int rc;

	*out = NULL;
	rc = ctl_db_do(db, what, sql, param ? 1 : 0, param ? params : NULL, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1 ||
	    PQgetlength(r, 0, PQnfields(r) - 1) != APPROVE_HASH_HEX_LEN) {
		PQclear(r);
		return CTL_REFUSED;
	}
	*out = r;
	return CTL_OK;
}

/* The head the chain trigger recorded (approval.audit_chain). */
static int
read_head(PGconn *db, int64_t *head_id, char head_hash[APPROVE_HASH_HEX_LEN + 1])
{
	PGresult *r = NULL;
	int rc;

	rc = hash_row(db, "audit verify: reading approval.audit_chain",
		      "SELECT c.last_id, c.last_hash FROM approval.audit_chain c", NULL, &r);
	if (rc == CTL_REFUSED)
		printf("BROKEN: approval.audit_chain has no valid head row\n");
	if (rc != CTL_OK)
		return rc;
	*head_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	memcpy(head_hash, PQgetvalue(r, 0, 1), APPROVE_HASH_HEX_LEN + 1);
	PQclear(r);
	return CTL_OK;
}

/* Row from-1 anchors the first link of a verification that starts at from. */
static int
read_anchor(PGconn *db, int64_t from, struct chain *ch)
{
	char id[24];
	PGresult *r = NULL;
	int rc;

	ch->last_id = from - 1;
	memcpy(ch->last_hash, zero_hash, sizeof(zero_hash));
	if (from <= 1)
		return CTL_OK;
	snprintf(id, sizeof(id), "%" PRId64, from - 1);
	rc = hash_row(db, "audit verify: reading the row before --from",
		      "SELECT l.hash FROM approval.audit_log l WHERE l.id = $1::bigint", id, &r);
	if (rc == CTL_REFUSED)
		printf("BROKEN before row %" PRId64 ": row %" PRId64 " (the row it links to) "
		       "is missing\n", from, from - 1);
	if (rc != CTL_OK)
		return rc;
	memcpy(ch->last_hash, PQgetvalue(r, 0, 0), APPROVE_HASH_HEX_LEN + 1);
	PQclear(r);
	return CTL_OK;
}

/* Verify the rows with from <= id <= head against the chain so far, in
 * batches (rows after the head are not sealed yet). */
static int
verify_rows(PGconn *db, int64_t from, int64_t head, struct chain *ch)
{
	char next[24], last[24];
	const char *params[2] = { next, last };
	PGresult *r = NULL;
	int rc = CTL_OK, n;

	snprintf(next, sizeof(next), "%" PRId64, from);
	snprintf(last, sizeof(last), "%" PRId64, head);
	for (;;) {
		r = PQexecParams(db,
			"SELECT l.id, l.at, l.kind, l.actor, l.subject, l.request_id, l.detail,"
			"       l.prev_hash, l.hash"
			"  FROM approval.audit_log l WHERE l.id >= $1::bigint AND l.id <= $2::bigint"
			" ORDER BY l.id LIMIT " STR(AUDIT_BATCH), 2, NULL, params, NULL, NULL, 1);
		if (ctl_db_failed(r)) {
			rc = ctl_db_error(db, r, "audit verify: reading approval.audit_log");
			goto out;
		}
		if (!types_ok(r)) {
			ctl_err("audit verify: approval.audit_log has unexpected columns "
				"(not the schema of sql/002_audit.sql)");
			rc = CTL_FAILURE;
			goto out;
		}
		n = PQntuples(r);
		for (int row = 0; row < n; row++) {
			rc = check_row(ch, r, row);
			if (rc != CTL_OK)
				goto out;
		}
		if (n < AUDIT_BATCH)
			break;
		snprintf(next, sizeof(next), "%" PRId64, be64(PQgetvalue(r, n - 1, C_ID)) + 1);
		PQclear(r);
		r = NULL;
	}
out:
	PQclear(r);
	return rc;
}

/* The report views read approval.requests, which is not chained:
 * approval.audit_crosscheck lists the requests that disagree with the
 * chained log (sql/003_reports.sql). Any row is a break. */
static int
crosscheck(PGconn *db)
{
	PGresult *r = NULL;
	char *code = NULL, *problem = NULL;
	int rc;

	rc = ctl_db_do(db, "audit verify: reading approval.audit_crosscheck",
		       "SELECT x.code, x.problem, pg_catalog.count(*) OVER ()"
		       "  FROM approval.audit_crosscheck x ORDER BY x.created_at, x.code LIMIT 1",
		       0, NULL, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) == 0)
		goto out;
	code = approve_sanitize_display(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), 64);
	problem = approve_sanitize_display(PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1), 128);
	if (!code || !problem) {
		ctl_err("audit verify: out of memory");
		rc = CTL_FAILURE;
		goto out;
	}
	printf("BROKEN: request %s: %s (%s requests disagree with the log: "
	       "SELECT * FROM approval.audit_crosscheck)\n", code, problem, PQgetvalue(r, 0, 2));
	rc = CTL_REFUSED;
out:
	free(code);
	free(problem);
	PQclear(r);
	return rc;
}

/* The rows after the head: none may be sealed (the sealer goes in id
 * order and moves the head with it), and the oldest unsealed one may have
 * waited at most max_s seconds. Prints how many wait; CTL_REFUSED after
 * printing a break. */
static int
unsealed(PGconn *db, unsigned long max_s)
{
	char max[24];
	const char *params[1] = { max };
	PGresult *r = NULL;
	int rc;

	snprintf(max, sizeof(max), "%lu", max_s);
	rc = ctl_db_do(db, "audit verify: reading approval.audit_unsealed",
		"SELECT u.rows, COALESCE(u.oldest_id, 0),"
		"       COALESCE(pg_catalog.floor(pg_catalog.date_part('epoch', u.oldest_age)), 0),"
		"       COALESCE(u.oldest_age > pg_catalog.make_interval(secs => $1::bigint), false),"
		"       (SELECT pg_catalog.count(*) FROM approval.audit_log l, approval.audit_chain c"
		"         WHERE l.id > c.last_id AND l.hash IS NOT NULL)"
		"  FROM approval.audit_unsealed u", 1, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1) {
		ctl_err("audit verify: unexpected answer from approval.audit_unsealed");
		rc = CTL_FAILURE;
	} else if (strcmp(PQgetvalue(r, 0, 4), "0") != 0) {
		printf("BROKEN: %s sealed rows lie beyond the recorded chain head: the head "
		       "was altered\n", PQgetvalue(r, 0, 4));
		rc = CTL_REFUSED;
	} else if (strcmp(PQgetvalue(r, 0, 3), "t") == 0) {
		printf("NOT SEALED: %s rows after the head wait to be sealed, the oldest (row "
		       "%s) for %s s, more than %lu s: is a sealer running (approvald, "
		       "audit_seal_interval_ms)? Until sealed they are not protected by the "
		       "chain\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
		       PQgetvalue(r, 0, 2), max_s);
		rc = CTL_REFUSED;
	} else if (strcmp(PQgetvalue(r, 0, 0), "0") != 0) {
		printf("%s newer rows not sealed yet (the oldest, row %s, for %s s)\n",
		       PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	return rc;
}

/* The whole check in one snapshot. from past the head verifies nothing but
 * still checks that the head row is there. */
static int
verify(PGconn *db, int64_t from, unsigned long unsealed_max, struct chain *ch)
{
	char head_hash[APPROVE_HASH_HEX_LEN + 1];
	int64_t head_id = 0;
	int rc;

	rc = ctl_db_do(db, "audit verify: starting a snapshot",
		       "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, NULL);
	if (rc == CTL_OK)
		rc = read_head(db, &head_id, head_hash);
	if (rc != CTL_OK)
		return rc;
	if (from > head_id + 1)
		from = head_id + 1;
	rc = read_anchor(db, from, ch);
	if (rc == CTL_OK)
		rc = verify_rows(db, from, head_id, ch);
	if (rc != CTL_OK)
		return rc;
	if (ch->last_id != head_id || strcmp(ch->last_hash, head_hash) != 0) {
		printf("BROKEN after row %" PRId64 ": the recorded chain head is row %" PRId64
		       " (hash %s): rows at the end are missing or the head was altered\n",
		       ch->last_id, head_id, head_hash);
		return CTL_REFUSED;
	}
	rc = unsealed(db, unsealed_max);
	if (rc != CTL_OK)
		return rc;
	return crosscheck(db);
}

static const struct option verify_opts[] = {
	{ "from", required_argument, NULL, 'f' },
	{ "key", required_argument, NULL, 'k' },
	{ "checkpoint", required_argument, NULL, 'c' },
	{ "max-age", required_argument, NULL, 'a' },
	{ "unsealed-max", required_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 },
};

static int
run_verify(struct ctl_ctx *c, int argc, char **argv)
{
	struct chain ch;
	unsigned long from = 1, max_age = 0, unsealed_max = UNSEALED_MAX_S;
	const char *keyfile = NULL, *extfile = NULL;
	int have_max_age = 0;
	PGconn *db = NULL;
	int o, rc;

	memset(&ch, 0, sizeof(ch));
	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'f':
			if (approve_parse_ulong(optarg, 1, (unsigned long)INT64_MAX / 2, &from) != 0)
				return ctl_usage_error(c, "bad --from '%s' (a row id, 1 or more)",
						       optarg);
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'c':
			extfile = optarg;
			break;
		case 'a':
			if (approve_parse_ulong(optarg, 1, 10UL * 366 * 86400, &max_age) != 0)
				return ctl_usage_error(c, "bad --max-age '%s' (seconds, 1 or more)",
						       optarg);
			have_max_age = 1;
			break;
		case 'u':
			if (approve_parse_ulong(optarg, 0, 31536000, &unsealed_max) != 0)
				return ctl_usage_error(c, "bad --unsealed-max '%s' (seconds, "
						       "0..31536000)", optarg);
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if ((extfile || have_max_age) && !keyfile)
		return ctl_usage_error(c, "--checkpoint and --max-age need --key");
	rc = ctl_db_connect(c, 0, &db);
	if (rc != CTL_OK)
		return rc;
	if (PQsetClientEncoding(db, "UTF8") != 0) {
		ctl_err("audit verify: cannot set client_encoding to UTF8");
		rc = CTL_FAILURE;
		goto out;
	}
	rc = verify(db, (int64_t)from, unsealed_max, &ch);
	if (rc == CTL_OK && keyfile)
		rc = ctl_audit_checkpoints(db, keyfile, extfile,
					   have_max_age ? (long)max_age : -1);
	if (rc != CTL_OK)
		goto out;
	if (ch.verified == 0)
		printf("nothing to verify from row %lu; head row %" PRId64 " hash %s\n",
		       from, ch.last_id, ch.last_hash);
	else
		printf("audit log intact: %llu rows verified (%" PRId64 "..%" PRId64 "); "
		       "head row %" PRId64 " at %s hash %s\n", ch.verified, ch.first_id,
		       ch.last_id, ch.last_id, ch.last_at, ch.last_hash);
	if (ch.gaps) {
		printf("%llu gaps (ids that never committed a row: rolled back, or removed "
		       "before they were sealed):", ch.gaps);
		for (unsigned long long i = 0; i < ch.gaps && i < GAPS_LISTED; i++)
			printf(" %" PRId64, ch.gap_ids[i]);
		printf("%s\n", ch.gaps > GAPS_LISTED ? " ..." : "");
	}
out:
	PQfinish(db);
	return rc;
}

static int
run_head(struct ctl_ctx *c, int argc, char **argv)
{
	PGresult *r = NULL;
	int json, done, rc;

	rc = ctl_json_flag(c, argc, argv, &json, &done);
	if (rc != CTL_OK || done)
		return rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	rc = ctl_db_query(c, "audit head",
		"SELECT COALESCE(h.id, 0), COALESCE(h.hash, pg_catalog.repeat('0', 64)),"
		"       COALESCE(" CTL_SQL_UTC("h.at") ", '-')"
		"  FROM (SELECT 1) one LEFT JOIN approval.audit_head h ON true", 0, NULL, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1 || strspn(PQgetvalue(r, 0, 1), "0123456789abcdef") != 64) {
		ctl_err("audit head: unexpected answer");
		rc = CTL_FAILURE;
	} else if (json) {
		/* digits, hex and a formatted time: nothing to escape */
		printf("{\"id\": %s, \"hash\": \"%s\", \"at\": \"%s\"}\n",
		       PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
	} else {
		printf("%s %s %s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
		       PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	return rc;
}

static const struct ctl_command audit_verify_cmd = {
	.name = "verify",
	.synopsis = "[--from ID] [--key FILE [--checkpoint FILE] [--max-age S]] [--unsealed-max S]",
	.summary = "recompute the audit log's hash chain; exit 1 at the first broken row",
	.details = "Reads approval.audit_log in id order, recomputes every row's\n"
		   "sha256 from its canonical form (sql/002_audit.sql) and checks that each\n"
		   "row links to the one before, that ids have no gaps and that the newest\n"
		   "sealed row is the head the database recorded, that no row after the head\n"
		   "has waited to be sealed longer than --unsealed-max, and that every\n"
		   "request agrees with the log (approval.audit_crosscheck). Prints the\n"
		   "first break, or the number of rows verified, the head (compare it with\n"
		   "a copy kept elsewhere) and the gap rows (ids that never committed).\n"
		   "Needs SELECT on approval.audit_log and approval.audit_chain\n"
		   "(role approval_auditor).\n"
		   "Options:\n"
		   "  --from ID   start at row ID (row ID-1 is trusted as the anchor)\n"
		   "  --key FILE  also check every signed checkpoint approvald stored\n"
		   "              against approvald's public keys in FILE: a chain\n"
		   "              rewritten and re-hashed fails, naming the checkpoint\n"
		   "  --checkpoint FILE  checkpoints kept outside the database (approvald's\n"
		   "              logged 'approve-checkpoint-v1' lines, or saved output of\n"
		   "              audit checkpoint; other lines are skipped): each must be\n"
		   "              signed by a key of --key, the newest must match the\n"
		   "              chain and still be stored. Catches deleted newest\n"
		   "              checkpoints with the rows after the last one rewritten\n"
		   "  --max-age S the newest stored checkpoint is at most S seconds old\n"
		   "              (e.g. 2 x audit_head_interval)\n"
		   "  --unsealed-max S  fail when a row has waited more than S seconds\n"
		   "              to be sealed (default " STR(UNSEALED_MAX_S) ")\n",
	.longopts = verify_opts, .run = run_verify,
};
static const struct ctl_command audit_head_cmd = {
	.name = "head", .synopsis = "[--json]",
	.summary = "print the newest audit row: id, hash, time (record it elsewhere)",
	.details = "Prints 'ID HASH TIME' (id 0 and 64 zeros for an empty log).\n"
		   "Options:\n  --json   print {\"id\", \"hash\", \"at\"}\n",
	.longopts = ctl_json_opts, .run = run_head,
};
static const struct ctl_command *const audit_cmds[] = {
	&audit_verify_cmd, &audit_head_cmd, &ctl_cmd_audit_checkpoint, NULL,
};
const struct ctl_command ctl_cmd_audit = {
	.name = "audit", .synopsis = "verify|head|checkpoint",
	.summary = "prove the audit log unaltered (database, read-only)",
	.sub = audit_cmds,
};
