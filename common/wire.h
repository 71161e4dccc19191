/* wire.h: the JSON wire types shared by pam_approve, approvald and
 * approvalctl (json-c). See docs/api.md for the protocol.
 *
 * Parsing of client-to-server bodies (request context, decision) is strict:
 * a JSON object is required, required fields must be present with the right
 * type, unknown fields are rejected, strings must be valid UTF-8 without NUL
 * (\u0000) and within the length limits below. Parsing of server-to-client
 * bodies (status) checks types and bounds of the fields it uses and ignores
 * fields it does not know (forward compatibility). Any violation: -EINVAL
 * and a one-line message in err; nothing is half-filled. */
#ifndef APPROVE_WIRE_H
#define APPROVE_WIRE_H
#include <stddef.h>
#include "code.h"
#include "secret.h"
#include "sig.h"
#include "text.h"	/* approve_utf8_valid, approve_sanitize_display */

#define APPROVE_BODY_MAX (64 * 1024)	/* any request body */
#define APPROVE_RESPONSE_MAX (1024 * 1024)	/* any response body the client reads */

/* Field length limits in bytes (UTF-8). */
#define APPROVE_LEN_NAME 256		/* service, user, target_user, tty, rhost, hostname */
#define APPROVE_LEN_COMMAND 8192	/* command, sudo_command */
#define APPROVE_LEN_CWD 4096
#define APPROVE_LEN_REASON 1024
#define APPROVE_LEN_TICKET 256
#define APPROVE_LEN_GROUPS 8192	/* the requester's unix groups, "a,b,c" */
#define APPROVE_LEN_COMMENT 2048
#define APPROVE_LEN_URL 2048
/* A long poll (GET /v1/requests/ID/wait, GET /v1/events) waits
 * ?timeout=S seconds: 0..APPROVE_POLL_MAX_S, APPROVE_POLL_DEFAULT_S when the
 * client names none. Our clients ask for APPROVE_POLL_DEFAULT_S, which stays
 * under the 30 s idle timeout common in proxies. */
#define APPROVE_POLL_MAX_S 60
#define APPROVE_POLL_DEFAULT_S 25
#define APPROVE_STR_(x) #x
#define APPROVE_STR(x) APPROVE_STR_(x)
#define APPROVE_POLL_TIMEOUT_ERR "timeout must be an integer 0.." APPROVE_STR(APPROVE_POLL_MAX_S)
#define APPROVE_LEN_PROMPT 2048		/* prompt (reported by an agent) */
#define APPROVE_LEN_EXE 1024		/* ancestry: /proc/PID/exe */
#define APPROVE_LEN_ARGV 256		/* ancestry: first argv words */
#define APPROVE_LEN_NOTE 1024		/* observed_note */
#define APPROVE_ANCESTRY_MAX 16		/* ancestors reported */
/* requester_timeout: the seconds the module waits at most (its timeout=) */
#define APPROVE_REQUESTER_TIMEOUT_MAX 86400
/* idempotency_key: [A-Za-z0-9_-], this many bytes */
#define APPROVE_IDEM_KEY_MIN 16
#define APPROVE_IDEM_KEY_MAX 64

enum approve_state {
	APPROVE_STATE_INVALID = -1,
	APPROVE_PENDING = 0,
	APPROVE_APPROVED,
	APPROVE_DENIED,
	APPROVE_EXPIRED,
	APPROVE_CANCELLED,
};
/* "pending", "approved", ... ; NULL for an invalid state. */
const char *approve_state_name(enum approve_state s);
/* APPROVE_STATE_INVALID for anything that is not exactly one of the words. */
enum approve_state approve_state_parse(const char *s);

/* Initiator kinds of a request (sql/010_initiator.sql, docs/agents.md):
 * 1 when s is exactly one of APPROVE_INITIATOR_WORDS, else 0. */
#define APPROVE_INITIATOR_WORDS "human, agent or ci"
int approve_initiator_valid(const char *s);

/* What a command text (command, sudo_command) stands for: the display
 * text is cut at APPROVE_LEN_COMMAND bytes, so the module also reports
 * the full command's length and sha256, and how many of its bytes the
 * text shows. On the wire: <field>_length, <field>_shown (integers,
 * shown <= length), <field>_truncated (boolean: shown < length) and
 * <field>_sha256 (64 lowercase hex over the full bytes), all four or none,
 * and only beside the text field. For command the bytes are the argument
 * vector with each argument's NUL (/proc/self/cmdline); for sudo_command
 * the string. */
struct approve_cmd_full {
	long long length;
	long long shown;
	int truncated;
	char sha256[APPROVE_HASH_HEX_LEN + 1];	/* "": not reported */
};
#define APPROVE_CMD_LENGTH_MAX (1LL << 40)

/* One observed ancestor of the elevating process, from /proc as root:
 * pid, readlink(/proc/PID/exe) and the first words of /proc/PID/cmdline
 * (NULL when unreadable: hidepid, an exited process). */
struct approve_proc {
	long long pid;
	char *exe;
	char *argv;
};

/* What the module reports about an elevation (POST /v1/requests).
 * Required: service, user, uid (>= 0), target_user, command, hostname.
 * Optional (NULL when absent): sudo_command, tty, rhost, cwd, reason, ticket,
 * idempotency_key (random per elevation, chosen by the module: a create
 * repeated with the same key answers the request the first one made; not
 * part of the digest); command_full / sudo_command_full (sha256 "" when
 * absent).
 * Reported by the requester (untrusted text from the environment, shown
 * labelled "reported by the requester"): agent, run_url, commit, prompt.
 * Observed by the module (facts the requester cannot choose, labelled
 * "observed"): ancestry (the elevating process first, then its parents,
 * up to APPROVE_ANCESTRY_MAX),
 * loginuid and audit_session (/proc/self/loginuid, sessionid; has_* 0 when
 * not read), tty_attached (has_tty_attached 0 when not reported), and
 * observed_note: what could not be observed, and why; groups: the unix
 * groups of the kernel uid's account (getgrouplist, names joined by ',';
 * never from the environment), for policy group= rules; not part of the
 * digest. */
struct approve_ctx {
	char *service;
	char *user;
	long long uid;
	char *target_user;
	char *command;
	char *sudo_command;
	char *tty;
	char *rhost;
	char *cwd;
	char *hostname;
	char *reason;
	char *ticket;
	char *idempotency_key;
	char *nonce;	/* the module's fresh random per request; the server
			 * signs it into the final answer (sig.h); not part of
			 * the digest; NULL when absent */
	struct approve_cmd_full command_full;
	struct approve_cmd_full sudo_command_full;
	char *agent;
	char *run_url;
	char *commit;
	char *prompt;
	char *observed_note;
	char *groups;
	struct approve_proc *ancestry;	/* n_ancestry entries, malloc'd */
	size_t n_ancestry;
	long long loginuid;
	long long audit_session;
	int has_loginuid;
	int has_audit_session;
	int has_tty_attached;
	int tty_attached;
	/* How long the module waits at most, in seconds from its create
	 * (1..APPROVE_REQUESTER_TIMEOUT_MAX; 0: not reported, an older
	 * module). approvald lets the request expire at the earlier of this
	 * and its request_ttl. Not part of the digest. */
	long long requester_timeout;
};
void approve_ctx_free(struct approve_ctx *c);
/* Validates like the parser (so the module never sends what the server
 * would refuse) and encodes; *out is malloc'd JSON. 0, -EINVAL, -ENOMEM. */
int approve_ctx_to_json(const struct approve_ctx *c, char **out,
			char *err, size_t errlen);
int approve_ctx_from_json(const char *json, size_t len, struct approve_ctx **out,
			  char *err, size_t errlen);
/* The ancestry as a JSON array text ([{"pid":..,"exe":..,"argv":..}]),
 * *out NULL when there is none. 0 or -ENOMEM. */
int approve_ctx_ancestry_json(const struct approve_ctx *c, char **out);

/* Digest binding a decision to exactly this elevation: sha256 hex over
 * "approve-v2" and the fields hostname, uid (decimal), user, target_user,
 * service, command, command_sha256, command_length (decimal),
 * sudo_command, sudo_command_sha256, sudo_command_length, cwd, tty, each
 * as <decimal length>:<bytes> (absent = "-"), so it binds the whole
 * command, not only the text shown. A context without command_full (an
 * older module) gets the "approve-v1" digest over hostname, uid, user,
 * target_user, service, command, sudo_command, cwd, tty. A context with
 * any reported (agent, run_url, commit, prompt) or observed field gets
 * "approve-v3": the v2 fields (command_full absent as "-" "-"), then
 * agent, run_url, commit, prompt, the number of ancestors and for each
 * pid, exe, argv, then loginuid, audit_session, tty_attached ("1"/"0")
 * and observed_note, absent ones as "-". Server and module compute it
 * independently. 0 or -EIO. */
int approve_ctx_digest(const struct approve_ctx *c,
		       char out[APPROVE_HASH_HEX_LEN + 1]);

/* The server's answer to create, wait and cancel (and the summary of a
 * request in approver listings).
 * Required in JSON: id (uuid), status (state word). Optional: code, url,
 * digest, comment (decision comment), decided_by, expires_at (ISO 8601 text),
 * decided_at, nonce, signature, key_id (a signed final answer, sig.h),
 * approvals (display text, not signed). */
struct approve_status {
	char id[APPROVE_UUID_LEN + 1];
	char code[APPROVE_CODE_LEN + 1];	/* "" when absent */
	enum approve_state state;
	char digest[APPROVE_HASH_HEX_LEN + 1];	/* "" when absent */
	char *url;		/* NULL when absent; <= APPROVE_LEN_URL */
	char *comment;		/* NULL when absent; <= APPROVE_LEN_COMMENT */
	char *decided_by;	/* NULL when absent; <= APPROVE_LEN_NAME */
	char *expires_at;	/* NULL when absent; <= 64 */
	/* signed answers (sig.h): all NULL when absent */
	char *decided_at;	/* <= 64 */
	char *nonce;		/* the create's nonce, echoed */
	char *signature;	/* base64, APPROVE_SIG_B64_LEN */
	char *key_id;		/* APPROVE_SIG_KEY_ID_LEN hex */
	/* pending N-of-M: "1 of 2" approvals given, or NULL; <= APPROVE_LEN_APPROVALS */
	char *approvals;
	/* pending: the sink kinds approvers were told through, "slack,teams"
	 * (lowercase words [a-z0-9_] joined by ','), or NULL; not signed */
	char *notified;
};
#define APPROVE_LEN_APPROVALS 16
#define APPROVE_LEN_NOTIFIED 128
void approve_status_free(struct approve_status *s);
int approve_status_to_json(const struct approve_status *s, char **out);
int approve_status_from_json(const char *json, size_t len,
			     struct approve_status **out, char *err, size_t errlen);

/* Approve/deny body: optional {"comment": "..."}; an empty body (len 0) is
 * allowed and means no comment. *comment is NULL or malloc'd. */
int approve_decision_to_json(const char *comment, char **out);
int approve_decision_from_json(const char *json, size_t len, char **comment,
			       char *err, size_t errlen);

/* The 422 answers to a create that a rule refused for a missing reason
 * or ticket (nothing filed; detail is the sentence for the requester). */
#define APPROVE_ERR_REASON_REQUIRED "reason_required"
#define APPROVE_ERR_TICKET_REQUIRED "ticket_required"

/* Error body {"error": "...", "detail": "..."} (detail optional). */
int approve_error_to_json(const char *error, const char *detail, char **out);
/* *error / *detail malloc'd (detail may be NULL). */
int approve_error_from_json(const char *json, size_t len, char **error,
			    char **detail);

/* The "retry_after" of an error body (a 429: rate limit, sign-in delay),
 * seconds 1..APPROVE_REQUESTER_TIMEOUT_MAX. 0, or -EINVAL when absent or
 * out of range. */
int approve_error_retry_after(const char *json, size_t len, long *secs);

/* Empty body or {}. 0 or -EINVAL (err says why). */
int approve_empty_from_json(const char *json, size_t len, char *err, size_t errlen);

/* Why the module cancels: the body of POST /v1/requests/ID/cancel,
 * {"reason": "interrupted"} (a signal: Ctrl-C) or {"reason": "timeout"}
 * (its own deadline passed); an empty body or {} (an older module) gives
 * no reason. */
enum approve_cancel_reason {
	APPROVE_CANCEL_UNSPECIFIED = 0,
	APPROVE_CANCEL_INTERRUPTED,
	APPROVE_CANCEL_TIMEOUT,
};
/* "interrupted", "timeout", "unspecified" (as the server stores them);
 * NULL for anything else. */
const char *approve_cancel_reason_name(enum approve_cancel_reason r);
/* *out malloc'd JSON ({} for UNSPECIFIED). 0, -EINVAL or -ENOMEM. */
int approve_cancel_to_json(enum approve_cancel_reason r, char **out);
/* Strict: only "reason", only the two words. 0 or -EINVAL (err). */
int approve_cancel_from_json(const char *json, size_t len,
			     enum approve_cancel_reason *r, char *err, size_t errlen);

/* ---- the one strict reader and the one checked writer ----
 * For bodies whose type lives in one program only (approvald's sign-in).
 * approve_json_read_object: json[0..len) is exactly one JSON object within
 * max bytes (blanks around it allowed), with no NUL byte, valid UTF-8, no
 * \u0000, raw control character or lone surrogate escape in a string, no
 * duplicate field, and, when known is not NULL, no field outside that
 * NULL-terminated list. *out: the object (json_object_put() it).
 * 0, -EINVAL (err says why) or -ENOMEM. */
struct json_object;
int approve_json_read_object(const char *json, size_t len, size_t max,
			     const char *const *known, struct json_object **out,
			     char *err, size_t errlen);
/* A string field of such an object into *dst (malloc'd; NULL when absent
 * or null and not required): a string without NUL, valid UTF-8, at most
 * max bytes, non-empty when nonempty. 0, -EINVAL (err) or -ENOMEM. */
int approve_json_get_str(struct json_object *o, const char *key, size_t max,
			 int required, int nonempty, char **dst, char *err, size_t errlen);
/* Add v under key (v taken, also on failure; NULL is JSON null); an o that
 * is NULL fails. 0 or -ENOMEM. */
int approve_json_add(struct json_object *o, const char *key, struct json_object *v);
/* The same for a string (s NULL: JSON null). */
int approve_json_add_str(struct json_object *o, const char *key, const char *s);
/* Append v to the array a (v taken, also on failure; v NULL fails). 0 or
 * -ENOMEM. */
int approve_json_push(struct json_object *a, struct json_object *v);

#endif
