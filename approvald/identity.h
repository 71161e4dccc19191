/* identity.h: who is calling, as a plain value: filled by a bearer token
 * (auth.c) or an approver session cookie (session.c), checked against a
 * route's class by access.c. No function here touches the database. */
#ifndef APPROVALD_IDENTITY_H
#define APPROVALD_IDENTITY_H
#include "secret.h"	/* APPROVE_TOKEN_B64_LEN */

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
	char csrf[APPROVE_TOKEN_B64_LEN + 1];	/* that session's CSRF token */
};

/* May decide requests / may read them (approver endpoints; access.c). */
int identity_may_decide(const struct identity *who);
int identity_may_read(const struct identity *who);

#endif
