/* auth.h: who is calling. A bearer token (docs/api.md: "aph_" host tokens,
 * "apa_" approver API tokens) is hashed (sha256) and looked up; revoked
 * or disabled identities do not match. The identity is a plain value so
 * that a session cookie (issue 3) can fill the same struct later. */
#ifndef APPROVALD_AUTH_H
#define APPROVALD_AUTH_H
#include <microhttpd.h>

struct db_pool;

enum identity_kind { IDENTITY_NONE = 0, IDENTITY_HOST, IDENTITY_APPROVER };

enum {
	ROLE_APPROVER = 1 << 0,
	ROLE_AUDITOR = 1 << 1,
	ROLE_ADMIN = 1 << 2,
};

struct identity {
	enum identity_kind kind;
	long long id;		/* hosts.id or approvers.id */
	unsigned roles;		/* approvers only */
	char name[256];		/* host name or approver login */
	int session;		/* by session cookie (session.c): writes need CSRF */
	char csrf[44];		/* that session's CSRF token */
};

/* May decide requests / may read them (approver endpoints; access.c). */
int identity_may_decide(const struct identity *who);
int identity_may_read(const struct identity *who);

/* Authenticate the connection's Authorization header or, without one,
 * its approver session cookie (session.c).
 * 0: *who filled; -EACCES: no, malformed, unknown, revoked token (401;
 * logged here as a WARNING with the client address, never the token);
 * -EIO: database unavailable (503). */
int auth_identify(struct db_pool *db, struct MHD_Connection *conn,
		  const char *client_ip, struct identity *who);

#endif
