/* test_wire.c: check suite for common/wire.c: encode/decode round trips of
 * every wire type (context, status, decision, error), the context digest
 * against vectors computed independently (Python hashlib), malformed and
 * hostile JSON (not an object, truncation, trailing data, wrong types,
 * unknown and duplicate fields, missing required fields, \u0000, invalid
 * UTF-8, lone surrogate escapes, overlong fields, uid negative/float/huge,
 * deep nesting) and state words. UTF-8 and display rules: test_text.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "wire.h"
#include "unit.h"

#define FULL_CTX \
	"{\"service\":\"sudo\",\"user\":\"alice\",\"uid\":1000,\"target_user\":\"root\"," \
	"\"command\":\"sudo systemctl restart nginx\"," \
	"\"sudo_command\":\"/usr/bin/systemctl restart nginx\"," \
	"\"tty\":\"/dev/pts/3\",\"rhost\":\"10.0.0.5\",\"cwd\":\"/home/alice\"," \
	"\"hostname\":\"web1\",\"reason\":\"deploy\",\"ticket\":\"OPS-12\"}"

static struct approve_ctx *
ctx_ok(const char *json)
{
	struct approve_ctx *c = NULL;
	char err[256] = "";

	ck_assert_msg(approve_ctx_from_json(json, strlen(json), &c, err, sizeof(err)) == 0,
		      "refused %s: %s", json, err);
	ck_assert_ptr_nonnull(c);
	return c;
}

START_TEST(ctx_round_trip)
{
	struct approve_ctx *c = ctx_ok(FULL_CTX), *c2;
	char err[256], *js = NULL;

	ck_assert_str_eq(c->service, "sudo");
	ck_assert_str_eq(c->user, "alice");
	ck_assert_int_eq(c->uid, 1000);
	ck_assert_str_eq(c->target_user, "root");
	ck_assert_str_eq(c->command, "sudo systemctl restart nginx");
	ck_assert_str_eq(c->sudo_command, "/usr/bin/systemctl restart nginx");
	ck_assert_str_eq(c->tty, "/dev/pts/3");
	ck_assert_str_eq(c->rhost, "10.0.0.5");
	ck_assert_str_eq(c->cwd, "/home/alice");
	ck_assert_str_eq(c->hostname, "web1");
	ck_assert_str_eq(c->reason, "deploy");
	ck_assert_str_eq(c->ticket, "OPS-12");
	ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), 0);
	c2 = ctx_ok(js);
	ck_assert_str_eq(c2->command, c->command);
	ck_assert_str_eq(c2->ticket, c->ticket);
	ck_assert_int_eq(c2->uid, 1000);
	free(js);
	approve_ctx_free(c2);
	approve_ctx_free(c);
	approve_ctx_free(NULL);

	/* minimal, null optionals, unicode, escapes, uid bounds */
	c = ctx_ok("{\"service\":\"su\",\"user\":\"b\\u00e9a\",\"uid\":4294967295,"
		   "\"target_user\":\"root\",\"command\":\"su -c \\\"echo \\\\n\\\"\","
		   "\"hostname\":\"h\",\"tty\":null,\"reason\":\"\xe2\x82\xac \xf0\x9f\x94\x91\"}");
	ck_assert_str_eq(c->user, "b\xc3\xa9" "a");
	ck_assert_int_eq(c->uid, 4294967295LL);
	ck_assert_str_eq(c->command, "su -c \"echo \\n\"");
	ck_assert_ptr_null(c->tty);
	ck_assert_ptr_null(c->cwd);
	ck_assert_str_eq(c->reason, "\xe2\x82\xac \xf0\x9f\x94\x91");
	ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), 0);
	ck_assert_ptr_null(strstr(js, "tty"));	/* absent stays absent */
	c2 = ctx_ok(js);
	ck_assert_str_eq(c2->user, c->user);
	ck_assert_str_eq(c2->command, c->command);
	ck_assert_str_eq(c2->reason, c->reason);
	free(js);
	approve_ctx_free(c2);
	approve_ctx_free(c);
	c = ctx_ok(" \n{\"service\":\"s\",\"user\":\"u\",\"uid\":0,\"target_user\":\"t\","
		   "\"command\":\"c\",\"hostname\":\"h\"}\r\n\t ");
	ck_assert_int_eq(c->uid, 0);
	approve_ctx_free(c);
}
END_TEST

START_TEST(ctx_digest)
{
	struct approve_ctx *c = ctx_ok(FULL_CTX);
	char d[APPROVE_HASH_HEX_LEN + 1], d2[APPROVE_HASH_HEX_LEN + 1];
	char *save;

	ck_assert_int_eq(approve_ctx_digest(c, d), 0);
	ck_assert_str_eq(d, "4f32eda5845a4467a6b757d4ee09751dd49f108168b990ae272eedb9abbbfdb5");
	/* reason, ticket and rhost are not bound */
	free(c->reason);
	c->reason = NULL;
	free(c->rhost);
	c->rhost = strdup("other");
	ck_assert_int_eq(approve_ctx_digest(c, d2), 0);
	ck_assert_str_eq(d, d2);
	/* every bound field changes it */
	c->uid = 1001;
	ck_assert_int_eq(approve_ctx_digest(c, d2), 0);
	ck_assert_str_ne(d, d2);
	c->uid = 1000;
	save = c->cwd;
	c->cwd = NULL;	/* absent ("-") differs from any value */
	ck_assert_int_eq(approve_ctx_digest(c, d2), 0);
	ck_assert_str_ne(d, d2);
	c->cwd = save;
	save = c->command;
	c->command = strdup("sudo systemctl restart nginx ");
	ck_assert_int_eq(approve_ctx_digest(c, d2), 0);
	ck_assert_str_ne(d, d2);
	free(c->command);
	c->command = save;
	approve_ctx_free(c);

	c = ctx_ok("{\"service\":\"su\",\"user\":\"alice\",\"uid\":0,\"target_user\":\"root\","
		   "\"command\":\"su -\",\"hostname\":\"web1\"}");
	ck_assert_int_eq(approve_ctx_digest(c, d), 0);
	ck_assert_str_eq(d, "4ef883312781b10ef5f0fcca1f740ef250efe25f12433eefe724442094c31f90");
	approve_ctx_free(c);
}
END_TEST

#define BASE "\"service\":\"sudo\",\"user\":\"alice\",\"target_user\":\"root\"," \
	"\"command\":\"ls\",\"hostname\":\"web1\""
static const char *const bad_ctx[] = {
	"", " ", "[]", "\"x\"", "1", "null", "true", "{", "{\"service\":",
	"{" BASE ",\"uid\":1000",
	"{" BASE ",\"uid\":1000}x", "{" BASE ",\"uid\":1000}{}",
	"{" BASE ",\"uid\":1000,}",			/* trailing comma */
	"{" BASE ",'uid':1000}",
	"{" BASE ",\"uid\":1000 /* c */}",
	"{" BASE "}",					/* missing uid */
	"{" BASE ",\"uid\":null}",
	"{" BASE ",\"uid\":\"1000\"}",
	"{" BASE ",\"uid\":1000.0}",
	"{" BASE ",\"uid\":1e3}",
	"{" BASE ",\"uid\":-1}",
	"{" BASE ",\"uid\":-0.5}",
	"{" BASE ",\"uid\":4294967296}",
	"{" BASE ",\"uid\":9223372036854775807}",
	"{" BASE ",\"uid\":18446744073709551615}",
	"{" BASE ",\"uid\":99999999999999999999999999}",
	"{" BASE ",\"uid\":true}",
	"{" BASE ",\"uid\":[1000]}",
	"{" BASE ",\"uid\":0x10}",
	"{" BASE ",\"uid\":01}",
	"{" BASE ",\"uid\":NaN}",
	"{" BASE ",\"uid\":1000,\"extra\":1}",		/* unknown field */
	"{" BASE ",\"uid\":1000,\"Service\":\"x\"}",
	"{" BASE ",\"uid\":1000,\"uid\":0}",		/* duplicate */
	"{" BASE ",\"uid\":1000,\"user\":\"root\"}",
	"{" BASE ",\"uid\":1000,\"tty\":1}",		/* wrong types */
	"{" BASE ",\"uid\":1000,\"tty\":[\"a\"]}",
	"{" BASE ",\"uid\":1000,\"tty\":{\"a\":1}}",
	"{" BASE ",\"uid\":1000,\"tty\":false}",
	"{\"service\":1,\"user\":\"alice\",\"uid\":1,\"target_user\":\"root\",\"command\":\"ls\",\"hostname\":\"w\"}",
	"{\"service\":null,\"user\":\"alice\",\"uid\":1,\"target_user\":\"root\",\"command\":\"ls\",\"hostname\":\"w\"}",
	"{\"user\":\"alice\",\"uid\":1,\"target_user\":\"root\",\"command\":\"ls\",\"hostname\":\"w\"}",
	"{\"service\":\"s\",\"uid\":1,\"target_user\":\"root\",\"command\":\"ls\",\"hostname\":\"w\"}",
	"{\"service\":\"s\",\"user\":\"a\",\"uid\":1,\"command\":\"ls\",\"hostname\":\"w\"}",
	"{\"service\":\"s\",\"user\":\"a\",\"uid\":1,\"target_user\":\"root\",\"hostname\":\"w\"}",
	"{\"service\":\"s\",\"user\":\"a\",\"uid\":1,\"target_user\":\"root\",\"command\":\"ls\"}",
	"{\"service\":\"\",\"user\":\"a\",\"uid\":1,\"target_user\":\"root\",\"command\":\"ls\",\"hostname\":\"w\"}",
	"{" BASE ",\"uid\":1000,\"tty\":\"a\\u0000b\"}",	/* NUL escapes */
	"{" BASE ",\"uid\":1000,\"tty\":\"\\u0000\"}",
	"{" BASE ",\"uid\":1000,\"tty\\u0000x\":\"a\"}",
	"{" BASE ",\"uid\":1000,\"t\\u0000\":\"a\"}",
	"{" BASE ",\"uid\":1000,\"tty\":\"\xff\"}",		/* invalid UTF-8 */
	"{" BASE ",\"uid\":1000,\"tty\":\"\xc0\xaf\"}",
	"{" BASE ",\"uid\":1000,\"tty\":\"\xed\xa0\x80\"}",
	"{" BASE ",\"uid\":1000,\"tty\":\"\xf4\x90\x80\x80\"}",
	"{" BASE ",\"uid\":1000,\"tty\":\"\xe2\x82\"}",
	"{" BASE ",\"uid\":1000,\"t\xfft\":\"a\"}",
	"{" BASE ",\"uid\":1000,\"tty\":\"a\nb\"}",		/* raw control in string */
	"{" BASE ",\"uid\":1000,\"tty\":\"\\x41\"}",		/* bad escape */
	"{" BASE ",\"uid\":1000,\"tty\":\"a}",
	"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}}",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
};

/* idempotency_key: kept through a round trip, not part of the digest,
 * 16..64 characters of [A-Za-z0-9_-] and nothing else. */
START_TEST(ctx_idempotency_key)
{
	static const char *const bad[] = {
		"short_key_15chr", "has space in the key!", "semi;colon;in;the;key",
		"0123456789012345678901234567890123456789012345678901234567890123x",
	};
	struct approve_ctx *c = ctx_ok(FULL_CTX), *c2;
	char err[256], *js = NULL, *json, d1[APPROVE_HASH_HEX_LEN + 1], d2[APPROVE_HASH_HEX_LEN + 1];
	size_t i;

	ck_assert_ptr_null(c->idempotency_key);
	ck_assert_int_eq(approve_ctx_digest(c, d1), 0);
	c->idempotency_key = strdup("Ab0_-Ab0_-Ab0_-Z");
	ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), 0);
	c2 = ctx_ok(js);
	ck_assert_str_eq(c2->idempotency_key, "Ab0_-Ab0_-Ab0_-Z");
	ck_assert_int_eq(approve_ctx_digest(c2, d2), 0);
	ck_assert_str_eq(d1, d2);
	free(js);
	approve_ctx_free(c2);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		free(c->idempotency_key);
		c->idempotency_key = strdup(bad[i]);
		js = NULL;
		ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), -EINVAL);
		ck_assert_ptr_null(js);
		ck_assert_int_eq(asprintf(&json, "{\"service\":\"sudo\",\"user\":\"a\",\"uid\":1,"
					  "\"target_user\":\"root\",\"command\":\"x\",\"hostname\":\"h\","
					  "\"idempotency_key\":\"%s\"}", bad[i]) > 0, 1);
		c2 = (struct approve_ctx *)1;
		ck_assert_int_eq(approve_ctx_from_json(json, strlen(json), &c2, err, sizeof(err)),
				 -EINVAL);
		ck_assert_ptr_null(c2);
		free(json);
	}
	approve_ctx_free(c);
}
END_TEST

START_TEST(ctx_bad)
{
	struct approve_ctx *c = (struct approve_ctx *)1;
	const char *j = bad_ctx[_i];
	char err[256] = "";
	int r = approve_ctx_from_json(j, strlen(j), &c, err, sizeof(err));

	ck_assert_msg(r == -EINVAL, "case %d accepted (%d): %s", _i, r, j);
	ck_assert_ptr_null(c);
	ck_assert_msg(err[0] != '\0', "case %d: no message", _i);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* Field limits: exactly the limit is accepted, one more byte is not. */
START_TEST(ctx_lengths)
{
	static const struct { const char *name; size_t max; } f[] = {
		{ "service", APPROVE_LEN_NAME }, { "user", APPROVE_LEN_NAME },
		{ "target_user", APPROVE_LEN_NAME }, { "command", APPROVE_LEN_COMMAND },
		{ "sudo_command", APPROVE_LEN_COMMAND }, { "tty", APPROVE_LEN_NAME },
		{ "rhost", APPROVE_LEN_NAME }, { "cwd", APPROVE_LEN_CWD },
		{ "hostname", APPROVE_LEN_NAME }, { "reason", APPROVE_LEN_REASON },
		{ "ticket", APPROVE_LEN_TICKET },
	};
	const char *name = f[_i].name;
	size_t max = f[_i].max, k;
	struct approve_buf b;
	struct approve_ctx *c = NULL;
	char err[256], *js;

	for (k = max; k <= max + 1; k++) {
		static const char *const all[] = { "service", "user", "target_user",
			"command", "hostname", NULL };
		char *v = malloc(k + 1);
		size_t i;

		ck_assert_ptr_nonnull(v);
		memset(v, 'a', k);
		v[k] = '\0';
		approve_buf_init(&b, 1 << 20);
		approve_buf_printf(&b, "{\"uid\":1,\"%s\":\"%s\"", name, v);
		for (i = 0; all[i]; i++)
			if (strcmp(all[i], name) != 0)
				approve_buf_printf(&b, ",\"%s\":\"x\"", all[i]);
		approve_buf_append_str(&b, "}");
		c = NULL;
		if (k == max) {
			ck_assert_int_eq(approve_ctx_from_json(b.data, b.len, &c, err, sizeof(err)), 0);
			/* the encoder accepts what the parser accepts */
			ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), 0);
			free(js);
			approve_ctx_free(c);
		} else {
			ck_assert_int_eq(approve_ctx_from_json(b.data, b.len, &c, err, sizeof(err)), -EINVAL);
			ck_assert_ptr_nonnull(strstr(err, name));
			ck_assert_ptr_nonnull(strstr(err, "over"));
		}
		approve_buf_release(&b);
		free(v);
	}
}
END_TEST

START_TEST(ctx_body_limits)
{
	struct approve_ctx *c = NULL;
	size_t n = APPROVE_BODY_MAX + 1;
	char *big = malloc(n + 1), err[256];

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', n);
	memcpy(big, "{}", 2);
	ck_assert_int_eq(approve_ctx_from_json(big, n, &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "over"));
	/* raw NUL in the buffer, and len shorter than the text */
	ck_assert_int_eq(approve_ctx_from_json("{\"a\0\":1}", 8, &c, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(approve_ctx_from_json(FULL_CTX, strlen(FULL_CTX) - 1, &c, err,
					       sizeof(err)), -EINVAL);
	ck_assert_int_eq(approve_ctx_from_json(NULL, 0, &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(c);
	free(big);
}
END_TEST

START_TEST(ctx_encode_checks)
{
	struct approve_ctx c = { 0 };
	char err[256], *js = (char *)1;

	c.service = "sudo";
	c.user = "alice";
	c.target_user = "root";
	c.command = "ls";
	c.hostname = "web1";
	c.uid = 5;
	ck_assert_int_eq(approve_ctx_to_json(&c, &js, err, sizeof(err)), 0);
	ck_assert_str_eq(js, "{\"service\":\"sudo\",\"user\":\"alice\",\"uid\":5,"
			 "\"target_user\":\"root\",\"command\":\"ls\",\"hostname\":\"web1\"}");
	free(js);
	c.command = "a/b \"q\" \x01";
	ck_assert_int_eq(approve_ctx_to_json(&c, &js, err, sizeof(err)), 0);
	ck_assert_str_eq(strstr(js, "\"command\""), "\"command\":\"a/b \\\"q\\\" \\u0001\","
			 "\"hostname\":\"web1\"}");
	free(js);
	c.command = "ls";
	c.uid = -1;
	ck_assert_int_eq(approve_ctx_to_json(&c, &js, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(js);
	c.uid = 4294967296LL;
	ck_assert_int_eq(approve_ctx_to_json(&c, &js, err, sizeof(err)), -EINVAL);
	c.uid = 1;
	c.hostname = NULL;
	ck_assert_int_eq(approve_ctx_to_json(&c, &js, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "hostname"));
	c.hostname = "web1";
	c.tty = "\xff";
	ck_assert_int_eq(approve_ctx_to_json(&c, &js, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "UTF-8"));
	c.tty = NULL;
	c.user = "";
	ck_assert_int_eq(approve_ctx_to_json(&c, &js, err, sizeof(err)), -EINVAL);
}
END_TEST

#define UUID "123e4567-e89b-12d3-a456-426614174000"
#define DIG "4f32eda5845a4467a6b757d4ee09751dd49f108168b990ae272eedb9abbbfdb5"

static struct approve_status *
status_ok(const char *json)
{
	struct approve_status *s = NULL;
	char err[256] = "";

	ck_assert_msg(approve_status_from_json(json, strlen(json), &s, err, sizeof(err)) == 0,
		      "refused %s: %s", json, err);
	return s;
}

START_TEST(status_round_trip)
{
	struct approve_status *s, *s2;
	char *js;

	s = status_ok("{\"id\":\"" UUID "\",\"code\":\"k7q-4mx\",\"status\":\"denied\","
		      "\"url\":\"https://a.example/r/K7Q-4MX\",\"expires_at\":\"2026-11-26T11:22:39.123456Z\","
		      "\"digest\":\"" DIG "\",\"comment\":\"not now\",\"decided_by\":\"bob\","
		      "\"future_field\":{\"x\":[1,2]},\"self\":true}");
	ck_assert_str_eq(s->id, UUID);
	ck_assert_str_eq(s->code, "K7Q-4MX");	/* normalised */
	ck_assert_int_eq(s->state, APPROVE_DENIED);
	ck_assert_str_eq(s->digest, DIG);
	ck_assert_str_eq(s->url, "https://a.example/r/K7Q-4MX");
	ck_assert_str_eq(s->comment, "not now");
	ck_assert_str_eq(s->decided_by, "bob");
	ck_assert_str_eq(s->expires_at, "2026-11-26T11:22:39.123456Z");
	ck_assert_int_eq(approve_status_to_json(s, &js), 0);
	s2 = status_ok(js);
	ck_assert_str_eq(s2->id, s->id);
	ck_assert_str_eq(s2->code, s->code);
	ck_assert_int_eq(s2->state, s->state);
	ck_assert_str_eq(s2->digest, s->digest);
	ck_assert_str_eq(s2->url, s->url);
	ck_assert_str_eq(s2->comment, s->comment);
	ck_assert_str_eq(s2->decided_by, s->decided_by);
	ck_assert_str_eq(s2->expires_at, s->expires_at);
	free(js);
	approve_status_free(s2);
	approve_status_free(s);
	approve_status_free(NULL);

	s = status_ok("{\"id\":\"" UUID "\",\"status\":\"pending\",\"notified\":\"slack,teams\"}");
	ck_assert_str_eq(s->notified, "slack,teams");
	ck_assert_int_eq(approve_status_to_json(s, &js), 0);
	ck_assert_str_eq(js, "{\"id\":\"" UUID "\",\"status\":\"pending\","
			 "\"notified\":\"slack,teams\"}");
	free(js);
	free(s->notified);
	s->notified = strdup("slack,,teams");
	ck_assert_int_eq(approve_status_to_json(s, &js), -EINVAL);
	approve_status_free(s);

	s = status_ok("{\"status\":\"pending\",\"id\":\"" UUID "\",\"comment\":null}");
	ck_assert_int_eq(s->state, APPROVE_PENDING);
	ck_assert_str_eq(s->code, "");
	ck_assert_str_eq(s->digest, "");
	ck_assert_ptr_null(s->url);
	ck_assert_ptr_null(s->comment);
	ck_assert_int_eq(approve_status_to_json(s, &js), 0);
	ck_assert_str_eq(js, "{\"id\":\"" UUID "\",\"status\":\"pending\"}");
	free(js);
	s->state = APPROVE_STATE_INVALID;
	ck_assert_int_eq(approve_status_to_json(s, &js), -EINVAL);
	strcpy(s->id, "nope");
	s->state = APPROVE_APPROVED;
	ck_assert_int_eq(approve_status_to_json(s, &js), -EINVAL);
	approve_status_free(s);
}
END_TEST

static const char *const bad_status[] = {
	"[]", "{}", "{\"id\":\"" UUID "\"}", "{\"status\":\"pending\"}",
	"{\"id\":\"" UUID "\",\"status\":\"PENDING\"}",
	"{\"id\":\"" UUID "\",\"status\":\"granted\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending \"}",
	"{\"id\":\"" UUID "\",\"status\":1}",
	"{\"id\":\"" UUID "x\",\"status\":\"pending\"}",
	"{\"id\":\"not-a-uuid\",\"status\":\"pending\"}",
	"{\"id\":1,\"status\":\"pending\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"code\":\"K7Q4MX\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"code\":\"I7Q-4MX\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"code\":7}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"digest\":\"abc\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"digest\":\"4F32EDA5845A4467A6B757D4EE09751DD49F108168B990AE272EEDB9ABBBFDB5\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"digest\":\"" DIG "0\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"url\":5}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"comment\":[]}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"comment\":\"a\\u0000b\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"decided_by\":\"\xc3\x28\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"expires_at\":\"" 
		"0123456789012345678901234567890123456789012345678901234567890123456789\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"status\":\"approved\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"notified\":\"\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"notified\":\"slack,\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"notified\":\",slack\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"notified\":\"Slack\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"notified\":\"slack teams\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"notified\":\"slack\\u001b[2J\"}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\",\"notified\":[\"slack\"]}",
	"{\"id\":\"" UUID "\",\"status\":\"pending\"} trailing",
};

START_TEST(status_bad)
{
	struct approve_status *s = (struct approve_status *)1;
	const char *j = bad_status[_i];
	char err[256] = "";

	ck_assert_msg(approve_status_from_json(j, strlen(j), &s, err, sizeof(err)) == -EINVAL,
		      "case %d accepted: %s", _i, j);
	ck_assert_ptr_null(s);
	ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(status_long_fields)
{
	struct approve_buf b;
	struct approve_status *s = NULL;
	char err[256], *v = malloc(APPROVE_LEN_COMMENT + 2);

	ck_assert_ptr_nonnull(v);
	memset(v, 'c', APPROVE_LEN_COMMENT + 1);
	v[APPROVE_LEN_COMMENT] = '\0';
	approve_buf_init(&b, 1 << 16);
	approve_buf_printf(&b, "{\"id\":\"" UUID "\",\"status\":\"denied\",\"comment\":\"%s\"}", v);
	ck_assert_int_eq(approve_status_from_json(b.data, b.len, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(s->comment), APPROVE_LEN_COMMENT);
	approve_status_free(s);
	approve_buf_release(&b);
	v[APPROVE_LEN_COMMENT] = 'c';
	v[APPROVE_LEN_COMMENT + 1] = '\0';
	approve_buf_printf(&b, "{\"id\":\"" UUID "\",\"status\":\"denied\",\"comment\":\"%s\"}", v);
	ck_assert_int_eq(approve_status_from_json(b.data, b.len, &s, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "comment"));
	approve_buf_release(&b);
	free(v);
}
END_TEST

START_TEST(decision)
{
	char err[256], *c = (char *)1, *js, big[APPROVE_LEN_COMMENT + 2];

	ck_assert_int_eq(approve_decision_from_json("", 0, &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(approve_decision_from_json("{}", 2, &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(approve_decision_from_json("{\"comment\":null}", 16, &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(approve_decision_to_json("looks fine \xe2\x9c\x93", &js), 0);
	ck_assert_int_eq(approve_decision_from_json(js, strlen(js), &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c, "looks fine \xe2\x9c\x93");
	free(c);
	free(js);
	/* json-c would turn a lone surrogate escape into U+FFFD: refused */
	js = "{\"comment\":\"\\ud800x\"}";
	ck_assert_int_eq(approve_decision_from_json(js, strlen(js), &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(c);
	js = "{\"comment\":\"\\udc00\"}";
	ck_assert_int_eq(approve_decision_from_json(js, strlen(js), &c, err, sizeof(err)), -EINVAL);
	js = "{\"comment\":\"\\ud800\\u0041\"}";
	ck_assert_int_eq(approve_decision_from_json(js, strlen(js), &c, err, sizeof(err)), -EINVAL);
	js = "{\"comment\":\"\\ud800\"}";	/* at the very end */
	ck_assert_int_eq(approve_decision_from_json(js, strlen(js), &c, err, sizeof(err)), -EINVAL);
	/* a pair is one character; an escaped backslash is not an escape */
	js = "{\"comment\":\"\\ud83d\\ude00\"}";
	ck_assert_int_eq(approve_decision_from_json(js, strlen(js), &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c, "\xf0\x9f\x98\x80");
	free(c);
	js = "{\"comment\":\"\\\\ud800\"}";
	ck_assert_int_eq(approve_decision_from_json(js, strlen(js), &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c, "\\ud800");
	free(c);
	ck_assert_int_eq(approve_decision_to_json(NULL, &js), 0);
	ck_assert_str_eq(js, "{}");
	free(js);

#define BAD_DECISION(j) do { \
		c = (char *)1; \
		ck_assert_int_eq(approve_decision_from_json(j, strlen(j), &c, err, sizeof(err)), -EINVAL); \
		ck_assert_ptr_null(c); \
	} while (0)
	BAD_DECISION("{\"comment\":\"x\",\"approve\":true}");
	BAD_DECISION("{\"comment\":1}");
	BAD_DECISION("{\"comment\":\"a\\u0000\"}");
	BAD_DECISION("{\"comment\":\"\x80\"}");
	BAD_DECISION("{\"comment\":\"a\",\"comment\":\"b\"}");
	BAD_DECISION("\"comment\"");
	BAD_DECISION("null");
	BAD_DECISION(" ");
	BAD_DECISION("{\"comment\":\"x\"");
	memset(big, 'x', sizeof(big));
	big[APPROVE_LEN_COMMENT + 1] = '\0';
	ck_assert_int_eq(approve_decision_to_json(big, &js), -EINVAL);
	ck_assert_ptr_null(js);
	ck_assert_int_eq(approve_decision_to_json("\xff", &js), -EINVAL);
	{
		char body[APPROVE_LEN_COMMENT + 32];

		snprintf(body, sizeof(body), "{\"comment\":\"%s\"}", big);
		BAD_DECISION(body);
	}
}
END_TEST

START_TEST(error_body)
{
	char *js, *e = NULL, *d = NULL;

	ck_assert_int_eq(approve_error_to_json("final", "request is already approved", &js), 0);
	ck_assert_str_eq(js, "{\"error\":\"final\",\"detail\":\"request is already approved\"}");
	ck_assert_int_eq(approve_error_from_json(js, strlen(js), &e, &d), 0);
	ck_assert_str_eq(e, "final");
	ck_assert_str_eq(d, "request is already approved");
	free(e);
	free(d);
	free(js);
	ck_assert_int_eq(approve_error_to_json("unauthorized", NULL, &js), 0);
	ck_assert_str_eq(js, "{\"error\":\"unauthorized\"}");
	ck_assert_int_eq(approve_error_from_json(js, strlen(js), &e, &d), 0);
	ck_assert_str_eq(e, "unauthorized");
	ck_assert_ptr_null(d);
	free(e);
	free(js);
	ck_assert_int_eq(approve_error_to_json(NULL, "x", &js), -EINVAL);
	ck_assert_int_eq(approve_error_from_json("{}", 2, &e, &d), -EINVAL);
	ck_assert_int_eq(approve_error_from_json("{\"error\":5}", 11, &e, &d), -EINVAL);
	ck_assert_int_eq(approve_error_from_json("<html>", 6, &e, &d), -EINVAL);
	ck_assert_ptr_null(e);
	ck_assert_ptr_null(d);
}
END_TEST

START_TEST(states)
{
	static const char *const w[] = { "pending", "approved", "denied", "expired", "cancelled" };
	int i;

	for (i = 0; i < 5; i++) {
		ck_assert_str_eq(approve_state_name((enum approve_state)i), w[i]);
		ck_assert_int_eq(approve_state_parse(w[i]), i);
	}
	ck_assert_ptr_null(approve_state_name(APPROVE_STATE_INVALID));
	ck_assert_ptr_null(approve_state_name((enum approve_state)5));
	ck_assert_int_eq(approve_state_parse("Pending"), APPROVE_STATE_INVALID);
	ck_assert_int_eq(approve_state_parse("pending "), APPROVE_STATE_INVALID);
	ck_assert_int_eq(approve_state_parse(""), APPROVE_STATE_INVALID);
	ck_assert_int_eq(approve_state_parse(NULL), APPROVE_STATE_INVALID);
}
END_TEST

/* The whole command is bound: approve-v2 over the full command's sha256
 * and length (vector from Python hashlib, independent of wire.c). */
#define FULL_V2_CTX \
	"{\"service\":\"sudo\",\"user\":\"alice\",\"uid\":1000,\"target_user\":\"root\"," \
	"\"command\":\"sudo systemctl restart nginx\"," \
	"\"sudo_command\":\"/usr/bin/systemctl restart nginx\"," \
	"\"tty\":\"/dev/pts/3\",\"cwd\":\"/home/alice\",\"hostname\":\"web1\"," \
	"\"command_length\":9000,\"command_shown\":8189,\"command_truncated\":true," \
	"\"command_sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"," \
	"\"sudo_command_length\":31,\"sudo_command_shown\":31," \
	"\"sudo_command_truncated\":false," \
	"\"sudo_command_sha256\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}"

START_TEST(ctx_digest_full_command)
{
	struct approve_ctx *c = ctx_ok(FULL_V2_CTX), *c2;
	char d[APPROVE_HASH_HEX_LEN + 1], d2[APPROVE_HASH_HEX_LEN + 1];
	char err[256], *js = NULL;

	ck_assert_int_eq(c->command_full.length, 9000);
	ck_assert_int_eq(c->command_full.shown, 8189);
	ck_assert_int_eq(c->command_full.truncated, 1);
	ck_assert_int_eq(c->sudo_command_full.truncated, 0);
	ck_assert_int_eq(approve_ctx_digest(c, d), 0);
	ck_assert_str_eq(d, "20b9dc49cb1c4f1f11b4550fb39bda8e8be6cd1e7fe364f6e4be44a273ed0feb");
	/* two commands that differ only after the cut: the same text, another
	 * sha256 of the whole */
	c->command_full.sha256[63] = 'b';
	ck_assert_int_eq(approve_ctx_digest(c, d2), 0);
	ck_assert_str_ne(d, d2);
	c->command_full.sha256[63] = 'a';
	c->command_full.length = 9001;
	ck_assert_int_eq(approve_ctx_digest(c, d2), 0);
	ck_assert_str_ne(d, d2);
	c->command_full.length = 9000;
	c->sudo_command_full.sha256[0] = 'c';
	ck_assert_int_eq(approve_ctx_digest(c, d2), 0);
	ck_assert_str_ne(d, d2);
	c->sudo_command_full.sha256[0] = 'b';
	/* round trip keeps every field */
	ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), 0);
	c2 = ctx_ok(js);
	ck_assert_int_eq(approve_ctx_digest(c2, d2), 0);
	ck_assert_str_eq(d, d2);
	ck_assert_int_eq(c2->command_full.shown, 8189);
	free(js);
	approve_ctx_free(c2);
	/* without the full fields: the approve-v1 digest, as before */
	memset(&c->command_full, 0, sizeof(c->command_full));
	memset(&c->sudo_command_full, 0, sizeof(c->sudo_command_full));
	ck_assert_int_eq(approve_ctx_digest(c, d2), 0);
	ck_assert_str_ne(d, d2);
	approve_ctx_free(c);
}
END_TEST

#define SHA64 "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""
static const char *const bad_full[] = {
	/* not all four */
	"\"command_length\":10",
	"\"command_length\":10,\"command_shown\":10,\"command_truncated\":false",
	/* contradictions and ranges */
	"\"command_length\":10,\"command_shown\":10,\"command_truncated\":true,\"command_sha256\":" SHA64,
	"\"command_length\":10,\"command_shown\":5,\"command_truncated\":false,\"command_sha256\":" SHA64,
	"\"command_length\":10,\"command_shown\":11,\"command_truncated\":false,\"command_sha256\":" SHA64,
	"\"command_length\":-1,\"command_shown\":0,\"command_truncated\":true,\"command_sha256\":" SHA64,
	"\"command_length\":1099511627777,\"command_shown\":0,\"command_truncated\":true,\"command_sha256\":" SHA64,
	/* types */
	"\"command_length\":\"10\",\"command_shown\":10,\"command_truncated\":false,\"command_sha256\":" SHA64,
	"\"command_length\":10.5,\"command_shown\":10,\"command_truncated\":false,\"command_sha256\":" SHA64,
	"\"command_length\":10,\"command_shown\":10,\"command_truncated\":0,\"command_sha256\":" SHA64,
	"\"command_length\":10,\"command_shown\":10,\"command_truncated\":false,\"command_sha256\":\"ABC\"",
	"\"command_length\":10,\"command_shown\":10,\"command_truncated\":false,"
	"\"command_sha256\":\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"",
	/* sudo_command's without sudo_command, or without command's */
	"\"command_length\":10,\"command_shown\":10,\"command_truncated\":false,\"command_sha256\":" SHA64 ","
	"\"sudo_command_length\":1,\"sudo_command_shown\":1,\"sudo_command_truncated\":false,"
	"\"sudo_command_sha256\":" SHA64,
	"\"sudo_command\":\"/bin/ls\",\"sudo_command_length\":1,\"sudo_command_shown\":1,"
	"\"sudo_command_truncated\":false,\"sudo_command_sha256\":" SHA64,
};

/* Reported and observed context: kept through a round trip, bound by the
 * approve-v3 digest (each field changes it), strictly parsed. */
#define AGENT_HEAD \
	"{\"service\":\"sudo\",\"user\":\"alice\",\"uid\":1000,\"target_user\":\"root\"," \
	"\"command\":\"sudo systemctl restart nginx\",\"hostname\":\"web1\","
#define AGENT_CTX AGENT_HEAD \
	"\"agent\":\"claude-code/2.1\",\"run_url\":\"https://ci/run/1\"," \
	"\"commit\":\"3f2a9c1\",\"prompt\":\"restart nginx\"," \
	"\"ancestry\":[{\"pid\":42,\"exe\":\"/usr/bin/sudo\",\"argv\":\"sudo -n x\"}," \
	"{\"pid\":7,\"exe\":\"/usr/bin/bash\"},{\"pid\":1}]," \
	"\"loginuid\":1000,\"audit_session\":3,\"tty_attached\":false," \
	"\"observed_note\":\"pid 1: executable not readable (Permission denied)\"}"

START_TEST(ctx_agent_observed)
{
	struct approve_ctx *c = ctx_ok(AGENT_CTX), *c2;
	char d[APPROVE_HASH_HEX_LEN + 1], d2[APPROVE_HASH_HEX_LEN + 1];
	char err[256], *js = NULL, *anc = NULL;

	ck_assert_str_eq(c->agent, "claude-code/2.1");
	ck_assert_str_eq(c->prompt, "restart nginx");
	ck_assert_uint_eq(c->n_ancestry, 3);
	ck_assert_int_eq(c->ancestry[0].pid, 42);
	ck_assert_str_eq(c->ancestry[1].exe, "/usr/bin/bash");
	ck_assert_ptr_null(c->ancestry[1].argv);
	ck_assert_ptr_null(c->ancestry[2].exe);
	ck_assert_int_eq(c->has_loginuid, 1);
	ck_assert_int_eq(c->loginuid, 1000);
	ck_assert_int_eq(c->has_tty_attached, 1);
	ck_assert_int_eq(c->tty_attached, 0);
	ck_assert_int_eq(approve_ctx_digest(c, d), 0);
	ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), 0);
	c2 = ctx_ok(js);
	ck_assert_int_eq(approve_ctx_digest(c2, d2), 0);
	ck_assert_str_eq(d, d2);
	ck_assert_int_eq(approve_ctx_ancestry_json(c2, &anc), 0);
	ck_assert_str_eq(anc, "[{\"pid\":42,\"exe\":\"/usr/bin/sudo\",\"argv\":\"sudo -n x\"},"
			 "{\"pid\":7,\"exe\":\"/usr/bin/bash\"},{\"pid\":1}]");
	free(anc);
	free(js);
	/* every reported and observed field is bound */
	free(c2->prompt);
	c2->prompt = strdup("restart nginx and drop the firewall");
	ck_assert_int_eq(approve_ctx_digest(c2, d2), 0);
	ck_assert_str_ne(d, d2);
	approve_ctx_free(c2);
	c2 = ctx_ok(AGENT_CTX);
	c2->ancestry[1].exe[10] = 'z';
	ck_assert_int_eq(approve_ctx_digest(c2, d2), 0);
	ck_assert_str_ne(d, d2);
	approve_ctx_free(c2);
	c2 = ctx_ok(AGENT_CTX);
	c2->tty_attached = 1;
	ck_assert_int_eq(approve_ctx_digest(c2, d2), 0);
	ck_assert_str_ne(d, d2);
	c2->tty_attached = 0;
	c2->has_loginuid = 0;
	ck_assert_int_eq(approve_ctx_digest(c2, d2), 0);
	ck_assert_str_ne(d, d2);
	approve_ctx_free(c2);
	/* the same elevation without them keeps its earlier (v1) digest */
	c2 = ctx_ok(AGENT_HEAD "\"tty\":null}");
	ck_assert_int_eq(approve_ctx_digest(c2, d2), 0);
	ck_assert_str_ne(d, d2);
	approve_ctx_free(c2);
	approve_ctx_free(c);
}
END_TEST

static const char *const agent_bad[] = {
	AGENT_HEAD "\"ancestry\":{\"pid\":1}}",
	AGENT_HEAD "\"ancestry\":[1]}",
	AGENT_HEAD "\"ancestry\":[{\"exe\":\"/bin/sh\"}]}",
	AGENT_HEAD "\"ancestry\":[{\"pid\":0}]}",
	AGENT_HEAD "\"ancestry\":[{\"pid\":4194305}]}",
	AGENT_HEAD "\"ancestry\":[{\"pid\":1,\"comm\":\"sshd\"}]}",
	AGENT_HEAD "\"ancestry\":[{\"pid\":\"1\"}]}",
	AGENT_HEAD "\"ancestry\":[{\"pid\":1,\"exe\":7}]}",
	AGENT_HEAD "\"ancestry\":[{\"pid\":1},{\"pid\":2},{\"pid\":3},{\"pid\":4},"
		"{\"pid\":5},{\"pid\":6},{\"pid\":7},{\"pid\":8},{\"pid\":9},{\"pid\":10},"
		"{\"pid\":11},{\"pid\":12},{\"pid\":13},{\"pid\":14},{\"pid\":15},"
		"{\"pid\":16},{\"pid\":17}]}",
	AGENT_HEAD "\"tty_attached\":\"yes\"}",
	AGENT_HEAD "\"loginuid\":-1}",
	AGENT_HEAD "\"loginuid\":4294967296}",
	AGENT_HEAD "\"audit_session\":1.5}",
	AGENT_HEAD "\"prompt\":\"a\\u0000b\"}",
	AGENT_HEAD "\"agent\":7}",
	AGENT_HEAD "\"initiator\":\"agent\"}",
};

START_TEST(ctx_agent_bad)
{
	struct approve_ctx *c = NULL;
	char err[256] = "";
	const char *js = agent_bad[_i];

	ck_assert_msg(approve_ctx_from_json(js, strlen(js), &c, err, sizeof(err)) == -EINVAL,
		      "accepted %s", js);
	ck_assert_ptr_null(c);
	ck_assert_msg(err[0], "no message for %s", js);
}
END_TEST

START_TEST(ctx_agent_lengths)
{
	char prompt[APPROVE_LEN_PROMPT + 2], *js = NULL;
	struct approve_ctx *c = NULL;
	char err[256] = "";
	size_t n;

	memset(prompt, 'p', sizeof(prompt) - 1);
	prompt[sizeof(prompt) - 1] = '\0';
	n = strlen(AGENT_HEAD) + sizeof(prompt) + 32;
	js = malloc(n);
	ck_assert_ptr_nonnull(js);
	snprintf(js, n, AGENT_HEAD "\"prompt\":\"%s\"}", prompt);
	ck_assert_int_eq(approve_ctx_from_json(js, strlen(js), &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "prompt"));
	prompt[APPROVE_LEN_PROMPT] = '\0';	/* exactly the limit */
	snprintf(js, n, AGENT_HEAD "\"prompt\":\"%s\"}", prompt);
	c = ctx_ok(js);
	ck_assert_uint_eq(strlen(c->prompt), APPROVE_LEN_PROMPT);
	approve_ctx_free(c);
	free(js);
}
END_TEST

START_TEST(ctx_bad_full)
{
	struct approve_ctx *c = (struct approve_ctx *)1;
	char err[256] = "", *js = NULL;

	ck_assert_int_ge(asprintf(&js, "{" BASE ",\"uid\":1,%s}", bad_full[_i]), 0);
	ck_assert_msg(approve_ctx_from_json(js, strlen(js), &c, err, sizeof(err)) == -EINVAL,
		      "case %d accepted: %s", _i, js);
	ck_assert_ptr_null(c);
	ck_assert(err[0] != '\0');
	free(js);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The strict reader that approvald's own bodies (sign-in, cancel) use. */
static const char *const bad_objects[] = {
	"", "[]", "null", "{} {}", "{\"a\": 1", "{\"a\": 1, \"a\": 2}",
	"{\"a\": \"\\ud800\"}", "{\"a\": \"\\u0000\"}", "{\"a\": \"\xff\"}",
	"{\"b\": 1}", "{\"a\": \"x\ty\"}",
};

START_TEST(read_object_bad)
{
	static const char *const known[] = { "a", NULL };
	struct json_object *o = (struct json_object *)1;
	char err[128] = "";
	const char *in = bad_objects[_i];

	ck_assert_int_eq(approve_json_read_object(in, strlen(in), 1024, known, &o, err,
						  sizeof(err)), -EINVAL);
	ck_assert_ptr_null(o);
	ck_assert_msg(err[0], "no reason for %s", in);
}
END_TEST

START_TEST(read_object_good)
{
	static const char *const known[] = { "a", NULL };
	static const char nul[] = "{\"a\": 1}\0";
	struct json_object *o = NULL;
	char *v = NULL, err[128];

	ck_assert_int_eq(approve_json_read_object(" {\"a\": \"x\"}\n", 11, 1024, known, &o,
						  err, sizeof(err)), 0);
	ck_assert_int_eq(approve_json_get_str(o, "a", 1, 1, 1, &v, err, sizeof(err)), 0);
	ck_assert_str_eq(v, "x");
	free(v);
	ck_assert_int_eq(approve_json_get_str(o, "a", 0, 1, 1, &v, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(approve_json_get_str(o, "b", 8, 1, 1, &v, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(approve_json_get_str(o, "b", 8, 0, 1, &v, err, sizeof(err)), 0);
	ck_assert_ptr_null(v);
	json_object_put(o);
	ck_assert_int_eq(approve_json_read_object(nul, sizeof(nul) - 1, 1024, known, &o, err,
						  sizeof(err)), -EINVAL);
	ck_assert_int_eq(approve_json_read_object("{\"a\": 1}", 8, 4, known, &o, err,
						  sizeof(err)), -EINVAL);
	ck_assert_int_eq(approve_empty_from_json("", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(approve_empty_from_json(" {} ", 4, err, sizeof(err)), 0);
	ck_assert_int_eq(approve_empty_from_json("{\"a\":1}", 7, err, sizeof(err)), -EINVAL);
}
END_TEST

/* requester_timeout: 1..APPROVE_REQUESTER_TIMEOUT_MAX survives a round
 * trip and leaves the digest alone; 0 is not sent; out of range, or not
 * an integer, is refused both ways. */
START_TEST(ctx_requester_timeout)
{
	static const char *const bad[] = { "0", "-5", "86401", "\"20\"", "2.5", "true", "[]" };
	struct approve_ctx *c = ctx_ok(FULL_CTX), *c2;
	char err[256], *js = NULL, *json, d1[APPROVE_HASH_HEX_LEN + 1], d2[APPROVE_HASH_HEX_LEN + 1];
	size_t i;

	ck_assert_int_eq(c->requester_timeout, 0);
	ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), 0);
	ck_assert_ptr_null(strstr(js, "requester_timeout"));
	free(js);
	ck_assert_int_eq(approve_ctx_digest(c, d1), 0);
	c->requester_timeout = APPROVE_REQUESTER_TIMEOUT_MAX;
	ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), 0);
	c2 = ctx_ok(js);
	ck_assert_int_eq(c2->requester_timeout, APPROVE_REQUESTER_TIMEOUT_MAX);
	ck_assert_int_eq(approve_ctx_digest(c2, d2), 0);
	ck_assert_str_eq(d1, d2);
	free(js);
	approve_ctx_free(c2);
	c->requester_timeout = APPROVE_REQUESTER_TIMEOUT_MAX + 1;
	js = NULL;
	ck_assert_int_eq(approve_ctx_to_json(c, &js, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(js);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(asprintf(&json, "{\"service\":\"sudo\",\"user\":\"a\",\"uid\":1,"
					  "\"target_user\":\"root\",\"command\":\"x\",\"hostname\":\"h\","
					  "\"requester_timeout\":%s}", bad[i]) > 0, 1);
		c2 = (struct approve_ctx *)1;
		ck_assert_msg(approve_ctx_from_json(json, strlen(json), &c2, err, sizeof(err)) ==
			      -EINVAL, "accepted %s", json);
		ck_assert_ptr_null(c2);
		free(json);
	}
	approve_ctx_free(c);
}
END_TEST

/* retry_after of an error body: an integer in range, else refused. */
START_TEST(error_retry_after)
{
	static const char *const bad[] = {
		"{\"error\":\"x\"}", "{\"retry_after\":0}", "{\"retry_after\":-3}",
		"{\"retry_after\":\"5\"}", "{\"retry_after\":86401}", "{\"retry_after\":1.5}",
		"[5]", "", "{\"retry_after\":99999999999999999999}",
	};
	long secs = 1;
	size_t i;

	ck_assert_int_eq(approve_error_retry_after("{\"error\":\"rate_limited\",\"retry_after\":7}",
						   40, &secs), 0);
	ck_assert_int_eq(secs, 7);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		secs = 1;
		ck_assert_msg(approve_error_retry_after(bad[i], strlen(bad[i]), &secs) < 0,
			      "accepted %s", bad[i]);
		ck_assert_int_eq(secs, 0);
	}
}
END_TEST

/* The cancel body: a reason word or none, nothing else. */
START_TEST(cancel_body)
{
	static const char *const bad[] = {
		"{\"reason\":\"bored\"}", "{\"reason\":\"\"}", "{\"reason\":1}",
		"{\"reason\":\"timeout\",\"x\":1}", "{\"why\":\"timeout\"}", "[]",
		"{\"reason\":\"TIMEOUT\"}", "{\"reason\":\"unspecified\"}",
		"{\"reason\":\"timeout\",\"reason\":\"interrupted\"}",
	};
	enum approve_cancel_reason r;
	char err[256], *js;
	size_t i;

	for (i = APPROVE_CANCEL_UNSPECIFIED; i <= APPROVE_CANCEL_TIMEOUT; i++) {
		ck_assert_int_eq(approve_cancel_to_json(i, &js), 0);
		r = (enum approve_cancel_reason)99;
		ck_assert_int_eq(approve_cancel_from_json(js, strlen(js), &r, err, sizeof(err)), 0);
		ck_assert_int_eq(r, i);
		free(js);
	}
	ck_assert_int_eq(approve_cancel_to_json(APPROVE_CANCEL_UNSPECIFIED, &js), 0);
	ck_assert_str_eq(js, "{}");
	free(js);
	ck_assert_int_eq(approve_cancel_from_json("", 0, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r, APPROVE_CANCEL_UNSPECIFIED);
	ck_assert_str_eq(approve_cancel_reason_name(APPROVE_CANCEL_INTERRUPTED), "interrupted");
	ck_assert_str_eq(approve_cancel_reason_name(APPROVE_CANCEL_TIMEOUT), "timeout");
	ck_assert_ptr_null(approve_cancel_reason_name((enum approve_cancel_reason)3));
	ck_assert_ptr_null(approve_cancel_reason_name((enum approve_cancel_reason)-1));
	ck_assert_int_eq(approve_cancel_to_json((enum approve_cancel_reason)7, &js), -EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(approve_cancel_from_json(bad[i], strlen(bad[i]), &r, err,
						       sizeof(err)) == -EINVAL, "accepted %s", bad[i]);
}
END_TEST

/* The checked writer takes v also when it fails, and fails on a NULL o. */
START_TEST(checked_writer)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	ck_assert_int_eq(approve_json_add(NULL, "x", json_object_new_int(1)), -ENOMEM);
	ck_assert_int_eq(approve_json_push(NULL, json_object_new_int(1)), -ENOMEM);
	ck_assert_int_eq(approve_json_push(a, NULL), -ENOMEM);
	ck_assert_int_eq(approve_json_push(a, json_object_new_string("r")), 0);
	ck_assert_int_eq(approve_json_add(o, "a", a), 0);
	ck_assert_int_eq(approve_json_add_str(o, "s", "v"), 0);
	ck_assert_int_eq(approve_json_add_str(o, "n", NULL), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			 "{\"a\":[\"r\"],\"s\":\"v\",\"n\":null}");
	json_object_put(o);
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, ctx_round_trip);
	tcase_add_test(tc, ctx_digest);
	tcase_add_test(tc, ctx_idempotency_key);
	tcase_add_test(tc, ctx_digest_full_command);
	tcase_add_test(tc, ctx_agent_observed);
	tcase_add_loop_test(tc, ctx_agent_bad, 0, sizeof(agent_bad) / sizeof(agent_bad[0]));
	tcase_add_test(tc, ctx_agent_lengths);
	tcase_add_loop_test(tc, ctx_bad_full, 0, N(bad_full));
	tcase_add_loop_test(tc, ctx_bad, 0, N(bad_ctx));
	tcase_add_loop_test(tc, ctx_lengths, 0, 11);
	tcase_add_test(tc, ctx_body_limits);
	tcase_add_test(tc, ctx_encode_checks);
	tcase_add_test(tc, status_round_trip);
	tcase_add_loop_test(tc, status_bad, 0, N(bad_status));
	tcase_add_test(tc, status_long_fields);
	tcase_add_test(tc, decision);
	tcase_add_test(tc, error_body);
	tcase_add_test(tc, states);
	tcase_add_loop_test(tc, read_object_bad, 0, N(bad_objects));
	tcase_add_test(tc, read_object_good);
	tcase_add_test(tc, checked_writer);
	tcase_add_test(tc, ctx_requester_timeout);
	tcase_add_test(tc, cancel_body);
	tcase_add_test(tc, error_retry_after);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(wire_suite());
}
