/* main.c: approvalctl's entry point: global options, the command table,
 * dispatch to command groups and commands, `help` and --version.
 *
 * Admin commands (migrate, host, approver) talk to PostgreSQL with a libpq
 * conninfo; approver commands (list, show, approve, deny, watch) talk to
 * approvald's /v1 API with the approver's API token. A new command or group
 * is one file defining a struct ctl_command and one line in commands[].
 *
 * Exit codes (the same list is in --help and the README):
 *   0  success
 *   1  refused: by the server (401 bad token, 403 own request or auditor
 *      role, 404 unknown request, 409 already final, any other 4xx) or by
 *      the database rules (unknown or duplicate host/approver name,
 *      constraint or trigger refusal); also watch --count N timing out
 *   2  usage error: bad option, missing or malformed argument, no
 *      database/URL/token setting
 *   3  could not reach the server or the database, or a 5xx answer
 *   4  any other failure: bad config file, unusable token file, invalid
 *      answer, a failing migration file
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "log.h"

static int run_help(struct ctl_ctx *c, int argc, char **argv);

static const struct ctl_command help_cmd = {
	.name = "help", .synopsis = "[COMMAND [SUBCOMMAND]]",
	.summary = "describe approvalctl or one of its commands",
	.run = run_help,
};

static const struct ctl_command *const commands[] = {
	&ctl_cmd_migrate,
	&ctl_cmd_host,
	&ctl_cmd_approver,
	&ctl_cmd_list,
	&ctl_cmd_show,
	&ctl_cmd_approve,
	&ctl_cmd_deny,
	&ctl_cmd_watch,
	&ctl_cmd_audit,
	&ctl_cmd_report,
	&ctl_cmd_key,
	&ctl_cmd_receipt,
	&ctl_cmd_policy,
	&ctl_cmd_group,
	&ctl_cmd_hostgroup,
	&ctl_cmd_breakglass,
	&ctl_cmd_request,
	&ctl_cmd_exec,
	&help_cmd,
	NULL,
};

static const char exit_codes[] =
	"Exit codes:\n"
	"  0  success\n"
	"  1  refused by the server (401, 403 own request, 404, 409 already final)\n"
	"     or by the database rules (unknown or duplicate name, constraint)\n"
	"  2  usage error (bad option, missing argument or setting)\n"
	"  3  could not reach the server or the database, or a 5xx answer\n"
	"  4  other failure (bad config file, invalid answer)\n"
	"  5  request --wait / exec: expired or cancelled\n";

static void
print_main_help(FILE *f)
{
	fputs("Usage: approvalctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
	      "Administer approvald and decide elevation requests.\n"
	      "\nCommands:\n", f);
	for (const struct ctl_command *const *c = commands; *c; c++)
		fprintf(f, "  %-9s %s\n", (*c)->name, (*c)->summary);
	fputs("\n'approvalctl help COMMAND' or 'approvalctl COMMAND --help' "
	      "describes a command.\n\n", f);
	fputs(exit_codes, f);
	fputc('\n', f);
	ctl_print_global_options(f);
}

static const struct ctl_command *
find(const struct ctl_command *const *table, const char *name)
{
	for (; *table; table++)
		if (!strcmp((*table)->name, name))
			return *table;
	return NULL;
}

static int
set_path(struct ctl_ctx *c, const struct ctl_command *cmd, const char *parent)
{
	int n = snprintf(c->path, sizeof(c->path), "%s%s%s", parent ? parent : "",
			 parent ? " " : "", cmd->name);

	c->cmd = cmd;
	return n < 0 || (size_t)n >= sizeof(c->path) ? -1 : 0;
}

/* argv[0] is the command's name. Groups take only global options before
 * their subcommand's name. */
static int
dispatch(struct ctl_ctx *c, const struct ctl_command *cmd, const char *parent,
	 int argc, char **argv)
{
	const struct ctl_command *sub;
	char path[sizeof(c->path)];
	int o;

	if (set_path(c, cmd, parent) != 0) {
		ctl_err("internal error: command path too long");
		return CTL_FAILURE;
	}
	optind = 0;
	if (!cmd->sub)
		return cmd->run(c, argc, argv);
	o = ctl_getopt_prefix(c, argc, argv, NULL);
	if (o == 'h') {
		ctl_print_help(cmd, c->path, stdout);
		return CTL_OK;
	}
	if (o != -1)
		return CTL_USAGE;
	if (optind >= argc)
		return ctl_usage_error(c, "missing command");
	if (!strcmp(argv[optind], "help")) {
		ctl_print_help(cmd, c->path, stdout);
		return CTL_OK;
	}
	sub = find(cmd->sub, argv[optind]);
	if (!sub)
		return ctl_usage_error(c, "unknown command '%s'", argv[optind]);
	memcpy(path, c->path, sizeof(path));
	return dispatch(c, sub, path, argc - optind, argv + optind);
}

static int
run_help(struct ctl_ctx *c, int argc, char **argv)
{
	const struct ctl_command *cmd, *sub;
	char path[sizeof(c->path)];
	int o;

	o = ctl_getopt(c, argc, argv);
	if (o != -1)
		return o == CTL_OPT_HELP ? CTL_OK : CTL_USAGE;
	if (optind >= argc) {
		print_main_help(stdout);
		return CTL_OK;
	}
	cmd = find(commands, argv[optind]);
	if (!cmd)
		return ctl_usage_error(c, "unknown command '%s'", argv[optind]);
	if (optind + 1 < argc) {
		sub = cmd->sub ? find(cmd->sub, argv[optind + 1]) : NULL;
		if (!sub)
			return ctl_usage_error(c, "unknown command '%s %s'", argv[optind],
					       argv[optind + 1]);
		snprintf(path, sizeof(path), "%s %s", cmd->name, sub->name);
		ctl_print_help(sub, path, stdout);
		return CTL_OK;
	}
	ctl_print_help(cmd, cmd->name, stdout);
	return CTL_OK;
}

int
main(int argc, char **argv)
{
	static const struct option top_opts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_ctx c = { 0 };
	const struct ctl_command *cmd;
	int o, rc;

	approve_log_init("approvalctl", 0, 0);
	optind = 0;
	while ((o = ctl_getopt_prefix(&c, argc, argv, top_opts)) != -1) {
		switch (o) {
		case 'h':
			print_main_help(stdout);
			return CTL_OK;
		case 'V':
			printf("approvalctl %s\n", APPROVE_VERSION);
			return CTL_OK;
		default:
			return CTL_USAGE;
		}
	}
	if (optind >= argc)
		return ctl_usage_error(&c, "missing command");
	cmd = find(commands, argv[optind]);
	if (!cmd)
		return ctl_usage_error(&c, "unknown command '%s'", argv[optind]);
	rc = dispatch(&c, cmd, NULL, argc - optind, argv + optind);
	ctl_ctx_release(&c);
	if (fflush(stdout) != 0 && rc == CTL_OK) {
		ctl_err("writing to stdout failed");
		rc = CTL_FAILURE;
	}
	return rc;
}
