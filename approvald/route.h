/* route.h: approvald's routing, pure (no I/O, no MHD calls): a request line
 * is looked up in a route table (httpd.c owns the table; each route states
 * who may call it), and a Content-Type is judged to be JSON or not. Unit-
 * tested on hostile paths and types (tests/unit/test_route.c). */
#ifndef APPROVALD_ROUTE_H
#define APPROVALD_ROUTE_H
#include <stddef.h>
#include <microhttpd.h>	/* enum MHD_Result, the handlers' return type */

#include "access.h"

/* The longest path segment a '*' may stand for. */
#define HTTP_PARAM_MAX 64

#define ROUTE_BODY_JSON 1
#define ROUTE_BODY_FORM 2	/* application/x-www-form-urlencoded (Slack) */

struct http_req;
typedef enum MHD_Result (*http_handler)(struct http_req *r);

struct route {
	const char *method;
	const char *pattern;	/* '*' stands for one non-empty segment;
				 * a final "**" for a non-empty rest of
				 * any depth (no parameter) */
	enum access_need need;
	int body;		/* reads a body: ROUTE_BODY_JSON or _FORM */
	http_handler fn;
	int from_memory;	/* answers from memory alone: runs on the
				 * HTTP thread; every other route runs on a
				 * job thread (offload.h) */
};

/* The route of table[0..n) whose pattern matches path and whose method is
 * method (the first such), or NULL. On a match param holds the '*'
 * segment ("" if none) and *param_bad says it was longer than
 * HTTP_PARAM_MAX (param is then ""). With no match, allow (allow_len
 * bytes, allow_len > 0) holds the methods of the routes whose pattern did
 * match, ", "-separated, each once: the Allow header of a 405 ("" means 404).
 * Truncation can only shorten that list. A HEAD is looked up as GET (the
 * route returned is the GET route; its handler answers, libmicrohttpd
 * drops the body), and HEAD follows GET in an Allow list. */
const struct route *route_lookup(const struct route *table, size_t n,
				 const char *method, const char *path,
				 char param[HTTP_PARAM_MAX + 1], int *param_bad,
				 char *allow, size_t allow_len);

/* 1 when path matches pattern; a '*' segment is copied to param (when not
 * NULL) unless longer than HTTP_PARAM_MAX, which sets *param_bad. A
 * pattern ending in "**" matches every path that starts with what comes
 * before it and goes on by at least one byte ("/ui/" then "**"
 * matches "/ui/a/b/c/d", not "/ui/"); '*' segments before it are handed over as usual. */
int route_path_match(const char *pattern, const char *path,
		     char param[HTTP_PARAM_MAX + 1], int *param_bad);

/* 1 when the Content-Type value ct (NULL: absent) is application/json,
 * any case, optional blanks around it, optional parameters after ';'. */
int content_type_json(const char *ct);
/* The same for application/x-www-form-urlencoded. */
int content_type_form(const char *ct);

#endif
