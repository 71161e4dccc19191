-- 003_reports.sql: compliance report views (issue 4; docs/compliance.md maps
-- them to ISO/IEC 27001 and SOC 2 controls).
-- Contract: the view names and column names below are stable (approvalctl
-- report, GET /v1/reports/NAME and auditors' saved queries use them);
-- later migrations may add columns at the end, never rename or drop.
-- Every view has a `day` column (the date in report_settings.time_zone of
-- the event the row is about) for from/to filtering, and most have a
-- timestamptz column too. Views impose no order: queries say ORDER BY.
-- Readable by approval_auditor and approval_app; nobody writes through them.

-- Report settings, one row. Changed by the schema owner (an admin), and
-- every change is in the audit log (kind report_settings.changed).
CREATE TABLE approval.report_settings (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    time_zone          text NOT NULL DEFAULT 'UTC'
                       CHECK (pg_catalog.timezone(time_zone, timestamptz '2000-01-01 00:00:00+00') IS NOT NULL),
    business_start     time NOT NULL DEFAULT '08:00',
    business_end       time NOT NULL DEFAULT '18:00',
    business_days      smallint[] NOT NULL DEFAULT '{1,2,3,4,5}'
                       CHECK (business_days <@ '{1,2,3,4,5,6,7}'::smallint[]),
    host_silence_days  integer NOT NULL DEFAULT 7 CHECK (host_silence_days BETWEEN 1 AND 3650),
    CHECK (business_end > business_start)
);
INSERT INTO approval.report_settings DEFAULT VALUES;
COMMENT ON TABLE approval.report_settings IS
    'One row: the business hours, time zone and thresholds the report views use';
COMMENT ON COLUMN approval.report_settings.time_zone IS
    'IANA time zone (e.g. Europe/Berlin) for business hours and for every report''s day column';
COMMENT ON COLUMN approval.report_settings.business_start IS 'Local start of business hours (inclusive)';
COMMENT ON COLUMN approval.report_settings.business_end IS 'Local end of business hours (exclusive)';
COMMENT ON COLUMN approval.report_settings.business_days IS 'ISO weekdays of business (1 = Monday .. 7 = Sunday)';
COMMENT ON COLUMN approval.report_settings.host_silence_days IS
    'report_host_silence lists silences of at least this many days';

CREATE FUNCTION approval.audit_report_settings() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    ch jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'report_settings has exactly one row' USING ERRCODE = 'P0007';
    END IF;
    ch := approval.audit_changes(pg_catalog.to_jsonb(OLD), pg_catalog.to_jsonb(NEW),
        ARRAY['time_zone', 'business_start', 'business_end', 'business_days', 'host_silence_days']);
    IF ch <> '{}'::jsonb THEN
        PERFORM approval.audit_record('report_settings.changed', approval.audit_actor(),
            'report_settings', NULL, pg_catalog.jsonb_build_object('changes', ch));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER report_settings_audit AFTER UPDATE OR DELETE ON approval.report_settings
    FOR EACH ROW EXECUTE FUNCTION approval.audit_report_settings();
REVOKE ALL ON FUNCTION approval.audit_report_settings() FROM PUBLIC;

-- report_elevations -------------------------------------------------------
CREATE VIEW approval.report_elevations AS
SELECT (r.created_at AT TIME ZONE s.time_zone)::date AS day,
       r.created_at,
       r.decided_at,
       r.expires_at,
       r.id AS request_id,
       r.code,
       h.name AS host,
       r.hostname,
       r.requester,
       r.requester_uid,
       r.target_user,
       r.service,
       r.command,
       r.sudo_command,
       r.tty,
       r.rhost,
       r.cwd,
       r.reason,
       r.ticket,
       r.status AS outcome,
       a.login AS decided_by,
       r.decision_comment,
       CASE WHEN r.status IN ('approved', 'denied')
            THEN round(EXTRACT(epoch FROM r.decided_at - r.created_at), 3) END
           AS decision_latency_seconds
  FROM approval.requests r
  JOIN approval.hosts h ON h.id = r.host_id
  LEFT JOIN approval.approvers a ON a.id = r.decided_by
 CROSS JOIN approval.report_settings s;
COMMENT ON VIEW approval.report_elevations IS
    'Every elevation request (sudo/su) with its context, outcome, approver and decision latency; one row per request';
COMMENT ON COLUMN approval.report_elevations.day IS 'Date the request was made, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_elevations.created_at IS 'When the request was made';
COMMENT ON COLUMN approval.report_elevations.decided_at IS 'When it became final (decision, expiry or cancel); NULL while pending';
COMMENT ON COLUMN approval.report_elevations.expires_at IS 'When it would expire unanswered';
COMMENT ON COLUMN approval.report_elevations.request_id IS 'Request uuid (also in audit_log.request_id)';
COMMENT ON COLUMN approval.report_elevations.code IS 'Short human code shown to requester and approver';
COMMENT ON COLUMN approval.report_elevations.host IS 'Enrolled host name (the host token that filed it)';
COMMENT ON COLUMN approval.report_elevations.hostname IS 'Hostname as the module reported it';
COMMENT ON COLUMN approval.report_elevations.requester IS 'Invoking unix login';
COMMENT ON COLUMN approval.report_elevations.requester_uid IS 'Invoking unix uid';
COMMENT ON COLUMN approval.report_elevations.target_user IS 'User the command runs as';
COMMENT ON COLUMN approval.report_elevations.service IS 'PAM service (sudo, su, ...)';
COMMENT ON COLUMN approval.report_elevations.command IS 'Command line as invoked';
COMMENT ON COLUMN approval.report_elevations.sudo_command IS 'Resolved command under sudo (SUDO_COMMAND); NULL for su';
COMMENT ON COLUMN approval.report_elevations.tty IS 'Terminal, if any';
COMMENT ON COLUMN approval.report_elevations.rhost IS 'Remote host reported by PAM or SSH, context only';
COMMENT ON COLUMN approval.report_elevations.cwd IS 'Working directory of the requester';
COMMENT ON COLUMN approval.report_elevations.reason IS 'Requester-supplied reason (untrusted text)';
COMMENT ON COLUMN approval.report_elevations.ticket IS 'Requester-supplied ticket (untrusted text)';
COMMENT ON COLUMN approval.report_elevations.outcome IS 'pending, approved, denied, expired or cancelled';
COMMENT ON COLUMN approval.report_elevations.decided_by IS 'Login of the approver who approved or denied; NULL otherwise';
COMMENT ON COLUMN approval.report_elevations.decision_comment IS 'Approver comment';
COMMENT ON COLUMN approval.report_elevations.decision_latency_seconds IS
    'Seconds from request to approval or denial (3 decimals); NULL for other outcomes';

-- report_decision_latency -------------------------------------------------
CREATE VIEW approval.report_decision_latency AS
WITH d AS (
    SELECT (r.decided_at AT TIME ZONE s.time_zone)::date AS day,
           a.login AS approver,
           r.status,
           EXTRACT(epoch FROM r.decided_at - r.created_at)::double precision AS secs
      FROM approval.requests r
      JOIN approval.approvers a ON a.id = r.decided_by
     CROSS JOIN approval.report_settings s
     WHERE r.status IN ('approved', 'denied')
)
SELECT d.day,
       d.approver,
       count(*) AS decisions,
       count(*) FILTER (WHERE d.status = 'approved') AS approved,
       count(*) FILTER (WHERE d.status = 'denied') AS denied,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY d.secs))::numeric, 3) AS p50_seconds,
       round((percentile_cont(0.9) WITHIN GROUP (ORDER BY d.secs))::numeric, 3) AS p90_seconds,
       round(max(d.secs)::numeric, 3) AS max_seconds
  FROM d
 GROUP BY d.day, d.approver;
COMMENT ON VIEW approval.report_decision_latency IS
    'How fast each approver decided, per day: count, median, 90th percentile and maximum seconds';
COMMENT ON COLUMN approval.report_decision_latency.day IS 'Date of the decision, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_decision_latency.approver IS 'Approver login';
COMMENT ON COLUMN approval.report_decision_latency.decisions IS 'Approvals plus denials that day';
COMMENT ON COLUMN approval.report_decision_latency.approved IS 'Approvals that day';
COMMENT ON COLUMN approval.report_decision_latency.denied IS 'Denials that day';
COMMENT ON COLUMN approval.report_decision_latency.p50_seconds IS 'Median seconds from request to decision (percentile_cont, interpolated)';
COMMENT ON COLUMN approval.report_decision_latency.p90_seconds IS '90th percentile seconds from request to decision (percentile_cont, interpolated)';
COMMENT ON COLUMN approval.report_decision_latency.max_seconds IS 'Slowest decision that day, seconds';

-- report_denied -----------------------------------------------------------
CREATE VIEW approval.report_denied AS
SELECT e.day, e.created_at, e.decided_at, e.request_id, e.code, e.host, e.hostname,
       e.requester, e.requester_uid, e.target_user, e.service, e.command, e.sudo_command,
       e.reason, e.ticket, e.decided_by, e.decision_comment, e.decision_latency_seconds
  FROM approval.report_elevations e
 WHERE e.outcome = 'denied';
COMMENT ON VIEW approval.report_denied IS 'Denied elevation requests (columns as in report_elevations)';
COMMENT ON COLUMN approval.report_denied.day IS 'Date the request was made, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_denied.created_at IS 'When the request was made';
COMMENT ON COLUMN approval.report_denied.decided_at IS 'When it was denied';
COMMENT ON COLUMN approval.report_denied.decided_by IS 'Login of the approver who denied it';
COMMENT ON COLUMN approval.report_denied.decision_comment IS 'Reason given by the approver (shown to the requester)';

-- report_expired_unanswered -------------------------------------------------
CREATE VIEW approval.report_expired_unanswered AS
SELECT e.day, e.created_at, e.expires_at, e.decided_at AS expired_at, e.request_id, e.code,
       e.host, e.hostname, e.requester, e.requester_uid, e.target_user, e.service, e.command,
       e.sudo_command, e.reason, e.ticket,
       round(EXTRACT(epoch FROM e.decided_at - e.created_at), 3) AS waited_seconds
  FROM approval.report_elevations e
 WHERE e.outcome = 'expired';
COMMENT ON VIEW approval.report_expired_unanswered IS
    'Requests nobody answered before they expired (the requester was refused)';
COMMENT ON COLUMN approval.report_expired_unanswered.day IS 'Date the request was made, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_expired_unanswered.created_at IS 'When the request was made';
COMMENT ON COLUMN approval.report_expired_unanswered.expires_at IS 'Deadline it had';
COMMENT ON COLUMN approval.report_expired_unanswered.expired_at IS 'When it was marked expired';
COMMENT ON COLUMN approval.report_expired_unanswered.waited_seconds IS 'Seconds from request to expiry';

-- report_self_approval_attempts --------------------------------------------
CREATE VIEW approval.report_self_approval_attempts AS
SELECT (ev.at AT TIME ZONE s.time_zone)::date AS day,
       ev.at,
       ev.actor AS approver,
       ev.request_id,
       r.code,
       h.name AS host,
       r.requester,
       r.target_user,
       r.service,
       r.command,
       r.created_at AS request_created_at,
       r.status AS request_outcome,
       ev.detail
  FROM approval.request_events ev
  JOIN approval.requests r ON r.id = ev.request_id
  JOIN approval.hosts h ON h.id = r.host_id
 CROSS JOIN approval.report_settings s
 WHERE ev.kind = 'self_approval_refused';
COMMENT ON VIEW approval.report_self_approval_attempts IS
    'Refused attempts by an approver to decide their own request (segregation of duties held)';
COMMENT ON COLUMN approval.report_self_approval_attempts.day IS 'Date of the attempt, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_self_approval_attempts.at IS 'When the attempt was refused';
COMMENT ON COLUMN approval.report_self_approval_attempts.approver IS 'Approver login that tried';
COMMENT ON COLUMN approval.report_self_approval_attempts.request_id IS 'The request concerned';
COMMENT ON COLUMN approval.report_self_approval_attempts.requester IS 'Its requester (one of the approver''s logins)';
COMMENT ON COLUMN approval.report_self_approval_attempts.request_created_at IS 'When the request was made';
COMMENT ON COLUMN approval.report_self_approval_attempts.request_outcome IS 'The request''s status now';
COMMENT ON COLUMN approval.report_self_approval_attempts.detail IS 'What was attempted, as recorded by the daemon';

-- report_approver_activity ---------------------------------------------------
CREATE VIEW approval.report_approver_activity AS
WITH ev AS (
    SELECT a.login AS approver, r.decided_at AS at, r.status AS what
      FROM approval.requests r
      JOIN approval.approvers a ON a.id = r.decided_by
     WHERE r.status IN ('approved', 'denied')
    UNION ALL
    SELECT e.actor, e.at, 'self_approval_refused'
      FROM approval.request_events e
     WHERE e.kind = 'self_approval_refused' AND e.actor IS NOT NULL
    UNION ALL
    SELECT l.actor, l.at, l.kind
      FROM approval.audit_log l
     WHERE l.kind IN ('auth.sign_in', 'auth.sign_in_failed') AND l.actor IS NOT NULL
)
SELECT (ev.at AT TIME ZONE s.time_zone)::date AS day,
       ev.approver,
       EXISTS (SELECT 1 FROM approval.approvers a WHERE a.login = ev.approver) AS known_approver,
       count(*) FILTER (WHERE ev.what = 'approved') AS approved,
       count(*) FILTER (WHERE ev.what = 'denied') AS denied,
       count(*) FILTER (WHERE ev.what = 'self_approval_refused') AS self_approval_refused,
       count(*) FILTER (WHERE ev.what = 'auth.sign_in') AS sign_ins,
       count(*) FILTER (WHERE ev.what = 'auth.sign_in_failed') AS sign_in_failures,
       min(ev.at) AS first_at,
       max(ev.at) AS last_at
  FROM ev
 CROSS JOIN approval.report_settings s
 GROUP BY 1, 2;
COMMENT ON VIEW approval.report_approver_activity IS
    'Per day and approver login: decisions, refused self-approvals, sign-ins and failed sign-ins';
COMMENT ON COLUMN approval.report_approver_activity.day IS 'Date, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_approver_activity.approver IS 'Approver login (for failed sign-ins: the login that was tried)';
COMMENT ON COLUMN approval.report_approver_activity.known_approver IS 'The login exists in approval.approvers';
COMMENT ON COLUMN approval.report_approver_activity.approved IS 'Requests approved';
COMMENT ON COLUMN approval.report_approver_activity.denied IS 'Requests denied';
COMMENT ON COLUMN approval.report_approver_activity.self_approval_refused IS 'Refused attempts to decide an own request';
COMMENT ON COLUMN approval.report_approver_activity.sign_ins IS 'Successful sign-ins (audit kind auth.sign_in, actor = login)';
COMMENT ON COLUMN approval.report_approver_activity.sign_in_failures IS 'Failed sign-ins (audit kind auth.sign_in_failed, actor = login tried)';
COMMENT ON COLUMN approval.report_approver_activity.first_at IS 'First such activity that day';
COMMENT ON COLUMN approval.report_approver_activity.last_at IS 'Last such activity that day';

-- report_after_hours ----------------------------------------------------------
CREATE VIEW approval.report_after_hours AS
SELECT e.day,
       e.created_at,
       (e.created_at AT TIME ZONE s.time_zone) AS local_time,
       EXTRACT(isodow FROM e.created_at AT TIME ZONE s.time_zone)::integer AS weekday,
       s.time_zone,
       e.request_id, e.code, e.host, e.hostname, e.requester, e.requester_uid,
       e.target_user, e.service, e.command, e.sudo_command, e.reason, e.ticket,
       e.outcome, e.decided_by, e.decided_at
  FROM approval.report_elevations e
 CROSS JOIN approval.report_settings s
 WHERE NOT (EXTRACT(isodow FROM e.created_at AT TIME ZONE s.time_zone)::smallint = ANY (s.business_days))
    OR (e.created_at AT TIME ZONE s.time_zone)::time < s.business_start
    OR (e.created_at AT TIME ZONE s.time_zone)::time >= s.business_end;
COMMENT ON VIEW approval.report_after_hours IS
    'Requests made outside business hours or days (report_settings), columns as in report_elevations';
COMMENT ON COLUMN approval.report_after_hours.day IS 'Date the request was made, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_after_hours.local_time IS 'Wall-clock time of the request in report_settings.time_zone';
COMMENT ON COLUMN approval.report_after_hours.weekday IS 'ISO weekday of local_time (1 = Monday .. 7 = Sunday)';
COMMENT ON COLUMN approval.report_after_hours.time_zone IS 'The time zone local_time is in';

-- report_auto_allowed ---------------------------------------------------------
-- Policies (auto-allow rules) do not exist yet: nothing is ever allowed
-- without a human, so this view is empty by construction. It has its final
-- columns now so that exports, saved queries and the controls map do not
-- change when policies arrive (a later migration replaces the body).
CREATE VIEW approval.report_auto_allowed AS
SELECT NULL::date AS day,
       NULL::timestamptz AS created_at,
       NULL::uuid AS request_id,
       NULL::text AS code,
       NULL::text AS host,
       NULL::text AS hostname,
       NULL::text AS requester,
       NULL::bigint AS requester_uid,
       NULL::text AS target_user,
       NULL::text AS service,
       NULL::text AS command,
       NULL::text AS sudo_command,
       NULL::text AS reason,
       NULL::text AS ticket,
       NULL::text AS policy,
       NULL::text AS rule
 WHERE false;
COMMENT ON VIEW approval.report_auto_allowed IS
    'Requests a policy allowed without a human (auto-allow or grace window). Empty until policies exist';
COMMENT ON COLUMN approval.report_auto_allowed.day IS 'Date the request was made, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_auto_allowed.created_at IS 'When the request was made';
COMMENT ON COLUMN approval.report_auto_allowed.policy IS 'Name of the policy that allowed it';
COMMENT ON COLUMN approval.report_auto_allowed.rule IS 'The rule within the policy (or grace window) that matched';

-- report_host_silence -------------------------------------------------------
-- A host that files no request for a long time may have lost the module.
-- One row per silence of at least report_settings.host_silence_days on an
-- enabled, unrevoked host: between enrollment and its first request,
-- between two requests, or since its last request (ongoing).
CREATE VIEW approval.report_host_silence AS
WITH pts AS (
    SELECT h.id AS host_id, h.created_at AS at
      FROM approval.hosts h
     WHERE h.enabled AND h.revoked_at IS NULL
    UNION ALL
    SELECT r.host_id, r.created_at
      FROM approval.requests r
      JOIN approval.hosts h ON h.id = r.host_id
     WHERE h.enabled AND h.revoked_at IS NULL AND r.created_at >= h.created_at
), gaps AS (
    SELECT p.host_id, p.at AS silent_since,
           lead(p.at) OVER (PARTITION BY p.host_id ORDER BY p.at) AS silent_until
      FROM pts p
)
SELECT (g.silent_since AT TIME ZONE s.time_zone)::date AS day,
       h.name AS host,
       h.created_at AS enrolled_at,
       g.silent_since,
       g.silent_until,
       g.silent_until IS NULL AS ongoing,
       round(EXTRACT(epoch FROM COALESCE(g.silent_until, now()) - g.silent_since) / 86400, 2) AS silent_days,
       s.host_silence_days AS threshold_days
  FROM gaps g
  JOIN approval.hosts h ON h.id = g.host_id
 CROSS JOIN approval.report_settings s
 WHERE COALESCE(g.silent_until, now()) - g.silent_since >= make_interval(days => s.host_silence_days);
COMMENT ON VIEW approval.report_host_silence IS
    'Enabled hosts that filed no request for report_settings.host_silence_days or more (module removed or bypassed?)';
COMMENT ON COLUMN approval.report_host_silence.day IS 'Date the silence began, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_host_silence.host IS 'Enrolled host name';
COMMENT ON COLUMN approval.report_host_silence.enrolled_at IS 'When the host was enrolled';
COMMENT ON COLUMN approval.report_host_silence.silent_since IS 'Enrollment or last request before the silence';
COMMENT ON COLUMN approval.report_host_silence.silent_until IS 'First request after the silence; NULL if still silent';
COMMENT ON COLUMN approval.report_host_silence.ongoing IS 'Still silent now';
COMMENT ON COLUMN approval.report_host_silence.silent_days IS 'Length of the silence in days (up to now when ongoing)';
COMMENT ON COLUMN approval.report_host_silence.threshold_days IS 'report_settings.host_silence_days when queried';

-- audit_crosscheck ------------------------------------------------------------
-- The report views read approval.requests, which is not hash-chained. This
-- view proves each request row agrees with the chained log: a request
-- written or changed with the triggers switched off shows up here. Empty
-- means every elevation in the reports is backed by the verified chain.
CREATE VIEW approval.audit_crosscheck AS
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
          WHEN approval.audit_request_context(r) <> c.detail - ARRAY['event_id', 'host', 'status', 'db_user']
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
COMMENT ON VIEW approval.audit_crosscheck IS
    'Requests whose row disagrees with the hash-chained audit_log (empty = reports are backed by the chain)';
COMMENT ON COLUMN approval.audit_crosscheck.day IS 'Date the request was made, in report_settings.time_zone';
COMMENT ON COLUMN approval.audit_crosscheck.problem IS
    'no request.created / context differs / no outcome / outcome differs / decision differs / pending but audit_log has an outcome';

REVOKE ALL ON approval.report_settings FROM PUBLIC;
GRANT SELECT ON approval.report_settings,
    approval.report_elevations, approval.report_decision_latency, approval.report_denied,
    approval.report_expired_unanswered, approval.report_self_approval_attempts,
    approval.report_approver_activity, approval.report_after_hours,
    approval.report_auto_allowed, approval.report_host_silence, approval.audit_crosscheck
    TO approval_auditor, approval_app;
