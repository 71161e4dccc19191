-- 018_cancel_reason_audit.sql: the audit log says why a request ended
-- without a decision.
--
-- sql/015 gave requests and request events a cancel_reason (interrupted,
-- timeout, unspecified for a cancel; expired for an expiry), but the audit
-- row of a request.cancelled or request.expired event (sql/002's
-- audit_request_event) did not carry it, so the hash-chained log could not
-- tell a Ctrl-C from the module giving up. Now that row's detail has
-- "cancel_reason", the event's (request_events_actor, sql/015, set it
-- before this AFTER trigger runs). Every other key is as before, and
-- "event_id" stays: the chain trigger of sql/014 (audit_log_chain) gives a
-- request event's row the event's id from it. Rows written before this
-- migration are sealed and keep their form; no verifier needs the key.
CREATE OR REPLACE FUNCTION approval.audit_request_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    r approval.requests;
    host_name text;
    approver_login text;
    d jsonb;
BEGIN
    SELECT * INTO r FROM approval.requests q WHERE q.id = NEW.request_id;
    SELECT h.name INTO host_name FROM approval.hosts h WHERE h.id = r.host_id;
    IF NEW.kind = 'created' THEN
        d := approval.audit_request_context(r) || pg_catalog.jsonb_build_object(
            'event_id', NEW.id, 'host', host_name, 'status', r.status);
    ELSIF NEW.kind = 'self_approval_refused' THEN
        d := pg_catalog.jsonb_build_object(
            'event_id', NEW.id, 'code', r.code, 'host', host_name,
            'requester', r.requester, 'target_user', r.target_user,
            'attempt', NEW.detail, 'event_at', approval.audit_ts(NEW.at));
    ELSE
        SELECT a.login INTO approver_login FROM approval.approvers a WHERE a.id = r.decided_by;
        d := pg_catalog.jsonb_build_object(
            'event_id', NEW.id, 'code', r.code, 'host', host_name,
            'requester', r.requester, 'target_user', r.target_user, 'status', r.status,
            'decided_by', approver_login, 'decided_by_id', r.decided_by,
            'decided_at', approval.audit_ts(r.decided_at),
            'comment', NEW.detail);
        IF NEW.kind IN ('cancelled', 'expired') THEN
            d := d || pg_catalog.jsonb_build_object('cancel_reason', NEW.cancel_reason);
        END IF;
    END IF;
    PERFORM approval.audit_record('request.' || NEW.kind, NEW.actor, r.code, NEW.request_id, d);
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION approval.audit_request_event() FROM PUBLIC;
