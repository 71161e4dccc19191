/* signals.c: owns the module's signal handlers and mask during the wait
 * (see signals.h). The handler only sets a volatile sig_atomic_t; the wait
 * signals stay blocked outside the waits and are unblocked only inside the
 * HTTP client's ppoll() (pa_signals_waitmask), so the wait loop sees EINTR
 * there or the flag before its next call, with no window in between; it
 * then cancels the request and fails. Everything changed is put back exactly,
 * on every exit path of the wait. */
#include <errno.h>
#include <poll.h>
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

/* The handlers first, in reverse order, while the three are still blocked;
 * then the mask. A signal that arrives in between, or was pending already,
 * is delivered when the mask opens, to the application's handler: ours
 * would record it in a flag nobody reads any more, and sudo or su would
 * never learn of the Ctrl-C. */
void
pa_signals_restore(struct pa_sigsave *ss)
{
	while (ss->installed > 0) {
		ss->installed--;
		sigaction(wait_signals[ss->installed], &ss->old[ss->installed],
			  NULL);
	}
	if (ss->mask_changed)
		sigprocmask(SIG_SETMASK, &ss->oldmask, NULL);
	ss->mask_changed = 0;
}

int
pa_signals_take_pending(const struct pa_sigsave *ss)
{
	struct timespec zero = { 0, 0 };

	if (!ss->mask_changed || ss->installed != PA_NSIG_WAIT)
		return 0;
	/* a pending one among the three is delivered to on_signal here
	 * (EINTR); with none pending this returns at once */
	(void)ppoll(NULL, 0, &zero, &ss->waitmask);
	return (int)caught;
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
	if (sigprocmask(SIG_BLOCK, &set, &ss->oldmask) != 0)
		goto fail;
	ss->mask_changed = 1;
	ss->waitmask = ss->oldmask;
	for (i = 0; i < PA_NSIG_WAIT; i++)
		sigdelset(&ss->waitmask, wait_signals[i]);
	return 0;
fail:
	r = -errno;
	pa_signals_restore(ss);
	return r;
}

const sigset_t *
pa_signals_waitmask(const struct pa_sigsave *ss)
{
	return ss->mask_changed ? &ss->waitmask : NULL;
}
