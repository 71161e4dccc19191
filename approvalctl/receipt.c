/* receipt.c: `approvalctl receipt show CODE` and `approvalctl receipt
 * verify FILE --key PUB`. A receipt is approvald's signature over a
 * decision (common/sig.h: request id, digest, status, decided_by,
 * decided_at, nonce, expires_at), with the request's context. show reads
 * it from the database and prints it as JSON; verify needs no database:
 * it checks the signature against the given public key file and, when the
 * receipt carries the context, recomputes the digest from it, so the
 * receipt proves who approved exactly which command. A retired key's
 * receipt verifies as history (said so). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"
#include "receipt.h"

#define RECEIPT_MAX APPROVE_RECEIPT_MAX

/* The receipt of one request by code or id, as one JSON text. */
static const char show_sql[] =
	"SELECT pg_catalog.json_build_object("
	"  'receipt', 'approve-receipt-v1',"
	"  'id', r.id, 'code', r.code, 'digest', c.digest, 'status', c.status,"
	"  'decided_by', c.decided_by, 'decided_at', c.decided_at,"
	"  'nonce', c.nonce, 'expires_at', c.expires_at,"
	"  'key_id', c.key_id, 'public_key', k.public_key, 'signature', c.signature,"
	"  'host', h.name, 'comment', r.decision_comment,"
	"  'context', pg_catalog.json_strip_nulls(pg_catalog.json_build_object("
	"    'service', r.service, 'user', r.requester, 'uid', r.requester_uid,"
	"    'target_user', r.target_user, 'command', r.command,"
	"    'sudo_command', r.sudo_command, 'tty', r.tty, 'rhost', r.rhost,"
	"    'cwd', r.cwd, 'hostname', r.hostname, 'reason', r.reason,"
	"    'ticket', r.ticket,"
	"    'command_length', r.command_length, 'command_shown', r.command_shown,"
	"    'command_truncated', CASE WHEN r.command_sha256 IS NULL THEN NULL"
	"                              ELSE r.command_truncated END,"
	"    'command_sha256', r.command_sha256,"
	"    'sudo_command_length', r.sudo_command_length,"
	"    'sudo_command_shown', r.sudo_command_shown,"
	"    'sudo_command_truncated', CASE WHEN r.sudo_command_sha256 IS NULL THEN NULL"
	"                                   ELSE r.sudo_command_truncated END,"
	"    'sudo_command_sha256', r.sudo_command_sha256,"
	"    'agent', r.agent, 'run_url', r.run_url, 'commit', r.commit_ref,"
	"    'prompt', r.prompt, 'ancestry', r.ancestry, 'loginuid', r.loginuid,"
	"    'audit_session', r.audit_session, 'tty_attached', r.tty_attached,"
	"    'observed_note', r.observed_note)))"
	" FROM approval.receipts c"
	" JOIN approval.requests r ON r.id = c.request_id"
	" JOIN approval.hosts h ON h.id = r.host_id"
	" LEFT JOIN approval.signing_keys k ON k.key_id = c.key_id"
	" WHERE r.code = pg_catalog.upper($1) OR r.id::text = pg_catalog.lower($1)";

static int
receipt_show(struct ctl_ctx *c, int argc, char **argv)
{
	const char *code = NULL;
	struct json_object *o = NULL;
	PGresult *r = NULL;
	int rc, done;

	rc = ctl_one_arg(c, argc, argv, "CODE", &code, &done);
	if (rc != CTL_OK || done)
		return rc;
	rc = ctl_db_query(c, c->path, show_sql, 1, &code, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1) {
		ctl_err("receipt show %s: no receipt (unknown request, not decided, "
			"or approvald has no signing_key)", code);
		rc = CTL_REFUSED;
	} else if (ctl_json_parse(PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)),
				  &o) != 0) {
		ctl_err("receipt show %s: unexpected answer", code);
		rc = CTL_FAILURE;
	} else {
		ctl_print_json(o);
	}
	json_object_put(o);
	PQclear(r);
	return rc;
}

/* Read FILE (bounded) into a malloc'd, NUL-terminated buffer. */
static int
slurp(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *b = NULL;
	size_t n;

	*out = NULL;
	if (!f)
		return -errno;
	b = malloc(RECEIPT_MAX + 1);
	if (!b) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(b, 1, RECEIPT_MAX + 1, f);
	fclose(f);
	if (n > RECEIPT_MAX) {
		free(b);
		return -EFBIG;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

static const struct option verify_opts[] = {
	{ "key", required_argument, NULL, 'k' },
	{ NULL, 0, NULL, 0 },
};

static int
receipt_verify(struct ctl_ctx *c, int argc, char **argv)
{
	struct approve_sig_keyring *kr = NULL;
	const char *keyfile = NULL, *file;
	char err[512], why[256], *text = NULL;
	size_t len = 0;
	int o, rc, retired = 0;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'k': keyfile = optarg; break;
		default: return CTL_USAGE;
		}
	}
	if (optind + 1 != argc)
		return ctl_usage_error(c, "expected one FILE");
	if (!keyfile)
		return ctl_usage_error(c, "--key PUBLIC_KEY_FILE is required");
	file = argv[optind];
	if (approve_sig_keyring_read_file(keyfile, 0, &kr, err, sizeof(err)) < 0) {
		ctl_err("receipt verify: %s", err);
		return CTL_FAILURE;
	}
	if ((rc = slurp(file, &text, &len)) < 0) {
		ctl_err("receipt verify: %s: %s", file, strerror(-rc));
		rc = CTL_FAILURE;
		goto out;
	}
	rc = approve_receipt_check(text, len, kr, &retired, why, sizeof(why));
	if (rc == -EINVAL) {
		ctl_err("receipt verify: %s: %s", file, why);
		rc = CTL_FAILURE;
	} else if (rc < 0) {
		printf("%s: INVALID: %s\n", file, why);
		rc = CTL_REFUSED;
	} else {
		printf("%s: valid receipt%s\n", file,
		       retired ? " (by a retired key: historical)" : "");
		rc = CTL_OK;
	}
out:
	free(text);
	approve_sig_keyring_free(kr);
	return rc;
}

static const struct ctl_command receipt_show_cmd = {
	.name = "show", .synopsis = "CODE",
	.summary = "print a decided request's signed receipt as JSON (database)",
	.run = receipt_show,
};
static const struct ctl_command receipt_verify_cmd = {
	.name = "verify", .synopsis = "FILE --key PUBLIC_KEY_FILE",
	.summary = "check a receipt offline: signature, key, and digest of its context",
	.details = "Exit 0: valid (also by a retired key: said so); 1: invalid\n"
		   "(altered, another key, context not matching the digest);\n"
		   "4: unreadable key file or not a receipt.\n"
		   "Options:\n"
		   "  --key FILE   approvald's public keys (the hosts' keys= format or PEM)\n",
	.longopts = verify_opts, .run = receipt_verify,
};
static const struct ctl_command *const receipt_cmds[] = {
	&receipt_show_cmd, &receipt_verify_cmd, NULL,
};
const struct ctl_command ctl_cmd_receipt = {
	.name = "receipt", .synopsis = "show|verify",
	.summary = "signed decision receipts (show: database; verify: offline)",
	.sub = receipt_cmds,
};
