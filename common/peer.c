/* peer.c: owns the proof of the server before a token is sent (peer.h):
 * the Unix socket path walk (directory by directory through descriptors,
 * never following a symlink), the connect, the SO_PEERCRED check, and the
 * rule for plain http over TCP. Runs inside setuid sudo: nothing comes
 * from the environment, every failed check is a denial (-EACCES), and only
 * "the checked path leads nowhere" is APPROVE_HTTP_UNREACHABLE. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "http.h"
#include "peer.h"

#define PORT_START_FILE "/proc/sys/net/ipv4/ip_unprivileged_port_start"
#define BUSY_RETRY_MS 10	/* a full listen backlog: try again after */

unsigned
approve_unprivileged_port_start(void)
{
	char buf[16];
	unsigned long v;
	ssize_t n;
	int fd;

	fd = open(PORT_START_FILE, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return APPROVE_UNPRIVILEGED_PORT_DEFAULT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return APPROVE_UNPRIVILEGED_PORT_DEFAULT;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (approve_parse_ulong(buf, 0, 65536, &v) < 0)
		return APPROVE_UNPRIVILEGED_PORT_DEFAULT;
	return (unsigned)v;
}

int
approve_url_transport_ok(const struct approve_url *u, char *err, size_t errlen)
{
	struct in_addr a4;
	struct in6_addr a6;
	unsigned long port = 0;
	unsigned start;
	int loopback = 0;

	if (u->unix_path || u->tls)
		return 0;
	if (strcasecmp(u->host, "localhost") == 0) {
		approve_errf(err, errlen, "plain http to the name localhost is refused "
			     "(it resolves to several addresses, and a local user may "
			     "listen on the one tried first): use url=unix:/run/approvald/"
			     "approvald.sock, or a literal address such as 127.0.0.1");
		return -EPERM;
	}
	if (inet_pton(AF_INET, u->host, &a4) == 1)
		loopback = (ntohl(a4.s_addr) >> 24) == 127;
	else if (inet_pton(AF_INET6, u->host, &a6) == 1)
		loopback = IN6_IS_ADDR_LOOPBACK(&a6);
	if (!loopback) {
		approve_errf(err, errlen, "plain http to %s: anyone on the path could "
			     "answer and would learn the token; use https:// with ca=, "
			     "or url=unix: on this host", u->host);
		return -EPERM;
	}
	start = approve_unprivileged_port_start();
	if (approve_parse_ulong(u->port, 1, 65535, &port) < 0 || port >= start) {
		approve_errf(err, errlen, "plain http to %s port %s: not below the "
			     "unprivileged port start %u (any local user may listen "
			     "there while approvald is down); use url=unix:/run/approvald/"
			     "approvald.sock, or https:// with ca=", u->host, u->port, start);
		return -EPERM;
	}
	return 0;
}

/* A directory or socket file of the path is trusted when root or the
 * server user owns it. 0 or -EACCES with the reason. */
static int
owner_ok(const struct stat *st, uid_t server_uid, const char *what,
	 const char *path, size_t plen, char *err, size_t errlen)
{
	if (st->st_uid == 0 || st->st_uid == server_uid)
		return 0;
	approve_errf(err, errlen, "%s %.*s is owned by uid %lu, neither root nor the "
		     "server user", what, (int)plen, path, (unsigned long)st->st_uid);
	return -EACCES;
}

/* Nobody but its owner may replace an entry of a trusted directory: not
 * writable by group or others, or root-owned and sticky when it is not the
 * socket's own parent (there the next component must be a root-owned
 * directory, which the sticky bit protects). */
static int
dir_ok(const struct stat *st, uid_t server_uid, int is_parent, const char *path,
       size_t plen, char *err, size_t errlen)
{
	if (!S_ISDIR(st->st_mode)) {
		approve_errf(err, errlen, "%.*s is not a directory", (int)plen, path);
		return -EACCES;
	}
	if (owner_ok(st, server_uid, "directory", path, plen, err, errlen) < 0)
		return -EACCES;
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	if ((st->st_mode & S_ISVTX) && st->st_uid == 0 && !is_parent)
		return 0;
	approve_errf(err, errlen, "directory %.*s is writable by group or others "
		     "(mode %04o)%s", (int)plen, path, (unsigned)(st->st_mode & 07777),
		     is_parent ? "; the socket's own directory must not be" : "");
	return -EACCES;
}

int
approve_path_dirs(const char *path, uid_t server_uid, int *dirfd,
		  const char **leaf, char *err, size_t errlen)
{
	const char *comp, *slash;
	char name[NAME_MAX + 1];
	struct stat st;
	int dfd, nfd, r;
	size_t n;

	*dirfd = -1;
	*leaf = NULL;
	if (!path || path[0] != '/' || !path[1] || path[strlen(path) - 1] == '/') {
		approve_errf(err, errlen, "bad path");
		return -EINVAL;
	}
	comp = path + 1;
	dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0) {
		r = -errno;
		approve_errf(err, errlen, "/: %s", strerror(errno));
		goto out;
	}
	r = dir_ok(&st, server_uid, strchr(comp, '/') == NULL, "/", 1, err, errlen);
	if (r < 0)
		goto out;
	while ((slash = strchr(comp, '/'))) {
		n = (size_t)(slash - comp);
		if (n == 0 || n > NAME_MAX) {
			approve_errf(err, errlen, "%.*s: bad path component",
				     (int)(slash - path), path);
			r = -EINVAL;
			goto out;
		}
		memcpy(name, comp, n);
		name[n] = '\0';
		nfd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			r = -errno;
			if (r == -ENOENT) {
				approve_errf(err, errlen, "%.*s: no such directory",
					     (int)(slash - path), path);
				r = APPROVE_HTTP_UNREACHABLE;
			} else {
				/* ENOTDIR or ELOOP: a symlink or a file */
				approve_errf(err, errlen, "%.*s: %s (symlinks are not followed)",
					     (int)(slash - path), path, strerror(-r));
				r = -EACCES;
			}
			goto out;
		}
		close(dfd);
		dfd = nfd;
		if (fstat(dfd, &st) < 0) {
			r = -errno;
			approve_errf(err, errlen, "%.*s: %s", (int)(slash - path), path,
				     strerror(errno));
			goto out;
		}
		comp = slash + 1;
		r = dir_ok(&st, server_uid, strchr(comp, '/') == NULL, path,
			   (size_t)(slash - path), err, errlen);
		if (r < 0)
			goto out;
	}
	if (strlen(comp) > NAME_MAX) {
		approve_errf(err, errlen, "%s: name too long", path);
		r = -EINVAL;
		goto out;
	}
	*dirfd = dfd;
	*leaf = comp;
	return 0;
out:
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* The directories (approve_path_dirs), then the socket file. 0 when all
 * is sound, APPROVE_HTTP_UNREACHABLE when a component is missing (the
 * part that exists is sound), -EACCES or -errno otherwise. */
static int
check_path(const char *path, uid_t server_uid, char *err, size_t errlen)
{
	const char *comp;
	struct stat st;
	int dfd, r;

	r = approve_path_dirs(path, server_uid, &dfd, &comp, err, errlen);
	if (r < 0)
		return r;
	if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		approve_errf(err, errlen, "%s: %s", path, strerror(errno));
		if (r == -ENOENT)
			r = APPROVE_HTTP_UNREACHABLE;
		goto out;
	}
	if (!S_ISSOCK(st.st_mode)) {
		approve_errf(err, errlen, "%s is not a socket%s", path,
			     S_ISLNK(st.st_mode) ? " (a symlink: not followed)" : "");
		r = -EACCES;
		goto out;
	}
	r = owner_ok(&st, server_uid, "socket", path, strlen(path), err, errlen);
out:
	close(dfd);
	return r;
}

/* Sleep ms or until a signal (then -EINTR). */
static int
pause_ms(unsigned ms, const sigset_t *sigmask)
{
	struct timespec ts = approve_ms_to_timespec(ms);

	if (ppoll(NULL, 0, &ts, sigmask) < 0 && errno == EINTR)
		return -EINTR;
	return 0;
}

int
approve_unix_connect(const char *path, uid_t server_uid, uint64_t deadline_ms,
		     const sigset_t *sigmask, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	size_t n = path ? strlen(path) : 0;
	int fd = -1, r;

	if (!path || path[0] != '/' || n > APPROVE_UNIX_PATH_MAX) {
		approve_errf(err, errlen, "bad socket path");
		return -EINVAL;
	}
	r = check_path(path, server_uid, err, errlen);
	if (r < 0)
		return r;
	memcpy(sa.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		approve_errf(err, errlen, "%s: socket: %s", path, strerror(errno));
		return r;
	}
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		r = -errno;
		if (r == -ENOENT || r == -ECONNREFUSED) {
			approve_errf(err, errlen, "%s: %s", path, strerror(-r));
			r = APPROVE_HTTP_UNREACHABLE;
			goto fail;
		}
		if (r == -EINTR) {
			approve_errf(err, errlen, "%s: interrupted", path);
			goto fail;
		}
		if (r != -EAGAIN) {
			approve_errf(err, errlen, "%s: connect: %s", path, strerror(-r));
			goto fail;
		}
		/* the listen backlog is full: the server is there but busy,
		 * which is never "unreachable" */
		if (approve_now_ms() + BUSY_RETRY_MS >= deadline_ms) {
			approve_errf(err, errlen, "%s: server busy (backlog full) until "
				     "the deadline", path);
			r = -ETIMEDOUT;
			goto fail;
		}
		r = pause_ms(BUSY_RETRY_MS, sigmask);
		if (r < 0) {
			approve_errf(err, errlen, "%s: interrupted", path);
			goto fail;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cl != sizeof(cred)) {
		r = -EACCES;
		approve_errf(err, errlen, "%s: no peer credentials", path);
		goto fail;
	}
	if (cred.uid != 0 && cred.uid != server_uid) {
		r = -EACCES;
		approve_errf(err, errlen, "%s: peer uid %lu (pid %ld) is neither root nor "
			     "the server user: not approvald, nothing sent", path,
			     (unsigned long)cred.uid, (long)cred.pid);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

int
approve_unix_probe(const char *path, uid_t server_uid, uint64_t deadline_ms,
		   char *err, size_t errlen)
{
	int fd = approve_unix_connect(path, server_uid, deadline_ms, NULL, err, errlen);

	if (fd == APPROVE_HTTP_UNREACHABLE)
		return 0;
	if (fd < 0)
		return fd;
	close(fd);
	approve_errf(err, errlen, "%s: approvald answers a probe", path);
	return -EISCONN;
}
