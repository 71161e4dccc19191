/* test_notify_sig.c: check suite for approvald/notify_sig.c: the webhook
 * signature is HMAC-SHA256 over "TIMESTAMP.BODY" (a known vector); Slack's
 * v0 signature is accepted only when it verifies over exactly this body
 * and this timestamp within SLACK_MAX_SKEW_S, and every malformed, forged,
 * truncated, upper-case, stale or future header is refused; the form
 * decoder takes exactly the named field and refuses broken escapes and a
 * decoded NUL. */
#include <errno.h>
#include <time.h>

#include "notify_sig.h"
#include "unit.h"

static const char secret[] = "8f742231b10e8888abcd99yyyzzz85a5";

static void
sign(const char *ts, const char *body, char out[3 + 65])
{
	char prefix[64], hex[65];

	snprintf(prefix, sizeof(prefix), "v0:%s:", ts);
	ck_assert_int_eq(notify_hmac_hex(secret, strlen(secret), prefix, strlen(prefix), body,
					 strlen(body), hex), 0);
	snprintf(out, 3 + 65, "v0=%s", hex);
}

START_TEST(webhook_vector)
{
	char hex[65];

	/* python3: hmac.new(b"key", b"1700000000.{}", "sha256").hexdigest() */
	ck_assert_int_eq(notify_webhook_sign("key", 3, 1700000000LL, "{}", 2, hex), 0);
	ck_assert_str_eq(hex, "9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae");
}
END_TEST

START_TEST(slack_valid_and_refused)
{
	const char *body = "payload=%7B%22type%22%3A%22block_actions%22%7D";
	time_t now = 1700000000;
	char ts[32], sig[3 + 65], bad[3 + 65];

	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	sign(ts, body, sig);
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, sig, body,
					       strlen(body), now), 0);
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, sig, body,
					       strlen(body), now + SLACK_MAX_SKEW_S), 0);
	/* stale and future */
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, sig, body,
					       strlen(body), now + SLACK_MAX_SKEW_S + 1), -ETIME);
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, sig, body,
					       strlen(body), now - SLACK_MAX_SKEW_S - 1), -ETIME);
	/* another body, another key, a truncated body */
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, sig, "payload=x", 9,
					       now), -EBADMSG);
	ck_assert_int_eq(slack_signature_check("other", 5, ts, sig, body, strlen(body), now),
			 -EBADMSG);
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, sig, body,
					       strlen(body) - 1, now), -EBADMSG);
	/* the signature bound to the timestamp: the same one with another ts */
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), "1700000001", sig, body,
					       strlen(body), now), -EBADMSG);
	/* one flipped hex digit, upper case, truncated, wrong version, empty */
	memcpy(bad, sig, sizeof(bad));
	bad[10] = bad[10] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, bad, body,
					       strlen(body), now), -EBADMSG);
	memcpy(bad, sig, sizeof(bad));
	for (char *p = bad + 3; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	if (strcmp(bad, sig) != 0)
		ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, bad, body,
						       strlen(body), now), -EBADMSG);
	memcpy(bad, sig, sizeof(bad));
	bad[40] = '\0';
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, bad, body,
					       strlen(body), now), -EBADMSG);
	memcpy(bad, sig, sizeof(bad));
	bad[1] = '1';
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, bad, body,
					       strlen(body), now), -EBADMSG);
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, "", body,
					       strlen(body), now), -EBADMSG);
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), NULL, sig, body,
					       strlen(body), now), -EBADMSG);
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), ts, NULL, body,
					       strlen(body), now), -EBADMSG);
	ck_assert_int_eq(slack_signature_check(NULL, 0, ts, sig, body, strlen(body), now),
			 -EBADMSG);
	/* a timestamp that is not plain digits */
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), "+1700000000", sig, body,
					       strlen(body), now), -EBADMSG);
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), "1700000000 ", sig, body,
					       strlen(body), now), -EBADMSG);
	ck_assert_int_eq(slack_signature_check(secret, strlen(secret), "99999999999999999999", sig,
					       body, strlen(body), now), -EBADMSG);
}
END_TEST

START_TEST(form)
{
	char *v = NULL;
	const char *b = "token=x&payload=%7B%22a%22%3A+1%7D&xpayload=no";

	ck_assert_int_eq(form_value(b, strlen(b), "payload", &v), 0);
	ck_assert_str_eq(v, "{\"a\": 1}");
	free(v);
	ck_assert_int_eq(form_value(b, strlen(b), "pay", &v), -ENOENT);
	ck_assert_int_eq(form_value("payload=%7", 10, "payload", &v), -EINVAL);
	ck_assert_int_eq(form_value("payload=%zz", 11, "payload", &v), -EINVAL);
	ck_assert_int_eq(form_value("payload=a%00b", 13, "payload", &v), -EINVAL);
	ck_assert_int_eq(form_value("payload=a\0b", 11, "payload", &v), -EINVAL);
	/* the length bounds the body, not a NUL */
	ck_assert_int_eq(form_value("payload=abcdef", 10, "payload", &v), 0);
	ck_assert_str_eq(v, "ab");
	free(v);
	ck_assert_int_eq(form_value("payload=", 8, "payload", &v), 0);
	ck_assert_str_eq(v, "");
	free(v);
	ck_assert_int_eq(form_value("", 0, "payload", &v), -ENOENT);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("notify_sig");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, webhook_vector);
	tcase_add_test(tc, slack_valid_and_refused);
	tcase_add_test(tc, form);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
