-- 022_crosscheck_cancel_reason.sql: approval.audit_crosscheck compares a
-- request's cancel_reason with the chained log.
--
-- Since sql/018 the audit row of a request.cancelled or request.expired
-- event carries the request's cancel_reason (interrupted, timeout,
-- unspecified, expired), but the crosscheck did not compare it: a
-- superuser who rewrote approval.requests.cancel_reason with the triggers
-- off (a module's timeout told as a Ctrl-C) left the reports disagreeing
-- with the chain unnoticed. The view is 016's with one more problem,
-- "cancel_reason differs from audit_log", for an outcome row that has the
-- key; rows written before sql/018 have none (the chain proves which keys
-- a row had) and are not compared on it.
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
          THEN 'decision differs from audit_log'
          WHEN o.detail ? 'cancel_reason'
           AND o.detail->>'cancel_reason' IS DISTINCT FROM r.cancel_reason
          THEN 'cancel_reason differs from audit_log' END)
 ) AS p(problem)
 WHERE p.problem IS NOT NULL;

COMMENT ON COLUMN approval.audit_crosscheck.problem IS
    'no request.created / context differs / no outcome / outcome differs / decision differs / cancel_reason differs / pending but audit_log has an outcome';
