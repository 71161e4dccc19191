/* checkpoints.c: the --key part of `approvalctl audit verify`, and
 * `approvalctl audit checkpoint`. Every signed checkpoint in
 * approval.audit_checkpoints (approvald signs the chain head every
 * audit_head_interval, common/sig.h) must carry a valid signature by a key
 * in the given file and name a row of the chain whose hash is the one
 * signed. A superuser who rewrote and re-hashed the chain passes the
 * recomputation but not this, unless they hold the private key.
 *
 * The database alone cannot show that its newest checkpoints were deleted
 * together with a rewrite of the rows after the last one left. Two checks
 * close that (docs/compliance.md, "Checkpoints kept elsewhere"):
 *   --checkpoint FILE  checkpoint lines kept outside the database (the
 *                      journal's "approve-checkpoint-v1" lines, or the
 *                      output of `audit checkpoint` saved elsewhere): each
 *                      must be validly signed, and the newest must match
 *                      the chain and still be stored;
 *   --max-age S        the newest stored checkpoint is at most S seconds
 *                      old (approvald signs one every audit_head_interval
 *                      and stops signing once the chain no longer holds
 *                      the last row it signed, approvald/signing.c).
 * Runs inside audit verify's snapshot, after the chain itself was
 * verified. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "sig.h"

#define LINE_MAX_LEN 4096	/* a longer line is not a checkpoint line */

static const char cp_sql[] =
	"SELECT c.id, c.head_id, c.head_hash, c.at, c.key_id, c.signature,"
	"       l.hash, c.head_id = 0"
	"  FROM approval.audit_checkpoints c"
	"  LEFT JOIN approval.audit_log l ON l.id = c.head_id"
	" ORDER BY c.id";

/* One checkpoint line of a file and its line number. */
struct ext_cp {
	struct approve_sig_checkpoint_line f;
	unsigned long line;
};

/* Seconds since an "YYYY-MM-DDTHH:MM:SS...Z" time; -1 when unreadable. */
static long
age_s(const char *at)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(at, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	return (long)(time(NULL) - t);
}

/* Read extfile: every checkpoint line must be signed by a key of kr; the
 * newest (highest row, then latest time) into *newest. CTL_OK, CTL_REFUSED
 * (printed BROKEN) or CTL_FAILURE (unreadable, no checkpoint line). */
static int
read_external(const char *extfile, const struct approve_sig_keyring *kr,
	      struct ext_cp *newest)
{
	FILE *f = fopen(extfile, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	struct ext_cp c;
	const struct approve_sig_pub *used;
	unsigned long no = 0, found = 0;
	int rc = CTL_FAILURE, r;

	if (!f) {
		ctl_err("audit verify: %s: %s", extfile, strerror(errno));
		return CTL_FAILURE;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		no++;
		if (len > LINE_MAX_LEN || strlen(line) != (size_t)len)
			r = strstr(line, APPROVE_SIG_CHECKPOINT_MARK) ? -EINVAL : 1;
		else
			r = approve_sig_checkpoint_line_parse(line, &c.f);
		if (r == 1)
			continue;
		if (r < 0) {
			ctl_err("audit verify: %s line %lu: a malformed checkpoint line",
				extfile, no);
			goto out;
		}
		c.line = no;
		{
			const struct approve_sig_checkpoint sc = { c.f.head_id, c.f.hash, c.f.at };

			r = approve_sig_verify_checkpoint(kr, &sc, c.f.key_id, c.f.sig, &used);
		}
		if (r != 0) {
			printf("BROKEN: %s line %lu (row %s at %s): %s\n", extfile, no,
			       c.f.head_id, c.f.at, r == -ENOKEY ? "signed by a key not in the key file"
							 : "the signature is not valid");
			rc = CTL_REFUSED;
			goto out;
		}
		if (!found || strtoll(c.f.head_id, NULL, 10) > strtoll(newest->f.head_id, NULL, 10) ||
		    (strtoll(c.f.head_id, NULL, 10) == strtoll(newest->f.head_id, NULL, 10) &&
		     strcmp(c.f.at, newest->f.at) > 0))
			*newest = c;
		found++;
	}
	if (!found) {
		ctl_err("audit verify: %s: no checkpoint line (\"%s...\")", extfile,
			APPROVE_SIG_CHECKPOINT_MARK);
		goto out;
	}
	rc = CTL_OK;
out:
	free(line);
	fclose(f);
	return rc;
}

/* The newest external checkpoint e against the chain and the stored ones. */
static int
check_external(PGconn *db, const char *extfile, const struct ext_cp *e)
{
	static const char sql[] =
		"SELECT (SELECT l.hash FROM approval.audit_log l WHERE l.id = $1::bigint),"
		"       EXISTS (SELECT 1 FROM approval.audit_checkpoints c"
		"                WHERE c.head_id = $1::bigint AND c.head_hash = $2"
		"                  AND c.at = $3 AND c.signature = $4)";
	const struct approve_sig_checkpoint_line *f = &e->f;
	const char *p[4] = { f->head_id, f->hash, f->at, f->sig };
	PGresult *r = NULL;
	int rc, zero = strcmp(f->head_id, "0") == 0;

	rc = ctl_db_do(db, "audit verify: reading the checkpoint's row", sql, 4, p, &r);
	if (rc != CTL_OK)
		return rc;
	rc = CTL_REFUSED;
	if (zero ? strspn(f->hash, "0") != 64 :
	    PQgetisnull(r, 0, 0) || strcmp(PQgetvalue(r, 0, 0), f->hash) != 0) {
		printf("BROKEN at the checkpoint of %s line %lu: approvald signed row %s at %s "
		       "with hash %s (key %s), the chain has %s: the audit log was rewritten\n",
		       extfile, e->line, f->head_id, f->at, f->hash, f->key_id,
		       zero ? "rows" : PQgetisnull(r, 0, 0) ? "no such row" : PQgetvalue(r, 0, 0));
	} else if (strcmp(PQgetvalue(r, 0, 1), "t") != 0) {
		printf("BROKEN: the checkpoint of %s line %lu (row %s at %s) is not in "
		       "approval.audit_checkpoints: stored checkpoints were deleted\n",
		       extfile, e->line, f->head_id, f->at);
	} else {
		rc = CTL_OK;
	}
	PQclear(r);
	return rc;
}

int
ctl_audit_checkpoints(PGconn *db, const char *keyfile, const char *extfile,
		      long max_age_s)
{
	struct approve_sig_keyring *kr = NULL;
	const struct approve_sig_pub *used;
	struct ext_cp ext;
	PGresult *r = NULL;
	char err[512];
	int rc, i, n, retired = 0;
	long age;

	memset(&ext, 0, sizeof(ext));
	if (approve_sig_keyring_read_file(keyfile, 0, &kr, err, sizeof(err)) < 0) {
		ctl_err("audit verify: %s", err);
		return CTL_FAILURE;
	}
	rc = ctl_db_do(db, "audit verify: reading approval.audit_checkpoints", cp_sql,
		       0, NULL, &r);
	if (rc != CTL_OK)
		goto out;
	n = PQntuples(r);
	rc = CTL_REFUSED;
	if (n == 0) {
		printf("BROKEN: no signed checkpoint in approval.audit_checkpoints "
		       "(approvald without signing_key, or they were removed)\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *id = PQgetvalue(r, i, 0), *hid = PQgetvalue(r, i, 1);
		const struct approve_sig_checkpoint c = {
			hid, PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		};
		int sr = approve_sig_verify_checkpoint(kr, &c, PQgetvalue(r, i, 4),
						       PQgetvalue(r, i, 5), &used);

		if (sr != 0) {
			printf("BROKEN at checkpoint %s (row %s at %s): %s\n", id, hid,
			       c.at, sr == -ENOKEY ? "signed by a key not in the key file"
						   : "the signature is not valid");
			goto out;
		}
		retired |= used->retired;
		if (strcmp(PQgetvalue(r, i, 7), "t") == 0 ?
		    strspn(c.head_hash, "0") != strlen(c.head_hash) :
		    PQgetisnull(r, i, 6) || strcmp(PQgetvalue(r, i, 6), c.head_hash) != 0) {
			printf("BROKEN at checkpoint %s: approvald signed row %s at %s with "
			       "hash %s (key %s), the chain has %s: the audit log was "
			       "rewritten\n", id, hid, c.at, c.head_hash, used->id,
			       PQgetisnull(r, i, 6) ? "no such row" : PQgetvalue(r, i, 6));
			goto out;
		}
	}
	if (extfile) {
		rc = read_external(extfile, kr, &ext);
		if (rc == CTL_OK)
			rc = check_external(db, extfile, &ext);
		if (rc != CTL_OK)
			goto out;
		rc = CTL_REFUSED;
	}
	age = age_s(PQgetvalue(r, n - 1, 3));
	if (max_age_s >= 0 && (age < 0 || age > max_age_s)) {
		printf("BROKEN: the newest signed checkpoint (row %s at %s) is %ld s old, "
		       "more than --max-age %ld: approvald stopped signing (see its log: "
		       "a rewritten chain stops it) or the newest checkpoints were deleted\n",
		       PQgetvalue(r, n - 1, 1), PQgetvalue(r, n - 1, 3), age, max_age_s);
		goto out;
	}
	printf("%d signed checkpoints match the chain (newest: row %s at %s, %ld s ago)%s\n",
	       n, PQgetvalue(r, n - 1, 1), PQgetvalue(r, n - 1, 3), age,
	       retired ? "; some by retired keys (historical)" : "");
	if (extfile)
		printf("the newest checkpoint of %s (line %lu: row %s at %s) matches the "
		       "chain and is stored\n", extfile, ext.line, ext.f.head_id, ext.f.at);
	rc = CTL_OK;
out:
	PQclear(r);
	approve_sig_keyring_free(kr);
	return rc;
}

/* ---- approvalctl audit checkpoint ---- */

static int
run_checkpoint(struct ctl_ctx *c, int argc, char **argv)
{
	PGresult *r = NULL;
	int json, done, rc;

	rc = ctl_json_flag(c, argc, argv, &json, &done);
	if (rc != CTL_OK || done)
		return rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	rc = ctl_db_query(c, "audit checkpoint",
		"SELECT c.head_id, c.head_hash, c.at, c.key_id, c.signature"
		"  FROM approval.audit_checkpoints c ORDER BY c.id DESC LIMIT 1", 0, NULL, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1) {
		ctl_err("audit checkpoint: no signed checkpoint stored (approvald "
			"without signing_key or audit_head_interval = 0)");
		rc = CTL_REFUSED;
	} else {
		struct approve_sig_checkpoint_line e;
		char line[LINE_MAX_LEN];
		int n = snprintf(line, sizeof(line), APPROVE_SIG_CHECKPOINT_FMT,
				 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
				 PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4));

		/* what is printed is what verify --checkpoint reads */
		if (n < 0 || (size_t)n >= sizeof(line) ||
		    approve_sig_checkpoint_line_parse(line, &e) != 0) {
			ctl_err("audit checkpoint: unexpected stored checkpoint");
			rc = CTL_FAILURE;
		} else if (json) {
			printf("{\"head_id\": %s, \"hash\": \"%s\", \"at\": \"%s\", "
			       "\"key_id\": \"%s\", \"signature\": \"%s\"}\n",
			       e.head_id, e.hash, e.at, e.key_id, e.sig);
		} else {
			printf("%s\n", line);
		}
	}
	PQclear(r);
	return rc;
}

const struct ctl_command ctl_cmd_audit_checkpoint = {
	.name = "checkpoint", .synopsis = "[--json]",
	.summary = "print the newest signed checkpoint as one line (keep it elsewhere)",
	.details = "Prints 'approve-checkpoint-v1 head_id=N hash=H at=T key=K sig=S',\n"
		   "the line approvald also logs; append it to a file kept outside the\n"
		   "database and check it with audit verify --key K --checkpoint FILE.\n"
		   "Options:\n  --json   print {\"head_id\", \"hash\", \"at\", \"key_id\", "
		   "\"signature\"}\n",
	.longopts = ctl_json_opts, .run = run_checkpoint,
};
