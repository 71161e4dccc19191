/* route.h: approvald's routing: the shape of a route (who may call it,
 * whether it reads a body), the lookup of a request line in a table, and
 * the Content-Type check of a JSON body. Pure (no I/O): httpd.c owns the
 * table and calls these; tests/unit can call them with a table of their
 * own. */
#ifndef APPROVALD_ROUTE_H
#define APPROVALD_ROUTE_H
#include <stddef.h>
#include <microhttpd.h>

#include "access.h"

struct http_req;
typedef enum MHD_Result (*http_handler)(struct http_req *r);

#define HTTP_PARAM_MAX 64

struct route {
	const char *method;
	const char *pattern;	/* '*' stands for one non-empty segment */
	enum access_need need;
	int body;		/* reads a JSON body */
	http_handler fn;
};

/* 1 when path matches pattern; the '*' segment is copied to param (when
 * not NULL; HTTP_PARAM_MAX + 1 bytes), or when longer than HTTP_PARAM_MAX
 * param is "" and *param_bad is set. 0 otherwise. */
int route_match(const char *pattern, const char *path, char *param, int *param_bad);

/* The route of table[0..n) for method and path, its '*' segment in param
 * and *param_bad as route_match() gives them; NULL when none: then allow
 * (allowlen bytes, at least 1) lists the methods the path has, ", "
 * separated ("" when the path has none: 404, else 405). */
const struct route *route_find(const struct route *table, size_t n, const char *method,
			       const char *path, char *param, int *param_bad,
			       char *allow, size_t allowlen);

/* 1 when ct (a Content-Type value, NULL: absent) is application/json with
 * or without parameters, in any case, blanks around; else 0. */
int content_type_json(const char *ct);

#endif
