/* bgcode.h: offline break-glass codes in the module (breakglass=PATH;
 * docs/policy.md "Offline break-glass codes"). */
#ifndef PAM_APPROVE_BGCODE_H
#define PAM_APPROVE_BGCODE_H
#include <stdint.h>
#include <security/pam_modules.h>

#include "args.h"
#include "http.h"
#include "wire.h"

/* Called only when approvald is provably absent by failopen.c's rules
 * (the create found every address refused or unroutable and the fresh
 * probe agreed), with a->breakglass set. Asks for a code (at most
 * PA_BG_TRIES per call); a code that matches an unused entry of the file
 * is consumed (the file rewritten durably with the use recorded) before
 * this returns 1. Anything else, a failed check of the file, the lock not
 * taken in time, a wrong or used code, the failure delay, a failed
 * rewrite, is 0 (logged, the requester told). An answer typed after
 * deadline_ms (the elevation's own deadline, CLOCK_MONOTONIC: time spent
 * at the prompt or stopped counts) is not checked: the proof that
 * approvald was absent is that old. */
#define PA_BG_TRIES 3
int pa_breakglass_offer(pam_handle_t *pamh, const struct pa_args *a,
			const struct approve_ctx *ctx, const char *digest,
			uint64_t deadline_ms);

/* approvald answered this host (a verified answer to a create): send it
 * every use of a code not reported yet (POST /v1/breakglass/uses) and
 * mark those approvald took as reported. Best effort, bounded in time;
 * never changes a decision. */
void pa_breakglass_report(pam_handle_t *pamh, const struct pa_args *a,
			  const struct approve_http_opts *http);

#endif
