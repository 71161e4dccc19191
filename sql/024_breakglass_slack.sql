-- 024_breakglass_slack.sql: an offline break-glass use's Slack message is
-- updated in place when its review is closed, as a request's is
-- (docs/notifications.md, "Break-glass"). A use has no request row, so
-- where its message was posted is remembered here, per use and sink, as
-- slack_messages (sql/012) does per request: the outbox's 'breakglass'
-- row for the use posts it (chat.postMessage answers channel and ts),
-- the 'breakglass_reviewed' row updates it (chat.update).
CREATE TABLE approval.breakglass_slack_messages (
    code_id   text NOT NULL REFERENCES approval.breakglass_offline_uses(code_id),
    sink      text NOT NULL REFERENCES approval.notify_sinks(name),
    channel   text NOT NULL,
    ts        text NOT NULL,
    posted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code_id, sink)
);
COMMENT ON TABLE approval.breakglass_slack_messages IS
    'Where an offline break-glass use''s Slack message is, to update it in place on review';

-- the outbox rows of one use and sink are delivered in id order (as a
-- request's are), so a review never overtakes the message it updates
CREATE INDEX outbox_breakglass_pending ON approval.outbox (breakglass_code_id, sink, id)
    WHERE breakglass_code_id IS NOT NULL AND state = 'pending';

GRANT SELECT, INSERT, UPDATE ON approval.breakglass_slack_messages TO approval_app;
GRANT SELECT ON approval.breakglass_slack_messages TO approval_auditor;
