/* bgcode.c: owns the module's side of offline break-glass codes: the
 * prompt, the check of the code against the host's file, its consumption,
 * and the later report of the use to approvald.
 *
 * This is a way in without an approver, so it starts at "no" and one line
 * says yes, after all of:
 *  - the caller proved approvald absent (failopen.c; never a timeout);
 *  - the file passes common/breakglass.c's checks (root-owned regular
 *    file, no group/other bits, one link, proven directories, no symlink)
 *    and parses completely;
 *  - the code was checked while holding the file's lock, in a copy read
 *    under that lock (a code read earlier by anyone proves nothing), and
 *    no failure delay is running;
 *  - the entry, marked used with who, as whom, what and when, is on disk
 *    (new file fsync'd, renamed, directory fsync'd) before success is
 *    returned. If any of it fails the requester is denied.
 * Wrong codes count in the file (approve_bg_delay_left): 3 tries a call,
 * then a growing delay between tries across calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/crypto.h>
#include <security/pam_ext.h>

#include "bgcode.h"
#include "clock.h"
#include "breakglass.h"
#include "conv.h"
#include "text.h"

#define BG_LOCK_MS 5000ULL	/* waiting for another user of the file */
#define BG_REPORT_MS 3000ULL	/* one report POST */
#define BG_SHOW_MAX 200

static long long
now_s(void)
{
	return (long long)time(NULL);
}

static int
count_unused(const struct approve_bg_file *f)
{
	size_t i;
	int n = 0;

	for (i = 0; i < f->n; i++)
		n += !f->e[i].used;
	return n;
}

/* A field of the record: the text as approvers would be shown it
 * (common/text.c: valid UTF-8, no control or hostile code points), cut to
 * max bytes. The digest keeps the exact elevation. 0 or -ENOMEM. */
static int
record_text(char **field, const char *v, size_t max)
{
	char *s = approve_sanitize_display(v ? v : "", v ? strlen(v) : 0, max);

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

/* The use, recorded in entry e. 0 or -ENOMEM. */
static int
record_use(struct approve_bg_entry *e, const struct approve_ctx *ctx,
	   const char *digest)
{
	if (record_text(&e->user, ctx->user, APPROVE_BG_TEXT_MAX) != 0 ||
	    record_text(&e->target, ctx->target_user, APPROVE_BG_TEXT_MAX) != 0 ||
	    record_text(&e->service, ctx->service, APPROVE_BG_TEXT_MAX) != 0 ||
	    record_text(&e->command, ctx->command, APPROVE_BG_COMMAND_MAX) != 0)
		return -ENOMEM;
	memcpy(e->digest, digest, APPROVE_HASH_HEX_LEN + 1);
	e->used_at = now_s();
	e->reported = 0;
	e->used = 1;
	return 0;
}

enum try_result { TRY_IN, TRY_WRONG, TRY_STOP };

/* One typed answer against the file, under its lock. */
static enum try_result
try_code(pam_handle_t *pamh, const struct pa_args *a, const struct approve_ctx *ctx,
	 const char *digest, const char *typed, char *id_out)
{
	struct approve_bg_handle h;
	struct approve_bg_file *f = NULL;
	char norm[APPROVE_BG_CODE_CHARS + 1], err[512];
	enum try_result res = TRY_STOP;
	long long left, now;
	int idx = -ENOENT, r;

	/* a malformed answer is checked like a wrong one: it counts */
	if (approve_bg_normalize(typed, strlen(typed), norm) != 0)
		norm[0] = '\0';
	r = approve_bg_open(a->breakglass, 0, approve_now_ms() + BG_LOCK_MS, &h, err,
			    sizeof(err));
	if (r != 0) {
		pam_syslog(pamh, LOG_ERR, "break-glass file refused, denying: %s", err);
		goto out;
	}
	r = approve_bg_read(&h, &f, err, sizeof(err));
	if (r != 0) {
		pam_syslog(pamh, LOG_ERR, "break-glass file %s refused, denying: %s",
			   a->breakglass, err);
		goto out;
	}
	now = now_s();
	left = approve_bg_delay_left(f, now);
	if (left > 0) {
		pam_syslog(pamh, LOG_WARNING, "break-glass for %s: %lu wrong codes in a "
			   "row, next try in %lld s; not checked", ctx->user,
			   f->failures, left);
		pa_conv_sayf(pamh, PAM_ERROR_MSG, a->debug, "Too many wrong break-glass "
			     "codes; try again in %lld s.", left);
		goto out;
	}
	if (norm[0]) {
		idx = approve_bg_match(f, norm);
		if (idx == -EIO) {
			pam_syslog(pamh, LOG_ERR, "break-glass: cannot hash, denying");
			goto out;
		}
	}
	if (idx >= 0 && !f->e[idx].used) {
		if (record_use(&f->e[idx], ctx, digest) != 0) {
			pam_syslog(pamh, LOG_ERR, "break-glass: out of memory, denying");
			goto out;
		}
		f->failures = 0;
		f->last_failure = 0;
		r = approve_bg_write(&h, f, err, sizeof(err));
		if (r != 0) {
			/* not consumed on disk: not granted */
			pam_syslog(pamh, LOG_ERR, "break-glass code %s matched but could "
				   "not be consumed, denying: %s", f->e[idx].id, err);
			goto out;
		}
		memcpy(id_out, f->e[idx].id, APPROVE_BG_ID_LEN + 1);
		res = TRY_IN;	/* consumed durably: the one way in */
		goto out;
	}
	if (idx >= 0)
		pam_syslog(pamh, LOG_WARNING, "break-glass for %s as %s (%s): code %s "
			   "was used already, refused", ctx->user, ctx->target_user,
			   ctx->service, f->e[idx].id);
	else
		pam_syslog(pamh, LOG_WARNING, "break-glass for %s as %s (%s): wrong "
			   "code", ctx->user, ctx->target_user, ctx->service);
	f->failures++;
	f->last_failure = now;
	r = approve_bg_write(&h, f, err, sizeof(err));
	if (r != 0) {
		pam_syslog(pamh, LOG_ERR, "break-glass: cannot count the failure, "
			   "denying: %s", err);
		goto out;
	}
	pa_conv_say(pamh, PAM_ERROR_MSG, a->debug, idx >= 0 ?
		    "That break-glass code was used already." :
		    "Wrong break-glass code.");
	res = TRY_WRONG;
out:
	OPENSSL_cleanse(norm, sizeof(norm));
	approve_bg_file_free(f);
	approve_bg_close(&h);
	return res;
}

int
pa_breakglass_offer(pam_handle_t *pamh, const struct pa_args *a,
		    const struct approve_ctx *ctx, const char *digest,
		    uint64_t deadline_ms)
{
	struct approve_bg_handle h;
	struct approve_bg_file *f = NULL;
	char err[512], id[APPROVE_BG_ID_LEN + 1] = "";
	int in = 0, tries, r;

	if (!a->breakglass)
		return 0;
	/* a first look without the lock, only to decide whether to ask:
	 * what counts is read again under the lock (try_code) */
	r = approve_bg_open(a->breakglass, 0, 0, &h, err, sizeof(err));
	if (r == 0)
		r = approve_bg_read(&h, &f, err, sizeof(err));
	approve_bg_close(&h);
	if (r != 0) {
		pam_syslog(pamh, LOG_ERR, "break-glass file refused, not offered: %s", err);
		goto out;
	}
	if (count_unused(f) == 0) {
		pam_syslog(pamh, LOG_NOTICE, "break-glass not offered: no unused code in %s",
			   a->breakglass);
		goto out;
	}
	pa_conv_say(pamh, PAM_ERROR_MSG, a->debug,
		    "Approval service unreachable. A one-time break-glass code lets "
		    "this one elevation in without approval; its use is logged and "
		    "reported.");
	for (tries = 0; tries < PA_BG_TRIES && !in; tries++) {
		enum try_result t;
		char *typed = NULL;

		if (pa_conv_ask_hidden(pamh, "Break-glass code (empty: give up): ",
				       &typed) != 0)
			break;
		if (!typed[0]) {
			free(typed);
			break;
		}
		if (approve_now_ms() >= deadline_ms) {
			OPENSSL_cleanse(typed, strlen(typed));
			free(typed);
			pam_syslog(pamh, LOG_NOTICE, "break-glass for %s: the code came "
				   "after the deadline (%lu s); not checked", ctx->user,
				   a->timeout);
			pa_conv_say(pamh, PAM_ERROR_MSG, a->debug,
				    "Too late for a break-glass code; access denied.");
			break;
		}
		t = try_code(pamh, a, ctx, digest, typed, id);
		OPENSSL_cleanse(typed, strlen(typed));
		free(typed);
		if (t == TRY_IN)
			in = 1;
		else if (t == TRY_STOP)
			break;
	}
	if (!in)
		goto out;
	pam_syslog(pamh, LOG_CRIT, "BREAK-GLASS: %s as %s (%s): ALLOWED WITHOUT "
		   "APPROVAL by offline code %s, approvald unreachable; the use is "
		   "recorded in %s and will be reported", ctx->user, ctx->target_user,
		   ctx->service, id, a->breakglass);
	pa_conv_sayf(pamh, PAM_ERROR_MSG, a->debug, "WARNING: break-glass code %s "
		     "accepted; allowed without approval. This use is recorded and "
		     "reported to the approvers.", id);
out:
	approve_bg_file_free(f);
	return in;
}

/* ---- the report --------------------------------------------------------- */

struct pending_use {
	char id[APPROVE_BG_ID_LEN + 1];
	char *json;
	int taken;
};

static int
collect(pam_handle_t *pamh, const struct pa_args *a, struct pending_use *p,
	size_t *n)
{
	struct approve_bg_handle h;
	struct approve_bg_file *f = NULL;
	char err[512];
	size_t i;
	int r;

	*n = 0;
	r = approve_bg_open(a->breakglass, 0, approve_now_ms() + BG_LOCK_MS, &h, err,
			    sizeof(err));
	if (r == 0)
		r = approve_bg_read(&h, &f, err, sizeof(err));
	approve_bg_close(&h);
	if (r != 0) {
		if (r != -ENOENT || a->debug)
			pam_syslog(pamh, r == -ENOENT ? LOG_DEBUG : LOG_ERR,
				   "break-glass file: %s", err);
		return r;
	}
	for (i = 0; i < f->n; i++) {
		if (!f->e[i].used || f->e[i].reported)
			continue;
		if (approve_bg_use_to_json(&f->e[i], &p[*n].json) != 0)
			continue;
		memcpy(p[*n].id, f->e[i].id, APPROVE_BG_ID_LEN + 1);
		p[*n].taken = 0;
		(*n)++;
	}
	approve_bg_file_free(f);
	return 0;
}

static void
mark_reported(pam_handle_t *pamh, const struct pa_args *a,
	      const struct pending_use *p, size_t n)
{
	struct approve_bg_handle h;
	struct approve_bg_file *f = NULL;
	char err[512];
	size_t i, k;
	int r, changed = 0;

	r = approve_bg_open(a->breakglass, 0, approve_now_ms() + BG_LOCK_MS, &h, err,
			    sizeof(err));
	if (r == 0)
		r = approve_bg_read(&h, &f, err, sizeof(err));
	if (r == 0) {
		for (i = 0; i < f->n; i++)
			for (k = 0; k < n; k++)
				if (p[k].taken && f->e[i].used && !f->e[i].reported &&
				    strcmp(f->e[i].id, p[k].id) == 0) {
					f->e[i].reported = 1;
					changed = 1;
				}
		if (changed)
			r = approve_bg_write(&h, f, err, sizeof(err));
	}
	if (r != 0)
		pam_syslog(pamh, LOG_WARNING, "break-glass: cannot mark uses reported "
			   "(approvald has them; they are sent again): %s", err);
	approve_bg_file_free(f);
	approve_bg_close(&h);
}

void
pa_breakglass_report(pam_handle_t *pamh, const struct pa_args *a,
		     const struct approve_http_opts *http)
{
	struct pending_use p[APPROVE_BG_ENTRIES_MAX];
	size_t n = 0, i, taken = 0;

	if (!a->breakglass || collect(pamh, a, p, &n) != 0 || n == 0)
		return;
	for (i = 0; i < n; i++) {
		struct approve_http_response *resp = NULL;
		char err[256];
		int r;

		r = approve_http_request(http, "POST", "/v1/breakglass/uses", p[i].json,
					 strlen(p[i].json), approve_now_ms() + BG_REPORT_MS,
					 &resp, err, sizeof(err));
		if (r == 0 && (resp->status == 200 || resp->status == 201)) {
			p[i].taken = 1;
			taken++;
			pam_syslog(pamh, LOG_NOTICE, "break-glass use of %s reported to "
				   "approvald", p[i].id);
		} else if (r == 0) {
			pam_syslog(pamh, LOG_WARNING, "break-glass use of %s: approvald "
				   "answered HTTP %d; kept for the next report", p[i].id,
				   resp->status);
		} else {
			pam_syslog(pamh, LOG_WARNING, "break-glass use of %s: report "
				   "failed (%s); kept for the next report", p[i].id, err);
		}
		approve_http_response_free(resp);
	}
	if (taken)
		mark_reported(pamh, a, p, n);
	for (i = 0; i < n; i++)
		free(p[i].json);
}
