/* receipt.c: owns the decoding and checking of a decision receipt (see
 * receipt.h). The receipt is hostile input: a bounded, strict JSON
 * object; every field used is type-checked; the signature is checked
 * before anything else is believed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "receipt.h"
#include "wire.h"

/* A strict JSON object of at most APPROVE_RECEIPT_MAX bytes, nothing after. */
static int
parse(const char *text, size_t len, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *o;

	*out = NULL;
	if (!text || len == 0 || len > APPROVE_RECEIPT_MAX || memchr(text, '\0', len))
		return -EINVAL;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	*out = o;
	return 0;
}

/* A string member (NULL when absent or null); -EINVAL when another type. */
static int
member(struct json_object *o, const char *k, const char **out)
{
	struct json_object *v = NULL;

	*out = NULL;
	if (!json_object_object_get_ex(o, k, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	*out = json_object_get_string(v);
	return 0;
}

int
approve_receipt_check(const char *text, size_t len,
		      const struct approve_sig_keyring *kr, int *retired,
		      char *why, size_t whylen)
{
	struct json_object *o = NULL, *ctxo = NULL;
	struct approve_ctx *ctx = NULL;
	const struct approve_sig_pub *used = NULL;
	struct approve_sig_answer a;
	const char *kind, *kid, *sig;
	char dg[APPROVE_HASH_HEX_LEN + 1], err[256];
	int r = -EINVAL;

	*retired = 0;
	if (parse(text, len, &o) != 0) {
		snprintf(why, whylen, "not a JSON object");
		goto out;
	}
	memset(&a, 0, sizeof(a));
	if (member(o, "receipt", &kind) < 0 || member(o, "id", &a.id) < 0 ||
	    member(o, "digest", &a.digest) < 0 || member(o, "status", &a.status) < 0 ||
	    member(o, "decided_by", &a.decided_by) < 0 ||
	    member(o, "decided_at", &a.decided_at) < 0 ||
	    member(o, "nonce", &a.nonce) < 0 ||
	    member(o, "expires_at", &a.expires_at) < 0 ||
	    member(o, "key_id", &kid) < 0 || member(o, "signature", &sig) < 0 ||
	    !kind || strcmp(kind, "approve-receipt-v1") != 0 || !a.id ||
	    !approve_uuid_valid(a.id) || !a.digest || !a.status ||
	    approve_state_parse(a.status) == APPROVE_STATE_INVALID || !kid || !sig) {
		snprintf(why, whylen, "not an approve-receipt-v1 (fields missing or "
			 "of the wrong type)");
		goto out;
	}
	r = approve_sig_verify_answer(kr, &a, kid, sig, 1, &used);
	if (r == -ENOKEY) {
		snprintf(why, whylen, "signed by key %.16s, which is not in the key "
			 "file", kid);
		goto out;
	}
	if (r < 0) {
		snprintf(why, whylen, "the signature does not match the receipt's "
			 "fields (altered, or not approvald's)");
		r = -EBADMSG;
		goto out;
	}
	*retired = used->retired;
	if (json_object_object_get_ex(o, "context", &ctxo) && ctxo) {
		const char *ct = json_object_to_json_string_ext(ctxo, JSON_C_TO_STRING_PLAIN);

		r = -EILSEQ;
		if (!ct || approve_ctx_from_json(ct, strlen(ct), &ctx, err, sizeof(err)) < 0) {
			snprintf(why, whylen, "the context is malformed: %s", err);
			goto out;
		}
		if (approve_ctx_digest(ctx, dg) < 0 || strcmp(dg, a.digest) != 0) {
			snprintf(why, whylen, "the context does not give the signed "
				 "digest (the command or user was altered)");
			goto out;
		}
	}
	r = 0;
out:
	approve_ctx_free(ctx);
	json_object_put(o);
	return r;
}

