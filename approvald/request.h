/* request.h: the one owner of a request's lifecycle: create (the policy
 * decides: pending, allowed or denied), status for the wait, cancel,
 * decide, expire. Each step takes a pooled connection itself, does the
 * logging and the metrics once, and returns a typed result that the
 * routes only translate into HTTP. The SQL is requests.c's; the matching
 * is policy.c's. */
#ifndef APPROVALD_REQUEST_H
#define APPROVALD_REQUEST_H
#include <json-c/json.h>

#include "identity.h"
#include "wire.h"

struct app;

enum request_result {
	REQUEST_OK = 0,
	REQUEST_REPEATED,	/* create: this idempotency key was used; *out is that request */
	REQUEST_BAD,		/* malformed id or parameter */
	REQUEST_NOT_FOUND,	/* unknown, or another host's */
	REQUEST_FINAL,		/* already approved, denied, expired or cancelled */
	REQUEST_SELF,		/* the requester may not decide their own request */
	REQUEST_KEY_REUSED,	/* create: the idempotency key names another elevation */
	REQUEST_UNMET,		/* create: the rule needs a reason the request lacks;
				 * nothing was filed; *why says what */
	REQUEST_UNMET_TICKET,	/* the same for a ticket */
	REQUEST_RATE_LIMITED,	/* create: the host's host_create_limit is used up */
	REQUEST_COUNTED,	/* decide: the approval counts, more are needed (N-of-M) */
	REQUEST_ALREADY_APPROVED,	/* decide: this approver approved it before */
	REQUEST_NOT_IN_GROUP,	/* decide: not a member of the request's approver groups */
	REQUEST_NOT_BREAKGLASS,	/* review: the request was not let in by break-glass */
	REQUEST_REVIEWED,	/* review: closed before */
	REQUEST_FORBIDDEN,	/* review: the database says this approver may not */
	REQUEST_DB_DOWN,	/* no connection, or the database failed */
	REQUEST_FAILED,		/* anything else (memory, encoding) */
};

/* File ctx for the host who (its enrolled name and id), as the policy
 * decides; *out is the answer to the host (with url). UNMET: *why
 * (malloc'd) is the sentence for the requester. RATE_LIMITED: *retry is
 * the seconds until the host may file one more that waits for a person. */
enum request_result request_create(struct app *app, const struct identity *who,
				   const struct approve_ctx *ctx,
				   struct approve_status **out, char **why,
				   unsigned long *retry);
/* The status of one of host_id's requests (expired first when its TTL
 * passed), for the wait. */
enum request_result request_status(struct app *app, const char *id, long long host_id,
				   struct approve_status **out);
/* The host gave up, for reason (the stored word, approve_cancel_reason_name).
 * OK and *out (cancelled), or FINAL and *out (its state now), NOT_FOUND,
 * DB_DOWN. */
enum request_result request_cancel(struct app *app, const char *id,
				   const struct identity *who, const char *reason,
				   struct approve_status **out);
/* Approve or deny the request named by ref (uuid or code) as approver
 * who; comment may be NULL. On OK and COUNTED *detail is the request as
 * the approver now sees it (req_detail, with its "quorum"). */
enum request_result request_decide(struct app *app, const char *ref,
				   enum approve_state decision,
				   const struct identity *who, const char *comment,
				   json_object **detail);
/* Close the break-glass review of the request named by ref as approver
 * who with comment (required). OK: *detail is the request now. BAD
 * (blank comment), SELF (the requester), FORBIDDEN, NOT_BREAKGLASS,
 * REVIEWED, NOT_FOUND, DB_DOWN. */
enum request_result request_review(struct app *app, const char *ref,
				   const struct identity *who, const char *comment,
				   json_object **detail);
/* Close the review of the offline break-glass use code_id (a well-formed
 * BG- id) as approver who with comment (required). OK: *item (malloc'd)
 * is its item of GET /v1/breakglass now. BAD (blank comment), NOT_FOUND
 * (no use of that code reported), REVIEWED, SELF (the requester),
 * FORBIDDEN, DB_DOWN, FAILED. */
enum request_result request_review_offline(struct app *app, const char *code_id,
					   const struct identity *who, const char *comment,
					   char **item);
/* The detail of the request named by ref, for approver_id. */
enum request_result request_show(struct app *app, const char *ref, long long approver_id,
				 json_object **detail);

#endif
