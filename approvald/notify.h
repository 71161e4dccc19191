/* notify.h: the senders behind the outbox (outbox.c claims, they send):
 * one per sink kind, each building its body from the request's detail
 * object (requests.h, req_detail) and posting it within notify_timeout.
 * Senders never touch the database and never log secrets or bodies. */
#ifndef APPROVALD_NOTIFY_H
#define APPROVALD_NOTIFY_H
#include <stddef.h>
#include <json-c/json.h>

#include "notify_settings.h"

/* One claimed outbox row with what it is about. */
struct notify_msg {
	long long id;
	enum notify_kind kind;
	const char *event;	/* created, approved, ..., reminder, escalation, reply */
	const char *idempotency_key;
	json_object *request;	/* detail object; NULL for a reply or an offline use */
	json_object *payload;	/* a reply's {"response_url","text"}, an offline
				 * break-glass use's fields (sql/023); else NULL */
	const char *slack_channel, *slack_ts;	/* the request's Slack message, or NULL */
	const char *public_url;	/* approvald's, for links */
};

struct notify_result {
	int ok;			/* delivered */
	int permanent;		/* refused for good: no retry */
	int http_status;	/* 0: no answer */
	char error[256];	/* why not (no secrets, no bodies) */
	char slack_channel[96], slack_ts[64];	/* a Slack message just posted */
};

#define NOTIFY_TEXT_MAX 2000	/* any one text field we put in a chat message */

/* POST body (JSON) to url (http/https, query allowed) with the extra
 * header lines (NULL-terminated, or NULL) and a bearer token (or NULL);
 * fills res->http_status/error; *resp_body gets the answer's body
 * (malloc'd, NUL-terminated) when not NULL. 0 when a response came
 * (any status), -1 otherwise. */
int notify_post(const struct approvald_notify *n, const char *url, const char *token,
		const char *const *headers, const char *body, size_t len,
		char **resp_body, struct notify_result *res);
/* 2xx is delivered; 4xx other than 408, 425 and 429 is permanent. */
void notify_judge_status(struct notify_result *res);
/* A request field as text ("" when absent or not a string). */
const char *notify_field(json_object *req, const char *key);
/* s cut to at most max bytes at a UTF-8 boundary, with "…" when cut;
 * malloc'd, NULL on ENOMEM. */
char *notify_cut(const char *s, size_t max);
/* The request's command (sudo's resolved one when known) as approvers see
 * it everywhere (common/text.h approve_command_display: blanks and hidden
 * characters as markers, head … tail, never the end cut off), followed by
 * " (command has N lines)" when it has several: malloc'd, NULL on ENOMEM. */
char *notify_command(json_object *req);
/* What the requester reported about an agent or pipeline (initiator,
 * agent, run URL, commit, prompt), one "Label: value" line each, "" when
 * nothing: malloc'd, NULL on ENOMEM. The caller labels it unverified. */
char *notify_reported(json_object *req);

/* Break-glass (notify_breakglass.c): the event 'breakglass' is a request
 * a breakglass rule let in (m->request) or an offline code's use
 * (m->payload); 'breakglass_reviewed' the same once an approver closed
 * its review. */
#define NOTIFY_BG_FACTS 16
struct notify_fact {
	const char *label;
	char *value;		/* display text (approve_command_display), malloc'd */
};
/* 1 for either event; the second only for 'breakglass_reviewed'. */
int notify_is_breakglass(const struct notify_msg *m);
int notify_is_breakglass_review(const struct notify_msg *m);
/* What a chat message shows, all display text (malloc'd, owned here):
 * the headline ("BREAK-GLASS: alice became root on web1 without
 * approval"), the sentence saying what happened and that it needs review,
 * the link (the request page, or the review list for an offline use; ""
 * when unknown) and the facts in order, empty ones left out. */
struct notify_bg {
	char *head, *line, *link;
	struct notify_fact f[NOTIFY_BG_FACTS];
	int n;
};
/* 0, or -1 (ENOMEM; bg released). */
int notify_breakglass_load(const struct notify_msg *m, struct notify_bg *bg);
void notify_breakglass_release(struct notify_bg *bg);
/* The webhook's "breakglass" object: kind, request_id, the raw fields,
 * command_shown, needs_review, review, reviewed_by, reviewed_at,
 * review_comment, url. NULL on ENOMEM. */
json_object *notify_breakglass_summary(const struct notify_msg *m);

void notify_webhook_send(const struct approvald_notify *n, const struct notify_msg *m,
			 struct notify_result *res);
void notify_slack_send(const struct approvald_notify *n, const struct notify_msg *m,
		       struct notify_result *res);
void notify_teams_send(const struct approvald_notify *n, const struct notify_msg *m,
		       struct notify_result *res);

#endif
