/* test_connguard.c: check suite for approvald/connguard.c on a real
 * libmicrohttpd daemon (no database): the per-peer cap keyed by address on
 * TCP (a third connection from 127.0.0.1 is refused at accept while
 * 127.0.0.2 is served, and 127.0.0.1 is served again once one closes) and
 * by SO_PEERCRED uid on a Unix socket (one over the cap refused for an
 * ordinary uid, root not capped: every sudo on the host connects as root); the head deadline closes a connection trickling its head
 * one byte at a time, and the handler never runs for it; an idle
 * kept-alive connection is closed after the same deadline, counted apart. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "connguard.h"
#include "unit.h"

#define CAP 2
#define HEAD_S 2

static int handled;	/* requests that reached the handler's final call */

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	static int mark;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)url; (void)method; (void)version; (void)upload; (void)upload_size;
	if (!*con_cls) {
		if (connguard_head_done(c) < 0)
			return MHD_NO;
		*con_cls = &mark;
		return MHD_YES;
	}
	if (connguard_body_done(c) < 0)
		return MHD_NO;
	__atomic_add_fetch(&handled, 1, __ATOMIC_SEQ_CST);
	r = MHD_create_response_from_buffer(3, "ok\n", MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	(void)cls; (void)toe;
	*con_cls = NULL;
	connguard_request_done(c);
}

static struct MHD_Daemon *
start(struct connguard *g, int listen_fd, uint16_t *port)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0,
			     connguard_accept, g, handler, NULL,
			     MHD_OPTION_LISTEN_SOCKET, listen_fd,
			     MHD_OPTION_THREAD_POOL_SIZE, 2u,
			     MHD_OPTION_NOTIFY_CONNECTION, connguard_notify, g,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_END);
	ck_assert_ptr_nonnull(d);
	if (port) {
		info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		ck_assert_ptr_nonnull(info);
		*port = info->port;
	}
	return d;
}

static int
tcp_listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	return fd;
}

static int
tcp_from(const char *src, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, s = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(inet_pton(AF_INET, src, &s.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&s, sizeof(s)), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* 1: a request on fd is answered 200; 0: closed without an answer. */
static int
served(int fd)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64] = "";
	ssize_t n;

	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1)
		return 0;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);	/* an answer or a close, not silence */
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	return n > 0 && strncmp(buf, "HTTP/1.1 200", 12) == 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(cap_by_address)
{
	struct connguard *g = NULL;
	struct connguard_stats st;
	struct MHD_Daemon *d;
	uint16_t port;
	int a, b, c, other;

	ck_assert_int_eq(connguard_new(30, 30, CAP, NULL, &g), 0);
	d = start(g, tcp_listener(), &port);
	a = tcp_from("127.0.0.1", port);
	b = tcp_from("127.0.0.1", port);
	usleep(200 * 1000);
	c = tcp_from("127.0.0.1", port);
	ck_assert_int_eq(served(c), 0);
	other = tcp_from("127.0.0.2", port);
	ck_assert_int_eq(served(other), 1);
	close(a);
	usleep(300 * 1000);
	close(c);
	c = tcp_from("127.0.0.1", port);
	ck_assert_int_eq(served(c), 1);
	connguard_stats(g, &st);
	ck_assert_uint_eq(st.refused_per_peer, 1);
	close(b);
	close(c);
	close(other);
	MHD_stop_daemon(d);
	connguard_free(g);
}
END_TEST

START_TEST(cap_by_uid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct connguard *g = NULL;
	struct connguard_stats st;
	struct MHD_Daemon *d;
	const char *dir = unit_tmpdir();
	int lfd, fds[CAP + 1], i, status;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	ck_assert_int_eq(chmod(sa.sun_path, 0777), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(connguard_new(30, 30, CAP, NULL, &g), 0);
	d = start(g, lfd, NULL);
	for (i = 0; i <= CAP; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_eq(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
		usleep(100 * 1000);
	}
	if (geteuid() != 0) {
		ck_assert_int_eq(served(fds[CAP]), 0);	/* one over the cap */
	} else {
		ck_assert_int_ne(served(fds[CAP]), 0);	/* root is not capped */
		/* an ordinary uid is: one over the cap refused */
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			int fd[CAP + 1], k;

			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(2);
			for (k = 0; k <= CAP; k++) {
				fd[k] = socket(AF_UNIX, SOCK_STREAM, 0);
				if (connect(fd[k], (struct sockaddr *)&sa, sizeof(sa)) != 0)
					_exit(3);
				usleep(100 * 1000);
			}
			_exit(served(fd[CAP]) ? 1 : 0);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	connguard_stats(g, &st);
	ck_assert_uint_eq(st.refused_per_peer, 1);
	for (i = 0; i <= CAP; i++)
		close(fds[i]);
	MHD_stop_daemon(d);
	connguard_free(g);
	unit_rmdir(dir);
}
END_TEST

START_TEST(head_deadline)
{
	static const char head[] = "GET / HTTP/1.1\r\nHost: t\r\n";
	struct connguard *g = NULL;
	struct connguard_stats st;
	struct MHD_Daemon *d;
	uint16_t port;
	double t0, took = -1;
	size_t i;
	int fd, quick;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(connguard_new(HEAD_S, 30, CAP, NULL, &g), 0);
	d = start(g, tcp_listener(), &port);
	fd = tcp_from("127.0.0.1", port);
	t0 = now_s();
	/* a byte every 250 ms: libmicrohttpd's own timeout would never fire */
	for (i = 0; i < sizeof(head) - 1 && now_s() - t0 < HEAD_S + 3; i++) {
		char c;

		if (send(fd, head + i, 1, MSG_NOSIGNAL) != 1 ||
		    recv(fd, &c, 1, MSG_DONTWAIT) == 0) {
			took = now_s() - t0;
			break;
		}
		usleep(250 * 1000);
	}
	ck_assert_msg(took >= HEAD_S - 0.5 && took <= HEAD_S + 1.5,
		      "trickled head closed after %.2f s (deadline %d s)", took, HEAD_S);
	ck_assert_int_eq(__atomic_load_n(&handled, __ATOMIC_SEQ_CST), 0);
	close(fd);
	/* a prompt request is served; kept alive and idle, its connection
	 * gets the same deadline for its next head, counted apart */
	quick = tcp_from("127.0.0.1", port);
	ck_assert_int_eq(served(quick), 1);
	t0 = now_s();
	for (;;) {	/* the rest of the answer, then the close */
		struct pollfd p = { .fd = quick, .events = POLLIN };
		char buf[256];

		ck_assert_int_eq(poll(&p, 1, (HEAD_S + 3) * 1000), 1);
		if (recv(quick, buf, sizeof(buf), 0) <= 0)
			break;
	}
	took = now_s() - t0;
	ck_assert_msg(took >= HEAD_S - 0.5 && took <= HEAD_S + 1.5,
		      "idle keep-alive closed after %.2f s (deadline %d s)", took, HEAD_S);
	close(quick);
	connguard_stats(g, &st);
	ck_assert_uint_eq(st.closed_header_timeout, 1);
	ck_assert_uint_eq(st.closed_keepalive_idle, 1);
	MHD_stop_daemon(d);
	connguard_free(g);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("connguard");
	TCase *tc = tcase_create("connguard");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, cap_by_address);
	tcase_add_test(tc, cap_by_uid);
	tcase_add_test(tc, head_deadline);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
