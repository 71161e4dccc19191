/* context.h: what pam_approve reports about an elevation (struct
 * approve_ctx, common/wire.h), captured from the kernel, PAM items and,
 * as context only, the environment. */
#ifndef PAM_APPROVE_CONTEXT_H
#define PAM_APPROVE_CONTEXT_H
#include <security/pam_modules.h>

#include "args.h"
#include "wire.h"

/* Everything but the reason prompt: identity, target, command, tty, rhost,
 * cwd, hostname, and reason/ticket from APPROVAL_REASON/APPROVAL_TICKET in
 * the process environ. Every string is cleaned (no control characters,
 * valid UTF-8) and within the wire limits, and the result passes
 * approve_ctx_to_json's validation. 0, or -errno after logging why (the
 * caller denies). *out is freed with approve_ctx_free. */
int pa_context_capture(pam_handle_t *pamh, const struct pa_args *a,
		       struct approve_ctx **out);

/* Apply the reason= policy to ctx->reason: ask through the conversation
 * when the mode says so, enforce reason_min. 0, or -EPERM after showing
 * the requester why (the caller denies), or -ENOMEM. */
int pa_context_reason(pam_handle_t *pamh, const struct pa_args *a,
		      struct approve_ctx *ctx);

/* A rule asked for a reason (what 0) or a ticket (what 1) that ctx lacks
 * or that is too short: ask once through the conversation and replace
 * it. 0 when an answer was taken (the caller files again), -EPERM when
 * there is no conversation or reason=off (the requester is told to set
 * APPROVAL_REASON / APPROVAL_TICKET), -ENOMEM. */
int pa_context_ask_missing(pam_handle_t *pamh, const struct pa_args *a,
			   struct approve_ctx *ctx, int what);

#endif
