/* context.c: owns the capture of struct approve_ctx inside sudo, su or any
 * other PAM application (DESIGN.md §1, §8).
 *  - The requester is the kernel's real uid, never PAM_USER or the
 *    environment.
 *  - The target user is PAM_USER, except under sudo where PAM_USER is the
 *    invoker and sudo's getenv() hook answers USER from the command's
 *    environment (the runas user). "Under sudo" is decided from
 *    /proc/self/exe, which the requester cannot change.
 *  - The command is /proc/self/cmdline; under sudo also SUDO_COMMAND
 *    (sudo's hook overwrites a user-set value).
 *  - APPROVAL_REASON, APPROVAL_TICKET and SSH_CONNECTION are read from the
 *    process environ (under sudo, getenv() would answer from the command's
 *    environment, where env_reset removed them). They are requester-supplied
 *    context: bounded, cleaned, never deciding anything. So are
 *    APPROVAL_AGENT, APPROVAL_RUN_URL, APPROVAL_COMMIT and APPROVAL_PROMPT
 *    (docs/agents.md); a value that had to be cut or cleaned is logged and
 *    told to the requester, and still never decides anything.
 *  - The observed context (ancestry by executable, audit ids, terminal) is
 *    observed.c's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <pwd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "buf.h"
#include "cmdline.h"
#include "context.h"
#include "observed.h"
#include "secret.h"	/* approve_token_generate() */
#include "conv.h"

extern char **environ;

#define CMDLINE_READ_MAX (16 * 1024 * 1024)	/* above the kernel's argv limit */
#define REASON_PROMPT "Reason for this elevation: "
#define REASON_TRIES 3

/* Value of name in the process environment array itself (not getenv). */
static const char *
environ_get(const char *name)
{
	size_t n = strlen(name);
	char **e;

	for (e = environ; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* A cleaned copy of s of at most max bytes ("..." marks a cut); the input
 * is looked at only up to max + 1 bytes. *out is NULL when s is NULL or
 * empty (an optional field that is empty is absent). */
static int
clean_dup(const char *s, size_t max, char **out)
{
	*out = NULL;
	if (!s || !*s)
		return 0;
	/* the result, "..." included, is at most max bytes */
	*out = approve_sanitize_display(s, strnlen(s, max + 1), max);
	return *out ? 0 : -ENOMEM;
}

/* The requester-reported variables, in the process environ. */
static const struct {
	const char *var;
	size_t off;
	size_t max;
} reported_vars[] = {
	{ "APPROVAL_REASON", offsetof(struct approve_ctx, reason), APPROVE_LEN_REASON },
	{ "APPROVAL_TICKET", offsetof(struct approve_ctx, ticket), APPROVE_LEN_TICKET },
	{ "APPROVAL_AGENT", offsetof(struct approve_ctx, agent), APPROVE_LEN_NAME },
	{ "APPROVAL_RUN_URL", offsetof(struct approve_ctx, run_url), APPROVE_LEN_URL },
	{ "APPROVAL_COMMIT", offsetof(struct approve_ctx, commit), APPROVE_LEN_NAME },
	{ "APPROVAL_PROMPT", offsetof(struct approve_ctx, prompt), APPROVE_LEN_PROMPT },
};

/* Each reported variable, cleaned and cut like clean_dup. A value that was
 * cut or had bytes replaced (invalid UTF-8, control or hostile characters)
 * is kept as cleaned, logged, and told to the requester in one
 * "pam_approve: note:" line (docs/agents.md). */
static int
capture_reported(pam_handle_t *pamh, const struct pa_args *a,
		 struct approve_ctx *c)
{
	size_t i, len;
	char **dst;
	const char *v;
	int r;

	for (i = 0; i < sizeof(reported_vars) / sizeof(reported_vars[0]); i++) {
		dst = (char **)((char *)c + reported_vars[i].off);
		v = environ_get(reported_vars[i].var);
		r = clean_dup(v, reported_vars[i].max, dst);
		if (r != 0)
			return r;
		if (!*dst)
			continue;
		len = strnlen(v, reported_vars[i].max + 1);
		if (len > reported_vars[i].max) {
			pam_syslog(pamh, LOG_NOTICE, "%s over %zu bytes: cut",
				   reported_vars[i].var, reported_vars[i].max);
			pa_conv_sayf(pamh, PAM_ERROR_MSG, a->debug,
				     "pam_approve: note: %s cut to %zu bytes",
				     reported_vars[i].var, reported_vars[i].max);
		} else if (strlen(*dst) != len || memcmp(*dst, v, len) != 0) {
			pam_syslog(pamh, LOG_NOTICE,
				   "%s held invalid UTF-8 or control characters: "
				   "replaced by '?'", reported_vars[i].var);
			pa_conv_sayf(pamh, PAM_ERROR_MSG, a->debug,
				     "pam_approve: note: %s had invalid UTF-8 or "
				     "control characters, replaced by '?'",
				     reported_vars[i].var);
		}
	}
	return 0;
}

/* What a command text of shown bytes out of data[0..len) stands for. */
static int
full_of(const char *data, size_t len, size_t shown, struct approve_cmd_full *f)
{
	f->length = (long long)len;
	f->shown = (long long)shown;
	f->truncated = shown < len;
	return approve_sha256_hex(data ? data : "", len, f->sha256);
}

/* 1 when this process is sudo (sudoedit is the same binary). */
static int
running_under_sudo(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *base;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return strcmp(base, "sudo") == 0;
}

/* The whole argument vector: the text shown is cut at APPROVE_LEN_COMMAND
 * bytes, but its length and sha256 are over every byte, so the digest binds
 * the full command. The kernel bounds argv (at most 6 MiB with the
 * environment); a /proc/self/cmdline longer than CMDLINE_READ_MAX is
 * refused rather than half-bound. */
static int
read_cmdline(pam_handle_t *pamh, struct approve_ctx *c)
{
	struct approve_buf all;
	char chunk[16384];
	size_t shown = 0;
	ssize_t n;
	int fd, r;

	approve_buf_init(&all, CMDLINE_READ_MAX);
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		r = -errno;
		pam_syslog(pamh, LOG_ERR, "cannot read /proc/self/cmdline: %s",
			   strerror(-r));
		return r;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = -errno;
			pam_syslog(pamh, LOG_ERR,
				   "cannot read /proc/self/cmdline: %s",
				   strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		r = approve_buf_append(&all, chunk, (size_t)n);
		if (r == -E2BIG) {
			pam_syslog(pamh, LOG_ERR, "command line over %d bytes",
				   CMDLINE_READ_MAX);
			goto out;
		}
		if (r != 0)
			goto out;
	}
	r = pa_cmdline_format(all.data, all.len, 0, APPROVE_LEN_COMMAND,
			      &c->command, &shown);
	if (r != 0) {
		pam_syslog(pamh, LOG_ERR, "cannot format the command line: %s",
			   strerror(-r));
		goto out;
	}
	r = full_of(all.data, all.len, shown, &c->command_full);
out:
	approve_buf_release(&all);
	close(fd);
	return r;
}

/* SUDO_COMMAND (sudo's getenv hook: the resolved command), shown cut at
 * APPROVE_LEN_COMMAND bytes and bound in full like the command line. */
static int
capture_sudo_command(struct approve_ctx *c)
{
	const char *s = getenv("SUDO_COMMAND");
	size_t len, shown = 0;

	if (!s || !*s)
		return 0;
	len = strlen(s);
	c->sudo_command = approve_sanitize_display_shown(s, len, APPROVE_LEN_COMMAND,
							 &shown);
	if (!c->sudo_command)
		return -ENOMEM;
	return full_of(s, len, shown, &c->sudo_command_full);
}

/* The requester's login name for the real uid. */
static int
capture_user(pam_handle_t *pamh, struct approve_ctx *c)
{
	uid_t uid = getuid();
	struct passwd *pw = pam_modutil_getpwuid(pamh, uid);

	c->uid = (long long)uid;
	if (!pw || !pw->pw_name || !*pw->pw_name) {
		pam_syslog(pamh, LOG_ERR, "no passwd entry for uid %lu",
			   (unsigned long)uid);
		return -ENOENT;
	}
	return clean_dup(pw->pw_name, APPROVE_LEN_NAME, &c->user);
}

static int
capture_target(pam_handle_t *pamh, struct approve_ctx *c, int sudo)
{
	const void *item = NULL;
	const char *target = NULL;

	if (sudo) {
		/* sudo's getenv hook: the command's environment */
		target = getenv("USER");
		if (!target || !*target) {
			pam_syslog(pamh, LOG_ERR,
				   "under sudo but no target user (USER) known");
			return -ENOENT;
		}
	} else {
		if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS ||
		    !item || !*(const char *)item) {
			pam_syslog(pamh, LOG_ERR, "no PAM_USER: no target user");
			return -ENOENT;
		}
		target = item;
	}
	return clean_dup(target, APPROVE_LEN_NAME, &c->target_user);
}

static int
capture_service(pam_handle_t *pamh, struct approve_ctx *c)
{
	const void *item = NULL;

	if (pam_get_item(pamh, PAM_SERVICE, &item) != PAM_SUCCESS || !item ||
	    !*(const char *)item) {
		pam_syslog(pamh, LOG_ERR, "no PAM_SERVICE");
		return -ENOENT;
	}
	return clean_dup(item, APPROVE_LEN_NAME, &c->service);
}

static int
capture_tty_rhost(pam_handle_t *pamh, struct approve_ctx *c)
{
	const void *item = NULL;
	const char *tty = NULL, *ssh;
	char addr[APPROVE_LEN_NAME];
	int r;

	if (pam_get_item(pamh, PAM_TTY, &item) == PAM_SUCCESS && item &&
	    *(const char *)item)
		tty = item;
	else
		tty = ttyname(0);
	r = clean_dup(tty, APPROVE_LEN_NAME, &c->tty);
	if (r != 0)
		return r;

	item = NULL;
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS && item &&
	    *(const char *)item)
		return clean_dup(item, APPROVE_LEN_NAME, &c->rhost);
	/* reported context only: "client_ip client_port server_ip server_port" */
	ssh = environ_get("SSH_CONNECTION");
	if (ssh) {
		size_t n = strcspn(ssh, " ");

		if (n > 0 && n < sizeof(addr)) {
			memcpy(addr, ssh, n);
			addr[n] = '\0';
			return clean_dup(addr, APPROVE_LEN_NAME, &c->rhost);
		}
	}
	return 0;
}

static int
capture_place(pam_handle_t *pamh, struct approve_ctx *c)
{
	char host[APPROVE_LEN_NAME + 1];
	char *cwd;
	int r;

	if (gethostname(host, sizeof(host)) != 0) {
		r = -errno;
		pam_syslog(pamh, LOG_ERR, "gethostname: %s", strerror(-r));
		return r;
	}
	host[sizeof(host) - 1] = '\0';
	if (!*host) {
		pam_syslog(pamh, LOG_ERR, "empty hostname");
		return -EINVAL;
	}
	r = clean_dup(host, APPROVE_LEN_NAME, &c->hostname);
	if (r != 0)
		return r;
	cwd = getcwd(NULL, 0);	/* may fail (deleted or unreachable cwd) */
	if (cwd) {
		r = clean_dup(cwd, APPROVE_LEN_CWD, &c->cwd);
		free(cwd);
	}
	return r;
}

int
pa_context_capture(pam_handle_t *pamh, const struct pa_args *a,
		   struct approve_ctx **out)
{
	struct approve_ctx *c;
	char err[256];
	char *json = NULL;
	int r, sudo = running_under_sudo();

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if ((r = capture_service(pamh, c)) != 0 ||
	    (r = capture_user(pamh, c)) != 0 ||
	    (r = capture_target(pamh, c, sudo)) != 0 ||
	    (r = read_cmdline(pamh, c)) != 0 ||
	    (r = capture_tty_rhost(pamh, c)) != 0 ||
	    (r = capture_place(pamh, c)) != 0)
		goto out;
	if (sudo && (r = capture_sudo_command(c)) != 0)
		goto out;
	if ((r = capture_reported(pamh, a, c)) != 0 ||
	    (r = pa_observe(pamh, c)) != 0)
		goto out;
	/* one per elevation: a create repeated after a lost answer or a 503
	 * finds the request the first one made */
	if ((r = approve_token_generate(NULL, &c->idempotency_key)) != 0)
		goto out;
	/* the server lets the request expire when we stop waiting, so that
	 * approvers see the real deadline (the wait starts at the create) */
	c->requester_timeout = (long long)a->timeout;
	/* fresh per request: with keys= the signed answer must cover it, so
	 * an answer signed for an earlier request cannot be replayed (sent
	 * only then: an approvald older than signing refuses the field) */
	if (a->keys) {
		r = -ENOMEM;
		if (!(c->nonce = malloc(33)) || (r = approve_sig_nonce_new(c->nonce)) != 0)
			goto out;
	}
	/* the same validation the server applies: refuse here, not there */
	r = approve_ctx_to_json(c, &json, err, sizeof(err));
	if (r != 0) {
		pam_syslog(pamh, LOG_ERR, "captured context is invalid: %s", err);
		goto out;
	}
	if (a->debug)
		pam_syslog(pamh, LOG_DEBUG,
			   "context: service=%s user=%s uid=%lld target=%s sudo=%d",
			   c->service, c->user, c->uid, c->target_user, sudo);
	*out = c;
	c = NULL;
out:
	if (r == -ENOMEM)
		pam_syslog(pamh, LOG_ERR, "out of memory capturing the context");
	free(json);
	approve_ctx_free(c);
	return r;
}

/* Unicode characters in s after trimming blanks at both ends. */
static size_t
reason_length(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, end = strlen(s), n = 0, i;

	while (start < end && (p[start] == ' ' || p[start] == '\t'))
		start++;
	while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	for (i = start; i < end; i++)
		if ((p[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Ask once; *reason replaced by the cleaned answer (NULL when none). */
static int
ask_reason(pam_handle_t *pamh, char **reason)
{
	char *answer = NULL;
	int r;

	r = pa_conv_ask(pamh, REASON_PROMPT, &answer);
	if (r != 0)
		return r;
	free(*reason);
	r = clean_dup(answer, APPROVE_LEN_REASON, reason);
	explicit_bzero(answer, strlen(answer));
	free(answer);
	return r;
}

int
pa_context_reason(pam_handle_t *pamh, const struct pa_args *a,
		  struct approve_ctx *ctx)
{
	size_t min = a->reason_min, len;
	int tries, r;

	if (a->reason == PA_REASON_OFF)
		return 0;
	if (a->reason == PA_REASON_PROMPT && min < 1)
		min = 1;
	if (ctx->reason) {
		/* given by a non-interactive caller: judged as given */
		len = reason_length(ctx->reason);
		if ((len == 0 && a->reason == PA_REASON_OPTIONAL) || len >= min)
			return 0;
		goto short_reason;
	}
	for (tries = 0; tries < REASON_TRIES; tries++) {
		r = ask_reason(pamh, &ctx->reason);
		if (r == -ENOMEM)
			return r;
		if (r != 0) {
			if (a->reason == PA_REASON_OPTIONAL)
				return 0;	/* no conversation: no reason */
			pa_conv_say(pamh, PAM_ERROR_MSG, a->debug,
				    "A reason is required: answer the prompt "
				    "or set APPROVAL_REASON.");
			pam_syslog(pamh, LOG_NOTICE,
				   "denied: no reason given (no conversation)");
			return -EPERM;
		}
		len = ctx->reason ? reason_length(ctx->reason) : 0;
		if ((len == 0 && a->reason == PA_REASON_OPTIONAL) || len >= min)
			return 0;
		pa_conv_sayf(pamh, PAM_ERROR_MSG, a->debug,
			     "The reason must be at least %zu characters.", min);
	}
short_reason:
	pa_conv_sayf(pamh, PAM_ERROR_MSG, a->debug,
		     "A reason of at least %zu characters is required.", min);
	pam_syslog(pamh, LOG_NOTICE, "denied: reason shorter than %zu characters",
		   min);
	return -EPERM;
}
