-- 013_policy_groups.sql: approver groups and N-of-M approvals, host groups
-- (docs/policy.md). Owns approval.approver_groups, approval.group_members,
-- approval.host_groups, approval.host_group_members, approval.approvals
-- (one row per approver who approved a request) and the request columns
-- approvals_required and approver_groups.
-- Rules that hold whoever the client is:
--   * a request that needs N approvals becomes approved only when N
--     distinct approvers approved it: an UPDATE to 'approved' records one
--     approval (approval.approvals) and leaves the request pending until
--     the N-th; a second approval by the same approver is refused (P0008,
--     HINT already_approved); the requester never counts (the self-approval
--     rule of 001/006 refuses them before this runs);
--   * when a request names approver groups, only a member of one of them
--     may approve or deny it (42501, HINT not_in_group);
--   * a require rule's approvals= and groups= are the request's: an INSERT
--     naming rule R stores at least R's N and exactly R's groups;
--   * a rule naming an unknown group, or asking for more approvals than
--     its groups have members, is refused when it is added (P0009);
--   * approvals_required and approver_groups never change, approvals are
--     never updated or deleted;
--   * every group and membership change is an audit event with who made it
--     (group.added, group.member_added, group.member_removed,
--     host_group.added, host_group.member_added, host_group.member_removed)
--     and bumps the policy version;
--   * approval_app reads groups and approvals and writes neither.

CREATE TABLE approval.approver_groups (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT approval.audit_actor()
);
CREATE TABLE approval.group_members (
    group_id    bigint NOT NULL REFERENCES approval.approver_groups(id),
    approver_id bigint NOT NULL REFERENCES approval.approvers(id),
    added_at    timestamptz NOT NULL DEFAULT now(),
    added_by    text NOT NULL DEFAULT approval.audit_actor(),
    PRIMARY KEY (group_id, approver_id)
);
CREATE TABLE approval.host_groups (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT approval.audit_actor()
);
CREATE TABLE approval.host_group_members (
    group_id    bigint NOT NULL REFERENCES approval.host_groups(id),
    host_id     bigint NOT NULL REFERENCES approval.hosts(id),
    added_at    timestamptz NOT NULL DEFAULT now(),
    added_by    text NOT NULL DEFAULT approval.audit_actor(),
    PRIMARY KEY (group_id, host_id)
);
COMMENT ON TABLE approval.approver_groups IS 'Named sets of approvers a require rule can name (groups=)';
COMMENT ON TABLE approval.host_groups IS 'Named sets of enrolled hosts a rule can match (host=@NAME)';

CREATE TABLE approval.approvals (
    request_id  uuid NOT NULL REFERENCES approval.requests(id),
    approver_id bigint NOT NULL REFERENCES approval.approvers(id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    comment     text,
    PRIMARY KEY (request_id, approver_id)
);
COMMENT ON TABLE approval.approvals IS
    'One row per distinct approver who approved a request; the N-th makes it approved';

ALTER TABLE approval.requests
    ADD COLUMN approvals_required integer NOT NULL DEFAULT 1
        CHECK (approvals_required BETWEEN 1 AND 99),
    ADD COLUMN approver_groups text[] NOT NULL DEFAULT '{}',
    ADD COLUMN grace_of uuid REFERENCES approval.requests(id),
    ADD COLUMN chat_decisions boolean NOT NULL DEFAULT true,
    ADD COLUMN requester_groups text;
COMMENT ON COLUMN approval.requests.requester_groups IS
    'The unix groups of the requester''s account as the module read them (getgrouplist), "a,b"; group= rules match them';
COMMENT ON COLUMN approval.requests.grace_of IS
    'Approved at create by a grace= window: the human-approved request whose approval this reuses';
COMMENT ON COLUMN approval.requests.chat_decisions IS
    'false when the rule said chat=no: decide in the web UI or CLI only, never from a chat button';

ALTER TABLE approval.request_events DROP CONSTRAINT request_events_kind_check;
ALTER TABLE approval.request_events ADD CONSTRAINT request_events_kind_check
    CHECK (kind IN ('created', 'approved', 'denied', 'expired', 'cancelled',
                    'self_approval_refused', 'approval_given'));

-- The approvals= and groups= of a require rule's canonical text (policy.c
-- writes them first, in this order, bare).
CREATE FUNCTION approval.rule_approvals(rule text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT COALESCE(pg_catalog.substring(rule, '^require approvals=([0-9]+)')::integer, 1)
$$;
CREATE FUNCTION approval.rule_groups(rule text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT COALESCE(pg_catalog.string_to_array(pg_catalog.substring(rule,
        '^require approvals=[0-9]+ groups=([a-z0-9_,-]+)'), ','), '{}'::text[])
$$;

-- Distinct enabled approvers with a deciding role in any of groups.
CREATE FUNCTION approval.group_deciders(groups text[]) RETURNS bigint
LANGUAGE sql STABLE SET search_path = '' AS $$
    SELECT pg_catalog.count(DISTINCT m.approver_id)
      FROM approval.group_members m
      JOIN approval.approver_groups g ON g.id = m.group_id
      JOIN approval.approvers a ON a.id = m.approver_id
     WHERE g.name = ANY (groups) AND a.enabled AND a.revoked_at IS NULL
       AND a.roles && ARRAY['approver', 'admin']::text[]
$$;

-- grace= of a require rule's canonical text in seconds (policy.c writes
-- durations as Ns), 0 when none.
CREATE FUNCTION approval.rule_grace(rule text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT CASE WHEN rule LIKE 'require %'
                THEN COALESCE(pg_catalog.substring(rule, ' grace=([0-9]+)s( |$)')::integer, 0)
                ELSE 0 END
$$;

-- A rule (or the default): its groups exist and hold N deciders, its
-- time zone is one PostgreSQL knows.
CREATE FUNCTION approval.rule_groups_check(rule text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = '' AS $$
DECLARE
    gs text[] := approval.rule_groups(rule);
    g text;
    n integer := approval.rule_approvals(rule);
    have bigint;
    tz text := pg_catalog.substring(rule, ' tz=([A-Za-z0-9/_+-]+)( |$)');
BEGIN
    IF tz IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names z
                                      WHERE z.name = tz) THEN
        RAISE EXCEPTION 'unknown time zone %', tz
            USING ERRCODE = 'P0009', HINT = 'policy_groups';
    END IF;
    FOREACH g IN ARRAY gs LOOP
        IF NOT EXISTS (SELECT 1 FROM approval.approver_groups x WHERE x.name = g) THEN
            RAISE EXCEPTION 'unknown approver group %', g
                USING ERRCODE = 'P0009', HINT = 'policy_groups';
        END IF;
    END LOOP;
    IF pg_catalog.cardinality(gs) > 0 THEN
        have := approval.group_deciders(gs);
        IF have < n THEN
            RAISE EXCEPTION 'the rule needs % approvals but groups % have % member(s) who may decide',
                n, pg_catalog.array_to_string(gs, ','), have
                USING ERRCODE = 'P0009', HINT = 'policy_groups';
        END IF;
    ELSIF n > 1 AND (SELECT pg_catalog.count(*) FROM approval.approvers a WHERE a.enabled
                     AND a.revoked_at IS NULL
                     AND a.roles && ARRAY['approver', 'admin']::text[]) < n THEN
        RAISE EXCEPTION 'the rule needs % approvals but fewer approvers may decide', n
            USING ERRCODE = 'P0009', HINT = 'policy_groups';
    END IF;
END $$;

CREATE FUNCTION approval.policy_rules_groups_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF TG_TABLE_NAME = 'policy_state' THEN
        IF NEW.default_rule IS DISTINCT FROM OLD.default_rule THEN
            PERFORM approval.rule_groups_check(NEW.default_rule);
        END IF;
    ELSE
        PERFORM approval.rule_groups_check(NEW.rule);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER policy_rules_groups_check BEFORE INSERT ON approval.policy_rules
    FOR EACH ROW EXECUTE FUNCTION approval.policy_rules_groups_check();
CREATE TRIGGER policy_state_groups_check BEFORE UPDATE ON approval.policy_state
    FOR EACH ROW EXECUTE FUNCTION approval.policy_rules_groups_check();

-- INSERT: a pending request carries its rule's N (at least) and groups.
CREATE FUNCTION approval.requests_quorum_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    rule_text text;
BEGIN
    IF NEW.policy_action IS DISTINCT FROM 'require' THEN
        RETURN NEW;
    END IF;
    IF NEW.policy_rule_id IS NULL THEN
        SELECT s.default_rule INTO rule_text FROM approval.policy_state s;
    ELSE
        SELECT r.rule INTO rule_text FROM approval.policy_rules r WHERE r.id = NEW.policy_rule_id;
    END IF;
    IF rule_text IS NULL OR NEW.approvals_required < approval.rule_approvals(rule_text)
       OR NEW.approver_groups IS DISTINCT FROM approval.rule_groups(rule_text) THEN
        RAISE EXCEPTION 'request approvals/groups differ from policy rule %',
            COALESCE(NEW.policy_rule_id::text, 'default')
            USING ERRCODE = 'P0007', HINT = 'policy';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_quorum_insert BEFORE INSERT ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_quorum_insert();

-- The same elevation for a grace window: host, requester, target, service,
-- the whole command (its length and hash when the module reported them),
-- sudo's command and the cwd. Not the digest: it binds per-run context
-- (ancestry pids, audit session, nonce) that differs on every run.
CREATE FUNCTION approval.same_elevation(a approval.requests, b approval.requests)
RETURNS boolean LANGUAGE sql IMMUTABLE SET search_path = '' AS $$
    SELECT a.host_id = b.host_id AND a.requester = b.requester
       AND a.target_user = b.target_user AND a.service = b.service
       AND a.command = b.command AND a.command_sha256 IS NOT DISTINCT FROM b.command_sha256
       AND a.command_length IS NOT DISTINCT FROM b.command_length
       AND a.sudo_command IS NOT DISTINCT FROM b.sudo_command
       AND a.sudo_command_sha256 IS NOT DISTINCT FROM b.sudo_command_sha256
       AND a.cwd IS NOT DISTINCT FROM b.cwd
$$;

-- INSERT approved by a grace window: only for a rule with grace=, reusing
-- a human's approval (not another reuse) of the same elevation, decided
-- within the window, by the same approver.
CREATE FUNCTION approval.requests_grace_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    g integer;
    o approval.requests;
BEGIN
    IF NEW.grace_of IS NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.policy_rule_id IS NULL THEN
        SELECT approval.rule_grace(s.default_rule) INTO g FROM approval.policy_state s;
    ELSE
        SELECT approval.rule_grace(r.rule) INTO g FROM approval.policy_rules r
         WHERE r.id = NEW.policy_rule_id;
    END IF;
    SELECT * INTO o FROM approval.requests x WHERE x.id = NEW.grace_of;
    IF NEW.status <> 'approved' OR NEW.policy_action IS DISTINCT FROM 'require'
       OR COALESCE(g, 0) = 0 OR o.id IS NULL OR o.status <> 'approved'
       OR o.decided_by IS NULL OR o.grace_of IS NOT NULL
       OR NOT approval.same_elevation(o, NEW)
       OR o.decided_at < pg_catalog.now() - g * interval '1 second'
       OR NEW.decided_by IS DISTINCT FROM o.decided_by THEN
        RAISE EXCEPTION 'no grace window lets request % reuse %', NEW.code, NEW.grace_of
            USING ERRCODE = 'P0007', HINT = 'policy';
    END IF;
    NEW.decided_at := pg_catalog.clock_timestamp();
    NEW.decision_comment := 'grace window: reuses the approval of ' || o.code;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_grace_insert BEFORE INSERT ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_grace_insert();

-- ... recorded as such: its "approved" event (actor policy, the comment
-- naming the reused request) and a policy.grace_reused audit row.
CREATE FUNCTION approval.requests_grace_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    o approval.requests;
    who text;
BEGIN
    IF NEW.grace_of IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO o FROM approval.requests x WHERE x.id = NEW.grace_of;
    SELECT a.login INTO who FROM approval.approvers a WHERE a.id = NEW.decided_by;
    INSERT INTO approval.request_events (request_id, kind, actor, detail)
        VALUES (NEW.id, 'approved', approval.policy_decider(), NEW.decision_comment);
    PERFORM approval.audit_record('policy.grace_reused', approval.policy_decider(), NEW.code,
        NEW.id, pg_catalog.jsonb_build_object('rule_id', NEW.policy_rule_id,
            'policy_version', NEW.policy_version, 'reuses', o.code,
            'reuses_id', o.id, 'approved_by', who, 'requester', NEW.requester,
            'target_user', NEW.target_user, 'command', NEW.command));
    PERFORM pg_catalog.pg_notify('approval_events', NEW.id::text || ' approved');
    RETURN NULL;
END $$;
CREATE TRIGGER requests_grace_event AFTER INSERT ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_grace_event();

-- UPDATE to approved or denied: the group rule, then the tally. Named to
-- run after every other BEFORE UPDATE trigger (names run in order), so
-- final-is-final, self-approval and the role rule have refused first.
CREATE FUNCTION approval.requests_tally() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    n bigint;
    who text;
BEGIN
    IF NEW.approvals_required <> OLD.approvals_required
       OR NEW.approver_groups IS DISTINCT FROM OLD.approver_groups
       OR NEW.grace_of IS DISTINCT FROM OLD.grace_of
       OR NEW.chat_decisions <> OLD.chat_decisions
       OR NEW.requester_groups IS DISTINCT FROM OLD.requester_groups THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id USING ERRCODE = 'P0003';
    END IF;
    IF OLD.status <> 'pending' OR NEW.status NOT IN ('approved', 'denied') THEN
        RETURN NEW;
    END IF;
    SELECT a.login INTO who FROM approval.approvers a WHERE a.id = NEW.decided_by;
    IF pg_catalog.cardinality(OLD.approver_groups) > 0 AND NOT EXISTS (
        SELECT 1 FROM approval.group_members m
          JOIN approval.approver_groups g ON g.id = m.group_id
         WHERE m.approver_id = NEW.decided_by AND g.name = ANY (OLD.approver_groups)) THEN
        RAISE EXCEPTION 'approver % is not in group %', who,
            pg_catalog.array_to_string(OLD.approver_groups, ' or ')
            USING ERRCODE = '42501', HINT = 'not_in_group';
    END IF;
    IF NEW.status = 'denied' THEN
        RETURN NEW;	-- a single deny ends the request
    END IF;
    BEGIN
        INSERT INTO approval.approvals (request_id, approver_id, comment)
            VALUES (OLD.id, NEW.decided_by, NEW.decision_comment);
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'approver % already approved request %', who, OLD.id
            USING ERRCODE = 'P0008', HINT = 'already_approved';
    END;
    SELECT pg_catalog.count(*) INTO n FROM approval.approvals p WHERE p.request_id = OLD.id;
    IF n >= OLD.approvals_required THEN
        RETURN NEW;
    END IF;
    INSERT INTO approval.request_events (request_id, kind, actor, detail)
        VALUES (OLD.id, 'approval_given', who,
                n::text || ' of ' || OLD.approvals_required::text);
    PERFORM pg_catalog.pg_notify('approval_events', OLD.id::text || ' pending');
    NEW.status := 'pending';
    NEW.decided_by := NULL;
    NEW.decided_at := NULL;
    NEW.decision_comment := OLD.decision_comment;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_tally BEFORE UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_tally();

CREATE FUNCTION approval.approvals_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    RAISE EXCEPTION 'approvals are history and never change' USING ERRCODE = 'P0005';
END $$;
CREATE TRIGGER approvals_immutable BEFORE UPDATE OR DELETE ON approval.approvals
    FOR EACH ROW EXECUTE FUNCTION approval.approvals_immutable();
CREATE TRIGGER approvals_no_truncate BEFORE TRUNCATE ON approval.approvals
    FOR EACH STATEMENT EXECUTE FUNCTION approval.approvals_immutable();

-- "needs 2 of dba, 1 given by alice": what approvers see (UI, CLI).
CREATE FUNCTION approval.quorum_text(req uuid) RETURNS text
LANGUAGE sql STABLE SET search_path = '' AS $$
    SELECT 'needs ' || r.approvals_required::text
           || CASE WHEN pg_catalog.cardinality(r.approver_groups) > 0
                   THEN ' of ' || pg_catalog.array_to_string(r.approver_groups, ' or ')
                   ELSE '' END
           || ', ' || (SELECT pg_catalog.count(*) FROM approval.approvals p
                        WHERE p.request_id = r.id)::text || ' given'
           || COALESCE(' by ' || (SELECT pg_catalog.string_agg(a.login, ', ' ORDER BY p.at)
                                    FROM approval.approvals p
                                    JOIN approval.approvers a ON a.id = p.approver_id
                                   WHERE p.request_id = r.id), '')
      FROM approval.requests r WHERE r.id = req
$$;

-- Group and membership changes: audited, and the policy version moves.
CREATE FUNCTION approval.groups_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    who text := approval.audit_actor();
    prefix text := CASE WHEN TG_TABLE_NAME LIKE 'host_%' THEN 'host_group' ELSE 'group' END;
    g text;
    member text;
    row_ record;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION '% rows never change (remove and add)', TG_TABLE_NAME
            USING ERRCODE = 'P0003';
    END IF;
    row_ := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    IF TG_TABLE_NAME IN ('approver_groups', 'host_groups') THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'groups are history and are never deleted' USING ERRCODE = 'P0005';
        END IF;
        PERFORM approval.audit_record(prefix || '.added', who, NEW.name, NULL,
            pg_catalog.jsonb_build_object('group', NEW.name));
    ELSIF TG_TABLE_NAME = 'group_members' THEN
        SELECT x.name INTO g FROM approval.approver_groups x WHERE x.id = row_.group_id;
        SELECT a.login INTO member FROM approval.approvers a WHERE a.id = row_.approver_id;
        PERFORM approval.audit_record(prefix || CASE TG_OP WHEN 'DELETE' THEN '.member_removed'
            ELSE '.member_added' END, who, g, NULL,
            pg_catalog.jsonb_build_object('group', g, 'approver', member));
    ELSE
        SELECT x.name INTO g FROM approval.host_groups x WHERE x.id = row_.group_id;
        SELECT h.name INTO member FROM approval.hosts h WHERE h.id = row_.host_id;
        PERFORM approval.audit_record(prefix || CASE TG_OP WHEN 'DELETE' THEN '.member_removed'
            ELSE '.member_added' END, who, g, NULL,
            pg_catalog.jsonb_build_object('group', g, 'host', member));
    END IF;
    UPDATE approval.policy_state s SET version = s.version + 1,
           changed_at = pg_catalog.now(), changed_by = who;
    RETURN NULL;
END $$;
CREATE TRIGGER approver_groups_audit AFTER INSERT OR UPDATE OR DELETE ON approval.approver_groups
    FOR EACH ROW EXECUTE FUNCTION approval.groups_audit();
CREATE TRIGGER group_members_audit AFTER INSERT OR UPDATE OR DELETE ON approval.group_members
    FOR EACH ROW EXECUTE FUNCTION approval.groups_audit();
CREATE TRIGGER host_groups_audit AFTER INSERT OR UPDATE OR DELETE ON approval.host_groups
    FOR EACH ROW EXECUTE FUNCTION approval.groups_audit();
CREATE TRIGGER host_group_members_audit AFTER INSERT OR UPDATE OR DELETE ON approval.host_group_members
    FOR EACH ROW EXECUTE FUNCTION approval.groups_audit();

GRANT SELECT ON approval.approver_groups, approval.group_members, approval.host_groups,
    approval.host_group_members, approval.approvals TO approval_app, approval_auditor;
GRANT EXECUTE ON FUNCTION approval.quorum_text(uuid) TO approval_app, approval_auditor;
REVOKE ALL ON FUNCTION approval.requests_tally() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.requests_grace_event() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.groups_audit() FROM PUBLIC;

-- Break-glass (docs/policy.md): a rule with the action breakglass lets a
-- requester in at once when nobody can answer, on a reason; loud, and on
-- a review list until an approver closes it.
--   * such a request is approved at INSERT only, decided_by NULL,
--     policy_action breakglass, by a rule that says breakglass, with a
--     non-blank reason; the event and the audit row (policy.breakglass)
--     are the database's, so the application role cannot forge or hide
--     them;
--   * it "needs review" until a row of approval.breakglass_reviews closes
--     it: by an enabled approver or admin who is not the requester, with
--     a comment; reviews never change (audit breakglass.reviewed);
--   * report_breakglass lists every use with its review state.
ALTER TABLE approval.requests DROP CONSTRAINT requests_policy_action_check;
ALTER TABLE approval.requests ADD CONSTRAINT requests_policy_action_check
    CHECK (policy_action IN ('allow', 'deny', 'require', 'breakglass'));
ALTER TABLE approval.requests DROP CONSTRAINT requests_decided_by_someone;
ALTER TABLE approval.requests ADD CONSTRAINT requests_decided_by_someone CHECK (
    status NOT IN ('approved', 'denied') OR decided_by IS NOT NULL
    OR (status = 'approved' AND policy_action IN ('allow', 'breakglass'))
    OR (status = 'denied' AND policy_action = 'deny'));
ALTER TABLE approval.policy_rules DROP CONSTRAINT policy_rules_action_check;
ALTER TABLE approval.policy_rules ADD CONSTRAINT policy_rules_action_check
    CHECK (action IN ('allow', 'deny', 'require', 'breakglass'));

-- 011's insert rule, with breakglass approving like allow (and needing a
-- reason).
CREATE OR REPLACE FUNCTION approval.requests_policy_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    want text;
BEGIN
    IF NOT (COALESCE(NEW.policy_action IN ('allow', 'deny', 'breakglass'), false)
            OR (NEW.status IN ('approved', 'denied') AND NEW.decided_by IS NULL)) THEN
        RETURN NEW;	-- pending, or a human's decision (checked as before)
    END IF;
    IF NEW.decided_by IS NOT NULL OR NEW.status NOT IN ('approved', 'denied')
       OR (NEW.status = 'approved' AND NEW.policy_action NOT IN ('allow', 'breakglass'))
       OR (NEW.status = 'denied' AND NEW.policy_action IS DISTINCT FROM 'deny') THEN
        RAISE EXCEPTION 'a policy decision is approved by allow or breakglass or denied by deny, at insert'
            USING ERRCODE = 'P0007', HINT = 'policy';
    END IF;
    IF NEW.policy_action = 'breakglass'
       AND COALESCE(pg_catalog.length(pg_catalog.btrim(NEW.reason)), 0) = 0 THEN
        RAISE EXCEPTION 'break-glass needs a reason' USING ERRCODE = 'P0007', HINT = 'policy';
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
       AND NEW.policy_action IN ('allow', 'deny', 'breakglass') THEN
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

-- 011's decision event, with break-glass recorded as policy.breakglass.
CREATE OR REPLACE FUNCTION approval.requests_policy_event() RETURNS trigger
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
        CASE WHEN NEW.policy_action = 'breakglass' THEN 'policy.breakglass'
             WHEN NEW.status = 'approved' THEN 'policy.allowed' ELSE 'policy.denied' END,
        approval.policy_decider(), NEW.code, NEW.id, pg_catalog.jsonb_build_object(
            'rule_id', NEW.policy_rule_id, 'policy_version', NEW.policy_version,
            'rule', rule_text, 'host', host_name, 'requester', NEW.requester,
            'target_user', NEW.target_user, 'service', NEW.service,
            'message', NEW.decision_comment, 'reason', NEW.reason,
            'command', NEW.command));
    PERFORM pg_catalog.pg_notify('approval_events', NEW.id::text || ' ' || NEW.status);
    IF NEW.policy_action = 'breakglass' THEN
        PERFORM pg_catalog.pg_notify('approval_breakglass', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TABLE approval.breakglass_reviews (
    request_id  uuid PRIMARY KEY REFERENCES approval.requests(id),
    approver_id bigint NOT NULL REFERENCES approval.approvers(id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    comment     text NOT NULL CHECK (pg_catalog.length(pg_catalog.btrim(comment))
                                     BETWEEN 1 AND 2048)
);
COMMENT ON TABLE approval.breakglass_reviews IS
    'The approver review that closes a break-glass request (none: it needs review)';

CREATE FUNCTION approval.breakglass_review_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    r approval.requests;
    a approval.approvers;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'break-glass reviews never change' USING ERRCODE = 'P0005';
    END IF;
    SELECT * INTO r FROM approval.requests x WHERE x.id = NEW.request_id;
    IF r.policy_action IS DISTINCT FROM 'breakglass' THEN
        RAISE EXCEPTION 'request % is not a break-glass request', r.code
            USING ERRCODE = 'P0003';
    END IF;
    SELECT * INTO a FROM approval.approvers x WHERE x.id = NEW.approver_id;
    IF NOT FOUND OR NOT a.enabled OR a.revoked_at IS NOT NULL
       OR NOT (a.roles && ARRAY['approver', 'admin']::text[]) THEN
        RAISE EXCEPTION 'approver % may not review break-glass', COALESCE(a.login, NEW.approver_id::text)
            USING ERRCODE = '42501', HINT = 'forbidden';
    END IF;
    IF pg_catalog.lower(a.login) = pg_catalog.lower(r.requester)
       OR pg_catalog.lower(r.requester) = ANY (SELECT pg_catalog.lower(u)
                                               FROM pg_catalog.unnest(a.unix_logins) u) THEN
        RAISE EXCEPTION 'approver % may not review their own break-glass', a.login
            USING ERRCODE = 'P0001', HINT = 'self_approval';
    END IF;
    NEW.at := pg_catalog.clock_timestamp();
    RETURN NEW;
END $$;
CREATE TRIGGER breakglass_review_check BEFORE INSERT OR UPDATE OR DELETE
    ON approval.breakglass_reviews
    FOR EACH ROW EXECUTE FUNCTION approval.breakglass_review_check();
CREATE TRIGGER breakglass_reviews_no_truncate BEFORE TRUNCATE ON approval.breakglass_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION approval.approvals_immutable();

CREATE FUNCTION approval.breakglass_review_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    code text;
    who text;
BEGIN
    SELECT r.code INTO code FROM approval.requests r WHERE r.id = NEW.request_id;
    SELECT a.login INTO who FROM approval.approvers a WHERE a.id = NEW.approver_id;
    PERFORM approval.audit_record('breakglass.reviewed', who, code, NEW.request_id,
        pg_catalog.jsonb_build_object('comment', NEW.comment,
            'db_user', session_user::text));
    RETURN NULL;
END $$;
CREATE TRIGGER breakglass_review_audit AFTER INSERT ON approval.breakglass_reviews
    FOR EACH ROW EXECUTE FUNCTION approval.breakglass_review_audit();

CREATE VIEW approval.report_breakglass AS
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
       v.comment AS review_comment
  FROM approval.requests r
  JOIN approval.hosts h ON h.id = r.host_id
  LEFT JOIN approval.policy_rules p ON p.id = r.policy_rule_id
  LEFT JOIN approval.breakglass_reviews v ON v.request_id = r.id
  LEFT JOIN approval.approvers a ON a.id = v.approver_id
 CROSS JOIN approval.report_settings s
 WHERE r.policy_action = 'breakglass';
COMMENT ON VIEW approval.report_breakglass IS
    'Every break-glass elevation, its reason and whether an approver has reviewed it';
COMMENT ON COLUMN approval.report_breakglass.review IS '"needs review" until an approver closes it, then "closed"';

GRANT SELECT ON approval.breakglass_reviews, approval.report_breakglass TO approval_app, approval_auditor;
GRANT INSERT ON approval.breakglass_reviews TO approval_app;
REVOKE ALL ON FUNCTION approval.breakglass_review_audit() FROM PUBLIC;
