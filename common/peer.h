/* peer.h: proving the server before a token is sent. The same-host
 * transport of the HTTP client (a Unix stream socket whose path and peer
 * credentials are checked before anything is written) and the rule for
 * which URLs a token may be sent to at all. Used by common/http.c for
 * "unix:" URLs, by pam_approve's argument check and by approvalctl. */
#ifndef APPROVE_PEER_H
#define APPROVE_PEER_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct approve_url;

/* The longest socket path (sockaddr_un.sun_path without its NUL). */
#define APPROVE_UNIX_PATH_MAX 107
/* When /proc/sys/net/ipv4/ip_unprivileged_port_start cannot be read. */
#define APPROVE_UNPRIVILEGED_PORT_DEFAULT 1024U

/* The kernel's ip_unprivileged_port_start, read now (it is per network
 * namespace and root may change it); APPROVE_UNPRIVILEGED_PORT_DEFAULT when
 * unreadable or malformed. */
unsigned approve_unprivileged_port_start(void);

/* May a token be sent to this URL? unix: yes (the server is proven at
 * connect); https: yes (verified against the CA file); plain http only to
 * a literal loopback address (127.0.0.0/8, ::1) on a port below
 * ip_unprivileged_port_start, which only root can bind. The name
 * "localhost" is refused: it resolves to several addresses, and a local
 * user may listen on the one tried first. 0, or -EPERM with a message for
 * the administrator in err. */
int approve_url_transport_ok(const struct approve_url *u, char *err, size_t errlen);

/* The directory part of an absolute path, proven: every directory from
 * "/" is opened without following symlinks (O_PATH), owned by root or
 * server_uid (0: root only), and not writable by group or others, except
 * a root-owned sticky directory that is not the last one (its next
 * component must then be such a directory, which the sticky bit
 * protects). 0 with *dirfd an O_PATH descriptor of the last directory
 * (the caller closes it; open the file with openat(*dirfd, *leaf, ...
 * O_NOFOLLOW) so nothing can be swapped in between) and *leaf pointing
 * into path at the final name; APPROVE_HTTP_UNREACHABLE when a directory
 * is missing; -EACCES when a check failed; -EINVAL for a malformed path;
 * another -errno. err says what happened. Used for the unix: socket and
 * for pam_approve's break-glass file. */
int approve_path_dirs(const char *path, uid_t server_uid, int *dirfd,
		      const char **leaf, char *err, size_t errlen);

/* Connect to the Unix stream socket at path (absolute, checked by
 * approve_url_parse) and prove its server, before the caller writes
 * anything:
 *  - every directory of the path, from "/", is opened without following
 *    symlinks, is owned by root or server_uid, and is not writable by group
 *    or others, except a root-owned sticky directory that is not the
 *    socket's own parent (/tmp above a root-owned 0711 directory: the
 *    sticky bit stops others from replacing the root-owned entry);
 *  - the socket file is a socket (not a symlink) owned by root or
 *    server_uid (its mode does not matter: write permission on a socket
 *    only allows connecting, and the module connects as root anyway);
 *  - after connect, SO_PEERCRED's uid is root or server_uid.
 * server_uid 0 means root only. Returns a non-blocking, close-on-exec fd,
 * or:
 *  APPROVE_HTTP_UNREACHABLE: the path passed the check but nothing is
 *    there (a missing directory or socket file, ENOENT, or ECONNREFUSED: a
 *    stale socket with no listener);
 *  -EACCES: a check failed (a denial, never "unreachable");
 *  -ETIMEDOUT: the listen backlog stayed full until deadline_ms;
 *  -EINTR: a signal (sigmask as in approve_http_opts.wait_sigmask);
 *  another -errno: a local failure (descriptors, memory).
 * err always says what happened. */
int approve_unix_connect(const char *path, uid_t server_uid, uint64_t deadline_ms,
			 const sigset_t *sigmask, char *err, size_t errlen);

/* For failmode=open: a fresh attempt at the same socket, with the same
 * checks. 0 when it is definitely not there (approve_unix_connect said
 * APPROVE_HTTP_UNREACHABLE), -EISCONN when it now connects, else the
 * negative code of the failed check. */
int approve_unix_probe(const char *path, uid_t server_uid, uint64_t deadline_ms,
		       char *err, size_t errlen);

#endif
