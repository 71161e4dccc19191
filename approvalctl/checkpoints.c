/* checkpoints.c: the --key part of `approvalctl audit verify`: every
 * signed checkpoint in approval.audit_checkpoints (approvald signs the
 * chain head every audit_head_interval, common/sig.h) must carry a valid
 * signature by a key in the given file and name a row of the chain whose
 * hash is the one signed. A superuser who rewrote and re-hashed the chain
 * passes the recomputation but not this, unless they hold the private
 * key. Runs inside audit verify's snapshot, after the chain itself was
 * verified. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sig.h"

static const char cp_sql[] =
	"SELECT c.id, c.head_id, c.head_hash, c.at, c.key_id, c.signature,"
	"       l.hash, c.head_id = 0"
	"  FROM approval.audit_checkpoints c"
	"  LEFT JOIN approval.audit_log l ON l.id = c.head_id"
	" ORDER BY c.id";

int
ctl_audit_checkpoints(PGconn *db, const char *keyfile)
{
	struct approve_sig_keyring *kr = NULL;
	const struct approve_sig_pub *used;
	PGresult *r = NULL;
	char err[512];
	int rc, i, n, retired = 0;

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
	printf("%d signed checkpoints match the chain (newest: row %s at %s)%s\n", n,
	       PQgetvalue(r, n - 1, 1), PQgetvalue(r, n - 1, 3),
	       retired ? "; some by retired keys (historical)" : "");
	rc = CTL_OK;
out:
	PQclear(r);
	approve_sig_keyring_free(kr);
	return rc;
}
