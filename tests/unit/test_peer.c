/* test_peer.c: check suite for common/peer.c through the HTTP client: a
 * request over a Unix socket in a sound directory (the server sees the
 * token and "Host: localhost"); refusals before anything is sent (a
 * socket in a group/other-writable directory, directly in sticky /tmp, a
 * symlinked directory or socket, a regular file, a server whose
 * SO_PEERCRED uid is not the expected one); "unreachable" only for a
 * missing directory or socket file and a stale socket without listener;
 * the failmode probe. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "http.h"
#include "peer.h"
#include "unit.h"

/* The uid our own server runs as: root in CI, else ourselves. */
static uid_t
me(void)
{
	return getuid();
}

static int
unix_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(a.sun_path));
	strcpy(a.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

/* 1 when a client is waiting in fd's accept queue (it connected). */
static int
has_client(int fd)
{
	int c, fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	c = accept(fd, NULL, NULL);
	fcntl(fd, F_SETFL, fl);
	if (c < 0)
		return 0;
	close(c);
	return 1;
}

struct srv {
	int lfd;
	char request[8192];
	size_t len;
};

static void *
srv_main(void *arg)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				   "Content-Length: 2\r\n\r\n{}";
	struct srv *s = arg;
	ssize_t n;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	while (s->len < sizeof(s->request) - 1 && !strstr(s->request, "\r\n\r\n")) {
		n = read(fd, s->request + s->len, sizeof(s->request) - 1 - s->len);
		if (n <= 0)
			break;
		s->len += (size_t)n;
		s->request[s->len] = '\0';
	}
	if (send(fd, resp, sizeof(resp) - 1, MSG_NOSIGNAL) < 0) {
		/* the client's assertions report it */
	}
	close(fd);
	return NULL;
}

static int
get(const char *url, uid_t server_uid, char *err, size_t errlen)
{
	struct approve_http_opts o = { .url = url, .token = "aph_secret",
				       .server_uid = server_uid, .strict_transport = 1 };
	struct approve_http_response *r = NULL;
	int rc = approve_http_request(&o, "GET", "/healthz", NULL, 0,
				      approve_now_ms() + 3000, &r, err, errlen);

	if (rc == 0)
		ck_assert_int_eq(r->status, 200);
	approve_http_response_free(r);
	return rc;
}

START_TEST(unix_ok)
{
	const char *d = unit_tmpdir();	/* 0700, ours, under sticky /tmp */
	static struct srv s;
	char path[128], url[160], err[512] = "";
	pthread_t t;

	snprintf(path, sizeof(path), "%s/a.sock", d);
	snprintf(url, sizeof(url), "unix:%s", path);
	s.lfd = unix_listen(path);
	ck_assert_int_eq(pthread_create(&t, NULL, srv_main, &s), 0);
	ck_assert_msg(get(url, me(), err, sizeof(err)) == 0, "%s", err);
	pthread_join(t, NULL);
	ck_assert_msg(strncmp(s.request, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n", 40) == 0,
		      "%s", s.request);
	ck_assert_ptr_nonnull(strstr(s.request, "\r\nAuthorization: Bearer aph_secret\r\n"));
	close(s.lfd);
	unit_rmdir(d);
}
END_TEST

/* Each case: a layout under a fresh directory; the client must refuse
 * with -EACCES and the server must see no connection. */
START_TEST(unix_refused)
{
	const char *d = unit_tmpdir();
	char sub[128], path[160], url[192], err[512] = "";
	int lfd = -1, fd;

	snprintf(sub, sizeof(sub), "%s/run", d);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/a.sock", sub);
	switch (_i) {
	case 0:		/* the socket's directory is writable by others */
		ck_assert_int_eq(chmod(sub, 0777), 0);
		lfd = unix_listen(path);
		break;
	case 1:		/* ... by the group */
		ck_assert_int_eq(chmod(sub, 0770), 0);
		lfd = unix_listen(path);
		break;
	case 2:		/* sticky is not enough for the socket's own directory */
		ck_assert_int_eq(chmod(sub, 01777), 0);
		lfd = unix_listen(path);
		break;
	case 3:		/* a writable, non-sticky ancestor */
		ck_assert_int_eq(chmod(d, 0777), 0);
		lfd = unix_listen(path);
		break;
	case 4:		/* a symlinked directory */
		lfd = unix_listen(path);
		snprintf(path, sizeof(path), "%s/link", d);
		ck_assert_int_eq(symlink(sub, path), 0);
		strcat(path, "/a.sock");
		break;
	case 5:		/* a symlinked socket */
		lfd = unix_listen(path);
		snprintf(path, sizeof(path), "%s/b.sock", sub);
		snprintf(url, sizeof(url), "%s/a.sock", sub);
		ck_assert_int_eq(symlink(url, path), 0);
		break;
	case 6:		/* not a socket */
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
		break;
	case 7:		/* a directory component that is a file */
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
		strcat(path, "/x.sock");
		break;
	default:
		ck_abort();
	}
	snprintf(url, sizeof(url), "unix:%s", path);
	ck_assert_int_eq(get(url, me(), err, sizeof(err)), -EACCES);
	ck_assert(err[0] != '\0');
	if (lfd >= 0) {
		ck_assert_msg(!has_client(lfd), "the client connected before refusing");
		close(lfd);
	}
	chmod(d, 0700);
	unit_rmdir(d);
}
END_TEST

/* Owned by someone else: a socket file, or a directory, that neither root
 * nor the server user owns is refused (root only: chown). */
START_TEST(unix_foreign_owner)
{
	const char *d = unit_tmpdir();
	char path[128], url[160], err[512] = "";
	int lfd;

	if (getuid() != 0) {
		unit_rmdir(d);
		return;
	}
	snprintf(path, sizeof(path), "%s/a.sock", d);
	lfd = unix_listen(path);
	snprintf(url, sizeof(url), "unix:%s", path);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	ck_assert_int_eq(get(url, 0, err, sizeof(err)), -EACCES);
	ck_assert_ptr_nonnull(strstr(err, "owned by uid 65534"));
	ck_assert(!has_client(lfd));
	/* the same owner is fine when it is the server user (the server is root) */
	ck_assert_int_eq(chown(path, 0, 0), 0);
	ck_assert_int_eq(chown(d, 65534, 65534), 0);
	ck_assert_int_eq(get(url, 0, err, sizeof(err)), -EACCES);
	ck_assert(!has_client(lfd));
	close(lfd);
	unit_rmdir(d);
}
END_TEST

/* SO_PEERCRED: a server that bound as root and then became uid 65534
 * before listen() is not root; refused unless 65534 is the server user
 * (root only: setuid). */
START_TEST(unix_peer_uid)
{
	const char *d = unit_tmpdir();
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char url[160], err[512] = "";
	int fd, pfd[2];
	pid_t pid;
	char c;

	if (getuid() != 0) {
		unit_rmdir(d);
		return;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/a.sock", d);
	snprintf(url, sizeof(url), "unix:%s", a.sun_path);
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    setgid(65534) < 0 || setuid(65534) < 0 || listen(fd, 4) < 0)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	ck_assert_int_eq(get(url, 0, err, sizeof(err)), -EACCES);
	ck_assert_msg(strstr(err, "peer uid 65534"), "%s", err);
	/* the module's server_user=nobody: accepted up to the connection
	 * (this server never answers: the deadline ends the exchange) */
	ck_assert_int_eq(get(url, 65534, err, sizeof(err)), -ETIMEDOUT);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unit_rmdir(d);
}
END_TEST

/* Nothing there: unreachable (failmode=open may apply), and the probe
 * agrees; a listening socket is not. */
START_TEST(unix_unreachable)
{
	const char *d = unit_tmpdir();
	char path[128], url[160], err[512] = "";
	int lfd;

	snprintf(path, sizeof(path), "%s/missing/a.sock", d);
	snprintf(url, sizeof(url), "unix:%s", path);
	ck_assert_int_eq(get(url, me(), err, sizeof(err)), APPROVE_HTTP_UNREACHABLE);
	ck_assert_int_eq(approve_unix_probe(path, me(), approve_now_ms() + 1000,
					    err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/a.sock", d);
	snprintf(url, sizeof(url), "unix:%s", path);
	ck_assert_int_eq(get(url, me(), err, sizeof(err)), APPROVE_HTTP_UNREACHABLE);
	/* a stale socket file: bound, never listening (a crashed daemon's) */
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		strcpy(a.sun_path, path);
		ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	close(lfd);
	ck_assert_int_eq(get(url, me(), err, sizeof(err)), APPROVE_HTTP_UNREACHABLE);
	ck_assert_int_eq(approve_unix_probe(path, me(), approve_now_ms() + 1000,
					    err, sizeof(err)), 0);
	unlink(path);
	lfd = unix_listen(path);
	ck_assert_int_eq(approve_unix_probe(path, me(), approve_now_ms() + 1000,
					    err, sizeof(err)), -EISCONN);
	close(lfd);
	unit_rmdir(d);
}
END_TEST

/* A socket directly in /tmp (sticky, but the socket's own directory). */
START_TEST(unix_in_tmp)
{
	char path[64], url[96], err[512] = "";
	int lfd;

	snprintf(path, sizeof(path), "/tmp/approve-unit-%ld.sock", (long)getpid());
	unlink(path);
	lfd = unix_listen(path);
	snprintf(url, sizeof(url), "unix:%s", path);
	ck_assert_int_eq(get(url, me(), err, sizeof(err)), -EACCES);
	ck_assert_msg(strstr(err, "writable"), "%s", err);
	ck_assert(!has_client(lfd));
	close(lfd);
	unlink(path);
}
END_TEST

START_TEST(port_start)
{
	unsigned v = approve_unprivileged_port_start();

	ck_assert_uint_le(v, 65536);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("peer");
	TCase *tc = tcase_create("unix");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, unix_ok);
	tcase_add_loop_test(tc, unix_refused, 0, 8);
	tcase_add_test(tc, unix_foreign_owner);
	tcase_add_test(tc, unix_peer_uid);
	tcase_add_test(tc, unix_unreachable);
	tcase_add_test(tc, unix_in_tmp);
	tcase_add_test(tc, port_start);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
