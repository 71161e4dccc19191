/* routes_reports.c: owns the report exports of docs/api.md ("Reports"):
 * GET /v1/reports (the catalogue with the views' descriptions),
 * GET /v1/reports/NAME (JSON) and GET /v1/reports/NAME.csv (RFC 4180,
 * formula-safe: common/csv.c). Readers only (auditor, approver, admin;
 * httpd.c checked the role before this runs).
 * NAME picks an entry of the fixed catalogue (common/report.c) by exact
 * match; the SQL text comes from that entry alone, the dates travel as
 * parameters after a strict check. A report runs in a read-only
 * transaction with the same output settings as `approvalctl report`, so
 * both exports of a period hold the same values. A period with more than
 * REPORT_ROW_MAX rows is refused whole (evidence is never cut short). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db.h"
#include "httpd.h"
#include "log.h"
#include "report.h"
#include "report_csv.h"
#include "text.h"
#include "wire.h"

#define REPORT_ROW_MAX 100000UL
#define REPORT_BODY_MAX (128UL << 20)	/* 128 MiB */
#define REPORT_NAME_MAX 32
#define VIEW_PREFIX "approval.report_"

/* ---- the period: ?from=YYYY-MM-DD&to=YYYY-MM-DD, nothing else ---- */

struct period {
	const char *from, *to;	/* NULL: open end */
	int n_from, n_to, bad;
};

/* Sizes too: a %00 in the query must not cut a value short unseen. */
static enum MHD_Result
period_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
	   const char *value, size_t value_size)
{
	struct period *p = cls;

	(void)kind;
	if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
		p->bad = 1;
	} else if (strcmp(key, "from") == 0) {
		p->n_from++;
		p->from = value;
	} else if (strcmp(key, "to") == 0) {
		p->n_to++;
		p->to = value;
	} else {
		p->bad = 1;
	}
	return MHD_YES;
}

/* 0, or -EINVAL with why (for the 400 detail). */
static int
period_parse(struct http_req *r, struct period *p, const char **why)
{
	memset(p, 0, sizeof(*p));
	MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, period_arg, p);
	*why = "only the parameters from and to (YYYY-MM-DD) are allowed, once each";
	if (p->bad || p->n_from > 1 || p->n_to > 1)
		return -EINVAL;
	*why = "from and to must be calendar dates YYYY-MM-DD";
	if ((p->n_from && !approve_report_date_valid(p->from)) ||
	    (p->n_to && !approve_report_date_valid(p->to)))
		return -EINVAL;
	*why = "from is after to";
	if (p->from && p->to && strcmp(p->from, p->to) > 0)
		return -EINVAL;
	return 0;
}

/* ---- running a report ---- */

/* Undo whatever the transaction did (nothing: it is read-only) and leave
 * the pooled connection idle; a connection left otherwise is replaced at
 * its next checkout (db.c). */
static void
end_transaction(struct db_conn *db)
{
	PGresult *res = NULL;

	if (db_exec(db, "ROLLBACK", 0, NULL, &res) < 0)
		db_log_error("report: ROLLBACK", res);
	PQclear(res);
}

/* The rows (at most REPORT_ROW_MAX + 1) and, for JSON, the column names.
 * 0, -EIO (database unreachable), -ETIMEDOUT (statement timeout) or
 * -EPROTO (any other database error, logged). */
static int
run_report(struct db_conn *db, const struct approve_report *rep, int as_json,
	   const struct period *p, PGresult **rows, PGresult **cols)
{
	char sql[1024], view[64];
	const char *params[2] = {
		p->from ? p->from : APPROVE_REPORT_FROM_ANY,
		p->to ? p->to : APPROVE_REPORT_TO_ANY,
	};
	const char *vparam[1] = { view };
	PGresult *res = NULL;
	int rc = -EPROTO, n;

	*rows = *cols = NULL;
	n = snprintf(view, sizeof(view), VIEW_PREFIX "%s", rep->name);
	if (n < 0 || (size_t)n >= sizeof(view) ||
	    approve_report_sql(rep, as_json, REPORT_ROW_MAX + 1, sql, sizeof(sql)) != 0) {
		approve_log(LOG_ERR, "report %s: query text too long", rep->name);
		return -EPROTO;
	}
	if (db_exec(db, "START TRANSACTION READ ONLY", 0, NULL, &res) < 0)
		goto fail;
	PQclear(res);
	if (db_exec(db, approve_report_settings_sql, 0, NULL, &res) < 0)
		goto fail;
	PQclear(res);
	/* the view's columns in order, also when no row matches */
	if (as_json && db_exec(db, "SELECT a.attname::text FROM pg_catalog.pg_attribute a"
			       " WHERE a.attrelid = $1::regclass AND a.attnum > 0"
			       " AND NOT a.attisdropped ORDER BY a.attnum", 1, vparam, cols) < 0) {
		res = *cols;
		*cols = NULL;
		goto fail;
	}
	if (db_exec(db, sql, 2, params, rows) < 0) {
		res = *rows;
		*rows = NULL;
		goto fail;
	}
	res = NULL;
	rc = 0;
	goto out;
fail:
	rc = db_failure(res, "report");
	PQclear(res);
	PQclear(*cols);
	*cols = NULL;
out:
	end_transaction(db);
	return rc;
}

/* ---- answers ---- */

/* {"report", "from", "to", "columns", "rows"} through json-c. Each row is
 * the database's own row_to_json text, which json-c prints as it is (its
 * userdata serializer); the whole text is then escaped for DEL, C1 and the
 * other hostile code points (to_json leaves them raw) into b. */
static int
json_body(const char *name, const struct period *p, const PGresult *rows,
	  const PGresult *cols, struct approve_buf *b)
{
	json_object *head = json_object_new_object(), *ca = json_object_new_array();
	json_object *ra = json_object_new_array(), *row;
	const char *s;
	int rc = -ENOMEM, i, n = PQntuples(rows);

	if (!ca || !ra)
		goto out;
	for (i = 0; i < PQntuples(cols); i++)
		if (approve_json_push(ca, json_object_new_string(PQgetvalue(cols, i, 0))) < 0)
			goto out;
	for (i = 0; i < n; i++) {
		/* the text stays the PGresult's, which outlives head */
		if (!(row = json_object_new_object()))
			goto out;
		json_object_set_serializer(row, json_object_userdata_to_json_string,
					   PQgetvalue(rows, i, 0), NULL);
		if (approve_json_push(ra, row) < 0)
			goto out;
	}
	if (approve_json_add_str(head, "report", name) < 0 ||
	    approve_json_add_str(head, "from", p->from) < 0 ||
	    approve_json_add_str(head, "to", p->to) < 0)
		goto out;
	rc = approve_json_add(head, "columns", ca);
	ca = NULL;	/* head's now, or freed */
	if (rc == 0)
		rc = approve_json_add(head, "rows", ra);
	ra = NULL;
	if (rc < 0)
		goto out;
	rc = -ENOMEM;
	s = json_object_to_json_string_ext(head, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		rc = approve_json_escape_hostile(b, s, strlen(s));
out:
	json_object_put(head);
	json_object_put(ca);
	json_object_put(ra);
	return rc;
}

static int
csv_body(const PGresult *rows, struct approve_buf *b)
{
	return approve_report_csv(rows, b, NULL, NULL);
}

static enum MHD_Result
too_many(struct http_req *r)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "more than %lu rows or %lu MiB: choose a shorter period",
		 REPORT_ROW_MAX, REPORT_BODY_MAX >> 20);
	return http_reply_error(r, 400, "too_many_rows", detail);
}

static enum MHD_Result
answer(struct http_req *r, const struct approve_report *rep, int as_csv,
       const struct period *p, const PGresult *rows, const PGresult *cols)
{
	struct approve_buf b;
	char disp[128];
	size_t len;
	char *body;
	int rc;

	if ((unsigned long)PQntuples(rows) > REPORT_ROW_MAX)
		return too_many(r);
	approve_buf_init(&b, REPORT_BODY_MAX);
	rc = as_csv ? csv_body(rows, &b) : json_body(rep->name, p, rows, cols, &b);
	if (rc == -E2BIG) {
		approve_buf_release(&b);
		return too_many(r);
	}
	len = b.len;
	body = rc == 0 ? approve_buf_take(&b) : NULL;
	approve_buf_release(&b);
	if (!body)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	approve_log(LOG_INFO, "report %s%s %s..%s: %d rows for %s", rep->name,
		    as_csv ? ".csv" : "", p->from ? p->from : "start", p->to ? p->to : "end",
		    PQntuples(rows), r->who.name);
	if (!as_csv)
		return http_reply_body(r, 200, "application/json; charset=utf-8", body, len,
				       NULL, NULL);
	/* name and dates were checked: letters, digits, '_' and '-' only */
	snprintf(disp, sizeof(disp), "attachment; filename=\"report_%s_%s_%s.csv\"",
		 rep->name, p->from ? p->from : "start", p->to ? p->to : "end");
	return http_reply_body(r, 200, "text/csv; charset=utf-8", body, len,
			       "Content-Disposition", disp);
}

enum MHD_Result
route_report(struct http_req *r)
{
	const struct approve_report *rep = NULL;
	char name[REPORT_NAME_MAX + 1];
	const char *why;
	struct period p;
	struct db_conn *db;
	PGresult *rows = NULL, *cols = NULL;
	enum MHD_Result ret;
	size_t n = strlen(r->param);
	int as_csv = 0, rc;

	if (n > 4 && strcmp(r->param + n - 4, ".csv") == 0) {
		as_csv = 1;
		n -= 4;
	}
	if (!r->param_bad && n <= REPORT_NAME_MAX) {
		memcpy(name, r->param, n);
		name[n] = '\0';
		rep = approve_report_find(name);
	}
	if (!rep)
		return http_reply_error(r, 404, "not_found", "no such report");
	if (period_parse(r, &p, &why) < 0)
		return http_reply_error(r, 400, "bad_request", why);
	db = db_get(r->app->db, DB_WAIT_MS);
	if (!db)
		return http_reply_db_down(r);
	rc = run_report(db, rep, !as_csv, &p, &rows, &cols);
	db_put(r->app->db, db);
	if (rc == -EIO)
		ret = http_reply_db_down(r);
	else if (rc == -ETIMEDOUT)
		ret = http_reply_error(r, 503, "timeout",
				       "the report took too long; choose a shorter period");
	else if (rc < 0)
		ret = http_reply_error(r, 500, "internal_error", "the report failed");
	else
		ret = answer(r, rep, as_csv, &p, rows, cols);
	PQclear(rows);
	PQclear(cols);
	return ret;
}

/* The catalogue, with each view's COMMENT (sql/003_reports.sql) as its
 * description, in catalogue order. */
enum MHD_Result
route_reports(struct http_req *r)
{
	struct approve_buf names;
	struct db_conn *db;
	PGresult *res = NULL;
	json_object *o = NULL, *a = NULL, *e;
	const char *params[1];
	size_t i;
	int rc, k;

	/* a text[] literal of the catalogue's names (identifiers only) */
	approve_buf_init(&names, 4096);
	rc = approve_buf_append(&names, "{", 1);
	for (i = 0; rc == 0 && i < approve_reports_count; i++)
		rc = approve_buf_printf(&names, "%s%s", i ? "," : "", approve_reports[i].name);
	if (rc == 0)
		rc = approve_buf_append(&names, "}", 1);
	if (rc != 0) {
		approve_buf_release(&names);
		return http_reply_error(r, 500, "internal_error", "out of memory");
	}
	params[0] = names.data;
	db = db_get(r->app->db, DB_WAIT_MS);
	if (!db) {
		approve_buf_release(&names);
		return http_reply_db_down(r);
	}
	rc = db_exec(db, "SELECT n.name, pg_catalog.obj_description(pg_catalog.to_regclass("
		     "'" VIEW_PREFIX "' || n.name), 'pg_class')"
		     " FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS n(name, i)"
		     " ORDER BY n.i", 1, params, &res);
	db_put(r->app->db, db);
	approve_buf_release(&names);
	if (rc < 0) {
		rc = db_failure(res, "report list");
		PQclear(res);
		return rc == -EPROTO ? http_reply_error(r, 500, "internal_error", "the list failed")
				     : http_reply_db_down(r);
	}
	o = json_object_new_object();
	a = json_object_new_array();
	for (k = 0; o && a && k < PQntuples(res); k++) {
		e = json_object_new_object();
		if (approve_json_push(a, e) < 0 ||
		    approve_json_add_str(e, "name", PQgetvalue(res, k, 0)) < 0 ||
		    approve_json_add_str(e, "description", PQgetisnull(res, k, 1) ? NULL :
					 PQgetvalue(res, k, 1)) < 0)
			break;
	}
	PQclear(res);
	if (!o || !a || (size_t)json_object_array_length(a) != approve_reports_count) {
		json_object_put(o);
		json_object_put(a);
		return http_reply_error(r, 500, "internal_error", "out of memory");
	}
	if (approve_json_add(o, "reports", a) < 0 ||
	    approve_json_add(o, "row_limit", json_object_new_int64((int64_t)REPORT_ROW_MAX)) < 0) {
		json_object_put(o);
		return http_reply_error(r, 500, "internal_error", "out of memory");
	}
	return http_reply_obj(r, 200, o);
}
