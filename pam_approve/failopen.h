/* failopen.h: the extra proof failmode=open needs before it allows. */
#ifndef PAM_APPROVE_FAILOPEN_H
#define PAM_APPROVE_FAILOPEN_H
#include <stddef.h>
#include <sys/types.h>

/* Called only after the HTTP client said APPROVE_HTTP_UNREACHABLE. Returns
 * 0 when an independent probe confirms it: every address the URL's host
 * resolves to, connected afresh, is refused or has no route, while this
 * process has normal resources. Anything else (a timeout of any kind, a
 * name that does not resolve, a probe that connects, lowered limits) is a
 * negative errno and a one-line reason in why (the caller denies). Takes
 * at most probe_ms, and looks at least once even when that time has run
 * out (the process was stopped). For a unix: URL the probe is a fresh
 * approve_unix_connect() with the same path and peer checks (server_uid as
 * there): only a missing socket or one nobody listens on is "not there". */
int pa_failopen_check(const char *url, uid_t server_uid, unsigned probe_ms,
		      char *why, size_t whylen);

#endif
