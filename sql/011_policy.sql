-- 011_policy.sql: policy rules (docs/policy.md) and what they decided.
-- Owns approval.policy_state (the version and the default rule),
-- approval.policy_rules (ordered; removed rules are kept, requests refer to
-- them) and the request columns policy_rule_id, policy_version,
-- policy_action. approvald evaluates the rules on create (approvald/policy.c)
-- and inserts the request already final when a rule says allow or deny.
-- Rules that hold whoever the client is:
--   * a request is decided without a human only at INSERT, only with
--     decided_by NULL and policy_action allow (approved) or deny (denied),
--     and only when the named rule (or, with no rule, the default) has
--     that action; an UPDATE can never make a policy decision (the guard
--     of 001/006 still refuses approved/denied without a known approver);
--   * the policy columns of a request never change;
--   * every change of a rule or of the default bumps the version and is an
--     audit event (policy.rule_added, policy.rule_removed,
--     policy.rule_moved, policy.default_changed) with who made it; every
--     policy decision is one too (policy.allowed, policy.denied), written
--     by the database, so the application role cannot forge them;
--   * approval_app reads the policy and never writes it.
-- Rule text is stored in the canonical form approvalctl writes (it starts
-- with the action word); approvald parses it again on every create.

CREATE TABLE approval.policy_state (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version      bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    default_rule text NOT NULL DEFAULT 'require approvals=1'
                 CHECK (pg_catalog.split_part(default_rule, ' ', 1) IN ('allow', 'deny', 'require')
                        AND pg_catalog.length(default_rule) <= 8192),
    changed_at   timestamptz NOT NULL DEFAULT now(),
    changed_by   text
);
INSERT INTO approval.policy_state DEFAULT VALUES;
COMMENT ON TABLE approval.policy_state IS
    'One row: the policy version (bumped by every rule or default change) and the default rule';

CREATE TABLE approval.policy_rules (
    id          bigserial PRIMARY KEY,
    position    integer NOT NULL CHECK (position > 0),
    rule        text NOT NULL CHECK (pg_catalog.length(rule) BETWEEN 1 AND 8192
                                     AND rule !~ '[\x01-\x1f\x7f]'),
    action      text NOT NULL GENERATED ALWAYS AS (pg_catalog.split_part(rule, ' ', 1)) STORED
                CHECK (action IN ('allow', 'deny', 'require')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT approval.audit_actor(),
    removed_at  timestamptz,
    removed_by  text,
    CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
-- the order of the active rules; removed rules keep their last position
CREATE UNIQUE INDEX policy_rules_position ON approval.policy_rules (position)
    WHERE removed_at IS NULL;
COMMENT ON TABLE approval.policy_rules IS
    'Policy rules in canonical text, tried in position order (active: removed_at IS NULL); first match decides';

ALTER TABLE approval.requests
    ADD COLUMN policy_rule_id bigint REFERENCES approval.policy_rules(id),
    ADD COLUMN policy_version bigint,
    ADD COLUMN policy_action text CHECK (policy_action IN ('allow', 'deny', 'require'));
-- decided by a human, or by a rule at insert (the system marker:
-- decided_by NULL and the matching policy_action)
DO $$
DECLARE
    c text;
BEGIN
    SELECT conname INTO c FROM pg_catalog.pg_constraint
     WHERE conrelid = 'approval.requests'::regclass AND contype = 'c'
       AND pg_catalog.pg_get_constraintdef(oid) LIKE '%decided_by IS NOT NULL%';
    IF c IS NULL THEN
        RAISE EXCEPTION '011_policy: the decided_by check of approval.requests is missing';
    END IF;
    EXECUTE pg_catalog.format('ALTER TABLE approval.requests DROP CONSTRAINT %I', c);
END $$;
ALTER TABLE approval.requests ADD CONSTRAINT requests_decided_by_someone CHECK (
    status NOT IN ('approved', 'denied') OR decided_by IS NOT NULL
    OR (status = 'approved' AND policy_action = 'allow')
    OR (status = 'denied' AND policy_action = 'deny'));

-- The text "policy" in decided_by answers and reports: said once here.
CREATE FUNCTION approval.policy_decider() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT 'policy'::text
$$;

-- INSERT: a final status only from a rule with that action (and an allow or
-- deny verdict only with that final status).
CREATE FUNCTION approval.requests_policy_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    want text;
BEGIN
    IF NOT (COALESCE(NEW.policy_action IN ('allow', 'deny'), false)
            OR (NEW.status IN ('approved', 'denied') AND NEW.decided_by IS NULL)) THEN
        RETURN NEW;	-- pending, or a human's decision (checked as before)
    END IF;
    IF NEW.decided_by IS NOT NULL OR NEW.status NOT IN ('approved', 'denied')
       OR NEW.policy_action IS DISTINCT FROM
          (CASE NEW.status WHEN 'approved' THEN 'allow' ELSE 'deny' END) THEN
        RAISE EXCEPTION 'a policy decision is approved by allow or denied by deny, at insert'
            USING ERRCODE = 'P0007', HINT = 'policy';
    END IF;
    IF NEW.policy_rule_id IS NULL THEN
        SELECT pg_catalog.split_part(s.default_rule, ' ', 1) INTO want
          FROM approval.policy_state s;
    ELSE
        SELECT r.action INTO want FROM approval.policy_rules r WHERE r.id = NEW.policy_rule_id;
    END IF;
    IF want IS DISTINCT FROM NEW.policy_action THEN
        RAISE EXCEPTION 'policy rule % does not say %',
            COALESCE(NEW.policy_rule_id::text, 'default'), NEW.policy_action
            USING ERRCODE = 'P0007', HINT = 'policy';
    END IF;
    NEW.decided_at := pg_catalog.clock_timestamp();
    RETURN NEW;
END $$;
CREATE TRIGGER requests_policy_insert BEFORE INSERT ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_policy_insert();

-- requests_role_check (005) lets a policy decision made at insert through;
-- everything else as before.
CREATE OR REPLACE FUNCTION approval.requests_decider_role() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    a approval.approvers;
BEGIN
    IF NEW.status NOT IN ('approved', 'denied')
       OR (TG_OP = 'UPDATE' AND NEW.status = OLD.status) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' AND NEW.decided_by IS NULL
       AND NEW.policy_action IN ('allow', 'deny') THEN
        RETURN NEW;	-- checked by requests_policy_insert
    END IF;
    SELECT * INTO a FROM approval.approvers x WHERE x.id = NEW.decided_by;
    IF NOT FOUND OR NOT a.enabled OR a.revoked_at IS NOT NULL
       OR NOT (a.roles && ARRAY['approver', 'admin']::text[]) THEN
        RAISE EXCEPTION 'approver % may not decide requests', COALESCE(a.login, NEW.decided_by::text)
            USING ERRCODE = '42501', HINT = 'forbidden';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION approval.requests_policy_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NEW.policy_rule_id IS DISTINCT FROM OLD.policy_rule_id
       OR NEW.policy_version IS DISTINCT FROM OLD.policy_version
       OR NEW.policy_action IS DISTINCT FROM OLD.policy_action THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id
            USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_policy_guard BEFORE UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_policy_guard();

-- After "created" (requests_events fires first, by name): the decision
-- event, actor "policy", and the audit row naming rule and version.
CREATE FUNCTION approval.requests_policy_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    rule_text text;
    host_name text;
BEGIN
    IF NEW.status NOT IN ('approved', 'denied') OR NEW.decided_by IS NOT NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO approval.request_events (request_id, kind, actor, detail)
        VALUES (NEW.id, NEW.status, approval.policy_decider(), NEW.decision_comment);
    IF NEW.policy_rule_id IS NULL THEN
        SELECT s.default_rule INTO rule_text FROM approval.policy_state s;
    ELSE
        SELECT r.rule INTO rule_text FROM approval.policy_rules r WHERE r.id = NEW.policy_rule_id;
    END IF;
    SELECT h.name INTO host_name FROM approval.hosts h WHERE h.id = NEW.host_id;
    PERFORM approval.audit_record(
        CASE NEW.status WHEN 'approved' THEN 'policy.allowed' ELSE 'policy.denied' END,
        approval.policy_decider(), NEW.code, NEW.id, pg_catalog.jsonb_build_object(
            'rule_id', NEW.policy_rule_id, 'policy_version', NEW.policy_version,
            'rule', rule_text, 'host', host_name, 'requester', NEW.requester,
            'target_user', NEW.target_user, 'service', NEW.service,
            'message', NEW.decision_comment));
    PERFORM pg_catalog.pg_notify('approval_events', NEW.id::text || ' ' || NEW.status);
    RETURN NULL;
END $$;
CREATE TRIGGER requests_policy_event AFTER INSERT ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_policy_event();

-- Rule and default changes: version + 1 and an audit row, in the same
-- transaction. Rules are never deleted (requests refer to them).
CREATE FUNCTION approval.policy_rules_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    who text := approval.audit_actor();
    v bigint;
    k text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'policy rules are history and are never deleted (remove them)'
            USING ERRCODE = 'P0005';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.rule <> OLD.rule OR NEW.id <> OLD.id
        OR NEW.created_at <> OLD.created_at OR NEW.created_by <> OLD.created_by
        OR OLD.removed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'policy rule % is immutable (remove it and add another)', OLD.id
            USING ERRCODE = 'P0003';
    END IF;
    IF TG_OP = 'INSERT' THEN
        k := 'policy.rule_added';
    ELSIF NEW.removed_at IS NOT NULL THEN
        k := 'policy.rule_removed';
    ELSIF NEW.position <> OLD.position THEN
        k := 'policy.rule_moved';
    ELSE
        RETURN NULL;
    END IF;
    UPDATE approval.policy_state s SET version = s.version + 1,
           changed_at = pg_catalog.now(), changed_by = who
     RETURNING s.version INTO v;
    PERFORM approval.audit_record(k, who, 'rule ' || NEW.id, NULL,
        pg_catalog.jsonb_build_object('rule_id', NEW.id, 'rule', NEW.rule,
            'position', NEW.position, 'old_position',
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.position END,
            'policy_version', v));
    RETURN NULL;
END $$;
CREATE TRIGGER policy_rules_audit AFTER INSERT OR UPDATE OR DELETE ON approval.policy_rules
    FOR EACH ROW EXECUTE FUNCTION approval.policy_rules_audit();
CREATE TRIGGER policy_rules_no_truncate BEFORE TRUNCATE ON approval.policy_rules
    FOR EACH STATEMENT EXECUTE FUNCTION approval.requests_forbid_delete();

CREATE FUNCTION approval.policy_state_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the policy state row is never deleted' USING ERRCODE = 'P0005';
    END IF;
    IF NEW.default_rule IS DISTINCT FROM OLD.default_rule THEN
        NEW.version := OLD.version + 1;
        NEW.changed_at := pg_catalog.now();
        NEW.changed_by := approval.audit_actor();
        PERFORM approval.audit_record('policy.default_changed', NEW.changed_by, 'default', NULL,
            pg_catalog.jsonb_build_object('old', OLD.default_rule, 'new', NEW.default_rule,
                'policy_version', NEW.version));
    ELSIF NEW.version < OLD.version THEN
        RAISE EXCEPTION 'the policy version never goes back' USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER policy_state_audit BEFORE UPDATE OR DELETE ON approval.policy_state
    FOR EACH ROW EXECUTE FUNCTION approval.policy_state_audit();

-- report_elevations (and report_denied over it): a rule's decision shows
-- "policy" as decided_by. Otherwise the body of 010, unchanged.
CREATE OR REPLACE VIEW approval.report_elevations AS
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
       COALESCE(a.login, CASE WHEN r.decided_by IS NULL AND r.status IN ('approved', 'denied')
                              THEN approval.policy_decider() END) AS decided_by,
       r.decision_comment,
       CASE WHEN r.status IN ('approved', 'denied')
            THEN round(EXTRACT(epoch FROM r.decided_at - r.created_at), 3) END
           AS decision_latency_seconds,
       r.initiator,
       r.agent AS reported_agent,
       r.run_url AS reported_run_url,
       r.commit_ref AS reported_commit,
       r.prompt AS reported_prompt,
       approval.ancestry_chain(r.ancestry) AS observed_ancestry,
       r.loginuid AS observed_loginuid,
       r.audit_session AS observed_audit_session,
       r.tty_attached AS observed_tty_attached,
       r.observed_note
  FROM approval.requests r
  JOIN approval.hosts h ON h.id = r.host_id
  LEFT JOIN approval.approvers a ON a.id = r.decided_by
 CROSS JOIN approval.report_settings s;
COMMENT ON COLUMN approval.report_elevations.decided_by IS
    'Login of the approver who approved or denied, "policy" when a policy rule decided; NULL otherwise';

-- report_auto_allowed: now with rows (same columns as 003).
CREATE OR REPLACE VIEW approval.report_auto_allowed AS
SELECT (r.created_at AT TIME ZONE s.time_zone)::date AS day,
       r.created_at,
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
       r.reason,
       r.ticket,
       ('version ' || r.policy_version::text) AS policy,
       COALESCE('#' || p.id::text || ' ' || p.rule, 'default') AS rule
  FROM approval.requests r
  JOIN approval.hosts h ON h.id = r.host_id
  LEFT JOIN approval.policy_rules p ON p.id = r.policy_rule_id
 CROSS JOIN approval.report_settings s
 WHERE r.status = 'approved' AND r.decided_by IS NULL AND r.policy_action = 'allow';
COMMENT ON VIEW approval.report_auto_allowed IS
    'Requests a policy rule allowed without a human; one row per request';
COMMENT ON COLUMN approval.report_auto_allowed.policy IS 'Policy version that was in force ("version N")';
COMMENT ON COLUMN approval.report_auto_allowed.rule IS 'The rule that matched: "#ID rule text", or "default"';

GRANT SELECT ON approval.policy_state, approval.policy_rules TO approval_app, approval_auditor;
REVOKE ALL ON FUNCTION approval.requests_policy_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.requests_policy_event() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.policy_rules_audit() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.policy_state_audit() FROM PUBLIC;
