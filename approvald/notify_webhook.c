/* notify_webhook.c: the generic signed webhook (docs/notifications.md),
 * and the helpers every sender shares: posting with a deadline, judging
 * the answer, reading and cutting request fields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "http.h"
#include "notify.h"
#include "notify_sig.h"
#include "secret.h"
#include "text.h"
#include "wire.h"

#define URL_MAX 2048

int
notify_post(const struct approvald_notify *n, const char *url, const char *token,
	    const char *const *headers, const char *body, size_t len,
	    char **resp_body, struct notify_result *res)
{
	struct approve_http_opts o = { 0 };
	struct approve_http_response *resp = NULL;
	char origin[URL_MAX], err[200] = "";
	const char *scheme_end, *path;
	int r;

	if (resp_body)
		*resp_body = NULL;
	scheme_end = strstr(url, "://");
	if (!scheme_end || strlen(url) >= URL_MAX) {
		snprintf(res->error, sizeof(res->error), "bad URL");
		res->permanent = 1;
		return -1;
	}
	path = strchr(scheme_end + 3, '/');
	snprintf(origin, sizeof(origin), "%.*s", path ? (int)(path - url) : (int)strlen(url), url);
	o.url = origin;
	o.ca_file = n->ca_file;
	o.token = token;
	o.headers = headers;
	r = approve_http_request(&o, "POST", path ? path : "/", body, len,
				 approve_now_ms() + n->timeout * 1000, &resp, err, sizeof(err));
	if (r < 0) {
		/* err names the phase, never the URL's path or query (a
		 * webhook URL may carry its secret there) */
		snprintf(res->error, sizeof(res->error), "%s", err[0] ? err : strerror(-r));
		return -1;
	}
	res->http_status = resp->status;
	if (resp_body) {
		*resp_body = malloc(resp->body.len + 1);
		if (*resp_body) {
			if (resp->body.len)
				memcpy(*resp_body, resp->body.data, resp->body.len);
			(*resp_body)[resp->body.len] = '\0';
		}
	}
	approve_http_response_free(resp);
	return 0;
}

void
notify_judge_status(struct notify_result *res)
{
	int s = res->http_status;

	if (s >= 200 && s < 300) {
		res->ok = 1;
		return;
	}
	snprintf(res->error, sizeof(res->error), "HTTP %d", s);
	res->permanent = s >= 400 && s < 500 && s != 408 && s != 425 && s != 429;
}

const char *
notify_field(json_object *req, const char *key)
{
	json_object *v;

	if (!req || !json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* Characters of a command in a chat message: room for the rest of it. */
#define NOTIFY_COMMAND_CHARS 600

char *
notify_command(json_object *req)
{
	const char *cmd = notify_field(req, "sudo_command");
	struct approve_cmd_shape sh;
	char *shown, *out = NULL;

	if (!*cmd)
		cmd = notify_field(req, "command");
	shown = approve_command_display(cmd, strlen(cmd), NOTIFY_COMMAND_CHARS, &sh);
	if (!shown)
		return NULL;
	if (sh.lines > 1) {
		if (asprintf(&out, "%s (command has %zu lines)", shown, sh.lines) < 0)
			out = NULL;
		free(shown);
		return out;
	}
	return shown;
}

char *
notify_reported(json_object *req)
{
	static const struct { const char *label, *key; } f[] = {
		{ "Initiator", "initiator" }, { "Agent", "agent" }, { "Run", "run_url" },
		{ "Commit", "commit" }, { "Prompt", "prompt" },
	};
	struct approve_cmd_shape sh;
	struct approve_buf b;
	char *out;
	int rc = 0;

	approve_buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *v = notify_field(req, f[i].key);
		char *shown;

		/* "human" is what every sudo without agent context says */
		if (!*v || (i == 0 && strcmp(v, "human") == 0))
			continue;
		shown = approve_command_display(v, strlen(v), NOTIFY_COMMAND_CHARS, &sh);
		rc |= !shown || approve_buf_printf(&b, "%s%s: %s", b.len ? "\n" : "",
						   f[i].label, shown) < 0;
		free(shown);
	}
	out = rc == 0 ? approve_buf_take(&b) : NULL;
	approve_buf_release(&b);
	return out;
}

char *
notify_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *d;

	if (n <= max)
		return strdup(s);
	n = max > 3 ? max - 3 : 0;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;	/* not inside a UTF-8 sequence */
	d = malloc(n + 4);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	memcpy(d + n, "\xe2\x80\xa6", 4);
	return d;
}

void
notify_webhook_send(const struct approvald_notify *n, const struct notify_msg *m,
		    struct notify_result *res)
{
	char sig[64 + 64], idem[80], ev[64], hex[65];
	const char *headers[4] = { sig, idem, ev, NULL };
	json_object *o = json_object_new_object(), *req = NULL, *bg = NULL;
	const char *body;
	long long ts = (long long)time(NULL);

	/* an offline break-glass use has no request: "request" is null */
	if (!o || (m->request && json_object_deep_copy(m->request, &req, NULL) != 0) ||
	    (notify_is_breakglass(m) && !(bg = notify_breakglass_summary(m)))) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		goto out;
	}
	if (req) {
		json_object_object_del(req, "events");
		json_object_object_del(req, "self");
	}
	snprintf(ev, sizeof(ev), notify_is_breakglass(m) ? "X-Approve-Event: %s" :
		 "X-Approve-Event: request.%s", m->event);
	if (approve_json_add_str(o, "event", ev + strlen("X-Approve-Event: ")) < 0 ||
	    approve_json_add_str(o, "idempotency_key", m->idempotency_key) < 0 ||
	    (bg && approve_json_add(o, "breakglass", bg) < 0) ||
	    approve_json_add(o, "request", req) < 0) {
		req = bg = NULL;
		snprintf(res->error, sizeof(res->error), "out of memory");
		goto out;
	}
	req = bg = NULL;
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (notify_webhook_sign(n->webhook_secret->data, n->webhook_secret->len, ts, body,
				strlen(body), hex) < 0) {
		snprintf(res->error, sizeof(res->error), "signing failed");
		goto out;
	}
	snprintf(sig, sizeof(sig), "X-Approve-Signature: t=%lld,v1=%s", ts, hex);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", m->idempotency_key);
	if (notify_post(n, n->webhook_url, NULL, headers, body, strlen(body), NULL, res) == 0)
		notify_judge_status(res);
out:
	json_object_put(req);
	json_object_put(bg);
	json_object_put(o);
}
