/* requests.h: the SQL store of requests (request.c owns the lifecycle), and rows -> JSON.
 * Every function takes a checked-out connection and returns 0 or:
 *   -ENOENT    no such request (or not this host's);
 *   -EALREADY  the request is final already (nothing changed);
 *   -EPERM     self-approval refused by the database (recorded);
 *   -EINVAL    a parameter the database refused as malformed;
 *   -EIO       database failure (the handler answers 503).
 * Ids passed in are canonical lower-case uuids (req_resolve gives one). */
#ifndef APPROVALD_REQUESTS_H
#define APPROVALD_REQUESTS_H
#include <json-c/json.h>

#include "code.h"
#include "policy_db.h"
#include "wire.h"

struct db_conn;

/* Insert a request for host_id as pol decided it (code generated here,
 * retried on a collision): pending when a human decides, else approved or
 * denied at once (decided_by "policy", the deny message as the comment),
 * with pol's rule id and version; *out is the answer to the host, with
 * url. When ctx has an
 * idempotency key that this host used before, nothing is inserted: *out
 * is that request as it is now and *again = 1; -EEXIST when that request
 * was for another elevation (another digest). */
int req_create(struct db_conn *db, long long host_id, const struct approve_ctx *ctx,
	       const struct policy_verdict *pol, unsigned long ttl,
	       const char *public_url, struct approve_status **out, int *again);
/* May host_id file one more request that waits for a person? 0 yes;
 * -EBUSY when it filed limit of them within the last window seconds
 * (*retry: seconds until the oldest of those leaves the window); a create
 * repeated with a known idempotency key (NULL: none) is always 0. */
int req_create_limit(struct db_conn *db, long long host_id, const char *idem_key,
		     unsigned long limit, unsigned long window, unsigned long *retry);
/* A human approval that a grace window of grace_s seconds lets ctx
 * (filed by host_id) reuse: the same elevation as sql/013's
 * approval.same_elevation says (requester, target, service, command and
 * its hash, sudo command, cwd), decided within the window, itself not a
 * reuse. 0 with id and *by set,
 * -ENOENT when there is none, -EIO. */
int req_grace_find(struct db_conn *db, long long host_id, const struct approve_ctx *ctx,
		   long grace_s, char id[APPROVE_UUID_LEN + 1], long long *by);
/* Status of one of host_id's requests (expiring it first when its TTL
 * passed), as the wait and cancel answers show it. */
int req_host_status(struct db_conn *db, const char *id, long long host_id,
		    struct approve_status **out);
/* Status of any request as its host would get it (nothing expired here):
 * what a receipt signs (signing.h). */
/* Whether the request (uuid) may be decided from chat (its rule had no
 * chat=no): 1 or 0, -ENOENT, -EIO. */
int req_chat_decisions(struct db_conn *db, const char *id);
int req_status(struct db_conn *db, const char *id, struct approve_status **out);
/* reason: the stored word (approve_cancel_reason_name). */
int req_host_cancel(struct db_conn *db, const char *id, long long host_id,
		    const char *reason);

/* A uuid or a code (any case) -> canonical id. -EINVAL when s is neither
 * form, -ENOENT when unknown. */
int req_resolve(struct db_conn *db, const char *s, char id[APPROVE_UUID_LEN + 1],
		char code[APPROVE_CODE_LEN + 1]);
/* Approve or deny as approver_id (login for the refusal record);
 * comment may be NULL. 1: the approval was counted and the request still
 * needs more (sql/013 N-of-M); -EEXIST: this approver approved it
 * already; -EACCES: not a member of the request's approver groups. */
int req_decide(struct db_conn *db, const char *id, enum approve_state decision,
	       long long approver_id, const char *login, const char *comment);
/* Close the review of break-glass request id as approver_id with comment:
 * 0; -EALREADY closed before; -ENOTSUP not break-glass; -EPERM the
 * requester; -EACCES may not decide; -EINVAL blank comment. */
int req_review(struct db_conn *db, const char *id, long long approver_id,
	       const char *comment);
/* Close the review of the offline break-glass use code_id (sql/020) the
 * same way: 0, -ENOENT (no such use reported), -EALREADY (closed before),
 * -EPERM (the requester), -EACCES (may not decide), -EINVAL, -EIO. */
int req_review_offline(struct db_conn *db, const char *code_id, long long approver_id,
		       const char *comment);
/* The detail object of docs/api.md, "self" judged for approver_id. */
int req_detail(struct db_conn *db, const char *id, long long approver_id,
	       const char *public_url, json_object **out);
/* Orders of GET /v1/requests (sort=newest|oldest|expires). */
enum req_sort { REQ_SORT_NEWEST, REQ_SORT_OLDEST, REQ_SORT_EXPIRES };
/* Filters of GET /v1/requests (docs/api.md); NULL = no bound. */
struct req_filter {
	const char *status;	/* a state word, or "final": any but pending */
	const char *before;	/* created_at < before (paging) */
	const char *from, *to;	/* from <= created_at < to */
	const char *host;	/* enrolled host name or reported hostname */
	const char *requester;	/* requester's unix login */
	const char *approver;	/* login of who decided */
	const char *initiator;	/* human, agent or ci */
	const char *service;	/* PAM service, exactly */
	const char *text;	/* in command or sudo_command, any case */
	enum req_sort sort;
	int group;		/* identical requests as one row, group_count */
	int totals;		/* "total" and "total_requests" in the answer */
};
/* {"requests":[...]} in f->sort's order, limit rows from offset on; with
 * f->group or f->totals also "total" (rows matching: groups when grouped)
 * and "total_requests" (null when offset is past the end). -EINVAL for a
 * time the database refused. */
int req_list(struct db_conn *db, long long approver_id, const struct req_filter *f,
	     unsigned long limit, unsigned long offset, const char *public_url,
	     json_object **out);
/* Expire id if it is pending past its TTL (the sweep does this for all
 * once a second; handlers call it so they never show a stale pending). */
int req_expire_overdue(struct db_conn *db, const char *id);

/* /v1/events: the feed's position now, and up to limit events after
 * "after" as a JSON array (*last = id of the last one, or after). Only
 * events up to the sealed audit chain head are served (events share the
 * audit rows' ids, sql/014_audit_sealer.sql): every id at or below it is
 * final (committed and sealed, or a recorded gap), so once an id is
 * served no lower one can appear, and the feed never guesses. The
 * position is that head. */
int events_max(struct db_conn *db, long long *max);
int events_after(struct db_conn *db, long long after, unsigned limit,
		 json_object **events, long long *last);

#endif
