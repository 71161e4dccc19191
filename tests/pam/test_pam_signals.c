/* test_pam_signals.c: unit tests (check) for pam_approve/signals.c: the
 * handlers interrupt waits (no SA_RESTART), the three signals are blocked
 * outside the waits and delivered inside a ppoll() with the wait mask (so a
 * signal that lands before the wait is not lost), restore puts back the
 * previous handlers and mask exactly, a signal still pending when restore
 * runs reaches the application's handler (not ours, where it would be
 * lost), and pa_signals_take_pending() collects one that is pending. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "signals.h"

static int app_got;

static void
app_handler(int sig)
{
	app_got = sig;
}

static void
assert_same_action(int sig, const struct sigaction *before)
{
	struct sigaction now;

	ck_assert_int_eq(sigaction(sig, NULL, &now), 0);
	ck_assert(now.sa_handler == before->sa_handler);
	ck_assert_int_eq(now.sa_flags, before->sa_flags);
}

/* Like sudo during auth: its own SA_RESTART handlers, SIGINT blocked. */
START_TEST(test_restores_exactly)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction app, before[3];
	struct pa_sigsave ss;
	sigset_t block, mask_before, mask_now;
	size_t i;

	memset(&app, 0, sizeof(app));
	app.sa_handler = app_handler;
	app.sa_flags = SA_RESTART;
	sigemptyset(&app.sa_mask);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(sigaction(sigs[i], &app, NULL), 0);
		ck_assert_int_eq(sigaction(sigs[i], NULL, &before[i]), 0);
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, &mask_before), 0);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &mask_before), 0);

	ck_assert_int_eq(pa_signals_install(&ss), 0);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &mask_now), 0);
	ck_assert(sigismember(&mask_now, SIGINT));	/* blocked outside waits */
	ck_assert(sigismember(&mask_now, SIGTERM));
	ck_assert(sigismember(&mask_now, SIGUSR1));	/* untouched */
	ck_assert(!sigismember(pa_signals_waitmask(&ss), SIGINT));	/* open in waits */
	ck_assert(!sigismember(pa_signals_waitmask(&ss), SIGHUP));
	ck_assert(sigismember(pa_signals_waitmask(&ss), SIGUSR1));
	ck_assert_int_eq(pa_signal_caught(), 0);
	raise(SIGINT);		/* lands before the wait: kept pending */
	ck_assert_int_eq(pa_signal_caught(), 0);
	{
		struct timespec ts = { 5, 0 };

		ck_assert_int_eq(ppoll(NULL, 0, &ts, pa_signals_waitmask(&ss)), -1);
		ck_assert_int_eq(errno, EINTR);
	}
	ck_assert_int_eq(pa_signal_caught(), SIGINT);
	ck_assert_int_eq(app_got, 0);	/* ours, not the application's */

	pa_signals_restore(&ss);
	pa_signals_restore(&ss);	/* idempotent */
	for (i = 0; i < 3; i++)
		assert_same_action(sigs[i], &before[i]);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &mask_now), 0);
	for (i = 1; i < NSIG; i++)
		ck_assert_int_eq(sigismember(&mask_now, (int)i),
				 sigismember(&mask_before, (int)i));
	/* the application's handler is back and gets the next one */
	raise(SIGHUP);
	ck_assert_int_eq(app_got, SIGHUP);
}
END_TEST

/* A Ctrl-C that arrives after the last wait, while the three are blocked,
 * is still pending at restore: it must reach the application's own handler
 * (sudo's, su's), since ours is gone with the wait and its flag unread. */
START_TEST(test_pending_at_restore_reaches_application)
{
	struct sigaction app;
	struct pa_sigsave ss;

	memset(&app, 0, sizeof(app));
	app.sa_handler = app_handler;
	app.sa_flags = SA_RESTART;
	sigemptyset(&app.sa_mask);
	ck_assert_int_eq(sigaction(SIGINT, &app, NULL), 0);
	app_got = 0;
	ck_assert_int_eq(pa_signals_install(&ss), 0);
	raise(SIGINT);		/* blocked: pending */
	ck_assert_int_eq(pa_signal_caught(), 0);
	ck_assert_int_eq(app_got, 0);
	pa_signals_restore(&ss);
	ck_assert_int_eq(app_got, SIGINT);
	ck_assert_int_eq(pa_signal_caught(), 0);
}
END_TEST

/* A signal pending (blocked) when the final answer has been read is taken
 * by our handler before the answer is accepted, and then it is ours. */
START_TEST(test_take_pending)
{
	struct pa_sigsave ss;

	ck_assert_int_eq(pa_signals_install(&ss), 0);
	ck_assert_int_eq(pa_signals_take_pending(&ss), 0);	/* none */
	raise(SIGHUP);
	ck_assert_int_eq(pa_signal_caught(), 0);
	ck_assert_int_eq(pa_signals_take_pending(&ss), SIGHUP);
	ck_assert_int_eq(pa_signal_caught(), SIGHUP);
	pa_signals_restore(&ss);
	/* nothing installed: nothing to take */
	ck_assert_int_eq(pa_signals_take_pending(&ss), 0);
}
END_TEST

/* A blocking call returns EINTR instead of being restarted. */
START_TEST(test_interrupts_blocking_call)
{
	struct pa_sigsave ss;
	int fds[2];
	char c;
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(pa_signals_install(&ss), 0);
	if (fork() == 0) {
		usleep(200000);
		kill(getppid(), SIGTERM);
		_exit(0);
	}
	{
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		struct timespec ts = { 10, 0 };

		n = ppoll(&pfd, 1, &ts, pa_signals_waitmask(&ss)); /* nothing written */
	}
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(errno, EINTR);
	(void)c;
	ck_assert_int_eq(pa_signal_caught(), SIGTERM);
	pa_signals_restore(&ss);
	/* a new install starts with a clear flag */
	ck_assert_int_eq(pa_signals_install(&ss), 0);
	ck_assert_int_eq(pa_signal_caught(), 0);
	pa_signals_restore(&ss);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pam_signals");
	TCase *tc = tcase_create("signals");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_restores_exactly);
	tcase_add_test(tc, test_interrupts_blocking_call);
	tcase_add_test(tc, test_pending_at_restore_reaches_application);
	tcase_add_test(tc, test_take_pending);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
