/* passwd.c: `approvalctl approver passwd LOGIN`: set the password an
 * approver signs in to the web UI with. On a terminal it asks twice with
 * echo off (restored on every exit path, Ctrl-C included); otherwise it
 * reads one line from stdin, for scripts. Only the PBKDF2 hash
 * (common/password.h) reaches the database, and the approver's open web
 * sessions are ended in the same statement, so a changed password locks
 * out whoever knew the old one. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "password.h"

#define LINE_MAX_PW (APPROVE_PASSWORD_MAX + 2)

static struct termios saved_tio;
static volatile sig_atomic_t tio_changed;

static void
restore_tty(void)
{
	if (tio_changed) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_changed = 0;
	}
}

static void
on_signal(int sig)
{
	restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* One line from stdin into buf (without its newline). 0, -EINVAL (too
 * long, NUL inside, nothing read) or -EIO. */
static int
read_line(char *buf, size_t size, size_t *len)
{
	size_t n = 0;
	int ch;

	*len = 0;
	while ((ch = getchar()) != EOF && ch != '\n') {
		if (ch == '\0' || n + 1 >= size) {
			/* drain the rest of the line so nothing leaks to a shell */
			while (ch != EOF && ch != '\n')
				ch = getchar();
			return -EINVAL;
		}
		buf[n++] = (char)ch;
	}
	if (ferror(stdin))
		return -EIO;
	if (ch == EOF && n == 0)
		return -EINVAL;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 0;
}

/* Prompt on stderr and read with echo off (off before the prompt shows,
 * so nothing typed after it can echo). */
static int
ask(const char *prompt, char *buf, size_t size, size_t *len)
{
	struct termios tio;
	int r;

	if (tcgetattr(STDIN_FILENO, &saved_tio) != 0)
		return -EIO;
	tio = saved_tio;
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tio_changed = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) != 0) {
		tio_changed = 0;
		return -EIO;
	}
	fputs(prompt, stderr);
	fflush(stderr);
	r = read_line(buf, size, len);
	restore_tty();
	fputc('\n', stderr);
	return r;
}

/* The new password into pw: twice from a terminal, once from a pipe. */
static int
get_password(char *pw, size_t size, size_t *len)
{
	char again[LINE_MAX_PW];
	size_t len2 = 0;
	int r;

	if (!isatty(STDIN_FILENO)) {
		if (read_line(pw, size, len) != 0) {
			ctl_err("could not read a password line from stdin "
				"(at most %d bytes, no NUL)", APPROVE_PASSWORD_MAX);
			return CTL_USAGE;
		}
		return CTL_OK;
	}
	if (ask("New password: ", pw, size, len) != 0 ||
	    ask("Repeat it: ", again, sizeof(again), &len2) != 0) {
		ctl_err("could not read the password from the terminal");
		r = CTL_USAGE;
		goto out;
	}
	if (*len != len2 || memcmp(pw, again, len2) != 0) {
		ctl_err("the two passwords differ; nothing changed");
		r = CTL_USAGE;
		goto out;
	}
	r = CTL_OK;
out:
	explicit_bzero(again, sizeof(again));
	return r;
}

static int
approver_passwd(struct ctl_ctx *c, int argc, char **argv)
{
	char pw[LINE_MAX_PW], what[300];
	struct sigaction sa, old_int, old_term, old_hup;
	const char *login = NULL, *params[2];
	char *hash = NULL;
	PGconn *db = NULL;
	PGresult *r = NULL;
	size_t len = 0;
	int rc, done;

	rc = ctl_one_arg(c, argc, argv, "LOGIN", &login, &done);
	if (rc != CTL_OK || done)
		return rc;
	snprintf(what, sizeof(what), "approver passwd %s", login);
	/* connect first: no point asking for a password that cannot be stored */
	rc = ctl_db_connect(c, 0, &db);
	if (rc != CTL_OK)
		return rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	rc = get_password(pw, sizeof(pw), &len);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (rc != CTL_OK)
		goto out;
	if (len < APPROVE_PASSWORD_MIN) {
		ctl_err("%s: the password needs at least %d characters", what,
			APPROVE_PASSWORD_MIN);
		rc = CTL_USAGE;
		goto out;
	}
	if (approve_password_hash(pw, len, &hash) != 0) {
		ctl_err("%s: cannot hash the password", what);
		rc = CTL_FAILURE;
		goto out;
	}
	params[0] = login;
	params[1] = hash;
	r = ctl_db_exec(db,
		"WITH a AS (UPDATE approval.approvers SET password_hash = $2"
		"           WHERE login = $1 AND enabled RETURNING id),"
		"     s AS (UPDATE approval.web_sessions SET revoked_at = pg_catalog.now()"
		"           WHERE approver_id IN (SELECT id FROM a) AND revoked_at IS NULL"
		"           RETURNING id)"
		" SELECT (SELECT pg_catalog.count(*) FROM a), (SELECT pg_catalog.count(*) FROM s)",
		2, params);
	if (ctl_db_failed(r)) {
		rc = ctl_db_error(db, r, what);
		goto out;
	}
	if (PQntuples(r) != 1 || !strcmp(PQgetvalue(r, 0, 0), "0")) {
		ctl_err("%s: no enabled approver %s", what, login);
		rc = CTL_REFUSED;
		goto out;
	}
	printf("password of %s set; %s web session(s) ended\n", login, PQgetvalue(r, 0, 1));
	rc = CTL_OK;
out:
	explicit_bzero(pw, sizeof(pw));
	if (hash) {
		explicit_bzero(hash, strlen(hash));
		free(hash);
	}
	PQclear(r);
	PQfinish(db);
	return rc;
}

const struct ctl_command ctl_cmd_approver_passwd = {
	.name = "passwd", .synopsis = "LOGIN",
	.summary = "set the web sign-in password (asked twice on a terminal, "
		   "else one line from stdin)",
	.details =
		"The password needs at least 8 characters (at most 1024). Only its\n"
		"PBKDF2-HMAC-SHA256 hash is stored. Open web sessions of LOGIN end.\n"
		"Script use: printf '%s\\n' \"$PW\" | approvalctl approver passwd LOGIN\n",
	.run = approver_passwd,
};
