/* route.c: route-table lookup and Content-Type judgement (route.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "route.h"

int
route_path_match(const char *pattern, const char *path,
		 char param[HTTP_PARAM_MAX + 1], int *param_bad)
{
	const char *p = pattern, *s = path;
	size_t n;

	while (*p && *s) {
		/* a final "**" stands for the rest of the path, any depth,
		 * at least one byte; it hands over no parameter */
		if (p[0] == '*' && p[1] == '*' && p[2] == '\0')
			return 1;
		if (*p == '*') {
			n = strcspn(s, "/");
			if (n == 0)
				return 0;
			if (param) {
				*param_bad = n > HTTP_PARAM_MAX;
				if (!*param_bad) {
					memcpy(param, s, n);
					param[n] = '\0';
				} else {
					param[0] = '\0';
				}
			}
			s += n;
			p++;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

/* Append method to the ", "-separated list allow unless it is there. A
 * handful of short method names; truncation would only shorten the Allow
 * header. */
static void
allow_add(char *allow, size_t allow_len, const char *method)
{
	size_t used = strlen(allow), m = strlen(method);
	const char *p;

	for (p = allow; (p = strstr(p, method)) != NULL; p += m)
		if ((p == allow || p[-1] == ' ') && (p[m] == ',' || p[m] == '\0'))
			return;
	snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", method);
}

const struct route *
route_lookup(const struct route *table, size_t n, const char *method,
	     const char *path, char param[HTTP_PARAM_MAX + 1], int *param_bad,
	     char *allow, size_t allow_len)
{
	size_t i;

	allow[0] = '\0';
	param[0] = '\0';
	*param_bad = 0;
	/* HEAD is GET without the body (RFC 9110 9.3.2): it runs the GET
	 * route, and libmicrohttpd sends the headers only */
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (i = 0; i < n; i++) {
		char seg[HTTP_PARAM_MAX + 1] = "";
		int bad = 0;

		if (!route_path_match(table[i].pattern, path, seg, &bad))
			continue;
		if (strcmp(table[i].method, method) == 0) {
			memcpy(param, seg, sizeof(seg));
			*param_bad = bad;
			allow[0] = '\0';
			return &table[i];
		}
		allow_add(allow, allow_len, table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			allow_add(allow, allow_len, "HEAD");
	}
	return NULL;
}

/* ct names the media type want (any case), optional blanks around it,
 * optional parameters after ';'. */
static int
content_type_is(const char *ct, const char *want)
{
	size_t n;

	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	if (n != strlen(want) || strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int
content_type_json(const char *ct)
{
	return content_type_is(ct, "application/json");
}

int
content_type_form(const char *ct)
{
	return content_type_is(ct, "application/x-www-form-urlencoded");
}
