/* args.h: the module arguments of pam_approve (docs/api.md, "pam_approve
 * module arguments"). Parsing is strict: an unknown, repeated, empty,
 * overlong or malformed argument makes the whole vector invalid, and the
 * caller denies. Nothing here reads the environment. */
#ifndef PAM_APPROVE_ARGS_H
#define PAM_APPROVE_ARGS_H
#include <stddef.h>
#include <sys/types.h>

#define PA_DEFAULT_TOKEN_FILE "/etc/pam_approve/token"
#define PA_DEFAULT_TIMEOUT 300UL
#define PA_TIMEOUT_MAX 86400UL
#define PA_REASON_MIN_MAX 1024UL
#define PA_PATH_MAX 4096	/* ca=, token_file=, keys= */
#define PA_DEFAULT_SERVER_USER "approvald"
#define PA_USER_MAX 32		/* server_user= */

enum pa_failmode {
	PA_FAIL_CLOSED = 0,
	PA_FAIL_OPEN,
};

enum pa_reason_mode {
	PA_REASON_OFF = 0,
	PA_REASON_OPTIONAL,
	PA_REASON_PROMPT,
};

/* The strings point into the argv given to pa_args_parse (PAM keeps the
 * module's argv alive for the whole pam_sm_* call); nothing to free. */
struct pa_args {
	const char *url;		/* validated by approve_url_parse */
	const char *ca;			/* NULL: the client's default bundle */
	const char *token_file;
	const char *keys;		/* pinned approvald public keys (sig.h); NULL:
					 * answers are trusted by their channel only */
	const char *server_user;	/* who, besides root, may serve a unix: url */
	const char *breakglass;		/* offline break-glass code file; NULL: none
					 * (pam_approve/breakglass.c) */
	unsigned long timeout;		/* seconds, 1..86400 */
	enum pa_failmode failmode;
	enum pa_reason_mode reason;
	unsigned long reason_min;	/* 0..1024 characters */
	int debug;
};

/* Fill *out from argc/argv. 0, or -EINVAL with a one-line message in err
 * (the message quotes at most a bounded prefix of the offending argument).
 * On error *out is left with defaults and must not be used. */
int pa_args_parse(int argc, const char **argv, struct pa_args *out,
		  char *err, size_t errlen);

/* The uid of a->server_user (getpwnam_r: this process's NSS, never the
 * environment). 0 and *out; or -ENOENT (no such user) / -errno with *out
 * 0, so that only root is accepted as the server (the caller logs it). */
int pa_args_server_uid(const struct pa_args *a, uid_t *out);

#endif
