/* requests.c: owns the SQL of requests and events (see requests.h) and the
 * conversion of their rows to the JSON of docs/api.md. Statements are
 * parameterised and schema-qualified; times leave the database already
 * formatted as ISO 8601 UTC with microseconds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "requests.h"

#define ISO(x) DB_ISO_UTC(x)
#define CODE_TRIES 8
#define REQ_BREAKGLASS_COMMENT "break-glass: let in without an approver; " \
	"on the review list until an approver closes it"
/* the N-of-M refusals of sql/013_policy_groups.sql (with their HINTs) */
#define DB_STATE_ALREADY_APPROVED "P0008"
#define DB_STATE_FORBIDDEN "42501"
#define DB_STATE_IMMUTABLE "P0003"	/* sql/013: not a break-glass request */
#define DB_STATE_CHECK "23514"
/* the last columns status_from_row reads (after decided_by) */
#define STATUS_TAIL(r) ", " ISO(r "decided_at") ", " r "nonce, " APPROVALS(r) \
	", " NOTIFIED(r)
#define STATUS_NCOLS 11	/* extra columns of STATUS_OF_R start here */
/* "slack,teams": the kinds of the sinks a pending request's outbox rows
 * go to (the outbox trigger's, sql/017), else NULL */
#define NOTIFIED(r) "CASE WHEN " r "status = 'pending' THEN (SELECT" \
	" pg_catalog.string_agg(DISTINCT nt.kind, ',' ORDER BY nt.kind)" \
	" FROM approval.notify_targets(" r "notify_kinds) nt) END"
/* "1 of 2" while an N-of-M request collects approvals (sql/013), else NULL */
#define APPROVALS(r) "CASE WHEN " r "approvals_required > 1 THEN (SELECT" \
	" pg_catalog.count(*) FROM approval.approvals p WHERE p.request_id = " r "id)" \
	"::text || ' of ' || " r "approvals_required::text END"
/* decided_by as hosts see it: the approver's login, or the policy's
 * marker (sql/011_policy.sql) when a rule decided */
#define DECIDER(r) "COALESCE(a.login, CASE WHEN " r ".decided_by IS NULL AND " r \
	".status IN ('approved', 'denied') THEN approval.policy_decider() END)"
/* A request's status answer as hosts see it (status_from_row's columns),
 * EXTRA columns after them, from requests r joined to its decider a. */
#define STATUS_OF_R(extra) \
	"SELECT r.id, r.code, r.status, r.digest, " ISO("r.expires_at") "," \
	" r.decision_comment, " DECIDER("r") STATUS_TAIL("r.") extra \
	" FROM approval.requests r" \
	" LEFT JOIN approval.approvers a ON a.id = r.decided_by"

/* ---- helpers ---- */

static const char *
col(const PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

/* NULL column -> JSON null (the short name keeps the field code readable). */
#define add_str approve_json_add_str

static int
add_int(json_object *o, const char *key, const char *s)
{
	json_object *v = NULL;

	if (s && !(v = json_object_new_int64(strtoll(s, NULL, 10))))
		return -ENOMEM;
	return approve_json_add(o, key, v);
}

static int
add_bool(json_object *o, const char *key, const char *s)
{
	return approve_json_add(o, key, json_object_new_boolean(s && strcmp(s, "t") == 0));
}

static char *
dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

/* Row 0 of a result with the columns id, code, status, digest,
 * expires_at, comment, decided_by, decided_at, nonce, approvals, notified
 * -> the status answer given to hosts.
 * 0 or -ENOMEM. */
static int
status_from_row(const PGresult *res, struct approve_status **out)
{
	struct approve_status *st = calloc(1, sizeof(*st));
	int oom = 0;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	snprintf(st->id, sizeof(st->id), "%s", PQgetvalue(res, 0, 0));
	snprintf(st->code, sizeof(st->code), "%s", PQgetvalue(res, 0, 1));
	st->state = approve_state_parse(PQgetvalue(res, 0, 2));
	snprintf(st->digest, sizeof(st->digest), "%s", PQgetvalue(res, 0, 3));
	st->expires_at = dup_or_null(col(res, 0, 4), &oom);
	st->comment = dup_or_null(col(res, 0, 5), &oom);
	st->decided_by = dup_or_null(col(res, 0, 6), &oom);
	st->decided_at = dup_or_null(col(res, 0, 7), &oom);
	st->nonce = dup_or_null(col(res, 0, 8), &oom);
	st->approvals = dup_or_null(col(res, 0, 9), &oom);
	st->notified = dup_or_null(col(res, 0, 10), &oom);
	if (oom) {
		approve_status_free(st);
		return -ENOMEM;
	}
	*out = st;
	return 0;
}

/* Run sql and map a failure to -EIO, logging unexpected errors. */
static int
run(struct db_conn *db, const char *what, const char *sql, int n,
    const char *const *params, PGresult **res)
{
	if (db_exec(db, sql, n, params, res) == 0)
		return 0;
	db_log_error(what, *res);
	return -EIO;
}

/* ---- host side ---- */

static const char insert_sql[] =
	"INSERT INTO approval.requests (code, host_id, hostname, service,"
	" requester, requester_uid, target_user, command, sudo_command, tty,"
	" rhost, cwd, reason, ticket, digest, expires_at,"
	" command_length, command_shown, command_truncated, command_sha256,"
	" sudo_command_length, sudo_command_shown, sudo_command_truncated,"
	" sudo_command_sha256, idempotency_key, nonce,"
	" status, decision_comment, policy_rule_id, policy_version, policy_action,"
	" agent, run_url, commit_ref, prompt, ancestry, loginuid, audit_session,"
	" tty_attached, observed_note, initiator, requester_gives_up_at, approvals_required,"
	" approver_groups, grace_of, decided_by, chat_decisions, requester_groups,"
	" notify_kinds)"
	" VALUES ($1, $2::bigint, $3, $4, $5, $6::bigint, $7, $8, $9, $10, $11,"
	" $12, $13, $14, $15, pg_catalog.now() + LEAST($16::integer,"
	"  $41::integer) * interval '1 second',"
	" $17::bigint, $18::bigint, coalesce($19::boolean, false), $20,"
	" $21::bigint, $22::bigint, coalesce($23::boolean, false), $24, $25, $26,"
	" $27, $28, $29::bigint, $30::bigint, $31,"
	" $32, $33, $34, $35, $36::jsonb, $37::bigint, $38::bigint, $39::boolean, $40,"
	" approval.classify_initiator((SELECT ih.initiator FROM approval.hosts ih"
	"  WHERE ih.id = $2::bigint), $32, $33, $36::jsonb),"
	" pg_catalog.now() + $41::integer * interval '1 second',"
	" $42::integer, COALESCE(pg_catalog.string_to_array($43, ','), '{}'::text[]),"
	" $44::uuid, $45::bigint, $46::boolean, $47, pg_catalog.string_to_array($48, ','))"
	" ON CONFLICT (host_id, idempotency_key) WHERE idempotency_key IS NOT NULL"
	" DO NOTHING"
	" RETURNING id, code, status, digest, " ISO("expires_at") ","
	" decision_comment,"
	" CASE WHEN status <> 'pending' THEN COALESCE((SELECT ga.login"
	"  FROM approval.approvers ga WHERE ga.id = decided_by), approval.policy_decider()) END"
	STATUS_TAIL("");
#define INSERT_NPARAMS 48

/* The four parameters of a reported approve_cmd_full (all NULL when not
 * reported), texts in buf. */
static void
cmd_full_params(const struct approve_cmd_full *f, char buf[2][24],
		const char **params)
{
	if (!f->sha256[0]) {
		params[0] = params[1] = params[2] = params[3] = NULL;
		return;
	}
	snprintf(buf[0], sizeof(buf[0]), "%lld", f->length);
	snprintf(buf[1], sizeof(buf[1]), "%lld", f->shown);
	params[0] = buf[0];
	params[1] = buf[1];
	params[2] = f->truncated ? "true" : "false";
	params[3] = f->sha256;
}

/* The request an earlier create with this key made (its state now). */
static const char by_key_sql[] =
	"SELECT r.id, r.code, r.status, r.digest, " ISO("r.expires_at") ","
	" r.decision_comment, " DECIDER("r") STATUS_TAIL("r.")
	" FROM approval.requests r"
	" LEFT JOIN approval.approvers a ON a.id = r.decided_by"
	" WHERE r.host_id = $1::bigint AND r.idempotency_key = $2";

/* The verdict's status word and action name; NULL for an unknown action
 * (refused: it never becomes a pending or a final request). */
static const char *
verdict_status(const struct policy_verdict *pol)
{
	switch (pol->action) {
	case POLICY_REQUIRE:	return "pending";
	case POLICY_ALLOW:	return "approved";
	case POLICY_BREAKGLASS:	return "approved";
	case POLICY_DENY:	return "denied";
	default:		return NULL;
	}
}

int
req_create(struct db_conn *db, long long host_id, const struct approve_ctx *ctx,
	   const struct policy_verdict *pol, unsigned long ttl,
	   const char *public_url, struct approve_status **out, int *again)
{
	char code[APPROVE_CODE_LEN + 1], digest[APPROVE_HASH_HEX_LEN + 1];
	char host[24], uid[24], ttls[24], url[APPROVE_LEN_URL + 1];
	char rule_id[24], version[24], nreq[24], gby[24];
	char full[2][2][24], luid[24], asess[24], rtmo[24], *ancestry = NULL;
	const char *params[INSERT_NPARAMS];
	struct approve_status *st = NULL;
	PGresult *res = NULL;
	int r = -EIO, tries;

	*out = NULL;
	*again = 0;
	if (approve_ctx_digest(ctx, digest) < 0)
		return -EIO;
	snprintf(host, sizeof(host), "%lld", host_id);
	snprintf(uid, sizeof(uid), "%lld", ctx->uid);
	snprintf(ttls, sizeof(ttls), "%lu", ttl);
	params[0] = code;
	params[1] = host;
	params[2] = ctx->hostname;
	params[3] = ctx->service;
	params[4] = ctx->user;
	params[5] = uid;
	params[6] = ctx->target_user;
	params[7] = ctx->command;
	params[8] = ctx->sudo_command;
	params[9] = ctx->tty;
	params[10] = ctx->rhost;
	params[11] = ctx->cwd;
	params[12] = ctx->reason;
	params[13] = ctx->ticket;
	params[14] = digest;
	params[15] = ttls;
	cmd_full_params(&ctx->command_full, full[0], params + 16);
	cmd_full_params(&ctx->sudo_command_full, full[1], params + 20);
	params[24] = ctx->idempotency_key;
	params[25] = ctx->nonce;
	params[26] = verdict_status(pol);
	if (!params[26])
		return -EINVAL;
	params[27] = pol->action == POLICY_DENY ? pol->message :
		     pol->action == POLICY_BREAKGLASS ? REQ_BREAKGLASS_COMMENT : NULL;
	snprintf(rule_id, sizeof(rule_id), "%lld", pol->rule_id);
	snprintf(version, sizeof(version), "%lld", pol->version);
	params[28] = pol->rule_id ? rule_id : NULL;
	params[29] = version;
	params[30] = policy_action_name(pol->action);
	if (approve_ctx_ancestry_json(ctx, &ancestry) < 0)
		return -ENOMEM;
	snprintf(luid, sizeof(luid), "%lld", ctx->loginuid);
	snprintf(asess, sizeof(asess), "%lld", ctx->audit_session);
	params[31] = ctx->agent;
	params[32] = ctx->run_url;
	params[33] = ctx->commit;
	params[34] = ctx->prompt;
	params[35] = ancestry;
	params[36] = ctx->has_loginuid ? luid : NULL;
	params[37] = ctx->has_audit_session ? asess : NULL;
	params[38] = !ctx->has_tty_attached ? NULL : ctx->tty_attached ? "true" : "false";
	params[39] = ctx->observed_note;
	/* expires at the earlier of request_ttl and the module's own wait */
	snprintf(rtmo, sizeof(rtmo), "%lld", ctx->requester_timeout);
	params[40] = ctx->requester_timeout > 0 ? rtmo : NULL;
	snprintf(nreq, sizeof(nreq), "%u", pol->action == POLICY_REQUIRE && pol->approvals ?
		 pol->approvals : 1);
	params[41] = nreq;
	params[42] = pol->action == POLICY_REQUIRE ? pol->groups : NULL;
	/* a grace window's reuse is approved at insert (sql/013 checks it) */
	snprintf(gby, sizeof(gby), "%lld", pol->grace_by);
	params[43] = pol->action == POLICY_REQUIRE && pol->grace_of[0] ? pol->grace_of : NULL;
	params[44] = params[43] ? gby : NULL;
	if (params[43])
		params[26] = "approved";
	params[45] = pol->chat_no ? "false" : "true";
	params[46] = ctx->groups;
	/* notify=: "" (none) is an empty array, NULL every sink */
	params[47] = (pol->action != POLICY_REQUIRE && pol->action != POLICY_BREAKGLASS) ||
		     !pol->notify ? NULL :
		     strcmp(pol->notify, "none") == 0 ? "" : pol->notify;
	for (tries = 0; tries < CODE_TRIES; tries++) {
		if (approve_code_generate(code) < 0)
			goto out;
		PQclear(res);
		res = NULL;
		if (db_exec(db, insert_sql, INSERT_NPARAMS, params, &res) == 0)
			break;
		if (!db_error_is(res, "23505", NULL)) {
			db_log_error("create request", res);
			goto out;
		}
		/* code collision (the only unique column we choose): again */
	}
	if (tries == CODE_TRIES) {
		approve_log(LOG_ERR, "create request: no free code after %d tries",
			    CODE_TRIES);
		goto out;
	}
	if (PQntuples(res) == 0) {	/* this key made a request before */
		const char *kp[2] = { host, ctx->idempotency_key };

		PQclear(res);
		res = NULL;
		r = run(db, "create request again", by_key_sql, 2, kp, &res);
		if (r < 0)
			goto out;
		r = -EEXIST;
		if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 3), digest) != 0)
			goto out;	/* the same key for another elevation */
		*again = 1;
	}
	r = status_from_row(res, &st);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	if (snprintf(url, sizeof(url), "%s/r/%s", public_url, st->code) < (int)sizeof(url) &&
	    !(st->url = strdup(url)))
		goto out;
	*out = st;
	st = NULL;
	r = 0;
out:
	free(ancestry);
	approve_status_free(st);
	PQclear(res);
	return r;
}

int
req_create_limit(struct db_conn *db, long long host_id, const char *idem_key,
		 unsigned long limit, unsigned long window, unsigned long *retry)
{
	/* the newest `limit` of this host's requests that waited for a person
	 * within the window; a repeated create (known key) is always let by */
	static const char sql[] =
		"WITH recent AS (SELECT q.created_at FROM approval.requests q"
		"  WHERE q.host_id = $1::bigint"
		"  AND q.created_at > pg_catalog.now() - $4::integer * interval '1 second'"
		"  AND COALESCE(q.policy_action, 'require') = 'require'"
		"  ORDER BY q.created_at DESC LIMIT $3::integer)"
		" SELECT EXISTS (SELECT 1 FROM approval.requests k WHERE k.host_id = $1::bigint"
		"  AND k.idempotency_key = $2),"
		" (SELECT pg_catalog.count(*) FROM recent),"
		" GREATEST(1, pg_catalog.ceil(pg_catalog.date_part('epoch',"
		"  (SELECT pg_catalog.min(created_at) FROM recent)"
		"  + $4::integer * interval '1 second' - pg_catalog.now())))::bigint";
	char host[24], lim[24], win[24];
	const char *params[4] = { host, idem_key, lim, win };
	PGresult *res = NULL;
	int r;

	*retry = 0;
	snprintf(host, sizeof(host), "%lld", host_id);
	snprintf(lim, sizeof(lim), "%lu", limit);
	snprintf(win, sizeof(win), "%lu", window);
	r = run(db, "create limit", sql, 4, params, &res);
	if (r < 0)
		goto out;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0 &&
	    strtoul(PQgetvalue(res, 0, 1), NULL, 10) >= limit) {
		*retry = PQgetisnull(res, 0, 2) ? window
						: strtoul(PQgetvalue(res, 0, 2), NULL, 10);
		r = -EBUSY;
	}
out:
	PQclear(res);
	return r;
}

int
req_grace_find(struct db_conn *db, long long host_id, const struct approve_ctx *ctx,
	       long grace_s, char id[APPROVE_UUID_LEN + 1], long long *by)
{
	static const char sql[] =
		"SELECT o.id, o.decided_by FROM approval.requests o"
		" WHERE o.host_id = $1::bigint AND o.requester = $2 AND o.target_user = $3"
		" AND o.service = $4 AND o.command = $5"
		" AND o.command_sha256 IS NOT DISTINCT FROM $6"
		" AND o.command_length IS NOT DISTINCT FROM $7::bigint"
		" AND o.sudo_command IS NOT DISTINCT FROM $8"
		" AND o.sudo_command_sha256 IS NOT DISTINCT FROM $9"
		" AND o.cwd IS NOT DISTINCT FROM $10"
		" AND o.status = 'approved' AND o.decided_by IS NOT NULL AND o.grace_of IS NULL"
		" AND o.decided_at >= pg_catalog.now() - $11::integer * interval '1 second'"
		" ORDER BY o.decided_at DESC LIMIT 1";
	char host[24], g[24], len[24];
	const char *params[11] = {
		host, ctx->user, ctx->target_user, ctx->service, ctx->command,
		ctx->command_full.sha256[0] ? ctx->command_full.sha256 : NULL,
		ctx->command_full.sha256[0] ? len : NULL, ctx->sudo_command,
		ctx->sudo_command_full.sha256[0] ? ctx->sudo_command_full.sha256 : NULL,
		ctx->cwd, g,
	};
	PGresult *res = NULL;
	int r;

	snprintf(host, sizeof(host), "%lld", host_id);
	snprintf(g, sizeof(g), "%ld", grace_s);
	snprintf(len, sizeof(len), "%lld", ctx->command_full.length);
	r = run(db, "grace window", sql, 11, params, &res);
	if (r == 0 && PQntuples(res) != 1)
		r = -ENOENT;
	if (r == 0) {
		snprintf(id, APPROVE_UUID_LEN + 1, "%s", PQgetvalue(res, 0, 0));
		*by = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	}
	PQclear(res);
	return r;
}

int
req_expire_overdue(struct db_conn *db, const char *id)
{
	static const char sql[] =
		"UPDATE approval.requests SET status = 'expired'"
		" WHERE id = $1::uuid AND status = 'pending'"
		" AND expires_at <= pg_catalog.now()";
	const char *params[1] = { id };
	PGresult *res = NULL;
	int r = run(db, "expire request", sql, 1, params, &res);

	PQclear(res);
	return r;
}

static const char host_status_sql[] =
	STATUS_OF_R(", r.status = 'pending' AND r.expires_at <= pg_catalog.now()")
	" WHERE r.id = $1::uuid AND r.host_id = $2::bigint";

int
req_host_status(struct db_conn *db, const char *id, long long host_id,
		struct approve_status **out)
{
	char host[24];
	const char *params[2] = { id, host };
	struct approve_status *st = NULL;
	PGresult *res = NULL;
	int r, pass;

	*out = NULL;
	snprintf(host, sizeof(host), "%lld", host_id);
	for (pass = 0; pass < 2; pass++) {
		PQclear(res);
		res = NULL;
		r = run(db, "request status", host_status_sql, 2, params, &res);
		if (r < 0)
			goto out;
		r = -ENOENT;
		if (PQntuples(res) != 1)
			goto out;
		if (pass == 1 || strcmp(PQgetvalue(res, 0, STATUS_NCOLS), "t") != 0)
			break;
		r = req_expire_overdue(db, id);	/* TTL passed: expire, read again */
		if (r < 0)
			goto out;
	}
	r = status_from_row(res, &st);
	if (r < 0)
		goto out;
	*out = st;
	st = NULL;
	r = 0;
out:
	approve_status_free(st);
	PQclear(res);
	return r;
}

int
req_chat_decisions(struct db_conn *db, const char *id)
{
	static const char sql[] =
		"SELECT r.chat_decisions FROM approval.requests r WHERE r.id = $1::uuid";
	const char *params[1] = { id };
	PGresult *res = NULL;
	int r;

	r = run(db, "chat decisions", sql, 1, params, &res);
	if (r == 0)
		r = PQntuples(res) != 1 ? -ENOENT : strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return r;
}

int
req_status(struct db_conn *db, const char *id, struct approve_status **out)
{
	static const char sql[] = STATUS_OF_R("") " WHERE r.id = $1::uuid";
	const char *params[1] = { id };
	PGresult *res = NULL;
	int r;

	*out = NULL;
	r = run(db, "request status", sql, 1, params, &res);
	if (r == 0)
		r = PQntuples(res) == 1 ? status_from_row(res, out) : -ENOENT;
	PQclear(res);
	return r;
}

int
req_host_cancel(struct db_conn *db, const char *id, long long host_id,
		const char *reason)
{
	static const char sql[] =
		"UPDATE approval.requests SET status = 'cancelled', cancel_reason = $3"
		" WHERE id = $1::uuid AND host_id = $2::bigint AND status = 'pending'"
		" RETURNING id";
	static const char exists_sql[] =
		"SELECT 1 FROM approval.requests WHERE id = $1::uuid AND host_id = $2::bigint";
	char host[24];
	const char *params[3] = { id, host, reason };
	PGresult *res = NULL;
	int r;

	snprintf(host, sizeof(host), "%lld", host_id);
	r = req_expire_overdue(db, id);
	if (r < 0)
		return r;
	if (db_exec(db, sql, 3, params, &res) < 0) {
		r = -EALREADY;
		if (!db_error_is(res, DB_STATE_FINAL, NULL)) {
			db_log_error("cancel request", res);
			r = -EIO;
		}
		goto out;
	}
	if (PQntuples(res) == 1) {
		r = 0;
		goto out;
	}
	PQclear(res);
	res = NULL;
	r = run(db, "cancel request", exists_sql, 2, params, &res);
	if (r == 0)
		r = PQntuples(res) == 1 ? -EALREADY : -ENOENT;
out:
	PQclear(res);
	return r;
}

/* ---- approver side ---- */

int
req_resolve(struct db_conn *db, const char *s, char id[APPROVE_UUID_LEN + 1],
	    char code[APPROVE_CODE_LEN + 1])
{
	static const char by_id[] =
		"SELECT id, code FROM approval.requests WHERE id = $1::uuid";
	static const char by_code[] =
		"SELECT id, code FROM approval.requests WHERE code = $1";
	char key[APPROVE_UUID_LEN + 1];
	const char *params[1] = { key };
	const char *sql;
	PGresult *res = NULL;
	int r;

	if (approve_uuid_normalize(s, strlen(s), key) == 0) {
		sql = by_id;
	} else if (approve_code_normalize(s, key) == 0) {
		sql = by_code;
	} else {
		return -EINVAL;
	}
	r = run(db, "find request", sql, 1, params, &res);
	if (r < 0)
		goto out;
	r = -ENOENT;
	if (PQntuples(res) != 1)
		goto out;
	snprintf(id, APPROVE_UUID_LEN + 1, "%s", PQgetvalue(res, 0, 0));
	if (code)
		snprintf(code, APPROVE_CODE_LEN + 1, "%s", PQgetvalue(res, 0, 1));
	r = 0;
out:
	PQclear(res);
	return r;
}

static void
record_self_approval(struct db_conn *db, const char *id, const char *login,
		     const char *what)
{
	/* The event row is evidence (report_self_approval_attempts); the
	 * notification lets event watchers see it at once. */
	static const char sql[] =
		"SELECT approval.record_self_approval_attempt($1::uuid, $2, $3),"
		" pg_catalog.pg_notify('approval_events', $4)";
	char payload[APPROVE_UUID_LEN + 16];
	const char *params[4] = { id, login, what, payload };
	PGresult *res = NULL;

	snprintf(payload, sizeof(payload), "%s pending", id);
	if (run(db, "record self-approval attempt", sql, 4, params, &res) < 0)
		approve_log(LOG_ERR, "request %s: self-approval attempt by %s "
			    "not recorded", id, login);
	PQclear(res);
}

int
req_decide(struct db_conn *db, const char *id, enum approve_state decision,
	   long long approver_id, const char *login, const char *comment)
{
	static const char sql[] =
		"UPDATE approval.requests SET status = $2, decided_by = $3::bigint,"
		" decision_comment = $4"
		" WHERE id = $1::uuid AND status = 'pending' RETURNING status";
	const char *word = approve_state_name(decision);
	char who[24];
	const char *params[4] = { id, word, who, comment };
	PGresult *res = NULL;
	int r;

	if (decision != APPROVE_APPROVED && decision != APPROVE_DENIED)
		return -EINVAL;
	snprintf(who, sizeof(who), "%lld", approver_id);
	r = req_expire_overdue(db, id);
	if (r < 0)
		return r;
	if (db_exec(db, sql, 4, params, &res) < 0) {
		if (db_error_is(res, DB_STATE_SELF_APPROVAL, "self_approval")) {
			PQclear(res);
			res = NULL;
			record_self_approval(db, id, login,
					     decision == APPROVE_APPROVED ? "approve" : "deny");
			r = -EPERM;
		} else if (db_error_is(res, DB_STATE_FINAL, NULL)) {
			r = -EALREADY;
		} else if (db_error_is(res, DB_STATE_ALREADY_APPROVED, "already_approved")) {
			r = -EEXIST;
		} else if (db_error_is(res, DB_STATE_FORBIDDEN, "not_in_group")) {
			r = -EACCES;
		} else {
			db_log_error("decide request", res);
			r = -EIO;
		}
		goto out;
	}
	r = PQntuples(res) != 1 ? -EALREADY :
	    strcmp(PQgetvalue(res, 0, 0), "pending") == 0 ? 1 : 0;
out:
	PQclear(res);
	return r;
}

/* What a refused review insert means: the database refuses the
 * requester (-EPERM, HINT self_approval), a caller who may not decide
 * (-EACCES, HINT forbidden), a request that was not break-glass
 * (-ENOTSUP) and a blank comment (-EINVAL); anything else is logged
 * here (-EIO). */
static int
review_refused(const PGresult *res)
{
	if (db_error_is(res, DB_STATE_SELF_APPROVAL, "self_approval"))
		return -EPERM;
	if (db_error_is(res, DB_STATE_IMMUTABLE, NULL))
		return -ENOTSUP;
	if (db_error_is(res, DB_STATE_CHECK, NULL))
		return -EINVAL;
	if (db_error_is(res, DB_STATE_FORBIDDEN, NULL))
		return -EACCES;
	db_log_error("review break-glass", res);
	return -EIO;
}

/* Close the review of a break-glass request (sql/013): 0, -EALREADY
 * (closed before) or review_refused()'s. */
int
req_review(struct db_conn *db, const char *id, long long approver_id, const char *comment)
{
	static const char sql[] =
		"INSERT INTO approval.breakglass_reviews (request_id, approver_id, comment)"
		" VALUES ($1::uuid, $2::bigint, $3)"
		" ON CONFLICT (request_id) DO NOTHING RETURNING request_id";
	char who[24];
	const char *params[3] = { id, who, comment };
	PGresult *res = NULL;
	int r;

	snprintf(who, sizeof(who), "%lld", approver_id);
	if (db_exec(db, sql, 3, params, &res) < 0)
		r = review_refused(res);
	else
		r = PQntuples(res) == 1 ? 0 : -EALREADY;
	PQclear(res);
	return r;
}

int
req_review_offline(struct db_conn *db, const char *code_id, long long approver_id,
		   const char *comment)
{
	static const char sql[] =
		"WITH u AS (SELECT x.code_id FROM approval.breakglass_offline_uses x"
		"  WHERE x.code_id = $1),"
		" i AS (INSERT INTO approval.breakglass_offline_reviews (code_id, approver_id, comment)"
		"  SELECT u.code_id, $2::bigint, $3 FROM u"
		"  ON CONFLICT (code_id) DO NOTHING RETURNING code_id)"
		" SELECT (SELECT pg_catalog.count(*) FROM u), (SELECT pg_catalog.count(*) FROM i)";
	char who[24];
	const char *params[3] = { code_id, who, comment };
	PGresult *res = NULL;
	int r;

	snprintf(who, sizeof(who), "%lld", approver_id);
	if (db_exec(db, sql, 3, params, &res) < 0)
		r = review_refused(res);
	else if (PQntuples(res) != 1)
		r = -EIO;
	else
		r = strcmp(PQgetvalue(res, 0, 0), "0") == 0 ? -ENOENT :
		    strcmp(PQgetvalue(res, 0, 1), "0") == 0 ? -EALREADY : 0;
	PQclear(res);
	return r;
}

/* Columns of the detail object, in the order of detail_cols below. */
enum dtype { D_STR, D_INT, D_BOOL, D_BOOLN, D_JSON };
static const struct {
	const char *name;
	enum dtype type;
} detail_fields[] = {
	{ "id", D_STR }, { "code", D_STR }, { "status", D_STR }, { "host", D_STR },
	{ "hostname", D_STR }, { "service", D_STR }, { "user", D_STR },
	{ "uid", D_INT }, { "target_user", D_STR }, { "command", D_STR },
	{ "sudo_command", D_STR }, { "tty", D_STR }, { "rhost", D_STR },
	{ "cwd", D_STR }, { "reason", D_STR }, { "ticket", D_STR },
	{ "digest", D_STR }, { "created_at", D_STR }, { "expires_at", D_STR },
	{ "decided_at", D_STR }, { "decided_by", D_STR }, { "comment", D_STR },
	{ "self", D_BOOL },
	{ "command_length", D_INT }, { "command_shown", D_INT },
	{ "command_truncated", D_BOOL }, { "command_sha256", D_STR },
	{ "sudo_command_length", D_INT }, { "sudo_command_shown", D_INT },
	{ "sudo_command_truncated", D_BOOL }, { "sudo_command_sha256", D_STR },
	{ "signed_by_key", D_STR },
	{ "initiator", D_STR }, { "agent", D_STR }, { "run_url", D_STR },
	{ "commit", D_STR }, { "prompt", D_STR }, { "ancestry", D_JSON },
	{ "loginuid", D_INT }, { "audit_session", D_INT },
	{ "tty_attached", D_BOOLN }, { "observed_note", D_STR },
	{ "requester_gives_up_at", D_STR }, { "cancel_reason", D_STR },
	{ "breakglass", D_JSON },
	{ "policy_rule_id", D_INT }, { "policy_action", D_STR }, { "policy_rule", D_STR },
	{ "approvals_required", D_INT }, { "approver_groups", D_STR }, { "quorum", D_STR },
	{ "grace_of", D_STR }, { "chat_decisions", D_BOOL }, { "requester_groups", D_STR },
};
#define NDETAIL (int)(sizeof(detail_fields) / sizeof(detail_fields[0]))

/* $1 is always the calling approver's id (for "self", by the rule of
 * sql/015_approver_pressure.sql: names compared by approval.name_key). */
#define DETAIL_COLS \
	"SELECT r.id, r.code, r.status, h.name, r.hostname, r.service," \
	" r.requester, r.requester_uid, r.target_user, r.command, r.sudo_command," \
	" r.tty, r.rhost, r.cwd, r.reason, r.ticket, r.digest, " \
	ISO("r.created_at") ", " ISO("r.expires_at") ", " ISO("r.decided_at") "," \
	" " DECIDER("r") ", r.decision_comment," \
	" approval.is_self($1::bigint, r.requester)," \
	" r.command_length, r.command_shown, r.command_truncated, r.command_sha256," \
	" r.sudo_command_length, r.sudo_command_shown, r.sudo_command_truncated," \
	" r.sudo_command_sha256," \
	" (SELECT c.key_id FROM approval.receipts c WHERE c.request_id = r.id)," \
	" r.initiator, r.agent, r.run_url, r.commit_ref, r.prompt, r.ancestry," \
	" r.loginuid, r.audit_session, r.tty_attached, r.observed_note," \
	" " ISO("r.requester_gives_up_at") ", r.cancel_reason," \
	" CASE WHEN r.policy_action = 'breakglass' THEN COALESCE((SELECT" \
	"  pg_catalog.jsonb_build_object('review', 'closed', 'reviewed_by', va.login," \
	"  'reviewed_at', " ISO("v.at") ", 'comment', v.comment)" \
	"  FROM approval.breakglass_reviews v JOIN approval.approvers va ON va.id = v.approver_id" \
	"  WHERE v.request_id = r.id), '{\"review\": \"needs review\"}'::jsonb) END," \
	" r.policy_rule_id, r.policy_action," \
	" CASE WHEN r.policy_action IS NULL THEN NULL WHEN r.policy_rule_id IS NULL" \
	"  THEN 'default' ELSE (SELECT p.rule FROM approval.policy_rules p" \
	"  WHERE p.id = r.policy_rule_id) END," \
	" r.approvals_required, NULLIF(pg_catalog.array_to_string(r.approver_groups, ','), '')," \
	" approval.quorum_text(r.id)," \
	" (SELECT g.code FROM approval.requests g WHERE g.id = r.grace_of), r.chat_decisions," \
	" r.requester_groups"
#define DETAIL_FROM \
	" FROM approval.requests r JOIN approval.hosts h ON h.id = r.host_id" \
	" LEFT JOIN approval.approvers a ON a.id = r.decided_by"
#define DETAIL_SELECT DETAIL_COLS DETAIL_FROM

static json_object *
row_to_detail(const PGresult *res, int row, const char *public_url)
{
	json_object *o = json_object_new_object();
	char url[APPROVE_LEN_URL + 1];
	int i, rc = 0;

	if (!o)
		return NULL;
	for (i = 0; i < NDETAIL && rc == 0; i++) {
		const char *v = col(res, row, i);

		switch (detail_fields[i].type) {
		case D_STR: rc = add_str(o, detail_fields[i].name, v); break;
		case D_INT: rc = add_int(o, detail_fields[i].name, v); break;
		case D_BOOL: rc = add_bool(o, detail_fields[i].name, v); break;
		case D_BOOLN:
			rc = v ? add_bool(o, detail_fields[i].name, v) :
				 approve_json_add(o, detail_fields[i].name, NULL);
			break;
		case D_JSON:	/* jsonb the module's observation wrote */
			rc = approve_json_add(o, detail_fields[i].name,
				 v ? json_tokener_parse(v) : NULL);
			break;
		}
	}
	if (rc == 0) {
		if (snprintf(url, sizeof(url), "%s/r/%s", public_url,
			     PQgetvalue(res, row, 1)) < (int)sizeof(url))
			rc = add_str(o, "url", url);
		else
			rc = add_str(o, "url", NULL);
	}
	if (rc < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
request_events(struct db_conn *db, const char *id, json_object **out)
{
	static const char sql[] =
		"SELECT e.id, " ISO("e.at") ", e.kind, e.actor, e.detail,"
		" e.actor_kind, e.cancel_reason"
		" FROM approval.request_events e WHERE e.request_id = $1::uuid"
		" ORDER BY e.id";
	const char *params[1] = { id };
	PGresult *res = NULL;
	json_object *arr = NULL, *e;
	int r, i, n;

	*out = NULL;
	r = run(db, "request events", sql, 1, params, &res);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	arr = json_object_new_array();
	if (!arr)
		goto out;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		e = json_object_new_object();
		if (!e || json_object_array_add(arr, e) != 0) {
			json_object_put(e);
			goto out;
		}
		if (add_int(e, "id", col(res, i, 0)) < 0 ||
		    add_str(e, "at", col(res, i, 1)) < 0 ||
		    add_str(e, "kind", col(res, i, 2)) < 0 ||
		    add_str(e, "actor", col(res, i, 3)) < 0 ||
		    add_str(e, "detail", col(res, i, 4)) < 0 ||
		    add_str(e, "actor_kind", col(res, i, 5)) < 0 ||
		    add_str(e, "cancel_reason", col(res, i, 6)) < 0)
			goto out;
	}
	*out = arr;
	arr = NULL;
	r = 0;
out:
	json_object_put(arr);
	PQclear(res);
	return r;
}

int
req_detail(struct db_conn *db, const char *id, long long approver_id,
	   const char *public_url, json_object **out)
{
	static const char sql[] = DETAIL_SELECT " WHERE r.id = $2::uuid";
	char who[24];
	const char *params[2] = { who, id };
	PGresult *res = NULL;
	json_object *o = NULL, *events = NULL;
	int r;

	*out = NULL;
	snprintf(who, sizeof(who), "%lld", approver_id);
	r = req_expire_overdue(db, id);
	if (r < 0)
		return r;
	r = run(db, "request detail", sql, 2, params, &res);
	if (r < 0)
		goto out;
	r = -ENOENT;
	if (PQntuples(res) != 1)
		goto out;
	r = request_events(db, id, &events);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	o = row_to_detail(res, 0, public_url);
	if (!o || approve_json_add(o, "events", events) < 0)
		goto out;
	events = NULL;
	*out = o;
	o = NULL;
	r = 0;
out:
	json_object_put(events);
	json_object_put(o);
	PQclear(res);
	return r;
}

/* The filters of GET /v1/requests, $2..$14 of every list statement
 * ($1 is the approver, $4 the limit, $13 the offset). */
#define LIST_WHERE \
	" WHERE ($2::text IS NULL OR r.status = $2::text" \
	"  OR ($2::text = 'final' AND r.status <> 'pending'))" \
	" AND ($3::timestamptz IS NULL OR r.created_at < $3::timestamptz)" \
	" AND ($5::timestamptz IS NULL OR r.created_at >= $5::timestamptz)" \
	" AND ($6::timestamptz IS NULL OR r.created_at < $6::timestamptz)" \
	" AND ($7::text IS NULL OR h.name = $7::text OR r.hostname = $7::text)" \
	" AND ($8::text IS NULL OR r.requester = $8::text)" \
	" AND ($9::text IS NULL OR a.login = $9::text)" \
	" AND ($10::text IS NULL OR r.initiator = $10::text)" \
	" AND ($11::text IS NULL OR r.service = $11::text)" \
	" AND ($12::text IS NULL" \
	"  OR pg_catalog.strpos(pg_catalog.lower(r.command), pg_catalog.lower($12::text)) > 0" \
	"  OR pg_catalog.strpos(pg_catalog.lower(r.sudo_command), pg_catalog.lower($12::text)) > 0)"
/* Orders of the plain list (index-friendly) and of the grouped one, whose
 * columns are the subquery's aliases. */
#define ORDER_NEWEST " ORDER BY r.created_at DESC, r.id DESC"
#define ORDER_OLDEST " ORDER BY r.created_at, r.id"
#define ORDER_EXPIRES " ORDER BY r.expires_at, r.created_at, r.id"
#define PAGE " LIMIT $4::integer OFFSET $13::integer"
#define PLAIN(order) DETAIL_SELECT LIST_WHERE order PAGE
/* Identical requests (same requester, host, target and command digest, or
 * the command text when the module sent no digest) are one group; the
 * member with the least time left stands for it. Totals: groups matching,
 * requests in them. */
#define GROUPED(order) \
	"SELECT *, pg_catalog.count(*) OVER ()," \
	" pg_catalog.sum(CASE WHEN x.g_rn = 1 THEN x.g_n ELSE 0 END) OVER ()" \
	" FROM (" DETAIL_COLS ", r.created_at AS s_created, r.expires_at AS s_expires," \
	" r.id AS s_id, pg_catalog.count(*) OVER w AS g_n," \
	" pg_catalog.row_number() OVER (w ORDER BY r.expires_at, r.created_at, r.id) AS g_rn" \
	DETAIL_FROM LIST_WHERE \
	" WINDOW w AS (PARTITION BY r.requester, r.host_id, r.target_user," \
	"  COALESCE(r.command_sha256, r.command)," \
	"  COALESCE(r.sudo_command_sha256, r.sudo_command))) x" \
	" WHERE x.g_rn = 1 OR NOT $14::boolean" order PAGE
#define G_NEWEST " ORDER BY x.s_created DESC, x.s_id DESC"
#define G_OLDEST " ORDER BY x.s_created, x.s_id"
#define G_EXPIRES " ORDER BY x.s_expires, x.s_created, x.s_id"
/* Columns after the detail ones in GROUPED: s_created, s_expires, s_id,
 * g_n, g_rn, groups total, requests total. */
#define G_COUNT (NDETAIL + 3)
#define G_TOTAL (NDETAIL + 5)
#define G_REQUESTS (NDETAIL + 6)

int
req_list(struct db_conn *db, long long approver_id, const struct req_filter *f,
	 unsigned long limit, unsigned long offset, const char *public_url,
	 json_object **out)
{
	static const char *const plain[] = {
		[REQ_SORT_NEWEST] = PLAIN(ORDER_NEWEST),
		[REQ_SORT_OLDEST] = PLAIN(ORDER_OLDEST),
		[REQ_SORT_EXPIRES] = PLAIN(ORDER_EXPIRES),
	};
	static const char *const grouped[] = {
		[REQ_SORT_NEWEST] = GROUPED(G_NEWEST),
		[REQ_SORT_OLDEST] = GROUPED(G_OLDEST),
		[REQ_SORT_EXPIRES] = GROUPED(G_EXPIRES),
	};
	char who[24], lim[24], off[24];
	const char *params[14] = { who, f->status, f->before, lim, f->from, f->to,
				   f->host, f->requester, f->approver, f->initiator,
				   f->service, f->text, off, f->group ? "true" : "false" };
	int windowed = f->group || f->totals;
	PGresult *res = NULL;
	json_object *o = NULL, *arr = NULL, *d;
	const char *state;
	int r, i, n;

	*out = NULL;
	switch (f->sort) {
	case REQ_SORT_NEWEST:
	case REQ_SORT_OLDEST:
	case REQ_SORT_EXPIRES:
		break;
	default:
		return -EINVAL;
	}
	snprintf(who, sizeof(who), "%lld", approver_id);
	snprintf(lim, sizeof(lim), "%lu", limit);
	snprintf(off, sizeof(off), "%lu", offset);
	if (db_exec(db, windowed ? grouped[f->sort] : plain[f->sort],
		    windowed ? 14 : 13, params, &res) < 0) {
		state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		if (state && strncmp(state, "22", 2) == 0) {
			r = -EINVAL;	/* before/from/to is not a time */
		} else {
			db_log_error("list requests", res);
			r = -EIO;
		}
		goto out;
	}
	r = -ENOMEM;
	o = json_object_new_object();
	arr = json_object_new_array();
	if (!o || !arr)
		goto out;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		d = row_to_detail(res, i, public_url);
		if (!d || json_object_array_add(arr, d) != 0) {
			json_object_put(d);
			goto out;
		}
		if (f->group && add_int(d, "group_count", col(res, i, G_COUNT)) < 0)
			goto out;
	}
	if (approve_json_add(o, "requests", arr) < 0) {
		arr = NULL;
		goto out;
	}
	arr = NULL;
	/* no row past the end of the list: the totals are not known then */
	if (windowed && (add_int(o, "total", n ? col(res, 0, G_TOTAL) : NULL) < 0 ||
			 add_int(o, "total_requests", n ? col(res, 0, G_REQUESTS) : NULL) < 0))
		goto out;
	*out = o;
	o = NULL;
	r = 0;
out:
	json_object_put(arr);
	json_object_put(o);
	PQclear(res);
	return r;
}

/* ---- events ---- */

int
events_max(struct db_conn *db, long long *max)
{
	static const char sql[] =
		"SELECT c.last_id FROM approval.audit_chain c";
	PGresult *res = NULL;
	int r = run(db, "events max", sql, 0, NULL, &res);

	if (r == 0)
		*max = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return r;
}

int
events_after(struct db_conn *db, long long after, unsigned limit,
	     json_object **events, long long *last)
{
	static const char sql[] =
		"SELECT e.id, e.request_id, r.code, " ISO("e.at") ", e.kind, e.actor,"
		" r.status, e.actor_kind, e.cancel_reason"
		" FROM approval.request_events e"
		" JOIN approval.requests r ON r.id = e.request_id"
		" WHERE e.id > $1::bigint"
		"   AND e.id <= (SELECT c.last_id FROM approval.audit_chain c)"
		" ORDER BY e.id LIMIT $2::integer";
	char a[24], l[24];
	const char *params[2] = { a, l };
	static const char *const names[] = {
		"id", "request_id", "code", "at", "kind", "actor", "status",
		"actor_kind", "cancel_reason",
	};
#define N_EVENT_COLS (int)(sizeof(names) / sizeof(names[0]))
	PGresult *res = NULL;
	json_object *arr = NULL, *e;
	int r, i, j, n;

	*events = NULL;
	*last = after;
	snprintf(a, sizeof(a), "%lld", after);
	snprintf(l, sizeof(l), "%u", limit);
	r = run(db, "events", sql, 2, params, &res);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	arr = json_object_new_array();
	if (!arr)
		goto out;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		long long id = strtoll(PQgetvalue(res, i, 0), NULL, 10);

		e = json_object_new_object();
		if (!e || json_object_array_add(arr, e) != 0) {
			json_object_put(e);
			goto out;
		}
		if (add_int(e, names[0], col(res, i, 0)) < 0)
			goto out;
		for (j = 1; j < N_EVENT_COLS; j++)
			if (add_str(e, names[j], col(res, i, j)) < 0)
				goto out;
		*last = id;
	}
	*events = arr;
	arr = NULL;
	r = 0;
out:
	json_object_put(arr);
	PQclear(res);
	return r;
}
