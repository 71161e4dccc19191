-- 012_outbox.sql: notifications through a transactional outbox.
--   * notify_sinks: the sinks approvald instances have configured (names
--     and kinds only: URLs and secrets stay in approvald's configuration);
--   * outbox: one row per (event, sink), written by a trigger on
--     approval.requests in the transaction that creates the request or
--     changes its status, whoever writes it (approvald, approvalctl, SQL):
--     a committed request always has its notification rows, a rolled-back
--     one never has;
--   * outbox_attempts: every delivery attempt (status, latency, error);
--   * slack_messages: where a request's Slack message is, to update it;
--   * approvers.slack_user: the Slack user id that acts as that approver;
--   * report_notification_failures: delivery failures per sink.
-- Delivery is at least once per row: a worker claims rows with
-- FOR UPDATE SKIP LOCKED and a lease (claimed_until), so two instances
-- never hold the same row; each row carries an idempotency key that
-- receivers see, for the rare redelivery after a crash mid-send.

CREATE TABLE approval.notify_sinks (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,31}$'),
    kind        text NOT NULL CHECK (kind IN ('webhook', 'slack', 'teams')),
    enabled     boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE approval.outbox (
    id               bigserial PRIMARY KEY,
    request_id       uuid REFERENCES approval.requests(id),
    sink             text NOT NULL REFERENCES approval.notify_sinks(name),
    event            text NOT NULL CHECK (event IN ('created', 'approved', 'denied',
                         'expired', 'cancelled', 'reminder', 'escalation', 'reply')),
    payload          jsonb,          -- 'reply' only: what to send where
    idempotency_key  uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claimed_until    timestamptz,
    claimed_by       text,
    last_error       text,
    sent_at          timestamptz,
    CHECK ((event = 'reply') = (request_id IS NULL)),
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX outbox_due ON approval.outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_request ON approval.outbox (request_id, sink, id);
-- a reminder and an escalation are sent once per request and sink, even
-- when several instances find them due at the same moment
CREATE UNIQUE INDEX outbox_once ON approval.outbox (request_id, sink, event)
    WHERE event IN ('reminder', 'escalation');

CREATE TABLE approval.outbox_attempts (
    id          bigserial PRIMARY KEY,
    outbox_id   bigint NOT NULL REFERENCES approval.outbox(id),
    at          timestamptz NOT NULL DEFAULT now(),
    instance    text NOT NULL,
    ok          boolean NOT NULL,
    http_status integer,
    latency_ms  integer NOT NULL CHECK (latency_ms >= 0),
    error       text
);
CREATE INDEX outbox_attempts_row ON approval.outbox_attempts (outbox_id, id);

CREATE TABLE approval.slack_messages (
    request_id  uuid NOT NULL REFERENCES approval.requests(id),
    sink        text NOT NULL REFERENCES approval.notify_sinks(name),
    channel     text NOT NULL,
    ts          text NOT NULL,
    posted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, sink)
);

ALTER TABLE approval.approvers ADD COLUMN slack_user text UNIQUE
    CHECK (slack_user ~ '^[UW][A-Z0-9]{2,31}$');

-- A mapping to a chat account lets that account decide: recorded.
CREATE FUNCTION approval.audit_approver_slack() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.slack_user IS NOT DISTINCT FROM OLD.slack_user THEN
        RETURN NULL;
    END IF;
    IF NEW.slack_user IS NULL AND TG_OP = 'INSERT' THEN
        RETURN NULL;
    END IF;
    PERFORM approval.audit_record('approver.slack_user', approval.audit_actor(),
        NEW.login, NULL, pg_catalog.jsonb_build_object('approver_id', NEW.id,
            'slack_user', NEW.slack_user,
            'previous', CASE WHEN TG_OP = 'UPDATE' THEN OLD.slack_user END));
    RETURN NULL;
END $$;
CREATE TRIGGER approvers_slack_audit AFTER INSERT OR UPDATE OF slack_user
    ON approval.approvers FOR EACH ROW EXECUTE FUNCTION approval.audit_approver_slack();

-- The outbox rows of a request change, in its own transaction. A request
-- that policy decided at once (never pending) tells nobody: there is
-- nothing to review.
CREATE FUNCTION approval.outbox_enqueue() RETURNS trigger
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
        SELECT NEW.id, s.name, CASE WHEN TG_OP = 'INSERT' THEN 'created' ELSE NEW.status END
          FROM approval.notify_sinks s WHERE s.enabled ORDER BY s.name;
    RETURN NULL;
END $$;
CREATE TRIGGER requests_outbox AFTER INSERT OR UPDATE OF status ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.outbox_enqueue();

-- Delivery failures per sink and day (the day of the failed attempt, in
-- report_settings.time_zone, like every report view).
CREATE VIEW approval.report_notification_failures AS
SELECT (a.at AT TIME ZONE s.time_zone)::date AS day,
       o.sink,
       k.kind,
       pg_catalog.count(*) AS failed_attempts,
       pg_catalog.count(DISTINCT o.id) AS notifications,
       pg_catalog.count(DISTINCT o.id) FILTER (WHERE o.state = 'failed') AS given_up,
       pg_catalog.count(DISTINCT o.id) FILTER (WHERE o.state = 'sent') AS delivered_later,
       pg_catalog.max(a.at) AS last_failure_at,
       (pg_catalog.array_agg(a.error ORDER BY a.id DESC))[1] AS last_error
  FROM approval.outbox_attempts a
  JOIN approval.outbox o ON o.id = a.outbox_id
  JOIN approval.notify_sinks k ON k.name = o.sink
 CROSS JOIN approval.report_settings s
 WHERE NOT a.ok
 GROUP BY 1, o.sink, k.kind;
COMMENT ON VIEW approval.report_notification_failures IS
    'Failed notification delivery attempts per sink and day: how many, for how many notifications, how many of those failed for good or were delivered later, and the last error';
COMMENT ON COLUMN approval.report_notification_failures.day IS 'Date of the failed attempts, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_notification_failures.sink IS 'Sink name (webhook, slack, teams)';
COMMENT ON COLUMN approval.report_notification_failures.given_up IS 'Notifications among them that failed for good (notify_max_age passed, or a permanent refusal)';
COMMENT ON COLUMN approval.report_notification_failures.delivered_later IS 'Notifications among them delivered by a later attempt';
COMMENT ON COLUMN approval.report_notification_failures.last_error IS 'The error of the last failed attempt that day';

GRANT SELECT, INSERT, UPDATE ON approval.notify_sinks TO approval_app;
GRANT SELECT, INSERT, UPDATE ON approval.outbox TO approval_app;
GRANT USAGE ON SEQUENCE approval.outbox_id_seq TO approval_app;
GRANT SELECT, INSERT ON approval.outbox_attempts TO approval_app;
GRANT USAGE ON SEQUENCE approval.outbox_attempts_id_seq TO approval_app;
GRANT SELECT, INSERT, UPDATE ON approval.slack_messages TO approval_app;
GRANT SELECT ON approval.notify_sinks, approval.outbox, approval.outbox_attempts,
    approval.slack_messages, approval.report_notification_failures TO approval_auditor;
GRANT SELECT ON approval.report_notification_failures TO approval_app;
