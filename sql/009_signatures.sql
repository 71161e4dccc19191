-- 009_signatures.sql: signed answers, receipts and signed chain
-- checkpoints (common/sig.h).
--
-- 1. requests.nonce: the module's fresh random value per request, sent
--    with its create and signed into the final answer, so a signature
--    made for one request cannot answer another. Never changes.
-- 2. signing_keys: the public half of every approvald signing key (the
--    private key is never here), with its id (sha256 prefix) and, once
--    retired, when. approvald registers its key at start and refuses to
--    sign with a retired one; `approvalctl key list|retire`.
-- 3. receipts: the signature approvald made over a decision (the fields
--    as signed, texts exactly as signed), one per request, append-only.
-- 4. audit_checkpoints: every audit_head_interval approvald signs the
--    chain head (id, hash, time); `approvalctl audit verify --key` checks
--    the chain against each, so a rewritten and re-hashed chain is found
--    from the database alone. Append-only.

ALTER TABLE approval.requests ADD COLUMN nonce text
    CHECK (nonce ~ '^[A-Za-z0-9_-]{16,64}$');

CREATE FUNCTION approval.requests_nonce_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NEW.nonce IS DISTINCT FROM OLD.nonce THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id
            USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END $$;
-- OF nonce: runs only for an UPDATE that names the column (the expiry
-- sweep and decisions never do), so it costs nothing on the hot paths
CREATE TRIGGER requests_nonce_guard BEFORE UPDATE OF nonce ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_nonce_guard();

CREATE TABLE approval.signing_keys (
    key_id      text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),
    public_key  text NOT NULL UNIQUE CHECK (public_key ~ '^ed25519 [A-Za-z0-9+/]{43}=$'),
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    retired_at  timestamptz
);

CREATE TABLE approval.receipts (
    request_id  uuid PRIMARY KEY REFERENCES approval.requests (id),
    key_id      text NOT NULL REFERENCES approval.signing_keys (key_id),
    signature   text NOT NULL CHECK (signature ~ '^[A-Za-z0-9+/]{86}==$'),
    digest      text NOT NULL,
    status      text NOT NULL,
    decided_by  text,
    decided_at  text,
    nonce       text,
    expires_at  text,
    signed_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);

CREATE TABLE approval.audit_checkpoints (
    id          bigserial PRIMARY KEY,
    head_id     bigint NOT NULL,
    head_hash   text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
    at          text NOT NULL,
    key_id      text NOT NULL REFERENCES approval.signing_keys (key_id),
    signature   text NOT NULL CHECK (signature ~ '^[A-Za-z0-9+/]{86}==$')
);

CREATE FUNCTION approval.append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'P0004';
END $$;
CREATE TRIGGER receipts_append_only BEFORE UPDATE OR DELETE ON approval.receipts
    FOR EACH ROW EXECUTE FUNCTION approval.append_only();
CREATE TRIGGER audit_checkpoints_append_only
    BEFORE UPDATE OR DELETE ON approval.audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION approval.append_only();
CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON approval.receipts
    FOR EACH STATEMENT EXECUTE FUNCTION approval.append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON approval.audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION approval.append_only();

REVOKE ALL ON approval.signing_keys, approval.receipts, approval.audit_checkpoints
    FROM PUBLIC;
GRANT SELECT, INSERT ON approval.signing_keys, approval.receipts,
    approval.audit_checkpoints TO approval_app;
GRANT USAGE ON SEQUENCE approval.audit_checkpoints_id_seq TO approval_app;
GRANT SELECT ON approval.signing_keys, approval.receipts,
    approval.audit_checkpoints TO approval_auditor;
