/* observed.c: owns the observed context (observed.h). Everything is read
 * from /proc with bounded reads into fixed buffers (each read checked
 * against the buffer), and every text goes through approve_sanitize_display
 * before it is kept: an executable's path and its argv are chosen by
 * whoever made them, so they are observed *where* they came from, not
 * trusted *as text*. Nothing here decides anything. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "buf.h"
#include "observed.h"

#define STAT_READ_MAX 1024	/* pid (comm<=16) state ppid pgrp session tty_nr: well within */
#define CMDLINE_HEAD_MAX 4096	/* of /proc/PID/cmdline, for the first words */
#define ID_READ_MAX 32		/* /proc/self/loginuid, sessionid */

struct stat_fields {
	long long ppid;
	long long session;
	long long tty_nr;
};

/* Read at most max - 1 bytes of path into buf (NUL-terminated); the
 * length read, or -errno. */
static ssize_t
read_head(const char *path, char *buf, size_t max)
{
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);

	if (fd == -1)
		return -errno;
	while (got < max - 1) {
		n = read(fd, buf + got, max - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* "pid (comm) state ppid pgrp session tty_nr ...": comm may hold spaces
 * and parentheses, so the fields start after the last ')'. */
static int
read_stat(long long pid, struct stat_fields *f)
{
	char path[64], buf[STAT_READ_MAX], state;
	long long pgrp;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	n = read_head(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %lld %lld %lld %lld", &state, &f->ppid, &pgrp,
			 &f->session, &f->tty_nr) != 5)
		return -EINVAL;
	return 0;
}

/* "pid N: what (error)" appended to the notes; a note that does not fit
 * under APPROVE_LEN_NOTE is dropped (the ones before it stay). */
static void
note(struct approve_buf *notes, long long pid, const char *what, int err)
{
	if (notes->len)
		approve_buf_append_str(notes, "; ");
	approve_buf_printf(notes, "pid %lld: %s (%s)", pid, what, strerror(err));
}

/* readlink(/proc/PID/exe), cleaned; *out NULL when unreadable. */
static int
read_exe(long long pid, char **out, struct approve_buf *notes)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	*out = NULL;
	snprintf(path, sizeof(path), "/proc/%lld/exe", pid);
	n = readlink(path, exe, sizeof(exe));
	if (n <= 0 || (size_t)n >= sizeof(exe)) {
		note(notes, pid, "executable not readable",
		     n == -1 ? errno : ENAMETOOLONG);
		return 0;
	}
	*out = approve_sanitize_display(exe, (size_t)n, APPROVE_LEN_EXE);
	return *out ? 0 : -ENOMEM;
}

/* The first words of /proc/PID/cmdline (NULs shown as spaces), cut at
 * APPROVE_LEN_ARGV bytes; *out NULL when unreadable or empty (a kernel
 * thread, a zombie). */
static int
read_argv(long long pid, char **out, struct approve_buf *notes)
{
	char path[64], buf[CMDLINE_HEAD_MAX];
	ssize_t n, i;

	*out = NULL;
	snprintf(path, sizeof(path), "/proc/%lld/cmdline", pid);
	n = read_head(path, buf, sizeof(buf));
	if (n < 0) {
		note(notes, pid, "command line not readable", (int)-n);
		return 0;
	}
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	*out = approve_sanitize_display(buf, (size_t)n, APPROVE_LEN_ARGV);
	return *out ? 0 : -ENOMEM;
}

/* One number from a /proc/self file; *has 0 (and a note) when unreadable. */
static void
read_id(const char *path, const char *what, long long *v, int *has,
	struct approve_buf *notes)
{
	char buf[ID_READ_MAX], *end;
	ssize_t n = read_head(path, buf, sizeof(buf));
	long long x;

	*has = 0;
	if (n <= 0) {
		if (notes->len)
			approve_buf_append_str(notes, "; ");
		approve_buf_printf(notes, "%s not readable (%s)", what,
				   strerror(n < 0 ? (int)-n : ENODATA));
		return;
	}
	errno = 0;
	x = strtoll(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || x < 0 ||
	    x > 4294967295LL) {
		if (notes->len)
			approve_buf_append_str(notes, "; ");
		approve_buf_printf(notes, "%s not a number", what);
		return;
	}
	*v = x;
	*has = 1;
}

int
pa_observe(pam_handle_t *pamh, struct approve_ctx *c)
{
	struct approve_buf notes;
	struct stat_fields f;
	long long pid = (long long)getpid();
	size_t n = 0;
	int r = 0, sr;

	approve_buf_init(&notes, APPROVE_LEN_NOTE);
	c->ancestry = calloc(APPROVE_ANCESTRY_MAX, sizeof(*c->ancestry));
	if (!c->ancestry) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		sr = read_stat(pid, &f);
		if (sr < 0) {
			note(&notes, pid, "gone or hidden, ancestry ends here", -sr);
			break;
		}
		if (n == 0) {
			c->has_tty_attached = 1;
			c->tty_attached = f.tty_nr != 0;
		}
		if (n == APPROVE_ANCESTRY_MAX) {
			if (notes.len)
				approve_buf_append_str(&notes, "; ");
			approve_buf_printf(&notes, "ancestry cut after %d processes",
					   APPROVE_ANCESTRY_MAX);
			break;
		}
		c->ancestry[n].pid = pid;
		c->n_ancestry = ++n;
		if ((r = read_exe(pid, &c->ancestry[n - 1].exe, &notes)) < 0 ||
		    (r = read_argv(pid, &c->ancestry[n - 1].argv, &notes)) < 0)
			goto out;
		if (pid == f.session || pid == 1 || f.ppid < 1)
			break;	/* the session leader, init, or no parent */
		pid = f.ppid;
	}
	read_id("/proc/self/loginuid", "audit login uid", &c->loginuid,
		&c->has_loginuid, &notes);
	read_id("/proc/self/sessionid", "audit session id", &c->audit_session,
		&c->has_audit_session, &notes);
	if (notes.len) {
		/* a note over APPROVE_LEN_NOTE is cut by the buffer's limit */
		c->observed_note = approve_sanitize_display(notes.data ? notes.data : "",
							    notes.len, APPROVE_LEN_NOTE);
		if (!c->observed_note)
			r = -ENOMEM;
	}
out:
	if (r == 0 && c->n_ancestry == 0) {
		free(c->ancestry);
		c->ancestry = NULL;
	}
	if (r == -ENOMEM)
		pam_syslog(pamh, LOG_ERR, "out of memory observing the ancestry");
	approve_buf_release(&notes);
	return r;
}
