/* test_route.c: check suite for approvald/route.c: a path matches a
 * pattern exactly, '*' standing for one non-empty segment that is handed
 * over only up to HTTP_PARAM_MAX bytes (longer: flagged, never copied);
 * the first route with the method wins; a path known under other methods
 * gives the Allow list of a 405 (each method once), an unknown one an empty
 * list (404); a final "**" matches the rest of a path at any depth
 * (never empty, only after its prefix); Content-Type is application/json in any case with optional
 * blanks and parameters, and nothing that merely starts like it. */
#include "route.h"
#include "unit.h"

static const struct route table[] = {
	{ "POST", "/v1/requests", NEED_HOST, 1, NULL, 0 },
	{ "GET", "/v1/requests", NEED_READER, 0, NULL, 0 },
	{ "GET", "/v1/requests/*", NEED_READER, 0, NULL, 0 },
	{ "GET", "/v1/requests/*/wait", NEED_HOST, 0, NULL, 0 },
	{ "POST", "/v1/requests/*/cancel", NEED_HOST, 1, NULL, 0 },
	{ "GET", "/v1/session", NEED_NONE, 0, NULL, 0 },
	{ "POST", "/v1/session", NEED_NONE, 1, NULL, 0 },
	{ "DELETE", "/v1/session", NEED_NONE, 0, NULL, 0 },
	{ "GET", "/", NEED_NONE, 0, NULL, 0 },
};
#define N (sizeof(table) / sizeof(table[0]))

static const struct route *
look(const char *method, const char *path, char *param, int *bad, char *allow,
     size_t allow_len)
{
	return route_lookup(table, N, method, path, param, bad, allow, allow_len);
}

START_TEST(exact_and_param)
{
	char param[HTTP_PARAM_MAX + 1], allow[64];
	int bad = 7;
	const struct route *r;

	r = look("POST", "/v1/requests", param, &bad, allow, sizeof(allow));
	ck_assert_ptr_eq(r, &table[0]);
	ck_assert_str_eq(param, "");
	ck_assert_int_eq(bad, 0);
	r = look("GET", "/v1/requests", param, &bad, allow, sizeof(allow));
	ck_assert_ptr_eq(r, &table[1]);
	r = look("GET", "/v1/requests/abc-123", param, &bad, allow, sizeof(allow));
	ck_assert_ptr_eq(r, &table[2]);
	ck_assert_str_eq(param, "abc-123");
	r = look("GET", "/v1/requests/abc/wait", param, &bad, allow, sizeof(allow));
	ck_assert_ptr_eq(r, &table[3]);
	ck_assert_str_eq(param, "abc");
	r = look("GET", "/", param, &bad, allow, sizeof(allow));
	ck_assert_ptr_eq(r, &table[8]);
}
END_TEST

START_TEST(no_near_misses)
{
	static const char *const paths[] = {
		"/v1/requests/", "/v1/requests//wait", "/v1/requests/a/", "/v1/requests/a/b",
		"/v1/requestsX", "/v1/request", "/V1/requests", "//v1/requests",
		"/v1/requests/a/wait/", "/v1/requests/a/waitx", "", "/v1/requests\n",
		"/v1/requests/a%2fb/wait/x", "/v1/session/", "/x",
	};
	char param[HTTP_PARAM_MAX + 1], allow[64];
	int bad;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		ck_assert_msg(look("GET", paths[i], param, &bad, allow, sizeof(allow)) == NULL,
			      "GET '%s' matched", paths[i]);
		ck_assert_msg(allow[0] == '\0', "'%s': Allow '%s' for an unknown path",
			      paths[i], allow);
	}
	/* a method is compared exactly */
	ck_assert_ptr_null(look("get", "/v1/requests", param, &bad, allow, sizeof(allow)));
	ck_assert_ptr_null(look("GETX", "/v1/requests", param, &bad, allow, sizeof(allow)));
	ck_assert_ptr_null(look("", "/v1/requests", param, &bad, allow, sizeof(allow)));
}
END_TEST

START_TEST(long_param)
{
	char path[256], seg[HTTP_PARAM_MAX + 2], param[HTTP_PARAM_MAX + 1], allow[64];
	int bad = 0;
	const struct route *r;

	memset(seg, 'a', HTTP_PARAM_MAX);
	seg[HTTP_PARAM_MAX] = '\0';
	snprintf(path, sizeof(path), "/v1/requests/%s/wait", seg);
	r = look("GET", path, param, &bad, allow, sizeof(allow));
	ck_assert_ptr_eq(r, &table[3]);
	ck_assert_int_eq(bad, 0);
	ck_assert_str_eq(param, seg);

	seg[HTTP_PARAM_MAX] = 'a';
	seg[HTTP_PARAM_MAX + 1] = '\0';
	snprintf(path, sizeof(path), "/v1/requests/%s/wait", seg);
	r = look("GET", path, param, &bad, allow, sizeof(allow));
	ck_assert_ptr_eq(r, &table[3]);	/* the handler refuses it (param_bad) */
	ck_assert_int_eq(bad, 1);
	ck_assert_str_eq(param, "");
}
END_TEST

START_TEST(allow_list)
{
	char param[HTTP_PARAM_MAX + 1], allow[64], tiny[6];
	int bad;

	ck_assert_ptr_null(look("PUT", "/v1/session", param, &bad, allow, sizeof(allow)));
	ck_assert_str_eq(allow, "GET, HEAD, POST, DELETE");
	ck_assert_ptr_null(look("DELETE", "/v1/requests", param, &bad, allow, sizeof(allow)));
	ck_assert_str_eq(allow, "POST, GET, HEAD");
	ck_assert_ptr_null(look("POST", "/v1/requests/x", param, &bad, allow, sizeof(allow)));
	ck_assert_str_eq(allow, "GET, HEAD");
	ck_assert_ptr_null(look("GET", "/v1/requests/x/cancel", param, &bad, allow, sizeof(allow)));
	ck_assert_str_eq(allow, "POST");
	/* a short buffer only shortens the list, still terminated */
	ck_assert_ptr_null(look("PUT", "/v1/session", param, &bad, tiny, sizeof(tiny)));
	ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
	ck_assert_int_eq(strncmp(tiny, "GET, HEAD", strlen(tiny)), 0);
	/* a match clears what earlier routes added */
	ck_assert_ptr_eq(look("DELETE", "/v1/session", param, &bad, allow, sizeof(allow)),
			 &table[7]);
	ck_assert_str_eq(allow, "");
}
END_TEST

/* HEAD runs the GET route of a path (RFC 9110: GET without the body); a
 * path without GET answers 405 naming what it has; HEAD is not a prefix
 * trick ("HEADX" and "head" are unknown). */
START_TEST(head_is_get)
{
	char param[HTTP_PARAM_MAX + 1], allow[64];
	const struct route *get, *head;
	int bad;

	get = look("GET", "/v1/requests/abc", param, &bad, allow, sizeof(allow));
	head = look("HEAD", "/v1/requests/abc", param, &bad, allow, sizeof(allow));
	ck_assert_ptr_nonnull(head);
	ck_assert_ptr_eq(head, get);
	ck_assert_str_eq(head->method, "GET");
	ck_assert_str_eq(param, "abc");
	ck_assert_ptr_eq(look("HEAD", "/", param, &bad, allow, sizeof(allow)),
			 look("GET", "/", param, &bad, allow, sizeof(allow)));
	ck_assert_ptr_null(look("HEAD", "/v1/requests/x/cancel", param, &bad, allow,
				sizeof(allow)));
	ck_assert_str_eq(allow, "POST");
	ck_assert_ptr_null(look("HEADX", "/v1/requests", param, &bad, allow, sizeof(allow)));
	ck_assert_ptr_null(look("head", "/v1/requests", param, &bad, allow, sizeof(allow)));
}
END_TEST

START_TEST(path_match)
{
	char param[HTTP_PARAM_MAX + 1];
	int bad = 0;

	ck_assert_int_eq(route_path_match("/r/*", "/r/K7Q-4MX", param, &bad), 1);
	ck_assert_str_eq(param, "K7Q-4MX");
	ck_assert_int_eq(route_path_match("/r/*", "/r/", param, &bad), 0);
	ck_assert_int_eq(route_path_match("/r/*", "/r", param, &bad), 0);
	ck_assert_int_eq(route_path_match("/r/*", "/r/a/b", param, &bad), 0);
	ck_assert_int_eq(route_path_match("/r/*", "/r/a", NULL, NULL), 1);
	ck_assert_int_eq(route_path_match("", "", NULL, NULL), 1);
	ck_assert_int_eq(route_path_match("/a", "/a\0/b", NULL, NULL), 1);	/* C string ends */
}
END_TEST

/* A final "**" is the rest of the path at any depth, never empty, and
 * only after the exact prefix; '*' before it still hands over its
 * segment; "**" anywhere else does not match across segments. */
START_TEST(rest_of_path)
{
	static const char *const yes[] = {
		"/ui/a", "/ui/a/b", "/ui/a/b/c", "/ui/a/b/c/d/e/f/g/h", "/ui/a/", "/ui//",
		"/ui/static/x/y", "/ui/%2e%2e/x",
	};
	static const char *const no[] = {
		"/ui/", "/ui", "/u", "/uix/a", "/UI/a", "", "/v1/ui/a", "//ui/a",
	};
	char param[HTTP_PARAM_MAX + 1], deep[4096];
	int bad = 0;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(route_path_match("/ui/**", yes[i], NULL, NULL) == 1, "%s", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(route_path_match("/ui/**", no[i], NULL, NULL) == 0, "%s", no[i]);
	/* far deeper than any '*' pattern, and segments longer than a param */
	memcpy(deep, "/ui", 3);
	for (i = 3; i + 1 < sizeof(deep); i++)
		deep[i] = i % 100 == 3 ? '/' : 'x';
	deep[i] = '\0';
	ck_assert_int_eq(route_path_match("/ui/**", deep, param, &bad), 1);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(route_path_match("/r/*/**", "/r/K7Q/a/b", param, &bad), 1);
	ck_assert_str_eq(param, "K7Q");
	ck_assert_int_eq(route_path_match("/r/*/**", "/r/K7Q/", param, &bad), 0);
	ck_assert_int_eq(route_path_match("/a/**/b", "/a/x/b", NULL, NULL), 0);
}
END_TEST

/* In a table the specific routes come first and the "**" route catches
 * every deeper unknown path, for GET and HEAD; other methods get 405. */
START_TEST(rest_route_in_table)
{
	static const struct route ui[] = {
		{ "GET", "/ui/", NEED_NONE, 0, NULL, 1 },
		{ "GET", "/ui/requests/*", NEED_NONE, 0, NULL, 1 },
		{ "GET", "/ui/**", NEED_NONE, 0, NULL, 1 },
	};
	char param[HTTP_PARAM_MAX + 1], allow[64];
	int bad;

	ck_assert_ptr_eq(route_lookup(ui, 3, "GET", "/ui/", param, &bad, allow, sizeof(allow)), &ui[0]);
	ck_assert_ptr_eq(route_lookup(ui, 3, "GET", "/ui/requests/x", param, &bad, allow, sizeof(allow)),
			 &ui[1]);
	ck_assert_str_eq(param, "x");
	ck_assert_ptr_eq(route_lookup(ui, 3, "GET", "/ui/requests/x/y", param, &bad, allow, sizeof(allow)),
			 &ui[2]);
	ck_assert_str_eq(param, "");
	ck_assert_ptr_eq(route_lookup(ui, 3, "HEAD", "/ui/a/b/c/d/e", param, &bad, allow, sizeof(allow)),
			 &ui[2]);
	ck_assert_ptr_null(route_lookup(ui, 3, "POST", "/ui/a/b/c/d/e", param, &bad, allow, sizeof(allow)));
	ck_assert_str_eq(allow, "GET, HEAD");
	ck_assert_ptr_null(route_lookup(ui, 3, "GET", "/uix", param, &bad, allow, sizeof(allow)));
	ck_assert_str_eq(allow, "");
}
END_TEST

START_TEST(content_type)
{
	static const char *const yes[] = {
		"application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
		"Application/Json;charset=UTF-8", " \tapplication/json", "application/json \t",
		"application/json ; charset=utf-8", "application/json;",
	};
	static const char *const no[] = {
		"", " ", "application/jsonx", "application/json-patch+json", "application/jso",
		"text/json", "application/x-www-form-urlencoded", "multipart/form-data",
		"text/plain; application/json", "application/json x", "application/json,text/html",
		"application /json", "\napplication/json", "application/json\r\n",
		"application/json\x01",
	};
	size_t i;

	ck_assert_int_eq(content_type_json(NULL), 0);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(content_type_json(yes[i]) == 1, "refused '%s'", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(content_type_json(no[i]) == 0, "accepted '%s'", no[i]);
	/* the form type of Slack's interactivity requests, nothing near it */
	ck_assert_int_eq(content_type_form("application/x-www-form-urlencoded"), 1);
	ck_assert_int_eq(content_type_form(" Application/X-WWW-Form-Urlencoded ; charset=utf-8"), 1);
	ck_assert_int_eq(content_type_form("application/json"), 0);
	ck_assert_int_eq(content_type_form("multipart/form-data"), 0);
	ck_assert_int_eq(content_type_form("application/x-www-form-urlencodedx"), 0);
	ck_assert_int_eq(content_type_form(NULL), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, exact_and_param);
	tcase_add_test(tc, no_near_misses);
	tcase_add_test(tc, long_param);
	tcase_add_test(tc, allow_list);
	tcase_add_test(tc, head_is_get);
	tcase_add_test(tc, path_match);
	tcase_add_test(tc, rest_of_path);
	tcase_add_test(tc, rest_route_in_table);
	tcase_add_test(tc, content_type);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
