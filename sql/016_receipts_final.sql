-- 016_receipts_final.sql: a signed receipt for every final state.
--
-- approvald stored a receipt (approval.receipts, 009) only when an
-- approver decided; a policy's allow or deny at create, an expiry (the
-- sweep, or a handler that found the TTL passed) and a cancel left none,
-- although the host got a signed answer. Now the database queues every
-- request that becomes final, whichever statement made it final, and
-- approvald's receipt keeper (approvald/signing.c) signs the request as
-- its host gets it and stores the receipt, removing the entry in the same
-- statement. A request leaves the queue only with its receipt.
--
-- Requests are queued only while an active signing key is registered (an
-- approvald without signing_key signs nothing, so nothing waits for it).
-- The final requests that have no receipt yet are queued once here, so an
-- upgraded installation gets theirs too.

CREATE TABLE approval.receipts_due (
    request_id  uuid PRIMARY KEY REFERENCES approval.requests (id),
    queued_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX receipts_due_queued ON approval.receipts_due (queued_at);

-- Runs as the owner: whoever made the request final (approvald, an
-- administrator's SQL) need not be allowed to write the queue.
CREATE FUNCTION approval.receipts_queue() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM approval.signing_keys k WHERE k.retired_at IS NULL) THEN
        INSERT INTO approval.receipts_due (request_id) VALUES (NEW.id)
            ON CONFLICT (request_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION approval.receipts_queue() FROM PUBLIC;

-- final at create (a policy's allow or deny)
CREATE TRIGGER requests_receipt_at_create AFTER INSERT ON approval.requests
    FOR EACH ROW WHEN (NEW.status <> 'pending')
    EXECUTE FUNCTION approval.receipts_queue();
-- final later (decision, expiry, cancel); a final state never changes
CREATE TRIGGER requests_receipt_when_final AFTER UPDATE OF status ON approval.requests
    FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.status <> 'pending')
    EXECUTE FUNCTION approval.receipts_queue();

INSERT INTO approval.receipts_due (request_id)
SELECT r.id FROM approval.requests r
 WHERE r.status <> 'pending'
   AND NOT EXISTS (SELECT 1 FROM approval.receipts c WHERE c.request_id = r.id)
   AND EXISTS (SELECT 1 FROM approval.signing_keys k WHERE k.retired_at IS NULL);

REVOKE ALL ON approval.receipts_due FROM PUBLIC;
GRANT SELECT, DELETE ON approval.receipts_due TO approval_app;
GRANT SELECT ON approval.receipts_due TO approval_auditor;
