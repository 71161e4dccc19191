/* print.h: everything approvalctl writes on stdout from data it did not
 * produce itself: server answers (requests, events) and database rows (hosts,
 * approvers). Text output passes every string through
 * approve_sanitize_display; --json output is re-serialised with every control
 * character and hostile code point (common/text.h) escaped, so it is
 * terminal-safe and still exact. */
#ifndef APPROVALCTL_PRINT_H
#define APPROVALCTL_PRINT_H
#include <stddef.h>

struct json_object;

/* Strict JSON (RFC 8259 syntax, valid UTF-8, nothing but blanks after the
 * value, depth <= 32). 0 or -EINVAL. */
int ctl_json_parse(const char *data, size_t len, struct json_object **out);

/* Pretty JSON of o on stdout, hostile code points escaped. */
void ctl_print_json(struct json_object *o);
/* JSON text s (from json-c or the database) on stdout through
 * approve_json_escape_hostile. 0, -ENOMEM or -EIO. */
int ctl_put_json_text(const char *s);

/* GET /v1/requests answer ({"requests":[...]}) as a table. 0 or -EINVAL
 * when the shape is wrong (nothing printed). */
int ctl_print_requests(struct json_object *answer);
/* GET /v1/requests/ID detail with its events. 0 or -EINVAL. */
int ctl_print_request(struct json_object *detail);
/* One-line summary after a decision: "approved K7Q-4MX (alice -> root on web1)". */
int ctl_print_decision(struct json_object *detail);
/* One watch line: time, kind, code, host, requester -> target, command.
 * detail (the request) may be NULL when it could not be fetched. */
void ctl_print_event(struct json_object *event, struct json_object *detail);

/* A JSON array of row objects as a table: one column per entry of cols
 * (at most 8), cells sanitised; empty is printed when there are no rows.
 * 0 or -EINVAL when rows is not an array. */
struct ctl_column {
	const char *header;
	const char *key;
	size_t max;	/* bytes of a cell, 0: 256 */
	int time;	/* ISO 8601 UTC shown as "YYYY-MM-DD HH:MM:SS" */
};
int ctl_print_rows(struct json_object *rows, const struct ctl_column *cols, size_t ncols,
		   const char *empty);

/* Sanitised text of a field for display, malloc'd, never NULL ("-" when
 * absent or null; exits on ENOMEM). Strings are cut to max bytes; numbers
 * and booleans are printed; arrays of strings are joined with ','. */
char *ctl_field(struct json_object *o, const char *key, size_t max);

#endif
