/* pam_approve.c: the PAM entry points, and only them. Each call parses the
 * arguments, captures the context and asks approvald (waitloop.c); the
 * result of the first decision in a PAM handle is kept with pam_set_data:
 *  - a denial is returned again at once (sudo calls pam_authenticate up to
 *    passwd_tries times on one handle; it must not file three requests);
 *  - an approval is reused only for the same context digest (the module in
 *    both the auth and account stacks of one transaction asks once).
 * Failures: auth answers PAM_AUTH_ERR, account answers PAM_PERM_DENIED
 * (sudo then prints "PAM account management error: Permission denied"; su
 * prints "Permission denied"). Nothing returns PAM_IGNORE, and no error
 * path returns PAM_SUCCESS. */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "args.h"
#include "context.h"
#include "conv.h"
#include "waitloop.h"
#include "wire.h"

#define DECISION_KEY "pam_approve:decision"

struct decision {
	int allowed;
	char digest[APPROVE_HASH_HEX_LEN + 1];
};

#define ASK_TRIES 3	/* files of one elevation a rule may send back for a reason or ticket */

static void
decision_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;		/* pam_set_data's cleanup signature */
	(void)error_status;
	free(data);
}

static void
decision_keep(pam_handle_t *pamh, int allowed, const char *digest)
{
	struct decision *d = calloc(1, sizeof(*d));

	if (!d) {
		pam_syslog(pamh, LOG_ERR, "out of memory keeping the decision");
		return;
	}
	d->allowed = allowed;
	if (digest)
		memcpy(d->digest, digest, sizeof(d->digest));
	if (pam_set_data(pamh, DECISION_KEY, d, decision_cleanup) != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot keep the decision");
		free(d);
	}
}

static int
run(pam_handle_t *pamh, int argc, const char **argv, int deny, const char *stack)
{
	const struct decision *prev = NULL;
	struct approve_ctx *ctx = NULL;
	char digest[APPROVE_HASH_HEX_LEN + 1] = "";
	struct pa_args a;
	char err[256];
	int rc = deny, allowed = 0, tries;

	if (pa_args_parse(argc, argv, &a, err, sizeof(err)) != 0) {
		pam_syslog(pamh, LOG_ERR, "invalid module arguments, denying: %s",
			   err);
		pa_conv_say(pamh, PAM_ERROR_MSG, 0,
			    "Approval is misconfigured on this host; access denied.");
		goto keep;
	}
	if (pam_get_data(pamh, DECISION_KEY, (const void **)&prev) != PAM_SUCCESS)
		prev = NULL;
	if (prev && !prev->allowed) {
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "%s: denied earlier in this "
				   "transaction", stack);
		goto out;	/* keep the first decision as it is */
	}
	if (pa_context_capture(pamh, &a, &ctx) != 0 ||
	    approve_ctx_digest(ctx, digest) != 0) {
		pa_conv_say(pamh, PAM_ERROR_MSG, a.debug,
			    "Approval: cannot describe this request; access denied.");
		goto keep;
	}
	if (prev && strcmp(prev->digest, digest) == 0) {
		pam_syslog(pamh, LOG_NOTICE, "%s for %s as %s (%s): approved "
			   "earlier in this transaction", stack, ctx->user,
			   ctx->target_user, ctx->service);
		rc = PAM_SUCCESS;
		goto out;
	}
	if (pa_context_reason(pamh, &a, ctx) != 0)
		goto keep;
	/* a rule may ask for a reason or ticket (nothing filed yet): ask
	 * and file again, a bounded number of times */
	for (tries = 0;; tries++) {
		enum pa_verdict v = pa_request_approval(pamh, &a, ctx, digest);

		if (v == PA_APPROVED || v == PA_FAILED_OPEN || v == PA_BREAKGLASS) {
			allowed = 1;
			rc = PAM_SUCCESS;
			break;
		}
		if (v != PA_NEED_REASON && v != PA_NEED_TICKET)
			break;
		if (tries + 1 >= ASK_TRIES ||
		    pa_context_ask_missing(pamh, &a, ctx, v == PA_NEED_TICKET) != 0) {
			pa_request_unmet_outcome(pamh, &a, v);
			break;
		}
	}
keep:
	decision_keep(pamh, allowed, digest);
out:
	approve_ctx_free(ctx);
	return rc;
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;	/* the module reads no PAM flag */
	return run(pamh, argc, argv, PAM_AUTH_ERR, "auth");
}

PAM_EXTERN int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	return run(pamh, argc, argv, PAM_PERM_DENIED, "account");
}

/* Grants nothing; present so "auth" stacks that call setcred succeed. */
PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
