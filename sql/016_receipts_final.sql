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

-- Run as the owner: whoever made the request final (approvald, an
-- administrator's SQL) need not be allowed to write the queue. One
-- statement per statement (the expiry sweep ends 200 requests in one),
-- over its transition tables.
CREATE FUNCTION approval.receipts_queue_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    INSERT INTO approval.receipts_due (request_id)
    SELECT n.id FROM new_rows n
     WHERE n.status <> 'pending'
       AND EXISTS (SELECT 1 FROM approval.signing_keys k WHERE k.retired_at IS NULL)
    ON CONFLICT (request_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE FUNCTION approval.receipts_queue_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    INSERT INTO approval.receipts_due (request_id)
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE o.status = 'pending' AND n.status <> 'pending'
       AND EXISTS (SELECT 1 FROM approval.signing_keys k WHERE k.retired_at IS NULL)
    ON CONFLICT (request_id) DO NOTHING;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION approval.receipts_queue_insert(), approval.receipts_queue_update()
    FROM PUBLIC;

-- final at create (a policy's allow or deny)
CREATE TRIGGER requests_receipt_at_create AFTER INSERT ON approval.requests
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION approval.receipts_queue_insert();
-- final later (decision, expiry, cancel); a final state never changes
CREATE TRIGGER requests_receipt_when_final AFTER UPDATE ON approval.requests
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION approval.receipts_queue_update();

INSERT INTO approval.receipts_due (request_id)
SELECT r.id FROM approval.requests r
 WHERE r.status <> 'pending'
   AND NOT EXISTS (SELECT 1 FROM approval.receipts c WHERE c.request_id = r.id)
   AND EXISTS (SELECT 1 FROM approval.signing_keys k WHERE k.retired_at IS NULL);

REVOKE ALL ON approval.receipts_due FROM PUBLIC;
GRANT SELECT, DELETE ON approval.receipts_due TO approval_app;
GRANT SELECT ON approval.receipts_due TO approval_auditor;

-- The audit row form of a request (the request.created detail that the
-- hash chain covers) gains the initiator kind and the reported and
-- observed context of sql/010, so approval.audit_crosscheck (and
-- `approvalctl audit verify`) names a request whose initiator, agent, run
-- URL, commit, prompt or observed ancestry was rewritten with the triggers
-- off. A request audited before this migration carries only the keys of
-- its day: it is compared on those (the chain proves which keys it had).

-- The keys this migration adds to the audit row form.
CREATE FUNCTION approval.audit_context_keys_016() RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$
    SELECT ARRAY['initiator', 'agent', 'run_url', 'commit', 'prompt', 'ancestry',
                 'loginuid', 'audit_session', 'tty_attached', 'observed_note']
$$;

CREATE OR REPLACE FUNCTION approval.audit_request_context(r approval.requests) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = '' AS $$
    SELECT pg_catalog.jsonb_build_object(
        'code', r.code, 'host_id', r.host_id,
        'hostname', r.hostname, 'service', r.service, 'requester', r.requester,
        'requester_uid', r.requester_uid, 'target_user', r.target_user,
        'command', r.command, 'sudo_command', r.sudo_command, 'tty', r.tty,
        'rhost', r.rhost, 'cwd', r.cwd, 'reason', r.reason, 'ticket', r.ticket,
        'digest', r.digest,
        'created_at', approval.audit_ts(r.created_at),
        'expires_at', approval.audit_ts(r.expires_at))
    || pg_catalog.jsonb_build_object(
        'initiator', r.initiator, 'agent', r.agent, 'run_url', r.run_url,
        'commit', r.commit_ref, 'prompt', r.prompt, 'ancestry', r.ancestry,
        'loginuid', r.loginuid, 'audit_session', r.audit_session,
        'tty_attached', r.tty_attached, 'observed_note', r.observed_note)
$$;

-- As in 003, with one change: the context is compared on the keys the
-- chained row has of those added here.
CREATE OR REPLACE VIEW approval.audit_crosscheck AS
WITH created AS (
    SELECT DISTINCT ON (l.request_id) l.request_id, l.detail
      FROM approval.audit_log l
     WHERE l.kind = 'request.created' AND l.request_id IS NOT NULL
     ORDER BY l.request_id, l.id
), outcome AS (
    SELECT DISTINCT ON (l.request_id) l.request_id, l.kind, l.detail
      FROM approval.audit_log l
     WHERE l.kind IN ('request.approved', 'request.denied', 'request.expired', 'request.cancelled')
       AND l.request_id IS NOT NULL
     ORDER BY l.request_id, l.id
)
SELECT (r.created_at AT TIME ZONE s.time_zone)::date AS day,
       r.created_at,
       r.id AS request_id,
       r.code,
       p.problem
  FROM approval.requests r
  LEFT JOIN created c ON c.request_id = r.id
  LEFT JOIN outcome o ON o.request_id = r.id
 CROSS JOIN approval.report_settings s
 CROSS JOIN LATERAL (VALUES
    (CASE WHEN c.request_id IS NULL THEN 'no request.created in audit_log'
          WHEN approval.audit_request_context(r)
               - ARRAY(SELECT k FROM pg_catalog.unnest(approval.audit_context_keys_016()) k
                        WHERE NOT c.detail ? k)
               <> c.detail - ARRAY['event_id', 'host', 'status', 'db_user']
          THEN 'context differs from audit_log' END),
    (CASE WHEN r.status = 'pending' AND o.request_id IS NOT NULL THEN 'pending but audit_log has an outcome'
          WHEN r.status <> 'pending' AND o.request_id IS NULL THEN 'no outcome in audit_log'
          WHEN o.kind <> 'request.' || r.status THEN 'outcome differs from audit_log'
          WHEN (o.detail->>'decided_by_id')::bigint IS DISTINCT FROM r.decided_by
            OR o.detail->>'decided_at' IS DISTINCT FROM approval.audit_ts(r.decided_at)
            OR o.detail->>'comment' IS DISTINCT FROM r.decision_comment
          THEN 'decision differs from audit_log' END)
 ) AS p(problem)
 WHERE p.problem IS NOT NULL;
