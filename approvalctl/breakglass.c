/* breakglass.c: `approvalctl breakglass list|close|issue`: the review list
 * of break-glass elevations (sql/013_policy_groups.sql, sql/020) and the
 * issuing of offline codes. A break-glass elevation (a rule's, or an
 * offline code's) was let in without an approver; it "needs review" until
 * an approver closes it with a comment. The database refuses a close by
 * the requester, by someone who may not decide, or of a request that was
 * not break-glass, and records every close (breakglass.reviewed).
 *
 * issue: the codes are registered (audited breakglass.code_issued) before
 * anything is written or shown; then the host's file gets a salted hash
 * per code (common/breakglass.c: checked, locked, replaced durably); only
 * then is each code printed, once. A code whose hash was never stored
 * cannot be used by anyone. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "breakglass.h"
#include "buf.h"
#include "clock.h"
#include "commands.h"
#include "conf.h"

#define ISSUE_LOCK_MS 5000ULL

static const struct ctl_column bg_cols[] = {
	{ "CODE", "code", 0, 0 },
	{ "KIND", "kind", 0, 0 },
	{ "AT (UTC)", "created_at", 0, 1 },
	{ "HOST", "host", 0, 0 },
	{ "USER", "requester", 0, 0 },
	{ "AS", "target_user", 0, 0 },
	{ "REVIEW", "review", 0, 0 },
	{ "REASON", "reason", 512, 0 },
	{ "COMMAND", "command", 512, 0 },
};

static int
bg_list(struct ctl_ctx *c, int argc, char **argv)
{
	return ctl_admin_list(c, argc, argv,
		"SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object("
		"  'code', b.code, 'kind', b.kind, 'created_at', " CTL_SQL_UTC("b.created_at") ","
		"  'host', b.host, 'requester', b.requester, 'target_user', b.target_user,"
		"  'review', b.review, 'reason', b.reason, 'command', b.command,"
		"  'reviewed_by', b.reviewed_by, 'review_comment', b.review_comment)"
		"  ORDER BY b.created_at), '[]')"
		"  FROM approval.report_breakglass b WHERE b.review = 'needs review'",
		bg_cols, sizeof(bg_cols) / sizeof(bg_cols[0]),
		"no break-glass elevation needs review");
}

static const struct option close_opts[] = {
	{ "approver", required_argument, NULL, 'a' },
	{ "comment", required_argument, NULL, 'm' },
	{ NULL, 0, NULL, 0 },
};

static int
bg_close(struct ctl_ctx *c, int argc, char **argv)
{
	const char *approver = NULL, *comment = NULL, *params[3];
	PGresult *r = NULL;
	int o, rc;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'a': approver = optarg; break;
		case 'm': comment = optarg; break;
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1)
		return ctl_usage_error(c, "expected the request's CODE");
	if (!approver || !comment || !*comment)
		return ctl_usage_error(c, "--approver LOGIN and --comment TEXT are needed");
	params[0] = argv[optind];
	params[1] = approver;
	params[2] = comment;
	/* an offline code's id (BG-XXXXXXXX) or a request's code */
	rc = ctl_db_query(c, c->path,
		"INSERT INTO approval.breakglass_offline_reviews (code_id, approver_id, comment)"
		" SELECT u.code_id, a.id, $3 FROM approval.breakglass_offline_uses u,"
		" approval.approvers a"
		" WHERE u.code_id = pg_catalog.upper($1) AND a.login = $2"
		" ON CONFLICT (code_id) DO NOTHING RETURNING code_id",
		3, params, &r);
	if (rc == CTL_OK && PQntuples(r) == 0) {
		PQclear(r);
		r = NULL;
		rc = ctl_db_query(c, c->path,
			"INSERT INTO approval.breakglass_reviews (request_id, approver_id, comment)"
			" SELECT r.id, a.id, $3 FROM approval.requests r, approval.approvers a"
			" WHERE r.code = pg_catalog.upper($1) AND a.login = $2"
			" ON CONFLICT (request_id) DO NOTHING RETURNING request_id",
			3, params, &r);
	}
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) == 1) {
		printf("break-glass %s closed by %s\n", params[0], approver);
	} else {
		ctl_err("%s: no such request or approver, or already closed", c->path);
		rc = CTL_REFUSED;
	}
	PQclear(r);
	return rc;
}

static const struct option issue_opts[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "file", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

struct issued {
	char code[APPROVE_BG_CODE_SHOWN + 1];
	char id[APPROVE_BG_ID_LEN + 1];
};

/* The ids as a PostgreSQL text[] literal ({BG-...,BG-...}: no quoting
 * needed for the id alphabet). */
static int
id_array(const struct issued *is, unsigned long n, struct approve_buf *b)
{
	unsigned long i;
	int r = approve_buf_append(b, "{", 1);

	for (i = 0; r == 0 && i < n; i++)
		r = approve_buf_printf(b, "%s%s", i ? "," : "", is[i].id);
	return r ? r : approve_buf_append(b, "}", 1);
}

static const char *
os_user(char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	const char *sudo = getenv("SUDO_USER");

	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) != 0 || !res)
		snprintf(buf, len, "uid %lu", (unsigned long)getuid());
	else if (sudo && *sudo && strlen(sudo) < 64)
		snprintf(buf, len, "%s (sudo by %s)", res->pw_name, sudo);
	else
		snprintf(buf, len, "%s", res->pw_name);
	return buf;
}

static int
bg_issue(struct ctl_ctx *c, int argc, char **argv)
{
	const char *path = APPROVE_BG_DEFAULT_FILE, *host, *params[3];
	struct approve_bg_handle h = { .dirfd = -1, .fd = -1 };
	struct approve_bg_file *f = NULL;
	struct issued is[APPROVE_BG_ISSUE_MAX];
	struct approve_buf ids;
	unsigned long count = 1, i;
	char err[512], who[160];
	PGresult *r = NULL;
	int o, rc = CTL_FAILURE, e;

	memset(is, 0, sizeof(is));
	approve_buf_init(&ids, 4096);
	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'n':
			if (approve_parse_ulong(optarg, 1, APPROVE_BG_ISSUE_MAX, &count) != 0)
				return ctl_usage_error(c, "--count takes 1..%d",
						       APPROVE_BG_ISSUE_MAX);
			break;
		case 'f': path = optarg; break;
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1)
		return ctl_usage_error(c, "expected the HOST the codes are for");
	host = argv[optind];
	if (path[0] != '/')
		return ctl_usage_error(c, "--file takes an absolute path");
	if (geteuid() != 0) {
		ctl_err("%s: run it as root on the host: the code file is root's", c->path);
		return CTL_REFUSED;
	}
	/* the file first: refuse before registering codes it cannot take */
	e = approve_bg_open(path, 1, approve_now_ms() + ISSUE_LOCK_MS, &h, err, sizeof(err));
	if (e == 0)
		e = approve_bg_read(&h, &f, err, sizeof(err));
	if (e != 0) {
		ctl_err("%s: %s", c->path, err);
		rc = e == -EACCES ? CTL_REFUSED : CTL_FAILURE;
		goto out;
	}
	if (f->n + count > APPROVE_BG_ENTRIES_MAX) {
		ctl_err("%s: %s holds %zu codes; at most %d", c->path, path, f->n,
			APPROVE_BG_ENTRIES_MAX);
		rc = CTL_REFUSED;
		goto out;
	}
	for (i = 0; i < count; i++) {
		struct approve_bg_entry *en = &f->e[f->n++];	/* freed with f */

		if (approve_bg_generate(is[i].code, is[i].id, en->salt, en->hash) != 0) {
			ctl_err("%s: the random generator failed", c->path);
			goto out;
		}
		memcpy(en->id, is[i].id, sizeof(en->id));
		en->issued_at = (long long)time(NULL);
		if (approve_bg_set_text(&en->host, host, APPROVE_BG_TEXT_MAX) != 0)
			goto out;
	}
	if (id_array(is, count, &ids) != 0)
		goto out;
	params[0] = host;
	params[1] = ids.data;
	params[2] = os_user(who, sizeof(who));
	/* on record before the code exists anywhere else */
	rc = ctl_db_query(c, c->path,
		"INSERT INTO approval.breakglass_codes (id, host_id, issued_by_os)"
		" SELECT i, h.id, $3 FROM approval.hosts h, pg_catalog.unnest($2::text[]) i"
		" WHERE h.name = $1 RETURNING id", 3, params, &r);
	if (rc != CTL_OK)
		goto out;
	if ((unsigned long)PQntuples(r) != count) {
		ctl_err("%s: no host named %s", c->path, host);
		rc = CTL_REFUSED;
		goto out;
	}
	e = approve_bg_write(&h, f, err, sizeof(err));
	if (e != 0) {
		ctl_err("%s: %s: %s (the codes are registered but were never stored: "
			"nobody can use them)", c->path, path, err);
		rc = CTL_FAILURE;
		goto out;
	}
	for (i = 0; i < count; i++)
		printf("%s %s\n", is[i].id, is[i].code);
	fflush(stdout);
	fprintf(stderr, "approvalctl: %lu break-glass code%s for %s stored hashed in %s. "
		"Each lets one elevation in while approvald is unreachable; shown "
		"only now: keep %s sealed.\n", count, count == 1 ? "" : "s", host, path,
		count == 1 ? "it" : "them");
	rc = CTL_OK;
out:
	OPENSSL_cleanse(is, sizeof(is));
	PQclear(r);
	approve_buf_release(&ids);
	approve_bg_file_free(f);
	approve_bg_close(&h);
	return rc;
}

static const struct ctl_command bg_issue_cmd = {
	.name = "issue", .synopsis = "HOST [--count N] [--file PATH]",
	.summary = "issue offline break-glass codes for HOST (root on that host)",
	.details = "Options:\n"
		"  --count N    how many codes (1..16, default 1)\n"
		"  --file PATH  the host's code file (default " APPROVE_BG_DEFAULT_FILE ")\n"
		"Each code is registered (audited), stored in the file as a salted hash,\n"
		"and printed once: \"ID CODE\". pam_approve's breakglass=PATH takes it when\n"
		"approvald is provably unreachable; the use is reported later.\n",
	.longopts = issue_opts, .run = bg_issue,
};
static const struct ctl_command bg_list_cmd = {
	.name = "list", .synopsis = "[--json]",
	.summary = "break-glass elevations that need review",
	.details = "Options:\n  --json   print a JSON array instead of a table\n",
	.longopts = ctl_json_opts, .run = bg_list,
};
static const struct ctl_command bg_close_cmd = {
	.name = "close", .synopsis = "CODE|BG-ID --approver LOGIN --comment TEXT",
	.summary = "close the review of a break-glass elevation (not by its requester)",
	.longopts = close_opts, .run = bg_close,
};
static const struct ctl_command *const bg_cmds[] = { &bg_list_cmd, &bg_close_cmd,
	&bg_issue_cmd, NULL };
const struct ctl_command ctl_cmd_breakglass = {
	.name = "breakglass", .synopsis = "list|close|issue",
	.summary = "review break-glass elevations, issue offline codes (admin, database)",
	.sub = bg_cmds,
};
