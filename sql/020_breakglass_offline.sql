-- 020_breakglass_offline.sql: offline break-glass codes (docs/policy.md,
-- "Offline break-glass codes").
--   * breakglass_codes: every code `approvalctl breakglass issue HOST`
--     made, by id (never the code: the host's file keeps a salted hash,
--     nothing here can be used to get in). Issuance is audited
--     (breakglass.code_issued) before the code is ever shown.
--   * breakglass_offline_uses: a use the module reported after approvald
--     came back (POST /v1/breakglass/uses through
--     approval.breakglass_offline_report, idempotent on the code id; only
--     the host the code was issued to may report it). Each is a critical
--     audit event (breakglass.offline_used, detail severity "critical")
--     and a NOTIFY approval_breakglass with payload "offline CODE-ID".
--   * breakglass_offline_reviews: an approver closes it like a rule's
--     break-glass (not the requester, with a comment, once; audited
--     breakglass.reviewed).
--   * report_breakglass keeps its columns and adds kind ('rule' or
--     'offline') and reported_at, with one row per offline use.
-- Nothing here is ever updated or deleted.

CREATE TABLE approval.breakglass_codes (
    id           text PRIMARY KEY CHECK (id ~ '^BG-[0-9A-HJKMNP-TV-Z]{8}$'),
    host_id      bigint NOT NULL REFERENCES approval.hosts(id),
    issued_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    issued_by    text NOT NULL DEFAULT session_user,
    issued_by_os text CHECK (issued_by_os IS NULL OR pg_catalog.length(issued_by_os) <= 256)
);
COMMENT ON TABLE approval.breakglass_codes IS
    'Offline break-glass codes issued per host (ids only; the host keeps a salted hash)';
COMMENT ON COLUMN approval.breakglass_codes.issued_by_os IS
    'the unix user approvalctl ran as, as it reported';

CREATE TABLE approval.breakglass_offline_uses (
    code_id     text PRIMARY KEY REFERENCES approval.breakglass_codes(id),
    host_id     bigint NOT NULL REFERENCES approval.hosts(id),
    requester   text NOT NULL CHECK (pg_catalog.length(requester) BETWEEN 1 AND 512),
    target_user text NOT NULL CHECK (pg_catalog.length(target_user) BETWEEN 1 AND 512),
    service     text NOT NULL CHECK (pg_catalog.length(service) BETWEEN 1 AND 512),
    command     text NOT NULL CHECK (pg_catalog.length(command) <= 1024),
    digest      text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    used_at     timestamptz NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE approval.breakglass_offline_uses IS
    'Uses of offline break-glass codes as the host reported them (used_at is the host''s clock)';

CREATE TABLE approval.breakglass_offline_reviews (
    code_id     text PRIMARY KEY REFERENCES approval.breakglass_offline_uses(code_id),
    approver_id bigint NOT NULL REFERENCES approval.approvers(id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    comment     text NOT NULL CHECK (pg_catalog.length(pg_catalog.btrim(comment))
                                     BETWEEN 1 AND 2048)
);
COMMENT ON TABLE approval.breakglass_offline_reviews IS
    'The approver review that closes an offline break-glass use (none: it needs review)';

CREATE FUNCTION approval.breakglass_offline_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    RAISE EXCEPTION '% is history and never changes', TG_TABLE_NAME USING ERRCODE = 'P0005';
END $$;
CREATE TRIGGER breakglass_codes_immutable BEFORE UPDATE OR DELETE ON approval.breakglass_codes
    FOR EACH ROW EXECUTE FUNCTION approval.breakglass_offline_immutable();
CREATE TRIGGER breakglass_codes_no_truncate BEFORE TRUNCATE ON approval.breakglass_codes
    FOR EACH STATEMENT EXECUTE FUNCTION approval.breakglass_offline_immutable();
CREATE TRIGGER breakglass_offline_uses_immutable BEFORE UPDATE OR DELETE
    ON approval.breakglass_offline_uses
    FOR EACH ROW EXECUTE FUNCTION approval.breakglass_offline_immutable();
CREATE TRIGGER breakglass_offline_uses_no_truncate BEFORE TRUNCATE
    ON approval.breakglass_offline_uses
    FOR EACH STATEMENT EXECUTE FUNCTION approval.breakglass_offline_immutable();
CREATE TRIGGER breakglass_offline_reviews_no_truncate BEFORE TRUNCATE
    ON approval.breakglass_offline_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION approval.breakglass_offline_immutable();

-- issuance: who (database role, and the unix user approvalctl named)
CREATE FUNCTION approval.breakglass_code_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    host_name text;
BEGIN
    NEW.issued_at := pg_catalog.clock_timestamp();
    NEW.issued_by := session_user::text;
    SELECT h.name INTO host_name FROM approval.hosts h WHERE h.id = NEW.host_id;
    PERFORM approval.audit_record('breakglass.code_issued', NEW.issued_by, NEW.id, NULL,
        pg_catalog.jsonb_build_object('host', host_name, 'issued_by_os', NEW.issued_by_os,
            'severity', 'warning'));
    RETURN NEW;
END $$;
CREATE TRIGGER breakglass_code_audit BEFORE INSERT ON approval.breakglass_codes
    FOR EACH ROW EXECUTE FUNCTION approval.breakglass_code_audit();

-- a use: a critical event, and a NOTIFY like a rule's break-glass
CREATE FUNCTION approval.breakglass_offline_use_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    host_name text;
BEGIN
    SELECT h.name INTO host_name FROM approval.hosts h WHERE h.id = NEW.host_id;
    PERFORM approval.audit_record('breakglass.offline_used', NEW.requester, NEW.code_id, NULL,
        pg_catalog.jsonb_build_object('severity', 'critical', 'host', host_name,
            'requester', NEW.requester, 'target_user', NEW.target_user,
            'service', NEW.service, 'command', NEW.command, 'digest', NEW.digest,
            'used_at', pg_catalog.to_char(NEW.used_at AT TIME ZONE 'UTC',
                                          'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')));
    PERFORM pg_catalog.pg_notify('approval_breakglass', 'offline ' || NEW.code_id);
    RETURN NULL;
END $$;
CREATE TRIGGER breakglass_offline_use_audit AFTER INSERT ON approval.breakglass_offline_uses
    FOR EACH ROW EXECUTE FUNCTION approval.breakglass_offline_use_audit();

-- The one way approvald records a use: 'recorded' (new), 'repeated' (this
-- code's use is on record already: the first report stands), 'unknown'
-- (no such code issued to this host).
CREATE FUNCTION approval.breakglass_offline_report(p_host_id bigint, p_code_id text,
    p_requester text, p_target_user text, p_service text, p_command text,
    p_digest text, p_used_at bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    PERFORM 1 FROM approval.breakglass_codes c
     WHERE c.id = p_code_id AND c.host_id = p_host_id;
    IF NOT FOUND THEN
        RETURN 'unknown';
    END IF;
    INSERT INTO approval.breakglass_offline_uses (code_id, host_id, requester,
        target_user, service, command, digest, used_at)
    VALUES (p_code_id, p_host_id, p_requester, p_target_user, p_service, p_command,
            p_digest, pg_catalog.to_timestamp(p_used_at::double precision))
    ON CONFLICT (code_id) DO NOTHING;
    IF FOUND THEN
        RETURN 'recorded';
    END IF;
    RETURN 'repeated';
END $$;

CREATE FUNCTION approval.breakglass_offline_review_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    u approval.breakglass_offline_uses;
    a approval.approvers;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'break-glass reviews never change' USING ERRCODE = 'P0005';
    END IF;
    SELECT * INTO u FROM approval.breakglass_offline_uses x WHERE x.code_id = NEW.code_id;
    SELECT * INTO a FROM approval.approvers x WHERE x.id = NEW.approver_id;
    IF NOT FOUND OR NOT a.enabled OR a.revoked_at IS NOT NULL
       OR NOT (a.roles && ARRAY['approver', 'admin']::text[]) THEN
        RAISE EXCEPTION 'approver % may not review break-glass', COALESCE(a.login, NEW.approver_id::text)
            USING ERRCODE = '42501', HINT = 'forbidden';
    END IF;
    IF pg_catalog.lower(a.login) = pg_catalog.lower(u.requester)
       OR pg_catalog.lower(u.requester) = ANY (SELECT pg_catalog.lower(x)
                                               FROM pg_catalog.unnest(a.unix_logins) x) THEN
        RAISE EXCEPTION 'approver % may not review their own break-glass', a.login
            USING ERRCODE = 'P0001', HINT = 'self_approval';
    END IF;
    NEW.at := pg_catalog.clock_timestamp();
    RETURN NEW;
END $$;
CREATE TRIGGER breakglass_offline_review_check BEFORE INSERT OR UPDATE OR DELETE
    ON approval.breakglass_offline_reviews
    FOR EACH ROW EXECUTE FUNCTION approval.breakglass_offline_review_check();

CREATE FUNCTION approval.breakglass_offline_review_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    who text;
BEGIN
    SELECT a.login INTO who FROM approval.approvers a WHERE a.id = NEW.approver_id;
    PERFORM approval.audit_record('breakglass.reviewed', who, NEW.code_id, NULL,
        pg_catalog.jsonb_build_object('comment', NEW.comment, 'kind', 'offline'));
    RETURN NULL;
END $$;
CREATE TRIGGER breakglass_offline_review_audit AFTER INSERT ON approval.breakglass_offline_reviews
    FOR EACH ROW EXECUTE FUNCTION approval.breakglass_offline_review_audit();

-- 013's view, its columns unchanged, with the offline uses added and two
-- columns at the end.
CREATE OR REPLACE VIEW approval.report_breakglass AS
SELECT (r.created_at AT TIME ZONE s.time_zone)::date AS day,
       r.created_at,
       r.id AS request_id,
       r.code,
       h.name AS host,
       r.requester,
       r.target_user,
       r.service,
       r.command,
       r.sudo_command,
       r.reason,
       r.ticket,
       COALESCE('#' || p.id::text || ' ' || p.rule, 'default') AS rule,
       CASE WHEN v.request_id IS NULL THEN 'needs review' ELSE 'closed' END AS review,
       a.login AS reviewed_by,
       v.at AS reviewed_at,
       v.comment AS review_comment,
       'rule'::text AS kind,
       NULL::timestamptz AS reported_at
  FROM approval.requests r
  JOIN approval.hosts h ON h.id = r.host_id
  LEFT JOIN approval.policy_rules p ON p.id = r.policy_rule_id
  LEFT JOIN approval.breakglass_reviews v ON v.request_id = r.id
  LEFT JOIN approval.approvers a ON a.id = v.approver_id
 CROSS JOIN approval.report_settings s
 WHERE r.policy_action = 'breakglass'
UNION ALL
SELECT (u.used_at AT TIME ZONE s.time_zone)::date,
       u.used_at,
       NULL::uuid,
       u.code_id,
       h.name,
       u.requester,
       u.target_user,
       u.service,
       u.command,
       NULL::text,
       NULL::text,
       NULL::text,
       'offline code issued ' || pg_catalog.to_char(c.issued_at AT TIME ZONE 'UTC',
           'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' by ' || c.issued_by,
       CASE WHEN v.code_id IS NULL THEN 'needs review' ELSE 'closed' END,
       a.login,
       v.at,
       v.comment,
       'offline'::text,
       u.reported_at
  FROM approval.breakglass_offline_uses u
  JOIN approval.breakglass_codes c ON c.id = u.code_id
  JOIN approval.hosts h ON h.id = u.host_id
  LEFT JOIN approval.breakglass_offline_reviews v ON v.code_id = u.code_id
  LEFT JOIN approval.approvers a ON a.id = v.approver_id
 CROSS JOIN approval.report_settings s;
COMMENT ON VIEW approval.report_breakglass IS
    'Every break-glass elevation (a breakglass rule, or an offline code), its reason and whether an approver has reviewed it';
COMMENT ON COLUMN approval.report_breakglass.review IS '"needs review" until an approver closes it, then "closed"';
COMMENT ON COLUMN approval.report_breakglass.kind IS '"rule" (a breakglass rule, approvald reachable) or "offline" (a one-time code, approvald unreachable)';
COMMENT ON COLUMN approval.report_breakglass.reported_at IS 'offline: when the host reported the use (created_at is the host''s clock at the use)';

GRANT SELECT ON approval.breakglass_codes, approval.breakglass_offline_uses,
    approval.breakglass_offline_reviews TO approval_app, approval_auditor;
GRANT INSERT ON approval.breakglass_offline_reviews TO approval_app;
GRANT EXECUTE ON FUNCTION approval.breakglass_offline_report(bigint, text, text, text,
    text, text, text, bigint) TO approval_app;
REVOKE ALL ON FUNCTION approval.breakglass_offline_report(bigint, text, text, text,
    text, text, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.breakglass_code_audit() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.breakglass_offline_use_audit() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.breakglass_offline_review_audit() FROM PUBLIC;
