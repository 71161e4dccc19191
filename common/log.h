/* log.h: logging for approvald and approvalctl (not for the PAM module,
 * which logs through pam_syslog). Messages go to stderr with a timestamp
 * and level, or to syslog when enabled. */
#ifndef APPROVE_LOG_H
#define APPROVE_LOG_H
#include <syslog.h>

/* ident for syslog; use_syslog 0: stderr only; debug 1: LOG_DEBUG is shown. */
void approve_log_init(const char *ident, int use_syslog, int debug);
void approve_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
