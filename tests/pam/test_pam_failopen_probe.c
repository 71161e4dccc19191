/* test_pam_failopen_probe.c: unit tests (check) for pam_approve/failopen.c,
 * the second look before failmode=open. Only a refusal on every address
 * proves "nothing is there": a listener whose accept queue is full (SYNs
 * dropped, the probe times out) or one that accepts is a denial, also
 * when the probe's time has already run out (it still looks once). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "failopen.h"

/* A socket on 127.0.0.1 and a free port: listening with backlog when
 * backlog >= 0, else only bound (connections to it are refused). */
static int
on_loopback(int backlog, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (backlog >= 0)
		ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int
probe(int port, unsigned ms, char *why, size_t whylen)
{
	char url[64];

	snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
	why[0] = '\0';
	return pa_failopen_check(url, 0, ms, why, whylen);
}

START_TEST(refused_may_fail_open)
{
	char why[160];
	int port, fd = on_loopback(-1, &port);

	ck_assert_int_eq(probe(port, 1000, why, sizeof(why)), 0);
	/* refused is a definite answer even with no time left */
	ck_assert_int_eq(probe(port, 0, why, sizeof(why)), 0);
	close(fd);
}
END_TEST

START_TEST(full_queue_may_not)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char why[160];
	int port, fd = on_loopback(0, &port), filler;

	/* one queued connection fills a backlog of 0: SYNs are dropped */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(filler, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_ne(probe(port, 300, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "timed out"), "%s", why);
	close(filler);
	close(fd);
}
END_TEST

START_TEST(listening_may_not)
{
	char why[160];
	int port, fd = on_loopback(8, &port);

	ck_assert_int_ne(probe(port, 1000, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "answers"), "%s", why);
	/* no time left (the process was stopped): still looked at once */
	ck_assert_int_ne(probe(port, 0, why, sizeof(why)), 0);
	close(fd);
}
END_TEST

START_TEST(bad_url_may_not)
{
	char why[160] = "";

	ck_assert_int_ne(pa_failopen_check("ftp://x", 0, 100, why, sizeof(why)), 0);
	ck_assert(why[0] != '\0');
	/* a name that does not resolve proves nothing about approvald */
	ck_assert_int_ne(pa_failopen_check("https://approvald.invalid:8443", 0, 1000,
					   why, sizeof(why)), 0);
}
END_TEST

/* A Unix socket at dir/sock: bound only (connect is refused) or listening. */
static int
unix_at(const char *dir, int listening, char *url, size_t urllen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/sock", dir);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (listening)
		ck_assert_int_eq(listen(fd, 4), 0);
	snprintf(url, urllen, "unix:%s", a.sun_path);
	return fd;
}

/* unix: the same checks as the connect; only "no socket" or "nobody
 * listens" may fail open, an answering or unsafe socket may not. */
START_TEST(unix_probe)
{
	char dir[] = "/tmp/failopen-probe.XXXXXX", url[160], why[256];
	uid_t me = geteuid();
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(url, sizeof(url), "unix:%s/sock", dir);
	/* nothing there */
	ck_assert_int_eq(pa_failopen_check(url, me, 500, why, sizeof(why)), 0);
	/* a stale socket: refused */
	fd = unix_at(dir, 0, url, sizeof(url));
	ck_assert_int_eq(pa_failopen_check(url, me, 500, why, sizeof(why)), 0);
	close(fd);
	unlink(url + 5);
	/* a server answers: approvald is there */
	fd = unix_at(dir, 1, url, sizeof(url));
	ck_assert_int_ne(pa_failopen_check(url, me, 500, why, sizeof(why)), 0);
	close(fd);
	unlink(url + 5);
	/* a directory others may write: nothing proven, whatever is there */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_ne(pa_failopen_check(url, me, 500, why, sizeof(why)), 0);
	ck_assert_msg(why[0] != '\0', "a reason");
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pam_failopen_probe");
	TCase *tc = tcase_create("probe");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, refused_may_fail_open);
	tcase_add_test(tc, full_queue_may_not);
	tcase_add_test(tc, listening_may_not);
	tcase_add_test(tc, bad_url_may_not);
	tcase_add_test(tc, unix_probe);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
