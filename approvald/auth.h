/* auth.h: who is calling. A bearer token (docs/api.md: "aph_" host tokens,
 * "apa_" approver API tokens) is hashed (sha256) and looked up; revoked
 * or disabled identities do not match. Without an Authorization header the
 * approver session cookie (session.c) fills the same struct identity. */
#ifndef APPROVALD_AUTH_H
#define APPROVALD_AUTH_H
#include <microhttpd.h>

#include "identity.h"

struct db_pool;

/* Authenticate the connection's Authorization header or, without one,
 * its approver session cookie (session.c).
 * 0: *who filled; -EACCES: no, malformed, unknown, revoked token (401;
 * logged here as a WARNING with the client address, never the token);
 * -EIO: database unavailable (503). */
int auth_identify(struct db_pool *db, struct MHD_Connection *conn,
		  const char *client_ip, struct identity *who);

#endif
