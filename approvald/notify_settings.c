/* notify_settings.c: owns the notification keys of approvald.conf (see
 * notify_settings.h). Defaults live here and nowhere else. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "http.h"
#include "notify_settings.h"
#include "secret.h"

const char *const notify_kind_name[NOTIFY_NKINDS] = NOTIFY_KIND_NAMES;

#define DEFAULT_SLACK_API "https://slack.com/api"
#define DEFAULT_SLACK_RESPONSE_PREFIX "https://hooks.slack.com/"
#define URL_MAX 2048

static int
nfail(char *err, size_t errlen, const char *path, unsigned line,
      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
nfail(char *err, size_t errlen, const char *path, unsigned line, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%u: %s", path, line, what);
	return -EINVAL;
}

/* An http(s) URL whose origin approve_url_parse accepts; the rest (path,
 * query) printable ASCII without blanks. */
static int
url_ok(const char *v)
{
	struct approve_url u = { 0 };
	char origin[URL_MAX], e[128];
	const char *p, *s;
	int ok;

	if (strlen(v) >= URL_MAX)
		return 0;
	if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
		return 0;
	for (s = v; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	p = strchr(strstr(v, "://") + 3, '/');
	snprintf(origin, sizeof(origin), "%.*s", p ? (int)(p - v) : (int)strlen(v), v);
	ok = approve_url_parse(origin, &u, e, sizeof(e)) == 0;
	approve_url_release(&u);
	return ok;
}

/* A secret file: regular, not a symlink, owned by us or root, no group or
 * other permission, at most NOTIFY_SECRET_MAX bytes, one trailing newline
 * allowed, printable ASCII without blanks. */
static int
read_secret(const char *file, struct approve_secret **out, char *why, size_t whylen)
{
	struct approve_secret *s = NULL;
	char buf[NOTIFY_SECRET_MAX + 2];
	struct stat st;
	size_t len = 0, i;
	ssize_t n;
	int fd, r = -EINVAL;

	*out = NULL;
	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", file, strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", file);
		goto out;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		snprintf(why, whylen, "%s: must be owned by approvald's user or root, "
			 "mode 0600 or 0400", file);
		goto out;
	}
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len > NOTIFY_SECRET_MAX) {
		snprintf(why, whylen, "%s: empty or over %d bytes", file, NOTIFY_SECRET_MAX);
		goto out;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] <= 0x20 || (unsigned char)buf[i] >= 0x7f) {
			snprintf(why, whylen, "%s: holds blanks or control characters", file);
			goto out;
		}
	r = -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->data = malloc(len + 1)))
		goto out;
	memcpy(s->data, buf, len);
	s->data[len] = '\0';
	s->len = len;
	*out = s;
	s = NULL;
	r = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	approve_secret_free(s);
	close(fd);
	return r;
}

static int
dup_to(const char *v, char **out)
{
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

int
notify_sink_enabled(const struct approvald_notify *n, enum notify_kind k)
{
	switch (k) {
	case NOTIFY_WEBHOOK: return n->webhook_url != NULL;
	case NOTIFY_SLACK: return n->slack_token != NULL || n->slack_webhook_url != NULL;
	case NOTIFY_TEAMS: return n->teams_webhook_url != NULL;
	default: return 0;
	}
}

int
notify_any_sink(const struct approvald_notify *n)
{
	for (int k = 0; k < NOTIFY_NKINDS; k++)
		if (notify_sink_enabled(n, (enum notify_kind)k))
			return 1;
	return 0;
}

int
notify_settings_load(struct approvald_notify *n, const struct approve_conf *f,
		     const char *path, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
	} urls[] = {
		{ "notify_webhook_url", offsetof(struct approvald_notify, webhook_url) },
		{ "notify_slack_webhook_url", offsetof(struct approvald_notify, slack_webhook_url) },
		{ "notify_slack_api_url", offsetof(struct approvald_notify, slack_api_url) },
		{ "notify_slack_response_url_prefix",
		  offsetof(struct approvald_notify, slack_response_url_prefix) },
		{ "notify_teams_webhook_url", offsetof(struct approvald_notify, teams_webhook_url) },
	};
	static const struct {
		const char *key;
		size_t off;
	} secrets[] = {
		{ "notify_webhook_secret_file", offsetof(struct approvald_notify, webhook_secret) },
		{ "notify_slack_token_file", offsetof(struct approvald_notify, slack_token) },
		{ "notify_slack_signing_secret_file",
		  offsetof(struct approvald_notify, slack_signing_secret) },
	};
	static const struct {
		const char *key;
		size_t off;
		unsigned long min, max;
	} nums[] = {
		{ "notify_max_age", offsetof(struct approvald_notify, max_age), 10, 30 * 86400 },
		{ "notify_timeout", offsetof(struct approvald_notify, timeout), 1, 60 },
		{ "notify_retry_base_ms", offsetof(struct approvald_notify, retry_base_ms), 10, 600000 },
		{ "notify_retry_max", offsetof(struct approvald_notify, retry_max), 1, 86400 },
		{ "notify_escalate_after", offsetof(struct approvald_notify, escalate_after), 0, 86400 },
		{ "notify_remind_before", offsetof(struct approvald_notify, remind_before), 0, 86400 },
		{ "notify_poll_ms", offsetof(struct approvald_notify, poll_ms), 50, 60000 },
	};
	char why[600];
	const char *v;
	size_t i;
	int r;

	memset(n, 0, sizeof(*n));
	n->max_age = 86400;
	n->timeout = 5;
	n->retry_base_ms = 1000;
	n->retry_max = 300;
	n->escalation_sink = -1;
	n->poll_ms = 500;
#define LINE(k) approve_conf_line(f, k)
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		v = approve_conf_get(f, urls[i].key);
		if (!v)
			continue;
		if (!url_ok(v))
			return nfail(err, errlen, path, LINE(urls[i].key),
				     "%s: expected an http:// or https:// URL", urls[i].key);
		if (dup_to(v, (char **)((char *)n + urls[i].off)) < 0)
			return -ENOMEM;
	}
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		v = approve_conf_get(f, secrets[i].key);
		if (!v)
			continue;
		r = read_secret(v, (struct approve_secret **)((char *)n + secrets[i].off),
				why, sizeof(why));
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return nfail(err, errlen, path, LINE(secrets[i].key), "%s: %s",
				     secrets[i].key, why);
	}
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		v = approve_conf_get(f, nums[i].key);
		if (v && approve_parse_ulong(v, nums[i].min, nums[i].max,
					     (unsigned long *)((char *)n + nums[i].off)) < 0)
			return nfail(err, errlen, path, LINE(nums[i].key),
				     "%s: expected %lu..%lu", nums[i].key, nums[i].min, nums[i].max);
	}
	v = approve_conf_get(f, "notify_slack_channel");
	if (v) {
		for (i = 0; v[i]; i++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789_-#", v[i]))
				break;
		if (!*v || v[i] || i > 80)
			return nfail(err, errlen, path, LINE("notify_slack_channel"),
				     "notify_slack_channel: expected a channel id (C0123...) or #name");
		if (dup_to(v, &n->slack_channel) < 0)
			return -ENOMEM;
	}
	v = approve_conf_get(f, "notify_ca_file");
	if (v && (!*v || dup_to(v, &n->ca_file) < 0))
		return nfail(err, errlen, path, LINE("notify_ca_file"), "notify_ca_file: empty");
	v = approve_conf_get(f, "notify_escalation_sink");
	if (v) {
		for (i = 0; i < NOTIFY_NKINDS; i++)
			if (strcmp(v, notify_kind_name[i]) == 0)
				n->escalation_sink = (int)i;
		if (n->escalation_sink < 0 || !notify_sink_enabled(n, (enum notify_kind)n->escalation_sink))
			return nfail(err, errlen, path, LINE("notify_escalation_sink"),
				     "notify_escalation_sink: expected a configured sink "
				     "(webhook, slack or teams)");
	}
	if (n->escalate_after && n->escalation_sink < 0)
		return nfail(err, errlen, path, LINE("notify_escalate_after"),
			     "notify_escalate_after needs notify_escalation_sink");
	if (!n->webhook_url != !n->webhook_secret)
		return nfail(err, errlen, path,
			     LINE(n->webhook_url ? "notify_webhook_url" : "notify_webhook_secret_file"),
			     "notify_webhook_url and notify_webhook_secret_file go together");
	if (n->webhook_secret && n->webhook_secret->len < NOTIFY_SECRET_MIN)
		return nfail(err, errlen, path, LINE("notify_webhook_secret_file"),
			     "notify_webhook_secret_file: at least %d bytes", NOTIFY_SECRET_MIN);
	if (!n->slack_token != !n->slack_channel)
		return nfail(err, errlen, path,
			     LINE(n->slack_token ? "notify_slack_token_file" : "notify_slack_channel"),
			     "notify_slack_token_file and notify_slack_channel go together");
	if (n->slack_token && n->slack_webhook_url)
		return nfail(err, errlen, path, LINE("notify_slack_webhook_url"),
			     "notify_slack_webhook_url or notify_slack_token_file, not both");
#undef LINE
	if ((!n->slack_api_url && dup_to(DEFAULT_SLACK_API, &n->slack_api_url) < 0) ||
	    (!n->slack_response_url_prefix &&
	     dup_to(DEFAULT_SLACK_RESPONSE_PREFIX, &n->slack_response_url_prefix) < 0))
		return -ENOMEM;
	return 0;
}

void
notify_settings_release(struct approvald_notify *n)
{
	free(n->webhook_url);
	approve_secret_free(n->webhook_secret);
	approve_secret_free(n->slack_token);
	free(n->slack_channel);
	free(n->slack_webhook_url);
	free(n->slack_api_url);
	approve_secret_free(n->slack_signing_secret);
	free(n->slack_response_url_prefix);
	free(n->teams_webhook_url);
	free(n->ca_file);
	memset(n, 0, sizeof(*n));
}
