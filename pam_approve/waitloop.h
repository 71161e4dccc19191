/* waitloop.h: filing an approval request with approvald and waiting for
 * its final state (DESIGN.md §1 steps 2-4, docs/api.md host endpoints). */
#ifndef PAM_APPROVE_WAITLOOP_H
#define PAM_APPROVE_WAITLOOP_H
#include <security/pam_modules.h>

#include "args.h"
#include "wire.h"

enum pa_verdict {
	PA_DENY = 0,		/* every path that is not one of the two below */
	PA_APPROVED,		/* a verified "approved" for exactly this ctx */
	PA_FAILED_OPEN,		/* failmode=open and approvald unreachable */
	PA_BREAKGLASS,		/* approvald provably absent and an offline
				 * break-glass code consumed (bgcode.c) */
	PA_NEED_REASON,		/* a rule needs a (longer) reason: nothing filed,
				 * the server's sentence was shown; ask, try again */
	PA_NEED_TICKET,		/* the same for a ticket */
};

/* Create the request for ctx (whose approve_ctx_digest is digest), show
 * the code and URL, long-poll until a final state, the deadline (a->timeout
 * seconds from now) or SIGINT/SIGTERM/SIGHUP, and cancel the request on the
 * server when giving up. Shows the outcome to the requester and logs the
 * decision. Never returns anything but PA_DENY unless the answer was proven. */
enum pa_verdict pa_request_approval(pam_handle_t *pamh, const struct pa_args *a,
				    const struct approve_ctx *ctx,
				    const char *digest);

/* The outcome line after the requester could not give what a rule asked
 * for (PA_NEED_REASON / PA_NEED_TICKET was the last verdict). */
void pa_request_unmet_outcome(pam_handle_t *pamh, const struct pa_args *a,
			      enum pa_verdict last);

#endif
