/* requests.c: the approver commands over the HTTP API with the approver's
 * API token: `list`, `show`, `approve`, `deny`. The server decides
 * everything (self-approval, final states, roles); these commands only
 * validate their own arguments, send, and report the answer. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "conf.h"
#include "print.h"
#include "wire.h"

#define API_DEADLINE 30	/* seconds for one exchange */
#define ID_MAX (APPROVE_UUID_LEN + 1)

/* The one operand: a request uuid or a code (normalised to upper case).
 * Both alphabets are URL-safe, so the result goes into a path as it is. */
static int
ref_arg(struct ctl_ctx *c, int argc, char **argv, char out[ID_MAX])
{
	const char *arg;

	if (optind >= argc)
		return ctl_usage_error(c, "missing ID or CODE");
	if (optind + 1 < argc)
		return ctl_usage_error(c, "unexpected argument '%s' (quote a comment: -m '...')",
				       argv[optind + 1]);
	arg = argv[optind];
	if (approve_uuid_valid(arg)) {
		memcpy(out, arg, APPROVE_UUID_LEN + 1);
		return CTL_OK;
	}
	if (approve_code_normalize(arg, out) == 0)
		return CTL_OK;
	return ctl_usage_error(c, "'%s' is neither a request id (uuid) nor a code (K7Q-4MX)",
			       arg);
}

/* One API call whose answer is printed as JSON or through show (which
 * returns -EINVAL for an answer of the wrong shape). */
static int
call(struct ctl_ctx *c, const char *what, const char *method, const char *path,
     const char *body, int json, int (*show)(struct json_object *))
{
	struct json_object *ans = NULL;
	int rc = ctl_api(c, what, method, path, body, API_DEADLINE, &ans);

	if (rc != CTL_OK)
		return rc;
	if (json) {
		ctl_print_json(ans);
	} else if (show(ans) != 0) {
		ctl_err("%s: invalid answer: not what the API describes", what);
		rc = CTL_FAILURE;
	}
	json_object_put(ans);
	return rc;
}

static int
path_printf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
path_printf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		ctl_err("internal error: request path too long");
		return CTL_FAILURE;
	}
	return CTL_OK;
}

static const struct option list_opts[] = {
	{ "status", required_argument, NULL, 's' },
	{ "initiator", required_argument, NULL, 'i' },
	{ "limit", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static int
run_list(struct ctl_ctx *c, int argc, char **argv)
{
	const char *status = NULL, *initiator = NULL;
	unsigned long limit = 0;
	char path[128];
	int o, json = 0, rc;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 's':
			if (approve_state_parse(optarg) == APPROVE_STATE_INVALID)
				return ctl_usage_error(c, "bad status '%s' (pending, approved, "
						       "denied, expired, cancelled)", optarg);
			status = optarg;
			break;
		case 'i':
			if (!approve_initiator_valid(optarg))
				return ctl_usage_error(c, "bad initiator '%s' (%s)", optarg,
						       APPROVE_INITIATOR_WORDS);
			initiator = optarg;
			break;
		case 'n':
			if (approve_parse_ulong(optarg, 1, 500, &limit) != 0)
				return ctl_usage_error(c, "bad limit '%s' (1..500)", optarg);
			break;
		case 'j':
			json = 1;
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	/* 50 is the server's default too */
	/* both words are checked above: URL-safe as they are */
	rc = path_printf(path, sizeof(path), "/v1/requests?limit=%lu%s%s%s%s",
			 limit ? limit : 50ul, status ? "&status=" : "", status ? status : "",
			 initiator ? "&initiator=" : "", initiator ? initiator : "");
	if (rc != CTL_OK)
		return rc;
	return call(c, "list", "GET", path, NULL, json, ctl_print_requests);
}

static int
run_show(struct ctl_ctx *c, int argc, char **argv)
{
	char ref[ID_MAX], path[128], what[64];
	int json, done, rc;

	rc = ctl_json_flag(c, argc, argv, &json, &done);
	if (rc != CTL_OK || done)
		return rc;
	rc = ref_arg(c, argc, argv, ref);
	if (rc != CTL_OK)
		return rc;
	snprintf(what, sizeof(what), "show %s", ref);
	rc = path_printf(path, sizeof(path), "/v1/requests/%s", ref);
	if (rc != CTL_OK)
		return rc;
	return call(c, what, "GET", path, NULL, json, ctl_print_request);
}

static const struct option decide_opts[] = {
	{ "comment", required_argument, NULL, 'm' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/* approve and deny: POST /v1/requests/REF/<verb> with an optional comment. */
static int
decide(struct ctl_ctx *c, int argc, char **argv, const char *verb)
{
	const char *comment = NULL;
	char ref[ID_MAX], path[128], what[64];
	char *body = NULL;
	int o, json = 0, rc;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'm':
			if (strlen(optarg) > APPROVE_LEN_COMMENT)
				return ctl_usage_error(c, "comment longer than %d bytes",
						       APPROVE_LEN_COMMENT);
			comment = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return CTL_USAGE;
		}
	}
	rc = ref_arg(c, argc, argv, ref);
	if (rc != CTL_OK)
		return rc;
	snprintf(what, sizeof(what), "%s %s", verb, ref);
	rc = path_printf(path, sizeof(path), "/v1/requests/%s/%s", ref, verb);
	if (rc != CTL_OK)
		return rc;
	if (comment && approve_decision_to_json(comment, &body) != 0) {
		ctl_err("%s: the comment is not valid text (UTF-8 without NUL)", what);
		return CTL_USAGE;
	}
	rc = call(c, what, "POST", path, body, json, ctl_print_decision);
	free(body);
	return rc;
}

static int
run_approve(struct ctl_ctx *c, int argc, char **argv)
{
	return decide(c, argc, argv, "approve");
}

static int
run_deny(struct ctl_ctx *c, int argc, char **argv)
{
	return decide(c, argc, argv, "deny");
}

#define REF_HELP "ID|CODE: the request's uuid or its code (K7Q-4MX, any case).\n"

const struct ctl_command ctl_cmd_list = {
	.name = "list", .synopsis = "[--status S] [--initiator K] [--limit N] [--json]",
	.summary = "list requests, newest first (approver, API)",
	.details =
		"Options:\n"
		"  --status S   only pending, approved, denied, expired or cancelled\n"
		"  --initiator K  only requests initiated by K: " APPROVE_INITIATOR_WORDS "\n"
		"  --limit N    at most N requests, 1..500 (server default 50)\n"
		"  --json       print the server's JSON answer\n",
	.longopts = list_opts, .run = run_list,
};
const struct ctl_command ctl_cmd_show = {
	.name = "show", .synopsis = "ID|CODE [--json]",
	.summary = "show a request: full context and history (approver, API)",
	.details = REF_HELP "\nOptions:\n  --json   print the server's JSON answer\n",
	.longopts = ctl_json_opts, .run = run_show,
};
const struct ctl_command ctl_cmd_approve = {
	.name = "approve", .synopsis = "ID|CODE [-m COMMENT] [--json]",
	.summary = "approve a pending request (approver, API)",
	.details = REF_HELP
		"Refused (exit 1): your own request (403), a final one (409), unknown (404).\n"
		"\nOptions:\n"
		"  -m, --comment TEXT   recorded with the decision (at most 2048 bytes)\n"
		"  --json               print the server's JSON answer\n",
	.shortopts = "m:", .longopts = decide_opts, .run = run_approve,
};
const struct ctl_command ctl_cmd_deny = {
	.name = "deny", .synopsis = "ID|CODE [-m COMMENT] [--json]",
	.summary = "deny a pending request (approver, API)",
	.details = REF_HELP
		"Refused (exit 1): your own request (403), a final one (409), unknown (404).\n"
		"\nOptions:\n"
		"  -m, --comment TEXT   shown to the requester (at most 2048 bytes)\n"
		"  --json               print the server's JSON answer\n",
	.shortopts = "m:", .longopts = decide_opts, .run = run_deny,
};
