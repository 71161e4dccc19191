/* api.c: the HTTP side of the approver commands: resolving url, ca and the
 * approver API token, one request through common/http.c with a deadline,
 * and mapping the answer to an exit code. The token is a secret: it is
 * wiped when the context is released and never printed. Every byte the
 * server sends is hostile: error texts are sanitised before printing and
 * successful bodies must be strict JSON (valid UTF-8). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "http.h"
#include "peer.h"
#include "print.h"
#include "wire.h"

static int
token_char_ok(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

static int
token_valid(const char *t, size_t len)
{
	if (len == 0 || len > APPROVE_TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!token_char_ok((unsigned char)t[i]))
			return 0;
	return 1;
}

/* A personal token file: a regular file of the caller's (or root's), with
 * no group/other access (like ssh keys), one token, one optional newline. */
static int
read_token_file(const char *path, char **out)
{
	char buf[APPROVE_TOKEN_MAX + 3];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc = CTL_FAILURE;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		ctl_err("token file %s: %s", path, strerror(errno));
		return CTL_FAILURE;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		ctl_err("token file %s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		ctl_err("token file %s: not owned by you", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		ctl_err("token file %s: accessible by group or others (chmod 600 %s)",
			path, path);
		goto out;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ctl_err("token file %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len && buf[len - 1] == '\n')
		len--;
	if (!token_valid(buf, len)) {
		ctl_err("token file %s: does not hold one API token", path);
		goto out;
	}
	*out = strndup(buf, len);
	if (!*out) {
		ctl_err("out of memory");
		goto out;
	}
	rc = CTL_OK;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

static int
load_token(struct ctl_ctx *c)
{
	const char *env, *file;
	int failed = CTL_USAGE;

	if (c->token)
		return CTL_OK;
	if (c->token_file && *c->token_file)
		return read_token_file(c->token_file, &c->token);
	env = getenv("APPROVALCTL_TOKEN");
	if (env && *env) {
		if (!token_valid(env, strlen(env))) {
			ctl_err("APPROVALCTL_TOKEN does not hold one API token");
			return CTL_FAILURE;
		}
		c->token = strdup(env);
		if (!c->token) {
			ctl_err("out of memory");
			return CTL_FAILURE;
		}
		return CTL_OK;
	}
	file = ctl_setting(c, NULL, NULL, "token_file", &failed);
	if (!file) {
		if (failed == CTL_USAGE)
			ctl_err("no API token: use --token-file FILE, APPROVALCTL_TOKEN "
				"or 'token_file' in the config file");
		return failed;
	}
	return read_token_file(file, &c->token);
}

static int
is_json(const char *content_type)
{
	size_t n = strlen("application/json");

	return content_type && !strncasecmp(content_type, "application/json", n) &&
	       (content_type[n] == '\0' || content_type[n] == ';' ||
		content_type[n] == ' ');
}

/* Print a non-2xx answer; returns the exit code it maps to. */
static int
report_status(const char *what, const struct approve_http_response *resp)
{
	char *error = NULL, *detail = NULL, *e = NULL, *d = NULL;
	int st = resp->status, rc;
	const char *kind;

	if (st >= 400 && st < 500) {
		rc = CTL_REFUSED;
		kind = "refused by the server";
	} else if (st >= 500) {
		rc = CTL_UNREACHABLE;
		kind = "server error";
	} else {
		rc = CTL_FAILURE;
		kind = "unexpected answer";
	}
	if (is_json(resp->content_type) && resp->body.data &&
	    approve_error_from_json(resp->body.data, resp->body.len, &error, &detail) == 0) {
		e = error ? approve_sanitize_display(error, strlen(error), 64) : NULL;
		d = detail ? approve_sanitize_display(detail, strlen(detail), 512) : NULL;
	}
	if (e && d)
		ctl_err("%s: %s: %d %s: %s", what, kind, st, e, d);
	else if (e)
		ctl_err("%s: %s: %d %s", what, kind, st, e);
	else
		ctl_err("%s: %s: HTTP %d", what, kind, st);
	if (st == 401)
		fputs("approvalctl: (is the API token valid and the approver enabled?)\n", stderr);
	free(error);
	free(detail);
	free(e);
	free(d);
	return rc;
}

/* Who besides root may serve a unix: URL: APPROVALCTL_SERVER_USER, else
 * 'server_user', else "approvald"; an unknown user leaves root only. */
static int
server_uid(struct ctl_ctx *c, uid_t *out)
{
	int failed = CTL_OK;
	const char *name = ctl_setting(c, NULL, "APPROVALCTL_SERVER_USER", "server_user",
				       &failed);
	struct passwd *pw;

	*out = 0;
	if (failed != CTL_OK)
		return failed;
	if (!name)
		name = CTL_DEFAULT_SERVER_USER;
	pw = getpwnam(name);
	if (pw)
		*out = pw->pw_uid;
	return CTL_OK;
}

int
ctl_read_token_file(const char *path, char **out)
{
	return read_token_file(path, out);
}

int
ctl_api(struct ctl_ctx *c, const char *what, const char *method,
	const char *path, const char *body, unsigned deadline_s,
	struct json_object **out)
{
	int rc = load_token(c);

	*out = NULL;
	if (rc != CTL_OK)
		return rc;
	return ctl_api_as(c, c->token, what, method, path, body, deadline_s, out);
}

int
ctl_api_as(struct ctl_ctx *c, const char *token, const char *what,
	   const char *method, const char *path, const char *body,
	   unsigned deadline_s, struct json_object **out)
{
	struct approve_http_opts o = { 0 };
	struct approve_http_response *resp = NULL;
	struct approve_url u = { 0 };
	int failed = CTL_USAGE, rc, r;
	char err[512] = "";

	*out = NULL;
	o.url = ctl_setting(c, c->url, "APPROVALCTL_URL", "url", &failed);
	if (!o.url) {
		if (failed == CTL_USAGE)
			ctl_err("no server URL: use --url URL, APPROVALCTL_URL "
				"or 'url' in the config file");
		return failed;
	}
	if (approve_url_parse(o.url, &u, err, sizeof(err)) != 0) {
		ctl_err("bad server URL: %s", err);
		return c->url ? CTL_USAGE : CTL_FAILURE;
	}
	/* the approver's token can decide requests: it goes only where a
	 * module's host token may go (unix: with a proven peer, https, or
	 * http on a port only root can bind) */
	if (approve_url_transport_ok(&u, err, sizeof(err)) != 0) {
		approve_url_release(&u);
		ctl_err("refused server URL %s: %s", o.url, err);
		return c->url ? CTL_USAGE : CTL_FAILURE;
	}
	if (u.unix_path && server_uid(c, &o.server_uid) != CTL_OK) {
		approve_url_release(&u);
		return CTL_FAILURE;
	}
	approve_url_release(&u);
	o.strict_transport = 1;
	o.ca_file = ctl_setting(c, c->ca, NULL, "ca", &failed);
	o.token = token;

	r = approve_http_request(&o, method, path, body, body ? strlen(body) : 0,
				 approve_now_ms() + (uint64_t)deadline_s * 1000,
				 &resp, err, sizeof(err));
	if (r == -EINTR) {
		rc = CTL_INTERRUPTED;
		goto out;
	}
	if (r == APPROVE_HTTP_UNREACHABLE || r == APPROVE_HTTP_NOT_CONNECTED) {
		ctl_err("%s: cannot reach %s: %s", what, o.url, err);
		rc = CTL_UNREACHABLE;
		goto out;
	}
	if (r < 0) {
		/* Garbage, oversize, TLS verification or a bad CA file: a
		 * configuration or server fault (4); a timeout or reset
		 * after connecting: the server is not really there (3). */
		ctl_err("%s: %s: %s", what, o.url, err);
		rc = (r == -EPROTO || r == -EMSGSIZE || r == -EBADMSG || r == -EACCES ||
		      r == -EINVAL || r == -ENOMEM) ? CTL_FAILURE : CTL_UNREACHABLE;
		goto out;
	}
	if (resp->status < 200 || resp->status > 299) {
		rc = report_status(what, resp);
		goto out;
	}
	if (!is_json(resp->content_type) ||
	    ctl_json_parse(resp->body.data, resp->body.len, out) != 0) {
		ctl_err("%s: invalid answer from %s: not a JSON body", what, o.url);
		rc = CTL_FAILURE;
		goto out;
	}
	rc = CTL_OK;
out:
	approve_http_response_free(resp);
	return rc;
}
