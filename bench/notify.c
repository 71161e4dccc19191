/* bench/notify.c: the wake-latency baseline of bench/run.sh: how long a
 * NOTIFY takes from one libpq connection to another, timed in this one
 * process (CLOCK_MONOTONIC) from sending the statement to the listening
 * connection having the notification.
 *
 *   notify CONNINFO ROUNDS
 *
 * "raw": NOTIFY alone (autocommit, no write: no WAL flush).
 * "tx":  BEGIN; UPDATE one row; NOTIFY; COMMIT in one round trip: a
 *        transaction that writes, so its commit waits for the WAL flush
 *        (with fsync and synchronous_commit on), as a decision does.
 * Each prints "notify_MODE n=.. p50=.. p99=.. max=.. ms". Exit 1 on any
 * failure. Creates and drops the table public.bench_notify. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "notify: %s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
}

/* Send sql on s, return the seconds until l has a notification. */
static double
one_round(PGconn *s, PGconn *l, const char *sql)
{
	double t0 = now_s(), t1 = 0;
	PGnotify *n;
	PGresult *r;
	int sent_done = 0;

	if (!PQsendQuery(s, sql)) {
		fprintf(stderr, "notify: send: %s", PQerrorMessage(s));
		exit(1);
	}
	while (!t1 || !sent_done) {
		struct pollfd p[2] = { { .fd = PQsocket(l), .events = POLLIN },
				       { .fd = PQsocket(s), .events = POLLIN } };

		if (poll(p, 2, 10000) <= 0) {
			fprintf(stderr, "notify: no notification within 10 s\n");
			exit(1);
		}
		if (!t1 && (p[0].revents & POLLIN)) {
			PQconsumeInput(l);
			if ((n = PQnotifies(l)) != NULL) {
				t1 = now_s();
				PQfreemem(n);
			}
		}
		if (!sent_done && (p[1].revents & POLLIN)) {
			PQconsumeInput(s);
			while (!PQisBusy(s) && (r = PQgetResult(s)) != NULL) {
				if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
					fprintf(stderr, "notify: %s", PQresultErrorMessage(r));
					exit(1);
				}
				PQclear(r);
			}
			sent_done = !PQisBusy(s);
		}
	}
	return t1 - t0;
}

static void
run(PGconn *s, PGconn *l, const char *name, const char *sql, int rounds)
{
	double *v = calloc((size_t)rounds, sizeof(double));
	int i;

	if (!v)
		exit(1);
	for (i = 0; i < rounds; i++)
		v[i] = one_round(s, l, sql);
	qsort(v, (size_t)rounds, sizeof(double), cmp_d);
	printf("notify_%s n=%d p50=%.3f p99=%.3f max=%.3f ms\n", name, rounds,
	       v[(rounds - 1) / 2] * 1e3, v[(int)((rounds - 1) * 0.99)] * 1e3, v[rounds - 1] * 1e3);
	free(v);
}

int
main(int argc, char **argv)
{
	PGconn *s, *l;
	int rounds;

	if (argc != 3 || (rounds = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: notify CONNINFO ROUNDS\n");
		return 2;
	}
	s = PQconnectdb(argv[1]);
	l = PQconnectdb(argv[1]);
	if (PQstatus(s) != CONNECTION_OK || PQstatus(l) != CONNECTION_OK) {
		fprintf(stderr, "notify: connect: %s", PQerrorMessage(s));
		return 1;
	}
	exec_ok(s, "CREATE TABLE IF NOT EXISTS public.bench_notify (id int PRIMARY KEY, n bigint)");
	exec_ok(s, "INSERT INTO public.bench_notify VALUES (1, 0) ON CONFLICT DO NOTHING");
	exec_ok(l, "LISTEN bench_wake");
	run(s, l, "raw", "NOTIFY bench_wake, '00000000-0000-0000-0000-000000000000'", rounds);
	run(s, l, "tx", "BEGIN; UPDATE public.bench_notify SET n = n + 1 WHERE id = 1;"
	    " NOTIFY bench_wake, '00000000-0000-0000-0000-000000000000'; COMMIT", rounds);
	exec_ok(s, "DROP TABLE public.bench_notify");
	PQfinish(s);
	PQfinish(l);
	return 0;
}
