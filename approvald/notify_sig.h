/* notify_sig.h: the signatures of notifications, pure (unit-tested with
 * forged, stale and malformed input, tests/unit/test_notify_sig.c):
 * the X-Approve-Signature we send, the X-Slack-Signature we check, and
 * the form field Slack's payload arrives in. */
#ifndef APPROVALD_NOTIFY_SIG_H
#define APPROVALD_NOTIFY_SIG_H
#include <stddef.h>
#include <time.h>

#define SLACK_MAX_SKEW_S 300	/* a Slack request older or newer than this is refused */

/* HMAC-SHA256(key, a || b) as 64 lowercase hex + NUL. 0 or -EIO. */
int notify_hmac_hex(const char *key, size_t klen, const char *a, size_t alen,
		    const char *b, size_t blen, char hex[65]);
/* The v1= of X-Approve-Signature: HMAC-SHA256(secret, "TIMESTAMP.BODY"). */
int notify_webhook_sign(const char *secret, size_t secret_len, long long ts,
			const char *body, size_t len, char hex[65]);

/* Slack's v0 scheme: sig must be "v0=" + hex HMAC-SHA256(secret,
 * "v0:" ts ":" body), compared in constant time, and ts (decimal seconds)
 * within SLACK_MAX_SKEW_S of now. Starts at refused: 0 only when both
 * hold; -ETIME for a stale or future timestamp, -EBADMSG otherwise
 * (missing or malformed header, wrong signature). */
int slack_signature_check(const char *secret, size_t secret_len, const char *ts,
			  const char *sig, const char *body, size_t len, time_t now);

/* The value of field key in an application/x-www-form-urlencoded body,
 * decoded ('+' is a blank, %XX a byte); malloc'd into *out. Refuses a
 * malformed escape or a decoded NUL. 0, -ENOENT, -EINVAL or -ENOMEM. */
int form_value(const char *body, size_t len, const char *key, char **out);

#endif
