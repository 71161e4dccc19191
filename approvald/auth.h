/* auth.h: who is calling, by bearer token (docs/api.md: "aph_" host
 * tokens, "apa_" approver API tokens): hashed (sha256) and looked up;
 * revoked or disabled identities do not match. A browser without an
 * Authorization header is identified by its session cookie (session.c)
 * into the same struct identity; httpd.c picks which. */
#ifndef APPROVALD_AUTH_H
#define APPROVALD_AUTH_H
#include <microhttpd.h>

#include "identity.h"

struct db_pool;

/* Authenticate the connection's Authorization header.
 * 0: *who filled; -EACCES: no, malformed, unknown, revoked token (401;
 * logged here as a WARNING with the client address, never the token);
 * -EIO: database unavailable (503). */
int auth_identify(struct db_pool *db, struct MHD_Connection *conn,
		  const char *client_ip, struct identity *who);

#endif
