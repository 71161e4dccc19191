-- 015_approver_pressure.sql: what an approver under pressure must be able
-- to trust.
--
-- 1. The real deadline. The module waits at most its own timeout= and
--    reports it with the create (requester_timeout, seconds);
--    requests.requester_gives_up_at is created_at plus that, and
--    expires_at is the earlier of it and request_ttl (approvald computes
--    both in the INSERT). Both are context and never change.
-- 2. Why a request ended without a decision: requests.cancel_reason is
--    'interrupted' (Ctrl-C or another signal at the module), 'timeout'
--    (the module's own deadline passed), 'unspecified' (a cancel that gave
--    no reason: an older module) on cancelled, and 'expired' on expired
--    (the server's expiry). Set by the transition only (a trigger fills
--    the default), NULL for every other state.
-- 3. Events name the actor's kind: request_events.actor_kind is 'host'
--    (created, cancelled), 'approver' (a decision, a refused
--    self-approval) or 'system' (expiry, a policy decision, anything
--    else), and request_events.cancel_reason repeats the request's on the
--    cancelled/expired event. Filled by the database, whoever inserts.
-- 4. Self-approval compares names as a person reads them (see below).

ALTER TABLE approval.requests
    ADD COLUMN requester_gives_up_at timestamptz,
    ADD COLUMN cancel_reason text
        CHECK (cancel_reason IN ('interrupted', 'timeout', 'unspecified', 'expired')),
    ADD CONSTRAINT requests_gives_up_after_created
        CHECK (requester_gives_up_at IS NULL OR requester_gives_up_at > created_at),
    ADD CONSTRAINT requests_cancel_reason_state CHECK (
        (status = 'cancelled' AND cancel_reason IN ('interrupted', 'timeout', 'unspecified'))
        OR (status = 'expired' AND cancel_reason = 'expired')
        OR (status NOT IN ('cancelled', 'expired') AND cancel_reason IS NULL))
        NOT VALID;
-- rows from before this migration have no reason; new ones always do
COMMENT ON COLUMN approval.requests.cancel_reason IS
    'why a request ended undecided: interrupted, timeout, unspecified (cancelled), expired';

-- The reason of a transition to cancelled or expired; immutable context
-- otherwise. Runs before requests_guard (names in order), which refuses
-- any change of a final request anyway.
CREATE FUNCTION approval.requests_end_reason() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NEW.requester_gives_up_at IS DISTINCT FROM OLD.requester_gives_up_at THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id
            USING ERRCODE = 'P0003';
    END IF;
    IF OLD.status = 'pending' AND NEW.status = 'cancelled' THEN
        NEW.cancel_reason := COALESCE(NEW.cancel_reason, 'unspecified');
    ELSIF OLD.status = 'pending' AND NEW.status = 'expired' THEN
        NEW.cancel_reason := 'expired';
    ELSIF NEW.cancel_reason IS DISTINCT FROM OLD.cancel_reason THEN
        RAISE EXCEPTION 'cancel_reason is set by a cancel or an expiry only'
            USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_end_reason BEFORE UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_end_reason();

CREATE FUNCTION approval.requests_end_reason_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NEW.cancel_reason IS NOT NULL THEN
        RAISE EXCEPTION 'a new request has no cancel_reason' USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_end_reason_insert BEFORE INSERT ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_end_reason_insert();

ALTER TABLE approval.request_events
    ADD COLUMN actor_kind text CHECK (actor_kind IN ('host', 'approver', 'system')),
    ADD COLUMN cancel_reason text;

-- Who acted, by kind, from the request as the event's transaction sees it.
-- Runs before request_events_order (names in order); reads, locks nothing.
CREATE FUNCTION approval.request_events_actor() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    r record;
BEGIN
    SELECT q.decided_by, q.cancel_reason INTO r
      FROM approval.requests q WHERE q.id = NEW.request_id;
    NEW.actor_kind := CASE
        WHEN NEW.kind IN ('created', 'cancelled') THEN 'host'
        WHEN NEW.kind = 'self_approval_refused' THEN 'approver'
        WHEN NEW.kind IN ('approved', 'denied') AND r.decided_by IS NOT NULL THEN 'approver'
        ELSE 'system' END;
    NEW.cancel_reason := CASE WHEN NEW.kind IN ('cancelled', 'expired')
                              THEN r.cancel_reason END;
    RETURN NEW;
END $$;
CREATE TRIGGER request_events_actor BEFORE INSERT ON approval.request_events
    FOR EACH ROW EXECUTE FUNCTION approval.request_events_actor();

-- Events recorded before this migration get their kind the same way.
UPDATE approval.request_events e SET actor_kind = CASE
        WHEN e.kind IN ('created', 'cancelled') THEN 'host'
        WHEN e.kind = 'self_approval_refused' THEN 'approver'
        WHEN e.kind IN ('approved', 'denied') AND q.decided_by IS NOT NULL THEN 'approver'
        ELSE 'system' END
  FROM approval.requests q
 WHERE q.id = e.request_id AND e.actor_kind IS NULL;
