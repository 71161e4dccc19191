/* main.c: owns approvald's process life: command line, configuration,
 * start-up order (log, pool, waiters, listener, HTTP), the port file, and
 * clean shutdown on SIGTERM/SIGINT (exit 0).
 *
 * Database down at start-up: approvald does not exit. The pool connects
 * lazily and the LISTEN thread keeps retrying with backoff, so the process
 * serves /healthz at once, /readyz answers 503 until a SELECT 1 works, and
 * API calls get 503 database_unavailable meanwhile. Only a bad
 * configuration or an unusable listen address exits 1. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"	/* APPROVE_VERSION (generated) */
#include "audit_head.h"
#include "db.h"
#include "httpd.h"
#include "listener.h"
#include "log.h"
#include "settings.h"
#include "waiters.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: approvald [--config FILE] [--port-file FILE] [--check-config]\n"
		"                 [--version] [--help]\n"
		"  --config FILE     configuration (default " APPROVALD_DEFAULT_CONFIG ")\n"
		"  --port-file FILE  write the bound port of the first TCP endpoint (0\n"
		"                    when listening on Unix sockets only) to FILE once\n"
		"                    listening\n"
		"  --check-config    check the configuration, print errors, exit 0/1\n"
		"Exit codes: 0 clean shutdown, 1 bad configuration or start-up failure.\n");
}

/* Written to a temporary name and renamed, so a reader never sees half. */
static int
write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *f;
	int n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		n = -errno;
		unlink(tmp);
		return n;
	}
	return 0;
}

/* 10,000 waiters need as many descriptors. */
static void
raise_nofile(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		approve_log(LOG_WARNING, "open files limit %lu is below max_connections "
			    "%lu: connections beyond it will be refused",
			    (unsigned long)rl.rlim_cur, want);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = APPROVALD_DEFAULT_CONFIG, *port_file = NULL;
	struct approvald_config *cfg = NULL;
	struct app app;
	struct audit_head *head = NULL;
	sigset_t sigs;
	char err[1024];
	int opt, check_only = 0, sig = 0, status = 1, rc;

	memset(&app, 0, sizeof(app));
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'p': port_file = optarg; break;
		case 'k': check_only = 1; break;
		case 'V': printf("approvald %s\n", APPROVE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (settings_load(config_path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check_only) {
		settings_free(cfg);
		return 0;
	}
	approve_log_init("approvald", cfg->use_syslog, cfg->debug);

	/* Signals are taken by sigwait() below only; every thread created
	 * from here on inherits the mask. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	raise_nofile(cfg->max_connections);

	app.cfg = cfg;
	if ((rc = db_pool_new(cfg->database, (unsigned)cfg->pool_size, &app.db)) < 0 ||
	    (rc = waiters_new(&app.waiters)) < 0) {
		approve_log(LOG_ERR, "start-up: %s", strerror(-rc));
		goto out;
	}
	if ((rc = listener_start(cfg->database, app.waiters, &app.listener)) < 0) {
		approve_log(LOG_ERR, "start-up: listener: %s", strerror(-rc));
		goto out;
	}
	if (httpd_start(&app) < 0)
		goto out;
	app.public_url = settings_public_url(cfg, app.port);
	if (!app.public_url) {
		approve_log(LOG_ERR, "start-up: out of memory");
		goto out;
	}
	atomic_store(&app.serving, 1);
	if (port_file && (rc = write_port_file(port_file, app.port)) < 0) {
		approve_log(LOG_ERR, "%s: %s", port_file, strerror(-rc));
		goto out;
	}
	approve_log(LOG_NOTICE, "approvald %s listening on %s (tcp port %u, %s), links %s",
		    APPROVE_VERSION, cfg->listen, app.port,
		    cfg->tls_cert ? "https" : "http", app.public_url);
	if ((rc = audit_head_start(app.db, cfg->audit_head_interval, &head)) < 0) {
		approve_log(LOG_ERR, "start-up: audit head: %s", strerror(-rc));
		goto out;
	}

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			approve_log(LOG_NOTICE, "SIGHUP ignored: restart to reload the configuration");
			continue;
		}
		break;
	}
	approve_log(LOG_NOTICE, "signal %d: shutting down", sig);
	status = 0;
out:
	audit_head_stop(head);
	httpd_stop(&app);
	listener_stop(app.listener);
	db_pool_free(app.db);
	waiters_free(app.waiters);
	free(app.public_url);
	settings_free(cfg);
	return status;
}
