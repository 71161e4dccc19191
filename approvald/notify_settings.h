/* notify_settings.h: the notification keys of approvald.conf (docs/
 * notifications.md): which sinks exist, where they are, their secrets
 * (read from files here, once, never logged) and the delivery rules.
 * Pure: parsed with the rest of settings.c, unit-testable. */
#ifndef APPROVALD_NOTIFY_SETTINGS_H
#define APPROVALD_NOTIFY_SETTINGS_H
#include <stddef.h>

struct approve_conf;
struct approve_secret;

/* The keys, for settings.c's list of allowed keys. */
#define NOTIFY_CONF_KEYS \
	"notify_webhook_url", "notify_webhook_secret_file", \
	"notify_slack_token_file", "notify_slack_channel", "notify_slack_webhook_url", \
	"notify_slack_api_url", "notify_slack_signing_secret_file", \
	"notify_slack_response_url_prefix", "notify_teams_webhook_url", \
	"notify_max_age", "notify_timeout", "notify_retry_base_ms", "notify_retry_max", \
	"notify_escalate_after", "notify_escalation_sink", "notify_remind_before", \
	"notify_ca_file", "notify_poll_ms"

#define NOTIFY_SECRET_MAX 4096	/* a secret file's size */
#define NOTIFY_SECRET_MIN 16	/* a webhook secret shorter than this is refused */

/* The sinks; their names are what approval.notify_sinks and the outbox
 * rows carry. */
enum notify_kind { NOTIFY_WEBHOOK, NOTIFY_SLACK, NOTIFY_TEAMS, NOTIFY_NKINDS };
/* their names in enum order (also for policy.c's notify=, which links
 * without this file) */
#define NOTIFY_KIND_NAMES { "webhook", "slack", "teams" }
extern const char *const notify_kind_name[NOTIFY_NKINDS];

struct approvald_notify {
	char *webhook_url;	/* http(s), query allowed */
	struct approve_secret *webhook_secret;	/* required with webhook_url */
	struct approve_secret *slack_token;	/* bot token: chat.postMessage/update */
	char *slack_channel;	/* required with slack_token */
	char *slack_webhook_url;	/* incoming webhook instead of a bot */
	char *slack_api_url;	/* default https://slack.com/api */
	struct approve_secret *slack_signing_secret;	/* enables the actions endpoint */
	char *slack_response_url_prefix;	/* default https://hooks.slack.com/ */
	char *teams_webhook_url;
	char *ca_file;		/* NULL: the system bundle */
	unsigned long max_age;	/* seconds a row is retried before giving up */
	unsigned long timeout;	/* seconds per delivery attempt */
	unsigned long retry_base_ms;	/* first retry delay, doubled each attempt */
	unsigned long retry_max;	/* seconds, the longest delay */
	unsigned long escalate_after;	/* seconds pending; 0: no escalation */
	int escalation_sink;	/* enum notify_kind; -1 when none */
	unsigned long remind_before;	/* seconds before expiry; 0: none */
	unsigned long poll_ms;	/* how often the worker looks for due rows */
};

/* 1 when sink kind k is configured. */
int notify_sink_enabled(const struct approvald_notify *n, enum notify_kind k);
/* 1 when any sink is. */
int notify_any_sink(const struct approvald_notify *n);

/* Fill n (defaults first) from f. 0, -ENOMEM, or -EINVAL with
 * "PATH:LINE: what" in err. */
int notify_settings_load(struct approvald_notify *n, const struct approve_conf *f,
			 const char *path, char *err, size_t errlen);
void notify_settings_release(struct approvald_notify *n);

#endif
