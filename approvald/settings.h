/* settings.h: approvald.conf (docs/api.md, "approvald configuration"):
 * parsed with common/conf.h against the list of known keys, every value
 * checked, every error reported once as "FILE:LINE: what". */
#ifndef APPROVALD_SETTINGS_H
#define APPROVALD_SETTINGS_H
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "notify_settings.h"

#define APPROVALD_DEFAULT_CONFIG "/etc/approvald.conf"

#define APPROVALD_LISTEN_MAX 8	/* endpoints in "listen" */
#define APPROVALD_SOCKET_MODE_DEFAULT 0666	/* token auth; peers prove themselves */

/* One endpoint of "listen": TCP (addr, host) or a Unix socket (unix_path). */
struct approvald_listen {
	char *text;		/* as written, for messages */
	char *unix_path;	/* absolute socket path, or NULL for TCP */
	struct sockaddr_storage addr;	/* TCP: numeric address and port */
	char *host;		/* TCP: address text; IPv6 without brackets */
};

struct approvald_config {
	char *listen;		/* as written, for messages */
	struct approvald_listen listens[APPROVALD_LISTEN_MAX];
	size_t n_listen;	/* at least 1 */
	const struct approvald_listen *first_tcp;	/* for links; NULL if none */
	unsigned long socket_mode;	/* unix endpoints' file mode */
	char *socket_owner;	/* "user[:group]" as written, or NULL */
	uid_t socket_uid;	/* (uid_t)-1 / (gid_t)-1: leave as created */
	gid_t socket_gid;
	char *database;		/* libpq conninfo */
	char *public_url;	/* NULL: derived from listen once bound */
	unsigned long request_ttl;
	unsigned long pool_size;
	unsigned long max_connections;
	int max_connections_set;	/* written in the file (else the default) */
	unsigned long max_connections_per_peer;	/* 0: no cap */
	unsigned long header_timeout;	/* seconds for a complete request head */
	char *tls_cert;		/* both or neither */
	char *tls_key;
	int use_syslog;
	int debug;
	char *sso_header;	/* trusted sign-in header (routes_session.c), or NULL */
	char *sso_proxies;	/* addresses it is accepted from (both or neither) */
	unsigned long audit_head_interval;	/* seconds between head log lines; 0 off */
	char *signing_key;	/* private key file (signing.h); NULL: unsigned */
	struct approvald_notify notify;	/* notify_settings.h */
	/* At most host_create_limit requests that wait for a person per host
	 * per host_create_window seconds (0: no limit); more are 429. */
	unsigned long host_create_limit;
	unsigned long host_create_window;
};

/* 0, or -EINVAL / -ENOENT / -ENOMEM with the message in err. */
int settings_load(const char *path, struct approvald_config **out,
		  char *err, size_t errlen);
void settings_free(struct approvald_config *c);

/* The base of the links given to requesters: public_url, or
 * "http[s]://" + the first TCP listen address + its bound port (public_url
 * is required when approvald listens on Unix sockets only). malloc'd, NULL
 * on ENOMEM. */
char *settings_public_url(const struct approvald_config *c, unsigned port);

#endif
