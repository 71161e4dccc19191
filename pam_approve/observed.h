/* observed.h: the observed context of an elevation (struct approve_ctx's
 * ancestry, loginuid, audit_session, tty_attached, observed_note), read by
 * the module from /proc. Facts the requester cannot choose: executables by
 * /proc/PID/exe, never by comm (which any process sets with
 * prctl(PR_SET_NAME)). */
#ifndef PAM_APPROVE_OBSERVED_H
#define PAM_APPROVE_OBSERVED_H
#include <security/pam_modules.h>

#include "wire.h"

/* Fill c's observed fields: the ancestry from this process (entry 0) up
 * to its session leader or pid 1, at most APPROVE_ANCESTRY_MAX entries;
 * the audit login uid and session id; whether a controlling terminal is
 * attached. What cannot be read (hidepid, an exited process, no audit
 * support) is left empty and said in c->observed_note.
 * 0 or -ENOMEM: nothing else fails, an unreadable entry is not an error. */
int pa_observe(pam_handle_t *pamh, struct approve_ctx *c);

#endif
