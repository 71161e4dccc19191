/* access.c: owns the route-authorisation rule (see access.h): starts at
 * refused; one line per class proves otherwise. */
#include <errno.h>

#include "access.h"
#include "log.h"

int
access_check(enum access_need need, const struct identity *who,
	     struct access_refusal *no)
{
	int ok = 0;

	*no = (struct access_refusal){ 403, "forbidden", "this endpoint is for approvers" };
	switch (need) {
	case NEED_NONE:
		ok = 1;
		break;
	case NEED_HOST:
		ok = who->kind == IDENTITY_HOST;
		if (!ok)
			no->detail = "this endpoint is for host tokens";
		break;
	case NEED_READER:
		if (who->kind == IDENTITY_APPROVER && !identity_may_read(who))
			no->detail = "no role";
		ok = identity_may_read(who);
		break;
	case NEED_DECIDER:
		if (who->kind == IDENTITY_APPROVER && !identity_may_decide(who))
			no->detail = "your role may not decide requests";
		ok = identity_may_decide(who);
		break;
	default:
		/* an unknown class refuses; it never falls through */
		approve_log(LOG_ERR, "route with unknown access class %d refused", (int)need);
		*no = (struct access_refusal){ 500, "internal_error",
					       "route without a known access class" };
		break;
	}
	return ok ? 0 : -EACCES;
}

int
identity_may_decide(const struct identity *who)
{
	return who->kind == IDENTITY_APPROVER &&
	       (who->roles & (ROLE_APPROVER | ROLE_ADMIN)) != 0;
}

int
identity_may_read(const struct identity *who)
{
	return who->kind == IDENTITY_APPROVER &&
	       (who->roles & (ROLE_APPROVER | ROLE_ADMIN | ROLE_AUDITOR)) != 0;
}
