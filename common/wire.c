/* wire.c: owns the JSON wire types of docs/api.md (request context, status,
 * decision, error) with json-c: strict parsing of client-to-server bodies
 * (object only, known fields only, exact types, UTF-8 without NUL, length
 * limits, no duplicate keys), tolerant-but-bounded parsing of server
 * answers, encoding and the context digest (UTF-8 and display rules are
 * common/text.c's). Parsers fill nothing on failure. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "buf.h"
#include "wire.h"

#define JSON_DEPTH 8
#define LEN_EXPIRES 64
#define LEN_ERROR 256

/* ---- parsing helpers ---- */

/* One pass over the raw text before json-c sees it, for what json-c lets
 * through: \u0000 escapes anywhere (json-c would silently cut keys at
 * them), lone UTF-16 surrogate escapes (json-c stores U+FFFD for them, so
 * the text kept would not be the text sent), raw control bytes inside
 * strings (JSON forbids them; json-c's strict mode does not), and the
 * number of top-level keys, to detect duplicates (json-c keeps only the
 * last one, which would let a body say two things). Only meaningful for
 * text json-c then accepts. */
enum { SCAN_OK = 0, SCAN_NUL_ESCAPE, SCAN_CONTROL, SCAN_SURROGATE };

/* The value of the 4 hex digits of a "\uXXXX" escape whose backslash is at
 * s[i], or -1 when there are not 4 hex digits (json-c refuses that). */
static long
u_escape(const char *s, size_t n, size_t i)
{
	long v = 0;
	size_t k;

	if (i + 5 >= n || s[i] != '\\' || s[i + 1] != 'u')
		return -1;
	for (k = i + 2; k < i + 6; k++) {
		char c = s[k];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static int
json_prescan(const char *s, size_t n, size_t *top_keys)
{
	size_t i, j, keys = 0;
	int depth = 0, in_str = 0, str_depth = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!in_str) {
			if (c == '"') {
				in_str = 1;
				str_depth = depth;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				depth--;
			}
			continue;
		}
		if ((unsigned char)c < 0x20)
			return SCAN_CONTROL;
		if (c == '\\') {
			long u = u_escape(s, n, i), lo;

			if (u == 0)
				return SCAN_NUL_ESCAPE;
			if (u >= 0xdc00 && u <= 0xdfff)
				return SCAN_SURROGATE;	/* low without high */
			if (u >= 0xd800 && u <= 0xdbff) {
				lo = u_escape(s, n, i + 6);
				if (lo < 0xdc00 || lo > 0xdfff)
					return SCAN_SURROGATE;
				i += 11;	/* the pair */
				continue;
			}
			i++;	/* skip the escaped character ("\\\\" included) */
			continue;
		}
		if (c != '"')
			continue;
		in_str = 0;
		for (j = i + 1; j < n && (s[j] == ' ' || s[j] == '\t' ||
					  s[j] == '\n' || s[j] == '\r'); j++)
			;
		if (str_depth == 1 && j < n && s[j] == ':')
			keys++;
	}
	*top_keys = keys;
	return SCAN_OK;
}

static int
json_parse_object(const char *json, size_t len, size_t max,
		  struct json_object **out, char *err, size_t errlen)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	enum json_tokener_error je;
	size_t end, keys = 0;
	int r = -EINVAL;

	*out = NULL;
	if (!json || len == 0) {
		approve_errf(err, errlen, "empty body");
		goto out;
	}
	if (len > max || len > INT32_MAX) {
		approve_errf(err, errlen, "body over %zu bytes", max);
		goto out;
	}
	if (memchr(json, '\0', len)) {
		approve_errf(err, errlen, "NUL byte in body");
		goto out;
	}
	switch (json_prescan(json, len, &keys)) {
	case SCAN_NUL_ESCAPE:
		approve_errf(err, errlen, "\\u0000 in a string");
		goto out;
	case SCAN_CONTROL:
		approve_errf(err, errlen, "control character in a string");
		goto out;
	case SCAN_SURROGATE:
		approve_errf(err, errlen, "lone UTF-16 surrogate escape in a string");
		goto out;
	}
	if (!approve_utf8_valid(json, len)) {
		approve_errf(err, errlen, "invalid UTF-8");
		goto out;
	}
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok) {
		approve_errf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, json, (int)len);
	je = json_tokener_get_error(tok);
	if (!o || je != json_tokener_success) {
		if (je == json_tokener_continue)
			approve_errf(err, errlen, "malformed JSON: truncated or not an object");
		else
			approve_errf(err, errlen, "malformed JSON: %s", json_tokener_error_desc(je));
		goto out;
	}
	end = json_tokener_get_parse_end(tok);
	for (; end < len; end++) {
		char c = json[end];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			approve_errf(err, errlen, "malformed JSON: trailing data");
			goto out;
		}
	}
	if (!json_object_is_type(o, json_type_object)) {
		approve_errf(err, errlen, "body is not a JSON object");
		goto out;
	}
	if (keys != (size_t)json_object_object_length(o)) {
		approve_errf(err, errlen, "duplicate field");
		goto out;
	}
	*out = o;
	o = NULL;
	r = 0;
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return r;
}

/* Read an optional string field: absent or null leaves *dst NULL. A
 * present value must be a string, valid UTF-8 without NUL, <= max bytes,
 * and non-empty when nonempty is set. */
static int
get_str(struct json_object *o, const char *key, size_t max, int required,
	int nonempty, char **dst, char *err, size_t errlen)
{
	struct json_object *v;
	const char *s;
	int n;

	*dst = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (required) {
			approve_errf(err, errlen, "missing field \"%s\"", key);
			return -EINVAL;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		approve_errf(err, errlen, "field \"%s\" must be a string", key);
		return -EINVAL;
	}
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (!s || n < 0 || strlen(s) != (size_t)n) {
		approve_errf(err, errlen, "field \"%s\" holds a NUL", key);
		return -EINVAL;
	}
	if ((size_t)n > max) {
		approve_errf(err, errlen, "field \"%s\" over %zu bytes", key, max);
		return -EINVAL;
	}
	if (nonempty && n == 0) {
		approve_errf(err, errlen, "field \"%s\" is empty", key);
		return -EINVAL;
	}
	if (!approve_utf8_valid(s, (size_t)n)) {
		approve_errf(err, errlen, "field \"%s\" is not valid UTF-8", key);
		return -EINVAL;
	}
	*dst = strndup(s, (size_t)n);
	if (!*dst) {
		approve_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Only the listed keys may appear. */
static int
check_known(struct json_object *o, const char *const *known, char *err,
	    size_t errlen)
{
	size_t i;

	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; known[i]; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (!known[i]) {
			char shown[64];

			/* the key is client text: show a bounded, printable form */
			for (i = 0; key[i] && i < sizeof(shown) - 1; i++)
				shown[i] = ((unsigned char)key[i] < 0x20 ||
					    (unsigned char)key[i] >= 0x7f) ? '?' : key[i];
			shown[i] = '\0';
			approve_errf(err, errlen, "unknown field \"%s\"", shown);
			return -EINVAL;
		}
	}
	return 0;
}

static char *
json_dup_out(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return s ? strdup(s) : NULL;
}

/* Serialise o into *out and drop o. 0 or -ENOMEM. */
static int
json_emit(struct json_object *o, char **out)
{
	*out = json_dup_out(o);
	json_object_put(o);
	return *out ? 0 : -ENOMEM;
}

/* Add key: s when s is not NULL. */
static int
add_str(struct json_object *o, const char *key, const char *s)
{
	struct json_object *v;

	if (!s)
		return 0;
	v = json_object_new_string(s);
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* ---- states ---- */

static const char *const state_names[] = {
	[APPROVE_PENDING] = "pending",
	[APPROVE_APPROVED] = "approved",
	[APPROVE_DENIED] = "denied",
	[APPROVE_EXPIRED] = "expired",
	[APPROVE_CANCELLED] = "cancelled",
};

const char *
approve_state_name(enum approve_state s)
{
	if ((int)s < 0 || (size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return NULL;
	return state_names[s];
}

enum approve_state
approve_state_parse(const char *s)
{
	size_t i;

	if (!s)
		return APPROVE_STATE_INVALID;
	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum approve_state)i;
	return APPROVE_STATE_INVALID;
}

int
approve_initiator_valid(const char *s)
{
	return s && (!strcmp(s, "human") || !strcmp(s, "agent") || !strcmp(s, "ci"));
}

/* ---- request context ---- */

struct ctx_field {
	const char *name;
	size_t off;
	size_t max;
	int required;
};

#define CTX_F(f, m, req) { #f, offsetof(struct approve_ctx, f), m, req }
static const struct ctx_field ctx_fields[] = {
	CTX_F(service, APPROVE_LEN_NAME, 1),
	CTX_F(user, APPROVE_LEN_NAME, 1),
	CTX_F(target_user, APPROVE_LEN_NAME, 1),
	CTX_F(command, APPROVE_LEN_COMMAND, 1),
	CTX_F(sudo_command, APPROVE_LEN_COMMAND, 0),
	CTX_F(tty, APPROVE_LEN_NAME, 0),
	CTX_F(rhost, APPROVE_LEN_NAME, 0),
	CTX_F(cwd, APPROVE_LEN_CWD, 0),
	CTX_F(hostname, APPROVE_LEN_NAME, 1),
	CTX_F(reason, APPROVE_LEN_REASON, 0),
	CTX_F(ticket, APPROVE_LEN_TICKET, 0),
	CTX_F(idempotency_key, APPROVE_IDEM_KEY_MAX, 0),
	CTX_F(nonce, APPROVE_NONCE_MAX, 0),
	CTX_F(agent, APPROVE_LEN_NAME, 0),
	CTX_F(run_url, APPROVE_LEN_URL, 0),
	CTX_F(commit, APPROVE_LEN_NAME, 0),
	CTX_F(prompt, APPROVE_LEN_PROMPT, 0),
	CTX_F(observed_note, APPROVE_LEN_NOTE, 0),
	CTX_F(groups, APPROVE_LEN_GROUPS, 0),
};
#define N_CTX_FIELDS (sizeof(ctx_fields) / sizeof(ctx_fields[0]))
#define CTX_STR(c, i) ((char **)((char *)(c) + ctx_fields[i].off))

#define UID_MAX_WIRE 4294967295LL

void
approve_ctx_free(struct approve_ctx *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < N_CTX_FIELDS; i++)
		free(*CTX_STR(c, i));
	for (i = 0; i < c->n_ancestry; i++) {
		free(c->ancestry[i].exe);
		free(c->ancestry[i].argv);
	}
	free(c->ancestry);
	free(c);
}

/* NULL (absent) or 16..64 of [A-Za-z0-9_-]. 0 or -EINVAL. */
static int
idem_key_check(const char *k, char *err, size_t errlen)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
	size_t n;

	if (!k)
		return 0;
	n = strlen(k);
	if (n < APPROVE_IDEM_KEY_MIN || n > APPROVE_IDEM_KEY_MAX || strspn(k, ok) != n) {
		approve_errf(err, errlen, "field \"idempotency_key\" must be %d..%d "
			     "characters of A-Z a-z 0-9 _ -", APPROVE_IDEM_KEY_MIN,
			     APPROVE_IDEM_KEY_MAX);
		return -EINVAL;
	}
	return 0;
}

/* The four fields of a struct approve_cmd_full, for the wire. */
static const char *const cmd_full_keys[2][4] = {
	{ "command_length", "command_shown", "command_truncated", "command_sha256" },
	{ "sudo_command_length", "sudo_command_shown", "sudo_command_truncated",
	  "sudo_command_sha256" },
};

static int
is_digest(const char *s);

/* A reported approve_cmd_full is consistent, beside a text field. */
static int
cmd_full_validate(const struct approve_cmd_full *f, const char *text,
		  const char *name, char *err, size_t errlen)
{
	if (!f->sha256[0])
		return 0;
	if (!text) {
		approve_errf(err, errlen, "%s_* without \"%s\"", name, name);
		return -EINVAL;
	}
	if (!is_digest(f->sha256)) {
		approve_errf(err, errlen, "field \"%s_sha256\" is not 64 lowercase hex", name);
		return -EINVAL;
	}
	if (f->length < 0 || f->length > APPROVE_CMD_LENGTH_MAX || f->shown < 0 ||
	    f->shown > f->length) {
		approve_errf(err, errlen, "fields \"%s_length\"/\"%s_shown\" out of range",
			     name, name);
		return -EINVAL;
	}
	if (f->truncated != (f->shown < f->length)) {
		approve_errf(err, errlen, "field \"%s_truncated\" contradicts the lengths",
			     name);
		return -EINVAL;
	}
	return 0;
}

static int
cmd_full_to_json(struct json_object *o, const struct approve_cmd_full *f,
		 const char *const keys[4])
{
	struct json_object *v[4];
	int i;

	if (!f->sha256[0])
		return 0;
	v[0] = json_object_new_int64(f->length);
	v[1] = json_object_new_int64(f->shown);
	v[2] = json_object_new_boolean(f->truncated);
	v[3] = json_object_new_string(f->sha256);
	for (i = 0; i < 4; i++) {
		if (!v[i] || json_object_object_add(o, keys[i], v[i]) != 0) {
			for (; i < 4; i++)
				json_object_put(v[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Read the four fields (all or none) into *f. */
static int
cmd_full_from_json(struct json_object *o, const char *const keys[4],
		   struct approve_cmd_full *f, char *err, size_t errlen)
{
	struct json_object *v[4];
	char *hex = NULL;
	int i, n = 0, r;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < 4; i++) {
		v[i] = NULL;
		if (json_object_object_get_ex(o, keys[i], &v[i]) && v[i])
			n++;
	}
	if (n == 0)
		return 0;
	if (n != 4) {
		approve_errf(err, errlen, "\"%s\" and its three companions come together",
			     keys[3]);
		return -EINVAL;
	}
	for (i = 0; i < 2; i++)
		if (!json_object_is_type(v[i], json_type_int)) {
			approve_errf(err, errlen, "field \"%s\" must be an integer", keys[i]);
			return -EINVAL;
		}
	if (!json_object_is_type(v[2], json_type_boolean)) {
		approve_errf(err, errlen, "field \"%s\" must be a boolean", keys[2]);
		return -EINVAL;
	}
	r = get_str(o, keys[3], APPROVE_HASH_HEX_LEN, 1, 1, &hex, err, errlen);
	if (r < 0)
		return r;
	if (strlen(hex) != APPROVE_HASH_HEX_LEN) {
		free(hex);
		approve_errf(err, errlen, "field \"%s\" is not 64 lowercase hex", keys[3]);
		return -EINVAL;
	}
	memcpy(f->sha256, hex, APPROVE_HASH_HEX_LEN + 1);
	free(hex);
	/* above INT64_MAX json-c saturates; the range check refuses it */
	f->length = json_object_get_int64(v[0]);
	f->shown = json_object_get_int64(v[1]);
	f->truncated = json_object_get_boolean(v[2]);
	return 0;
}

/* The observed fields: at most APPROVE_ANCESTRY_MAX ancestors with a pid
 * in 1..PID_MAX_WIRE and bounded UTF-8 exe/argv; audit ids 0..2^32-1. */
#define PID_MAX_WIRE 4194304LL	/* the kernel's PID_MAX_LIMIT */
static int
observed_validate(const struct approve_ctx *c, char *err, size_t errlen)
{
	size_t i;

	if (c->n_ancestry > APPROVE_ANCESTRY_MAX || (c->n_ancestry && !c->ancestry)) {
		approve_errf(err, errlen, "field \"ancestry\" over %d entries",
			     APPROVE_ANCESTRY_MAX);
		return -EINVAL;
	}
	for (i = 0; i < c->n_ancestry; i++) {
		const struct approve_proc *p = &c->ancestry[i];

		if (p->pid < 1 || p->pid > PID_MAX_WIRE ||
		    (p->exe && (strlen(p->exe) > APPROVE_LEN_EXE ||
				!approve_utf8_valid(p->exe, strlen(p->exe)))) ||
		    (p->argv && (strlen(p->argv) > APPROVE_LEN_ARGV ||
				 !approve_utf8_valid(p->argv, strlen(p->argv))))) {
			approve_errf(err, errlen, "field \"ancestry\" entry %zu invalid "
				     "(pid 1..%lld, exe <= %d, argv <= %d bytes of UTF-8)",
				     i, PID_MAX_WIRE, APPROVE_LEN_EXE, APPROVE_LEN_ARGV);
			return -EINVAL;
		}
	}
	if ((c->has_loginuid && (c->loginuid < 0 || c->loginuid > UID_MAX_WIRE)) ||
	    (c->has_audit_session &&
	     (c->audit_session < 0 || c->audit_session > UID_MAX_WIRE))) {
		approve_errf(err, errlen, "field \"loginuid\"/\"audit_session\" out of range");
		return -EINVAL;
	}
	return 0;
}

static int
add_obj(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int
observed_to_json(struct json_object *o, const struct approve_ctx *c)
{
	struct json_object *arr, *e;
	size_t i;

	if (c->n_ancestry) {
		arr = json_object_new_array();
		if (add_obj(o, "ancestry", arr) < 0)
			return -ENOMEM;
		for (i = 0; i < c->n_ancestry; i++) {
			e = json_object_new_object();
			if (!e || json_object_array_add(arr, e) != 0) {
				json_object_put(e);
				return -ENOMEM;
			}
			if (add_obj(e, "pid", json_object_new_int64(c->ancestry[i].pid)) < 0 ||
			    add_str(e, "exe", c->ancestry[i].exe) < 0 ||
			    add_str(e, "argv", c->ancestry[i].argv) < 0)
				return -ENOMEM;
		}
	}
	if ((c->has_loginuid &&
	     add_obj(o, "loginuid", json_object_new_int64(c->loginuid)) < 0) ||
	    (c->has_audit_session &&
	     add_obj(o, "audit_session", json_object_new_int64(c->audit_session)) < 0) ||
	    (c->has_tty_attached &&
	     add_obj(o, "tty_attached", json_object_new_boolean(c->tty_attached)) < 0) ||
	    (c->requester_timeout > 0 &&
	     add_obj(o, "requester_timeout", json_object_new_int64(c->requester_timeout)) < 0))
		return -ENOMEM;
	return 0;
}

int
approve_ctx_ancestry_json(const struct approve_ctx *c, char **out)
{
	struct approve_ctx only = { .ancestry = c->ancestry, .n_ancestry = c->n_ancestry };
	struct json_object *o, *arr;
	int r = -ENOMEM;

	*out = NULL;
	if (!c->n_ancestry)
		return 0;
	o = json_object_new_object();
	if (o && observed_to_json(o, &only) == 0 &&
	    json_object_object_get_ex(o, "ancestry", &arr)) {
		*out = json_dup_out(arr);
		r = *out ? 0 : -ENOMEM;
	}
	json_object_put(o);
	return r;
}

/* An optional integer field: *has 0 when absent or null. */
static int
get_int(struct json_object *o, const char *key, long long *dst, int *has,
	char *err, size_t errlen)
{
	struct json_object *v;

	*has = 0;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		approve_errf(err, errlen, "field \"%s\" must be an integer", key);
		return -EINVAL;
	}
	*dst = json_object_get_int64(v);	/* saturates; ranges checked later */
	*has = 1;
	return 0;
}

/* Strict: ancestry is an array of objects with exactly pid (integer) and
 * optional exe, argv (strings); the rest as observed_validate. */
static int
observed_from_json(struct json_object *o, struct approve_ctx *c, char *err,
		   size_t errlen)
{
	static const char *const known[] = { "pid", "exe", "argv", NULL };
	struct json_object *arr, *e, *v;
	size_t i, n;
	int r, has;

	if ((r = get_int(o, "requester_timeout", &c->requester_timeout, &has, err,
			 errlen)) < 0)
		return r;
	if (has && c->requester_timeout < 1) {
		approve_errf(err, errlen, "field \"requester_timeout\" must be 1..%d",
			     APPROVE_REQUESTER_TIMEOUT_MAX);
		return -EINVAL;
	}
	if ((r = get_int(o, "loginuid", &c->loginuid, &c->has_loginuid, err, errlen)) < 0 ||
	    (r = get_int(o, "audit_session", &c->audit_session, &c->has_audit_session,
			 err, errlen)) < 0)
		return r;
	if (json_object_object_get_ex(o, "tty_attached", &v) && v) {
		if (!json_object_is_type(v, json_type_boolean)) {
			approve_errf(err, errlen, "field \"tty_attached\" must be a boolean");
			return -EINVAL;
		}
		c->has_tty_attached = 1;
		c->tty_attached = json_object_get_boolean(v);
	}
	if (!json_object_object_get_ex(o, "ancestry", &arr) || !arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		approve_errf(err, errlen, "field \"ancestry\" must be an array");
		return -EINVAL;
	}
	n = json_object_array_length(arr);
	if (n > APPROVE_ANCESTRY_MAX) {
		approve_errf(err, errlen, "field \"ancestry\" over %d entries",
			     APPROVE_ANCESTRY_MAX);
		return -EINVAL;
	}
	if (n == 0)
		return 0;
	c->ancestry = calloc(n, sizeof(*c->ancestry));
	if (!c->ancestry) {
		approve_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct approve_proc *p = &c->ancestry[i];

		e = json_object_array_get_idx(arr, i);
		if (!e || !json_object_is_type(e, json_type_object)) {
			approve_errf(err, errlen, "field \"ancestry\" entry %zu is not an object", i);
			return -EINVAL;
		}
		c->n_ancestry = i + 1;	/* freed with the context from here on */
		if ((r = check_known(e, known, err, errlen)) < 0 ||
		    (r = get_int(e, "pid", &p->pid, &has, err, errlen)) < 0 ||
		    (r = get_str(e, "exe", APPROVE_LEN_EXE, 0, 0, &p->exe, err, errlen)) < 0 ||
		    (r = get_str(e, "argv", APPROVE_LEN_ARGV, 0, 0, &p->argv, err, errlen)) < 0)
			return r;
		if (!has) {
			approve_errf(err, errlen, "field \"ancestry\" entry %zu has no pid", i);
			return -EINVAL;
		}
	}
	return 0;
}

static int
ctx_validate(const struct approve_ctx *c, char *err, size_t errlen)
{
	size_t i, n;

	for (i = 0; i < N_CTX_FIELDS; i++) {
		const char *s = *CTX_STR(c, i);

		if (!s) {
			if (ctx_fields[i].required) {
				approve_errf(err, errlen, "missing field \"%s\"", ctx_fields[i].name);
				return -EINVAL;
			}
			continue;
		}
		n = strlen(s);
		if (n > ctx_fields[i].max) {
			approve_errf(err, errlen, "field \"%s\" over %zu bytes",
				 ctx_fields[i].name, ctx_fields[i].max);
			return -EINVAL;
		}
		if (ctx_fields[i].required && n == 0) {
			approve_errf(err, errlen, "field \"%s\" is empty", ctx_fields[i].name);
			return -EINVAL;
		}
		if (!approve_utf8_valid(s, n)) {
			approve_errf(err, errlen, "field \"%s\" is not valid UTF-8",
				 ctx_fields[i].name);
			return -EINVAL;
		}
	}
	if (c->uid < 0 || c->uid > UID_MAX_WIRE) {
		approve_errf(err, errlen, "field \"uid\" out of range");
		return -EINVAL;
	}
	/* the self-approval rule compares these: nothing invisible in them */
	if (!approve_name_clean(c->user, strlen(c->user)) ||
	    !approve_name_clean(c->target_user, strlen(c->target_user))) {
		approve_errf(err, errlen, "field \"%s\" holds an invisible or control "
			     "character, or a blank at an end",
			     approve_name_clean(c->user, strlen(c->user)) ? "target_user" : "user");
		return -EINVAL;
	}
	if (cmd_full_validate(&c->command_full, c->command, "command", err, errlen) < 0 ||
	    cmd_full_validate(&c->sudo_command_full, c->sudo_command, "sudo_command",
			      err, errlen) < 0)
		return -EINVAL;
	if (c->sudo_command_full.sha256[0] && !c->command_full.sha256[0]) {
		approve_errf(err, errlen, "sudo_command_* without command_*");
		return -EINVAL;
	}
	if (c->nonce && !approve_sig_nonce_valid(c->nonce)) {
		approve_errf(err, errlen, "field \"nonce\" must be %d..%d characters "
			     "of A-Z a-z 0-9 _ -", APPROVE_NONCE_MIN, APPROVE_NONCE_MAX);
		return -EINVAL;
	}
	if (observed_validate(c, err, errlen) < 0)
		return -EINVAL;
	if (c->requester_timeout < 0 || c->requester_timeout > APPROVE_REQUESTER_TIMEOUT_MAX) {
		approve_errf(err, errlen, "field \"requester_timeout\" must be 1..%d",
			     APPROVE_REQUESTER_TIMEOUT_MAX);
		return -EINVAL;
	}
	return idem_key_check(c->idempotency_key, err, errlen);
}

int
approve_ctx_to_json(const struct approve_ctx *c, char **out, char *err,
		    size_t errlen)
{
	struct json_object *o = NULL, *v;
	size_t i;
	int r;

	*out = NULL;
	r = ctx_validate(c, err, errlen);
	if (r < 0)
		return r;
	r = -ENOMEM;
	o = json_object_new_object();
	if (!o)
		goto out;
	for (i = 0; i < N_CTX_FIELDS; i++) {
		if (add_str(o, ctx_fields[i].name, *CTX_STR(c, i)) < 0)
			goto out;
		if (strcmp(ctx_fields[i].name, "user") == 0) {
			v = json_object_new_int64(c->uid);
			if (!v || json_object_object_add(o, "uid", v) != 0) {
				json_object_put(v);
				goto out;
			}
		}
	}
	if (cmd_full_to_json(o, &c->command_full, cmd_full_keys[0]) < 0 ||
	    cmd_full_to_json(o, &c->sudo_command_full, cmd_full_keys[1]) < 0 ||
	    observed_to_json(o, c) < 0)
		goto out;
	*out = json_dup_out(o);
	if (!*out)
		goto out;
	if (strlen(*out) > APPROVE_BODY_MAX) {
		free(*out);
		*out = NULL;
		approve_errf(err, errlen, "request body over %d bytes", APPROVE_BODY_MAX);
		r = -EINVAL;
		goto out;
	}
	r = 0;
out:
	if (r == -ENOMEM)
		approve_errf(err, errlen, "out of memory");
	json_object_put(o);
	return r;
}

int
approve_ctx_from_json(const char *json, size_t len, struct approve_ctx **out,
		      char *err, size_t errlen)
{
	static const char *const known[] = {
		"service", "user", "uid", "target_user", "command", "sudo_command",
		"tty", "rhost", "cwd", "hostname", "reason", "ticket",
		"command_length", "command_shown", "command_truncated", "command_sha256",
		"sudo_command_length", "sudo_command_shown", "sudo_command_truncated",
		"sudo_command_sha256", "idempotency_key", "nonce",
		"agent", "run_url", "commit", "prompt", "observed_note", "ancestry",
		"loginuid", "audit_session", "tty_attached", "requester_timeout", "groups", NULL,
	};
	struct json_object *o = NULL, *v;
	struct approve_ctx *c = NULL;
	int64_t uid;
	size_t i;
	int r;

	*out = NULL;
	r = json_parse_object(json, len, APPROVE_BODY_MAX, &o, err, errlen);
	if (r < 0)
		goto out;
	r = check_known(o, known, err, errlen);
	if (r < 0)
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c) {
		approve_errf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < N_CTX_FIELDS; i++) {
		r = get_str(o, ctx_fields[i].name, ctx_fields[i].max,
			    ctx_fields[i].required, ctx_fields[i].required,
			    CTX_STR(c, i), err, errlen);
		if (r < 0)
			goto out;
	}
	if (!json_object_object_get_ex(o, "uid", &v) || v == NULL) {
		approve_errf(err, errlen, "missing field \"uid\"");
		r = -EINVAL;
		goto out;
	}
	if (!json_object_is_type(v, json_type_int)) {
		approve_errf(err, errlen, "field \"uid\" must be an integer");
		r = -EINVAL;
		goto out;
	}
	/* json-c keeps values above INT64_MAX as uint64; get_int64 then
	 * saturates at INT64_MAX, which the range check refuses */
	errno = 0;
	uid = json_object_get_int64(v);
	if (uid < 0 || uid > UID_MAX_WIRE) {
		approve_errf(err, errlen, "field \"uid\" out of range");
		r = -EINVAL;
		goto out;
	}
	c->uid = uid;
	if ((r = cmd_full_from_json(o, cmd_full_keys[0], &c->command_full, err,
				    errlen)) < 0 ||
	    (r = cmd_full_from_json(o, cmd_full_keys[1], &c->sudo_command_full, err,
				    errlen)) < 0 ||
	    (r = observed_from_json(o, c, err, errlen)) < 0)
		goto out;
	r = ctx_validate(c, err, errlen);
	if (r < 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	approve_ctx_free(c);
	json_object_put(o);
	return r;
}

static int
digest_field(EVP_MD_CTX *md, const char *s)
{
	char pre[32];
	int n;

	if (!s)
		return EVP_DigestUpdate(md, "-", 1) == 1 ? 0 : -EIO;
	n = snprintf(pre, sizeof(pre), "%zu:", strlen(s));
	if (n < 0 || (size_t)n >= sizeof(pre))
		return -EIO;
	if (EVP_DigestUpdate(md, pre, (size_t)n) != 1 ||
	    EVP_DigestUpdate(md, s, strlen(s)) != 1)
		return -EIO;
	return 0;
}

/* The sha256 and the decimal length of a reported full command, or
 * absent ("-") for both. */
static int
digest_full(EVP_MD_CTX *md, const struct approve_cmd_full *f)
{
	char len[32];
	int n;

	if (!f->sha256[0])
		return digest_field(md, NULL) < 0 || digest_field(md, NULL) < 0 ? -EIO : 0;
	n = snprintf(len, sizeof(len), "%lld", f->length);
	if (n < 0 || (size_t)n >= sizeof(len))
		return -EIO;
	return digest_field(md, f->sha256) < 0 || digest_field(md, len) < 0 ? -EIO : 0;
}

/* 1 when c has a field only the v3 digest binds. */
static int
ctx_has_v3(const struct approve_ctx *c)
{
	return c->agent || c->run_url || c->commit || c->prompt ||
	       c->observed_note || c->n_ancestry || c->has_loginuid ||
	       c->has_audit_session || c->has_tty_attached;
}

static int
digest_num(EVP_MD_CTX *md, int has, long long v)
{
	char s[32];
	int n;

	if (!has)
		return digest_field(md, NULL);
	n = snprintf(s, sizeof(s), "%lld", v);
	if (n < 0 || (size_t)n >= sizeof(s))
		return -EIO;
	return digest_field(md, s);
}

/* The v3 tail: reported, then observed context. */
static int
digest_v3(EVP_MD_CTX *md, const struct approve_ctx *c)
{
	size_t i;

	if (digest_field(md, c->agent) < 0 || digest_field(md, c->run_url) < 0 ||
	    digest_field(md, c->commit) < 0 || digest_field(md, c->prompt) < 0 ||
	    digest_num(md, 1, (long long)c->n_ancestry) < 0)
		return -EIO;
	for (i = 0; i < c->n_ancestry; i++)
		if (digest_num(md, 1, c->ancestry[i].pid) < 0 ||
		    digest_field(md, c->ancestry[i].exe) < 0 ||
		    digest_field(md, c->ancestry[i].argv) < 0)
			return -EIO;
	if (digest_num(md, c->has_loginuid, c->loginuid) < 0 ||
	    digest_num(md, c->has_audit_session, c->audit_session) < 0 ||
	    digest_num(md, c->has_tty_attached, c->tty_attached ? 1 : 0) < 0 ||
	    digest_field(md, c->observed_note) < 0)
		return -EIO;
	return 0;
}

int
approve_ctx_digest(const struct approve_ctx *c,
		   char out[APPROVE_HASH_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;
	EVP_MD_CTX *md = NULL;
	char uid[32];
	int r = -EIO, n, v3 = ctx_has_v3(c);
	int v2 = v3 || c->command_full.sha256[0] != '\0';

	n = snprintf(uid, sizeof(uid), "%lld", c->uid);
	if (n < 0 || (size_t)n >= sizeof(uid))
		goto out;
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, v3 ? "approve-v3" : v2 ? "approve-v2" : "approve-v1",
			     10) != 1)
		goto out;
	if (digest_field(md, c->hostname) < 0 || digest_field(md, uid) < 0 ||
	    digest_field(md, c->user) < 0 || digest_field(md, c->target_user) < 0 ||
	    digest_field(md, c->service) < 0 || digest_field(md, c->command) < 0 ||
	    (v2 && digest_full(md, &c->command_full) < 0) ||
	    digest_field(md, c->sudo_command) < 0 ||
	    (v2 && digest_full(md, &c->sudo_command_full) < 0) ||
	    digest_field(md, c->cwd) < 0 || digest_field(md, c->tty) < 0 ||
	    (v3 && digest_v3(md, c) < 0))
		goto out;
	if (EVP_DigestFinal_ex(md, d, &dlen) != 1 || dlen * 2 != APPROVE_HASH_HEX_LEN)
		goto out;
	for (i = 0; i < dlen; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[APPROVE_HASH_HEX_LEN] = '\0';
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- status ---- */

void
approve_status_free(struct approve_status *s)
{
	if (!s)
		return;
	free(s->url);
	free(s->comment);
	free(s->decided_by);
	free(s->expires_at);
	free(s->decided_at);
	free(s->nonce);
	free(s->signature);
	free(s->key_id);
	free(s->approvals);
	free(s->notified);
	free(s);
}

static int
is_digest(const char *s)
{
	size_t i;

	for (i = 0; i < APPROVE_HASH_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[APPROVE_HASH_HEX_LEN] == '\0';
}

/* "word(,word)*" with words of [a-z0-9_]: the "notified" field. */
static int
is_word_list(const char *s)
{
	size_t i, w = 0;

	for (i = 0; s[i]; i++) {
		if (s[i] == ',') {
			if (w == 0)
				return 0;
			w = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			   s[i] == '_') {
			w++;
		} else {
			return 0;
		}
	}
	return w > 0;
}

int
approve_status_to_json(const struct approve_status *s, char **out)
{
	struct json_object *o = NULL;
	const char *st = approve_state_name(s->state);
	int r = -EINVAL;

	*out = NULL;
	if (!st || !approve_uuid_valid(s->id) ||
	    (s->code[0] && !approve_code_valid(s->code)) ||
	    (s->digest[0] && !is_digest(s->digest)) ||
	    (s->notified && !is_word_list(s->notified)))
		goto out;
	r = -ENOMEM;
	o = json_object_new_object();
	if (!o || add_str(o, "id", s->id) < 0 ||
	    (s->code[0] && add_str(o, "code", s->code) < 0) ||
	    add_str(o, "status", st) < 0 ||
	    add_str(o, "url", s->url) < 0 ||
	    (s->digest[0] && add_str(o, "digest", s->digest) < 0) ||
	    add_str(o, "expires_at", s->expires_at) < 0 ||
	    add_str(o, "comment", s->comment) < 0 ||
	    add_str(o, "decided_by", s->decided_by) < 0 ||
	    add_str(o, "decided_at", s->decided_at) < 0 ||
	    add_str(o, "nonce", s->nonce) < 0 ||
	    add_str(o, "signature", s->signature) < 0 ||
	    add_str(o, "key_id", s->key_id) < 0 ||
	    add_str(o, "approvals", s->approvals) < 0 ||
	    add_str(o, "notified", s->notified) < 0)
		goto out;
	*out = json_dup_out(o);
	if (*out)
		r = 0;
out:
	json_object_put(o);
	return r;
}

int
approve_status_from_json(const char *json, size_t len,
			 struct approve_status **out, char *err, size_t errlen)
{
	struct json_object *o = NULL;
	struct approve_status *s = NULL;
	char *id = NULL, *code = NULL, *state = NULL, *digest = NULL;
	int r;

	*out = NULL;
	r = json_parse_object(json, len, APPROVE_RESPONSE_MAX, &o, err, errlen);
	if (r < 0)
		goto out;
	s = calloc(1, sizeof(*s));
	if (!s) {
		approve_errf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	if ((r = get_str(o, "id", APPROVE_UUID_LEN, 1, 1, &id, err, errlen)) < 0 ||
	    (r = get_str(o, "status", 16, 1, 1, &state, err, errlen)) < 0 ||
	    (r = get_str(o, "code", APPROVE_CODE_LEN, 0, 0, &code, err, errlen)) < 0 ||
	    (r = get_str(o, "digest", APPROVE_HASH_HEX_LEN, 0, 0, &digest, err, errlen)) < 0 ||
	    (r = get_str(o, "url", APPROVE_LEN_URL, 0, 0, &s->url, err, errlen)) < 0 ||
	    (r = get_str(o, "comment", APPROVE_LEN_COMMENT, 0, 0, &s->comment, err, errlen)) < 0 ||
	    (r = get_str(o, "decided_by", APPROVE_LEN_NAME, 0, 0, &s->decided_by, err, errlen)) < 0 ||
	    (r = get_str(o, "expires_at", LEN_EXPIRES, 0, 0, &s->expires_at, err, errlen)) < 0 ||
	    (r = get_str(o, "decided_at", LEN_EXPIRES, 0, 0, &s->decided_at, err, errlen)) < 0 ||
	    (r = get_str(o, "nonce", APPROVE_NONCE_MAX, 0, 0, &s->nonce, err, errlen)) < 0 ||
	    (r = get_str(o, "signature", APPROVE_SIG_B64_LEN, 0, 0, &s->signature, err, errlen)) < 0 ||
	    (r = get_str(o, "key_id", APPROVE_SIG_KEY_ID_LEN, 0, 0, &s->key_id, err, errlen)) < 0 ||
	    (r = get_str(o, "approvals", APPROVE_LEN_APPROVALS, 0, 0, &s->approvals, err,
			 errlen)) < 0 ||
	    (r = get_str(o, "notified", APPROVE_LEN_NOTIFIED, 0, 0, &s->notified, err,
			 errlen)) < 0)
		goto out;
	r = -EINVAL;
	if (s->notified && !is_word_list(s->notified)) {
		approve_errf(err, errlen, "field \"notified\" is not a list of sink kinds");
		goto out;
	}
	if (!approve_uuid_valid(id)) {
		approve_errf(err, errlen, "field \"id\" is not a uuid");
		goto out;
	}
	s->state = approve_state_parse(state);
	if (s->state == APPROVE_STATE_INVALID) {
		approve_errf(err, errlen, "field \"status\" is not a state");
		goto out;
	}
	if (code && approve_code_normalize(code, s->code) < 0) {
		approve_errf(err, errlen, "field \"code\" is not a request code");
		goto out;
	}
	if (digest && !is_digest(digest)) {
		approve_errf(err, errlen, "field \"digest\" is not 64 lowercase hex");
		goto out;
	}
	memcpy(s->id, id, APPROVE_UUID_LEN + 1);
	if (digest)
		memcpy(s->digest, digest, APPROVE_HASH_HEX_LEN + 1);
	*out = s;
	s = NULL;
	r = 0;
out:
	free(id);
	free(code);
	free(state);
	free(digest);
	approve_status_free(s);
	json_object_put(o);
	return r;
}

/* ---- decision ---- */

/* {k1: v1, k2: v2} with NULL values left out; values must be UTF-8. */
static int
emit_strs(const char *k1, const char *v1, const char *k2, const char *v2,
	  char **out)
{
	struct json_object *o;

	*out = NULL;
	if ((v1 && !approve_utf8_valid(v1, strlen(v1))) ||
	    (v2 && !approve_utf8_valid(v2, strlen(v2))))
		return -EINVAL;
	o = json_object_new_object();
	if (!o || add_str(o, k1, v1) < 0 || (k2 && add_str(o, k2, v2) < 0)) {
		json_object_put(o);
		return -ENOMEM;
	}
	return json_emit(o, out);
}

int
approve_decision_to_json(const char *comment, char **out)
{
	*out = NULL;
	if (comment && strlen(comment) > APPROVE_LEN_COMMENT)
		return -EINVAL;
	return emit_strs("comment", comment, NULL, NULL, out);
}

int
approve_decision_from_json(const char *json, size_t len, char **comment,
			   char *err, size_t errlen)
{
	static const char *const known[] = { "comment", NULL };
	struct json_object *o = NULL;
	int r;

	*comment = NULL;
	if (len == 0)
		return 0;
	r = json_parse_object(json, len, APPROVE_BODY_MAX, &o, err, errlen);
	if (r < 0)
		goto out;
	r = check_known(o, known, err, errlen);
	if (r < 0)
		goto out;
	r = get_str(o, "comment", APPROVE_LEN_COMMENT, 0, 0, comment, err, errlen);
out:
	json_object_put(o);
	return r;
}

/* ---- error body ---- */

int
approve_error_to_json(const char *error, const char *detail, char **out)
{
	*out = NULL;
	if (!error)
		return -EINVAL;
	return emit_strs("error", error, "detail", detail, out);
}

int
approve_error_from_json(const char *json, size_t len, char **error,
			char **detail)
{
	struct json_object *o = NULL;
	char *e = NULL, *d = NULL;
	int r;

	*error = NULL;
	*detail = NULL;
	r = json_parse_object(json, len, APPROVE_RESPONSE_MAX, &o, NULL, 0);
	if (r < 0)
		goto out;
	if ((r = get_str(o, "error", LEN_ERROR, 1, 1, &e, NULL, 0)) < 0 ||
	    (r = get_str(o, "detail", APPROVE_LEN_COMMENT, 0, 0, &d, NULL, 0)) < 0)
		goto out;
	*error = e;
	*detail = d;
	e = d = NULL;
out:
	free(e);
	free(d);
	json_object_put(o);
	return r;
}

int
approve_error_retry_after(const char *json, size_t len, long *secs)
{
	struct json_object *o = NULL, *v;
	int64_t n;
	int r;

	*secs = 0;
	r = json_parse_object(json, len, APPROVE_RESPONSE_MAX, &o, NULL, 0);
	if (r < 0)
		goto out;
	r = -EINVAL;
	if (!json_object_object_get_ex(o, "retry_after", &v) || !v ||
	    !json_object_is_type(v, json_type_int))
		goto out;
	n = json_object_get_int64(v);
	if (n < 1 || n > APPROVE_REQUESTER_TIMEOUT_MAX)
		goto out;
	*secs = (long)n;
	r = 0;
out:
	json_object_put(o);
	return r;
}

/* ---- cancel body ---- */

int
approve_empty_from_json(const char *json, size_t len, char *err, size_t errlen)
{
	static const char *const known[] = { NULL };
	struct json_object *o = NULL;
	int r;

	if (len == 0)
		return 0;
	r = approve_json_read_object(json, len, APPROVE_BODY_MAX, known, &o, err, errlen);
	json_object_put(o);
	return r;
}

static const char *const cancel_reasons[] = {
	[APPROVE_CANCEL_UNSPECIFIED] = "unspecified",
	[APPROVE_CANCEL_INTERRUPTED] = "interrupted",
	[APPROVE_CANCEL_TIMEOUT] = "timeout",
};
#define N_CANCEL_REASONS (sizeof(cancel_reasons) / sizeof(cancel_reasons[0]))

const char *
approve_cancel_reason_name(enum approve_cancel_reason r)
{
	return (unsigned)r < N_CANCEL_REASONS ? cancel_reasons[r] : NULL;
}

int
approve_cancel_to_json(enum approve_cancel_reason r, char **out)
{
	struct json_object *o;
	int rc = -ENOMEM;

	*out = NULL;
	if (!approve_cancel_reason_name(r))
		return -EINVAL;
	o = json_object_new_object();
	if (!o || (r != APPROVE_CANCEL_UNSPECIFIED &&
		   add_str(o, "reason", approve_cancel_reason_name(r)) < 0))
		goto out;
	*out = json_dup_out(o);
	rc = *out ? 0 : -ENOMEM;
out:
	json_object_put(o);
	return rc;
}

int
approve_cancel_from_json(const char *json, size_t len, enum approve_cancel_reason *r,
			 char *err, size_t errlen)
{
	static const char *const known[] = { "reason", NULL };
	struct json_object *o = NULL;
	char *word = NULL;
	int rc;

	*r = APPROVE_CANCEL_UNSPECIFIED;
	if (len == 0)
		return 0;
	rc = approve_json_read_object(json, len, APPROVE_BODY_MAX, known, &o, err, errlen);
	if (rc == 0)
		rc = approve_json_get_str(o, "reason", 32, 0, 1, &word, err, errlen);
	if (rc == 0 && word) {
		if (strcmp(word, cancel_reasons[APPROVE_CANCEL_INTERRUPTED]) == 0) {
			*r = APPROVE_CANCEL_INTERRUPTED;
		} else if (strcmp(word, cancel_reasons[APPROVE_CANCEL_TIMEOUT]) == 0) {
			*r = APPROVE_CANCEL_TIMEOUT;
		} else {
			approve_errf(err, errlen, "field \"reason\" must be \"interrupted\" "
				     "or \"timeout\"");
			rc = -EINVAL;
		}
	}
	free(word);
	json_object_put(o);
	return rc;
}

/* ---- the strict reader and the checked writer (see wire.h) ---- */

int
approve_json_read_object(const char *json, size_t len, size_t max,
			 const char *const *known, struct json_object **out,
			 char *err, size_t errlen)
{
	struct json_object *o = NULL;
	int r;

	*out = NULL;
	r = json_parse_object(json, len, max, &o, err, errlen);
	if (r == 0 && known)
		r = check_known(o, known, err, errlen);
	if (r == 0) {
		*out = o;
		o = NULL;
	}
	json_object_put(o);
	return r;
}

int
approve_json_get_str(struct json_object *o, const char *key, size_t max, int required,
		     int nonempty, char **dst, char *err, size_t errlen)
{
	return get_str(o, key, max, required, nonempty, dst, err, errlen);
}

int
approve_json_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!o || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int
approve_json_add_str(struct json_object *o, const char *key, const char *s)
{
	struct json_object *v = NULL;

	if (s && !(v = json_object_new_string(s)))
		return -ENOMEM;
	return approve_json_add(o, key, v);
}

int
approve_json_push(struct json_object *a, struct json_object *v)
{
	if (!a || !v || json_object_array_add(a, v) != 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}
