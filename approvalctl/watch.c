/* watch.c: `approvalctl watch [--count N] [--timeout SEC]`: follows
 * GET /v1/events (long-poll) and prints one line per event with the
 * request's context (fetched from GET /v1/requests/ID). It first asks for
 * the current event position and says so on stderr ("watching events after
 * N"): every event after that line is shown, which gives scripts and tests a
 * point to synchronise on. Ctrl-C (or SIGTERM) ends it with exit 0. */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "conf.h"
#include "http.h"
#include "print.h"
#include "wire.h"

#define SLACK_S 10		/* client deadline beyond it */

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	if (stop)
		_exit(CTL_OK);	/* a second Ctrl-C while a poll did not notice */
	stop = 1;
}

/* No SA_RESTART: the HTTP client returns -EINTR and watch ends. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int
get_int(struct json_object *o, const char *key, long long *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	*out = (long long)json_object_get_int64(v);
	return *out < 0 ? -1 : 0;
}

/* Print one event with its request's context. */
static int
show_event(struct ctl_ctx *c, struct json_object *ev)
{
	struct json_object *detail = NULL, *rid;
	const char *id = NULL;
	char path[96];
	int rc = CTL_OK;

	if (json_object_object_get_ex(ev, "request_id", &rid) &&
	    json_object_is_type(rid, json_type_string))
		id = json_object_get_string(rid);
	if (id && approve_uuid_valid(id)) {
		snprintf(path, sizeof(path), "/v1/requests/%s", id);
		rc = ctl_api(c, "watch: reading the request", "GET", path, NULL,
			     APPROVE_POLL_DEFAULT_S + SLACK_S, &detail);
		if (rc == CTL_INTERRUPTED)
			return rc;
		/* a request we may not read still gets its event line */
	}
	ctl_print_event(ev, detail);
	json_object_put(detail);
	return CTL_OK;
}

static const struct option watch_opts[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 },
};

static int
run_watch(struct ctl_ctx *c, int argc, char **argv)
{
	unsigned long count = 0, timeout = 0, seen = 0;
	struct json_object *ans = NULL, *events;
	uint64_t end = 0;
	long long last, id;
	char path[96];
	int o, rc;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'n':
			if (approve_parse_ulong(optarg, 1, 1000000, &count) != 0)
				return ctl_usage_error(c, "bad count '%s' (1..1000000)", optarg);
			break;
		case 't':
			if (approve_parse_ulong(optarg, 1, 31L * 24 * 3600, &timeout) != 0)
				return ctl_usage_error(c, "bad timeout '%s' (seconds, >= 1)", optarg);
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	catch_signals();
	if (timeout)
		end = approve_now_ms() + (uint64_t)timeout * 1000;

	rc = ctl_api(c, "watch", "GET", "/v1/events?timeout=0", NULL, SLACK_S, &ans);
	if (rc != CTL_OK)
		goto out;
	if (get_int(ans, "last", &last) != 0) {
		ctl_err("watch: invalid answer: no \"last\" event id");
		rc = CTL_FAILURE;
		goto out;
	}
	json_object_put(ans);
	ans = NULL;
	fprintf(stderr, "watching events after %lld (Ctrl-C to stop)\n", last);

	while (!stop) {
		unsigned poll = APPROVE_POLL_DEFAULT_S;
		long long next;

		if (end) {
			uint64_t now = approve_now_ms();

			if (now >= end)
				break;
			if ((end - now + 999) / 1000 < poll)
				poll = (unsigned)((end - now + 999) / 1000);
		}
		snprintf(path, sizeof(path), "/v1/events?after=%lld&timeout=%u", last, poll);
		rc = ctl_api(c, "watch", "GET", path, NULL, poll + SLACK_S, &ans);
		if (rc != CTL_OK)
			goto out;
		if (!json_object_object_get_ex(ans, "events", &events) ||
		    !json_object_is_type(events, json_type_array) ||
		    get_int(ans, "last", &next) != 0) {
			ctl_err("watch: invalid answer: no \"events\" array or \"last\"");
			rc = CTL_FAILURE;
			goto out;
		}
		for (size_t i = 0; i < json_object_array_length(events); i++) {
			struct json_object *ev = json_object_array_get_idx(events, i);

			if (get_int(ev, "id", &id) != 0 || id <= last)
				continue;	/* malformed or already shown */
			rc = show_event(c, ev);
			if (rc != CTL_OK)
				goto out;
			last = id;
			if (count && ++seen >= count) {
				rc = CTL_OK;
				goto out;
			}
		}
		if (next > last)
			last = next;
		json_object_put(ans);
		ans = NULL;
	}
	if (stop) {
		rc = CTL_OK;
	} else if (count) {
		ctl_err("watch: timeout: %lu of %lu events seen", seen, count);
		rc = CTL_REFUSED;
	} else {
		rc = CTL_OK;
	}
out:
	if (rc == CTL_INTERRUPTED)
		rc = CTL_OK;	/* Ctrl-C */
	json_object_put(ans);
	return rc;
}

const struct ctl_command ctl_cmd_watch = {
	.name = "watch", .synopsis = "[--count N] [--timeout SEC]",
	.summary = "print events as they happen (approver, API)",
	.details =
		"One line per event: time (UTC), kind, code, host, requester -> target,\n"
		"command. Runs until Ctrl-C (exit 0).\n"
		"\nOptions:\n"
		"  --count N      exit 0 after N events\n"
		"  --timeout SEC  stop after SEC seconds: exit 0, or 1 when --count N\n"
		"                 events were not seen by then\n",
	.longopts = watch_opts, .run = run_watch,
};
