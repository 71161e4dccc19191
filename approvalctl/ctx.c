/* ctx.c: option parsing shared by every command (the command's own options
 * plus the global ones, accepted anywhere on the line), --help text, error
 * output and settings resolution: option, then environment, then the config
 * file (--config FILE, else /etc/approvalctl.conf when present and readable).
 * approvalctl is not setuid: the environment is the user's own choice here. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctx.h"

#define DEFAULT_CONFIG "/etc/approvalctl.conf"

enum {
	OPT_CONFIG = 0x100,
	OPT_DATABASE,
	OPT_URL,
	OPT_TOKEN_FILE,
	OPT_CA,
};

static const struct option global_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "database", required_argument, NULL, OPT_DATABASE },
	{ "url", required_argument, NULL, OPT_URL },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "help", no_argument, NULL, 'h' },
};
#define N_GLOBAL (sizeof(global_opts) / sizeof(global_opts[0]))
#define MAX_LOCAL 24

static const char *const conf_keys[] = { "url", "token_file", "ca", "database",
	"server_user", "host_token_file", NULL };

void
ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("approvalctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
print_usage_line(const struct ctl_command *cmd, const char *path, FILE *f)
{
	if (cmd->sub)
		fprintf(f, "Usage: approvalctl [GLOBAL OPTIONS] %s COMMAND [ARGS]\n", path);
	else
		fprintf(f, "Usage: approvalctl [GLOBAL OPTIONS] %s%s%s\n", path,
			cmd->synopsis && *cmd->synopsis ? " " : "",
			cmd->synopsis ? cmd->synopsis : "");
}

int
ctl_usage_error(struct ctl_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fputs("approvalctl: ", stderr);
	if (c->path[0])
		fprintf(stderr, "%s: ", c->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c->cmd && c->path[0]) {
		print_usage_line(c->cmd, c->path, stderr);
		fprintf(stderr, "Try 'approvalctl %s --help'.\n", c->path);
	} else {
		fputs("Try 'approvalctl --help'.\n", stderr);
	}
	return CTL_USAGE;
}

void
ctl_print_global_options(FILE *f)
{
	fputs("Global options (accepted before or after the command):\n"
	      "  --config FILE      config file (default " DEFAULT_CONFIG " when present);\n"
	      "                     keys: url, token_file, ca, database, server_user\n"
	      "  --database CONNINFO  libpq conninfo for admin commands\n"
	      "                     (else $APPROVALCTL_DATABASE, else 'database')\n"
	      "  --url URL          approvald base URL for approver commands\n"
	      "                     (else $APPROVALCTL_URL, else 'url'): unix:/PATH,\n"
	      "                     https://..., or http:// to 127.0.0.1/::1 on a port below\n"
	      "                     ip_unprivileged_port_start; a unix: server must run as root or\n"
	      "                     $APPROVALCTL_SERVER_USER / 'server_user' (default\n"
	      "                     approvald)\n"
	      "  --token-file FILE  approver API token file, mode 0600 (else the token\n"
	      "                     itself in $APPROVALCTL_TOKEN, else 'token_file')\n"
	      "  --ca FILE          PEM CA bundle for https (else 'ca'; default: the\n"
	      "                     system bundle)\n"
	      "  -h, --help         show help\n"
	      "  --version          print \"approvalctl VERSION\" and exit 0\n", f);
}

void
ctl_print_help(const struct ctl_command *cmd, const char *path, FILE *f)
{
	print_usage_line(cmd, path, f);
	fprintf(f, "%s\n", cmd->summary);
	if (cmd->sub) {
		fputs("\nCommands:\n", f);
		for (const struct ctl_command *const *s = cmd->sub; *s; s++) {
			const char *syn = (*s)->synopsis ? (*s)->synopsis : "";
			size_t w = strlen((*s)->name) + 1 + strlen(syn);

			fprintf(f, "  %s %s", (*s)->name, syn);
			if (w > 30)
				fprintf(f, "\n  %-30s  %s\n", "", (*s)->summary);
			else
				fprintf(f, "%*s  %s\n", (int)(30 - w), "", (*s)->summary);
		}
		fprintf(f, "\n'approvalctl %s COMMAND --help' describes a command.\n", path);
	}
	if (cmd->details)
		fprintf(f, "\n%s", cmd->details);
	fputs("\nGlobal options (--config, --database, --url, --token-file, --ca) and\n"
	      "exit codes: 'approvalctl --help'.\n", f);
}

/* One getopt_long step over local + global options; global options are
 * stored in c and skipped. mode is "" (permute) or "+" (stop at the first
 * operand). */
static int
getopt_step(struct ctl_ctx *c, int argc, char **argv, const char *mode,
	    const char *shortopts, const struct option *local)
{
	struct option all[MAX_LOCAL + N_GLOBAL + 1];
	char so[64];
	size_t n = 0;
	int o, len;

	for (; local && local[n].name; n++) {
		if (n >= MAX_LOCAL) {
			ctl_err("internal error: too many options");
			return '?';
		}
		all[n] = local[n];
	}
	for (size_t i = 0; i < N_GLOBAL; i++)
		all[n++] = global_opts[i];
	memset(&all[n], 0, sizeof(all[n]));
	len = snprintf(so, sizeof(so), "%s:%sh", mode, shortopts ? shortopts : "");
	if (len < 0 || (size_t)len >= sizeof(so)) {
		ctl_err("internal error: short options too long");
		return '?';
	}
	opterr = 0;
	for (;;) {
		o = getopt_long(argc, argv, so, all, NULL);
		switch (o) {
		case OPT_CONFIG: c->config_path = optarg; continue;
		case OPT_DATABASE: c->database = optarg; continue;
		case OPT_URL: c->url = optarg; continue;
		case OPT_TOKEN_FILE: c->token_file = optarg; continue;
		case OPT_CA: c->ca = optarg; continue;
		case '?':
			if (!strncmp(argv[optind - 1], "--", 2))
				ctl_usage_error(c, optopt ? "option '%s' takes no argument" :
						"unrecognized option '%s'", argv[optind - 1]);
			else
				ctl_usage_error(c, "invalid option '-%c'", optopt);
			return '?';
		case ':':
			ctl_usage_error(c, "option '%s' requires an argument", argv[optind - 1]);
			return '?';
		default:
			return o;
		}
	}
}

int
ctl_getopt(struct ctl_ctx *c, int argc, char **argv)
{
	int o = getopt_step(c, argc, argv, "", c->cmd->shortopts, c->cmd->longopts);

	if (o == 'h') {
		ctl_print_help(c->cmd, c->path, stdout);
		return CTL_OPT_HELP;
	}
	return o;
}

int
ctl_getopt_prefix(struct ctl_ctx *c, int argc, char **argv, const struct option *local)
{
	return getopt_step(c, argc, argv, "+", NULL, local);
}

static int
conf_load(struct ctl_ctx *c)
{
	const char *path = c->config_path;
	char err[512];

	if (c->conf_state)
		return c->conf_state;
	if (!path) {
		/* The default file is optional; an admin may keep it unreadable
		 * to approvers (it can hold the database password). */
		if (access(DEFAULT_CONFIG, R_OK) != 0) {
			c->conf_state = 1;
			return 1;
		}
		path = DEFAULT_CONFIG;
	}
	if (approve_conf_load(path, APPROVE_CONF_NONE, conf_keys, &c->conf,
			      err, sizeof(err)) != 0) {
		ctl_err("%s", err);
		c->conf_state = -1;
		return -1;
	}
	c->conf_state = 1;
	return 1;
}

const char *
ctl_setting(struct ctl_ctx *c, const char *opt, const char *env,
	    const char *key, int *failed)
{
	const char *v;

	/* An explicit --config must be valid whatever else is set. */
	if (conf_load(c) < 0) {
		*failed = CTL_FAILURE;
		return NULL;
	}
	if (opt && *opt)
		return opt;
	if (env && (v = getenv(env)) && *v)
		return v;
	if (c->conf && (v = approve_conf_get(c->conf, key)) && *v)
		return v;
	return NULL;
}

void
ctl_ctx_release(struct ctl_ctx *c)
{
	approve_conf_free(c->conf);
	c->conf = NULL;
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
		c->token = NULL;
	}
}
