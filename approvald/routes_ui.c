/* routes_ui.c: owns the approver UI's pages and assets (compiled in,
 * web_assets.h): every UI path answers the one page shell, a path under
 * /ui/static/ the named asset, each with its ETag; the security headers come from
 * http_queue() (httpd.c) like every other answer's. */
#include <string.h>

#include "httpd.h"
#include "web_assets.h"

static const struct approve_asset *
asset_find(const char *name)
{
	size_t lo = 0, hi = approve_assets_count, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, approve_assets[mid].name);
		if (c == 0)
			return &approve_assets[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* 1 when If-None-Match lists etag (or is "*"). */
static int
etag_matches(struct MHD_Connection *conn, const char *etag)
{
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_IF_NONE_MATCH);
	size_t n = strlen(etag);
	const char *p;

	if (!inm)
		return 0;
	if (strcmp(inm, "*") == 0)
		return 1;
	for (p = inm; (p = strstr(p, etag)) != NULL; p += n) {
		/* whole list item only, W/ prefix allowed (weak comparison) */
		if ((p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
	}
	return 0;
}

/* Assets are revalidated on every use (no-cache + ETag): there is no
 * fingerprint in their names, so an upgrade shows at the next load. */
static enum MHD_Result
serve_asset(struct http_req *r, const struct approve_asset *a)
{
	struct MHD_Response *resp;
	unsigned status = 200;

	if (etag_matches(r->conn, a->etag)) {
		status = 304;
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(a->len, (void *)a->data,
						       MHD_RESPMEM_PERSISTENT);
	}
	if (resp && MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return http_queue(r, status, resp, a->type, "no-cache");
}

/* ---- pages ---- */

enum MHD_Result
route_ui_root(struct http_req *r)
{
	return http_reply_redirect(r, "/ui/");
}

/* Every UI path answers the same shell; the page's script routes. */
enum MHD_Result
route_ui_page(struct http_req *r)
{
	const struct approve_asset *a = asset_find("index.html");

	if (!a)
		return http_reply_error(r, 404, "not_found", "no such path");
	return serve_asset(r, a);
}

/* A path the UI does not have (an unknown /ui/... page, a /r/ link with
 * no such code): 404 with the page shell, whose script shows its own
 * not-found page instead of a JSON error. */
enum MHD_Result
route_ui_missing(struct http_req *r)
{
	const struct approve_asset *a = asset_find("index.html");
	struct MHD_Response *resp;

	if (!a)
		return http_reply_error(r, 404, "not_found", "no such path");
	resp = MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	return http_queue(r, 404, resp, a->type, "no-cache");
}

enum MHD_Result
route_ui_static(struct http_req *r)
{
	const struct approve_asset *a = r->param_bad ? NULL : asset_find(r->param);

	if (!a)
		return http_reply_error(r, 404, "not_found", "no such path");
	return serve_asset(r, a);
}
