-- 017_notify_per_rule.sql: sinks per policy rule. A require rule may say
-- notify=none or notify=slack,webhook (approvald/policy.c); the request
-- keeps the kinds its rule named (notify_kinds; NULL: every enabled sink,
-- as before) and the outbox trigger, the reminders and the "notified" of
-- the host's status answer all pick the sinks through one function.

ALTER TABLE approval.requests ADD COLUMN notify_kinds text[]
    CHECK (notify_kinds IS NULL OR (notify_kinds <@ ARRAY['webhook', 'slack', 'teams']::text[]
           AND pg_catalog.array_position(notify_kinds, NULL) IS NULL));
COMMENT ON COLUMN approval.requests.notify_kinds IS
    'The sink kinds its policy rule''s notify= named (empty: none); NULL: every enabled sink';

-- The enabled sinks a request with these kinds is told through.
CREATE FUNCTION approval.notify_targets(p_kinds text[])
RETURNS TABLE (name text, kind text)
LANGUAGE sql STABLE SET search_path = '' AS $$
    SELECT s.name, s.kind FROM approval.notify_sinks s
     WHERE s.enabled AND (p_kinds IS NULL OR s.kind = ANY (p_kinds))
     ORDER BY s.name
$$;

CREATE OR REPLACE FUNCTION approval.outbox_enqueue() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'pending' THEN
            RETURN NULL;
        END IF;
    ELSIF NEW.status = OLD.status THEN
        RETURN NULL;
    END IF;
    INSERT INTO approval.outbox (request_id, sink, event)
        SELECT NEW.id, t.name, CASE WHEN TG_OP = 'INSERT' THEN 'created' ELSE NEW.status END
          FROM approval.notify_targets(NEW.notify_kinds) t;
    RETURN NULL;
END $$;

-- Whom a request tells is part of its context: fixed at insert.
CREATE FUNCTION approval.requests_notify_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NEW.notify_kinds IS DISTINCT FROM OLD.notify_kinds THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_notify_immutable BEFORE UPDATE OF notify_kinds ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_notify_immutable();

GRANT EXECUTE ON FUNCTION approval.notify_targets(text[]) TO approval_app, approval_auditor;
