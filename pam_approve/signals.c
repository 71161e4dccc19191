/* signals.c: owns the module's signal handlers and mask during the wait
 * (see signals.h). The handler only sets a volatile sig_atomic_t; the wait
 * loop sees EINTR from the HTTP client (or the flag before its next call),
 * cancels the request and fails. Everything changed is put back exactly,
 * on every exit path of the wait. */
#include <errno.h>
#include <string.h>

#include "signals.h"

static volatile sig_atomic_t caught;
static const int wait_signals[PA_NSIG_WAIT] = { SIGINT, SIGTERM, SIGHUP };

static void
on_signal(int sig)
{
	caught = sig;
}

int
pa_signal_caught(void)
{
	return (int)caught;
}

/* The mask first (a signal arriving now stays pending for the application,
 * whose handler is not back yet), then the handlers in reverse order. */
void
pa_signals_restore(struct pa_sigsave *ss)
{
	if (ss->mask_changed)
		sigprocmask(SIG_SETMASK, &ss->oldmask, NULL);
	ss->mask_changed = 0;
	while (ss->installed > 0) {
		ss->installed--;
		sigaction(wait_signals[ss->installed], &ss->old[ss->installed],
			  NULL);
	}
}

int
pa_signals_install(struct pa_sigsave *ss)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;
	int r;

	memset(ss, 0, sizeof(*ss));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* sa_flags 0: no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	for (i = 0; i < PA_NSIG_WAIT; i++) {
		sigaddset(&sa.sa_mask, wait_signals[i]);
		sigaddset(&set, wait_signals[i]);
	}
	caught = 0;
	for (ss->installed = 0; ss->installed < PA_NSIG_WAIT; ss->installed++)
		if (sigaction(wait_signals[ss->installed], &sa,
			      &ss->old[ss->installed]) != 0)
			goto fail;
	if (sigprocmask(SIG_UNBLOCK, &set, &ss->oldmask) != 0)
		goto fail;
	ss->mask_changed = 1;
	return 0;
fail:
	r = -errno;
	pa_signals_restore(ss);
	return r;
}
