/* notify_breakglass.c: what every sender says about a break-glass (the
 * outbox event 'breakglass', sql/023): a request a breakglass rule let in
 * without approval (m->request, the detail object), or an offline code's
 * use its host reported (m->payload, built by the database from the
 * immutable use row). Both need review by an approver; when one closes
 * it, 'breakglass_reviewed' says who did and why (the detail's, or the
 * payload's, "breakglass" object). The senders put
 * these facts in their own shapes; every value an approver reads passes
 * through approve_command_display (hidden characters as markers, bounded),
 * the webhook also gets the raw fields for machines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "text.h"
#include "wire.h"

/* Characters of one displayed value (the command has its own limit). */
#define BG_VALUE_CHARS 400

int
notify_is_breakglass(const struct notify_msg *m)
{
	return strcmp(m->event, "breakglass") == 0 || strcmp(m->event, "breakglass_reviewed") == 0;
}

int
notify_is_breakglass_review(const struct notify_msg *m)
{
	return strcmp(m->event, "breakglass_reviewed") == 0;
}

/* 1 for an offline code's use, 0 for a rule's request. */
static int
offline(const struct notify_msg *m)
{
	return !m->request;
}

static json_object *
src(const struct notify_msg *m)
{
	return m->request ? m->request : m->payload;
}

/* A field of the review ("review", "reviewed_by", "reviewed_at",
 * "comment"); "" when absent. */
static const char *
review_field(const struct notify_msg *m, const char *key)
{
	json_object *bg;

	if (!json_object_object_get_ex(src(m), "breakglass", &bg))
		return "";
	return notify_field(bg, key);
}

/* "needs review", or "closed" once an approver closed it (also when that
 * happened before a late 'breakglass' row went out). */
static const char *
review(const struct notify_msg *m)
{
	return strcmp(review_field(m, "review"), "closed") == 0 ? "closed" : "needs review";
}

static char *
shown(const char *v)
{
	struct approve_cmd_shape sh;

	return approve_command_display(v, strlen(v), BG_VALUE_CHARS, &sh);
}

/* The host as approvald knows it (the reported hostname too when it
 * differs). */
static char *
host_text(json_object *s)
{
	const char *h = notify_field(s, "host"), *hn = notify_field(s, "hostname");
	char *out = NULL, *a = shown(h), *b = shown(hn);

	if (a && b && asprintf(&out, *hn && strcmp(h, hn) != 0 ? "%s (%s)" : "%s", a, b) < 0)
		out = NULL;
	free(a);
	free(b);
	return out;
}

static char *
link_of(const struct notify_msg *m)
{
	char *out = NULL;

	if (!offline(m))
		return strdup(notify_field(m->request, "url"));
	if (!m->public_url || !*m->public_url)
		return strdup("");
	if (asprintf(&out, "%s/ui/breakglass", m->public_url) < 0)
		return NULL;
	return out;
}

static int
texts(const struct notify_msg *m, char **head, char **line)
{
	json_object *s = src(m);
	char *user = shown(notify_field(s, "user")), *target = shown(notify_field(s, "target_user"));
	char *host = host_text(s), *code = shown(notify_field(s, "code"));
	int r = -1;

	*head = *line = NULL;
	if (!user || !target || !host || !code)
		goto out;
	if (notify_is_breakglass_review(m)) {
		char *by = shown(review_field(m, "reviewed_by"));
		char *c = shown(review_field(m, "comment"));
		int k = -1;

		if (by && c &&
		    asprintf(head, "Break-glass reviewed: %s became %s on %s", user, target,
			     host) >= 0) {
			k = asprintf(line, "%s (%s) was reviewed and closed by %s at %s: %s",
				     code, offline(m) ? "offline code" : "breakglass rule", by,
				     review_field(m, "reviewed_at"), c);
			if (k < 0)
				*line = NULL;
		} else {
			*head = NULL;
		}
		free(by);
		free(c);
		if (k >= 0)
			r = 0;
		goto out;
	}
	if (asprintf(head, offline(m) ? "BREAK-GLASS (offline code): %s became %s on %s"
				      : "BREAK-GLASS: %s became %s on %s without approval",
		     user, target, host) < 0) {
		*head = NULL;
		goto out;
	}
	if (asprintf(line, offline(m) ?
		     "%s used the one-time code %s while approvald was unreachable: "
		     "no one approved this elevation. It needs review: an approver other "
		     "than the requester must close it (Mark reviewed on the Break-glass "
		     "page, or approvalctl breakglass close %s)." :
		     "%s was let in by a breakglass rule on their reason alone: "
		     "no one approved this elevation. It needs review: an approver other "
		     "than the requester must close it (approvalctl breakglass close %s, or "
		     "Mark reviewed on the request page).",
		     user, code, code) < 0) {
		*line = NULL;
		goto out;
	}
	r = 0;
out:
	if (r < 0) {
		free(*head);
		*head = NULL;
	}
	free(user);
	free(target);
	free(host);
	free(code);
	return r;
}

static void facts_free(struct notify_fact *f, int n);

static int
facts(const struct notify_msg *m, struct notify_fact f[NOTIFY_BG_FACTS])
{
	static const struct { const char *label, *key; int kinds; } t[] = {
		/* kinds: 1 rule, 2 offline, 3 both */
		{ "Requester", "user", 3 }, { "As", "target_user", 3 }, { "Host", NULL, 3 },
		{ "Service", "service", 3 }, { "Command", NULL, 3 },
		{ "Reason", "reason", 1 }, { "Ticket", "ticket", 1 },
		{ "Rule", "policy_rule", 1 }, { "Request", "code", 1 },
		{ "Code", "code", 2 }, { "Used at", "created_at", 1 },
		{ "Used at (host clock)", "used_at", 2 }, { "Reported at", "reported_at", 2 },
		{ "Code issued", "issued_at", 2 }, { "Issued by", "issued_by", 2 },
	};
	static const struct { const char *label, *key; } rv[] = {
		{ "Reviewed by", "reviewed_by" }, { "Reviewed at", "reviewed_at" },
		{ "Review comment", "comment" },
	};
	json_object *s = src(m);
	int n = 0, want = offline(m) ? 2 : 1;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]) && n < NOTIFY_BG_FACTS; i++) {
		char *v;

		if (!(t[i].kinds & want))
			continue;
		if (!t[i].key)
			v = strcmp(t[i].label, "Host") == 0 ? host_text(s) : notify_command(s);
		else
			v = shown(notify_field(s, t[i].key));
		if (!v)
			goto fail;
		if (!*v) {
			free(v);
			continue;
		}
		f[n].label = t[i].label;
		f[n++].value = v;
	}
	if (n < NOTIFY_BG_FACTS) {
		f[n].label = "Review";
		if (!(f[n++].value = strdup(review(m))))
			goto fail;
	}
	for (size_t i = 0; i < sizeof(rv) / sizeof(rv[0]) && n < NOTIFY_BG_FACTS; i++) {
		const char *v = review_field(m, rv[i].key);

		if (!*v)
			continue;
		f[n].label = rv[i].label;
		if (!(f[n++].value = shown(v)))
			goto fail;
	}
	return n;
fail:
	facts_free(f, n);
	return -1;
}

static void
facts_free(struct notify_fact *f, int n)
{
	for (int i = 0; i < n; i++) {
		free(f[i].value);
		f[i].value = NULL;
	}
}

int
notify_breakglass_load(const struct notify_msg *m, struct notify_bg *bg)
{
	memset(bg, 0, sizeof(*bg));
	if (texts(m, &bg->head, &bg->line) < 0 || !(bg->link = link_of(m)) ||
	    (bg->n = facts(m, bg->f)) < 0) {
		bg->n = 0;
		notify_breakglass_release(bg);
		return -1;
	}
	return 0;
}

void
notify_breakglass_release(struct notify_bg *bg)
{
	facts_free(bg->f, bg->n);
	free(bg->head);
	free(bg->line);
	free(bg->link);
	memset(bg, 0, sizeof(*bg));
}

json_object *
notify_breakglass_summary(const struct notify_msg *m)
{
	static const char *const rule_keys[] = {
		"code", "host", "hostname", "user", "target_user", "service", "command",
		"sudo_command", "reason", "ticket", "policy_rule", "created_at", NULL,
	};
	static const char *const offline_keys[] = {
		"code", "host", "user", "target_user", "service", "command", "digest",
		"used_at", "reported_at", "issued_at", "issued_by", NULL,
	};
	const char *const *k = offline(m) ? offline_keys : rule_keys;
	json_object *s = src(m), *o = json_object_new_object(), *v;
	char *cmd = notify_command(s), *link = link_of(m);

	if (!o || !cmd || !link ||
	    approve_json_add_str(o, "kind", offline(m) ? "offline" : "rule") < 0 ||
	    approve_json_add_str(o, "request_id",
				 offline(m) ? NULL : notify_field(m->request, "id")) < 0)
		goto fail;
	for (; *k; k++) {
		v = NULL;
		if (json_object_object_get_ex(s, *k, &v) && v && json_object_get(v) &&
		    approve_json_add(o, *k, v) < 0)
			goto fail;
		if (!v && approve_json_add(o, *k, NULL) < 0)
			goto fail;
	}
	if (approve_json_add_str(o, "command_shown", cmd) < 0 ||
	    approve_json_add(o, "needs_review",
			     json_object_new_boolean(strcmp(review(m), "needs review") == 0)) < 0 ||
	    approve_json_add_str(o, "review", review(m)) < 0 ||
	    approve_json_add_str(o, "reviewed_by", *review_field(m, "reviewed_by") ?
				 review_field(m, "reviewed_by") : NULL) < 0 ||
	    approve_json_add_str(o, "reviewed_at", *review_field(m, "reviewed_at") ?
				 review_field(m, "reviewed_at") : NULL) < 0 ||
	    approve_json_add_str(o, "review_comment", *review_field(m, "comment") ?
				 review_field(m, "comment") : NULL) < 0 ||
	    approve_json_add_str(o, "url", *link ? link : NULL) < 0)
		goto fail;
	free(cmd);
	free(link);
	return o;
fail:
	free(cmd);
	free(link);
	json_object_put(o);
	return NULL;
}
