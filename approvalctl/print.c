/* print.c: approvalctl's output of data it did not produce: requests and
 * events from approvald, host and approver rows from the database. Every
 * string shown as text goes through approve_sanitize_display (control
 * characters and invalid UTF-8 become '?', lengths are bounded); --json
 * output keeps exact values but escapes every control character. */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctx.h"
#include "print.h"
#include "text.h"
#include "wire.h"

#define CELL_MAX 256		/* bytes of a table cell */
#define COMMAND_CELL_MAX 72	/* the command column of a table */
#define TEXT_MAX 16384		/* a full field in 'show' (commands are <= 8 KiB) */

static void __attribute__((noreturn))
oom(void)
{
	ctl_err("out of memory");
	exit(CTL_FAILURE);
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

static char *
sanitize(const char *s, size_t len, size_t max)
{
	char *p = approve_sanitize_display(s, len, max);

	if (!p)
		oom();
	return p;
}

int
ctl_json_parse(const char *data, size_t len, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t end;
	int rc = -EINVAL;

	*out = NULL;
	if (!data || len == 0 || len > APPROVE_RESPONSE_MAX || memchr(data, 0, len))
		return -EINVAL;
	tok = json_tokener_new_ex(32);
	if (!tok)
		oom();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, data, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success)
		goto out;
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (!strchr(" \t\r\n", data[end]))
			goto out;
	*out = o;
	o = NULL;
	rc = 0;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return rc;
}

int
ctl_put_json_text(const char *s)
{
	struct approve_buf b;
	size_t n = strlen(s);
	int r;

	/* escaping at most multiplies a byte by 12 ("\\ud83d\\ude00" for 4) */
	approve_buf_init(&b, n > (SIZE_MAX - 1) / 12 ? SIZE_MAX - 1 : n * 12 + 1);
	r = approve_json_escape_hostile(&b, s, n);
	if (r == 0 && b.len && fwrite(b.data, 1, b.len, stdout) != b.len)
		r = -EIO;
	approve_buf_release(&b);
	return r;
}

void
ctl_print_json(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE);

	if (ctl_put_json_text(s ? s : "null") == -ENOMEM)
		oom();
	putchar('\n');
}

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/* The raw string of a field, or NULL when absent or not a string. */
static const char *
get_str(struct json_object *o, const char *key, size_t *len)
{
	struct json_object *v = get(o, key);

	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

char *
ctl_field(struct json_object *o, const char *key, size_t max)
{
	struct json_object *v = get(o, key);
	char num[32];
	size_t len;
	char *out;

	if (!v)
		return xstrdup("-");
	switch (json_object_get_type(v)) {
	case json_type_string:
		len = (size_t)json_object_get_string_len(v);
		return len ? sanitize(json_object_get_string(v), len, max) : xstrdup("-");
	case json_type_int:
		snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
		return xstrdup(num);
	case json_type_boolean:
		return xstrdup(json_object_get_boolean(v) ? "yes" : "no");
	case json_type_array: {
		struct approve_buf b;
		size_t n = json_object_array_length(v);

		approve_buf_init(&b, APPROVE_RESPONSE_MAX);
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			const char *s = json_object_get_string(e);

			if ((i && approve_buf_append(&b, ",", 1) != 0) ||
			    approve_buf_append_str(&b, s ? s : "") != 0)
				oom();
		}
		out = b.len ? sanitize(b.data, b.len, max) : xstrdup("-");
		approve_buf_release(&b);
		return out;
	}
	default:
		return xstrdup("?");
	}
}

/* "2026-11-26T11:22:39.123456Z" -> "2026-11-26 11:22:39"; anything else is
 * shown sanitised as it is. */
static char *
time_field(struct json_object *o, const char *key)
{
	size_t len = 0;
	const char *s = get_str(o, key, &len);
	char *out;

	if (!s)
		return xstrdup("-");
	if (len >= 20 && s[4] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[len - 1] == 'Z' && (s[19] == '.' || s[19] == 'Z')) {
		out = sanitize(s, 19, 19);
		out[10] = ' ';
		return out;
	}
	return sanitize(s, len, 64);
}

/* A command as approvers read it (common/text.h approve_command_display:
 * blanks and hidden characters as markers, head ... tail past max
 * characters); *shape may be NULL. "-" when absent. */
static char *
command_text(struct json_object *o, const char *key, size_t max,
	     struct approve_cmd_shape *shape)
{
	struct approve_cmd_shape sh;
	size_t len;
	const char *s = get_str(o, key, &len);
	char *out;

	if (!shape)
		shape = &sh;
	if (!s || !len) {
		memset(shape, 0, sizeof(*shape));
		return xstrdup("-");
	}
	out = approve_command_display(s, len, max, shape);
	if (!out)
		oom();
	return out;
}

/* The command approvers should read first: sudo's resolved command when
 * the host reported one, else the invocation. */
static char *
command_field(struct json_object *o, size_t max)
{
	size_t len;

	if (get_str(o, "sudo_command", &len) && len)
		return command_text(o, "sudo_command", max, NULL);
	return command_text(o, "command", max, NULL);
}

/* A whole command in 'show', with what its display does not say by itself. */
static void
command_kv(struct json_object *o, const char *label, const char *key)
{
	struct approve_cmd_shape sh;
	char *text = command_text(o, key, TEXT_MAX, &sh);

	printf("%-14s %s\n", label, text);
	free(text);
	if (sh.lines > 1)
		printf("%-14s command has %zu lines (\u23ce marks a line break)\n", "", sh.lines);
	if (sh.rtl)
		printf("%-14s holds right-to-left text, shown in stored order\n", "");
}

static char *
join3(const char *a, const char *sep, const char *b)
{
	size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
	char *p = malloc(n);

	if (!p)
		oom();
	snprintf(p, n, "%s%s%s", a, sep, b);
	return p;
}

/* Display width of sanitised text: one column per UTF-8 character. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* A table of owned cells, printed with columns padded to their widest cell
 * (the last column is not padded). Row 0 holds the headers. */
#define TABLE_COLS 10
struct table {
	size_t ncols, nrows, cap;
	char *(*rows)[TABLE_COLS];
};

/* Takes ownership of cells[0..ncols-1]. */
static void
table_add(struct table *t, char **cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		void *p = reallocarray(t->rows, cap, sizeof(*t->rows));

		if (!p)
			oom();
		t->rows = p;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++)
		t->rows[t->nrows][i] = cells[i];
	t->nrows++;
}

static void
table_init(struct table *t, size_t ncols, const char *const *headers)
{
	char *row[TABLE_COLS];

	memset(t, 0, sizeof(*t));
	t->ncols = ncols < TABLE_COLS ? ncols : TABLE_COLS;
	for (size_t i = 0; i < t->ncols; i++)
		row[i] = xstrdup(headers[i]);
	table_add(t, row);
}

static void
table_print(struct table *t)
{
	size_t w[TABLE_COLS] = { 0 };

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			size_t cw = width(t->rows[r][i]);

			if (cw > w[i])
				w[i] = cw;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *cell = t->rows[r][i];

			fputs(cell, stdout);
			if (i + 1 == t->ncols)
				break;
			for (size_t pad = width(cell); pad < w[i] + 2; pad++)
				putchar(' ');
		}
		putchar('\n');
	}
}

static void
table_free(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++)
			free(t->rows[r][i]);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* The STATUS cell: the state, and why a request ended undecided when that
 * is more than the state says: "cancelled (interrupted)", "cancelled
 * (timeout)", "cancelled (unspecified)"; an expiry is just "expired". */
static char *
status_cell(struct json_object *r)
{
	char *st = ctl_field(r, "status", 16), *why, *out, *wrapped;

	if (!get(r, "cancel_reason"))
		return st;
	why = ctl_field(r, "cancel_reason", 16);
	if (strcmp(why, "-") == 0 || strcmp(why, st) == 0) {
		free(why);
		return st;
	}
	wrapped = join3("(", why, ")");
	out = join3(st, " ", wrapped);
	free(wrapped);
	free(why);
	free(st);
	return out;
}

int
ctl_print_requests(struct json_object *answer)
{
	static const char *const headers[] = { "CODE", "STATUS", "CREATED (UTC)", "HOST",
					       "REQUESTER -> TARGET", "BY", "SERVICE",
					       "COMMAND" };
	struct json_object *list = get(answer, "requests");
	struct table t;
	size_t n;

	if (!list || !json_object_is_type(list, json_type_array))
		return -EINVAL;
	n = json_object_array_length(list);
	if (n == 0) {
		fputs("no requests\n", stdout);
		return 0;
	}
	table_init(&t, 8, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(list, i);
		char *user = ctl_field(r, "user", CELL_MAX);
		char *target = ctl_field(r, "target_user", CELL_MAX);
		/* BY: the initiator kind (human, agent, ci; "-" before sql/010) */
		char *row[8] = {
			ctl_field(r, "code", 16), status_cell(r),
			time_field(r, "created_at"), ctl_field(r, "host", CELL_MAX),
			join3(user, " -> ", target), ctl_field(r, "initiator", 16),
			ctl_field(r, "service", CELL_MAX),
			command_field(r, COMMAND_CELL_MAX),
		};

		free(user);
		free(target);
		table_add(&t, row);
	}
	table_print(&t);
	table_free(&t);
	return 0;
}

static void
kv(const char *label, char *value)
{
	printf("%-14s %s\n", label, value);
	free(value);
}

/* A field shown only when present. */
static void
kv_opt(struct json_object *o, const char *label, const char *key)
{
	size_t len;

	if (get_str(o, key, &len) && len)
		kv(label, ctl_field(o, key, TEXT_MAX));
}

/* "command cut: N of M bytes shown" under a command text that approvald
 * says was cut (<prefix>_truncated, _shown, _length). */
static void
cut_note(struct json_object *o, const char *prefix)
{
	struct json_object *t, *n, *m;
	char key[64];

	snprintf(key, sizeof(key), "%s_truncated", prefix);
	t = get(o, key);
	snprintf(key, sizeof(key), "%s_shown", prefix);
	n = get(o, key);
	snprintf(key, sizeof(key), "%s_length", prefix);
	m = get(o, key);
	if (!t || !json_object_is_type(t, json_type_boolean) ||
	    !json_object_get_boolean(t))
		return;
	if (n && m && json_object_is_type(n, json_type_int) &&
	    json_object_is_type(m, json_type_int))
		printf("%-14s command cut: %lld of %lld bytes shown\n", "",
		       (long long)json_object_get_int64(n),
		       (long long)json_object_get_int64(m));
	else
		printf("%-14s command cut\n", "");
}

/* Who or what initiated it: the kind, what the requester reported (its
 * own words) and what the module observed (facts), each block labelled. */
static void
print_initiator(struct json_object *d)
{
	struct json_object *anc = get(d, "ancestry"), *v;
	size_t i, n;

	kv_opt(d, "Initiator", "initiator");
	if (get(d, "agent") || get(d, "run_url") || get(d, "commit") || get(d, "prompt")) {
		fputs("Context reported by the requester (not verified):\n", stdout);
		kv_opt(d, "  Agent", "agent");
		kv_opt(d, "  Run", "run_url");
		kv_opt(d, "  Commit", "commit");
		kv_opt(d, "  Prompt", "prompt");
	}
	fputs("Context observed by the module:\n", stdout);
	n = anc && json_object_is_type(anc, json_type_array) ?
	    json_object_array_length(anc) : 0;
	if (n == 0)
		printf("%-14s (not observed)\n", "  Ancestry");
	/* eldest first, as "sshd -> bash -> sudo" reads */
	for (i = n; i-- > 0;) {
		struct json_object *e = json_object_array_get_idx(anc, i);
		char *pid = ctl_field(e, "pid", 32), *exe = ctl_field(e, "exe", CELL_MAX);
		char *argv = ctl_field(e, "argv", CELL_MAX);

		printf("%-14s %s %s  [%s]\n", i == n - 1 ? "  Ancestry" : "",
		       pid, get(e, "exe") ? exe : "(executable not readable)", argv);
		free(pid);
		free(exe);
		free(argv);
	}
	kv_opt(d, "  Login uid", "loginuid");
	kv_opt(d, "  Audit session", "audit_session");
	v = get(d, "tty_attached");
	if (v && json_object_is_type(v, json_type_boolean))
		printf("%-14s %s\n", "  Terminal", json_object_get_boolean(v) ?
		       "attached" : "none");
	kv_opt(d, "  Not observed", "observed_note");
}

int
ctl_print_request(struct json_object *d)
{
	struct json_object *events = get(d, "events"), *self = get(d, "self");
	char *a, *b;

	if (!json_object_is_type(d, json_type_object) || !get(d, "id"))
		return -EINVAL;
	a = ctl_field(d, "code", 16);
	b = ctl_field(d, "id", 64);
	printf("%-14s %s  (%s)\n", "Request", a, b);
	free(a);
	free(b);
	kv("Status", ctl_field(d, "status", 16));
	a = ctl_field(d, "host", CELL_MAX);
	b = ctl_field(d, "hostname", CELL_MAX);
	printf("%-14s %s (reports hostname %s)\n", "Host", a, b);
	free(a);
	free(b);
	a = ctl_field(d, "user", CELL_MAX);
	b = ctl_field(d, "uid", 32);
	printf("%-14s %s (uid %s)\n", "Requester", a, b);
	free(a);
	free(b);
	kv("Target user", ctl_field(d, "target_user", CELL_MAX));
	kv("Service", ctl_field(d, "service", CELL_MAX));
	if (get(d, "sudo_command")) {
		command_kv(d, "Sudo command", "sudo_command");
		cut_note(d, "sudo_command");
	}
	command_kv(d, "Command line", "command");
	cut_note(d, "command");
	kv_opt(d, "Cwd", "cwd");
	kv_opt(d, "Tty", "tty");
	kv_opt(d, "Remote host", "rhost");
	/* typed by the requester: labelled so nobody mistakes it for a fact */
	kv_opt(d, "Reason (req.)", "reason");
	kv_opt(d, "Ticket (req.)", "ticket");
	print_initiator(d);
	kv("Created", time_field(d, "created_at"));
	kv("Expires", time_field(d, "expires_at"));
	if (get(d, "requester_gives_up_at"))	/* the module's own timeout= */
		kv("Gives up", time_field(d, "requester_gives_up_at"));
	if (get(d, "decided_at")) {
		kv("Decided", time_field(d, "decided_at"));
		kv_opt(d, "Decided by", "decided_by");
		kv_opt(d, "Comment", "comment");
	}
	/* interrupted (Ctrl-C), timeout (the module's), unspecified, expired */
	kv_opt(d, "Ended because", "cancel_reason");
	kv_opt(d, "Digest", "digest");
	kv_opt(d, "URL", "url");
	if (self && json_object_is_type(self, json_type_boolean) &&
	    json_object_get_boolean(self))
		fputs("Note           you are the requester: you may not decide this request\n",
		      stdout);
	if (!events || !json_object_is_type(events, json_type_array))
		return 0;
	fputs("\nHistory (UTC):\n", stdout);
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		struct json_object *e = json_object_array_get_idx(events, i);
		char *at = time_field(e, "at"), *kind = ctl_field(e, "kind", 32);
		char *actor = ctl_field(e, "actor", CELL_MAX);
		size_t len;

		printf("  %s  %-21s  %s", at, kind, actor);
		if (get(e, "actor_kind")) {
			char *ak = ctl_field(e, "actor_kind", 16);

			printf(" (%s)", ak);
			free(ak);
		}
		if (get(e, "cancel_reason")) {
			char *why = ctl_field(e, "cancel_reason", 16);

			printf(": %s", why);
			free(why);
		}
		if (get_str(e, "detail", &len) && len) {
			char *detail = ctl_field(e, "detail", TEXT_MAX);

			printf("  \"%s\"", detail);
			free(detail);
		}
		putchar('\n');
		free(at);
		free(kind);
		free(actor);
	}
	return 0;
}

int
ctl_print_decision(struct json_object *d)
{
	char *status = ctl_field(d, "status", 16), *code = ctl_field(d, "code", 16);
	char *user = ctl_field(d, "user", CELL_MAX), *target = ctl_field(d, "target_user", CELL_MAX);
	char *host = ctl_field(d, "host", CELL_MAX);

	printf("%s %s (%s -> %s on %s)\n", status, code, user, target, host);
	free(status);
	free(code);
	free(user);
	free(target);
	free(host);
	return json_object_is_type(d, json_type_object) ? 0 : -EINVAL;
}

void
ctl_print_event(struct json_object *ev, struct json_object *d)
{
	char *at = time_field(ev, "at"), *kind = ctl_field(ev, "kind", 32);
	char *code = ctl_field(ev, "code", 16);
	char *host = ctl_field(d, "host", CELL_MAX), *user = ctl_field(d, "user", CELL_MAX);
	char *target = ctl_field(d, "target_user", CELL_MAX);
	char *cmd = command_field(d, 512);

	printf("%s  %-9s  %s  %s  %s -> %s  %s\n", at, kind, code, host, user, target, cmd);
	fflush(stdout);
	free(at);
	free(kind);
	free(code);
	free(host);
	free(user);
	free(target);
	free(cmd);
}

int
ctl_print_rows(struct json_object *rows, const struct ctl_column *cols, size_t ncols,
	       const char *empty)
{
	const char *headers[TABLE_COLS];
	struct table t;
	size_t n;

	if (!json_object_is_type(rows, json_type_array) || ncols == 0 || ncols > TABLE_COLS)
		return -EINVAL;
	n = json_object_array_length(rows);
	if (n == 0) {
		printf("%s\n", empty);
		return 0;
	}
	for (size_t i = 0; i < ncols; i++)
		headers[i] = cols[i].header;
	table_init(&t, ncols, headers);
	for (size_t r = 0; r < n; r++) {
		struct json_object *row = json_object_array_get_idx(rows, r);
		char *cells[TABLE_COLS];

		for (size_t i = 0; i < ncols; i++)
			cells[i] = cols[i].time ? time_field(row, cols[i].key) :
				   ctl_field(row, cols[i].key, cols[i].max ? cols[i].max : CELL_MAX);
		table_add(&t, cells);
	}
	table_print(&t);
	table_free(&t);
	return 0;
}
