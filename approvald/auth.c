/* auth.c: owns bearer-token authentication (see auth.h). The token never
 * leaves this file: only its sha256 reaches the database, and logs name
 * the client address and the reason, never the token. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "secret.h"


static const char host_sql[] =
	"SELECT h.id, h.name FROM approval.hosts h"
	" WHERE h.token_hash = $1 AND h.enabled AND h.revoked_at IS NULL";
static const char approver_sql[] =
	"SELECT a.id, a.login,"
	" 'approver' = ANY (a.roles), 'auditor' = ANY (a.roles), 'admin' = ANY (a.roles)"
	" FROM approval.api_tokens t JOIN approval.approvers a ON a.id = t.approver_id"
	" WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
	" AND a.enabled AND a.revoked_at IS NULL";

static int
token_chars_ok(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = t[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
lookup(struct db_pool *pool, const char *sql, const char *hash,
       int approver, struct identity *who)
{
	struct db_conn *c;
	PGresult *res = NULL;
	const char *params[1] = { hash };
	int r = -EIO;

	c = db_get(pool, DB_WAIT_MS);
	if (!c)
		return -EIO;
	if (db_exec(c, sql, 1, params, &res) < 0) {
		db_log_error("token lookup", res);
		goto out;
	}
	r = -EACCES;
	if (PQntuples(res) != 1)
		goto out;
	who->kind = approver ? IDENTITY_APPROVER : IDENTITY_HOST;
	who->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(who->name, sizeof(who->name), "%s", PQgetvalue(res, 0, 1));
	who->roles = 0;
	if (approver) {
		if (strcmp(PQgetvalue(res, 0, 2), "t") == 0)
			who->roles |= ROLE_APPROVER;
		if (strcmp(PQgetvalue(res, 0, 3), "t") == 0)
			who->roles |= ROLE_AUDITOR;
		if (strcmp(PQgetvalue(res, 0, 4), "t") == 0)
			who->roles |= ROLE_ADMIN;
	}
	r = 0;
out:
	PQclear(res);
	db_put(pool, c);
	return r;
}

int
auth_identify(struct db_pool *db, struct MHD_Connection *conn,
	      const char *client_ip, struct identity *who)
{
	char hash[APPROVE_HASH_HEX_LEN + 1];
	const char *h, *tok, *why = NULL;
	size_t len;
	int approver = 0, r;

	memset(who, 0, sizeof(*who));
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h) {
		why = "no Authorization header";
		goto refused;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		why = "not a bearer token";
		goto refused;
	}
	tok = h + 7;
	while (*tok == ' ')
		tok++;
	len = strlen(tok);
	while (len > 0 && tok[len - 1] == ' ')
		len--;
	if (len < 5 || len > APPROVE_TOKEN_MAX || !token_chars_ok(tok, len)) {
		why = "malformed token";
		goto refused;
	}
	if (strncmp(tok, "aph_", 4) == 0) {
		approver = 0;
	} else if (strncmp(tok, "apa_", 4) == 0) {
		approver = 1;
	} else {
		why = "unknown token kind";
		goto refused;
	}
	if (approve_token_hash(tok, len, hash) < 0) {
		approve_log(LOG_ERR, "client %s: cannot hash token", client_ip);
		return -EIO;
	}
	r = lookup(db, approver ? approver_sql : host_sql, hash, approver, who);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (r == -EACCES) {
		why = approver ? "unknown, revoked or disabled approver token"
			       : "unknown, revoked or disabled host token";
		goto refused;
	}
	return r;
refused:
	approve_log(LOG_WARNING, "client %s: refused token: %s", client_ip, why);
	memset(who, 0, sizeof(*who));
	return -EACCES;
}
