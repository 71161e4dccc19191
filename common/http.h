/* http.h: a minimal, strict HTTP/1.1 client over TCP or OpenSSL TLS, used
 * inside setuid sudo by pam_approve and by approvalctl. No proxies, no
 * environment: the URL, the CA file and the token come from the caller.
 * Every phase (DNS, connect, TLS, write, read) is bounded by one absolute
 * deadline on CLOCK_MONOTONIC; a wait whose deadline has passed still
 * looks once, and a timeout is never "unreachable". One request per connection
 * ("Connection: close"). */
#ifndef APPROVE_HTTP_H
#define APPROVE_HTTP_H
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include "buf.h"

#include "clock.h"	/* deadlines are approve_now_ms() values */

struct addrinfo;
/* getaddrinfo() for TCP with a numeric port, bounded by deadline_ms
 * (getaddrinfo_a + gai_suspend): a resolver that does not answer in time
 * is EAI_AGAIN, like one that answered "try again". A literal address is
 * converted at once, without the resolver. The lookup's state is
 * checked before the deadline is, so a lookup that finished while the
 * process was stopped is used. 0 and *out (free with freeaddrinfo), or an
 * EAI_* code. */
int approve_resolve(const char *host, const char *port, uint64_t deadline_ms,
		    struct addrinfo **out);

struct approve_url {
	int tls;		/* 1 for https */
	char *host;		/* without brackets for IPv6 literals */
	char *port;		/* "80"/"443" when absent */
	char *path;		/* base path without trailing '/', "" for none */
	char *unix_path;	/* unix: URLs: the socket; host is "localhost"
				 * (the Host header), port "80", path "" */
};
/* Accepts http://, https:// and unix:/ABS/PATH only; no userinfo, query or
 * fragment; host is a DNS name, IPv4 or [IPv6]; port 1..65535. A unix:
 * path is absolute, at most APPROVE_UNIX_PATH_MAX (common/peer.h) bytes,
 * without empty, "." or ".." components or a trailing '/'; the server
 * behind it is proven at connect (approve_unix_connect). 0 or -EINVAL +
 * err. */
int approve_url_parse(const char *url, struct approve_url *out,
		      char *err, size_t errlen);
void approve_url_release(struct approve_url *u);

struct approve_http_opts {
	const char *url;	/* base URL, e.g. "https://approvald.example:8443" */
	const char *ca_file;	/* PEM bundle for https; NULL means
				 * /etc/ssl/certs/ca-certificates.crt (never the
				 * environment, never SSL_CERT_FILE) */
	const char *token;	/* bearer token or NULL */
	/* unix: URLs: the uid the server may run as besides root (the
	 * module's server_user=); 0 means root only */
	uid_t server_uid;
	/* 1: refuse a URL that approve_url_transport_ok() (common/peer.h)
	 * refuses, before connecting: set by whoever sends a token */
	int strict_transport;
	/* NULL: plain poll(). Else every wait is a ppoll() with this mask: a
	 * caller that must react to signals keeps them blocked and lists them
	 * unblocked here, so they are delivered only inside a wait (-EINTR),
	 * never between its own flag check and the wait. */
	const sigset_t *wait_sigmask;
	/* NULL, or a NULL-terminated list of extra request header lines
	 * ("Name: value", without CR LF; refused when a byte is a control
	 * character): the daemon's signed notifications */
	const char *const *headers;
};

struct approve_http_response {
	int status;		/* 100..599 */
	char *content_type;	/* malloc'd, NULL when absent */
	struct approve_buf body;	/* de-chunked body, <= APPROVE_RESPONSE_MAX */
};
void approve_http_response_free(struct approve_http_response *r);

/* Result classes. A negative return is one of:
 *  APPROVE_HTTP_UNREACHABLE: definitely nothing there. Every address the
 *    name resolved to was tried with its own fresh connect, and every one
 *    was refused (a reset: no listener) or reported unroutable at connect
 *    (ENETUNREACH/EHOSTUNREACH from routing or ICMP). Only this class may
 *    lead to failmode=open, and only the connect phase yields it.
 *  APPROVE_HTTP_NOT_CONNECTED: no connection, but no proof either: a
 *    connect or resolver timeout (also one that ran out while the process
 *    was stopped), EAI_AGAIN, a name that does not resolve, some address
 *    refused and another silent, EHOSTDOWN/ENETDOWN. A denial, never
 *    failmode=open; worth retrying while waiting.
 *  -EINTR: a signal, see below.
 *  any other negative errno: a local failure the caller's own state can
 *    cause (EMFILE, ENOMEM, EADDRNOTAVAIL, a resolver system error...: a
 *    requester can arrange these before running setuid sudo), or, after
 *    the TCP connection exists, a failed exchange (-ETIMEDOUT, -EPROTO,
 *    -ECONNRESET, -EMSGSIZE, -EHOSTUNREACH from ICMP on the connection,
 *    TLS verification...). Callers treat it as a denial.
 * The classes lie below -4096, so they never equal a -errno (Linux errno
 * values end below 4096, the kernel's MAX_ERRNO). */
#define APPROVE_HTTP_UNREACHABLE (-4097)
#define APPROVE_HTTP_NOT_CONNECTED (-4098)

/* The connect phase, exposed for the fail-open probe and unit tests:
 * connect to each address of list in turn (non-blocking, a fresh socket
 * each), each with its own share of the time left (the time left divided
 * by the addresses not yet tried), so one black-holed address does not
 * eat the time of the others. Every wait polls at least once, even when
 * the deadline passed before it began (a stopped process): a connection
 * that completed meanwhile is used. Returns the connected socket (>= 0,
 * non-blocking, close-on-exec; the caller closes it),
 * APPROVE_HTTP_UNREACHABLE (as defined above), APPROVE_HTTP_NOT_CONNECTED,
 * -EINTR, or -errno for a local failure. err says what each address
 * answered. */
int approve_connect_addrs(const struct addrinfo *list, uint64_t deadline_ms,
			  const sigset_t *sigmask, char *err, size_t errlen);

/* Signals: the client never retries a poll()/read()/write() interrupted by a
 * signal; it returns -EINTR at once so the caller (the PAM module's wait
 * loop with its SIGINT/SIGTERM/SIGHUP handlers) can cancel. Nothing is
 * half-kept: a later call opens a new connection.
 *
 * Send one request. path is appended to the URL's base path (must start
 * with '/'; may contain a query string). body may be NULL (no body);
 * content_type defaults to application/json when body is given.
 * Returns 0 when a complete, well-formed response (any status) was read. */
int approve_http_request(const struct approve_http_opts *o, const char *method,
			 const char *path, const char *body, size_t body_len,
			 uint64_t deadline_ms,
			 struct approve_http_response **out,
			 char *err, size_t errlen);

/* The response parser, exposed for unit tests and fuzzing. data/len is
 * everything read so far; eof says the peer closed. Returns 1 when a
 * complete response is in data (and fills *out), 0 when more bytes are
 * needed (only possible while !eof), or a negative errno: -EPROTO for
 * garbage (bad status line, bad header, bad chunk syntax, conflicting
 * lengths, NUL in headers), -EMSGSIZE when headers exceed 16 KiB or the body
 * exceeds APPROVE_RESPONSE_MAX, -ECONNRESET when eof truncates a response.
 * Handles Content-Length, chunked transfer encoding, and close-delimited
 * bodies; 1xx interim responses are skipped; HEAD is not used. */
int approve_http_parse_response(const char *data, size_t len, int eof,
				struct approve_http_response **out);

#endif
