/* routes_session.c: owns the approver's browser session endpoints:
 * sign-in by password (with the per-login and per-address delay of
 * sql/004_web.sql) or by a trusted SSO proxy header, who-am-I, and
 * sign-out.
 * Every answer about credentials is the same for an unknown login, a
 * wrong password and a login without a password, and costs the same time
 * (password.c does the work either way). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "settings.h"
#include "db.h"
#include "httpd.h"
#include "log.h"
#include "password.h"
#include "session.h"
#include "wire.h"

#define LOGIN_MAX 128

/* JSON answer with an optional Set-Cookie; takes obj. */
static enum MHD_Result
reply_cookie(struct http_req *r, unsigned status, json_object *obj,
	     const char *cookie)
{
	const char *s;
	char *copy;

	s = obj ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	copy = s ? strdup(s) : NULL;
	json_object_put(obj);
	if (!copy)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	return http_reply_body(r, status, "application/json; charset=utf-8", copy,
			       strlen(copy), cookie ? MHD_HTTP_HEADER_SET_COOKIE : NULL,
			       cookie);
}

/* Secure when approvald speaks TLS itself or is published as https
 * (plain HTTP on loopback behind a TLS proxy). */
static int
cookie_secure(const struct app *app)
{
	return app->cfg->tls_cert != NULL ||
	       (app->public_url && strncasecmp(app->public_url, "https://", 8) == 0);
}

/* "approvald_session=VALUE; ..." or, with value NULL, the clearing form.
 * NULL on ENOMEM. */
static char *
cookie_header(const struct app *app, const char *value)
{
	char *s = NULL;

	if (asprintf(&s, SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
		     value ? value : "", value ? SESSION_LIFETIME_S : 0,
		     cookie_secure(app) ? "; Secure" : "") < 0)
		return NULL;
	return s;
}

static json_object *
info_json(const struct session_info *in, unsigned roles)
{
	json_object *o = json_object_new_object(), *ra = json_object_new_array();

	if (approve_json_add(o, "roles", ra) < 0 ||
	    ((roles & ROLE_APPROVER) && approve_json_push(ra, json_object_new_string("approver")) < 0) ||
	    ((roles & ROLE_AUDITOR) && approve_json_push(ra, json_object_new_string("auditor")) < 0) ||
	    ((roles & ROLE_ADMIN) && approve_json_push(ra, json_object_new_string("admin")) < 0) ||
	    approve_json_add_str(o, "login", in->login) < 0 ||
	    approve_json_add_str(o, "display_name", in->display_name) < 0 ||
	    approve_json_add_str(o, "via", in->via) < 0 ||
	    approve_json_add_str(o, "expires_at", in->expires_at) < 0 ||
	    approve_json_add_str(o, "csrf_token", in->csrf) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- SSO through a trusted proxy ---- */

static int
login_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > LOGIN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' ||
		      (i > 0 && (c == '.' || c == '@' || c == '-'))))
			return 0;
	}
	return 1;
}

/* The SSO login named by the trusted header: NULL when SSO is off, the
 * header is absent, or the peer is not a configured proxy (then the header
 * is ignored, and logged, because someone tried to forge it). */
static const char *
sso_login(const struct http_req *r)
{
	const char *hdr = r->app->cfg->sso_header, *v;

	if (!hdr)
		return NULL;
	v = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, hdr);
	if (!v)
		return NULL;
	if (!r->via_proxy) {
		approve_log(LOG_WARNING, "client %s: %s header from an address not in "
			    "sso_proxies, ignored", r->ip, hdr);
		return NULL;
	}
	if (!login_ok(v)) {
		approve_log(LOG_WARNING, "client %s: malformed %s header, ignored", r->ip, hdr);
		return NULL;
	}
	return v;
}

/* ---- session endpoints ---- */

enum MHD_Result
route_session_get(struct http_req *r)
{
	struct session_info info;
	json_object *o;
	int rc;

	rc = session_identify(r->app->db, r->conn, r->ip, &r->who, &info);
	if (rc == -EIO)
		return http_reply_db_down(r);
	if (rc < 0) {
		o = json_object_new_object();
		if (approve_json_add_str(o, "error", "unauthorized") < 0 ||
		    approve_json_add_str(o, "detail", "not signed in") < 0 ||
		    approve_json_add(o, "sso", json_object_new_boolean(sso_login(r) != NULL)) < 0) {
			json_object_put(o);
			o = NULL;	/* reply_cookie answers 500 */
		}
		return reply_cookie(r, 401, o, NULL);
	}
	o = info_json(&info, r->who.roles);
	OPENSSL_cleanse(&info, sizeof(info));
	return reply_cookie(r, 200, o, NULL);
}

/* {"login": "...", "password": "..."} or {"sso": true}, through the strict
 * reader (common/wire.c). */
struct login_body {
	char login[LOGIN_MAX + 1];
	char *password;		/* malloc'd, wiped by the caller */
	size_t password_len;
	int sso;
};

#define LOGIN_BODY_MAX 4096

static int
parse_login(const struct http_req *r, struct login_body *b)
{
	static const char *const known[] = { "login", "password", "sso", NULL };
	json_object *o = NULL, *v;
	char *login = NULL;
	int rc;

	memset(b, 0, sizeof(*b));
	rc = approve_json_read_object(r->body.data, r->body.len, LOGIN_BODY_MAX, known, &o,
				      NULL, 0);
	if (rc < 0)
		goto out;
	rc = -EINVAL;
	if (json_object_object_get_ex(o, "sso", &v)) {
		if (!json_object_is_type(v, json_type_boolean) || !json_object_get_boolean(v) ||
		    json_object_object_length(o) != 1)
			goto out;
		b->sso = 1;
		rc = 0;
		goto out;
	}
	if ((rc = approve_json_get_str(o, "login", LOGIN_MAX, 1, 1, &login, NULL, 0)) < 0 ||
	    (rc = approve_json_get_str(o, "password", APPROVE_PASSWORD_MAX, 1, 1, &b->password,
				       NULL, 0)) < 0)
		goto out;
	memcpy(b->login, login, strlen(login) + 1);
	b->password_len = strlen(b->password);
out:
	free(login);
	if (o && json_object_object_get_ex(o, "password", &v) &&
	    json_object_is_type(v, json_type_string))
		OPENSSL_cleanse((void *)json_object_get_string(v),
				(size_t)json_object_get_string_len(v));
	json_object_put(o);
	return rc;
}

/* per (login, client address) pair, capped (sql/015_approver_pressure.sql) */
static const char wait_sql[] = "SELECT approval.login_wait_pair($1, $2)";
static const char approver_sql[] =
	"SELECT id, password_hash FROM approval.approvers"
	" WHERE login = $1 AND enabled AND revoked_at IS NULL";
static const char fail_sql[] =
	"WITH gone AS (DELETE FROM approval.login_failures"
	"  WHERE at < now() - interval '1 day')"
	" INSERT INTO approval.login_failures (login, remote_addr) VALUES ($1, $2)";
static const char clear_sql[] =
	"DELETE FROM approval.login_failures WHERE login = $1 AND remote_addr = $2";
static const char rehash_sql[] =
	"UPDATE approval.approvers SET password_hash = $2 WHERE id = $1";

/* Sign-in and sign-out go into the audit trail (sql/002_audit.sql; the
 * actor is the login as typed, so failures for unknown logins count too). */
static const char audit_sql[] =
	"SELECT approval.audit_event($1, $2, 'web', pg_catalog.jsonb_build_object("
	"'addr', $3::text, 'via', $4::text, 'why', $5::text))";

static int
audit(struct db_conn *c, const char *kind, const char *login, const char *addr,
      const char *via, const char *why)
{
	const char *params[5] = { kind, login, addr, via, why };
	PGresult *res = NULL;
	int rc = db_exec(c, audit_sql, 5, params, &res);

	if (rc < 0)
		db_log_error("audit of a sign-in", res);
	PQclear(res);
	return rc;
}

/* The decision of a password sign-in. */
enum verdict { V_DB = -1, V_NO = 0, V_YES, V_WAIT };

/* Check login/password; *approver_id on V_YES, *wait seconds on V_WAIT. */
static enum verdict
check_password(struct db_conn *c, const struct login_body *b, const char *addr,
	       long long *approver_id, int *wait)
{
	const char *params[2] = { b->login, addr };
	const char *stored = NULL;
	PGresult *res = NULL;
	char *fresh = NULL;
	enum verdict v = V_DB;

	if (db_exec(c, wait_sql, 2, params, &res) < 0) {
		db_log_error("login wait", res);
		goto out;
	}
	*wait = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	if (*wait > 0) {
		v = V_WAIT;
		goto out;
	}
	if (db_exec(c, approver_sql, 1, params, &res) < 0) {
		db_log_error("login lookup", res);
		goto out;
	}
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 1))
		stored = PQgetvalue(res, 0, 1);
	/* stored NULL (unknown, disabled, no password) costs the same work */
	if (approve_password_verify(b->password, b->password_len, stored) != 1) {
		PQclear(res);
		res = NULL;
		if (db_exec(c, fail_sql, 2, params, &res) < 0)
			db_log_error("login failure record", res);
		v = V_NO;
		goto out;
	}
	*approver_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (approve_password_needs_rehash(stored) &&
	    approve_password_hash(b->password, b->password_len, &fresh) == 0) {
		char idbuf[24];
		const char *rp[2] = { idbuf, fresh };
		PGresult *rr = NULL;

		snprintf(idbuf, sizeof(idbuf), "%lld", *approver_id);
		if (db_exec(c, rehash_sql, 2, rp, &rr) < 0)
			db_log_error("password rehash", rr);
		PQclear(rr);
	}
	PQclear(res);
	res = NULL;
	if (db_exec(c, clear_sql, 2, params, &res) < 0)
		db_log_error("login failures clear", res);
	v = V_YES;
out:
	PQclear(res);
	free(fresh);
	return v;
}

/* b->login: the login named by the trusted header ("" when none). */
static enum verdict
check_sso(struct http_req *r, struct db_conn *c, const struct login_body *b,
	  long long *approver_id)
{
	const char *login = b->login;
	const char *params[1] = { login };
	PGresult *res = NULL;
	enum verdict v = V_NO;

	if (!*login)
		return V_NO;
	if (db_exec(c, approver_sql, 1, params, &res) < 0) {
		db_log_error("sso lookup", res);
		v = V_DB;
		goto out;
	}
	if (PQntuples(res) == 1) {
		*approver_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		v = V_YES;
	} else {
		approve_log(LOG_NOTICE, "client %s: SSO login %s is not an enabled approver",
			    r->ip, login);
	}
out:
	PQclear(res);
	return v;
}

enum MHD_Result
route_session_login(struct http_req *r)
{
	struct login_body b;
	struct session_info info;
	struct db_conn *c = NULL;
	long long approver_id = 0;
	char *cookie = NULL, *hdr = NULL;
	enum verdict v;
	enum MHD_Result ret;
	int wait = 0, rc;

	rc = parse_login(r, &b);
	if (rc == -ENOMEM)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	if (rc < 0) {
		ret = http_reply_error(r, 400, "bad_request",
				       "expected {\"login\": ..., \"password\": ...}");
		goto out;
	}
	if (!(c = db_get(r->app->db, DB_WAIT_MS))) {
		ret = http_reply_db_down(r);
		goto out;
	}
	if (b.sso) {
		const char *sl = sso_login(r);	/* login_ok() bounded it */

		snprintf(b.login, sizeof(b.login), "%s", sl ? sl : "");
	}
	v = b.sso ? check_sso(r, c, &b, &approver_id)
		  : check_password(c, &b, r->client, &approver_id, &wait);
	/* a sign-in that cannot be recorded does not happen */
	if (v != V_DB && audit(c, v == V_YES ? "auth.sign_in" : "auth.sign_in_failed",
			       *b.login ? b.login : NULL, r->client, b.sso ? "sso" : "password",
			       v == V_WAIT ? "delayed" : NULL) < 0 && v == V_YES)
		v = V_DB;
	db_put(r->app->db, c);
	c = NULL;
	switch (v) {
	case V_DB:
		ret = http_reply_db_down(r);
		goto out;
	case V_WAIT:
		approve_log(LOG_NOTICE, "client %s: sign-in delayed %d s after repeated failures",
			    r->client, wait);
		ret = http_reply_retry(r, (unsigned long)wait, "too_many_attempts",
				       "Too many failed sign-ins from here. "
				       "Wait a little and try again.");
		goto out;
	case V_NO:
		approve_log(LOG_NOTICE, "client %s: sign-in failed (%s)", r->ip,
			    b.sso ? "sso" : "password");
		ret = http_reply_error(r, 401, "unauthorized",
				       b.sso ? "single sign-on is not available"
					     : "wrong login or password");
		goto out;
	case V_YES:
		break;
	}
	rc = session_create(r->app->db, approver_id, b.sso ? "sso" : "password",
			    r->ip, &cookie, &info);
	if (rc == -EACCES) {
		ret = http_reply_error(r, 401, "unauthorized", "wrong login or password");
		goto out;
	}
	if (rc < 0 || !(hdr = cookie_header(r->app, cookie))) {
		ret = rc == -EIO ? http_reply_db_down(r)
				 : http_reply_error(r, 500, "internal_error", "out of memory");
		goto out;
	}
	approve_log(LOG_NOTICE, "client %s: approver %s signed in (%s)", r->ip,
		    info.login, info.via);
	ret = reply_cookie(r, 200, info_json(&info, ROLE_APPROVER), hdr);
out:
	if (c)
		db_put(r->app->db, c);
	if (b.password) {
		OPENSSL_cleanse(b.password, b.password_len);
		free(b.password);
	}
	if (cookie) {
		OPENSSL_cleanse(cookie, strlen(cookie));
		free(cookie);
	}
	if (hdr) {
		OPENSSL_cleanse(hdr, strlen(hdr));
		free(hdr);
	}
	OPENSSL_cleanse(&info, sizeof(info));
	return ret;
}

/* POST /v1/session/logout and DELETE /v1/session: needs the session's
 * CSRF token (a foreign page must not sign people out either). */
enum MHD_Result
route_session_logout(struct http_req *r)
{
	struct db_conn *c;
	enum MHD_Result ret;
	char *hdr;
	json_object *o;
	int rc;

	rc = session_identify(r->app->db, r->conn, r->ip, &r->who, NULL);
	if (rc == -EIO)
		return http_reply_db_down(r);
	if (rc < 0)
		return http_reply_error(r, 401, "unauthorized", "not signed in");
	if (!session_csrf_ok(r->conn, &r->who))
		return http_reply_error(r, 403, "csrf", "missing or wrong X-CSRF-Token");
	if (session_revoke(r->app->db, r->conn) < 0)
		return http_reply_db_down(r);
	if ((c = db_get(r->app->db, DB_WAIT_MS))) {	/* best effort: already out */
		audit(c, "auth.sign_out", r->who.name, r->ip, "session", NULL);
		db_put(r->app->db, c);
	}
	approve_log(LOG_NOTICE, "client %s: approver %s signed out", r->ip, r->who.name);
	if (!(hdr = cookie_header(r->app, NULL)))
		return http_reply_error(r, 500, "internal_error", "out of memory");
	o = json_object_new_object();
	if (approve_json_add_str(o, "status", "signed_out") < 0) {
		json_object_put(o);
		o = NULL;	/* reply_cookie answers 500 */
	}
	ret = reply_cookie(r, 200, o, hdr);
	free(hdr);
	return ret;
}
