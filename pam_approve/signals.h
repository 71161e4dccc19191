/* signals.h: SIGINT/SIGTERM/SIGHUP handling for the length of the wait
 * (DESIGN.md §8): sudo records these signals itself while PAM runs and
 * blocks SIGINT during auth, so Ctrl-C would never reach the waiting
 * module without this. */
#ifndef PAM_APPROVE_SIGNALS_H
#define PAM_APPROVE_SIGNALS_H
#include <signal.h>
#include <stddef.h>

#define PA_NSIG_WAIT 3

/* What pa_signals_install changed, to be put back exactly. */
struct pa_sigsave {
	struct sigaction old[PA_NSIG_WAIT];
	sigset_t oldmask;
	sigset_t waitmask;	/* oldmask without the three: for ppoll() */
	size_t installed;	/* handlers installed so far */
	int mask_changed;
};

/* Install a flag-setting handler (no SA_RESTART: blocking calls return
 * EINTR) for SIGINT, SIGTERM and SIGHUP, clear the flag, and block the
 * three; they are delivered only inside waits that use
 * pa_signals_waitmask() (ppoll). 0, or -errno with everything restored. */
int pa_signals_install(struct pa_sigsave *ss);
/* The mask for ppoll() during the wait (the three unblocked), or NULL
 * when nothing is installed. */
const sigset_t *pa_signals_waitmask(const struct pa_sigsave *ss);
/* Restore the previous handlers while the three are still blocked, then
 * the mask, so a signal pending at that moment reaches the application's
 * handler. Idempotent. */
void pa_signals_restore(struct pa_sigsave *ss);
/* The last signal caught since pa_signals_install, or 0. */
int pa_signal_caught(void);
/* Let a wait signal that is pending (it arrived outside the waits, e.g.
 * while the final answer was read) reach our handler now, without waiting;
 * then pa_signal_caught(). Called before an answer is accepted, so a
 * Ctrl-C the requester already gave wins over it. 0 when nothing is
 * installed. */
int pa_signals_take_pending(const struct pa_sigsave *ss);

#endif
