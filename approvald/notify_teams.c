/* notify_teams.c: Microsoft Teams through an incoming webhook (a
 * Workflows "post to a channel when a webhook request is received" flow,
 * or a legacy connector): an Adaptive Card with the context as plain
 * text runs (no markdown anywhere a requester's text goes) and an
 * Action.OpenUrl to the request page. Teams cannot update a card posted
 * this way, so each outcome is a follow-up card. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "wire.h"

/* Add v (taken, also on failure) to array a. 0 or -1. */
static int
arr_add(json_object *a, json_object *v)
{
	if (!a || !v || json_object_array_add(a, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* Under key in o, a new object or array (owned by o), or NULL. */
static json_object *
child(json_object *o, const char *key, int array)
{
	json_object *c = array ? json_object_new_array() : json_object_new_object();

	return approve_json_add(o, key, c) == 0 ? c : NULL;
}

/* Text as a RichTextBlock of TextRuns, never a TextBlock or a FactSet:
 * Teams reads markdown in TextBlock text and in Fact titles and values, so a
 * requester's "_x_" would hide characters and "[a](url)" would make a link;
 * a TextRun is shown as it is. label, when given, is a bold "LABEL: " run
 * before s; a title is one bold, medium run. NULL on ENOMEM. */
static json_object *
text_run(const char *text, int title)
{
	json_object *r = json_object_new_object();

	if (!r || approve_json_add_str(r, "type", "TextRun") < 0 ||
	    approve_json_add_str(r, "text", text) < 0 ||
	    (title && (approve_json_add_str(r, "weight", "Bolder") < 0 ||
		       approve_json_add_str(r, "size", "Medium") < 0))) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

static json_object *
rich_text(const char *label, const char *s, int title)
{
	json_object *b = json_object_new_object(), *runs = child(b, "inlines", 1), *lr;
	char *cut = notify_cut(s, NOTIFY_TEXT_MAX), head[128];
	int ok = 0;

	if (!runs || !cut || approve_json_add_str(b, "type", "RichTextBlock") < 0)
		goto out;
	if (label) {
		snprintf(head, sizeof(head), "%s: ", label);
		if (arr_add(runs, lr = text_run(head, 0)) < 0 ||
		    approve_json_add_str(lr, "weight", "Bolder") < 0)
			goto out;
	}
	if (arr_add(runs, text_run(cut, title)) < 0)
		goto out;
	ok = 1;
out:
	free(cut);
	if (!ok) {
		json_object_put(b);
		b = NULL;
	}
	return b;
}

/* The last run of a rich_text() block (to colour or size it). */
static json_object *
last_run(json_object *block)
{
	json_object *runs = json_object_object_get(block, "inlines");
	size_t n = runs ? json_object_array_length(runs) : 0;

	return n ? json_object_array_get_idx(runs, n - 1) : NULL;
}

/* One "title: value" line in facts (a Container's items), the value cut
 * at a character boundary. 0 or -1. */
static int
add_fact(json_object *facts, const char *title, const char *value)
{
	json_object *x = rich_text(title, value, 0);

	if (!x || json_object_array_add(facts, x) != 0) {
		json_object_put(x);
		return -1;
	}
	return 0;
}

static json_object *
fact_set(json_object *req)
{
	static const struct { const char *title, *key; } f[] = {
		{ "Requester", "user" }, { "Target", "target_user" }, { "Host", "hostname" },
		{ "Service", "service" }, { "Command", NULL }, { "Directory", "cwd" },
		{ "TTY", "tty" }, { "Reason", "reason" }, { "Ticket", "ticket" },
		{ "Expires", "expires_at" }, { "Decided by", "decided_by" },
		{ "Comment", "comment" }, { "Reported (unverified)", NULL },
	};
	json_object *fs = json_object_new_object(), *facts = json_object_new_array();
	char *own = NULL;

	if (!fs || !facts || approve_json_add_str(fs, "type", "Container") < 0 ||
	    approve_json_add(fs, "items", facts) < 0) {
		json_object_put(fs);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *v;

		/* the command by the display rules every approver sees, and
		 * what an agent or pipeline reported about itself */
		if (!f[i].key) {
			own = strcmp(f[i].title, "Command") == 0 ? notify_command(req)
								 : notify_reported(req);
			if (!own)
				goto fail;
		}
		v = own ? own : notify_field(req, f[i].key);
		if (*v && add_fact(facts, f[i].title, v) < 0)
			goto fail;
		free(own);
		own = NULL;
	}
	return fs;
fail:
	free(own);
	json_object_put(fs);
	return NULL;
}

/* A break-glass card: an Attention-coloured title, what happened and that
 * it needs review, the facts, and a link (the request page, or the review
 * list for an offline use). NULL on ENOMEM. */
static json_object *
breakglass_body(const struct notify_msg *m, char **link)
{
	struct notify_bg bg;
	json_object *body, *title, *fs, *facts;
	int i, ok = 0;

	if (notify_breakglass_load(m, &bg) < 0)
		return NULL;
	body = json_object_new_array();
	if (!body || arr_add(body, title = rich_text(NULL, bg.head, 1)) < 0 ||
	    approve_json_add_str(last_run(title), "color",
				 notify_is_breakglass_review(m) ? "Good" : "Attention") < 0 ||
	    approve_json_add_str(last_run(title), "size", "Large") < 0 ||
	    arr_add(body, rich_text(NULL, bg.line, 0)) < 0 ||
	    arr_add(body, fs = json_object_new_object()) < 0 ||
	    approve_json_add_str(fs, "type", "Container") < 0 ||
	    !(facts = child(fs, "items", 1)))
		goto out;
	for (i = 0; i < bg.n; i++)
		if (add_fact(facts, bg.f[i].label, bg.f[i].value) < 0)
			goto out;
	*link = bg.link;	/* taken */
	bg.link = NULL;
	ok = 1;
out:
	notify_breakglass_release(&bg);
	if (!ok) {
		json_object_put(body);
		body = NULL;
	}
	return body;
}

void
notify_teams_send(const struct approvald_notify *n, const struct notify_msg *m,
		  struct notify_result *res)
{
	json_object *req = m->request, *msg = json_object_new_object();
	json_object *atts, *att, *card, *body, *actions, *open;
	const char *st = notify_field(req, "status"), *text;
	char title[NOTIFY_TEXT_MAX + 256], *link = NULL;
	json_object *bg = NULL;
	int bg_taken = 0;

	if (notify_is_breakglass(m) && !(bg = breakglass_body(m, &link))) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		free(link);
		json_object_put(msg);
		return;
	}
	if (bg)
		title[0] = '\0';
	else if (strcmp(m->event, "created") == 0)
		snprintf(title, sizeof(title), "Approval requested: %s as %s on %s (%s)",
			 notify_field(req, "user"), notify_field(req, "target_user"),
			 notify_field(req, "hostname"), notify_field(req, "code"));
	else if (strcmp(m->event, "reminder") == 0 || strcmp(m->event, "escalation") == 0)
		snprintf(title, sizeof(title), "%s: %s still waits for a decision",
			 strcmp(m->event, "reminder") == 0 ? "Reminder" : "Escalated",
			 notify_field(req, "code"));
	else
		snprintf(title, sizeof(title), "%s %s%s%s at %s", notify_field(req, "code"), st,
			 *notify_field(req, "decided_by") ? " by " : "",
			 notify_field(req, "decided_by"), notify_field(req, "decided_at"));
	if (!msg || approve_json_add_str(msg, "type", "message") < 0 ||
	    !(atts = child(msg, "attachments", 1)) ||
	    arr_add(atts, att = json_object_new_object()) < 0 ||
	    approve_json_add_str(att, "contentType", "application/vnd.microsoft.card.adaptive") < 0 ||
	    approve_json_add(att, "contentUrl", NULL) < 0 ||
	    !(card = child(att, "content", 0)) ||
	    approve_json_add_str(card, "$schema",
				 "http://adaptivecards.io/schemas/adaptive-card.json") < 0 ||
	    approve_json_add_str(card, "type", "AdaptiveCard") < 0 ||
	    approve_json_add_str(card, "version", "1.4") < 0 ||
	    (bg ? (bg_taken = 1, approve_json_add(card, "body", body = bg) < 0) :
	     (!(body = child(card, "body", 1)) ||
	      arr_add(body, rich_text(NULL, title, 1)) < 0 ||
	      arr_add(body, fact_set(req)) < 0)) ||
	    !(actions = child(card, "actions", 1)) ||
	    ((!bg || *link) &&
	     (arr_add(actions, open = json_object_new_object()) < 0 ||
	      approve_json_add_str(open, "type", "Action.OpenUrl") < 0 ||
	      approve_json_add_str(open, "title",
				   bg && !m->request ? "Review list" : "Open request") < 0 ||
	      approve_json_add_str(open, "url", bg ? link : notify_field(req, "url")) < 0))) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		/* bg is the card's once added to it (also when that failed) */
		if (bg && !bg_taken)
			json_object_put(bg);
		json_object_put(msg);
		free(link);
		return;
	}
	free(link);
	text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	if (notify_post(n, n->teams_webhook_url, NULL, NULL, text, strlen(text), NULL, res) == 0)
		notify_judge_status(res);
	json_object_put(msg);
}
