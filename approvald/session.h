/* session.h: approver browser sessions (sql/004_web.sql).
 * The cookie "approvald_session" carries a random id ("aps_" + base64url of
 * 32 RAND bytes); the database keeps only its sha256. Each session has a
 * CSRF token (a random token: APPROVE_TOKEN_B64_LEN base64url characters) that the page sends back in
 * X-CSRF-Token on every state-changing request. A session ends at idle
 * expiry (slides with use), absolute expiry, logout, or when its approver
 * is disabled or revoked. */
#ifndef APPROVALD_SESSION_H
#define APPROVALD_SESSION_H
#include <microhttpd.h>

#include "identity.h"

struct db_pool;

#define SESSION_COOKIE "approvald_session"
#define SESSION_CSRF_HEADER "X-CSRF-Token"
#define SESSION_CSRF_LEN APPROVE_TOKEN_B64_LEN
#define SESSION_IDLE_S (30 * 60)		/* idle expiry */
#define SESSION_LIFETIME_S (12 * 60 * 60)	/* absolute expiry */

/* What GET /v1/session tells the page. */
struct session_info {
	char login[256];
	char display_name[256];
	char via[16];			/* "password" or "sso" */
	char expires_at[64];		/* absolute expiry, ISO 8601 UTC */
	char csrf[SESSION_CSRF_LEN + 1];
};

/* A new session for approver_id, signed in `via` ("password" or "sso")
 * from client address ip. *cookie is the malloc'd cookie value (the only
 * copy of the id; the caller sends it and frees it with free() after
 * wiping). info is filled. 0, -EIO (database, RNG) or -ENOMEM. */
int session_create(struct db_pool *db, long long approver_id, const char *via,
		   const char *ip, char **cookie, struct session_info *info);

/* Authenticate the connection by its session cookie. 0: *who filled
 * (kind APPROVER, who->session set, who->csrf the session's token) and the
 * session's idle expiry pushed forward; info filled when not NULL.
 * -EACCES: no cookie, malformed, unknown, expired, revoked, approver
 * disabled. -EIO: database unavailable. */
int session_identify(struct db_pool *db, struct MHD_Connection *conn,
		     const char *ip, struct identity *who,
		     struct session_info *info);

/* 1 when the request carries X-CSRF-Token equal (constant-time) to the
 * session's token, else 0. Callers apply it to every state-changing
 * request authenticated by cookie. */
int session_csrf_ok(struct MHD_Connection *conn, const struct identity *who);

/* End the session named by the connection's cookie (logout). 0 (also when
 * there was none) or -EIO. */
int session_revoke(struct db_pool *db, struct MHD_Connection *conn);

#endif
