/* test_settings.c: check suite for approvald/settings.c, approvald.conf:
 * the defaults; every numeric key accepted at both ends of its range and
 * refused one past them (and on junk), each refusal one message
 * "FILE:LINE: key: ..." naming the line of the key; listen lists (TCP,
 * [IPv6], unix: endpoints, at most APPROVALD_LISTEN_MAX of them, empty
 * items, non-numeric hosts, bad ports, relative, over-long and
 * unsafe-directory socket paths, Unix-only without public_url),
 * socket_mode (octal, at most 0777), socket_owner (names or ids, unknown
 * ones refused), the words of log and debug, and the keys that go in
 * pairs (tls_cert/tls_key, sso_header/sso_proxies). */
#include <errno.h>
#include <netinet/in.h>

#include "settings.h"
#include "secret.h"
#include "unit.h"

#define BASE "database = dbname=approval\nlisten = 127.0.0.1:0\n"	/* lines 1, 2 */

static const char *dir;
static char *path;
static char err[1024];

static void
setup(void)
{
	dir = unit_tmpdir();
	ck_assert_int_eq(chmod(dir, 0700), 0);
}

static void
teardown(void)
{
	free(path);
	path = NULL;
	unit_rmdir(dir);
}

/* Load text as approvald.conf; the config (or NULL) in *out. */
static int
load(const char *text, struct approvald_config **out)
{
	free(path);
	path = unit_write(dir, "approvald.conf", text, strlen(text), 0600);
	err[0] = '\0';
	return settings_load(path, out, err, sizeof(err));
}

/* text is refused with "PATH:LINE: msg..." (line 0: "PATH: msg..."). */
static void
refused(const char *text, unsigned line, const char *msg)
{
	struct approvald_config *c = (void *)1;
	char want[1024];
	int r = load(text, &c);

	ck_assert_msg(r == -EINVAL, "accepted (%d): %s", r, text);
	ck_assert_ptr_null(c);
	if (line)
		snprintf(want, sizeof(want), "%s:%u: %s", path, line, msg);
	else
		snprintf(want, sizeof(want), "%s: %s", path, msg);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		      "for:\n%s\nmessage '%s', expected it to start with '%s'", text, err, want);
	ck_assert_ptr_null(strchr(err, '\n'));
}

/* BASE plus one line (line 3) is accepted. */
static struct approvald_config *
accepted(const char *text)
{
	struct approvald_config *c = NULL;

	ck_assert_msg(load(text, &c) == 0, "refused: %s: %s", text, err);
	ck_assert_ptr_nonnull(c);
	return c;
}

static void
refused3(const char *line3, const char *msg)
{
	char text[2048];

	snprintf(text, sizeof(text), BASE "%s\n", line3);
	refused(text, 3, msg);
}

static struct approvald_config *
accepted3(const char *line3)
{
	char text[2048];

	snprintf(text, sizeof(text), BASE "%s\n", line3);
	return accepted(text);
}

START_TEST(defaults)
{
	struct approvald_config *c = accepted(BASE);

	ck_assert_uint_eq(c->request_ttl, 600);
	ck_assert_uint_eq(c->pool_size, 4);
	ck_assert_uint_eq(c->max_connections, 20000);
	ck_assert_int_eq(c->max_connections_set, 0);
	ck_assert_uint_eq(c->max_connections_per_peer, 64);
	ck_assert_uint_eq(c->header_timeout, 10);
	ck_assert_uint_eq(c->audit_head_interval, 300);
	ck_assert_uint_eq(c->host_create_limit, 0);
	ck_assert_uint_eq(c->host_create_window, 60);
	ck_assert_uint_eq(c->socket_mode, APPROVALD_SOCKET_MODE_DEFAULT);
	ck_assert(c->socket_uid == (uid_t)-1 && c->socket_gid == (gid_t)-1);
	ck_assert_ptr_null(c->public_url);
	ck_assert_ptr_null(c->tls_cert);
	ck_assert_ptr_null(c->sso_header);
	ck_assert_uint_eq(c->n_listen, 1);
	ck_assert_ptr_eq(c->first_tcp, &c->listens[0]);
	ck_assert_ptr_null(c->listens[0].unix_path);
	ck_assert_str_eq(c->listens[0].host, "127.0.0.1");
	settings_free(c);
	settings_free(NULL);
}
END_TEST

struct range {
	const char *key;
	const char *lo, *hi;		/* accepted */
	const char *below, *above;	/* refused (NULL: none) */
	const char *msg;
};

static const struct range ranges[] = {
	{ "request_ttl", "10", "86400", "9", "86401", "request_ttl: expected seconds 10..86400" },
	{ "pool_size", "1", "64", "0", "65", "pool_size: expected 1..64" },
	{ "max_connections", "16", "1000000", "15", "1000001",
	  "max_connections: expected 16..1000000" },
	{ "max_connections_per_peer", "0", "1000000", NULL, "1000001",
	  "max_connections_per_peer: expected 0..1000000 (0: no cap)" },
	{ "header_timeout", "1", "3600", "0", "3601", "header_timeout: expected seconds 1..3600" },
	{ "audit_head_interval", "0", "86400", NULL, "86401",
	  "audit_head_interval: expected seconds 0..86400 (0: off)" },
	{ "host_create_limit", "0", "1000000", NULL, "1000001",
	  "host_create_limit: expected 0..1000000 (0: no limit)" },
	{ "host_create_window", "1", "86400", "0", "86401",
	  "host_create_window: expected seconds 1..86400" },
};

static unsigned long
value_of(const struct approvald_config *c, const char *key)
{
	if (!strcmp(key, "request_ttl"))
		return c->request_ttl;
	if (!strcmp(key, "pool_size"))
		return c->pool_size;
	if (!strcmp(key, "max_connections"))
		return c->max_connections;
	if (!strcmp(key, "max_connections_per_peer"))
		return c->max_connections_per_peer;
	if (!strcmp(key, "host_create_limit"))
		return c->host_create_limit;
	if (!strcmp(key, "host_create_window"))
		return c->host_create_window;
	if (!strcmp(key, "header_timeout"))
		return c->header_timeout;
	if (!strcmp(key, "audit_head_interval"))
		return c->audit_head_interval;
	ck_abort_msg("no key %s", key);
	return 0;
}

START_TEST(numeric_ranges)
{
	static const char *const junk[] = {
		"", "abc", "-1", "+5", " 12x", "0x10", "1e3", "99999999999999999999999",
		"18446744073709551617", "12.5", "\x1b[2J",
	};
	const struct range *r = &ranges[_i];
	char line[256];
	struct approvald_config *c;
	size_t j;

	snprintf(line, sizeof(line), "%s = %s", r->key, r->lo);
	c = accepted3(line);
	ck_assert_uint_eq(value_of(c, r->key), strtoul(r->lo, NULL, 10));
	if (!strcmp(r->key, "max_connections"))
		ck_assert_int_eq(c->max_connections_set, 1);
	settings_free(c);
	snprintf(line, sizeof(line), "%s = %s", r->key, r->hi);
	c = accepted3(line);
	ck_assert_uint_eq(value_of(c, r->key), strtoul(r->hi, NULL, 10));
	settings_free(c);
	if (r->below) {
		snprintf(line, sizeof(line), "%s = %s", r->key, r->below);
		refused3(line, r->msg);
	}
	snprintf(line, sizeof(line), "%s = %s", r->key, r->above);
	refused3(line, r->msg);
	for (j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
		struct approvald_config *x = NULL;

		snprintf(line, sizeof(line), BASE "%s = %s\n", r->key, junk[j]);
		ck_assert_msg(load(line, &x) < 0, "%s = '%s' accepted", r->key, junk[j]);
		ck_assert_ptr_null(x);
		ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "message '%s'", err);
	}
}
END_TEST

START_TEST(error_names_its_line)
{
	/* the key's own line, wherever it is */
	refused("# comment\n\ndatabase = dbname=x\nlisten = 127.0.0.1:0\n"
		"request_ttl = 60\n\n\npool_size = 99\n", 8, "pool_size: expected 1..64");
	/* no database at all: no line to name */
	refused("listen = 127.0.0.1:0\n", 0, "database: a libpq conninfo is required");
	refused("database =\nlisten = 127.0.0.1:0\n", 1, "database: a libpq conninfo is required");
	refused("database = host='unterminated\nlisten = 127.0.0.1:0\n", 1, "database: ");
}
END_TEST

START_TEST(listen_lists)
{
	char text[4096], name[64];
	struct approvald_config *c;
	size_t i;

	c = accepted("database = dbname=a\nlisten = 127.0.0.1:8080 , [::1]:0,\t10.0.0.1:65535\n");
	ck_assert_uint_eq(c->n_listen, 3);
	ck_assert_str_eq(c->listens[0].text, "127.0.0.1:8080");
	ck_assert_str_eq(c->listens[1].host, "::1");
	ck_assert_int_eq(c->listens[1].addr.ss_family, AF_INET6);
	ck_assert_str_eq(c->listens[2].text, "10.0.0.1:65535");
	settings_free(c);

#define L(v, msg) refused("database = dbname=a\nlisten = " v "\n", 2, msg)
	L("", "listen: empty");
	L("127.0.0.1:0,", "listen: ");
	L("127.0.0.1:0,,127.0.0.2:0", "listen: ");
	L(",127.0.0.1:0", "listen: ");
	L("localhost:80", "listen: 'localhost:80': expected ADDR:PORT with a numeric IPv4");
	L("127.0.0.1:65536", "listen: '127.0.0.1:65536': expected ADDR:PORT");
	L("127.0.0.1", "listen: '127.0.0.1': expected ADDR:PORT");
	L("127.0.0.1:-1", "listen: '127.0.0.1:-1': expected");
	L("127.0.0.1:80x", "listen: '127.0.0.1:80x': expected");
	L("::1:80", "listen: '::1:80': expected");
	L("[::1]80", "listen: '[::1]80': expected");
	L("[127.0.0.1]:80", "listen: '[127.0.0.1]:80': expected");
	L("unix:relative.sock", "listen: ");
	L("unix:", "listen: ");
	L("unix:/tmp/approvald-test.sock",
	  "listen: directory /tmp is writable by group or others (mode 1777)");
#undef L
	/* nine endpoints: one too many */
	snprintf(text, sizeof(text), "database = dbname=a\nlisten = ");
	for (i = 0; i <= APPROVALD_LISTEN_MAX; i++) {
		snprintf(name, sizeof(name), "%s127.0.0.1:%zu", i ? "," : "", 1000 + i);
		strcat(text, name);
	}
	strcat(text, "\n");
	refused(text, 2, "listen: more than 8 endpoints");
	/* exactly eight */
	text[strlen(text) - strlen(",127.0.0.1:1008\n")] = '\0';
	strcat(text, "\n");
	c = accepted(text);
	ck_assert_uint_eq(c->n_listen, APPROVALD_LISTEN_MAX);
	settings_free(c);
}
END_TEST

START_TEST(listen_unix)
{
	char text[4096], longpath[300];
	struct approvald_config *c;
	char *file;

	/* Unix only: the links need public_url */
	snprintf(text, sizeof(text), "database = dbname=a\nlisten = unix:%s/a.sock\n", dir);
	refused(text, 2, "public_url is required when approvald listens on Unix sockets only");
	snprintf(text, sizeof(text), "database = dbname=a\nlisten = unix:%s/a.sock\n"
		 "public_url = https://approve.example.com\nsocket_mode = 0660\n", dir);
	c = accepted(text);
	ck_assert_uint_eq(c->n_listen, 1);
	ck_assert_ptr_null(c->first_tcp);
	ck_assert_ptr_nonnull(c->listens[0].unix_path);
	ck_assert_str_eq(strrchr(c->listens[0].unix_path, '/'), "/a.sock");
	ck_assert_uint_eq(c->socket_mode, 0660);
	settings_free(c);
	/* mixed: the first TCP endpoint is the one for links */
	snprintf(text, sizeof(text), "database = dbname=a\nlisten = unix:%s/a.sock, 127.0.0.1:9\n", dir);
	c = accepted(text);
	ck_assert_ptr_eq(c->first_tcp, &c->listens[1]);
	settings_free(c);

	/* the parent is a file */
	file = unit_write(dir, "file", "x", 1, 0600);
	snprintf(text, sizeof(text), "database = dbname=a\nlisten = unix:%s/a.sock\n", file);
	refused(text, 2, "listen: ");
	ck_assert_ptr_nonnull(strstr(err, "is not a directory"));
	free(file);
	/* a parent writable by others */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(text, sizeof(text), "database = dbname=a\nlisten = unix:%s/a.sock\n", dir);
	refused(text, 2, "listen: directory ");
	ck_assert_ptr_nonnull(strstr(err, "writable by group or others (mode 0777)"));
	ck_assert_int_eq(chmod(dir, 0700), 0);
	/* a path longer than sun_path can hold */
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	snprintf(text, sizeof(text), "database = dbname=a\nlisten = unix:%s/%s\n", dir, longpath);
	refused(text, 2, "listen: socket path over ");
}
END_TEST

START_TEST(socket_mode_owner)
{
	struct approvald_config *c;
	static const char *const bad_modes[] = {
		"0778", "1777", "00000", "8", "rw", "-1", "0x1ff", "0 660",
	};
	size_t i;
	char line[128];

	c = accepted3("socket_mode = 0");
	ck_assert_uint_eq(c->socket_mode, 0);
	settings_free(c);
	c = accepted3("socket_mode = 777");
	ck_assert_uint_eq(c->socket_mode, 0777);
	settings_free(c);
	for (i = 0; i < sizeof(bad_modes) / sizeof(bad_modes[0]); i++) {
		snprintf(line, sizeof(line), "socket_mode = %s", bad_modes[i]);
		refused3(line, "socket_mode: expected an octal mode 0000..0777, e.g. 0660");
	}
	c = accepted3("socket_owner = root:root");
	ck_assert_uint_eq(c->socket_uid, 0);
	ck_assert_uint_eq(c->socket_gid, 0);
	ck_assert_str_eq(c->socket_owner, "root:root");
	settings_free(c);
	c = accepted3("socket_owner = 4242");
	ck_assert_uint_eq(c->socket_uid, 4242);
	ck_assert(c->socket_gid == (gid_t)-1);
	settings_free(c);
	refused3("socket_owner = no-such-user-zz", "socket_owner: 'no-such-user-zz': no such user or group");
	refused3("socket_owner = root:no-such-group-zz",
		 "socket_owner: 'root:no-such-group-zz': no such user or group");
	refused3("socket_owner = 4294967295", "socket_owner: '4294967295': no such user or group");
	refused3("socket_owner = root:", "socket_owner: 'root:': expected user[:group]");
	refused3("socket_owner = :root", "socket_owner: ':root': expected user[:group]");
	refused3("socket_owner = "
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 "socket_owner: 'aaaa");
}
END_TEST

START_TEST(pairs_and_words)
{
	refused3("tls_cert = /nonexistent/cert.pem", "tls_cert and tls_key go together (both or neither)");
	refused3("tls_key = /nonexistent/key.pem", "tls_cert and tls_key go together (both or neither)");
	refused3("tls_cert =", "tls_cert: empty");
	refused("database = dbname=a\nlisten = 127.0.0.1:0\ntls_cert = /nonexistent/c.pem\n"
		"tls_key = /nonexistent/k.pem\n", 3, "tls_cert: /nonexistent/c.pem: ");
	refused3("sso_header = X-Remote-User", "sso_header (an HTTP header name) and sso_proxies");
	refused3("sso_proxies = 127.0.0.1", "sso_header (an HTTP header name) and sso_proxies");
	refused3("log = journal", "log: expected stderr or syslog");
	refused3("debug = maybe", "debug: expected yes or no");
	refused3("public_url = ftp://approve.example.com",
		 "public_url: expected an http:// or https:// URL without query");
	refused3("public_url = https://approve.example.com/?x=1",
		 "public_url: expected an http:// or https:// URL without query");
}
END_TEST

START_TEST(words_accepted)
{
	struct approvald_config *c;
	char text[2048], *cert, *key;

	c = accepted3("log = syslog");
	ck_assert_int_eq(c->use_syslog, 1);
	settings_free(c);
	c = accepted3("log = stderr");
	ck_assert_int_eq(c->use_syslog, 0);
	settings_free(c);
	c = accepted3("debug = yes");
	ck_assert_int_eq(c->debug, 1);
	settings_free(c);
	c = accepted("database = dbname=a\nlisten = 127.0.0.1:0\nsso_header = X-Remote-User\n"
		     "sso_proxies = 127.0.0.1, ::1, unix:uid=0\n");
	ck_assert_str_eq(c->sso_header, "X-Remote-User");
	ck_assert_ptr_nonnull(c->sso_proxies);
	settings_free(c);
	refused("database = dbname=a\nlisten = 127.0.0.1:0\nsso_header = X-Remote-User\n"
		"sso_proxies = proxy.example.com\n", 3, "sso_header (an HTTP header name)");
	refused("database = dbname=a\nlisten = 127.0.0.1:0\nsso_header = X-Remote-User\n"
		"sso_proxies = unix:uid=x\n", 3, "sso_header (an HTTP header name)");
	/* TLS: both readable files; links then say https */
	cert = unit_write(dir, "c.pem", "x", 1, 0600);
	key = unit_write(dir, "k.pem", "x", 1, 0600);
	snprintf(text, sizeof(text), BASE "tls_cert = %s\ntls_key = %s\n", cert, key);
	c = accepted(text);
	ck_assert_str_eq(c->tls_cert, cert);
	{
		char *u = settings_public_url(c, 8443);

		ck_assert_str_eq(u, "https://127.0.0.1:8443");
		free(u);
	}
	settings_free(c);
	free(cert);
	free(key);
}
END_TEST

START_TEST(hostile_files)
{
	struct approvald_config *c = (void *)1;
	static const char nul[] = "database = dbname=a\nlisten = 127.0.0.1:0\npool\0_size = 2\n";

	/* unknown keys, NUL bytes, control characters, a missing file */
	ck_assert_int_eq(load(BASE "no_such_key = 1\n", &c), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(strncmp(err, path, strlen(path)), 0);
	ck_assert_ptr_nonnull(strstr(err, ":3:"));
	free(path);
	path = unit_write(dir, "nul.conf", nul, sizeof(nul) - 1, 0600);
	c = (void *)1;
	ck_assert_int_lt(settings_load(path, &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	c = (void *)1;
	ck_assert_int_lt(settings_load("/nonexistent/approvald.conf", &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/approvald.conf"));
	/* a tiny error buffer is filled, terminated, never overrun */
	{
		char small[8];

		memset(small, 'Z', sizeof(small));
		c = (void *)1;
		free(path);
		path = unit_write(dir, "a.conf", BASE "pool_size = 0\n", strlen(BASE "pool_size = 0\n"), 0600);
		ck_assert_int_eq(settings_load(path, &c, small, 4), -EINVAL);
		ck_assert_uint_lt(strlen(small), 4);
		ck_assert_int_eq(small[4], 'Z');
	}
}
END_TEST

START_TEST(public_url_derived)
{
	struct approvald_config *c;
	char *u;

	c = accepted(BASE);
	u = settings_public_url(c, 8080);
	ck_assert_str_eq(u, "http://127.0.0.1:8080");
	free(u);
	settings_free(c);
	c = accepted("database = dbname=a\nlisten = [::1]:0\n");
	u = settings_public_url(c, 443);
	ck_assert_str_eq(u, "http://[::1]:443");
	free(u);
	settings_free(c);
	c = accepted3("public_url = https://approve.example.com");
	u = settings_public_url(c, 1);
	ck_assert_str_eq(u, "https://approve.example.com");
	free(u);
	settings_free(c);
}
END_TEST

/* Notification sinks: pairs go together, secrets come from private files
 * (a group- or world-readable one is refused), URLs are http(s), the
 * escalation sink must be configured; defaults when nothing is set. */
START_TEST(notify_keys)
{
	struct approvald_config *c;
	char *good, *open_file, *shortf, line[1200];

	good = unit_write(dir, "hook.secret", "whsec_0123456789abcdef\n", 23, 0600);
	open_file = unit_write(dir, "open.secret", "whsec_0123456789abcdef\n", 23, 0644);
	shortf = unit_write(dir, "short.secret", "abc\n", 4, 0600);
	c = accepted3("debug = no");
	ck_assert_int_eq(notify_any_sink(&c->notify), 0);
	ck_assert_uint_eq(c->notify.max_age, 86400);
	ck_assert_uint_eq(c->notify.timeout, 5);
	ck_assert_int_eq(c->notify.escalation_sink, -1);
	ck_assert_str_eq(c->notify.slack_api_url, "https://slack.com/api");
	settings_free(c);
	snprintf(line, sizeof(line), "notify_webhook_url = https://h.example/x?sig=1\n"
		 "notify_webhook_secret_file = %s", good);
	c = accepted3(line);
	ck_assert_int_eq(notify_sink_enabled(&c->notify, NOTIFY_WEBHOOK), 1);
	ck_assert_int_eq(notify_sink_enabled(&c->notify, NOTIFY_SLACK), 0);
	ck_assert_str_eq(c->notify.webhook_secret->data, "whsec_0123456789abcdef");
	settings_free(c);
	refused3("notify_webhook_url = https://h.example/x",
		 "notify_webhook_url and notify_webhook_secret_file go together");
	snprintf(line, sizeof(line), "notify_webhook_secret_file = %s", open_file);
	refused3(line, "notify_webhook_secret_file: ");
	snprintf(line, sizeof(line), "notify_webhook_secret_file = %s\n"
		 "notify_webhook_url = https://h.example/x", shortf);
	refused3(line,
		"notify_webhook_secret_file: at least 16 bytes");
	refused3("notify_webhook_url = ftp://h.example/x", "notify_webhook_url: expected");
	refused3("notify_teams_webhook_url = https://h.example/a b", "notify_teams_webhook_url: expected");
	refused3("notify_slack_channel = C0 12", "notify_slack_channel: expected");
	refused3("notify_escalation_sink = teams", "notify_escalation_sink: expected a configured sink");
	refused3("notify_escalate_after = 60", "notify_escalate_after needs notify_escalation_sink");
	refused3("notify_timeout = 0", "notify_timeout: expected 1..60");
	free(good);
	free(open_file);
	free(shortf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_loop_test(tc, numeric_ranges, 0, (int)(sizeof(ranges) / sizeof(ranges[0])));
	tcase_add_test(tc, error_names_its_line);
	tcase_add_test(tc, listen_lists);
	tcase_add_test(tc, listen_unix);
	tcase_add_test(tc, socket_mode_owner);
	tcase_add_test(tc, pairs_and_words);
	tcase_add_test(tc, words_accepted);
	tcase_add_test(tc, hostile_files);
	tcase_add_test(tc, public_url_derived);
	tcase_add_test(tc, notify_keys);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
