/* failopen.h: the extra proof failmode=open needs before it allows. */
#ifndef PAM_APPROVE_FAILOPEN_H
#define PAM_APPROVE_FAILOPEN_H
#include <stddef.h>

/* Called only after the HTTP client said APPROVE_HTTP_UNREACHABLE. Returns
 * 0 when an independent probe confirms that approvald is unreachable for a
 * network reason (connection refused, no route, timeout, name unknown)
 * while this process has normal resources; else a negative errno and a
 * one-line reason in why (the caller denies). Takes at most probe_ms. */
int pa_failopen_check(const char *url, unsigned probe_ms, char *why,
		      size_t whylen);

#endif
