/* connguard.h: approvald's own bookkeeping of every HTTP connection, for
 * the limits libmicrohttpd 0.9.75 does not keep by itself:
 *   - a total deadline for the request head (header_timeout, counted from
 *     accept, or from the end of the previous request on a kept-alive
 *     connection, so an idle keep-alive connection is closed after it too)
 *     and for the body (counted from the end of the head):
 *     MHD's own timeout restarts on every byte, so a client trickling one
 *     byte every few seconds would otherwise keep its connection forever;
 *   - a cap on the connections of one peer (max_connections_per_peer, long
 *     polls included), so that one client cannot fill max_connections;
 *   - the release of suspended long-polls whose client has gone
 *     (waiters_release_gone(), called from the same periodic sweep).
 *
 * Peers: an IPv4 address (IPv4-mapped IPv6 counts as IPv4); an IPv6
 * address in full (hosts of one data-centre /64 are distinct clients); a
 * Unix-socket peer by its SO_PEERCRED uid. Every 127/8 address is a
 * distinct peer: the cap bounds one client, not a local user who binds many
 * loopback addresses (the Unix socket, keyed by uid, does).
 *
 * Use: one guard per process, shared by every MHD daemon. Give
 * connguard_accept as the daemon's accept policy and connguard_notify as
 * MHD_OPTION_NOTIFY_CONNECTION, both with the guard as cls; call the three
 * phase functions from the request callbacks; free the guard only after
 * every daemon using it has stopped.
 *
 * Closing from outside the request callback: the sweep thread calls
 * shutdown(fd, SHUT_RDWR) on the connection's socket under the guard's
 * mutex; MHD then reads EOF and closes it in its own thread. The record
 * leaves the guard in MHD_CONNECTION_NOTIFY_CLOSED, which libmicrohttpd
 * calls before it closes the descriptor, so the sweep never touches a
 * descriptor number that was closed or reused. */
#ifndef APPROVALD_CONNGUARD_H
#define APPROVALD_CONNGUARD_H
#include <sys/socket.h>
#include <microhttpd.h>

struct waiters;
struct connguard;

struct connguard_stats {
	unsigned long connections;		/* open now */
	unsigned long refused_per_peer;		/* at accept, over the cap */
	unsigned long closed_header_timeout;	/* the first head on a connection */
	unsigned long closed_keepalive_idle;	/* a later one (or an idle keep-alive) */
	unsigned long closed_body_timeout;
	unsigned long waiters_gone;		/* long-polls released, client gone */
};

/* header_s, body_s: the deadlines (seconds, > 0); per_peer: the cap, 0 for
 * none; ws: whose gone waiters the sweep releases (may be NULL). Starts the
 * sweep thread. 0 or -errno. */
int connguard_new(unsigned header_s, unsigned body_s, unsigned long per_peer,
		  struct waiters *ws, struct connguard **out);
/* Stops the sweep thread; NULL is fine. */
void connguard_free(struct connguard *g);

/* libmicrohttpd callbacks (cls: the guard). */
enum MHD_Result connguard_accept(void *cls, const struct sockaddr *addr,
				 socklen_t addrlen);
void connguard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		      enum MHD_ConnectionNotificationCode code);

/* From the request callbacks, in the connection's own thread:
 * the head is complete (first call): 0, or -ECONNABORTED when the guard
 * refused or already shut the connection (answer MHD_NO, run nothing);
 * the body is complete (the handler runs now: no deadline of ours): 0, or
 * -ECONNABORTED as above (the body came too late);
 * the request completed (a kept-alive connection waits for a new head). */
int connguard_head_done(struct MHD_Connection *conn);
int connguard_body_done(struct MHD_Connection *conn);
void connguard_request_done(struct MHD_Connection *conn);

void connguard_stats(struct connguard *g, struct connguard_stats *out);

#endif
