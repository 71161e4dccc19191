/* test_waiters.c: check suite for approvald/waiters.c, the registry of
 * suspended long-polls. The registry alone (connections never suspended,
 * so no MHD call is made): arm before read, a wake-up between arm and
 * suspend makes suspend say -EAGAIN (the handler reads again, nothing is
 * lost), disarm is idempotent, a wake-up by id fires exactly the waiters
 * of that id (5000 ids over 4096 buckets: colliding ids stay armed), due
 * deadlines fire and later ones do not, shutdown fires everyone and refuses
 * new waiters. Then on a real libmicrohttpd daemon (as test_connguard.c):
 * suspended connections are counted, a wake-up resumes exactly its own
 * (once: a second wake-up finds nothing), an event wake-up only the event
 * waiters, shutdown the rest; a client that hangs up while suspended is
 * released with gone set and its handler closes without answering, while a
 * connected one stays suspended. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "http.h"	/* approve_now_ms() */
#include "waiters.h"
#include "unit.h"

#define ID_A "0b6a1c2e-0000-4000-8000-00000000000a"
#define ID_B "0b6a1c2e-0000-4000-8000-00000000000b"

/* ---- the registry alone ---- */

START_TEST(arm_wake_suspend)
{
	struct waiters *ws;
	struct waiter a = { 0 }, b = { 0 }, e = { 0 };
	unsigned nr, ne;

	ck_assert_int_eq(waiters_new(&ws), 0);
	ck_assert_int_eq(waiters_arm(ws, &a, NULL, ID_A, UINT64_MAX), 0);
	ck_assert_int_eq(waiters_arm(ws, &b, NULL, ID_B, UINT64_MAX), 0);
	ck_assert_int_eq(waiters_arm(ws, &e, NULL, NULL, UINT64_MAX), 0);
	ck_assert_int_eq(a.state, WAITER_ARMED);
	ck_assert_str_eq(a.id, ID_A);
	ck_assert_str_eq(e.id, "");
	/* armed is not suspended: nothing counted */
	waiters_count(ws, &nr, &ne);
	ck_assert_uint_eq(nr, 0);
	ck_assert_uint_eq(ne, 0);

	/* the notification arrives during the database read */
	waiters_wake_id(ws, ID_A);
	ck_assert_int_eq(a.state, WAITER_FIRED);
	ck_assert_int_eq(b.state, WAITER_ARMED);
	ck_assert_int_eq(e.state, WAITER_ARMED);
	ck_assert_int_eq(waiters_suspend(ws, &a), -EAGAIN);
	ck_assert_int_eq(a.state, WAITER_IDLE);
	/* a fired waiter has left: waking again changes nothing */
	waiters_wake_id(ws, ID_A);
	ck_assert_int_eq(a.state, WAITER_IDLE);
	/* an unknown or hostile id wakes nobody */
	waiters_wake_id(ws, "");
	waiters_wake_id(ws, ID_A "x");
	waiters_wake_id(ws, "\xff\x1b[2J");
	ck_assert_int_eq(b.state, WAITER_ARMED);
	ck_assert_int_eq(e.state, WAITER_ARMED);

	waiters_wake_events(ws);
	ck_assert_int_eq(e.state, WAITER_FIRED);
	ck_assert_int_eq(b.state, WAITER_ARMED);

	/* suspend of a never-armed waiter: read again, never suspended */
	{
		struct waiter z = { 0 };

		ck_assert_int_eq(waiters_suspend(ws, &z), -EAGAIN);
		ck_assert_int_eq(z.state, WAITER_IDLE);
		waiters_disarm(ws, &z);
	}
	/* disarm: off the list, idempotent, re-armable */
	waiters_disarm(ws, &b);
	ck_assert_int_eq(b.state, WAITER_IDLE);
	waiters_disarm(ws, &b);
	waiters_wake_id(ws, ID_B);
	ck_assert_int_eq(b.state, WAITER_IDLE);
	ck_assert_int_eq(waiters_arm(ws, &b, NULL, ID_B, UINT64_MAX), 0);
	/* arming twice lists it once: one disarm takes it off */
	ck_assert_int_eq(waiters_arm(ws, &b, NULL, ID_A, UINT64_MAX), 0);
	waiters_disarm(ws, &b);
	waiters_wake_all(ws);
	ck_assert_int_eq(b.state, WAITER_IDLE);
	waiters_disarm(ws, &a);
	waiters_disarm(ws, &e);
	waiters_free(ws);
	waiters_free(NULL);
}
END_TEST

START_TEST(wake_by_id_exact)
{
	enum { N = 5000 };
	struct waiters *ws;
	struct waiter *w = calloc(N, sizeof(*w));
	char id[64];
	int i;

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(waiters_new(&ws), 0);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", i);
		ck_assert_int_eq(waiters_arm(ws, &w[i], NULL, id, UINT64_MAX), 0);
	}
	for (i = 0; i < N; i += 97) {
		snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", i);
		waiters_wake_id(ws, id);
	}
	for (i = 0; i < N; i++)
		ck_assert_msg(w[i].state == (i % 97 == 0 ? WAITER_FIRED : WAITER_ARMED),
			      "waiter %d in state %d", i, (int)w[i].state);
	for (i = 0; i < N; i++)
		waiters_disarm(ws, &w[i]);
	waiters_free(ws);
	free(w);
}
END_TEST

START_TEST(two_for_one_id)
{
	struct waiters *ws;
	struct waiter a1 = { 0 }, a2 = { 0 }, b = { 0 };

	ck_assert_int_eq(waiters_new(&ws), 0);
	ck_assert_int_eq(waiters_arm(ws, &a1, NULL, ID_A, UINT64_MAX), 0);
	ck_assert_int_eq(waiters_arm(ws, &b, NULL, ID_B, UINT64_MAX), 0);
	ck_assert_int_eq(waiters_arm(ws, &a2, NULL, ID_A, UINT64_MAX), 0);
	waiters_wake_id(ws, ID_A);
	ck_assert_int_eq(a1.state, WAITER_FIRED);
	ck_assert_int_eq(a2.state, WAITER_FIRED);
	ck_assert_int_eq(b.state, WAITER_ARMED);
	waiters_disarm(ws, &b);
	waiters_free(ws);
}
END_TEST

START_TEST(due_and_shutdown)
{
	struct waiters *ws;
	struct waiter early = { 0 }, now = { 0 }, late = { 0 }, ev = { 0 }, after = { 0 };

	ck_assert_int_eq(waiters_new(&ws), 0);
	ck_assert_int_eq(waiters_arm(ws, &early, NULL, ID_A, 1000), 0);
	ck_assert_int_eq(waiters_arm(ws, &now, NULL, NULL, 2000), 0);
	ck_assert_int_eq(waiters_arm(ws, &late, NULL, ID_B, 2001), 0);
	waiters_wake_due(ws, 999);
	ck_assert_int_eq(early.state, WAITER_ARMED);
	waiters_wake_due(ws, 2000);
	ck_assert_int_eq(early.state, WAITER_FIRED);
	ck_assert_int_eq(now.state, WAITER_FIRED);
	ck_assert_int_eq(late.state, WAITER_ARMED);

	ck_assert_int_eq(waiters_arm(ws, &ev, NULL, NULL, UINT64_MAX), 0);
	waiters_shutdown(ws);
	ck_assert_int_eq(late.state, WAITER_FIRED);
	ck_assert_int_eq(ev.state, WAITER_FIRED);
	ck_assert_int_eq(waiters_arm(ws, &after, NULL, ID_A, UINT64_MAX), -ESHUTDOWN);
	ck_assert_int_eq(after.state, WAITER_IDLE);
	ck_assert_int_eq(waiters_arm(ws, &after, NULL, NULL, UINT64_MAX), -ESHUTDOWN);
	/* nothing is suspended, so nothing is released */
	ck_assert_uint_eq(waiters_release_gone(ws), 0);
	waiters_free(ws);
}
END_TEST

/* ---- on a real daemon ---- */

struct cstate {
	struct waiter w;
	int runs;
};

static struct waiters *g_ws;
static int g_answered, g_gone_closed, g_completed;

/* GET /wait/ID or /events: arm, suspend; once resumed answer "woken",
 * or close when released as gone. */
static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct cstate *st = *con_cls;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)method; (void)version; (void)upload; (void)upload_size;
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		return MHD_YES;
	}
	if (st->w.gone) {
		__atomic_add_fetch(&g_gone_closed, 1, __ATOMIC_SEQ_CST);
		return MHD_NO;
	}
	if (st->runs++ == 0) {
		const char *id = strncmp(url, "/wait/", 6) == 0 ? url + 6 : NULL;

		if (waiters_arm(g_ws, &st->w, c, id, UINT64_MAX) == 0 &&
		    waiters_suspend(g_ws, &st->w) == 0)
			return MHD_YES;
	}
	__atomic_add_fetch(&g_answered, 1, __ATOMIC_SEQ_CST);
	r = MHD_create_response_from_buffer(6, "woken\n", MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	struct cstate *st = *con_cls;

	(void)cls; (void)c; (void)toe;
	if (!st)
		return;
	waiters_disarm(g_ws, &st->w);	/* as httpd.c's completed callback */
	free(st);
	*con_cls = NULL;
	__atomic_add_fetch(&g_completed, 1, __ATOMIC_SEQ_CST);
}

static struct MHD_Daemon *
start(uint16_t *port)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(waiters_new(&g_ws), 0);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, handler, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_END);
	ck_assert_ptr_nonnull(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	*port = info->port;
	return d;
}

static int
client(uint16_t port, const char *path)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[256];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	return fd;
}

/* 1 when an answer "woken" arrives within ms, 0 on silence. */
static int
answered(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[1024];
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return 0;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strstr(buf, " 200 ") && strstr(buf, "woken"), "answer: %s", buf);
	return 1;
}

static void
wait_counts(unsigned want_r, unsigned want_e)
{
	unsigned r = 0, e = 0;
	uint64_t end = approve_now_ms() + 5000;

	while (approve_now_ms() < end) {
		waiters_count(g_ws, &r, &e);
		if (r == want_r && e == want_e)
			return;
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	}
	ck_abort_msg("suspended: %u requests, %u events; expected %u, %u", r, e, want_r, want_e);
}

START_TEST(real_suspend_resume)
{
	uint16_t port;
	struct MHD_Daemon *d = start(&port);
	int a1 = client(port, "/wait/" ID_A), a2 = client(port, "/wait/" ID_A);
	int b = client(port, "/wait/" ID_B), ev = client(port, "/events");

	wait_counts(3, 1);
	waiters_wake_id(g_ws, ID_A);
	ck_assert_int_eq(answered(a1, 3000), 1);
	ck_assert_int_eq(answered(a2, 3000), 1);
	ck_assert_int_eq(answered(b, 300), 0);
	ck_assert_int_eq(answered(ev, 10), 0);
	wait_counts(1, 1);
	/* once: a second wake-up for A finds nobody (a double resume would
	 * trip libmicrohttpd) */
	waiters_wake_id(g_ws, ID_A);
	waiters_wake_events(g_ws);
	ck_assert_int_eq(answered(ev, 3000), 1);
	ck_assert_int_eq(answered(b, 300), 0);
	wait_counts(1, 0);
	/* before MHD_stop_daemon: nobody may stay suspended */
	waiters_shutdown(g_ws);
	ck_assert_int_eq(answered(b, 3000), 1);
	wait_counts(0, 0);
	ck_assert_int_eq(__atomic_load_n(&g_answered, __ATOMIC_SEQ_CST), 4);
	close(a1);
	close(a2);
	close(b);
	close(ev);
	MHD_stop_daemon(d);
	ck_assert_int_eq(__atomic_load_n(&g_completed, __ATOMIC_SEQ_CST), 4);
	waiters_free(g_ws);
}
END_TEST

START_TEST(real_gone_released)
{
	uint16_t port;
	struct MHD_Daemon *d = start(&port);
	int gone = client(port, "/wait/" ID_A), stay = client(port, "/wait/" ID_A);
	int gone_ev = client(port, "/events");
	uint64_t end;
	unsigned released = 0;

	wait_counts(2, 1);
	ck_assert_uint_eq(waiters_release_gone(g_ws), 0);	/* all connected */
	close(gone);
	close(gone_ev);
	end = approve_now_ms() + 5000;
	while (released < 2 && approve_now_ms() < end) {
		released += waiters_release_gone(g_ws);
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	}
	ck_assert_uint_eq(released, 2);
	wait_counts(1, 0);
	end = approve_now_ms() + 5000;
	while (__atomic_load_n(&g_gone_closed, __ATOMIC_SEQ_CST) < 2 && approve_now_ms() < end)
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	ck_assert_int_eq(__atomic_load_n(&g_gone_closed, __ATOMIC_SEQ_CST), 2);
	ck_assert_int_eq(__atomic_load_n(&g_answered, __ATOMIC_SEQ_CST), 0);
	/* the one still connected is woken normally */
	ck_assert_int_eq(answered(stay, 200), 0);
	waiters_wake_id(g_ws, ID_A);
	ck_assert_int_eq(answered(stay, 3000), 1);
	wait_counts(0, 0);
	close(stay);
	waiters_shutdown(g_ws);
	MHD_stop_daemon(d);
	waiters_free(g_ws);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("waiters");
	TCase *tc = tcase_create("registry");
	TCase *mhd = tcase_create("mhd");

	tcase_add_test(tc, arm_wake_suspend);
	tcase_add_test(tc, wake_by_id_exact);
	tcase_add_test(tc, two_for_one_id);
	tcase_add_test(tc, due_and_shutdown);
	suite_add_tcase(s, tc);
	tcase_set_timeout(mhd, 30);
	tcase_add_test(mhd, real_suspend_resume);
	tcase_add_test(mhd, real_gone_released);
	suite_add_tcase(s, mhd);
	return unit_run(s);
}
