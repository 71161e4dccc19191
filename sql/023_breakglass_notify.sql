-- 023_breakglass_notify.sql: break-glass is loud (docs/notifications.md,
-- "Break-glass"). Both kinds put a 'breakglass' row in the outbox, in the
-- transaction that records them, for every sink that should hear of it:
--   * a request a breakglass rule let in (inserted approved): the sinks
--     of its rule's notify= (approval.notify_targets) and the escalation
--     sink; the row names the request like every other event;
--   * an offline code's use reported by its host (breakglass_offline_uses):
--     every enabled sink; it has no request, so the row names the use
--     (breakglass_code_id) and carries what it was (payload, built here
--     from the immutable use row), as a Slack reply carries its text.
-- When an approver closes the review, the sinks that were told get a
-- 'breakglass_reviewed' row (Slack updates its message in place).
-- Claiming, retries, the audit of deliveries and
-- report_notification_failures treat these rows like any other.
--   * notify_sinks.escalation: the sink approvald's notify_escalation_sink
--     names (each instance marks it at start-up, as it enables its sinks).

ALTER TABLE approval.notify_sinks ADD COLUMN escalation boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN approval.notify_sinks.escalation IS
    'approvald''s notify_escalation_sink: also told of every break-glass, whatever the rule''s notify= says';

ALTER TABLE approval.outbox ADD COLUMN breakglass_code_id text
    REFERENCES approval.breakglass_offline_uses(code_id);
COMMENT ON COLUMN approval.outbox.breakglass_code_id IS
    'The offline break-glass use a request-less ''breakglass'' row is about (its payload says what it was)';
ALTER TABLE approval.outbox DROP CONSTRAINT outbox_event_check;
ALTER TABLE approval.outbox ADD CONSTRAINT outbox_event_check
    CHECK (event IN ('created', 'approved', 'denied', 'expired', 'cancelled', 'reminder',
                     'escalation', 'reply', 'breakglass', 'breakglass_reviewed'));
-- 012's "no request exactly for a reply", with the offline use
ALTER TABLE approval.outbox DROP CONSTRAINT outbox_check;
ALTER TABLE approval.outbox ADD CONSTRAINT outbox_subject_check
    CHECK (CASE WHEN request_id IS NOT NULL THEN event <> 'reply' AND breakglass_code_id IS NULL
                WHEN breakglass_code_id IS NOT NULL
                THEN event IN ('breakglass', 'breakglass_reviewed') AND payload IS NOT NULL
                ELSE event = 'reply' END);
-- one notification of each event per use and sink, however often it is reported
CREATE UNIQUE INDEX outbox_breakglass_once ON approval.outbox (breakglass_code_id, sink, event)
    WHERE breakglass_code_id IS NOT NULL;

-- A time in the payloads: UTC ISO 8601 with microseconds, as the API has it.
CREATE FUNCTION approval.outbox_utc(t timestamptz) RETURNS text
LANGUAGE sql STABLE SET search_path = '' AS $$
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The enabled sinks a break-glass with these kinds (its rule's notify=) is
-- told through: those, and the escalation sink.
CREATE FUNCTION approval.breakglass_targets(p_kinds text[])
RETURNS TABLE (name text, kind text)
LANGUAGE sql STABLE SET search_path = '' AS $$
    SELECT t.name, t.kind FROM approval.notify_targets(p_kinds) t
    UNION
    SELECT s.name, s.kind FROM approval.notify_sinks s WHERE s.enabled AND s.escalation
    ORDER BY 1
$$;

CREATE FUNCTION approval.outbox_enqueue_breakglass() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    INSERT INTO approval.outbox (request_id, sink, event)
        SELECT NEW.id, t.name, 'breakglass' FROM approval.breakglass_targets(NEW.notify_kinds) t;
    RETURN NULL;
END $$;
CREATE TRIGGER requests_outbox_breakglass AFTER INSERT ON approval.requests
    FOR EACH ROW WHEN (NEW.policy_action = 'breakglass')
    EXECUTE FUNCTION approval.outbox_enqueue_breakglass();

-- SECURITY DEFINER: approval_app inserts the use through
-- breakglass_offline_report, and the payload reads the code's issuer.
CREATE FUNCTION approval.outbox_enqueue_offline_use() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    body jsonb;
BEGIN
    SELECT pg_catalog.jsonb_build_object('kind', 'offline', 'code', NEW.code_id,
               'host', h.name, 'user', NEW.requester, 'target_user', NEW.target_user,
               'service', NEW.service, 'command', NEW.command, 'digest', NEW.digest,
               'used_at', approval.outbox_utc(NEW.used_at),
               'reported_at', approval.outbox_utc(NEW.reported_at),
               'issued_at', approval.outbox_utc(c.issued_at),
               'issued_by', c.issued_by)
      INTO body
      FROM approval.breakglass_codes c JOIN approval.hosts h ON h.id = NEW.host_id
     WHERE c.id = NEW.code_id;
    INSERT INTO approval.outbox (breakglass_code_id, sink, event, payload)
        SELECT NEW.code_id, t.name, 'breakglass', body FROM approval.breakglass_targets(NULL) t
        ON CONFLICT (breakglass_code_id, sink, event) WHERE breakglass_code_id IS NOT NULL
        DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER breakglass_offline_use_outbox AFTER INSERT ON approval.breakglass_offline_uses
    FOR EACH ROW EXECUTE FUNCTION approval.outbox_enqueue_offline_use();

-- The review closed: the sinks told of the break-glass are told who
-- closed it. A rule's rows name the request (the detail says who reviewed
-- it); an offline use's carry its payload with the review added under
-- "breakglass", as a request's detail has it.
CREATE FUNCTION approval.outbox_enqueue_breakglass_reviewed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    review jsonb;
BEGIN
    IF TG_TABLE_NAME = 'breakglass_reviews' THEN
        INSERT INTO approval.outbox (request_id, sink, event)
            SELECT DISTINCT NEW.request_id, o.sink, 'breakglass_reviewed'
              FROM approval.outbox o JOIN approval.notify_sinks s ON s.name = o.sink AND s.enabled
             WHERE o.request_id = NEW.request_id AND o.event = 'breakglass';
        RETURN NULL;
    END IF;
    SELECT pg_catalog.jsonb_build_object('review', 'closed', 'reviewed_by', a.login,
               'reviewed_at', approval.outbox_utc(NEW.at),
               'comment', NEW.comment)
      INTO review FROM approval.approvers a WHERE a.id = NEW.approver_id;
    INSERT INTO approval.outbox (breakglass_code_id, sink, event, payload)
        SELECT NEW.code_id, o.sink, 'breakglass_reviewed',
               o.payload || pg_catalog.jsonb_build_object('breakglass', review)
          FROM approval.outbox o JOIN approval.notify_sinks s ON s.name = o.sink AND s.enabled
         WHERE o.breakglass_code_id = NEW.code_id AND o.event = 'breakglass'
        ON CONFLICT (breakglass_code_id, sink, event) WHERE breakglass_code_id IS NOT NULL
        DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER breakglass_review_outbox AFTER INSERT ON approval.breakglass_reviews
    FOR EACH ROW EXECUTE FUNCTION approval.outbox_enqueue_breakglass_reviewed();
CREATE TRIGGER breakglass_offline_review_outbox AFTER INSERT
    ON approval.breakglass_offline_reviews
    FOR EACH ROW EXECUTE FUNCTION approval.outbox_enqueue_breakglass_reviewed();

REVOKE ALL ON FUNCTION approval.outbox_enqueue_offline_use() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.outbox_enqueue_breakglass_reviewed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approval.breakglass_targets(text[]) TO approval_app, approval_auditor;
