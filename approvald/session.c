/* session.c: owns approver browser sessions (see session.h): creation,
 * lookup by cookie with idle/absolute expiry, the CSRF check and logout.
 * The cookie value never leaves this file except towards the client: the
 * database sees only sha256(value), logs never see it. Any doubt (odd
 * cookie, unknown hash, expired, approver disabled) is "not signed in". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db.h"
#include "log.h"
#include "secret.h"
#include "session.h"

#define COOKIE_PREFIX "aps_"
#define COOKIE_LEN (4 + APPROVE_TOKEN_B64_LEN)

#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const char create_sql[] =
	"WITH a AS (SELECT id, login, display_name FROM approval.approvers"
	"  WHERE id = $1 AND enabled AND revoked_at IS NULL),"
	" s AS (INSERT INTO approval.web_sessions (id_hash, approver_id, csrf_token,"
	"  via, remote_addr, idle_timeout, idle_expires_at, expires_at)"
	"  SELECT $2, a.id, $3, $4, $5, make_interval(secs => $6::int),"
	"   now() + make_interval(secs => $6::int), now() + make_interval(secs => $7::int)"
	"  FROM a RETURNING expires_at)"
	" SELECT a.login, a.display_name, " ISO("s.expires_at") " FROM a, s";

/* One statement: find a live session and, at most every 15 s, slide its
 * idle expiry (never past the absolute one). */
static const char lookup_sql[] =
	"WITH s AS (SELECT w.id, w.csrf_token, w.via, w.expires_at, w.last_seen,"
	"   a.id AS approver_id, a.login, a.display_name,"
	"   'approver' = ANY (a.roles) AS r_app, 'auditor' = ANY (a.roles) AS r_aud,"
	"   'admin' = ANY (a.roles) AS r_adm"
	"  FROM approval.web_sessions w JOIN approval.approvers a ON a.id = w.approver_id"
	"  WHERE w.id_hash = $1 AND w.revoked_at IS NULL AND w.expires_at > now()"
	"   AND w.idle_expires_at > now() AND a.enabled AND a.revoked_at IS NULL),"
	" t AS (UPDATE approval.web_sessions w SET last_seen = now(),"
	"   idle_expires_at = least(w.expires_at, now() + w.idle_timeout)"
	"  FROM s WHERE w.id = s.id AND s.last_seen < now() - interval '15 seconds')"
	" SELECT approver_id, login, display_name, csrf_token, via, r_app, r_aud, r_adm,"
	"  " ISO("expires_at") " FROM s";

static const char revoke_sql[] =
	"UPDATE approval.web_sessions SET revoked_at = now()"
	" WHERE id_hash = $1 AND revoked_at IS NULL";

static void
copy(char *dst, size_t len, const char *src)
{
	if (snprintf(dst, len, "%s", src ? src : "") >= (int)len)
		dst[0] = '\0';	/* never a cut value; all fields are bounded */
}

/* The cookie's value when well-formed ("aps_" + 43 base64url chars),
 * hashed into hash; 0 or -EACCES. */
static int
cookie_hash(struct MHD_Connection *conn, char hash[APPROVE_HASH_HEX_LEN + 1])
{
	const char *v, *p;

	v = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, SESSION_COOKIE);
	if (!v || strlen(v) != COOKIE_LEN || strncmp(v, COOKIE_PREFIX, 4) != 0)
		return -EACCES;
	for (p = v + 4; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return -EACCES;
	return approve_token_hash(v, COOKIE_LEN, hash) < 0 ? -EIO : 0;
}

int
session_create(struct db_pool *db, long long approver_id, const char *via,
	       const char *ip, char **cookie, struct session_info *info)
{
	char hash[APPROVE_HASH_HEX_LEN + 1], idbuf[24], idle[16], life[16];
	char *value = NULL, *csrf = NULL;
	const char *params[7];
	struct db_conn *c = NULL;
	PGresult *res = NULL;
	int r = -EIO;

	*cookie = NULL;
	memset(info, 0, sizeof(*info));
	if (approve_token_generate(COOKIE_PREFIX, &value) < 0 ||
	    approve_token_generate("", &csrf) < 0 ||
	    strlen(value) != COOKIE_LEN || strlen(csrf) != SESSION_CSRF_LEN ||
	    approve_token_hash(value, COOKIE_LEN, hash) < 0) {
		approve_log(LOG_ERR, "session: cannot make random values");
		goto out;
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", approver_id);
	snprintf(idle, sizeof(idle), "%d", SESSION_IDLE_S);
	snprintf(life, sizeof(life), "%d", SESSION_LIFETIME_S);
	params[0] = idbuf;
	params[1] = hash;
	params[2] = csrf;
	params[3] = via;
	params[4] = ip;
	params[5] = idle;
	params[6] = life;
	if (!(c = db_get(db, DB_WAIT_MS)))
		goto out;
	if (db_exec(c, create_sql, 7, params, &res) < 0) {
		db_log_error("session create", res);
		goto out;
	}
	if (PQntuples(res) != 1) {
		r = -EACCES;	/* approver disabled meanwhile */
		goto out;
	}
	copy(info->login, sizeof(info->login), PQgetvalue(res, 0, 0));
	copy(info->display_name, sizeof(info->display_name), PQgetvalue(res, 0, 1));
	copy(info->expires_at, sizeof(info->expires_at), PQgetvalue(res, 0, 2));
	copy(info->via, sizeof(info->via), via);
	memcpy(info->csrf, csrf, SESSION_CSRF_LEN + 1);
	*cookie = value;
	value = NULL;
	r = 0;
out:
	PQclear(res);
	if (c)
		db_put(db, c);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (value) {
		OPENSSL_cleanse(value, strlen(value));
		free(value);
	}
	if (csrf) {
		OPENSSL_cleanse(csrf, strlen(csrf));
		free(csrf);
	}
	return r;
}

/* Run sql with $1 = sha256 of the connection's cookie. 0 (*res is the
 * result, the caller PQclear()s it), -EACCES (no or malformed cookie) or
 * -EIO. */
static int
exec_by_cookie(struct db_pool *db, struct MHD_Connection *conn, const char *sql,
	       const char *what, PGresult **res)
{
	char hash[APPROVE_HASH_HEX_LEN + 1];
	const char *params[1] = { hash };
	struct db_conn *c;
	int r;

	*res = NULL;
	if ((r = cookie_hash(conn, hash)) < 0)
		return r;
	r = -EIO;
	if ((c = db_get(db, DB_WAIT_MS))) {
		if (db_exec(c, sql, 1, params, res) < 0) {
			db_log_error(what, *res);
			PQclear(*res);
			*res = NULL;
		} else {
			r = 0;
		}
		db_put(db, c);
	}
	OPENSSL_cleanse(hash, sizeof(hash));
	return r;
}

int
session_identify(struct db_pool *db, struct MHD_Connection *conn,
		 const char *ip, struct identity *who, struct session_info *info)
{
	PGresult *res = NULL;
	int r;

	memset(who, 0, sizeof(*who));
	if (info)
		memset(info, 0, sizeof(*info));
	r = exec_by_cookie(db, conn, lookup_sql, "session lookup", &res);
	if (r == -EACCES && MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, SESSION_COOKIE))
		approve_log(LOG_WARNING, "client %s: malformed session cookie", ip);
	if (r < 0)
		goto out;
	r = -EACCES;
	if (PQntuples(res) != 1) {
		approve_log(LOG_DEBUG, "client %s: unknown or expired session", ip);
		goto out;
	}
	who->kind = IDENTITY_APPROVER;
	who->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	copy(who->name, sizeof(who->name), PQgetvalue(res, 0, 1));
	if (strcmp(PQgetvalue(res, 0, 5), "t") == 0)
		who->roles |= ROLE_APPROVER;
	if (strcmp(PQgetvalue(res, 0, 6), "t") == 0)
		who->roles |= ROLE_AUDITOR;
	if (strcmp(PQgetvalue(res, 0, 7), "t") == 0)
		who->roles |= ROLE_ADMIN;
	who->session = 1;
	copy(who->csrf, sizeof(who->csrf), PQgetvalue(res, 0, 3));
	if (info) {
		copy(info->login, sizeof(info->login), who->name);
		copy(info->display_name, sizeof(info->display_name), PQgetvalue(res, 0, 2));
		copy(info->csrf, sizeof(info->csrf), who->csrf);
		copy(info->via, sizeof(info->via), PQgetvalue(res, 0, 4));
		copy(info->expires_at, sizeof(info->expires_at), PQgetvalue(res, 0, 8));
	}
	r = 0;
out:
	PQclear(res);
	return r;
}

int
session_csrf_ok(struct MHD_Connection *conn, const struct identity *who)
{
	const char *t;

	if (!who->session || strlen(who->csrf) != SESSION_CSRF_LEN)
		return 0;
	t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, SESSION_CSRF_HEADER);
	if (!t || strlen(t) != SESSION_CSRF_LEN)
		return 0;
	return approve_ct_equal(t, who->csrf, SESSION_CSRF_LEN);
}

int
session_revoke(struct db_pool *db, struct MHD_Connection *conn)
{
	PGresult *res = NULL;
	int r = exec_by_cookie(db, conn, revoke_sql, "session revoke", &res);

	PQclear(res);
	return r == -EACCES ? 0 : r;
}
