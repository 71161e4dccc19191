/* test_http.c: check suite for common/http.c: URL parsing, the response
 * parser (truncated, oversized headers and bodies, chunked with bad sizes
 * and extensions, close-delimited, Content-Length conflicts, garbage status
 * lines, 1xx skipped), and the client against a tiny server thread on
 * 127.0.0.1: a normal exchange (bearer token seen by the server), a server
 * that never answers (deadline honoured), a closed port (unreachable),
 * an unknown name, a full accept queue and an expired deadline (never
 * unreachable), a name whose first address is black-holed (the second is
 * reached; unreachable only if both refuse), garbage (-EPROTO), a SIGALRM during the wait
 * (-EINTR), and TLS with a generated certificate (right name, wrong name,
 * wrong CA), and that no freed block of the client ever holds the host
 * token (allocator wrapped). */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <sys/mount.h>
#include <sched.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "http.h"
#include "peer.h"
#include "secret.h"
#include "wire.h"
#include "unit.h"

/* ---- URL ---- */

struct url_case {
	const char *url;
	int tls;
	const char *host, *port, *path;
};
static const struct url_case good_urls[] = {
	{ "http://a", 0, "a", "80", "" },
	{ "https://approvald.example:8443", 1, "approvald.example", "8443", "" },
	{ "http://127.0.0.1:8080/", 0, "127.0.0.1", "8080", "" },
	{ "https://[::1]:443/base/path/", 1, "::1", "443", "/base/path" },
	{ "https://[fe80::1]/x//", 1, "fe80::1", "443", "/x" },
	{ "HTTPS://Host.Example/approve", 1, "Host.Example", "443", "/approve" },
	{ "http://a:1", 0, "a", "1", "" },
	{ "http://a:65535/", 0, "a", "65535", "" },
};
static const char *const bad_urls[] = {
	"", "ftp://x", "http:/a", "http://", "https://", "http://:80", "http://a:0",
	"http://a:65536", "http://a:", "http://a:80x", "http://a:+80", "http://a:-1",
	"http://user@a", "http://u:p@a/", "http://a/?q=1", "http://a/#f", "http://a b",
	"http://[::1", "http://[zz]:80", "http://[::1]x", "http://[127.0.0.1]/",
	"http://a..b", "http://.a", "http://-a", "http://a\n", "http://a\r\nX: y",
	"http://a/\x01", "https://a/\xc3\xa9", "http://a%2fb/", "http://a/b c",
	"http://a:99999999999999999999", "javascript:alert(1)", "//a/b",
	"http://a:80:80",
};

START_TEST(url_good)
{
	const struct url_case *c = &good_urls[_i];
	struct approve_url u;
	char err[256] = "";

	ck_assert_msg(approve_url_parse(c->url, &u, err, sizeof(err)) == 0, "%s: %s", c->url, err);
	ck_assert_int_eq(u.tls, c->tls);
	ck_assert_str_eq(u.host, c->host);
	ck_assert_str_eq(u.port, c->port);
	ck_assert_str_eq(u.path, c->path);
	approve_url_release(&u);
	approve_url_release(&u);	/* idempotent */
}
END_TEST

START_TEST(url_bad)
{
	struct approve_url u;
	char err[256] = "";

	ck_assert_msg(approve_url_parse(bad_urls[_i], &u, err, sizeof(err)) == -EINVAL,
		      "accepted %s", bad_urls[_i]);
	ck_assert_ptr_null(u.host);
	ck_assert(err[0] != '\0');
	approve_url_release(&u);
}
END_TEST

START_TEST(url_long)
{
	struct approve_url u;
	char err[256], *s = malloc(APPROVE_LEN_URL + 2);

	ck_assert_ptr_nonnull(s);
	memset(s, 'a', APPROVE_LEN_URL + 1);
	memcpy(s, "http://a/", 9);
	s[APPROVE_LEN_URL + 1] = '\0';
	ck_assert_int_eq(approve_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	s[APPROVE_LEN_URL] = '\0';
	ck_assert_int_eq(approve_url_parse(s, &u, err, sizeof(err)), 0);
	approve_url_release(&u);
	/* a 64-byte DNS label is too long */
	memset(s + 7, 'b', 64);
	s[71] = '\0';
	ck_assert_int_eq(approve_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(approve_url_parse(NULL, &u, err, sizeof(err)), -EINVAL);
	free(s);
}
END_TEST

/* unix:PATH: the socket path is kept as written; Host is "localhost" */
static const char *const good_unix[] = {
	"unix:/run/approvald/approvald.sock", "UNIX:/a", "unix:/tmp/x.y/s-1_2",
	"unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 107 bytes: the limit */
};
static const char *const bad_unix[] = {
	"unix:", "unix:/", "unix:run/approvald.sock", "unix://run/a.sock",
	"unix:/run//a.sock", "unix:/run/./a.sock", "unix:/run/../a.sock",
	"unix:/run/a/", "unix:/run/.", "unix:/run/..", "unix:/run/a.sock?x",
	"unix:/run/a.sock#x", "unix:/run/a sock", "unix:/run/a\x01",
	"unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 108 bytes */
	"unix", "unix/run/a.sock", "file:/run/a.sock",
};

START_TEST(url_unix_good)
{
	struct approve_url u;
	char err[256] = "";

	ck_assert_msg(approve_url_parse(good_unix[_i], &u, err, sizeof(err)) == 0,
		      "%s: %s", good_unix[_i], err);
	ck_assert_str_eq(u.unix_path, good_unix[_i] + 5);
	ck_assert_str_eq(u.host, "localhost");
	ck_assert_str_eq(u.port, "80");
	ck_assert_str_eq(u.path, "");
	ck_assert_int_eq(u.tls, 0);
	ck_assert_int_eq(approve_url_transport_ok(&u, err, sizeof(err)), 0);
	approve_url_release(&u);
	ck_assert_ptr_null(u.unix_path);
}
END_TEST

START_TEST(url_unix_bad)
{
	struct approve_url u;
	char err[256] = "";

	ck_assert_msg(approve_url_parse(bad_unix[_i], &u, err, sizeof(err)) == -EINVAL,
		      "accepted %s", bad_unix[_i]);
	ck_assert_ptr_null(u.unix_path);
	ck_assert(err[0] != '\0');
}
END_TEST

/* Which parsed URLs may carry a token (the module, approvalctl). */
START_TEST(url_transport_rule)
{
	static const char *const ok[] = {
		"https://approvald.example:8443", "https://127.0.0.1:8443",
		"https://localhost:9999", "http://127.0.0.1", "http://127.9.9.9:443",
		"http://[::1]:80/b", "http://127.0.0.1:1",
	};
	static const char *const refused[] = {
		"http://localhost", "http://LocalHost:80", "http://10.0.0.1:80",
		"http://approvald.example", "http://[::2]:80", "http://128.0.0.1",
		"http://127.0.0.1:65535", "http://[::ffff:127.0.0.1]:80",
	};
	unsigned start = approve_unprivileged_port_start();
	struct approve_url u;
	char err[512], url[64];
	size_t i;

	ck_assert_uint_le(start, 65536);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(approve_url_parse(ok[i], &u, err, sizeof(err)), 0);
		ck_assert_msg(approve_url_transport_ok(&u, err, sizeof(err)) == 0,
			      "refused %s: %s", ok[i], err);
		approve_url_release(&u);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(approve_url_parse(refused[i], &u, err, sizeof(err)), 0);
		ck_assert_msg(approve_url_transport_ok(&u, err, sizeof(err)) == -EPERM,
			      "accepted %s", refused[i]);
		ck_assert(err[0] != '\0');
		approve_url_release(&u);
	}
	/* the name localhost: the message says what to use instead */
	ck_assert_int_eq(approve_url_parse("http://localhost:80", &u, err, sizeof(err)), 0);
	ck_assert_int_eq(approve_url_transport_ok(&u, err, sizeof(err)), -EPERM);
	ck_assert_msg(strstr(err, "url=unix:") && strstr(err, "literal address"), "%s", err);
	approve_url_release(&u);
	/* the boundary is the kernel's value, read now */
	if (start >= 1 && start <= 65535) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%u", start);
		ck_assert_int_eq(approve_url_parse(url, &u, err, sizeof(err)), 0);
		ck_assert_int_eq(approve_url_transport_ok(&u, err, sizeof(err)), -EPERM);
		ck_assert_ptr_nonnull(strstr(err, "unprivileged"));
		approve_url_release(&u);
	}
	if (start >= 2) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%u", start - 1);
		ck_assert_int_eq(approve_url_parse(url, &u, err, sizeof(err)), 0);
		ck_assert_int_eq(approve_url_transport_ok(&u, err, sizeof(err)), 0);
		approve_url_release(&u);
	}
}
END_TEST

/* strict_transport: the client refuses before connecting */
START_TEST(client_strict_transport)
{
	struct approve_http_opts o = { .url = "http://127.0.0.1:65535", .token = "aph_x",
				       .strict_transport = 1 };
	struct approve_http_response *r = NULL;
	char err[512] = "";

	ck_assert_int_eq(approve_http_request(&o, "GET", "/x", NULL, 0,
					      approve_now_ms() + 2000, &r, err, sizeof(err)),
			 -EPERM);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err, "unprivileged"));
}
END_TEST

/* ---- response parser ---- */

struct parse_case {
	const char *raw;
	size_t len;
	int eof;
	int ret;
	int status;
	const char *body;
	const char *ctype;
};
#define P(raw, eof, ret, st, body, ct) { raw, sizeof(raw) - 1, eof, ret, st, body, ct }
#define OK200(raw, body) P(raw, 0, 1, 200, body, NULL)
#define BAD(raw) P(raw, 0, -EPROTO, 0, NULL, NULL), P(raw, 1, -EPROTO, 0, NULL, NULL)
static const struct parse_case parse_cases[] = {
	/* complete, Content-Length */
	P("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
	  0, 1, 200, "{}", "application/json"),
	P("HTTP/1.1 201 Created\r\nContent-Length: 2\r\ncontent-type:  text/plain ; x=1 \r\n\r\nhi",
	  1, 1, 201, "hi", "text/plain ; x=1"),
	OK200("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ""),
	OK200("HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\nx", "x"),
	OK200("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", "x"),
	OK200("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", "x"),
	OK200("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "abc"),
	OK200("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA", "abc"),
	OK200("HTTP/1.1 200 OK\r\nContent-Length: 003\r\n\r\nabc", "abc"),
	P("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nX-Odd: caf\xc3\xa9\r\n\r\nnope",
	  0, 1, 404, "nop", NULL),
	P("HTTP/1.1 599 Whatever\r\nContent-Length: 0\r\n\r\n", 0, 1, 599, "", NULL),
	/* truncated */
	P("", 0, 0, 0, NULL, NULL),
	P("", 1, -ECONNRESET, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nContent-Len", 0, 0, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nContent-Len", 1, -ECONNRESET, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 0, 0, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 1, -ECONNRESET, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0, 0, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 1, -ECONNRESET, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", 1, -ECONNRESET, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n", 0, 0, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n", 1, -ECONNRESET, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nX: y\r\n", 1, -ECONNRESET, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1", 0, 0, 0, NULL, NULL),
	P("HTTP/1.1 100 Continue\r\n\r\n", 0, 0, 0, NULL, NULL),
	P("HTTP/1.1 100 Continue\r\n\r\n", 1, -ECONNRESET, 0, NULL, NULL),
	P("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 20", 1, -ECONNRESET, 0, NULL, NULL),
	/* close-delimited */
	P("HTTP/1.1 200 OK\r\n\r\nuntil close", 0, 0, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\n\r\nuntil close", 1, 1, 200, "until close", NULL),
	P("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":1}", 1, 1, 200,
	  "{\"a\":1}", "application/json"),
	P("HTTP/1.1 200 OK\r\n\r\n", 1, 1, 200, "", NULL),
	/* chunked */
	OK200("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "abcde"),
	OK200("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
	OK200("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n00\r\n\r\n", "0123456789"),
	OK200("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;name=val;x\r\nabc\r\n0;last\r\n\r\n", "abc"),
	OK200("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 ;x\r\nabc\r\n0\r\n\r\n", "abc"),
	OK200("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nTrailer: x\r\nT2: y\r\n\r\n", "abc"),
	OK200("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ""),
	OK200("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000003\r\nabc\r\n0\r\n\r\n", "abc"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nab\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nab\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nab\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nab\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000000\r\nab\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000000002\r\nab\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\x01\r\nab\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\0\r\nab\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nno colon\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nX: \0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\rX\r\n"),
	/* garbage status lines */
	BAD("garbage\r\n\r\n"),
	BAD("HTTP/2 200 OK\r\n\r\n"),
	BAD("HTTP/1.2 200 OK\r\n\r\n"),
	BAD("http/1.1 200 OK\r\n\r\n"),
	BAD("HTTP/1.1 20 OK\r\n\r\n"),
	BAD("HTTP/1.1 2000 OK\r\n\r\n"),
	BAD("HTTP/1.1 600 OK\r\n\r\n"),
	BAD("HTTP/1.1 099 OK\r\n\r\n"),
	BAD("HTTP/1.1 2x0 OK\r\n\r\n"),
	BAD("HTTP/1.1 200OK\r\n\r\n"),
	BAD("HTTP/1.1  200 OK\r\n\r\n"),
	BAD(" HTTP/1.1 200 OK\r\n\r\n"),
	BAD("HTTP/1.1 200 O\x1bK\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"),
	P("\0TTP/1.1 200 OK", 0, -EPROTO, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nX: \0", 0, -EPROTO, 0, NULL, NULL),
	P("<html>", 0, -EPROTO, 0, NULL, NULL),
	/* bad headers */
	BAD("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx"),
	BAD("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nX\x01Y: a\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nX: \0\r\nContent-Length: 0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nContent-Type: a\r\nContent-Type: b\r\nContent-Length: 0\r\n\r\n"),
	/* Content-Length / Transfer-Encoding conflicts and junk */
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 0x3\r\n\r\nabc"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 3 3\r\n\r\nabc"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nabc"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
	P("HTTP/1.1 200 OK\r\nContent-Length: 1048577\r\n\r\n", 0, -EMSGSIZE, 0, NULL, NULL),
	P("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 0, -EMSGSIZE, 0, NULL, NULL),
	/* 1xx skipped, bodiless statuses */
	P("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 1, 200, "ok", NULL),
	P("HTTP/1.1 102 Processing\r\nX: y\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
	  "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok", 0, 1, 202, "ok", NULL),
	BAD("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"),
	BAD("HTTP/1.1 100 Continue\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	BAD("HTTP/1.1 100 Continue\r\n\r\ngarbage\r\n\r\n"),
	P("HTTP/1.1 204 No Content\r\n\r\n", 0, 1, 204, "", NULL),
	P("HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n", 0, 1, 304, "", NULL),
	BAD("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"),
	BAD("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
};

START_TEST(parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct approve_http_response *r = (struct approve_http_response *)1;
	int ret = approve_http_parse_response(c->raw, c->len, c->eof, &r);

	ck_assert_msg(ret == c->ret, "case %d (eof %d): got %d want %d: %.60s", _i, c->eof,
		      ret, c->ret, c->raw);
	if (ret != 1) {
		ck_assert_ptr_null(r);
		return;
	}
	ck_assert_int_eq(r->status, c->status);
	ck_assert_uint_eq(r->body.len, strlen(c->body));
	ck_assert_mem_eq(r->body.data, c->body, r->body.len);
	ck_assert_int_eq(r->body.data[r->body.len], 0);
	if (c->ctype)
		ck_assert_str_eq(r->content_type, c->ctype);
	else
		ck_assert_ptr_null(r->content_type);
	approve_http_response_free(r);
}
END_TEST

/* A complete response fed one byte at a time is "need more" until the last
 * byte, for each framing. */
START_TEST(parse_incremental)
{
	static const char *const full[] = {
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nhe\r\n3\r\nllo\r\n0\r\nT: 1\r\n\r\n",
	};
	struct approve_http_response *r = NULL;
	size_t i, n = strlen(full[_i]);

	for (i = 0; i < n; i++)
		ck_assert_msg(approve_http_parse_response(full[_i], i, 0, &r) == 0,
			      "complete at %zu of %zu", i, n);
	ck_assert_int_eq(approve_http_parse_response(full[_i], n, 0, &r), 1);
	ck_assert_str_eq(r->body.data, "hello");
	approve_http_response_free(r);
	approve_http_response_free(NULL);
	/* a body may hold NUL bytes: the length says where it ends */
	ck_assert_int_eq(approve_http_parse_response(
		"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\na\0bc", 42, 0, &r), 1);
	ck_assert_uint_eq(r->body.len, 4);
	ck_assert_mem_eq(r->body.data, "a\0bc", 5);
	approve_http_response_free(r);
}
END_TEST

START_TEST(parse_sizes)
{
	struct approve_buf b;
	struct approve_http_response *r = NULL;
	size_t i;

	/* headers: 16 KiB is the limit, complete or not */
	approve_buf_init(&b, 1 << 22);
	approve_buf_append_str(&b, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 400; i++)
		approve_buf_printf(&b, "X-Filler-%03zu: %s\r\n", i, "0123456789012345678901234567890");
	ck_assert_int_eq(approve_http_parse_response(b.data, b.len, 0, &r), -EMSGSIZE);
	approve_buf_append_str(&b, "Content-Length: 0\r\n\r\n");
	ck_assert_int_eq(approve_http_parse_response(b.data, b.len, 0, &r), -EMSGSIZE);
	ck_assert_ptr_null(r);
	approve_buf_release(&b);

	/* body exactly at the limit, then one byte over, for each framing */
	approve_buf_init(&b, 1 << 22);
	approve_buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", APPROVE_RESPONSE_MAX);
	for (i = 0; i < APPROVE_RESPONSE_MAX; i++)
		approve_buf_append(&b, "x", 1);
	ck_assert_int_eq(approve_http_parse_response(b.data, b.len, 0, &r), 1);
	ck_assert_uint_eq(r->body.len, APPROVE_RESPONSE_MAX);
	approve_http_response_free(r);
	approve_buf_release(&b);

	approve_buf_init(&b, 1 << 22);
	approve_buf_append_str(&b, "HTTP/1.1 200 OK\r\n\r\n");
	for (i = 0; i <= APPROVE_RESPONSE_MAX; i++)
		approve_buf_append(&b, "x", 1);
	ck_assert_int_eq(approve_http_parse_response(b.data, b.len, 0, &r), -EMSGSIZE);
	ck_assert_int_eq(approve_http_parse_response(b.data, b.len, 1, &r), -EMSGSIZE);
	approve_buf_release(&b);

	approve_buf_init(&b, 1 << 22);
	approve_buf_append_str(&b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (i = 0; i < 16; i++) {
		static char chunk[65536];

		approve_buf_printf(&b, "%x\r\n", 65536);
		approve_buf_append(&b, chunk, sizeof(chunk));
		approve_buf_append_str(&b, "\r\n");
	}
	ck_assert_int_eq(approve_http_parse_response(b.data, b.len, 0, &r), 0);	/* needs "0" */
	approve_buf_append_str(&b, "1\r\nx\r\n0\r\n\r\n");
	ck_assert_int_eq(approve_http_parse_response(b.data, b.len, 0, &r), -EMSGSIZE);
	ck_assert_ptr_null(r);
	approve_buf_release(&b);
}
END_TEST

/* ---- client against a server thread ---- */

enum srv_mode { SRV_RESPOND, SRV_SILENT, SRV_CLOSE_AFTER_HEADERS };

struct srv {
	int lfd;
	int port;
	enum srv_mode mode;
	const char *response;	/* sent in small pieces */
	size_t response_len;
	SSL_CTX *tls;		/* NULL: plain TCP */
	char request[16384];	/* what the client sent */
	size_t request_len;
	pthread_t thread;
};

static void
srv_listen(struct srv *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->lfd, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s->lfd, 4), 0);
	ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
}

/* Read the request head and a Content-Length body. */
static void
srv_read_request(struct srv *s, int fd, SSL *ssl)
{
	const char *he, *cl;
	size_t need = 0;
	ssize_t n;

	for (;;) {
		if (s->request_len >= sizeof(s->request) - 1)
			return;
		n = ssl ? SSL_read(ssl, s->request + s->request_len,
				   (int)(sizeof(s->request) - 1 - s->request_len))
			: read(fd, s->request + s->request_len,
			       sizeof(s->request) - 1 - s->request_len);
		if (n <= 0)
			return;
		s->request_len += (size_t)n;
		s->request[s->request_len] = '\0';
		he = strstr(s->request, "\r\n\r\n");
		if (!he)
			continue;
		cl = strcasestr(s->request, "\r\nContent-Length: ");
		need = (size_t)(he + 4 - s->request) + (cl && cl < he ? strtoul(cl + 18, NULL, 10) : 0);
		if (s->request_len >= need)
			return;
	}
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	sigset_t all;
	SSL *ssl = NULL;
	size_t off;
	int fd;

	/* signals are for the client thread under test */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	fd = accept(s->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (s->tls) {
		ssl = SSL_new(s->tls);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) != 1)
			goto out;	/* the client refused us: fine for those tests */
	}
	srv_read_request(s, fd, ssl);
	if (s->mode == SRV_SILENT) {
		sleep(60);	/* the forked test process ends first */
		goto out;
	}
	for (off = 0; off < s->response_len;) {
		/* the first bytes in 7-byte pieces, the rest at once */
		size_t k = s->response_len - off;
		ssize_t w;

		if (off < 64 && k > 7)
			k = 7;
		w = ssl ? SSL_write(ssl, s->response + off, (int)k)
			: send(fd, s->response + off, k, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
		if (off < 64)
			usleep(2000);	/* make the client read in pieces */
	}
out:
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	close(fd);
	return NULL;
}

static void
srv_start(struct srv *s, enum srv_mode mode, const char *response)
{
	s->mode = mode;
	s->response = response;
	s->response_len = response ? strlen(response) : 0;
	srv_listen(s);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static int
do_request(const char *url, const char *ca, const char *token, const char *method,
	   const char *path, const char *body, uint64_t timeout_ms,
	   struct approve_http_response **out, char *err, size_t errlen)
{
	struct approve_http_opts o = { .url = url, .ca_file = ca, .token = token };

	return approve_http_request(&o, method, path, body, body ? strlen(body) : 0,
				    approve_now_ms() + timeout_ms, out, err, errlen);
}

START_TEST(client_ok)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "", host[64];
	const char *body = "{\"service\":\"sudo\"}";

	srv_start(&s, SRV_RESPOND,
		  "HTTP/1.1 100 Continue\r\n\r\n"
		  "HTTP/1.1 201 Created\r\nContent-Type: application/json; charset=utf-8\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n"
		  "5\r\n{\"id\"\r\n6\r\n:\"x\"}\n\r\n0\r\n\r\n");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/base/", s.port);
	ck_assert_msg(do_request(url, NULL, "aph_T0ken-_", "POST", "/v1/requests", body,
				 5000, &r, err, sizeof(err)) == 0, "%s", err);
	pthread_join(s.thread, NULL);
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(r->content_type, "application/json; charset=utf-8");
	ck_assert_str_eq(r->body.data, "{\"id\":\"x\"}\n");
	approve_http_response_free(r);

	/* what the server saw */
	snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d\r\n", s.port);
	ck_assert_msg(strncmp(s.request, "POST /base/v1/requests HTTP/1.1\r\n", 33) == 0,
		      "%s", s.request);
	ck_assert_ptr_nonnull(strstr(s.request, host));
	ck_assert_ptr_nonnull(strstr(s.request, "\r\nAuthorization: Bearer aph_T0ken-_\r\n"));
	ck_assert_ptr_nonnull(strstr(s.request, "\r\nConnection: close\r\n"));
	ck_assert_ptr_nonnull(strstr(s.request, "\r\nAccept: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(s.request, "\r\nUser-Agent: pam_approve/"));
	ck_assert_ptr_nonnull(strstr(s.request, "\r\nContent-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(s.request, "\r\nContent-Length: 18\r\n"));
	ck_assert_str_eq(strstr(s.request, "\r\n\r\n") + 4, body);
}
END_TEST

START_TEST(client_get_no_token)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "";

	srv_start(&s, SRV_RESPOND, "HTTP/1.1 200 OK\r\n\r\n{\"status\":\"ok\"}");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	ck_assert_msg(do_request(url, NULL, NULL, "GET", "/healthz?x=1", NULL, 5000, &r, err,
				 sizeof(err)) == 0, "%s", err);
	pthread_join(s.thread, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->body.data, "{\"status\":\"ok\"}");	/* close-delimited */
	approve_http_response_free(r);
	ck_assert_msg(strncmp(s.request, "GET /healthz?x=1 HTTP/1.1\r\n", 27) == 0, "%s", s.request);
	ck_assert_ptr_null(strstr(s.request, "Authorization"));
	ck_assert_ptr_null(strstr(s.request, "Content-Length"));
}
END_TEST

START_TEST(client_silent_deadline)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "";
	uint64_t t0;
	int ret;

	srv_start(&s, SRV_SILENT, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	t0 = approve_now_ms();
	ret = do_request(url, NULL, "t", "GET", "/v1/requests/x/wait", NULL, 500, &r, err,
			 sizeof(err));
	ck_assert_int_eq(ret, -ETIMEDOUT);
	ck_assert_ptr_null(r);
	ck_assert_uint_ge(approve_now_ms() - t0, 450);
	ck_assert_uint_lt(approve_now_ms() - t0, 5000);
	ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(client_unreachable)
{
	struct approve_http_response *r = NULL;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	char url[128], err[256] = "";
	uint64_t t0 = approve_now_ms();
	int fd;

	/* a port that was just free: bound then closed, nobody listens */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	ck_assert_int_eq(do_request(url, NULL, NULL, "GET", "/", NULL, 5000, &r, err,
				    sizeof(err)), APPROVE_HTTP_UNREACHABLE);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err, "refused"));
	/* also over TLS: refused before any handshake */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", ntohs(a.sin_port));
	ck_assert_int_eq(do_request(url, "/nonexistent.pem", NULL, "GET", "/", NULL, 5000, &r,
				    err, sizeof(err)), APPROVE_HTTP_UNREACHABLE);
	/* a name that cannot resolve (RFC 6761): no address was tried, so it
	 * is no proof that nothing is there */
	ck_assert_int_eq(do_request("http://approvald.invalid:8080", NULL, NULL, "GET", "/",
				    NULL, 5000, &r, err, sizeof(err)), APPROVE_HTTP_NOT_CONNECTED);
	/* an already expired deadline still looks once: the refusal is a
	 * definite answer */
	ck_assert_int_eq(do_request(url, NULL, NULL, "GET", "/", NULL, 0, &r, err,
				    sizeof(err)), APPROVE_HTTP_UNREACHABLE);
	ck_assert_uint_lt(approve_now_ms() - t0, 5000);
}
END_TEST

START_TEST(client_garbage)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "";

	srv_start(&s, SRV_RESPOND, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	ck_assert_int_eq(do_request(url, NULL, NULL, "GET", "/", NULL, 5000, &r, err,
				    sizeof(err)), -EPROTO);
	ck_assert_ptr_null(r);
	pthread_join(s.thread, NULL);
}
END_TEST

START_TEST(client_truncated)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "";

	srv_start(&s, SRV_RESPOND, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"id\":");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	ck_assert_int_eq(do_request(url, NULL, NULL, "GET", "/", NULL, 5000, &r, err,
				    sizeof(err)), -ECONNRESET);
	ck_assert_ptr_null(r);
	pthread_join(s.thread, NULL);
}
END_TEST

START_TEST(client_oversize)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "";
	size_t n = APPROVE_RESPONSE_MAX + 64 * 1024;
	char *big = malloc(n + 1);

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', n);
	memcpy(big, "HTTP/1.1 200 OK\r\n\r\n", 19);
	big[n] = '\0';
	srv_start(&s, SRV_RESPOND, big);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	ck_assert_int_eq(do_request(url, NULL, NULL, "GET", "/", NULL, 20000, &r, err,
				    sizeof(err)), -EMSGSIZE);
	ck_assert_ptr_null(r);
}
END_TEST

static void
on_alarm(int sig)
{
	(void)sig;
}

START_TEST(client_sigalrm)
{
	static struct srv s;
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value = { 0, 200000 } };
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "";
	uint64_t t0;

	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	srv_start(&s, SRV_SILENT, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	t0 = approve_now_ms();
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	ck_assert_int_eq(do_request(url, NULL, "t", "GET", "/wait", NULL, 30000, &r, err,
				    sizeof(err)), -EINTR);
	ck_assert_ptr_null(r);
	ck_assert_uint_lt(approve_now_ms() - t0, 5000);
}
END_TEST

/* Descriptors exhausted by the caller (a requester can do this before
 * running setuid sudo): a local error, never "unreachable". */
START_TEST(client_local_failure_not_unreachable)
{
	struct approve_http_response *r = NULL;
	struct rlimit rl, saved;
	char err[256] = "";
	int ret;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	saved = rl;
	rl.rlim_cur = 0;	/* no descriptor at all: socket() fails EMFILE */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ret = do_request("http://127.0.0.1:9", NULL, NULL, "GET", "/", NULL, 2000,
			 &r, err, sizeof(err));
	/* back before any assertion can exit: LeakSanitizer needs descriptors */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert_int_ne(ret, APPROVE_HTTP_UNREACHABLE);
	ck_assert_int_eq(ret, -EMFILE);
	ck_assert_ptr_null(r);
}
END_TEST

/* A signal blocked by the caller and listed in wait_sigmask is delivered
 * inside the wait: -EINTR, even when it was raised before the call. */
START_TEST(client_wait_sigmask)
{
	static struct srv s;
	struct sigaction sa = { .sa_handler = on_alarm };
	struct approve_http_response *r = NULL;
	struct approve_http_opts o = { 0 };
	sigset_t block, waitmask;
	char url[128], err[256] = "";
	uint64_t t0;

	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, &waitmask), 0);
	sigdelset(&waitmask, SIGUSR1);
	srv_start(&s, SRV_SILENT, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	raise(SIGUSR1);		/* pending before the request even starts */
	o.url = url;
	o.wait_sigmask = &waitmask;
	t0 = approve_now_ms();
	ck_assert_int_eq(approve_http_request(&o, "GET", "/wait", NULL, 0,
					      approve_now_ms() + 30000, &r, err,
					      sizeof(err)), -EINTR);
	ck_assert_ptr_null(r);
	ck_assert_uint_lt(approve_now_ms() - t0, 5000);
}
END_TEST

/* A resolver that never answers: the request still ends by its deadline
 * (plain getaddrinfo would wait out the resolver's own timeout:5 x
 * attempts:2). A private mount namespace points /etc/resolv.conf at a
 * UDP socket here that reads nothing. Needs root, like the CI runs. */
START_TEST(client_dns_deadline)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct approve_http_response *r = NULL;
	char dir[] = "/tmp/approve-dns-XXXXXX", conf[64], err[256] = "";
	uint64_t t0;
	FILE *f;
	int u, ret;

	if (geteuid() != 0) {
		fprintf(stderr, "client_dns_deadline: needs root, not run\n");
		return;
	}
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/resolv.conf", dir);
	f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fputs("nameserver 127.0.0.77\noptions timeout:5 attempts:2\n", f);
	fclose(f);
	ck_assert_int_eq(mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL), 0);
	/* the mount holds the file: nothing is left in /tmp even if an
	 * assertion below ends the test */
	unlink(conf);
	rmdir(dir);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(u, 0);
	inet_pton(AF_INET, "127.0.0.77", &a.sin_addr);
	ck_assert_int_eq(bind(u, (struct sockaddr *)&a, sizeof(a)), 0);

	t0 = approve_now_ms();
	ret = do_request("http://approvald-hang.example:8080", NULL, NULL, "GET", "/",
			 NULL, 1000, &r, err, sizeof(err));
	/* a resolver that does not answer is no proof that nothing is there */
	ck_assert_int_eq(ret, APPROVE_HTTP_NOT_CONNECTED);
	ck_assert_ptr_null(r);
	/* it did wait for the silent resolver (not a fast refusal), and
	 * stopped at the deadline, long before the resolver's own 10 s */
	ck_assert_uint_ge(approve_now_ms() - t0, 900);
	ck_assert_uint_lt(approve_now_ms() - t0, 3000);
	umount("/etc/resolv.conf");
	close(u);
}
END_TEST

/* ---- connect: only refused or no route on every address is "nothing
 * there"; a timeout never is ---- */

/* A listener on addr (AF_INET or AF_INET6 literal) whose accept queue is
 * full: backlog 0 and one connection of ours queued, so the kernel drops
 * further SYNs and a client's connect() hangs, as it does against a
 * daemon at its connection limit. *port 0 picks one. The listener fd;
 * *filler is the queued client. */
static int
hole_listen(const char *addr, int *port, int *filler)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	int v6 = strchr(addr, ':') != NULL, one = 1, fd;
	socklen_t sl = v6 ? sizeof(*a6) : sizeof(*a4);

	if (v6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)*port);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &a6->sin6_addr), 1);
	} else {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)*port);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &a4->sin_addr), 1);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, sl), 0);
	ck_assert_int_eq(listen(fd, 0), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	*port = ntohs(v6 ? a6->sin6_port : a4->sin_port);
	*filler = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(*filler, 0);
	ck_assert_int_eq(connect(*filler, (struct sockaddr *)&ss, sl), 0);
	return fd;
}

/* A full accept queue (SYNs dropped) is not "unreachable": the connect
 * times out, which proves nothing. */
/* The classes never equal a -errno the client can return after a
 * connection exists (an ICMP host-unreachable on an established
 * connection must not read as "nothing there"). */
START_TEST(classes_are_not_errnos)
{
	ck_assert_int_lt(APPROVE_HTTP_UNREACHABLE, -4095);
	ck_assert_int_lt(APPROVE_HTTP_NOT_CONNECTED, -4095);
	ck_assert_int_ne(APPROVE_HTTP_UNREACHABLE, APPROVE_HTTP_NOT_CONNECTED);
	ck_assert_int_ne(APPROVE_HTTP_UNREACHABLE, -EHOSTUNREACH);
}
END_TEST

START_TEST(client_full_queue_not_unreachable)
{
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "";
	int port = 0, filler, lfd = hole_listen("127.0.0.1", &port, &filler), ret;
	uint64_t t0 = approve_now_ms();

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	ret = do_request(url, NULL, NULL, "GET", "/", NULL, 500, &r, err, sizeof(err));
	ck_assert_int_eq(ret, APPROVE_HTTP_NOT_CONNECTED);
	ck_assert_ptr_nonnull(strstr(err, "timed out"));
	ck_assert_uint_ge(approve_now_ms() - t0, 450);
	ck_assert_uint_lt(approve_now_ms() - t0, 3000);
	close(filler);
	close(lfd);
}
END_TEST

/* A deadline that passed while the process was not running (SIGSTOP before
 * the wait began): the connection is still looked at once and used, and
 * the result is never "unreachable". */
START_TEST(client_expired_deadline_polls_once)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "";
	int ret;

	srv_start(&s, SRV_RESPOND, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	ret = do_request(url, NULL, NULL, "GET", "/late", NULL, 0, &r, err, sizeof(err));
	ck_assert_int_ne(ret, APPROVE_HTTP_UNREACHABLE);
	ck_assert_msg(ret == 0 || ret == -ETIMEDOUT, "%d %s", ret, err);
	approve_http_response_free(r);
	pthread_join(s.thread, NULL);
	/* the request went out: the connect was polled, not given up */
	ck_assert_msg(strncmp(s.request, "GET /late HTTP/1.1\r\n", 20) == 0, "%s", s.request);
}
END_TEST

/* In a private mount namespace, bind-mount a file holding text over path
 * (/etc/hosts, /etc/resolv.conf): the real /etc is never changed, and
 * nothing is left in /tmp even if an assertion ends the test. 0, or -1
 * when not root (the caller skips). */
static int
private_etc(const char *path, const char *text)
{
	char dir[] = "/tmp/approve-etc-XXXXXX", file[64];
	FILE *f;

	if (geteuid() != 0)
		return -1;
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/etc", dir);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(mount(file, path, NULL, MS_BIND, NULL), 0);
	unlink(file);
	rmdir(dir);
	return 0;
}

#define DUAL_HOSTS "::1 approvald-dual.test\n127.0.0.1 approvald-dual.test\n"

/* A name resolving to [::1] first, black-holed there, and to 127.0.0.1
 * where the server is: the first address gets only its share of the
 * deadline and the second is reached. */
START_TEST(client_dual_first_blackholed)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	char url[128], err[256] = "";
	uint64_t t0;
	int port, filler, lfd;

	if (private_etc("/etc/hosts", DUAL_HOSTS) != 0) {
		fprintf(stderr, "client_dual_first_blackholed: needs root, not run\n");
		return;
	}
	srv_start(&s, SRV_RESPOND, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	port = s.port;
	lfd = hole_listen("::1", &port, &filler);
	snprintf(url, sizeof(url), "http://approvald-dual.test:%d", port);
	t0 = approve_now_ms();
	ck_assert_msg(do_request(url, NULL, NULL, "GET", "/", NULL, 4000, &r, err,
				 sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->body.data, "ok");
	/* [::1] had half of the 4 s, no more */
	ck_assert_uint_ge(approve_now_ms() - t0, 1500);
	ck_assert_uint_lt(approve_now_ms() - t0, 3500);
	approve_http_response_free(r);
	pthread_join(s.thread, NULL);
	close(filler);
	close(lfd);
}
END_TEST

/* The same name with nothing on 127.0.0.1 (refused) and [::1] black-holed:
 * a timeout on one address is no proof, so not unreachable. Refused on
 * both: unreachable. */
START_TEST(client_dual_unreachable_only_if_all_refused)
{
	struct approve_http_response *r = NULL;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	char url[128], err[256] = "";
	int port, filler, lfd, rsv, ret;

	if (private_etc("/etc/hosts", DUAL_HOSTS) != 0) {
		fprintf(stderr, "client_dual_unreachable_only_if_all_refused: needs root, not run\n");
		return;
	}
	/* 127.0.0.1:port bound, never listening: refused */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rsv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(rsv, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(rsv, (struct sockaddr *)&a, &al), 0);
	port = ntohs(a.sin_port);
	lfd = hole_listen("::1", &port, &filler);
	snprintf(url, sizeof(url), "http://approvald-dual.test:%d", port);
	ret = do_request(url, NULL, NULL, "GET", "/", NULL, 1000, &r, err, sizeof(err));
	ck_assert_msg(ret == APPROVE_HTTP_NOT_CONNECTED, "%d %s", ret, err);
	ck_assert_ptr_nonnull(strstr(err, "[::1]"));
	ck_assert_ptr_nonnull(strstr(err, "timed out"));
	ck_assert_ptr_nonnull(strstr(err, "127.0.0.1"));
	ck_assert_ptr_null(r);
	close(filler);
	close(lfd);
	/* now [::1]:port refuses too (bound, not listening) */
	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
					   .sin6_port = htons((uint16_t)port) };
		int one = 1;

		a6.sin6_addr = in6addr_loopback;
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a6, sizeof(a6)), 0);
	}
	ret = do_request(url, NULL, NULL, "GET", "/", NULL, 1000, &r, err, sizeof(err));
	ck_assert_msg(ret == APPROVE_HTTP_UNREACHABLE, "%d %s", ret, err);
	ck_assert_ptr_nonnull(strstr(err, "refused"));
	close(lfd);
	close(rsv);
}
END_TEST

/* Arguments that would inject into the request head, or are malformed:
 * -EINVAL before any connection (the URL's port has no listener, so a
 * connection attempt would show as unreachable instead). */
static const struct { const char *url, *token, *method, *path; } bad_args[] = {
	{ "http://127.0.0.1:9", "tok\r\nX-Evil: 1", "GET", "/" },
	{ "http://127.0.0.1:9", "tok\n", "GET", "/" },
	{ "http://127.0.0.1:9", "to k", "GET", "/" },
	{ "http://127.0.0.1:9", "", "GET", "/" },
	{ "http://127.0.0.1:9", "t\xc3\xa9", "GET", "/" },
	{ "http://127.0.0.1:9", NULL, "GET", "/a\r\nHost: x" },
	{ "http://127.0.0.1:9", NULL, "GET", "/a b" },
	{ "http://127.0.0.1:9", NULL, "GET", "/\x7f" },
	{ "http://127.0.0.1:9", NULL, "GET", "noslash" },
	{ "http://127.0.0.1:9", NULL, "GET", "" },
	{ "http://127.0.0.1:9", NULL, "G T", "/" },
	{ "http://127.0.0.1:9", NULL, "get", "/" },
	{ "http://127.0.0.1:9", NULL, "", "/" },
	{ "ftp://x", NULL, "GET", "/" },
	{ "http://u@127.0.0.1:9", NULL, "GET", "/" },
};

START_TEST(client_bad_args)
{
	struct approve_http_response *r = (struct approve_http_response *)1;
	char err[256] = "";

	ck_assert_int_eq(do_request(bad_args[_i].url, NULL, bad_args[_i].token,
				    bad_args[_i].method, bad_args[_i].path, NULL, 1000, &r,
				    err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert(err[0] != '\0');
}
END_TEST

/* ---- TLS ---- */

/* A self-signed EC certificate with one subjectAltName ("IP:127.0.0.1",
 * "DNS:localhost", ...); written as PEM to dir/name. */
static X509 *
make_cert(EVP_PKEY **key, const char *san)
{
	X509 *x = X509_new();
	X509_NAME *nm;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	*key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(*key);
	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, *key);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	ck_assert_ptr_nonnull(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, *key, EVP_sha256()), 0);
	return x;
}

static char *
write_pem(const char *dir, const char *name, X509 *x)
{
	char *path = NULL;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	fclose(f);
	return path;
}

static SSL_CTX *
server_ctx(X509 *x, EVP_PKEY *k)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(SSL_CTX_use_certificate(c, x), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(c, k), 1);
	return c;
}

struct tls_case {
	const char *san;	/* the server certificate's name */
	const char *host;	/* what the client connects to */
	int trusted;		/* the client's CA file holds the server cert */
	int ret;
};
static const struct tls_case tls_cases[] = {
	{ "IP:127.0.0.1", "127.0.0.1", 1, 0 },
	{ "DNS:localhost", "localhost", 1, 0 },
	{ "DNS:approvald.example", "127.0.0.1", 1, -EPROTO },	/* wrong name */
	{ "IP:127.0.0.2", "127.0.0.1", 1, -EPROTO },		/* wrong IP */
	{ "DNS:other.localhost", "localhost", 1, -EPROTO },
	{ "IP:127.0.0.1", "127.0.0.1", 0, -EPROTO },		/* untrusted */
};

START_TEST(client_tls)
{
	const struct tls_case *c = &tls_cases[_i];
	static struct srv s;
	const char *d = unit_tmpdir();
	struct approve_http_response *r = NULL;
	EVP_PKEY *k, *k2;
	X509 *x = make_cert(&k, c->san), *other = make_cert(&k2, c->san);
	char url[128], err[256] = "", *ca;
	int ret;

	ca = write_pem(d, "ca.pem", c->trusted ? x : other);
	s.tls = server_ctx(x, k);
	srv_start(&s, SRV_RESPOND, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
	snprintf(url, sizeof(url), "https://%s:%d", c->host, s.port);
	ret = do_request(url, ca, "aph_x", "GET", "/v1/x", NULL, 5000, &r, err, sizeof(err));
	ck_assert_msg(ret == c->ret, "case %d: got %d (%s)", _i, ret, err);
	if (ret == 0) {
		ck_assert_int_eq(r->status, 200);
		ck_assert_str_eq(r->body.data, "{}");
		approve_http_response_free(r);
		pthread_join(s.thread, NULL);
		ck_assert_ptr_nonnull(strstr(s.request, "Authorization: Bearer aph_x\r\n"));
	} else {
		ck_assert_ptr_null(r);
		ck_assert_ptr_nonnull(strstr(err, "certificate"));
		/* the token never went to an unverified peer */
		pthread_join(s.thread, NULL);
		ck_assert_uint_eq(s.request_len, 0);
	}
	SSL_CTX_free(s.tls);
	X509_free(x);
	X509_free(other);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	free(ca);
	unit_rmdir(d);
}
END_TEST

START_TEST(client_tls_bad_ca_file)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	const char *d = unit_tmpdir();
	EVP_PKEY *k;
	X509 *x = make_cert(&k, "IP:127.0.0.1");
	char url[128], err[256] = "", *junk, *env;

	/* SSL_CERT_FILE must not matter: only the given file is trusted */
	junk = unit_write(d, "junk.pem", "not a certificate\n", 18, 0644);
	env = write_pem(d, "env.pem", x);
	setenv("SSL_CERT_FILE", env, 1);
	s.tls = server_ctx(x, k);
	srv_start(&s, SRV_RESPOND, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", s.port);
	ck_assert_int_lt(do_request(url, junk, NULL, "GET", "/", NULL, 5000, &r, err,
				    sizeof(err)), 0);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err, "junk.pem"));
	pthread_join(s.thread, NULL);
	SSL_CTX_free(s.tls);
	X509_free(x);
	EVP_PKEY_free(k);
	free(junk);
	free(env);
	unit_rmdir(d);
}
END_TEST

START_TEST(client_tls_plain_server)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	const char *d = unit_tmpdir();
	EVP_PKEY *k;
	X509 *x = make_cert(&k, "IP:127.0.0.1");
	char url[128], err[256] = "", *ca = write_pem(d, "ca.pem", x);
	int ret;

	/* an https URL pointing at a plain HTTP server */
	srv_start(&s, SRV_RESPOND, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", s.port);
	ret = do_request(url, ca, NULL, "GET", "/", NULL, 5000, &r, err, sizeof(err));
	ck_assert_int_lt(ret, 0);
	ck_assert_int_ne(ret, APPROVE_HTTP_UNREACHABLE);
	ck_assert_ptr_null(r);
	pthread_join(s.thread, NULL);
	X509_free(x);
	EVP_PKEY_free(k);
	free(ca);
	unit_rmdir(d);
}
END_TEST

/* ---- the host token in freed memory ---- */

/* This executable is linked with -Wl,--wrap=free,--wrap=realloc (see
 * tests/unit/meson.build), and OpenSSL's allocator is hooked in main():
 * while armed, every block the client thread frees or hands to realloc
 * (which may move it and free the old copy) is scanned for the token
 * before it goes. Both work under ASan too: the wrappers call the real
 * (intercepted) functions and only read live blocks. */
static const char secret_token[] = "aph_FreedMemoryMustNeverHoldThisToken-0123456789";
static volatile int scan_armed;
static pthread_t scan_thread;
static volatile int scan_hits;
static int ossl_hooked;

void __real_free(void *p);
void *__real_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_realloc(void *p, size_t n);

static void
scan_block(void *p)
{
	if (p && scan_armed && pthread_equal(pthread_self(), scan_thread) &&
	    memmem(p, malloc_usable_size(p), secret_token, sizeof(secret_token) - 1))
		scan_hits++;
}

void
__wrap_free(void *p)
{
	scan_block(p);
	__real_free(p);
}

void *
__wrap_realloc(void *p, size_t n)
{
	scan_block(p);
	return __real_realloc(p, n);
}

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return __wrap_realloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	__wrap_free(p);
}

/* A real exchange over TLS with the token read from a token file and a
 * body large enough that the request buffer grows after the token was
 * written: no block freed on the way holds the token. */
START_TEST(client_token_not_left_in_freed_memory)
{
	static struct srv s;
	struct approve_http_response *r = NULL;
	struct approve_secret *tok = NULL;
	const char *d = unit_tmpdir();
	EVP_PKEY *k;
	X509 *x = make_cert(&k, "IP:127.0.0.1");
	char url[128], err[256] = "", *ca = write_pem(d, "ca.pem", x), *tf;
	char line[sizeof(secret_token) + 1];
	static char body[8192];
	int ret;

	ck_assert_msg(ossl_hooked, "OpenSSL's allocator could not be hooked");
	memset(body, 'b', sizeof(body) - 1);
	snprintf(line, sizeof(line), "%s\n", secret_token);
	tf = unit_write(d, "token", line, strlen(line), 0600);
	s.tls = server_ctx(x, k);
	srv_start(&s, SRV_RESPOND, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", s.port);
	scan_thread = pthread_self();
	scan_armed = 1;
	if (geteuid() == 0) {	/* a token file must be root's */
		ck_assert_msg(approve_secret_read_file(tf, &tok, err, sizeof(err)) == 0,
			      "%s", err);
		ck_assert_str_eq(tok->data, secret_token);
	}
	ret = do_request(url, ca, tok ? tok->data : secret_token, "POST",
			 "/v1/requests", body, 5000, &r, err, sizeof(err));
	approve_secret_free(tok);
	scan_armed = 0;
	ck_assert_msg(ret == 0, "%s", err);
	pthread_join(s.thread, NULL);
	/* the token did travel */
	ck_assert_ptr_nonnull(strstr(s.request, secret_token));
	ck_assert_int_eq(r->status, 200);
	approve_http_response_free(r);
	ck_assert_msg(scan_hits == 0, "%d freed block(s) held the host token",
		      (int)scan_hits);
	SSL_CTX_free(s.tls);
	X509_free(x);
	EVP_PKEY_free(k);
	free(ca);
	free(tf);
	unit_rmdir(d);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tu = tcase_create("url"), *tp = tcase_create("parser");
	TCase *tc = tcase_create("client");

	tcase_add_loop_test(tu, url_good, 0, N(good_urls));
	tcase_add_loop_test(tu, url_bad, 0, N(bad_urls));
	tcase_add_test(tu, url_long);
	tcase_add_loop_test(tu, url_unix_good, 0, N(good_unix));
	tcase_add_loop_test(tu, url_unix_bad, 0, N(bad_unix));
	tcase_add_test(tu, url_transport_rule);
	tcase_add_test(tu, client_strict_transport);
	tcase_add_loop_test(tp, parse, 0, N(parse_cases));
	tcase_add_loop_test(tp, parse_incremental, 0, 2);
	tcase_add_test(tp, parse_sizes);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, client_ok);
	tcase_add_test(tc, client_get_no_token);
	tcase_add_test(tc, client_silent_deadline);
	tcase_add_test(tc, client_unreachable);
	tcase_add_test(tc, client_garbage);
	tcase_add_test(tc, client_truncated);
	tcase_add_test(tc, client_oversize);
	tcase_add_test(tc, client_sigalrm);
	tcase_add_test(tc, client_local_failure_not_unreachable);
	tcase_add_test(tc, client_wait_sigmask);
	tcase_add_test(tc, client_dns_deadline);
	tcase_add_test(tc, classes_are_not_errnos);
	tcase_add_test(tc, client_full_queue_not_unreachable);
	tcase_add_test(tc, client_expired_deadline_polls_once);
	tcase_add_test(tc, client_dual_first_blackholed);
	tcase_add_test(tc, client_dual_unreachable_only_if_all_refused);
	tcase_add_loop_test(tc, client_bad_args, 0, N(bad_args));
	tcase_add_loop_test(tc, client_tls, 0, N(tls_cases));
	tcase_add_test(tc, client_tls_bad_ca_file);
	tcase_add_test(tc, client_tls_plain_server);
	tcase_add_test(tc, client_token_not_left_in_freed_memory);
	suite_add_tcase(s, tu);
	suite_add_tcase(s, tp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* before OpenSSL allocates anything */
	ossl_hooked = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
	return unit_run(http_suite());
}
