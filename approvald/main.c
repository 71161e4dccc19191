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
#include "sealer.h"
#include "signing.h"
#include "db.h"
#include "httpd.h"
#include "listener.h"
#include "log.h"
#include "outbox.h"
#include "pending_gauge.h"
#include "policy_db.h"
#include "settings.h"
#include "waiters.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: approvald [--config FILE] [--port-file FILE] [--boot-id ID]\n"
		"                 [--check-config] [--version] [--help]\n"
		"  --config FILE     configuration (default " APPROVALD_DEFAULT_CONFIG ")\n"
		"  --port-file FILE  write the bound port of the first TCP endpoint (0\n"
		"                    when listening on Unix sockets only) to FILE once\n"
		"                    listening\n"
		"  --boot-id ID      this kernel's boot id when /proc/sys is hidden\n"
		"                    (systemd: --boot-id %%b)\n"
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

/* Descriptors approvald needs besides its connections: stdio, the log,
 * the listening sockets, per HTTP thread its epoll and wake-up
 * descriptors, the pool's connections, the LISTEN connection, files read
 * at start-up, and a margin. */
#define FD_OWN_FIXED 32
/* Connections of the pool the background threads share (the sealer, the
 * receipt keeper, the pending gauge, the audit head), so that handlers
 * keep every one of pool_size. */
#define BACKGROUND_POOL_SIZE 2
#define FD_OWN_PER_WORKER 4

/* One descriptor per connection (waiters included), and every "listen"
 * endpoint has its own daemon with max_connections and HTTPD_IO_THREADS: a limit
 * that cannot cover them makes accept() fail later with nothing in the log,
 * so say it now. The soft limit is raised to the hard one first; a
 * max_connections left at its default is lowered to fit instead. 0, or
 * -EMFILE after logging how to fix it. */
static int
check_nofile(struct approvald_config *cfg)
{
	struct rlimit rl;
	unsigned long n = cfg->n_listen ? cfg->n_listen : 1;
	unsigned long own = FD_OWN_FIXED +
			    FD_OWN_PER_WORKER * HTTPD_IO_THREADS * n +
			    (unsigned long)cfg->pool_size + BACKGROUND_POOL_SIZE;
	unsigned long have, want = cfg->max_connections * n + own;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;	/* cannot happen on Linux; nothing to check against */
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = { rl.rlim_max, rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return 0;
	have = (unsigned long)rl.rlim_cur;
	if (!cfg->max_connections_set && have >= own + 16 * n) {
		approve_log(LOG_NOTICE, "open files limit %lu: max_connections lowered from its "
			    "default %lu to %lu (LimitNOFILE=%lu or more keeps the default)",
			    have, cfg->max_connections, (have - own) / n, want);
		cfg->max_connections = (have - own) / n;
		return 0;
	}
	approve_log(LOG_ERR, "open files limit %lu (hard limit %lu) cannot cover "
		    "max_connections %lu on each of %lu endpoints plus %lu descriptors of "
		    "approvald's own: raise it to at least %lu (LimitNOFILE= in the systemd "
		    "unit, ulimit -n in a shell) or lower max_connections", have,
		    (unsigned long)(rl.rlim_max == RLIM_INFINITY ? rl.rlim_cur : rl.rlim_max),
		    cfg->max_connections, n, own, want);
	return -EMFILE;
}

#define REGISTER_WAIT_MS 5000	/* for a pool connection at start */

/* The signing key in approval.signing_keys; a retired key refuses to
 * start (hosts that pinned it as retired would refuse every answer). A
 * database that does not answer yet is no reason not to start: the key
 * is registered before the first receipt or checkpoint is stored. */
static int
register_key(struct app *app)
{
	struct db_conn *db = db_get(app->db, REGISTER_WAIT_MS);
	int rc = db ? signer_register(app->signer, db) : -EIO;

	db_put(app->db, db);
	if (rc == -EKEYREVOKED) {
		approve_log(LOG_ERR, "start-up: signing key %s is retired; configure "
			    "the new key (approvalctl key generate)", app->signer->key_id);
		return rc;
	}
	if (rc < 0)
		approve_log(LOG_WARNING, "signing key %s not registered yet: database "
			    "unavailable; trying again before the first receipt",
			    app->signer->key_id);
	approve_log(LOG_NOTICE, "signing answers with key %s (%s)",
		    app->signer->key_id, app->signer->pub_line);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "boot-id", required_argument, NULL, 'b' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = APPROVALD_DEFAULT_CONFIG, *port_file = NULL;
	char boot_id[OUTBOX_BOOT_ID_LEN + 1] = "";
	struct approvald_config *cfg = NULL;
	struct app app;
	struct audit_head *head = NULL;
	struct receipt_keeper *keeper = NULL;
	struct sealer *sealer = NULL;
	struct db_pool *bg = NULL;	/* the background threads' pool */
	sigset_t sigs;
	char err[1024];
	int opt, check_only = 0, sig = 0, status = 1, rc;

	memset(&app, 0, sizeof(app));
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'p': port_file = optarg; break;
		case 'b':
			if (outbox_boot_id(optarg, boot_id) < 0) {
				fprintf(stderr, "approvald: --boot-id: not a boot id (32 hex "
					"digits, dashes allowed): %s\n", optarg);
				return 1;
			}
			break;
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
	if (check_nofile(cfg) < 0)
		goto out;

	if (cfg->signing_key &&
	    signer_load(cfg->signing_key, &app.signer, err, sizeof(err)) < 0) {
		approve_log(LOG_ERR, "start-up: %s", err);
		goto out;
	}
	if (!app.signer)
		approve_log(LOG_WARNING, "no signing_key: answers are not signed, "
			    "and hosts with keys= refuse every approval");
	app.cfg = cfg;
	if ((rc = db_pool_new(cfg->database, (unsigned)cfg->pool_size, &app.db)) < 0 ||
	    (rc = db_pool_new(cfg->database, BACKGROUND_POOL_SIZE, &bg)) < 0 ||
	    (rc = waiters_new(&app.waiters)) < 0) {
		approve_log(LOG_ERR, "start-up: %s", strerror(-rc));
		goto out;
	}
	if (app.signer && (rc = register_key(&app)) < 0)
		goto out;
	if ((rc = listener_start(cfg->database, app.waiters, &app.listener)) < 0) {
		approve_log(LOG_ERR, "start-up: listener: %s", strerror(-rc));
		goto out;
	}
	/* before serving: handlers read app.pending unlocked */
	if ((rc = pending_gauge_start(bg, &app.pending)) < 0) {
		approve_log(LOG_ERR, "start-up: pending gauge: %s", strerror(-rc));
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
	if ((rc = outbox_start(cfg, app.public_url, boot_id[0] ? boot_id : NULL,
				 app.db, &app.outbox)) < 0) {
		approve_log(LOG_ERR, "start-up: notifications: %s", strerror(-rc));
		goto out;
	}
	if ((rc = audit_head_start(bg, cfg->audit_head_interval, app.signer,
				   &head)) < 0) {
		approve_log(LOG_ERR, "start-up: audit head: %s", strerror(-rc));
		goto out;
	}
	if ((rc = receipt_keeper_start(app.signer, bg, &keeper)) < 0) {
		approve_log(LOG_ERR, "start-up: receipts: %s", strerror(-rc));
		goto out;
	}
	if ((rc = sealer_start(bg, cfg->audit_seal_interval_ms, &sealer)) < 0) {
		approve_log(LOG_ERR, "start-up: audit sealer: %s", strerror(-rc));
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
	/* a hung database gets DB_STOP_MS more, then every waiter is answered
	 * (its status, or 503) and the process exits */
	db_pool_stop(app.db);
	db_pool_stop(bg);
	audit_head_stop(head);
	outbox_stop(app.outbox);
	receipt_keeper_stop(keeper);
	sealer_stop(sealer);
	httpd_stop(&app);
	pending_gauge_stop(app.pending);	/* after the last /metrics */
	listener_stop(app.listener);
	db_pool_free(app.db);
	db_pool_free(bg);
	waiters_free(app.waiters);
	free(app.public_url);
	signer_free(app.signer);
	policy_db_cache_clear();
	settings_free(cfg);
	return status;
}
