/* outbox.c: owns the delivery worker (periodic.h) of the notification
 * outbox (see outbox.h) and the SQL that claims, records and sweeps
 * outbox rows. The worker has a pool of one connection of its own, so
 * handlers never wait for it, and holds no connection while a sink is
 * being called. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "periodic.h"
#include "requests.h"
#include "settings.h"

#define LEASE_MARGIN_S 30
#define OUTBOX_RETRY_MS 1000	/* after a database failure */

struct outbox {
	const struct approvald_notify *cfg;
	char *public_url;
	struct db_pool *db;
	struct periodic *worker;
	atomic_int stopping;	/* outbox_stop() began: no further send */
	int registered;		/* our sinks are in approval.notify_sinks */
	int down_logged;
	uint64_t next_sweep;	/* approve_now_ms() of the next sweep */
	char instance[128];	/* host:pid, in outbox_attempts */
	/* claimed_by of our leases: host:pid/start@boot/pidns (process start
	 * time in clock ticks, /proc/sys/kernel/random/boot_id, the pid
	 * namespace's inode), so that an instance on the same kernel and pid
	 * namespace can prove the claimer's process gone; suffix is the
	 * "@boot/pidns" part, "" when /proc did not tell (then no lease is
	 * ever released early, by us or for us) */
	char claimer[256];
	char suffix[96];
	struct outbox_stats st;
};

/* ---- SQL ---- */

/* Our sinks enabled, the others disabled (every instance is expected to
 * configure the same sinks). */
static const char register_sql[] =
	"WITH mine AS (SELECT * FROM unnest($1::text[], $2::text[]) AS m(name, kind)),"
	" up AS (INSERT INTO approval.notify_sinks (name, kind)"
	"  SELECT name, kind FROM mine ON CONFLICT (name) DO UPDATE"
	"  SET kind = EXCLUDED.kind, enabled = true, updated_at = pg_catalog.now()"
	"  WHERE approval.notify_sinks.kind <> EXCLUDED.kind OR NOT approval.notify_sinks.enabled)"
	" UPDATE approval.notify_sinks SET enabled = false, updated_at = pg_catalog.now()"
	" WHERE enabled AND name <> ALL ($1::text[])";

/* The sink our notify_escalation_sink names ($1, "" for none) is also
 * told of every break-glass (sql/023). */
static const char escalation_sql[] =
	"UPDATE approval.notify_sinks SET escalation = (name = $1), updated_at = pg_catalog.now()"
	" WHERE escalation IS DISTINCT FROM (name = $1)";

/* Due rows of our sinks, each the oldest unsent one of its request (or
 * offline break-glass use) and sink, leased to us for $2 seconds, with
 * where its Slack message is (the request's or the use's, sql/024). */
static const char claim_sql[] =
	"WITH c AS (UPDATE approval.outbox o SET attempts = o.attempts + 1,"
	"  claimed_until = pg_catalog.now() + $2::integer * interval '1 second',"
	"  claimed_by = $3"
	" WHERE o.id IN (SELECT d.id FROM approval.outbox d"
	"  WHERE d.state = 'pending' AND d.next_attempt_at <= pg_catalog.now()"
	"  AND (d.claimed_until IS NULL OR d.claimed_until < pg_catalog.now())"
	"  AND d.sink = ANY ($1::text[])"
	"  AND NOT EXISTS (SELECT 1 FROM approval.outbox p WHERE p.request_id = d.request_id"
	"   AND p.sink = d.sink AND p.id < d.id AND p.state = 'pending')"
	"  AND NOT EXISTS (SELECT 1 FROM approval.outbox p"
	"   WHERE p.breakglass_code_id = d.breakglass_code_id"
	"   AND p.sink = d.sink AND p.id < d.id AND p.state = 'pending')"
	"  ORDER BY d.id LIMIT $4::integer FOR UPDATE SKIP LOCKED)"
	" RETURNING o.id, o.sink, o.event, o.idempotency_key, o.attempts, o.request_id,"
	"  o.payload::text, o.breakglass_code_id)"
	" SELECT c.id, c.sink, c.event, c.idempotency_key, c.attempts, c.request_id,"
	"  c.payload, COALESCE(m.channel, b.channel), COALESCE(m.ts, b.ts) FROM c"
	" LEFT JOIN approval.slack_messages m ON m.request_id = c.request_id AND m.sink = c.sink"
	" LEFT JOIN approval.breakglass_slack_messages b"
	"  ON b.code_id = c.breakglass_code_id AND b.sink = c.sink"
	" ORDER BY c.id";

static const char sent_sql[] =
	"WITH u AS (UPDATE approval.outbox SET state = 'sent', sent_at = pg_catalog.now(),"
	"  claimed_until = NULL, last_error = NULL"
	"  WHERE id = $1::bigint AND state = 'pending'"
	"  RETURNING id, request_id, sink, event, attempts, idempotency_key),"
	" a AS (INSERT INTO approval.outbox_attempts (outbox_id, instance, ok, http_status,"
	"  latency_ms) SELECT u.id, $2, true, $3::integer, $4::integer FROM u)"
	" SELECT approval.audit_event('notification.sent', 'approvald', u.sink,"
	"  pg_catalog.jsonb_build_object('event', u.event, 'attempts', u.attempts,"
	"  'idempotency_key', u.idempotency_key, 'http_status', $3::integer,"
	"  'instance', $2), u.request_id) FROM u";

/* A failed attempt: retried after base * 2^(attempts-1) ms (at most max
 * s), or failed for good when permanent ($5) or older than max_age. */
static const char failed_sql[] =
	"WITH u AS (UPDATE approval.outbox o SET claimed_until = NULL, last_error = $3,"
	"  state = CASE WHEN $5::boolean OR o.created_at <= pg_catalog.now()"
	"   - $6::integer * interval '1 second' THEN 'failed' ELSE 'pending' END,"
	"  next_attempt_at = pg_catalog.now() + LEAST($7::double precision"
	"   * pg_catalog.power(2, LEAST(o.attempts - 1, 40)), $8::double precision * 1000)"
	"   * interval '1 millisecond'"
	"  WHERE o.id = $1::bigint AND o.state = 'pending'"
	"  RETURNING o.id, o.request_id, o.sink, o.event, o.attempts, o.state, o.idempotency_key),"
	" a AS (INSERT INTO approval.outbox_attempts (outbox_id, instance, ok, http_status,"
	"  latency_ms, error) SELECT u.id, $2, false, $4::integer, $9::integer, $3 FROM u)"
	" SELECT u.state, CASE WHEN u.state = 'failed' THEN"
	"  approval.audit_event('notification.failed', 'approvald', u.sink,"
	"  pg_catalog.jsonb_build_object('event', u.event, 'attempts', u.attempts,"
	"  'idempotency_key', u.idempotency_key, 'error', $3, 'instance', $2), u.request_id)"
	"  END FROM u";

/* Rows claimed but not tried (shutdown): free for any instance at once. */
static const char release_sql[] =
	"UPDATE approval.outbox SET claimed_until = NULL, attempts = attempts - 1"
	" WHERE id = $1::bigint AND state = 'pending' AND claimed_by = $2";

/* Live leases of other claimers on our kernel and pid namespace ($2: our
 * "@boot/pidns"); which of them are dead is decided in C from /proc. */
static const char claimers_sql[] =
	"SELECT DISTINCT claimed_by FROM approval.outbox"
	" WHERE state = 'pending' AND claimed_until > pg_catalog.now()"
	"  AND claimed_by <> $1 AND pg_catalog.right(claimed_by, pg_catalog.length($2)) = $2";

/* The leases of a claimer whose process is gone: due again at once (the
 * attempt may have reached the sink; delivery is at least once). */
static const char release_dead_sql[] =
	"UPDATE approval.outbox SET claimed_until = NULL"
	" WHERE state = 'pending' AND claimed_by = $1 AND claimed_until > pg_catalog.now()";

/* Where the message of outbox row $1 was posted: its request's, or its
 * offline break-glass use's (sql/024). */
static const char slack_ts_sql[] =
	"WITH o AS (SELECT x.request_id, x.breakglass_code_id, x.sink FROM approval.outbox x"
	"  WHERE x.id = $1::bigint),"
	" r AS (INSERT INTO approval.slack_messages (request_id, sink, channel, ts)"
	"  SELECT o.request_id, o.sink, $2, $3 FROM o WHERE o.request_id IS NOT NULL"
	"  ON CONFLICT (request_id, sink) DO UPDATE SET channel = EXCLUDED.channel,"
	"   ts = EXCLUDED.ts, posted_at = pg_catalog.now())"
	" INSERT INTO approval.breakglass_slack_messages (code_id, sink, channel, ts)"
	" SELECT o.breakglass_code_id, o.sink, $2, $3 FROM o WHERE o.breakglass_code_id IS NOT NULL"
	" ON CONFLICT (code_id, sink) DO UPDATE SET channel = EXCLUDED.channel,"
	"  ts = EXCLUDED.ts, posted_at = pg_catalog.now()";

/* Rows nobody delivered within max_age (a sink no instance configures
 * any more, or one that kept failing while unclaimed): failed, audited. */
static const char give_up_sql[] =
	"WITH u AS (UPDATE approval.outbox o SET state = 'failed', claimed_until = NULL,"
	"  last_error = COALESCE(o.last_error || '; ', '') || 'gave up: not delivered within '"
	"   || $1::text || ' s'"
	" WHERE o.id IN (SELECT d.id FROM approval.outbox d WHERE d.state = 'pending'"
	"  AND d.created_at <= pg_catalog.now() - $1::integer * interval '1 second'"
	"  AND (d.claimed_until IS NULL OR d.claimed_until < pg_catalog.now())"
	"  ORDER BY d.id LIMIT 100 FOR UPDATE SKIP LOCKED)"
	" RETURNING o.request_id, o.sink, o.event, o.attempts, o.idempotency_key, o.last_error)"
	" SELECT approval.audit_event('notification.failed', 'approvald', u.sink,"
	"  pg_catalog.jsonb_build_object('event', u.event, 'attempts', u.attempts,"
	"  'idempotency_key', u.idempotency_key, 'error', u.last_error), u.request_id) FROM u";

/* Reminders ($1 s before expiry, for requests that live more than twice
 * that) to the request's sinks (its rule's notify=), escalations ($2 s after creation) to sink $3;
 * outbox_once makes each happen once whoever finds it due. */
static const char remind_sql[] =
	"INSERT INTO approval.outbox (request_id, sink, event)"
	" SELECT r.id, s.name, 'reminder' FROM approval.requests r"
	"  CROSS JOIN LATERAL approval.notify_targets(r.notify_kinds) s"
	" WHERE $1::integer > 0 AND r.status = 'pending'"
	"  AND r.expires_at > pg_catalog.now()"
	"  AND r.expires_at <= pg_catalog.now() + $1::integer * interval '1 second'"
	"  AND r.expires_at - r.created_at > 2 * $1::integer * interval '1 second'"
	" UNION ALL"
	" SELECT r.id, s.name, 'escalation' FROM approval.requests r"
	"  JOIN approval.notify_sinks s ON s.enabled AND s.name = $3"
	" WHERE $2::integer > 0 AND r.status = 'pending'"
	"  AND r.expires_at > pg_catalog.now()"
	"  AND r.created_at <= pg_catalog.now() - $2::integer * interval '1 second'"
	" ON CONFLICT (request_id, sink, event) WHERE event IN ('reminder', 'escalation')"
	" DO NOTHING";

static const char gauge_sql[] =
	"SELECT pg_catalog.count(*), COALESCE(pg_catalog.date_part('epoch',"
	" pg_catalog.now() - pg_catalog.min(created_at))::bigint, 0)"
	" FROM approval.outbox WHERE state = 'pending'";

/* ---- helpers ---- */

/* "{webhook,slack}"-style array literals of our sink names and kinds
 * (names are fixed words, no quoting needed). */
static void
sink_arrays(const struct approvald_notify *n, char names[128], char kinds[128])
{
	size_t a = 0, b = 0;

	names[a++] = '{';
	kinds[b++] = '{';
	for (int k = 0; k < NOTIFY_NKINDS; k++) {
		if (!notify_sink_enabled(n, (enum notify_kind)k))
			continue;
		a += (size_t)snprintf(names + a, 128 - a, "%s%s", a > 1 ? "," : "",
				      notify_kind_name[k]);
		b += (size_t)snprintf(kinds + b, 128 - b, "%s%s", b > 1 ? "," : "",
				      notify_kind_name[k]);
	}
	snprintf(names + a, 128 - a, "}");
	snprintf(kinds + b, 128 - b, "}");
}

static int
exec1(struct db_conn *c, const char *what, const char *sql, int n,
      const char *const *params, PGresult **res)
{
	if (db_exec(c, sql, n, params, res) == 0)
		return 0;
	db_log_error(what, *res);
	return -EIO;
}

static enum notify_kind
kind_of(const char *sink)
{
	for (int k = 0; k < NOTIFY_NKINDS; k++)
		if (strcmp(sink, notify_kind_name[k]) == 0)
			return (enum notify_kind)k;
	return NOTIFY_NKINDS;
}

/* ---- who holds a lease ---- */

/* Field 22 of /proc/PID/stat (starttime, clock ticks after boot): 0, or
 * -ESRCH for a process that ended (a zombie, or gone while read),
 * -ENOENT when there is no entry (no such process, or one that
 * ProtectProc=invisible hides), -EIO when it could not be read. */
static int
proc_start_time(const char *pid, unsigned long long *out)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd, i;

	if ((size_t)snprintf(path, sizeof(path), "/proc/%s/stat", pid) >= sizeof(path))
		return -EIO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EIO;
	n = read(fd, buf, sizeof(buf) - 1);
	i = errno;
	close(fd);
	if (n < 0)
		return i == ESRCH ? -ESRCH : -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold spaces and ')' */
	if (!p || p[1] != ' ' || !p[2])
		return -EIO;
	if (p[2] == 'Z' || p[2] == 'X')	/* killed, not yet reaped */
		return -ESRCH;
	for (i = 2; i < 22 && p; i++)	/* p is at the blank before field i + 1 */
		p = strchr(p + 1, ' ');
	if (!p)
		return -EIO;
	errno = 0;
	*out = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1 || (*end != ' ' && *end != '\0' && *end != '\n'))
		return -EIO;
	return 0;
}

int
outbox_boot_id(const char *in, char out[OUTBOX_BOOT_ID_LEN + 1])
{
	size_t n = 0;

	for (; *in && *in != '\n'; in++) {
		if (*in == '-')
			continue;
		if (n == OUTBOX_BOOT_ID_LEN || !strchr("0123456789abcdefABCDEF", *in))
			break;
		out[n++] = (char)(*in >= 'A' && *in <= 'F' ? *in - 'A' + 'a' : *in);
	}
	if (n != OUTBOX_BOOT_ID_LEN || (*in && (*in != '\n' || in[1]))) {
		out[0] = '\0';
		return -EINVAL;
	}
	out[n] = '\0';
	return 0;
}

/* Our claimed_by (see struct outbox); without a boot id or /proc,
 * host:pid alone. boot_id: the --boot-id option's, for when /proc/sys is
 * hidden; the kernel's own comes first. */
static void
make_claimer(struct outbox *o, const char *boot_id)
{
	char raw[64] = "", boot[OUTBOX_BOOT_ID_LEN + 1] = "", ns[64], pid[24];
	unsigned long long start;
	ssize_t n;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	snprintf(o->claimer, sizeof(o->claimer), "%s", o->instance);
	if (fd >= 0) {
		n = read(fd, raw, sizeof(raw) - 1);
		close(fd);
		raw[n > 0 ? n : 0] = '\0';
	}
	if (outbox_boot_id(raw, boot) < 0 && (!boot_id || outbox_boot_id(boot_id, boot) < 0))
		boot[0] = '\0';
	n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	ns[n > 0 ? n : 0] = '\0';
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	/* "pid:[4026531836]": the digits */
	if (!boot[0] || strncmp(ns, "pid:[", 5) != 0 || !ns[5] ||
	    strspn(ns + 5, "0123456789") + 6 != strlen(ns) ||
	    proc_start_time(pid, &start) < 0) {
		approve_log(LOG_NOTICE, "outbox: no boot id or /proc entry identifies this "
			    "process (--boot-id); leases of a killed instance run out on their own");
		return;
	}
	ns[strlen(ns) - 1] = '\0';
	snprintf(o->suffix, sizeof(o->suffix), "@%s/%s", boot, ns + 5);
	snprintf(o->claimer, sizeof(o->claimer), "%s/%llu%s", o->instance, start, o->suffix);
	approve_log(LOG_DEBUG, "outbox: leases claimed as %s", o->claimer);
}

/* 1 when claimer (a claimed_by ending in our suffix) names a process of
 * this host that is gone: no such pid, a zombie, or one started at
 * another time (the pid was reused). Anything else counts as alive, a
 * process /proc hides from us included: a lease is taken back only on
 * proof. */
static int
claimer_dead(const struct outbox *o, const char *claimer)
{
	size_t hl = strlen(o->instance) - strlen(strrchr(o->instance, ':'));
	const char *pid, *slash;
	char pidbuf[24], *end;
	unsigned long long start, want;
	long num;

	if (strncmp(claimer, o->instance, hl) != 0 || claimer[hl] != ':')
		return 0;	/* another host name: not ours to judge */
	pid = claimer + hl + 1;
	slash = strchr(pid, '/');
	if (!slash || slash == pid || (size_t)(slash - pid) >= sizeof(pidbuf) ||
	    strspn(pid, "0123456789") != (size_t)(slash - pid))
		return 0;
	memcpy(pidbuf, pid, (size_t)(slash - pid));
	pidbuf[slash - pid] = '\0';
	errno = 0;
	num = strtol(pidbuf, &end, 10);
	if (errno || *end || num <= 0 || num > INT_MAX)	/* kill(0 or -n) means groups */
		return 0;
	want = strtoull(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end != '@')
		return 0;
	/* kill(pid, 0) sees a process /proc may hide (ProtectProc=invisible) */
	if (kill((pid_t)num, 0) < 0 && errno == ESRCH)
		return 1;
	switch (proc_start_time(pidbuf, &start)) {
	case 0:
		return start != want;	/* the pid is another process's now */
	case -ESRCH:
		return 1;		/* a zombie */
	default:
		return 0;		/* there, but hidden or unreadable */
	}
}

/* Take back the leases of claimers on this host whose process is gone (a
 * killed predecessor), so that their rows are delivered now rather than
 * when the lease runs out. A live claimer's leases are never touched, so
 * two live instances never deliver one row at the same time. */
static void
release_dead_leases(struct outbox *o, struct db_conn *db)
{
	const char *p[2] = { o->claimer, o->suffix };
	PGresult *res = NULL, *up = NULL;
	int i;

	if (!o->suffix[0] || exec1(db, "outbox claimers", claimers_sql, 2, p, &res) < 0)
		goto out;
	for (i = 0; i < PQntuples(res); i++) {
		const char *q[1] = { PQgetvalue(res, i, 0) };

		if (!claimer_dead(o, q[0]))
			continue;
		if (exec1(db, "outbox release dead lease", release_dead_sql, 1, q, &up) == 0)
			approve_log(LOG_NOTICE, "outbox: %s notification(s) leased by %s, "
				    "whose process is gone, released", PQcmdTuples(up), q[0]);
		PQclear(up);
		up = NULL;
	}
out:
	PQclear(res);
}

/* ---- one round ---- */

struct claimed {
	struct notify_msg m;
	char *row[9];		/* the claim's columns (copies) */
	struct notify_result res;
	uint64_t ms;
};

static void
claimed_release(struct claimed *c)
{
	for (int i = 0; i < 9; i++)
		free(c->row[i]);
	json_object_put(c->m.request);
	json_object_put(c->m.payload);
	memset(c, 0, sizeof(*c));
}

static void
record(struct outbox *o, struct db_conn *db, struct claimed *c)
{
	char status[16], ms[24], age[24], base[24], max[24];
	const char *sp = NULL;
	PGresult *res = NULL;

	if (c->res.http_status > 0) {
		snprintf(status, sizeof(status), "%d", c->res.http_status);
		sp = status;
	}
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)c->ms);
	if (c->res.ok) {
		const char *p[4] = { c->row[0], o->instance, sp, ms };

		if (exec1(db, "outbox sent", sent_sql, 4, p, &res) == 0) {
			atomic_fetch_add(&o->st.sent, 1);
			if (strtol(c->row[4], NULL, 10) > 1)
				atomic_fetch_add(&o->st.retries, 1);
		}
		PQclear(res);
		res = NULL;
		if (c->res.slack_ts[0]) {
			const char *q[3] = { c->row[0], c->res.slack_channel, c->res.slack_ts };

			if (exec1(db, "outbox slack message", slack_ts_sql, 3, q, &res) < 0)
				approve_log(LOG_ERR, "outbox %s: Slack message %s not remembered: "
					    "its update will be a new message", c->row[0],
					    c->res.slack_ts);
			PQclear(res);
		}
		approve_log(LOG_INFO, "notification %s (%s %s) delivered to %s, attempt %s",
			    c->row[0], c->row[2], c->row[5] ? c->row[5] : "no request",
			    c->row[1], c->row[4]);
		return;
	}
	snprintf(age, sizeof(age), "%lu", o->cfg->max_age);
	snprintf(base, sizeof(base), "%lu", o->cfg->retry_base_ms);
	snprintf(max, sizeof(max), "%lu", o->cfg->retry_max);
	{
		const char *p[9] = { c->row[0], o->instance, c->res.error, sp,
				     c->res.permanent ? "true" : "false", age, base, max, ms };

		atomic_fetch_add(&o->st.failed_attempts, 1);
		if (exec1(db, "outbox failed", failed_sql, 9, p, &res) == 0 &&
		    PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "failed") == 0) {
			atomic_fetch_add(&o->st.gave_up, 1);
			approve_log(LOG_ERR, "notification %s (%s) to %s failed for good "
				    "after %s attempts: %s", c->row[0], c->row[2], c->row[1],
				    c->row[4], c->res.error);
		} else {
			approve_log(LOG_WARNING, "notification %s (%s) to %s: attempt %s "
				    "failed: %s; will retry", c->row[0], c->row[2], c->row[1],
				    c->row[4], c->res.error);
		}
		PQclear(res);
	}
}

/* Claim, load, deliver, record. The number of rows claimed, or -EIO. */
static int
round_once(struct outbox *o)
{
	char names[128], kinds[128], lease[24], lim[24];
	struct claimed cl[OUTBOX_BATCH];
	struct db_conn *db;
	PGresult *res = NULL;
	int n = 0, i, j, r = -EIO;

	memset(cl, 0, sizeof(cl));
	sink_arrays(o->cfg, names, kinds);
	db = db_get(o->db, DB_WAIT_MS);
	if (!db)
		return -EIO;
	if (!o->registered) {
		const char *p[2] = { names, kinds };
		const char *e[1] = { o->cfg->escalation_sink >= 0 ?
				     notify_kind_name[o->cfg->escalation_sink] : "" };

		if (exec1(db, "register sinks", register_sql, 2, p, &res) < 0)
			goto out;
		PQclear(res);
		res = NULL;
		if (exec1(db, "mark the escalation sink", escalation_sql, 1, e, &res) < 0)
			goto out;
		PQclear(res);
		res = NULL;
		o->registered = 1;
		approve_log(LOG_NOTICE, "notifications: sinks %s", names);
	}
	snprintf(lease, sizeof(lease), "%lu", OUTBOX_BATCH * o->cfg->timeout + LEASE_MARGIN_S);
	snprintf(lim, sizeof(lim), "%d", OUTBOX_BATCH);
	{
		const char *p[4] = { names, lease, o->claimer, lim };

		if (exec1(db, "outbox claim", claim_sql, 4, p, &res) < 0)
			goto out;
	}
	n = PQntuples(res);
	for (i = 0; i < n && i < OUTBOX_BATCH; i++) {
		for (j = 0; j < 9; j++)
			if (!PQgetisnull(res, i, j) && !(cl[i].row[j] = strdup(PQgetvalue(res, i, j))))
				goto oom;
		cl[i].m.id = strtoll(cl[i].row[0], NULL, 10);
		cl[i].m.kind = kind_of(cl[i].row[1]);
		cl[i].m.event = cl[i].row[2];
		cl[i].m.idempotency_key = cl[i].row[3];
		cl[i].m.slack_channel = cl[i].row[7];
		cl[i].m.slack_ts = cl[i].row[8];
		cl[i].m.public_url = o->public_url;
		if (cl[i].row[6])
			cl[i].m.payload = json_tokener_parse(cl[i].row[6]);
	}
	PQclear(res);
	res = NULL;
	/* the context as it is now (final requests never change again) */
	for (i = 0; i < n; i++) {
		if (!cl[i].row[5])
			continue;
		if (req_detail(db, cl[i].row[5], 0, o->public_url, &cl[i].m.request) < 0)
			cl[i].m.request = NULL;	/* judged below: retried */
	}
	db_put(o->db, db);
	db = NULL;

	for (i = 0; i < n; i++) {
		struct claimed *c = &cl[i];
		uint64_t t0 = approve_now_ms();

		if (atomic_load(&o->stopping))
			break;

		if (c->row[5] && !c->m.request) {
			snprintf(c->res.error, sizeof(c->res.error), "request context unavailable");
		} else if (!c->row[5] && !c->m.payload) {
			snprintf(c->res.error, sizeof(c->res.error), "reply without a payload");
			c->res.permanent = 1;
		} else {
			switch (c->m.kind) {
			case NOTIFY_WEBHOOK: notify_webhook_send(o->cfg, &c->m, &c->res); break;
			case NOTIFY_SLACK: notify_slack_send(o->cfg, &c->m, &c->res); break;
			case NOTIFY_TEAMS: notify_teams_send(o->cfg, &c->m, &c->res); break;
			default:	/* claimed only for our sinks: cannot happen */
				snprintf(c->res.error, sizeof(c->res.error), "unknown sink");
				c->res.permanent = 1;
				break;
			}
		}
		c->ms = approve_now_ms() - t0;
	}

	db = db_get(o->db, DB_WAIT_MS);
	if (!db) {	/* the lease runs out; the rows are claimed again */
		approve_log(LOG_ERR, "outbox: %d results not recorded: database unavailable", n);
		goto out;
	}
	for (j = 0; j < n; j++) {
		if (j < i) {
			record(o, db, &cl[j]);
		} else {
			const char *p[2] = { cl[j].row[0], o->claimer };

			if (exec1(db, "outbox release", release_sql, 2, p, &res) == 0)
				approve_log(LOG_INFO, "notification %s released at shutdown",
					    cl[j].row[0]);
			PQclear(res);
			res = NULL;
		}
	}
	r = n;
	goto out;
oom:
	approve_log(LOG_ERR, "outbox: out of memory");
out:
	PQclear(res);
	db_put(o->db, db);
	for (i = 0; i < OUTBOX_BATCH; i++)
		claimed_release(&cl[i]);
	return r;
}

static void
sweep(struct outbox *o)
{
	char age[24], remind[24], esc[24];
	const char *sink = o->cfg->escalation_sink >= 0 ?
			   notify_kind_name[o->cfg->escalation_sink] : "";
	struct db_conn *db = db_get(o->db, DB_WAIT_MS);
	PGresult *res = NULL;

	if (!db)
		return;
	release_dead_leases(o, db);
	snprintf(age, sizeof(age), "%lu", o->cfg->max_age);
	snprintf(remind, sizeof(remind), "%lu", o->cfg->remind_before);
	snprintf(esc, sizeof(esc), "%lu", o->cfg->escalate_after);
	{
		const char *p[1] = { age };

		if (exec1(db, "outbox give up", give_up_sql, 1, p, &res) == 0 && PQntuples(res) > 0) {
			atomic_fetch_add(&o->st.gave_up, (unsigned long)PQntuples(res));
			approve_log(LOG_ERR, "outbox: %d notifications not delivered within "
				    "%s s: given up", PQntuples(res), age);
		}
		PQclear(res);
		res = NULL;
	}
	if (o->cfg->remind_before || o->cfg->escalate_after) {
		const char *p[3] = { remind, esc, sink };

		exec1(db, "outbox reminders", remind_sql, 3, p, &res);
		PQclear(res);
		res = NULL;
	}
	if (exec1(db, "outbox gauge", gauge_sql, 0, NULL, &res) == 0 && PQntuples(res) == 1) {
		atomic_store(&o->st.pending, strtol(PQgetvalue(res, 0, 0), NULL, 10));
		atomic_store(&o->st.oldest_pending_s, strtol(PQgetvalue(res, 0, 1), NULL, 10));
	}
	PQclear(res);
	db_put(o->db, db);
}

/* A round of the worker: deliver, sweep when due; the next round at once
 * after a full batch (more may be due), else after poll_ms (at least
 * OUTBOX_RETRY_MS while the database is in trouble). */
static uint64_t
outbox_round(void *arg, struct periodic *p)
{
	struct outbox *o = arg;
	uint64_t wait_ms;
	int n;

	(void)p;
	n = round_once(o);
	if (n < 0 && !o->down_logged) {
		approve_log(LOG_WARNING, "outbox: database unavailable; notifications wait");
		o->down_logged = 1;
	} else if (n >= 0) {
		o->down_logged = 0;
	}
	if (approve_now_ms() >= o->next_sweep && o->registered) {
		sweep(o);
		o->next_sweep = approve_now_ms() + OUTBOX_SWEEP_MS;
	}
	wait_ms = n == OUTBOX_BATCH ? 0 : o->cfg->poll_ms;
	if (n < 0 && wait_ms < OUTBOX_RETRY_MS)
		wait_ms = OUTBOX_RETRY_MS;
	return wait_ms;
}

/* No sink here: the database stops writing rows for the sinks an
 * earlier configuration had (nobody would deliver them). A database that
 * does not answer yet is skipped: the next start tries again. */
static void
disable_all(struct db_pool *pool)
{
	const char *p[2] = { "{}", "{}" };
	struct db_conn *db = db_get(pool, DB_WAIT_MS);
	PGresult *res = NULL;

	if (db && exec1(db, "disable sinks", register_sql, 2, p, &res) == 0 &&
	    PQcmdTuples(res)[0] && strcmp(PQcmdTuples(res), "0") != 0)
		approve_log(LOG_NOTICE, "notifications: no sink configured; %s sink(s) "
			    "disabled", PQcmdTuples(res));
	PQclear(res);
	db_put(pool, db);
}

int
outbox_start(const struct approvald_config *cfg, const char *public_url,
	     const char *boot_id, struct db_pool *main_pool, struct outbox **out)
{
	struct outbox *o;
	char host[64];
	int r;

	*out = NULL;
	if (!notify_any_sink(&cfg->notify)) {
		disable_all(main_pool);
		return 0;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->cfg = &cfg->notify;
	o->public_url = strdup(public_url);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	snprintf(o->instance, sizeof(o->instance), "%s:%ld", host, (long)getpid());
	make_claimer(o, boot_id);
	r = o->public_url ? db_pool_new(cfg->database, 1, &o->db) : -ENOMEM;
	if (r < 0) {
		free(o->public_url);
		free(o);
		return r;
	}
	r = periodic_start(outbox_round, o, &o->worker);
	if (r < 0) {
		db_pool_free(o->db);
		free(o->public_url);
		free(o);
		return r;
	}
	*out = o;
	return 0;
}

void
outbox_stop(struct outbox *o)
{
	if (!o)
		return;
	/* no further send; what the thread still records gets DB_STOP_MS;
	 * a send in flight ends within notify_timeout */
	atomic_store(&o->stopping, 1);
	db_pool_stop(o->db);
	periodic_stop(o->worker);
	db_pool_free(o->db);
	free(o->public_url);
	free(o);
}

int
outbox_metrics(struct outbox *o, struct approve_buf *b)
{
	if (!o)
		return 0;
	return approve_buf_printf(b,
		"# HELP approvald_notifications_sent_total Notifications delivered.\n"
		"# TYPE approvald_notifications_sent_total counter\n"
		"approvald_notifications_sent_total %lu\n"
		"# HELP approvald_notification_failures_total Delivery attempts that failed.\n"
		"# TYPE approvald_notification_failures_total counter\n"
		"approvald_notification_failures_total %lu\n"
		"# HELP approvald_notification_retries_total Notifications delivered after a failed attempt.\n"
		"# TYPE approvald_notification_retries_total counter\n"
		"approvald_notification_retries_total %lu\n"
		"# HELP approvald_notifications_given_up_total Notifications failed for good.\n"
		"# TYPE approvald_notifications_given_up_total counter\n"
		"approvald_notifications_given_up_total %lu\n"
		"# HELP approvald_outbox_pending Notifications not yet delivered (all instances).\n"
		"# TYPE approvald_outbox_pending gauge\n"
		"approvald_outbox_pending %ld\n"
		"# HELP approvald_outbox_oldest_seconds Age of the oldest undelivered notification.\n"
		"# TYPE approvald_outbox_oldest_seconds gauge\n"
		"approvald_outbox_oldest_seconds %ld\n",
		atomic_load(&o->st.sent), atomic_load(&o->st.failed_attempts),
		atomic_load(&o->st.retries), atomic_load(&o->st.gave_up),
		atomic_load(&o->st.pending), atomic_load(&o->st.oldest_pending_s));
}

int
outbox_queue_slack_reply(struct db_conn *db, const char *response_url, const char *text)
{
	static const char sql[] =
		"INSERT INTO approval.outbox (sink, event, payload)"
		" SELECT 'slack', 'reply', pg_catalog.jsonb_build_object('response_url', $1::text,"
		"  'text', $2::text)"
		" FROM approval.notify_sinks s WHERE s.name = 'slack' AND s.enabled";
	const char *p[2] = { response_url, text };
	PGresult *res = NULL;
	int r = exec1(db, "queue Slack reply", sql, 2, p, &res);

	PQclear(res);
	return r;
}
