/* key.c: `approvalctl key generate|list|retire`: approvald's Ed25519
 * signing keys (common/sig.h). generate writes the private key file
 * (mode 0600, owned by the daemon's user) and prints the public key line
 * that hosts pin in keys=; no database is needed. list and retire work on
 * approval.signing_keys, where approvald registers its key at start (the
 * private key is never in the database). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sig.h"

static const struct option gen_opts[] = {
	{ "out", required_argument, NULL, 'o' },
	{ "owner", required_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 },
};

static int
key_generate(struct ctl_ctx *c, int argc, char **argv)
{
	const char *out = NULL, *owner = NULL;
	unsigned uid = (unsigned)-1, gid = (unsigned)-1;
	char kid[APPROVE_SIG_KEY_ID_LEN + 1], err[512], *line = NULL;
	EVP_PKEY *pk = NULL;
	int o, rc;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'o': out = optarg; break;
		case 'u': owner = optarg; break;
		default: return CTL_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!out)
		return ctl_usage_error(c, "--out PATH is required");
	if (owner) {
		struct passwd *pw = getpwnam(owner);

		if (!pw)
			return ctl_usage_error(c, "--owner %s: no such user", owner);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	rc = approve_sig_private_generate(out, uid, gid, &pk, err, sizeof(err));
	if (rc < 0) {
		ctl_err("key generate: %s", err);
		return CTL_FAILURE;
	}
	if (approve_sig_key_id(pk, kid) < 0 || approve_sig_pub_line(pk, &line) < 0) {
		ctl_err("key generate: cannot derive the public key");
		EVP_PKEY_free(pk);
		return CTL_FAILURE;
	}
	printf("%s\n", line);
	fprintf(stderr, "key %s written to %s (mode 0600%s%s).\n"
		"Set 'signing_key = %s' in approvald.conf. Pin the line above on every\n"
		"host, in the file named by pam_approve's keys= (root-owned, not\n"
		"writable by others), before approvald uses the key.\n",
		kid, out, owner ? ", owner " : "", owner ? owner : "", out);
	free(line);
	EVP_PKEY_free(pk);
	return CTL_OK;
}

static const struct ctl_column key_cols[] = {
	{ "KEY ID", "key_id", 0, 0 },
	{ "STATUS", "status", 8, 0 },
	{ "CREATED (UTC)", "created_at", 0, 1 },
	{ "RETIRED (UTC)", "retired_at", 0, 1 },
	{ "PUBLIC KEY", "public_key", 0, 0 },
};

static int
key_list(struct ctl_ctx *c, int argc, char **argv)
{
	return ctl_admin_list(c, argc, argv,
		"SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object("
		"  'key_id', k.key_id,"
		"  'status', CASE WHEN k.retired_at IS NULL THEN 'active' ELSE 'retired' END,"
		"  'created_at', " CTL_SQL_UTC("k.created_at") ","
		"  'retired_at', " CTL_SQL_UTC("k.retired_at") ","
		"  'public_key', k.public_key"
		"  ) ORDER BY k.created_at), '[]')"
		"  FROM approval.signing_keys k", key_cols, 5, "no signing keys");
}

static int
key_retire(struct ctl_ctx *c, int argc, char **argv)
{
	const char *kid = NULL, *params[1];
	PGresult *r = NULL;
	int rc, done;

	rc = ctl_one_arg(c, argc, argv, "KEY_ID", &kid, &done);
	if (rc != CTL_OK || done)
		return rc;
	params[0] = kid;
	rc = ctl_db_query(c, c->path,
		"UPDATE approval.signing_keys"
		"   SET retired_at = COALESCE(retired_at, pg_catalog.now())"
		" WHERE key_id = $1 RETURNING public_key", 1, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1) {
		ctl_err("key retire %s: no such key (see 'approvalctl key list')", kid);
		rc = CTL_REFUSED;
	} else {
		printf("%s retired\n", kid);
		fprintf(stderr, "Mark it on every host: '%s retired' in the keys= file.\n"
			"Its receipts and checkpoints still verify as history.\n",
			PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return rc;
}

static const struct ctl_command key_generate_cmd = {
	.name = "generate", .synopsis = "--out PATH [--owner USER]",
	.summary = "write a new signing key; prints the public key line for keys=",
	.details = "Options:\n"
		   "  --out PATH     the private key file (created, mode 0600; never\n"
		   "                 overwritten)\n"
		   "  --owner USER   chown it to USER (the daemon's user, e.g. approvald)\n",
	.longopts = gen_opts, .run = key_generate,
};
static const struct ctl_command key_list_cmd = {
	.name = "list", .synopsis = "[--json]",
	.summary = "list the signing keys approvald registered",
	.details = "Options:\n  --json   print a JSON array instead of a table\n",
	.longopts = ctl_json_opts, .run = key_list,
};
static const struct ctl_command key_retire_cmd = {
	.name = "retire", .synopsis = "KEY_ID",
	.summary = "retire a key: approvald refuses to start with it",
	.run = key_retire,
};
static const struct ctl_command *const key_cmds[] = {
	&key_generate_cmd, &key_list_cmd, &key_retire_cmd, NULL,
};
const struct ctl_command ctl_cmd_key = {
	.name = "key", .synopsis = "generate|list|retire",
	.summary = "approvald's signing keys (generate: local; list, retire: database)",
	.sub = key_cmds,
};
