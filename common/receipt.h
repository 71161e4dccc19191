/* receipt.h: a decision receipt ("approve-receipt-v1", the JSON that
 * `approvalctl receipt show` prints): approvald's signature (sig.h) over
 * id, digest, status, decided_by, decided_at, nonce, expires_at, with
 * key_id, signature and optionally the request's context (the create
 * body's fields), from which the digest is recomputed. */
#ifndef APPROVE_RECEIPT_H
#define APPROVE_RECEIPT_H
#include <stddef.h>
#include "sig.h"

#define APPROVE_RECEIPT_MAX (256 * 1024)

/* 0: valid (*retired set when signed by a retired key: history);
 * -EINVAL: not a receipt; -ENOKEY: key not in kr; -EBADMSG: signature
 * refused; -EILSEQ: the context does not give the signed digest.
 * why says what (one line). */
int approve_receipt_check(const char *text, size_t len,
			  const struct approve_sig_keyring *kr, int *retired,
			  char *why, size_t whylen);

#endif
