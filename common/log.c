/* log.c: owns process logging for approvald and approvalctl: one line per
 * message to stderr ("YYYY-mm-ddTHH:MM:SSZ LEVEL message") or to syslog.
 * Thread-safe: the line is formatted into a local buffer and written with a
 * single write(2) under a mutex. The rest of common/ never logs. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_syslog;
static int log_debug;

void
approve_log_init(const char *ident, int use_syslog, int debug)
{
	pthread_mutex_lock(&log_lock);
	if (log_syslog && !use_syslog)
		closelog();
	log_syslog = use_syslog;
	log_debug = debug;
	if (use_syslog)
		openlog(ident ? ident : "approve", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	pthread_mutex_unlock(&log_lock);
}

static const char *
level_name(int prio)
{
	switch (prio & LOG_PRIMASK) {
	case LOG_EMERG: return "EMERG";
	case LOG_ALERT: return "ALERT";
	case LOG_CRIT: return "CRIT";
	case LOG_ERR: return "ERR";
	case LOG_WARNING: return "WARNING";
	case LOG_NOTICE: return "NOTICE";
	case LOG_INFO: return "INFO";
	default: return "DEBUG";
	}
}

void
approve_log(int prio, const char *fmt, ...)
{
	char msg[2048], line[2200], ts[32];
	struct tm tm;
	time_t now;
	va_list ap;
	size_t n, i;
	int saved = errno, r;

	if ((prio & LOG_PRIMASK) == LOG_DEBUG && !log_debug)
		goto out;
	va_start(ap, fmt);
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r < 0)
		goto out;
	if ((size_t)r >= sizeof(msg))	/* truncated: mark it */
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	/* one message, one line: no control characters reach the log */
	for (i = 0; msg[i]; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';

	pthread_mutex_lock(&log_lock);
	if (log_syslog) {
		syslog(prio, "%s", msg);
		pthread_mutex_unlock(&log_lock);
		goto out;
	}
	now = time(NULL);
	if (!gmtime_r(&now, &tm) ||
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(ts, sizeof(ts), "-");
	r = snprintf(line, sizeof(line), "%s %s %s\n", ts, level_name(prio), msg);
	if (r > 0) {
		n = (size_t)r < sizeof(line) ? (size_t)r : sizeof(line) - 1;
		if (n == sizeof(line) - 1)
			line[n - 1] = '\n';
		if (write(STDERR_FILENO, line, n) < 0) {
			/* nowhere left to report it */
		}
	}
	pthread_mutex_unlock(&log_lock);
out:
	errno = saved;
}
