/* routes_slack.c: POST /v1/integrations/slack/actions, Slack's
 * interactivity endpoint. The request is Slack's only when its
 * X-Slack-Signature verifies (v0, notify_sig.h) within five minutes;
 * anything else is 401 and changes nothing. The clicking Slack user acts
 * only as the approver mapped to them (approvers.slack_user, `approvalctl
 * approver add --slack-user`), through req_decide like every decision, so
 * every rule of the database holds (self-approval, final requests, roles).
 * What happened is told to the clicker alone (ephemeral, through the
 * action's response_url, queued in the outbox); the message itself is
 * updated by the outbox like after any decision. Deny asks for a comment
 * in a modal first when a bot token can open one (views.open, within
 * Slack's three-second trigger). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "db.h"
#include "httpd.h"
#include "log.h"
#include "notify.h"
#include "notify_sig.h"
#include "outbox.h"
#include "requests.h"
#include "signing.h"
#include "text.h"
#include "wire.h"

#define VIEWS_OPEN_TIMEOUT_S 2	/* Slack's trigger_id lives 3 s */
#define DENY_CALLBACK "deny_comment"

static const char *
jstr(json_object *o, const char *path1, const char *path2)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, path1, &v))
		return NULL;
	if (path2 && !json_object_object_get_ex(v, path2, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The approver mapped to Slack user uid who may decide (enabled, role
 * approver or admin: the rule of access.c and sql/005): id and login, or
 * -ENOENT. */
static int
map_user(struct db_conn *db, const char *uid, long long *id, char *login, size_t len)
{
	static const char sql[] =
		"SELECT id, login FROM approval.approvers WHERE slack_user = $1"
		" AND enabled AND revoked_at IS NULL"
		" AND roles && ARRAY['approver', 'admin']::text[]";
	const char *p[1] = { uid };
	PGresult *res = NULL;
	int r = -EIO;

	if (db_exec(db, sql, 1, p, &res) < 0) {
		db_log_error("map Slack user", res);
		goto out;
	}
	r = -ENOENT;
	if (PQntuples(res) != 1)
		goto out;
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(login, len, "%s", PQgetvalue(res, 0, 1));
	r = 0;
out:
	PQclear(res);
	return r;
}

/* 1 when request id is pending (a modal for a final one would only
 * lead to a refusal after typing). */
static int
is_pending(struct db_conn *db, const char *id)
{
	static const char sql[] =
		"SELECT 1 FROM approval.requests WHERE id = $1::uuid AND status = 'pending'"
		" AND expires_at > pg_catalog.now()";
	const char *p[1] = { id };
	PGresult *res = NULL;
	int r = db_exec(db, sql, 1, p, &res) == 0 && PQntuples(res) == 1;

	PQclear(res);
	return r;
}

/* The Slack identity behind a decision attempt goes into the audit log. */
static void
audit_action(struct db_conn *db, const char *login, const char *slack_user,
	     const char *action, const char *id, const char *outcome)
{
	static const char sql[] =
		"SELECT approval.audit_event('daemon.slack_action', $1, $1,"
		" pg_catalog.jsonb_build_object('via', 'slack', 'slack_user', $2::text,"
		" 'action', $3::text, 'outcome', $5::text), $4::uuid)";
	const char *p[5] = { login, slack_user, action, id, outcome };
	PGresult *res = NULL;

	if (db_exec(db, sql, 5, p, &res) < 0)
		db_log_error("audit Slack action", res);
	PQclear(res);
}

static void
reply(struct app *app, struct db_conn *db, const char *response_url, const char *text)
{
	const char *prefix = app->cfg->notify.slack_response_url_prefix;

	if (!response_url)
		return;
	if (strncmp(response_url, prefix, strlen(prefix)) != 0) {
		approve_log(LOG_WARNING, "Slack action: response_url outside %s ignored", prefix);
		return;
	}
	if (outbox_queue_slack_reply(db, response_url, text) < 0)
		approve_log(LOG_ERR, "Slack action: reply not queued");
}

/* Decide as the mapped approver; the answer for the clicker in text. */
static void
decide(struct app *app, struct db_conn *db, const char *slack_user, const char *value,
       enum approve_state decision, const char *comment, char *text, size_t len)
{
	char id[APPROVE_UUID_LEN + 1], code[APPROVE_CODE_LEN + 1] = "", login[160];
	const char *word = decision == APPROVE_APPROVED ? "approve" : "deny";
	long long approver;
	int rc;

	rc = map_user(db, slack_user, &approver, login, sizeof(login));
	if (rc == -ENOENT) {
		approve_log(LOG_WARNING, "Slack user %s is not an approver (%s refused)",
			    slack_user, word);
		snprintf(text, len, "You are not an approver: Slack user %s is not mapped to "
			 "one (approvalctl approver add --slack-user %s). Nothing changed.",
			 slack_user, slack_user);
		return;
	}
	if (rc < 0)
		goto down;
	rc = value ? req_resolve(db, value, id, code) : -EINVAL;
	if (rc == -EINVAL || rc == -ENOENT) {
		snprintf(text, len, "No such request.");
		return;
	}
	if (rc < 0)
		goto down;
	rc = req_decide(db, id, decision, approver, login, comment);
	if (rc == 0 && signer_store_receipt(app->signer, db, id) < 0)
		approve_log(LOG_ERR, "request %s: receipt not stored", id);
	audit_action(db, login, slack_user, word, id,
		     rc == 0 ? "decided" : rc == -EPERM ? "self_approval_refused" :
		     rc == -EALREADY ? "final" : "error");
	switch (rc) {
	case 0:
		snprintf(text, len, "You %s %s as %s.",
			 decision == APPROVE_APPROVED ? "approved" : "denied", code, login);
		return;
	case -EPERM:
		snprintf(text, len, "You may not decide your own request %s; nothing "
			 "changed (the requester cancels it instead).", code);
		return;
	case -EALREADY:
		snprintf(text, len, "%s is final already; nothing changed.", code);
		return;
	default:
		break;
	}
down:
	snprintf(text, len, "approvald could not decide: its database is unavailable. "
		 "Try again, or use the web page.");
}

/* views.open: a modal asking for the deny comment. 0 when Slack opened it. */
static int
open_deny_modal(struct app *app, const char *trigger, const char *id, const char *code)
{
	const struct approvald_notify *n = &app->cfg->notify;
	char url[2200], title[64], *resp = NULL;
	struct notify_result res = { 0 };
	struct approvald_notify quick;
	json_object *o = NULL, *a = NULL, *v;
	int r = -1;

	if (!n->slack_token || !trigger)
		return -1;
	snprintf(title, sizeof(title), "Deny %s", code);
	o = json_tokener_parse(
		"{\"view\":{\"type\":\"modal\",\"callback_id\":\"" DENY_CALLBACK "\","
		"\"title\":{\"type\":\"plain_text\",\"text\":\"Deny\"},"
		"\"submit\":{\"type\":\"plain_text\",\"text\":\"Deny\"},"
		"\"close\":{\"type\":\"plain_text\",\"text\":\"Cancel\"},"
		"\"blocks\":[{\"type\":\"input\",\"block_id\":\"comment\","
		"\"label\":{\"type\":\"plain_text\",\"text\":\"Comment for the requester\"},"
		"\"element\":{\"type\":\"plain_text_input\",\"action_id\":\"comment\","
		"\"multiline\":true,\"max_length\":1000}}]}}");
	if (!o || !json_object_object_get_ex(o, "view", &v) ||
	    approve_json_add_str(o, "trigger_id", trigger) < 0 ||
	    approve_json_add_str(v, "private_metadata", id) < 0 ||
	    !json_object_object_get_ex(v, "title", &a) ||
	    approve_json_add_str(a, "text", title) < 0)
		goto out;
	a = NULL;
	quick = *n;
	quick.timeout = VIEWS_OPEN_TIMEOUT_S;
	snprintf(url, sizeof(url), "%s/views.open", n->slack_api_url);
	{
		const char *body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

		if (notify_post(&quick, url, n->slack_token->data, NULL, body, strlen(body),
				&resp, &res) < 0 || res.http_status != 200)
			goto out;
	}
	a = resp ? json_tokener_parse(resp) : NULL;
	if (a && json_object_object_get_ex(a, "ok", &v) && json_object_get_boolean(v))
		r = 0;
out:
	if (r < 0)
		approve_log(LOG_WARNING, "Slack views.open for %s failed (%s): denying "
			    "without a comment", code, res.error[0] ? res.error : "not ok");
	json_object_put(a);
	json_object_put(o);
	free(resp);
	return r;
}

static enum MHD_Result
block_actions(struct http_req *r, struct db_conn *db, json_object *p)
{
	json_object *acts, *act;
	const char *user = jstr(p, "user", "id"), *response_url = jstr(p, "response_url", NULL);
	const char *action, *value;
	char text[512], id[APPROVE_UUID_LEN + 1], code[APPROVE_CODE_LEN + 1], login[160];
	long long approver;

	if (!user || !json_object_object_get_ex(p, "actions", &acts) ||
	    !json_object_is_type(acts, json_type_array) || json_object_array_length(acts) < 1)
		return http_reply_error(r, 400, "bad_request", "no action");
	act = json_object_array_get_idx(acts, 0);
	action = jstr(act, "action_id", NULL);
	value = jstr(act, "value", NULL);
	if (!action || strcmp(action, "open") == 0)	/* a link button: nothing to do */
		return http_reply_text(r, 200, "text/plain; charset=utf-8", "");
	if (strcmp(action, "approve") == 0) {
		decide(r->app, db, user, value, APPROVE_APPROVED, NULL, text, sizeof(text));
	} else if (strcmp(action, "deny") == 0) {
		/* a modal for the comment, when the clicker may decide at all
		 * and the request exists; its submission decides */
		if (map_user(db, user, &approver, login, sizeof(login)) == 0 && value &&
		    req_resolve(db, value, id, code) == 0 && is_pending(db, id) &&
		    open_deny_modal(r->app, jstr(p, "trigger_id", NULL), id, code) == 0)
			return http_reply_text(r, 200, "text/plain; charset=utf-8", "");
		decide(r->app, db, user, value, APPROVE_DENIED, NULL, text, sizeof(text));
	} else {
		return http_reply_text(r, 200, "text/plain; charset=utf-8", "");
	}
	reply(r->app, db, response_url, text);
	return http_reply_text(r, 200, "text/plain; charset=utf-8", "");
}

/* The deny modal's submission: deny with its comment. An error is shown
 * in the modal (response_action errors), success closes it. */
static enum MHD_Result
view_submission(struct http_req *r, struct db_conn *db, json_object *p)
{
	json_object *view, *st, *vals, *blk, *el, *v, *ans;
	const char *user = jstr(p, "user", "id"), *id, *comment = NULL;
	char text[512];

	if (!user || !json_object_object_get_ex(p, "view", &view) ||
	    strcmp(jstr(view, "callback_id", NULL) ? jstr(view, "callback_id", NULL) : "",
		   DENY_CALLBACK) != 0)
		return http_reply_text(r, 200, "text/plain; charset=utf-8", "");
	id = jstr(view, "private_metadata", NULL);
	if (json_object_object_get_ex(view, "state", &st) &&
	    json_object_object_get_ex(st, "values", &vals) &&
	    json_object_object_get_ex(vals, "comment", &blk) &&
	    json_object_object_get_ex(blk, "comment", &el) &&
	    json_object_object_get_ex(el, "value", &v) && json_object_is_type(v, json_type_string))
		comment = json_object_get_string(v);
	if (comment && (strlen(comment) > APPROVE_LEN_COMMENT ||
			!approve_utf8_valid(comment, strlen(comment))))
		comment = NULL;
	text[0] = '\0';
	decide(r->app, db, user, id, APPROVE_DENIED, comment, text, sizeof(text));
	if (strncmp(text, "You denied", 10) == 0)
		return http_reply_text(r, 200, "text/plain; charset=utf-8", "");
	ans = json_object_new_object();
	if (ans && approve_json_add_str(ans, "response_action", "errors") == 0 &&
	    approve_json_add(ans, "errors", (v = json_object_new_object())) == 0 &&
	    approve_json_add_str(v, "comment", text) == 0)
		return http_reply_obj(r, 200, ans);
	json_object_put(ans);
	return http_reply_error(r, 500, "internal_error", "out of memory");
}

enum MHD_Result
route_slack_actions(struct http_req *r)
{
	struct app *app = r->app;
	const struct approve_secret *secret = app->cfg->notify.slack_signing_secret;
	const char *ts, *sig, *type;
	const char *body = r->body.data ? r->body.data : "";
	struct db_conn *db = NULL;
	json_object *p = NULL;
	char *payload = NULL;
	enum MHD_Result ret;
	int rc;

	if (!secret)
		return http_reply_error(r, 404, "not_found", "Slack is not configured");
	ts = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Slack-Request-Timestamp");
	sig = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Slack-Signature");
	rc = slack_signature_check(secret->data, secret->len, ts, sig, body, r->body.len,
				   time(NULL));
	if (rc < 0) {
		approve_log(LOG_WARNING, "client %s: Slack action refused: %s", r->ip,
			    rc == -ETIME ? "stale timestamp" : "bad signature");
		return http_reply_error(r, 401, "bad_signature", rc == -ETIME ?
					"X-Slack-Request-Timestamp is not within 5 minutes" :
					"X-Slack-Signature does not verify");
	}
	if (form_value(body, r->body.len, "payload", &payload) < 0 ||
	    !(p = json_tokener_parse(payload)) || !json_object_is_type(p, json_type_object)) {
		ret = http_reply_error(r, 400, "bad_request", "no payload");
		goto out;
	}
	type = jstr(p, "type", NULL);
	db = db_get(app->db, DB_WAIT_MS);
	if (!db) {
		ret = http_reply_db_down(r);
		goto out;
	}
	if (type && strcmp(type, "block_actions") == 0)
		ret = block_actions(r, db, p);
	else if (type && strcmp(type, "view_submission") == 0)
		ret = view_submission(r, db, p);
	else
		ret = http_reply_text(r, 200, "text/plain; charset=utf-8", "");
out:
	db_put(app->db, db);
	json_object_put(p);
	free(payload);
	return ret;
}
