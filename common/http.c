/* http.c: owns the minimal HTTP/1.1 client of common/http.h: URL parsing,
 * the strict response parser, and one request per connection over TCP or
 * OpenSSL TLS, every phase bounded by one CLOCK_MONOTONIC deadline. Runs
 * inside setuid sudo: nothing is read from the environment, only the given
 * CA file is trusted, no signal disposition is changed (SIGPIPE is blocked
 * around each write and OpenSSL call, in this thread only), and a signal during a wait returns
 * -EINTR at once. Only the connect phase yields the classes
 * APPROVE_HTTP_UNREACHABLE (refused or unroutable on every address) and
 * APPROVE_HTTP_NOT_CONNECTED (anything else, timeouts included); anything
 * after the TCP connection exists is a negative errno. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "buf.h"
#include "conf.h"
#include "http.h"
#include "peer.h"
#include "wire.h"

#define HDR_MAX (16 * 1024)
#define RAW_MAX (APPROVE_RESPONSE_MAX + HDR_MAX)
#define DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"

/* ---- URL ---- */

void
approve_url_release(struct approve_url *u)
{
	if (!u)
		return;
	free(u->host);
	free(u->port);
	free(u->path);
	free(u->unix_path);
	u->host = u->port = u->path = u->unix_path = NULL;
	u->tls = 0;
}

static int
dns_name_ok(const char *h, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/* unix:PATH (see http.h). Fills u; 0, -EINVAL or -ENOMEM with err. */
static int
parse_unix(const char *path, struct approve_url *u, char *err, size_t errlen)
{
	size_t n = strlen(path);

	if (path[0] != '/' || n > APPROVE_UNIX_PATH_MAX) {
		approve_errf(err, errlen, "unix: needs an absolute socket path of at "
			     "most %d bytes", APPROVE_UNIX_PATH_MAX);
		return -EINVAL;
	}
	if (n < 2 || path[n - 1] == '/' || strstr(path, "//") || strstr(path, "/./") ||
	    strstr(path, "/../") || (n >= 2 && strcmp(path + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(path + n - 3, "/..") == 0)) {
		approve_errf(err, errlen, "unix: socket path with an empty, '.' or '..' "
			     "component or a trailing '/'");
		return -EINVAL;
	}
	u->unix_path = strdup(path);
	u->host = strdup("localhost");
	u->port = strdup("80");
	u->path = strdup("");
	if (!u->unix_path || !u->host || !u->port || !u->path) {
		approve_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int
approve_url_parse(const char *url, struct approve_url *out, char *err,
		  size_t errlen)
{
	const char *p, *auth, *auth_end, *hs, *he, *ps = NULL, *pe = NULL;
	struct approve_url u = { 0 };
	unsigned char addr6[16];
	unsigned long port = 0;
	size_t n, i;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!url) {
		approve_errf(err, errlen, "no URL");
		goto out;
	}
	n = strlen(url);
	if (n > APPROVE_LEN_URL) {
		approve_errf(err, errlen, "URL over %d bytes", APPROVE_LEN_URL);
		goto out;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c >= 0x7f) {
			approve_errf(err, errlen, "URL holds a blank, control or non-ASCII byte");
			goto out;
		}
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		u.tls = 1;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else if (strncasecmp(url, "unix:", 5) == 0) {
		p = url + 5;
	} else {
		approve_errf(err, errlen, "URL must start with http://, https:// or unix:/");
		goto out;
	}
	if (strpbrk(url, "?#")) {
		approve_errf(err, errlen, "URL must not hold a query or fragment");
		goto out;
	}
	if (p == url + 5) {
		r = parse_unix(p, &u, err, errlen);
		if (r < 0)
			goto out;
		*out = u;
		memset(&u, 0, sizeof(u));
		goto out;
	}
	auth = p;
	auth_end = strchr(auth, '/');
	if (!auth_end)
		auth_end = auth + strlen(auth);
	if (memchr(auth, '@', (size_t)(auth_end - auth))) {
		approve_errf(err, errlen, "URL must not hold user information");
		goto out;
	}
	if (*auth == '[') {
		hs = auth + 1;
		he = memchr(hs, ']', (size_t)(auth_end - hs));
		if (!he) {
			approve_errf(err, errlen, "URL: unterminated [IPv6] host");
			goto out;
		}
		p = he + 1;
		if ((size_t)(he - hs) >= INET6_ADDRSTRLEN)
			goto bad_host;
		u.host = strndup(hs, (size_t)(he - hs));
		if (!u.host)
			goto nomem;
		if (inet_pton(AF_INET6, u.host, addr6) != 1)
			goto bad_host;
	} else {
		hs = auth;
		he = memchr(hs, ':', (size_t)(auth_end - hs));
		if (!he)
			he = auth_end;
		p = he;
		if (!dns_name_ok(hs, (size_t)(he - hs)))
			goto bad_host;
		u.host = strndup(hs, (size_t)(he - hs));
		if (!u.host)
			goto nomem;
	}
	if (p < auth_end) {
		char tmp[8];

		if (*p != ':')
			goto bad_host;
		ps = p + 1;
		pe = auth_end;
		if (pe == ps || (size_t)(pe - ps) >= sizeof(tmp))
			goto bad_port;
		memcpy(tmp, ps, (size_t)(pe - ps));
		tmp[pe - ps] = '\0';
		if (approve_parse_ulong(tmp, 1, 65535, &port) < 0)
			goto bad_port;
		u.port = strdup(tmp);
	} else {
		u.port = strdup(u.tls ? "443" : "80");
	}
	if (!u.port)
		goto nomem;
	n = strlen(auth_end);
	while (n > 0 && auth_end[n - 1] == '/')
		n--;
	u.path = strndup(auth_end, n);
	if (!u.path)
		goto nomem;
	*out = u;
	memset(&u, 0, sizeof(u));
	r = 0;
	goto out;
bad_host:
	approve_errf(err, errlen, "URL: bad host");
	goto out;
bad_port:
	approve_errf(err, errlen, "URL: port must be 1..65535");
	goto out;
nomem:
	approve_errf(err, errlen, "out of memory");
	r = -ENOMEM;
out:
	approve_url_release(&u);
	return r;
}

/* ---- response parser ---- */

void
approve_http_response_free(struct approve_http_response *r)
{
	if (!r)
		return;
	free(r->content_type);
	approve_buf_release(&r->body);
	free(r);
}

/* Find "\r\n\r\n" in [p, p+n): the offset just past it, or 0. */
static size_t
find_hdr_end(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 3 < n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
		    p[i + 3] == '\n')
			return i + 4;
	return 0;
}

static int
tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Field value bytes: visible ASCII, obs-text and HTAB/SP; no CTL. */
static int
vchar_or_ws(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

struct hdr_info {
	int status;
	int chunked;
	int have_cl;
	unsigned long long cl;
	const char *ctype;
	size_t ctype_len;
};

/* Parse one header block [p, p+n) ending in "\r\n\r\n". */
static int
parse_head(const char *p, size_t n, struct hdr_info *h)
{
	const char *end = p + n - 2;	/* at the final empty line's CRLF */
	const char *line, *eol, *colon, *vs, *ve, *q;
	int have_te = 0;

	memset(h, 0, sizeof(*h));
	if (memchr(p, '\0', n))
		return -EPROTO;
	/* status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF */
	eol = memchr(p, '\r', n);
	if (!eol || eol[1] != '\n')
		return -EPROTO;
	if ((size_t)(eol - p) < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9')
		return -EPROTO;
	if (eol - p > 12 && p[12] != ' ')
		return -EPROTO;
	for (q = p + 12; q < eol; q++)
		if (!vchar_or_ws((unsigned char)*q))
			return -EPROTO;
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');

	for (line = eol + 2; line < end; line = eol + 2) {
		eol = memchr(line, '\r', (size_t)(end + 2 - line));
		if (!eol || eol[1] != '\n' || eol > end)
			return -EPROTO;
		if (eol == line)	/* cannot happen before end */
			return -EPROTO;
		colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon || colon == line)
			return -EPROTO;	/* also rejects obs-fold (leading SP) */
		for (q = line; q < colon; q++)
			if (!tchar(*q))
				return -EPROTO;
		for (q = colon + 1; q < eol; q++)
			if (!vchar_or_ws((unsigned char)*q) || *q == '\n')
				return -EPROTO;
		vs = colon + 1;
		ve = eol;
		while (vs < ve && (*vs == ' ' || *vs == '\t'))
			vs++;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
#define IS(name) ((size_t)(colon - line) == sizeof(name) - 1 && \
		  strncasecmp(line, name, sizeof(name) - 1) == 0)
		if (IS("Content-Length")) {
			unsigned long long v = 0;

			if (vs == ve)
				return -EPROTO;
			for (q = vs; q < ve; q++) {
				if (*q < '0' || *q > '9')
					return -EPROTO;
				if (v > (APPROVE_RESPONSE_MAX + 1ULL))
					continue;	/* saturate; refused below */
				v = v * 10 + (unsigned)(*q - '0');
			}
			if (h->have_cl && h->cl != v)
				return -EPROTO;
			h->have_cl = 1;
			h->cl = v;
		} else if (IS("Transfer-Encoding")) {
			if (have_te++)
				return -EPROTO;
			if ((size_t)(ve - vs) != 7 || strncasecmp(vs, "chunked", 7) != 0)
				return -EPROTO;
			h->chunked = 1;
		} else if (IS("Content-Type")) {
			if (h->ctype)
				return -EPROTO;
			h->ctype = vs;
			h->ctype_len = (size_t)(ve - vs);
		}
#undef IS
	}
	if (h->chunked && h->have_cl)
		return -EPROTO;
	return 0;
}

/* Parse a hex chunk size line at p (n bytes available). On success *size,
 * *used (bytes including CRLF). 0 = need more, 1 = ok, <0 error. */
static int
chunk_line(const char *p, size_t n, unsigned long long *size, size_t *used)
{
	unsigned long long v = 0;
	size_t i = 0, digits = 0;

	while (i < n && ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
			 (p[i] >= 'A' && p[i] <= 'F'))) {
		int d = p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10;

		/* > 4 GiB or an endless digit run: never valid here */
		if (++digits > 16 || v > 0xfffffffULL)
			return -EPROTO;
		v = v * 16 + (unsigned)d;
		i++;
	}
	if (i == n)
		return 0;
	if (digits == 0)
		return -EPROTO;
	/* optional BWS + extensions ";name[=value]": skipped, but must be
	 * printable and bounded */
	if (p[i] == ';' || p[i] == ' ' || p[i] == '\t') {
		for (; i < n && p[i] != '\r'; i++)
			if (!vchar_or_ws((unsigned char)p[i]))
				return -EPROTO;
		if (i > 1024)
			return -EPROTO;
		if (i == n)
			return 0;
	}
	if (p[i] != '\r')
		return -EPROTO;
	if (i + 1 >= n)
		return 0;
	if (p[i + 1] != '\n')
		return -EPROTO;
	*size = v;
	*used = i + 2;
	return 1;
}

/* Walk a chunked body at p. With body NULL only validates and measures.
 * 1 complete (*consumed set), 0 need more, <0 error. */
static int
dechunk(const char *p, size_t n, struct approve_buf *body, size_t *consumed)
{
	unsigned long long size, total = 0;
	size_t off = 0, used, te;
	int r;

	for (;;) {
		r = chunk_line(p + off, n - off, &size, &used);
		if (r <= 0)
			return r;
		off += used;
		if (size == 0)
			break;
		total += size;
		if (total > APPROVE_RESPONSE_MAX)
			return -EMSGSIZE;
		if (n - off < size + 2)
			return 0;
		if (p[off + size] != '\r' || p[off + size + 1] != '\n')
			return -EPROTO;
		if (body && approve_buf_append(body, p + off, (size_t)size) < 0)
			return -ENOMEM;
		off += (size_t)size + 2;
	}
	/* trailer section: header lines, then an empty line */
	for (;;) {
		const char *eol;

		eol = memchr(p + off, '\r', n - off);
		if (!eol) {
			if (n - off > HDR_MAX)
				return -EMSGSIZE;
			return 0;
		}
		te = (size_t)(eol - (p + off));
		if (te > HDR_MAX)
			return -EMSGSIZE;
		if ((size_t)(eol - p) + 1 >= n)
			return 0;
		if (eol[1] != '\n')
			return -EPROTO;
		if (te == 0) {
			off += 2;
			break;
		}
		if (memchr(p + off, '\0', te) || !memchr(p + off, ':', te))
			return -EPROTO;
		off += te + 2;
	}
	*consumed = off;
	return 1;
}

int
approve_http_parse_response(const char *data, size_t len, int eof,
			    struct approve_http_response **out)
{
	struct approve_http_response *resp = NULL;
	struct hdr_info h;
	size_t off = 0, hend, blen, used;
	int r;

	*out = NULL;
	for (;;) {	/* skip 1xx interim responses */
		hend = find_hdr_end(data + off, len - off);
		if (hend == 0) {
			if (memchr(data + off, '\0', len - off))
				return -EPROTO;
			if (len > HDR_MAX)
				return -EMSGSIZE;
			/* reject an obviously wrong start early */
			if (len - off >= 5 && memcmp(data + off, "HTTP/", 5) != 0)
				return -EPROTO;
			return eof ? -ECONNRESET : 0;
		}
		if (off + hend > HDR_MAX)
			return -EMSGSIZE;
		r = parse_head(data + off, hend, &h);
		if (r < 0)
			return r;
		off += hend;
		if (h.status >= 200)
			break;
		if (h.status == 101)
			return -EPROTO;	/* no upgrades were asked for */
		if (h.have_cl || h.chunked)
			return -EPROTO;
	}
	blen = len - off;
	resp = calloc(1, sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	resp->status = h.status;
	approve_buf_init(&resp->body, APPROVE_RESPONSE_MAX);
	r = -ENOMEM;
	if (approve_buf_append(&resp->body, "", 0) < 0)
		goto out;
	if (h.ctype) {
		resp->content_type = strndup(h.ctype, h.ctype_len);
		if (!resp->content_type)
			goto out;
	}
	if (h.status == 204 || h.status == 304) {
		if (h.chunked || (h.have_cl && h.cl != 0)) {
			r = -EPROTO;
			goto out;
		}
	} else if (h.chunked) {
		r = dechunk(data + off, blen, NULL, &used);
		if (r == 0 && eof)
			r = -ECONNRESET;
		if (r <= 0)
			goto out;
		r = dechunk(data + off, blen, &resp->body, &used);
		if (r <= 0)
			goto out;
	} else if (h.have_cl) {
		if (h.cl > APPROVE_RESPONSE_MAX) {
			r = -EMSGSIZE;
			goto out;
		}
		if (blen < h.cl) {
			r = eof ? -ECONNRESET : 0;
			goto out;
		}
		if (approve_buf_append(&resp->body, data + off, (size_t)h.cl) < 0)
			goto out;
	} else {
		/* close-delimited: complete only at EOF */
		if (blen > APPROVE_RESPONSE_MAX) {
			r = -EMSGSIZE;
			goto out;
		}
		if (!eof) {
			r = 0;
			goto out;
		}
		if (approve_buf_append(&resp->body, data + off, blen) < 0)
			goto out;
	}
	*out = resp;
	resp = NULL;
	r = 1;
out:
	approve_http_response_free(resp);
	return r;
}

/* ---- name resolution within the deadline ---- */

/* One lookup handed to glibc's resolver thread. It must outlive the
 * thread: when a lookup cannot be cancelled at the deadline, it is left
 * to that thread (a small, bounded leak) rather than freed under it. */
struct lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char names[];		/* host NUL port NUL */
};

int
approve_resolve(const char *host, const char *port, uint64_t deadline_ms,
		struct addrinfo **out)
{
	size_t hl = strlen(host), pl = strlen(port);
	struct addrinfo numeric;
	struct lookup *l;
	struct gaicb *list[1];
	struct timespec ts;
	uint64_t now;
	int r;

	*out = NULL;
	if (hl > 1024 || pl > 16)
		return EAI_NONAME;
	/* a literal address needs no resolver (and no wait that a stopped
	 * process could see run out) */
	memset(&numeric, 0, sizeof(numeric));
	numeric.ai_family = AF_UNSPEC;
	numeric.ai_socktype = SOCK_STREAM;
	numeric.ai_protocol = IPPROTO_TCP;
	numeric.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	r = getaddrinfo(host, port, &numeric, out);
	if (r != EAI_NONAME) {
		if (r != 0)
			*out = NULL;
		return r;
	}
	l = calloc(1, sizeof(*l) + hl + pl + 2);
	if (!l)
		return EAI_MEMORY;
	memcpy(l->names, host, hl + 1);
	memcpy(l->names + hl + 1, port, pl + 1);
	l->hints.ai_family = AF_UNSPEC;
	l->hints.ai_socktype = SOCK_STREAM;
	l->hints.ai_protocol = IPPROTO_TCP;
	l->hints.ai_flags = AI_NUMERICSERV;
	l->cb.ar_name = l->names;
	l->cb.ar_service = l->names + hl + 1;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (r != 0) {
		free(l);
		return r;
	}
	for (;;) {
		r = gai_error(&l->cb);
		if (r != EAI_INPROGRESS)
			break;
		now = approve_now_ms();
		if (now >= deadline_ms) {
			if (gai_cancel(&l->cb) == EAI_CANCELED) {
				free(l);
			}	/* else: still the resolver thread's */
			return EAI_AGAIN;
		}
		ts = approve_ms_to_timespec(deadline_ms - now);
		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (r == 0)
		*out = l->cb.ar_result;
	free(l);
	return r;
}

/* ---- connection ---- */

struct conn {
	int fd;
	const sigset_t *sigmask;	/* approve_http_opts.wait_sigmask */
	SSL_CTX *ctx;
	SSL *ssl;
};

/* Wait for events on fd until deadline. 0 when poll reported the fd
 * ready, -ETIMEDOUT, -EINTR (a signal: returned at once, never retried),
 * or -errno. It polls at least once: a deadline that passed before the
 * wait began (the process was stopped, or busy) is only declared after
 * one look at the fd, so whatever arrived meanwhile counts. */
static int
wait_fd(int fd, short events, uint64_t deadline_ms, const sigset_t *sigmask)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	struct timespec ts;
	uint64_t now;
	int n, polled = 0;

	for (;;) {
		now = approve_now_ms();
		if (now >= deadline_ms && polled)
			return -ETIMEDOUT;
		ts = approve_ms_to_timespec(now < deadline_ms ? deadline_ms - now : 0);
		/* with a mask, signals blocked by the caller can arrive only
		 * inside this wait: no window between its flag check and here */
		n = ppoll(&pfd, 1, &ts, sigmask);
		polled = 1;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
		/* n == 0: timed out, maybe early by rounding: check again */
	}
}

/* Local failures (descriptors, memory, ports) are the caller's own state,
 * which a requester can arrange before running setuid sudo: they are
 * errors, never "unreachable" (the pam_duo fail-open lesson). */
static int
local_errno(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS ||
	       e == EADDRNOTAVAIL || e == EAGAIN || e == EPERM || e == EACCES;
}

/* The network's definite answer that nothing is at an address: a reset
 * (no listener), or no route reported by routing or ICMP. A timeout is
 * never one (dropped SYNs, a stopped process), nor are EHOSTDOWN and
 * ENETDOWN. */
static int
nothing_there(int e)
{
	return e == ECONNREFUSED || e == ENETUNREACH || e == EHOSTUNREACH;
}

/* One non-blocking connect to ai, waiting until deadline_ms. The fd, or
 * -errno: the connect's own error, -ETIMEDOUT, -EINTR. */
static int
connect_one(const struct addrinfo *ai, uint64_t deadline_ms,
	    const sigset_t *sigmask)
{
	socklen_t sl = sizeof(int);
	int fd, r, soerr = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	r = -errno;
	if (r == -EINPROGRESS) {
		r = wait_fd(fd, POLLOUT, deadline_ms, sigmask);
		if (r == 0) {
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
				soerr = errno;
			if (soerr == 0)
				return fd;
			r = -soerr;
		}
	}
	close(fd);
	return r;
}

/* Append "ADDR:PORT: what" for one attempt to the text at *off in buf. */
static void
note_attempt(char *buf, size_t len, size_t *off, const struct addrinfo *ai,
	     int e)
{
	char host[INET6_ADDRSTRLEN] = "?", serv[8] = "?";
	int v6 = ai->ai_family == AF_INET6, n;

	if (*off >= len)
		return;
	(void)getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), serv,
			  sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
	n = snprintf(buf + *off, len - *off, "%s%s%s%s:%s: %s", *off ? "; " : "",
		     v6 ? "[" : "", host, v6 ? "]" : "", serv, strerror(-e));
	if (n < 0)
		buf[*off] = '\0';
	else
		*off += (size_t)n < len - *off ? (size_t)n : len - *off;
}

int
approve_connect_addrs(const struct addrinfo *list, uint64_t deadline_ms,
		      const sigset_t *sigmask, char *err, size_t errlen)
{
	const struct addrinfo *ai;
	char what[512] = "";
	size_t off = 0, n = 0, left, said_no = 0;
	uint64_t now, share;
	int r = APPROVE_HTTP_NOT_CONNECTED, e;

	for (ai = list; ai; ai = ai->ai_next)
		n++;
	for (ai = list, left = n; ai; ai = ai->ai_next, left--) {
		now = approve_now_ms();
		share = now < deadline_ms ? (deadline_ms - now) / left : 0;
		e = connect_one(ai, now + share, sigmask);
		if (e >= 0)
			return e;
		note_attempt(what, sizeof(what), &off, ai, e);
		if (e == -EINTR || local_errno(-e)) {
			r = e;
			goto out;
		}
		if (nothing_there(-e))
			said_no++;
	}
	if (n > 0 && said_no == n)
		r = APPROVE_HTTP_UNREACHABLE;	/* every address said "nothing here" */
out:
	approve_errf(err, errlen, "%s", n ? what : "no address");
	return r;
}

/* Resolve u's host and connect. The fd, or a class or -errno as
 * approve_connect_addrs; a name that does not resolve (EAI_NONAME, or no
 * answer in time) is APPROVE_HTTP_NOT_CONNECTED: no address was tried, so
 * nothing proves that approvald is absent. */
static int
tcp_connect(const struct approve_url *u, uint64_t deadline_ms,
	    const sigset_t *sigmask, char *err, size_t errlen)
{
	struct addrinfo *res = NULL;
	char what[512];
	int r;

	r = approve_resolve(u->host, u->port, deadline_ms, &res);
	if (r != 0) {
		approve_errf(err, errlen, "%s: %s", u->host,
			 r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		if (r == EAI_MEMORY)
			return -ENOMEM;
		if (r == EAI_SYSTEM)
			return errno ? -errno : -EIO;
		return APPROVE_HTTP_NOT_CONNECTED;
	}
	r = approve_connect_addrs(res, deadline_ms, sigmask, what, sizeof(what));
	freeaddrinfo(res);
	if (r < 0)
		approve_errf(err, errlen, "%s port %s: %s", u->host, u->port, what);
	return r;
}

static void
ssl_errstr(char *err, size_t errlen, const char *what, SSL *ssl)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256] = "";
	long vr;

	if (ssl && (vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		approve_errf(err, errlen, "%s: certificate verification failed: %s",
			 what, X509_verify_cert_error_string(vr));
	} else {
		if (e)
			ERR_error_string_n(e, buf, sizeof(buf));
		approve_errf(err, errlen, "%s: %s", what, e ? buf : "TLS error");
	}
	ERR_clear_error();
}

/* Turn an SSL_get_error() of a non-blocking call into a wait, or an error. */
static int
ssl_wait(struct conn *c, int ret, uint64_t deadline_ms, const char *what,
	 char *err, size_t errlen)
{
	int e = SSL_get_error(c->ssl, ret), r;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		r = wait_fd(c->fd, POLLIN, deadline_ms, c->sigmask);
		break;
	case SSL_ERROR_WANT_WRITE:
		r = wait_fd(c->fd, POLLOUT, deadline_ms, c->sigmask);
		break;
	case SSL_ERROR_ZERO_RETURN:
		return -ECONNRESET;
	case SSL_ERROR_SYSCALL:
		r = errno ? -errno : -ECONNRESET;
		if (r == -EAGAIN)
			r = -EPROTO;
		approve_errf(err, errlen, "%s: %s", what, strerror(-r));
		ERR_clear_error();
		return r;
	default:
		ssl_errstr(err, errlen, what, c->ssl);
		return -EPROTO;
	}
	if (r == -ETIMEDOUT)
		approve_errf(err, errlen, "%s: timed out", what);
	else if (r == -EINTR)
		approve_errf(err, errlen, "%s: interrupted", what);
	else if (r < 0)
		approve_errf(err, errlen, "%s: %s", what, strerror(-r));
	return r;
}

/* Every OpenSSL call that may write to the socket (the TLS BIO uses
 * write(2), which raises SIGPIPE on a reset peer): SIGPIPE is blocked in
 * this thread around the call, and one the call raised is consumed before
 * the mask is put back, so a reset peer never kills su and the process's
 * handlers never see it. One pending before the call is left alone. */
enum tls_call { TLS_CALL_CONNECT, TLS_CALL_READ, TLS_CALL_WRITE };

static int
ssl_call(SSL *ssl, enum tls_call op, void *buf, int n)
{
	struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	int r, had_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	had_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ERR_clear_error();
	switch (op) {
	case TLS_CALL_CONNECT:
		r = SSL_connect(ssl);
		break;
	case TLS_CALL_READ:
		r = SSL_read(ssl, buf, n);
		break;
	case TLS_CALL_WRITE:
		r = SSL_write(ssl, buf, n);
		break;
	default:
		r = -1;
		break;
	}
	if (!had_pending) {
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
			       errno == EINTR)
				;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static int
tls_start(struct conn *c, const struct approve_url *u, const char *ca_file,
	  uint64_t deadline_ms, char *err, size_t errlen)
{
	unsigned char addr[16];
	int is_ip, r;

	ERR_clear_error();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		ssl_errstr(err, errlen, "TLS setup", NULL);
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	/* only this bundle: never SSL_CERT_FILE / default paths */
	if (!ca_file)
		ca_file = DEFAULT_CA;
	if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1) {
		ssl_errstr(err, errlen, ca_file, NULL);
		approve_errf(err, errlen, "%s: cannot load CA file", ca_file);
		return -EACCES;
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
		ssl_errstr(err, errlen, "TLS setup", NULL);
		return -ENOMEM;
	}
	is_ip = inet_pton(AF_INET, u->host, addr) == 1 ||
		inet_pton(AF_INET6, u->host, addr) == 1;
	if (is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), u->host) != 1) {
			ssl_errstr(err, errlen, "TLS setup", NULL);
			return -EINVAL;
		}
	} else {
		if (SSL_set_tlsext_host_name(c->ssl, u->host) != 1 ||
		    SSL_set1_host(c->ssl, u->host) != 1) {
			ssl_errstr(err, errlen, "TLS setup", NULL);
			return -EINVAL;
		}
		SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	}
	for (;;) {
		r = ssl_call(c->ssl, TLS_CALL_CONNECT, NULL, 0);
		if (r == 1)
			break;
		r = ssl_wait(c, r, deadline_ms, "TLS handshake", err, errlen);
		if (r < 0)
			return r;
	}
	if (SSL_get_verify_result(c->ssl) != X509_V_OK ||
	    !SSL_get0_peer_certificate(c->ssl)) {
		approve_errf(err, errlen, "TLS handshake: peer not verified");
		return -EPROTO;
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);	/* no shutdown: we are done either way */
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->ctx = NULL;
	c->fd = -1;
	ERR_clear_error();
}

/* Send everything (TLS writes through ssl_call; plain ones with
 * MSG_NOSIGNAL: neither can raise SIGPIPE). */
static int
conn_write_all(struct conn *c, const char *p, size_t n, uint64_t deadline_ms,
	       char *err, size_t errlen)
{
	int r = 0;
	ssize_t w;

	while (n > 0) {
		if (c->ssl) {
			int chunk = n > INT32_MAX ? INT32_MAX : (int)n, k;

			k = ssl_call(c->ssl, TLS_CALL_WRITE, (void *)p, chunk);
			if (k > 0) {
				p += k;
				n -= (size_t)k;
				continue;
			}
			r = ssl_wait(c, k, deadline_ms, "send", err, errlen);
			if (r < 0)
				break;
			continue;
		}
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = wait_fd(c->fd, POLLOUT, deadline_ms, c->sigmask);
			if (r < 0) {
				approve_errf(err, errlen, "send: %s", strerror(-r));
				break;
			}
			continue;
		}
		r = w < 0 ? -errno : -ECONNRESET;
		approve_errf(err, errlen, "send: %s", strerror(-r));
		break;
	}
	return r;
}

/* Read some bytes into b. >0 bytes read, 0 clean EOF, <0 error. */
static int
conn_read(struct conn *c, struct approve_buf *b, uint64_t deadline_ms,
	  char *err, size_t errlen)
{
	char tmp[16384];
	size_t want = sizeof(tmp);
	ssize_t n;
	int r;

	if (b->max - b->len < want)
		want = b->max - b->len;
	if (want == 0) {
		approve_errf(err, errlen, "response over %zu bytes", b->max);
		return -EMSGSIZE;
	}
	for (;;) {
		if (c->ssl) {
			int k;

			k = ssl_call(c->ssl, TLS_CALL_READ, tmp, (int)want);
			if (k > 0) {
				n = k;
				break;
			}
			if (SSL_get_error(c->ssl, k) == SSL_ERROR_ZERO_RETURN)
				return 0;
			r = ssl_wait(c, k, deadline_ms, "receive", err, errlen);
			if (r < 0)
				return r;
			continue;
		}
		n = recv(c->fd, tmp, want, 0);
		if (n >= 0)
			break;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			r = -errno;
			approve_errf(err, errlen, "receive: %s", strerror(-r));
			return r;
		}
		r = wait_fd(c->fd, POLLIN, deadline_ms, c->sigmask);
		if (r < 0) {
			approve_errf(err, errlen, "receive: %s",
				 r == -ETIMEDOUT ? "timed out" : strerror(-r));
			return r;
		}
	}
	if (n > 0 && approve_buf_append(b, tmp, (size_t)n) < 0) {
		approve_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return (int)n;
}

/* Path, token and method go into the request head: no CR, LF, blanks or
 * other control bytes (header injection), ASCII only. */
static int
head_safe(const char *s, int allow_empty)
{
	if (!s || (!allow_empty && !*s))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* An extra header line: "Name: value", a token name, printable ASCII
 * value (blanks allowed), no CR, LF or other control byte. */
static int
header_line_safe(const char *s)
{
	const char *colon = strchr(s, ':');

	if (!colon || colon == s)
		return 0;
	for (; s < colon; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	for (s++; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* The request head and body. 0, -E2BIG (over the request cap) or -ENOMEM. */
static int
build_request(struct approve_buf *req, const struct approve_url *u,
	      const struct approve_http_opts *o, const char *method,
	      const char *path, const char *body, size_t body_len)
{
	int def_port = strcmp(u->port, u->tls ? "443" : "80") == 0;
	int v6 = strchr(u->host, ':') != NULL;
	int r;

	r = approve_buf_printf(req, "%s %s%s HTTP/1.1\r\n", method, u->path, path);
	if (!r)
		r = approve_buf_printf(req, "Host: %s%s%s%s%s\r\n", v6 ? "[" : "", u->host,
				       v6 ? "]" : "", def_port ? "" : ":",
				       def_port ? "" : u->port);
	if (!r)
		r = approve_buf_append_str(req, "User-Agent: pam_approve/" APPROVE_VERSION "\r\n"
					   "Accept: application/json\r\n"
					   "Connection: close\r\n");
	if (!r && o->token)
		r = approve_buf_printf(req, "Authorization: Bearer %s\r\n", o->token);
	for (size_t i = 0; !r && o->headers && o->headers[i]; i++)
		r = approve_buf_printf(req, "%s\r\n", o->headers[i]);
	if (!r && body)
		r = approve_buf_printf(req, "Content-Type: application/json\r\n"
				       "Content-Length: %zu\r\n", body_len);
	if (!r)
		r = approve_buf_append_str(req, "\r\n");
	if (!r && body && body_len)
		r = approve_buf_append(req, body, body_len);
	return r;
}

int
approve_http_request(const struct approve_http_opts *o, const char *method,
		     const char *path, const char *body, size_t body_len,
		     uint64_t deadline_ms, struct approve_http_response **out,
		     char *err, size_t errlen)
{
	struct approve_url u = { 0 };
	struct approve_buf req, raw;
	struct conn c = { .fd = -1 };
	const char *q;
	int r, n;

	*out = NULL;
	approve_buf_init_secret(&req, APPROVE_BODY_MAX + HDR_MAX);	/* the token */
	approve_buf_init(&raw, RAW_MAX);
	r = -EINVAL;
	if (!o || !method || !path || path[0] != '/' || !head_safe(path, 0)) {
		approve_errf(err, errlen, "bad request path");
		goto out;
	}
	for (q = method; *q; q++)
		if (*q < 'A' || *q > 'Z')
			break;
	if (!*method || *q || q - method > 16) {
		approve_errf(err, errlen, "bad request method");
		goto out;
	}
	if (o->token && !head_safe(o->token, 0)) {
		approve_errf(err, errlen, "token holds blanks or control characters");
		goto out;
	}
	for (size_t i = 0; o->headers && o->headers[i]; i++) {
		if (!header_line_safe(o->headers[i])) {
			approve_errf(err, errlen, "header line holds control characters");
			goto out;
		}
	}
	if (!body && body_len) {
		approve_errf(err, errlen, "body length without body");
		goto out;
	}
	if (body_len > APPROVE_BODY_MAX) {
		approve_errf(err, errlen, "request body over %d bytes", APPROVE_BODY_MAX);
		goto out;
	}
	r = approve_url_parse(o->url, &u, err, errlen);
	if (r < 0)
		goto out;
	r = build_request(&req, &u, o, method, path, body, body_len);
	if (r < 0) {
		approve_errf(err, errlen, r == -E2BIG ? "request too large" : "out of memory");
		if (r == -E2BIG)
			r = -EINVAL;
		goto out;
	}

	if (o->strict_transport && approve_url_transport_ok(&u, err, errlen) < 0) {
		r = -EPERM;
		goto out;
	}
	c.sigmask = o->wait_sigmask;
	if (u.unix_path)	/* checked path and peer: nothing sent before */
		r = approve_unix_connect(u.unix_path, o->server_uid, deadline_ms,
					 o->wait_sigmask, err, errlen);
	else
		r = tcp_connect(&u, deadline_ms, o->wait_sigmask, err, errlen);
	if (r < 0)
		goto out;
	c.fd = r;
	/* connected: from here on, nothing is "unreachable" any more */
	if (u.tls) {
		r = tls_start(&c, &u, o->ca_file, deadline_ms, err, errlen);
		if (r < 0)
			goto out;
	}
	r = conn_write_all(&c, req.data, req.len, deadline_ms, err, errlen);
	if (r < 0)
		goto out;
	for (;;) {
		n = conn_read(&c, &raw, deadline_ms, err, errlen);
		if (n < 0) {
			r = n;
			/* a TLS peer that drops TCP without close_notify: the
			 * response might be cut; only a length-delimited
			 * response that is complete is accepted (parsed above) */
			goto out;
		}
		r = approve_http_parse_response(raw.data ? raw.data : "", raw.len,
						n == 0, out);
		if (r == 1) {
			r = 0;
			break;
		}
		if (r < 0) {
			approve_errf(err, errlen, "bad response: %s", strerror(-r));
			goto out;
		}
		if (n == 0) {	/* cannot happen: eof makes the parser decide */
			r = -ECONNRESET;
			goto out;
		}
	}
out:
	conn_close(&c);
	approve_url_release(&u);
	approve_buf_release(&req);	/* wiped */
	approve_buf_release(&raw);
	return r;
}
