/* ctx.h: what every approvalctl command shares: the exit codes, the command
 * table entry, the global options and the settings they resolve to (option,
 * environment, config file), option parsing, the libpq connection used by the
 * admin commands and the HTTP API call used by the approver commands. */
#ifndef APPROVALCTL_CTX_H
#define APPROVALCTL_CTX_H
#include <getopt.h>
#include <stdio.h>
#include <libpq-fe.h>

struct json_object;
struct approve_conf;

/* Exit codes (main.c's --help and the README document them). */
enum ctl_exit {
	CTL_OK = 0,		/* success */
	CTL_REFUSED = 1,	/* refused by the server (401/403/404/409...) or by
				 * the database rules (constraint, trigger, unknown name) */
	CTL_USAGE = 2,		/* bad option, missing or malformed argument */
	CTL_UNREACHABLE = 3,	/* server or database not reachable, or a 5xx */
	CTL_FAILURE = 4,	/* anything else: bad config file, invalid response */
	CTL_NOT_DECIDED = 5,	/* request --wait / exec: expired or cancelled */
};
/* Who besides root may serve a unix: server URL, by default. */
#define CTL_DEFAULT_SERVER_USER "approvald"

/* Not an exit code: ctl_api() was interrupted by a signal (watch's Ctrl-C). */
#define CTL_INTERRUPTED 100

/* Returned by ctl_getopt() after it printed the command's --help. */
#define CTL_OPT_HELP 0x200

struct ctl_ctx;

/* One entry of a command table. A group (sub != NULL) only dispatches to its
 * subcommands; a leaf has run(). run() returns an exit code. */
struct ctl_command {
	const char *name;
	const char *synopsis;	/* what follows the command path in a usage line */
	const char *summary;	/* one line for the command lists */
	const char *details;	/* option descriptions for --help, or NULL */
	const char *shortopts;	/* the command's own getopt short options, or NULL */
	const struct option *longopts;	/* its long options, or NULL */
	int (*run)(struct ctl_ctx *c, int argc, char **argv);
	const struct ctl_command *const *sub;	/* NULL-terminated, groups only */
};

struct ctl_ctx {
	/* global options (NULL when not given) */
	const char *config_path;
	const char *database;
	const char *url;
	const char *token_file;
	const char *ca;
	/* the command being run and its full name ("host add") for messages */
	const struct ctl_command *cmd;
	char path[64];
	/* resolved lazily */
	struct approve_conf *conf;
	int conf_state;		/* 0 not yet, 1 loaded (or no file), -1 failed */
	char *token;		/* approver API token, wiped on free */
};

void ctl_ctx_release(struct ctl_ctx *c);

/* "approvalctl: " + message (+ newline) on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error for the current command: message, usage line, hint. Returns CTL_USAGE. */
int ctl_usage_error(struct ctl_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Full help of a command (path is its full name) on f. */
void ctl_print_help(const struct ctl_command *cmd, const char *path, FILE *f);
/* The global options section of --help. */
void ctl_print_global_options(FILE *f);

/* getopt_long over the current command's options plus the global ones
 * (accepted anywhere on the line), in permuting mode. Returns the command's
 * option character, -1 at the end (positional arguments start at optind),
 * CTL_OPT_HELP after printing --help, or '?' after printing a usage error. */
int ctl_getopt(struct ctl_ctx *c, int argc, char **argv);
/* The global options plus local ones before a command name ("+" mode: stops
 * at the first operand); for the top level and for groups. Returns 'h' for
 * --help (nothing printed), a local option, -1 or '?' (usage error printed). */
int ctl_getopt_prefix(struct ctl_ctx *c, int argc, char **argv,
		      const struct option *local);

/* Settings: the first of option, environment variable (env may be NULL) and
 * config-file key that is set and non-empty; NULL when none. *failed is set
 * to CTL_FAILURE when the config file could not be loaded. */
const char *ctl_setting(struct ctl_ctx *c, const char *opt, const char *env,
			const char *key, int *failed);

/* Admin commands: connect with the database setting; unless keep_search_path,
 * search_path is set to '' (every statement qualifies its names). Returns an
 * exit code; *out is NULL unless CTL_OK. */
int ctl_db_connect(struct ctl_ctx *c, int keep_search_path, PGconn **out);
/* PQexecParams with text parameters and text results. Never NULL (a NULL
 * result from libpq is reported like a failed statement by ctl_db_failed). */
PGresult *ctl_db_exec(PGconn *db, const char *sql, int nparams,
		      const char *const *params);
/* 1 when r is not PGRES_COMMAND_OK / PGRES_TUPLES_OK. */
int ctl_db_failed(const PGresult *r);
/* Print what failed (what: e.g. "host add web1") with the server's message
 * and return the exit code its SQLSTATE maps to: connection classes 3;
 * integrity violations, trigger refusals (P0xxx) and privileges 1; else 4. */
int ctl_db_error(PGconn *db, const PGresult *r, const char *what);

/* One statement: on failure it is reported (ctl_db_error) and its exit code
 * returned; on success the result goes to *out (PQclear it) or, when out
 * is NULL, is cleared. */
int ctl_db_do(PGconn *db, const char *what, const char *sql, int nparams,
	      const char *const *params, PGresult **out);
/* Connect, run one statement (ctl_db_do), disconnect. */
int ctl_db_query(struct ctl_ctx *c, const char *what, const char *sql, int nparams,
		 const char *const *params, PGresult **out);

/* Approver commands: one HTTP exchange with the API (url, ca, token
 * settings), deadline now + deadline_s. body NULL: no body. On a 2xx answer
 * with a JSON body, *out gets it and CTL_OK is returned. Otherwise the
 * failure is printed (with the server's error code and detail, sanitised)
 * prefixed with what, and the exit code returned: 4xx -> 1, 5xx and
 * transport failures -> 3, invalid answers and configuration -> 4;
 * CTL_INTERRUPTED when a signal interrupted the exchange (nothing printed). */
int ctl_api(struct ctl_ctx *c, const char *what, const char *method,
	    const char *path, const char *body, unsigned deadline_s,
	    struct json_object **out);

/* ctl_api with another bearer token (a host token for request/exec). */
int ctl_api_as(struct ctl_ctx *c, const char *token, const char *what,
	       const char *method, const char *path, const char *body,
	       unsigned deadline_s, struct json_object **out);
/* A token file of the caller's (or root's), mode 0600: CTL_OK and *out
 * (malloc'd, the caller wipes and frees it), or an exit code (printed). */
int ctl_read_token_file(const char *path, char **out);

#endif
