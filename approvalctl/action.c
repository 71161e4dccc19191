/* action.c: `approvalctl request` and `approvalctl exec`: action approvals
 * beyond sudo (docs/agents.md). A program with a host token files a
 * request like the module does (POST /v1/requests), and with --wait (exec
 * always waits) long-polls until a final state, its own deadline or
 * SIGINT/SIGTERM, cancelling the request when it gives up.
 *
 * Starts at "not approved": only an answer that names our request id,
 * says "approved" and carries the digest of exactly the context we sent
 * is an approval. exec builds that context from exactly its argv, cwd and
 * target, so the approval it acts on is for nothing else; with --id it
 * reuses an earlier approval only when its digest is that of this argv.
 *
 * Exit codes: 0 approved (exec: the command's own status), 1 denied (the
 * comment on stderr) or refused, 2 usage, 3 unreachable, 4 other failure,
 * 5 expired or cancelled. Lines on stderr follow the grammar of the
 * module's ("approvalctl: pending CODE URL", "approvalctl: approved by
 * LOGIN", "approvalctl: denied by LOGIN: COMMENT", "approvalctl: expired",
 * "approvalctl: cancelled"). */
#include <errno.h>
#include <json-c/json.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "http.h"
#include "secret.h"
#include "wire.h"

#define POLL_S 25		/* long-poll asked from the server */
#define POLL_SLACK_S 10		/* server time beyond it */
#define DEFAULT_TIMEOUT_S 600UL	/* how long --wait waits by default */
#define CANCEL_S 5
#define WORD_MAX 256

extern char **environ;

static volatile sig_atomic_t caught;

static void
on_signal(int sig)
{
	caught = sig;
}

/* No SA_RESTART: a signal interrupts the long-poll (ctl_api -> CTL_INTERRUPTED). */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
restore_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

struct action_opts {
	const char *service, *command, *target, *reason, *ticket, *id;
	const char *host_token_file;
	unsigned long timeout;
	int wait, json;
};

/* A process-environ value (docs/agents.md: reported context). */
static const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Cleaned copy like the module's (cut at max with "..."); NULL stays NULL. */
static int
clean(const char *s, size_t max, char **out)
{
	*out = NULL;
	if (!s || !*s)
		return 0;
	*out = approve_sanitize_display(s, strnlen(s, max + 1), max);
	return *out ? 0 : -ENOMEM;
}

/* What an exec or request stands for. For exec, data/len is the argument
 * vector with each argument's NUL (like /proc/self/cmdline): the text
 * shows it with spaces, and the digest binds every byte through
 * command_full. */
static int
build_ctx(const struct action_opts *o, const char *data, size_t len,
	  struct approve_ctx **out)
{
	struct approve_ctx *c = calloc(1, sizeof(*c));
	struct passwd *pw = getpwuid(getuid());
	char host[APPROVE_LEN_NAME + 1], *text = NULL, *cwd = NULL;
	size_t shown = 0, i;
	int r = -ENOMEM;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	if (!pw || !pw->pw_name || !*pw->pw_name) {
		ctl_err("no passwd entry for uid %lu", (unsigned long)getuid());
		r = -ENOENT;
		goto out;
	}
	if (gethostname(host, sizeof(host)) != 0) {
		ctl_err("gethostname: %s", strerror(errno));
		r = -errno;
		goto out;
	}
	host[sizeof(host) - 1] = '\0';
	text = malloc(len + 1);
	if (!text)
		goto out;
	for (i = 0; i < len; i++)
		text[i] = data[i] ? data[i] : ' ';
	text[len] = '\0';
	c->uid = (long long)getuid();
	c->command = approve_sanitize_display_shown(text, len, APPROVE_LEN_COMMAND, &shown);
	if (!c->command)
		goto out;
	c->command_full.length = (long long)len;
	c->command_full.shown = (long long)shown;
	c->command_full.truncated = shown < len;
	if (approve_sha256_hex(data, len, c->command_full.sha256) != 0)
		goto out;
	cwd = getcwd(NULL, 0);
	if ((r = clean(o->service, APPROVE_LEN_NAME, &c->service)) != 0 ||
	    (r = clean(pw->pw_name, APPROVE_LEN_NAME, &c->user)) != 0 ||
	    (r = clean(o->target ? o->target : pw->pw_name, APPROVE_LEN_NAME,
		       &c->target_user)) != 0 ||
	    (r = clean(host, APPROVE_LEN_NAME, &c->hostname)) != 0 ||
	    (r = clean(cwd, APPROVE_LEN_CWD, &c->cwd)) != 0 ||
	    (r = clean(isatty(0) ? ttyname(0) : NULL, APPROVE_LEN_NAME, &c->tty)) != 0 ||
	    (r = clean(o->reason ? o->reason : env_get("APPROVAL_REASON"),
		       APPROVE_LEN_REASON, &c->reason)) != 0 ||
	    (r = clean(o->ticket ? o->ticket : env_get("APPROVAL_TICKET"),
		       APPROVE_LEN_TICKET, &c->ticket)) != 0 ||
	    (r = clean(env_get("APPROVAL_AGENT"), APPROVE_LEN_NAME, &c->agent)) != 0 ||
	    (r = clean(env_get("APPROVAL_RUN_URL"), APPROVE_LEN_URL, &c->run_url)) != 0 ||
	    (r = clean(env_get("APPROVAL_COMMIT"), APPROVE_LEN_NAME, &c->commit)) != 0 ||
	    (r = clean(env_get("APPROVAL_PROMPT"), APPROVE_LEN_PROMPT, &c->prompt)) != 0)
		goto out;
	if (!c->service || !c->target_user) {
		ctl_err("empty --service or --target");
		r = -EINVAL;
		goto out;
	}
	if ((r = approve_token_generate(NULL, &c->idempotency_key)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	if (r == -ENOMEM)
		ctl_err("out of memory");
	free(text);
	free(cwd);
	approve_ctx_free(c);
	return r;
}

/* A server text as one word of a stderr line (no blanks, no ':'). */
static char *
word(const char *v)
{
	char *w = approve_sanitize_display(v ? v : "", v ? strlen(v) : 0, WORD_MAX), *p;

	for (p = w; p && *p; p++)
		if (*p == ' ' || *p == ':' || *p == '\t')
			*p = '?';
	return w;
}

/* The answer body as a struct approve_status. CTL_OK or CTL_FAILURE. */
static int
status_of(struct json_object *o, struct approve_status **st)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char err[256];

	if (!s || approve_status_from_json(s, strlen(s), st, err, sizeof(err)) != 0) {
		ctl_err("invalid answer: %s", s ? err : "out of memory");
		return CTL_FAILURE;
	}
	return CTL_OK;
}

/* Show a final (or pending) state; the exit code it stands for. Only an
 * approved state with our id and our digest is CTL_OK. */
static int
outcome(const struct approve_status *st, const char *id, const char *digest)
{
	char *by = st->decided_by ? word(st->decided_by) : NULL;
	char *comment = st->comment && *st->comment ?
		approve_sanitize_display(st->comment, strlen(st->comment), APPROVE_LEN_COMMENT) : NULL;
	int rc = CTL_FAILURE;

	if (strcmp(st->id, id) != 0 || strcmp(st->digest, digest) != 0) {
		ctl_err("the answer is not for this request (id or digest differs): refused");
		rc = CTL_REFUSED;
		goto out;
	}
	switch (st->state) {
	case APPROVE_APPROVED:
		fprintf(stderr, "approvalctl: approved%s%s\n", by ? " by " : "", by ? by : "");
		rc = CTL_OK;
		break;
	case APPROVE_DENIED:
		fprintf(stderr, "approvalctl: denied%s%s%s%s\n", by ? " by " : "",
			by ? by : "", comment ? ": " : "", comment ? comment : "");
		rc = CTL_REFUSED;
		break;
	case APPROVE_EXPIRED:
		fputs("approvalctl: expired\n", stderr);
		rc = CTL_NOT_DECIDED;
		break;
	case APPROVE_CANCELLED:
		fputs("approvalctl: cancelled\n", stderr);
		rc = CTL_NOT_DECIDED;
		break;
	default:	/* pending is not an outcome */
		ctl_err("request %s is still pending", st->code);
		rc = CTL_NOT_DECIDED;
		break;
	}
out:
	free(by);
	free(comment);
	return rc;
}

static void
cancel(struct ctl_ctx *c, const char *token, const char *id)
{
	struct json_object *o = NULL;
	char path[128];

	snprintf(path, sizeof(path), "/v1/requests/%s/cancel", id);
	ctl_api_as(c, token, "cancel", "POST", path, NULL, CANCEL_S, &o);
	json_object_put(o);
}

/* Long-poll id until final, the deadline or a signal. CTL_OK with *st
 * final, or an exit code (the request cancelled when giving up). */
static int
wait_final(struct ctl_ctx *c, const char *token, const char *id,
	   uint64_t deadline, struct approve_status **st)
{
	struct json_object *o = NULL;
	char path[160];
	uint64_t now;
	unsigned long left;
	int rc;

	catch_signals();
	for (;;) {
		now = approve_now_ms();
		if (caught || now >= deadline)
			break;
		left = (unsigned long)((deadline - now + 999) / 1000);
		snprintf(path, sizeof(path), "/v1/requests/%s/wait?timeout=%lu", id,
			 left < POLL_S ? left : POLL_S);
		rc = ctl_api_as(c, token, "wait", "GET", path, NULL,
				POLL_S + POLL_SLACK_S, &o);
		if (rc == CTL_INTERRUPTED || caught)
			break;
		if (rc == CTL_UNREACHABLE) {	/* restart, 5xx: again, within the deadline */
			sleep(1);
			continue;
		}
		if (rc != CTL_OK)
			goto out;
		approve_status_free(*st);
		*st = NULL;
		rc = status_of(o, st);
		json_object_put(o);
		o = NULL;
		if (rc != CTL_OK)
			goto out;
		if ((*st)->state != APPROVE_PENDING) {
			rc = CTL_OK;
			goto out;
		}
	}
	restore_signals();
	cancel(c, token, id);
	fputs(caught ? "approvalctl: cancelled\n" : "approvalctl: expired\n", stderr);
	return CTL_NOT_DECIDED;
out:
	restore_signals();
	json_object_put(o);
	return rc;
}

static const struct option action_longopts[] = {
	{ "service", required_argument, NULL, 's' },
	{ "command", required_argument, NULL, 'c' },
	{ "target", required_argument, NULL, 'u' },
	{ "reason", required_argument, NULL, 'r' },
	{ "ticket", required_argument, NULL, 't' },
	{ "wait", no_argument, NULL, 'w' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "json", no_argument, NULL, 'j' },
	{ "id", required_argument, NULL, 'i' },
	{ "host-token-file", required_argument, NULL, 'H' },
	{ NULL, 0, NULL, 0 },
};

static int
parse(struct ctl_ctx *c, int argc, char **argv, struct action_opts *o, int *done)
{
	char *end;
	int ch;

	*done = 0;
	o->timeout = DEFAULT_TIMEOUT_S;
	while ((ch = ctl_getopt(c, argc, argv)) != -1) {
		switch (ch) {
		case 's': o->service = optarg; break;
		case 'c': o->command = optarg; break;
		case 'u': o->target = optarg; break;
		case 'r': o->reason = optarg; break;
		case 't': o->ticket = optarg; break;
		case 'w': o->wait = 1; break;
		case 'j': o->json = 1; break;
		case 'i': o->id = optarg; break;
		case 'H': o->host_token_file = optarg; break;
		case 'T':
			errno = 0;
			o->timeout = strtoul(optarg, &end, 10);
			if (errno || *end || o->timeout < 1 || o->timeout > 86400)
				return ctl_usage_error(c, "--timeout: 1..86400 seconds");
			break;
		case CTL_OPT_HELP:
			*done = 1;
			return CTL_OK;
		default:
			return CTL_USAGE;
		}
	}
	if (!o->service || !*o->service)
		return ctl_usage_error(c, "--service NAME is required");
	return CTL_OK;
}

static int
host_token(struct ctl_ctx *c, const struct action_opts *o, char **token)
{
	int failed = CTL_USAGE;
	const char *f = ctl_setting(c, o->host_token_file, "APPROVALCTL_HOST_TOKEN_FILE",
				    "host_token_file", &failed);

	*token = NULL;
	if (!f) {
		if (failed == CTL_USAGE)
			ctl_err("no host token: use --host-token-file FILE, "
				"APPROVALCTL_HOST_TOKEN_FILE or 'host_token_file'");
		return failed;
	}
	return ctl_read_token_file(f, token);
}

/* File (or, with o->id, find) the request for ctx and, when waiting, wait
 * for it. CTL_OK only for a verified approval. */
static int
run_action(struct ctl_ctx *c, const struct action_opts *o, const struct approve_ctx *ctx)
{
	char digest[APPROVE_HASH_HEX_LEN + 1], err[256] = "", path[160];
	char id[APPROVE_UUID_LEN + 1];
	char *json = NULL, *token = NULL, *url = NULL;
	struct approve_status *st = NULL;
	struct json_object *ans = NULL;
	uint64_t deadline = approve_now_ms() + (uint64_t)o->timeout * 1000;
	int rc = CTL_FAILURE;

	if (approve_ctx_digest(ctx, digest) != 0 ||
	    approve_ctx_to_json(ctx, &json, err, sizeof(err)) != 0) {
		ctl_err("cannot encode the request: %s", err);
		goto out;
	}
	rc = host_token(c, o, &token);
	if (rc != CTL_OK)
		goto out;
	if (o->id) {
		if (!approve_uuid_valid(o->id)) {
			rc = ctl_usage_error(c, "--id: a request uuid");
			goto out;
		}
		snprintf(path, sizeof(path), "/v1/requests/%s/wait?timeout=0", o->id);
		rc = ctl_api_as(c, token, "request", "GET", path, NULL, POLL_SLACK_S, &ans);
	} else {
		rc = ctl_api_as(c, token, "request", "POST", "/v1/requests", json,
				POLL_SLACK_S, &ans);
	}
	if (rc != CTL_OK)
		goto out;
	rc = status_of(ans, &st);
	if (rc != CTL_OK)
		goto out;
	memcpy(id, st->id, sizeof(id));
	if (o->id && (strcmp(st->id, o->id) != 0 || strcmp(st->digest, digest) != 0)) {
		ctl_err("request %s was for another command, cwd, target or context: "
			"refused", st->code);
		rc = CTL_REFUSED;
		goto out;
	}
	if (o->json) {
		puts(json_object_to_json_string_ext(ans, JSON_C_TO_STRING_PLAIN));
		fflush(stdout);
	}
	if (st->state == APPROVE_PENDING) {
		url = st->url ? word(st->url) : NULL;
		fprintf(stderr, "approvalctl: pending %s%s%s\n", st->code, url ? " " : "",
			url ? url : "");
		if (!o->wait) {
			rc = CTL_OK;
			goto out;
		}
		rc = wait_final(c, token, id, deadline, &st);
		if (rc != CTL_OK)
			goto out;
	}
	rc = outcome(st, id, digest);
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	free(json);
	free(url);
	json_object_put(ans);
	approve_status_free(st);
	return rc;
}

static int
run_request(struct ctl_ctx *c, int argc, char **argv)
{
	struct action_opts o = { 0 };
	struct approve_ctx *ctx = NULL;
	int done, rc = parse(c, argc, argv, &o, &done);

	if (rc != CTL_OK || done)
		return rc;
	if (o.id)
		return ctl_usage_error(c, "--id is for exec");
	if (!o.command || !*o.command)
		return ctl_usage_error(c, "--command TEXT is required");
	if (optind != argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (build_ctx(&o, o.command, strlen(o.command), &ctx) != 0)
		return CTL_FAILURE;
	rc = run_action(c, &o, ctx);
	approve_ctx_free(ctx);
	return rc;
}

static int
run_exec(struct ctl_ctx *c, int argc, char **argv)
{
	struct action_opts o = { 0 };
	struct approve_ctx *ctx = NULL;
	char *data = NULL;
	size_t len = 0, n;
	int done, i, rc = parse(c, argc, argv, &o, &done);

	if (rc != CTL_OK || done)
		return rc;
	if (o.command)
		return ctl_usage_error(c, "exec takes the command after --, not --command");
	if (optind >= argc)
		return ctl_usage_error(c, "missing command after --");
	o.wait = 1;
	for (i = optind; i < argc; i++) {
		n = strlen(argv[i]) + 1;
		if (len + n > APPROVE_CMD_LENGTH_MAX)
			return ctl_usage_error(c, "command too long");
		char *p = realloc(data, len + n);

		if (!p) {
			free(data);
			ctl_err("out of memory");
			return CTL_FAILURE;
		}
		data = p;
		memcpy(data + len, argv[i], n);	/* with its NUL, like /proc/PID/cmdline */
		len += n;
	}
	rc = build_ctx(&o, data, len, &ctx) != 0 ? CTL_FAILURE : run_action(c, &o, ctx);
	free(data);
	approve_ctx_free(ctx);
	if (rc != CTL_OK)
		return rc;
	fflush(NULL);
	execvp(argv[optind], argv + optind);	/* exactly the argv approved */
	ctl_err("exec %s: %s", argv[optind], strerror(errno));
	return CTL_FAILURE;
}

#define ACTION_DETAILS \
	"  -s, --service NAME    what kind of action (the request's service)\n" \
	"  -u, --target NAME     what it acts on or as (default: you)\n" \
	"  -r, --reason TEXT     reason (else $APPROVAL_REASON)\n" \
	"  -t, --ticket TEXT     ticket (else $APPROVAL_TICKET)\n" \
	"  -T, --timeout S       how long to wait (default 600)\n" \
	"      --json            print the create answer as JSON on stdout\n" \
	"  -H, --host-token-file FILE  host token (else $APPROVALCTL_HOST_TOKEN_FILE,\n" \
	"                        else 'host_token_file')\n" \
	"APPROVAL_AGENT, _RUN_URL, _COMMIT and _PROMPT are sent as reported context.\n" \
	"Exit: 0 approved, 1 denied (comment on stderr), 3 unreachable, 5 expired\n" \
	"or cancelled (Ctrl-C cancels the request).\n"

const struct ctl_command ctl_cmd_request = {
	.name = "request",
	.synopsis = "--service NAME --command TEXT [OPTIONS] [--wait]",
	.summary = "file an action approval with a host token (and wait)",
	.details = "  -c, --command TEXT    the action, as approvers will read it\n"
		   "  -w, --wait            wait for the decision\n" ACTION_DETAILS,
	.shortopts = "s:c:u:r:t:wT:ji:H:",
	.longopts = action_longopts,
	.run = run_request,
};

const struct ctl_command ctl_cmd_exec = {
	.name = "exec",
	.synopsis = "--service NAME [OPTIONS] -- CMD [ARGS...]",
	.summary = "run CMD only once it is approved, bound to its argv, cwd and target",
	.details = "  -i, --id UUID         act on an earlier approval of exactly this\n"
		   "                        argv, cwd, target and context instead of filing\n"
		   ACTION_DETAILS,
	.shortopts = "s:c:u:r:t:wT:ji:H:",
	.longopts = action_longopts,
	.run = run_exec,
};
