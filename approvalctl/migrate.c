/* migrate.c: `approvalctl migrate [--sql-dir DIR]`: applies the numbered
 * schema files (NNN_name.sql) in numeric order, each in its own transaction
 * together with its row in public.schema_migrations, so a file is applied
 * completely and exactly once. Recorded files are skipped (idempotent). A
 * session advisory lock serialises concurrent runs (two deploys at once
 * wait for each other instead of racing on CREATE TABLE). The files qualify
 * their names, and run with the connection's default search_path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "commands.h"
#include "wire.h"

#define MIGRATION_MAX (16 * 1024 * 1024)
#define MAX_FILES 1000
/* pg_advisory_lock key: "approval" as a big-endian int64. */
#define LOCK_KEY "7021235455869215084"

struct migration {
	unsigned long num;
	char *name;
};

/* NNN_anything.sql: digits, '_', no '/', ".sql" at the end. */
static int
migration_name(const char *n, unsigned long *num)
{
	size_t len = strlen(n), d = strspn(n, "0123456789");

	if (d == 0 || d > 9 || n[d] != '_' || len < d + 5 || strcmp(n + len - 4, ".sql"))
		return 0;
	*num = strtoul(n, NULL, 10);
	return 1;
}

static int
cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
free_list(struct migration *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].name);
	free(m);
}

/* The migration files of dir in order; CTL_FAILURE on an unreadable dir or
 * two files with the same number (the order would be a guess). */
static int
list_migrations(const char *dir, struct migration **out, size_t *count)
{
	struct migration *m = NULL;
	size_t n = 0;
	struct dirent *e;
	DIR *d;
	int rc = CTL_FAILURE;

	*out = NULL;
	*count = 0;
	d = opendir(dir);
	if (!d) {
		ctl_err("migrate: %s: %s", dir, strerror(errno));
		return CTL_FAILURE;
	}
	m = calloc(MAX_FILES, sizeof(*m));
	if (!m) {
		ctl_err("out of memory");
		goto out;
	}
	while ((e = readdir(d))) {
		unsigned long num;

		if (!migration_name(e->d_name, &num))
			continue;
		if (n == MAX_FILES) {
			ctl_err("migrate: %s: more than %d migration files", dir, MAX_FILES);
			goto out;
		}
		m[n].num = num;
		m[n].name = strdup(e->d_name);
		if (!m[n].name) {
			ctl_err("out of memory");
			goto out;
		}
		n++;
	}
	qsort(m, n, sizeof(*m), cmp_migration);
	for (size_t i = 1; i < n; i++)
		if (m[i].num == m[i - 1].num) {
			ctl_err("migrate: %s and %s have the same number", m[i - 1].name, m[i].name);
			goto out;
		}
	*out = m;
	*count = n;
	m = NULL;
	n = 0;
	rc = CTL_OK;
out:
	free_list(m, n);
	closedir(d);
	return rc;
}

static int
read_file(const char *dir, const char *name, char **out)
{
	char path[4096];
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = CTL_FAILURE, n;

	*out = NULL;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		ctl_err("migrate: %s/%s: path too long", dir, name);
		return CTL_FAILURE;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 || fstat(fd, &st) == -1) {
		ctl_err("migrate: %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MIGRATION_MAX) {
		ctl_err("migrate: %s: not a regular file of at most %d bytes", path,
			MIGRATION_MAX);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		ctl_err("out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size) {
		r = read(fd, text + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ctl_err("migrate: %s: %s", path, r ? strerror(errno) : "shrank while reading");
			goto out;
		}
		len += (size_t)r;
	}
	text[len] = '\0';
	if (memchr(text, 0, len)) {
		ctl_err("migrate: %s: contains a NUL byte", path);
		goto out;
	}
	*out = text;
	text = NULL;
	rc = CTL_OK;
out:
	free(text);
	if (fd != -1)
		close(fd);
	return rc;
}

/* The line of a 1-based character position (PG_DIAG_STATEMENT_POSITION). */
static unsigned long
position_line(const char *text, const char *pos)
{
	unsigned long want = pos ? strtoul(pos, NULL, 10) : 0, chars = 0, line = 1;

	for (const char *p = text; *p && want; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && ++chars >= want)
			break;
		if (*p == '\n')
			line++;
	}
	return want ? line : 0;
}

/* Apply one file and record it, in one transaction. */
static int
apply(PGconn *db, const char *dir, const char *name)
{
	const char *params[1] = { name };
	char *text = NULL, what[512];
	PGresult *r = NULL;
	unsigned long line;
	int rc;

	rc = read_file(dir, name, &text);
	if (rc != CTL_OK)
		return rc;
	r = ctl_db_exec(db, "BEGIN", 0, NULL);
	if (ctl_db_failed(r)) {
		rc = ctl_db_error(db, r, "migrate: BEGIN");
		goto out;
	}
	PQclear(r);
	/* The file may hold many statements: the simple query protocol. */
	r = PQexec(db, text);
	if (ctl_db_failed(r)) {
		line = position_line(text, PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION));
		if (line)
			snprintf(what, sizeof(what), "migrate: %s/%s:%lu", dir, name, line);
		else
			snprintf(what, sizeof(what), "migrate: %s/%s", dir, name);
		rc = ctl_db_error(db, r, what);
		if (rc == CTL_REFUSED)
			rc = CTL_FAILURE;	/* a broken file, not a refusal */
		goto rollback;
	}
	PQclear(r);
	r = ctl_db_exec(db, "INSERT INTO public.schema_migrations (version) VALUES ($1)",
			1, params);
	if (ctl_db_failed(r)) {
		rc = ctl_db_error(db, r, "migrate: recording the migration");
		goto rollback;
	}
	PQclear(r);
	r = ctl_db_exec(db, "COMMIT", 0, NULL);
	if (ctl_db_failed(r)) {
		rc = ctl_db_error(db, r, "migrate: COMMIT");
		goto out;
	}
	printf("applied %s\n", name);
	fflush(stdout);
	rc = CTL_OK;
	goto out;
rollback:
	PQclear(r);
	r = ctl_db_exec(db, "ROLLBACK", 0, NULL);
out:
	PQclear(r);
	free(text);
	return rc;
}

/* 1 when name is recorded, 0 when not, negative exit code on failure. */
static int
applied(PGconn *db, const char *name)
{
	const char *params[1] = { name };
	PGresult *r = ctl_db_exec(db,
		"SELECT 1 FROM public.schema_migrations WHERE version = $1", 1, params);
	int rc;

	if (ctl_db_failed(r))
		rc = -ctl_db_error(db, r, "migrate: reading public.schema_migrations");
	else
		rc = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

static int
run_migrate(struct ctl_ctx *c, int argc, char **argv)
{
	const char *dir = NULL, *params[1] = { LOCK_KEY };
	struct migration *m = NULL;
	size_t n = 0, done = 0, skipped = 0;
	PGconn *db = NULL;
	PGresult *r = NULL;
	int o, rc, create;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		if (o == CTL_OPT_HELP)
			return CTL_OK;
		if (o != 'd')
			return CTL_USAGE;
		dir = optarg;
	}
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!dir)
		dir = access(APPROVE_SQLDIR, F_OK) == 0 ? APPROVE_SQLDIR : APPROVE_SRC_SQLDIR;
	rc = list_migrations(dir, &m, &n);
	if (rc != CTL_OK)
		return rc;
	if (n == 0) {
		ctl_err("migrate: no NNN_*.sql files in %s", dir);
		rc = CTL_FAILURE;
		goto out;
	}
	rc = ctl_db_connect(c, 1, &db);
	if (rc != CTL_OK)
		goto out;
	/* Held until the connection closes; the lock is taken before the
	 * table exists, so even the first two runs do not race. */
	r = ctl_db_exec(db, "SELECT pg_catalog.pg_advisory_lock($1::bigint)", 1, params);
	if (ctl_db_failed(r)) {
		rc = ctl_db_error(db, r, "migrate: taking the migration lock");
		goto out;
	}
	PQclear(r);
	/* Under the lock: check first, so a second run prints no NOTICE. */
	r = ctl_db_exec(db, "SELECT pg_catalog.to_regclass('public.schema_migrations') IS NULL",
			0, NULL);
	if (ctl_db_failed(r)) {
		rc = ctl_db_error(db, r, "migrate: looking for public.schema_migrations");
		goto out;
	}
	create = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	r = create ? ctl_db_exec(db,
		"CREATE TABLE public.schema_migrations ("
		" version text PRIMARY KEY,"
		" applied_at timestamptz NOT NULL DEFAULT pg_catalog.now())", 0, NULL) : NULL;
	if (create && ctl_db_failed(r)) {
		rc = ctl_db_error(db, r, "migrate: creating public.schema_migrations");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int a = applied(db, m[i].name);

		if (a < 0) {
			rc = -a;
			goto out;
		}
		if (a) {
			skipped++;
			continue;
		}
		rc = apply(db, dir, m[i].name);
		if (rc != CTL_OK)
			goto out;
		done++;
	}
	if (done == 0)
		printf("nothing to apply: %zu migration(s) already applied\n", skipped);
	else if (skipped)
		printf("%zu migration(s) were already applied\n", skipped);
	rc = CTL_OK;
out:
	PQclear(r);
	PQfinish(db);	/* releases the advisory lock */
	free_list(m, n);
	return rc;
}

static const struct option migrate_opts[] = {
	{ "sql-dir", required_argument, NULL, 'd' },
	{ NULL, 0, NULL, 0 },
};

const struct ctl_command ctl_cmd_migrate = {
	.name = "migrate", .synopsis = "[--sql-dir DIR]",
	.summary = "apply the schema migrations not applied yet (admin, database)",
	.details =
		"Applies DIR/NNN_*.sql in numeric order, each in its own transaction,\n"
		"recording each file name in public.schema_migrations; files already\n"
		"recorded are skipped, so running it again is harmless. Concurrent runs\n"
		"wait for each other (advisory lock). Prints each file it applied.\n"
		"Run it as the database owner or a superuser.\n"
		"\nOptions:\n"
		"  --sql-dir DIR   migration files (default " APPROVE_SQLDIR ",\n"
		"                  else the source tree's sql/)\n",
	.longopts = migrate_opts, .run = run_migrate,
};
