/* notify_slack.c: Slack. A pending request is posted as a Block Kit
 * message with the context, Approve and Deny buttons (their value is the
 * request id, answered at /v1/integrations/slack/actions) and a link to
 * the request page; its outcome replaces the message in place
 * (chat.update) with who decided and when, without buttons. Through an
 * incoming webhook (no bot token) nothing can be updated, so the outcome
 * is a new message. Requester-supplied text only ever goes into
 * plain_text objects (no mrkdwn links or mentions can be smuggled in). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "wire.h"

#define HEADER_MAX 150	/* Block Kit: a header's plain_text */

static json_object *
text_obj(const char *type, const char *s, size_t max)
{
	json_object *o = json_object_new_object();
	char *cut = notify_cut(s, max);

	if (!o || !cut || approve_json_add_str(o, "type", type) < 0 ||
	    approve_json_add_str(o, "text", cut) < 0) {
		free(cut);
		json_object_put(o);
		return NULL;
	}
	free(cut);
	return o;
}

/* Append a block {type, KEY: text object} to blocks. 0 or -1. */
static int
add_text_block(json_object *blocks, const char *type, const char *ttype,
	       const char *s, size_t max)
{
	json_object *b = json_object_new_object();

	if (!b || json_object_array_add(blocks, b) != 0) {
		json_object_put(b);
		return -1;
	}
	if (approve_json_add_str(b, "type", type) < 0 ||
	    approve_json_add(b, "text", text_obj(ttype, s, max)) < 0)
		return -1;
	return 0;
}

/* The context as a section with plain_text fields ("Label: value"). */
/* A plain-text section "LABEL VALUE", built whole and then cut at a
 * character boundary. 0 or -1. */
static int
add_labelled(json_object *blocks, const char *label, const char *value)
{
	char *t = NULL;
	int r;

	if (asprintf(&t, "%s%s", label, value) < 0)
		return -1;
	r = add_text_block(blocks, "section", "plain_text", t, NOTIFY_TEXT_MAX);
	free(t);
	return r;
}

static int
add_context(json_object *blocks, json_object *req)
{
	static const struct { const char *label, *key; } f[] = {
		{ "Requester", "user" }, { "Target", "target_user" },
		{ "Host", "hostname" }, { "Service", "service" },
		{ "Directory", "cwd" }, { "TTY", "tty" },
		{ "Reason", "reason" }, { "Ticket", "ticket" },
		{ "Expires", "expires_at" },
	};
	json_object *b = json_object_new_object(), *fields = json_object_new_array();
	char line[NOTIFY_TEXT_MAX + 64], *cmd = NULL, *rep = NULL;
	size_t i;
	int r = -1;

	if (!b || !fields || json_object_array_add(blocks, b) != 0) {
		json_object_put(b);
		json_object_put(fields);
		return -1;
	}
	if (approve_json_add_str(b, "type", "section") < 0 ||
	    approve_json_add(b, "fields", fields) < 0)
		return -1;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *v = notify_field(req, f[i].key);

		if (!*v)
			continue;
		snprintf(line, sizeof(line), "%s: %s", f[i].label, v);
		if (json_object_array_add(fields, text_obj("plain_text", line, NOTIFY_TEXT_MAX)) != 0)
			return -1;
	}
	cmd = notify_command(req);
	rep = notify_reported(req);
	if (!cmd || !rep)
		goto out;
	r = add_labelled(blocks, "Command: ", cmd);
	if (r == 0 && *rep)
		r = add_labelled(blocks, "Reported by the requester (unverified):\n", rep);
out:
	free(cmd);
	free(rep);
	return r;
}

static int
add_button(json_object *els, const char *action, const char *label,
	   const char *style, const char *value, const char *url)
{
	json_object *b = json_object_new_object();

	if (!b || json_object_array_add(els, b) != 0) {
		json_object_put(b);
		return -1;
	}
	if (approve_json_add_str(b, "type", "button") < 0 ||
	    approve_json_add_str(b, "action_id", action) < 0 ||
	    approve_json_add(b, "text", text_obj("plain_text", label, 75)) < 0 ||
	    (style && approve_json_add_str(b, "style", style) < 0) ||
	    (value && approve_json_add_str(b, "value", value) < 0) ||
	    (url && approve_json_add_str(b, "url", url) < 0))
		return -1;
	return 0;
}

/* The outcome line of a final request (or the reminder's prefix). */
static void
outcome_text(const struct notify_msg *m, char *out, size_t len)
{
	json_object *req = m->request;
	const char *code = notify_field(req, "code"), *by = notify_field(req, "decided_by");
	const char *at = notify_field(req, "decided_at"), *c = notify_field(req, "comment");
	const char *st = notify_field(req, "status");

	if (strcmp(m->event, "reminder") == 0)
		snprintf(out, len, "Reminder: %s is still waiting for a decision; it expires at %s",
			 code, notify_field(req, "expires_at"));
	else if (strcmp(m->event, "escalation") == 0)
		snprintf(out, len, "Escalated: %s has waited since %s without a decision",
			 code, notify_field(req, "created_at"));
	else if (strcmp(st, "approved") == 0 || strcmp(st, "denied") == 0)
		snprintf(out, len, "%s %s by %s at %s%s%s", code, st, by, at,
			 *c ? ": " : "", c);
	else if (strcmp(st, "pending") == 0)
		snprintf(out, len, "%s is waiting for a decision", code);
	else
		snprintf(out, len, "%s %s at %s", code, st, at);
}

/* 0 when the request's rule said chat=no (its "chat_decisions" is false):
 * no buttons, the link only. */
static int
chat_may_decide(json_object *req)
{
	json_object *v;

	return !(json_object_object_get_ex(req, "chat_decisions", &v) &&
		 json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v));
}

/* A break-glass: a warning header, what happened and that it needs
 * review, the facts as plain text, and a link (the request page, or the
 * review list for an offline use); never a decision button: there is
 * nothing left to approve. */
static json_object *
build_breakglass(const struct notify_msg *m)
{
	struct notify_bg bg;
	json_object *o = json_object_new_object(), *blocks = json_object_new_array();
	json_object *fields = NULL, *sec, *act, *els;
	char *warn = NULL, *t;
	int i, ok = 0;

	if (notify_breakglass_load(m, &bg) < 0) {
		json_object_put(o);
		json_object_put(blocks);
		return NULL;
	}
	if (!o || !blocks || approve_json_add(o, "blocks", blocks) < 0) {
		json_object_put(blocks);
		goto out;
	}
	/* a warning sign; a check mark once reviewed */
	if (asprintf(&warn, notify_is_breakglass_review(m) ? "\xe2\x9c\x94 %s" :
		     "\xe2\x9a\xa0 %s", bg.head) < 0) {
		warn = NULL;
		goto out;
	}
	if (add_text_block(blocks, "header", "plain_text", warn, HEADER_MAX) < 0 ||
	    add_text_block(blocks, "section", "plain_text", bg.line, NOTIFY_TEXT_MAX) < 0 ||
	    approve_json_push(blocks, sec = json_object_new_object()) < 0 ||
	    approve_json_add_str(sec, "type", "section") < 0 ||
	    approve_json_add(sec, "fields", fields = json_object_new_array()) < 0)
		goto out;
	for (i = 0; i < bg.n; i++) {
		/* the command on a line of its own, like every request's */
		if (strcmp(bg.f[i].label, "Command") == 0)
			continue;
		if (asprintf(&t, "%s: %s", bg.f[i].label, bg.f[i].value) < 0)
			goto out;
		if (json_object_array_add(fields, text_obj("plain_text", t, NOTIFY_TEXT_MAX)) != 0) {
			free(t);
			goto out;
		}
		free(t);
	}
	for (i = 0; i < bg.n; i++)
		if (strcmp(bg.f[i].label, "Command") == 0 &&
		    add_labelled(blocks, "Command: ", bg.f[i].value) < 0)
			goto out;
	if (*bg.link &&
	    (approve_json_push(blocks, act = json_object_new_object()) < 0 ||
	     approve_json_add_str(act, "type", "actions") < 0 ||
	     approve_json_add_str(act, "block_id", "breakglass") < 0 ||
	     approve_json_add(act, "elements", els = json_object_new_array()) < 0 ||
	     add_button(els, "open", m->request ? "Open request" : "Review list",
			NULL, NULL, bg.link) < 0))
		goto out;
	ok = approve_json_add_str(o, "text", warn) == 0;
out:
	notify_breakglass_release(&bg);
	free(warn);
	if (!ok) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* {text, blocks} for this message; buttons while the request is pending,
 * unless its rule keeps decisions out of chat. */
static json_object *
build_message(const struct notify_msg *m)
{
	json_object *req = m->request, *o = json_object_new_object();
	json_object *blocks = json_object_new_array(), *act, *els;
	const char *id = notify_field(req, "id"), *url = notify_field(req, "url");
	int pending = strcmp(notify_field(req, "status"), "pending") == 0;
	int announce = strcmp(m->event, "created") == 0 || strcmp(m->event, "reminder") == 0 ||
		       strcmp(m->event, "escalation") == 0;
	char head[NOTIFY_TEXT_MAX + 256], fallback[NOTIFY_TEXT_MAX + 256];

	if (notify_is_breakglass(m)) {
		json_object_put(o);
		json_object_put(blocks);
		return build_breakglass(m);
	}
	if (!o || !blocks || approve_json_add(o, "blocks", blocks) < 0) {
		json_object_put(blocks);
		goto fail;
	}
	snprintf(head, sizeof(head), "%s approval %s: %s as %s on %s",
		 notify_field(req, "service"), notify_field(req, "code"),
		 notify_field(req, "user"), notify_field(req, "target_user"),
		 notify_field(req, "hostname"));
	if (add_text_block(blocks, "header", "plain_text", head, HEADER_MAX) < 0)
		goto fail;
	if (!announce || !pending) {
		outcome_text(m, fallback, sizeof(fallback));
		if (add_text_block(blocks, "section", "plain_text", fallback, NOTIFY_TEXT_MAX) < 0)
			goto fail;
	} else if (strcmp(m->event, "created") != 0) {
		outcome_text(m, fallback, sizeof(fallback));
		if (add_text_block(blocks, "section", "plain_text", fallback, NOTIFY_TEXT_MAX) < 0)
			goto fail;
	} else {
		snprintf(fallback, sizeof(fallback), "%s", head);
	}
	if (add_context(blocks, req) < 0)
		goto fail;
	act = json_object_new_object();
	els = json_object_new_array();
	if (!act || !els || json_object_array_add(blocks, act) != 0) {
		json_object_put(act);
		json_object_put(els);
		goto fail;
	}
	if (approve_json_add_str(act, "type", "actions") < 0 ||
	    approve_json_add_str(act, "block_id", "approve_request") < 0 ||
	    approve_json_add(act, "elements", els) < 0)
		goto fail;
	if (pending && chat_may_decide(req) &&
	    (add_button(els, "approve", "Approve", "primary", id, NULL) < 0 ||
			add_button(els, "deny", "Deny", "danger", id, NULL) < 0))
		goto fail;
	if (*url && add_button(els, "open", "Open request", NULL, NULL, url) < 0)
		goto fail;
	if (approve_json_add(o, "text", json_object_new_string(fallback)) < 0)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* Slack's Web API answers 200 with {"ok": false, "error": "..."} on most
 * failures; these mean a configuration an operator must fix. */
static int
slack_error_permanent(const char *e)
{
	static const char *const perm[] = {
		"invalid_auth", "not_authed", "account_inactive", "token_revoked",
		"channel_not_found", "not_in_channel", "is_archived", "missing_scope",
		"invalid_blocks", "msg_too_long", "no_text", NULL,
	};

	for (int i = 0; perm[i]; i++)
		if (strcmp(e, perm[i]) == 0)
			return 1;
	return 0;
}

/* POST to a Web API method; on {"ok":true} fill channel/ts when asked. */
static void
api_call(const struct approvald_notify *n, const char *method, json_object *msg,
	 struct notify_result *res, int remember)
{
	char url[2200], *resp = NULL;
	const char *body = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	json_object *a = NULL, *v;

	snprintf(url, sizeof(url), "%s/%s", n->slack_api_url, method);
	if (notify_post(n, url, n->slack_token->data, NULL, body, strlen(body), &resp, res) < 0)
		return;
	if (res->http_status != 200) {
		notify_judge_status(res);
		res->ok = 0;
		goto out;
	}
	a = resp ? json_tokener_parse(resp) : NULL;
	if (!a || !json_object_object_get_ex(a, "ok", &v) || !json_object_get_boolean(v)) {
		const char *e = a && json_object_object_get_ex(a, "error", &v) ?
				json_object_get_string(v) : "bad_answer";

		char word[65];
		size_t i = 0;

		/* the sink's words reach the log and the database: a plain
		 * identifier only */
		for (e = e ? e : "?"; *e && i < sizeof(word) - 1; e++)
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *e))
				word[i++] = *e;
		word[i] = '\0';
		snprintf(res->error, sizeof(res->error), "%s: %s", method, word);
		res->permanent = slack_error_permanent(word);
		goto out;
	}
	res->ok = 1;
	if (remember && json_object_object_get_ex(a, "ts", &v))
		snprintf(res->slack_ts, sizeof(res->slack_ts), "%s", json_object_get_string(v));
	if (remember && json_object_object_get_ex(a, "channel", &v))
		snprintf(res->slack_channel, sizeof(res->slack_channel), "%s",
			 json_object_get_string(v));
out:
	json_object_put(a);
	free(resp);
}

static void
send_reply(const struct approvald_notify *n, const struct notify_msg *m,
	   struct notify_result *res)
{
	json_object *o = json_object_new_object(), *v;
	const char *url = NULL, *text = NULL, *body;

	if (json_object_object_get_ex(m->payload, "response_url", &v))
		url = json_object_get_string(v);
	if (json_object_object_get_ex(m->payload, "text", &v))
		text = json_object_get_string(v);
	/* checked when queued; checked again, the row is only data */
	if (!url || !text || strncmp(url, n->slack_response_url_prefix,
				     strlen(n->slack_response_url_prefix)) != 0) {
		snprintf(res->error, sizeof(res->error), "reply without a valid response_url");
		res->permanent = 1;
		goto out;
	}
	if (!o || approve_json_add_str(o, "response_type", "ephemeral") < 0 ||
	    approve_json_add(o, "replace_original", json_object_new_boolean(0)) < 0 ||
	    approve_json_add_str(o, "text", text) < 0) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		goto out;
	}
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (notify_post(n, url, NULL, NULL, body, strlen(body), NULL, res) == 0)
		notify_judge_status(res);
out:
	json_object_put(o);
}

void
notify_slack_send(const struct approvald_notify *n, const struct notify_msg *m,
		  struct notify_result *res)
{
	json_object *msg;
	const char *body;
	int update;

	if (strcmp(m->event, "reply") == 0) {
		send_reply(n, m, res);
		return;
	}
	msg = build_message(m);
	if (!msg) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		return;
	}
	if (!n->slack_token) {	/* incoming webhook: answers "ok" */
		body = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
		if (notify_post(n, n->slack_webhook_url, NULL, NULL, body, strlen(body),
				NULL, res) == 0)
			notify_judge_status(res);
		json_object_put(msg);
		return;
	}
	/* an outcome replaces the posted message; a reminder or an
	 * escalation goes into its thread */
	update = m->slack_ts && strcmp(m->event, "created") != 0 &&
		 strcmp(m->event, "reminder") != 0 && strcmp(m->event, "escalation") != 0;
	if (approve_json_add_str(msg, "channel", update ? m->slack_channel : n->slack_channel) < 0 ||
	    (m->slack_ts && approve_json_add_str(msg, update ? "ts" : "thread_ts",
						 m->slack_ts) < 0)) {
		snprintf(res->error, sizeof(res->error), "out of memory");
	} else if (update) {
		api_call(n, "chat.update", msg, res, 0);
	} else {
		api_call(n, "chat.postMessage", msg, res, strcmp(m->event, "created") == 0 ||
			 notify_is_breakglass(m));
	}
	json_object_put(msg);
}
