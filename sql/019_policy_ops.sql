-- 019_policy_ops.sql: moving a rule as one change, and quorums that stay
-- reachable (docs/policy.md).
-- Rules that hold whoever the client is:
--   * the active rules' positions are unique at the end of each statement
--     (a deferrable exclusion constraint replaces 011's unique index), so
--     one UPDATE can renumber them;
--   * a statement that changes positions of active rules is ONE audit
--     event (policy.rules_moved, every old and new position, with who) and
--     ONE policy version, whether approval.policy_move() or direct SQL ran
--     it; 011's per-row trigger keeps adding and removing rules;
--   * removing a group member is refused (P0009, HINT policy_groups) when
--     an active rule or the default would then need more approvals than
--     its groups (or all approvers) have members who may decide; making an
--     approver unable to decide (disabled, revoked, role taken away) is
--     never refused (a compromised approver must go at once), only warned
--     about: requests under such a rule then wait until they expire.

ALTER TABLE approval.policy_rules ADD CONSTRAINT policy_rules_position_unique
    EXCLUDE USING btree (position WITH =) WHERE (removed_at IS NULL)
    DEFERRABLE INITIALLY IMMEDIATE;
DROP INDEX approval.policy_rules_position;

-- 011's per-row audit without the per-row move: a position change is the
-- statement's (policy_rules_moved below).
CREATE OR REPLACE FUNCTION approval.policy_rules_audit() RETURNS trigger
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
    ELSE
        RETURN NULL;	-- a move: one event for the statement
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

CREATE FUNCTION approval.policy_rules_moved() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    who text := approval.audit_actor();
    moves jsonb;
    v bigint;
BEGIN
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('rule_id', n.id,
               'rule', n.rule, 'old_position', o.position, 'position', n.position)
               ORDER BY n.position)
      INTO moves
      FROM moved_new n JOIN moved_old o ON o.id = n.id
     WHERE n.position <> o.position AND n.removed_at IS NULL AND o.removed_at IS NULL;
    IF moves IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE approval.policy_state s SET version = s.version + 1,
           changed_at = pg_catalog.now(), changed_by = who
     RETURNING s.version INTO v;
    PERFORM approval.audit_record('policy.rules_moved', who, 'policy order', NULL,
        pg_catalog.jsonb_build_object('moves', moves, 'policy_version', v));
    RETURN NULL;
END $$;
CREATE TRIGGER policy_rules_moved AFTER UPDATE ON approval.policy_rules
    REFERENCING OLD TABLE AS moved_old NEW TABLE AS moved_new
    FOR EACH STATEMENT EXECUTE FUNCTION approval.policy_rules_moved();

-- Move active rule rule_id to place new_position (1 = first) of the active
-- rules, renumbering them 1..n in one statement. Returns the new policy
-- version (unchanged when the rule was already there).
CREATE FUNCTION approval.policy_move(rule_id bigint, new_position integer) RETURNS bigint
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    n integer;
    v bigint;
BEGIN
    PERFORM 1 FROM approval.policy_state FOR UPDATE;
    IF NOT EXISTS (SELECT 1 FROM approval.policy_rules p
                    WHERE p.id = rule_id AND p.removed_at IS NULL) THEN
        RAISE EXCEPTION 'no active rule %', rule_id USING ERRCODE = 'P0010', HINT = 'policy_move';
    END IF;
    SELECT pg_catalog.count(*) INTO n FROM approval.policy_rules p WHERE p.removed_at IS NULL;
    IF new_position IS NULL OR new_position < 1 OR new_position > n THEN
        RAISE EXCEPTION 'position % is not between 1 and % (the number of active rules)',
            new_position, n USING ERRCODE = 'P0010', HINT = 'policy_move';
    END IF;
    WITH others AS (
        SELECT p.id, pg_catalog.row_number() OVER (ORDER BY p.position) AS k
          FROM approval.policy_rules p WHERE p.removed_at IS NULL AND p.id <> rule_id
    ), wanted AS (
        SELECT o.id, CASE WHEN o.k < new_position THEN o.k ELSE o.k + 1 END AS pos FROM others o
        UNION ALL SELECT rule_id, new_position
    )
    UPDATE approval.policy_rules p SET position = w.pos::integer
      FROM wanted w WHERE p.id = w.id AND p.position <> w.pos;
    SELECT s.version INTO v FROM approval.policy_state s;
    RETURN v;
END $$;
REVOKE ALL ON FUNCTION approval.policy_move(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.policy_rules_moved() FROM PUBLIC;

-- Every active rule and the default still has enough deciders; what: the
-- change, for the message ("removing dba1 from group dba").
CREATE FUNCTION approval.policy_quorums_check(what text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = '' AS $$
DECLARE
    r record;
    gs text[];
    n integer;
    have bigint;
BEGIN
    FOR r IN SELECT '#' || p.id::text AS label, p.rule FROM approval.policy_rules p
              WHERE p.removed_at IS NULL AND p.action = 'require'
             UNION ALL
             SELECT 'default', s.default_rule FROM approval.policy_state s
              WHERE s.default_rule LIKE 'require%' LOOP
        gs := approval.rule_groups(r.rule);
        n := approval.rule_approvals(r.rule);
        IF pg_catalog.cardinality(gs) > 0 THEN
            have := approval.group_deciders(gs);
        ELSIF n > 1 THEN
            SELECT pg_catalog.count(*) INTO have FROM approval.approvers a
             WHERE a.enabled AND a.revoked_at IS NULL
               AND a.roles && ARRAY['approver', 'admin']::text[];
        ELSE
            CONTINUE;
        END IF;
        IF have < n THEN
            RAISE EXCEPTION '% refused: rule % (%) needs % approvals and % would have % member(s) who may decide; change or remove the rule first',
                what, r.label, r.rule, n,
                CASE WHEN pg_catalog.cardinality(gs) > 0
                     THEN 'group ' || pg_catalog.array_to_string(gs, ',') ELSE 'the approvers' END,
                have
                USING ERRCODE = 'P0009', HINT = 'policy_groups';
        END IF;
    END LOOP;
END $$;

CREATE FUNCTION approval.group_member_quorum() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    g text;
    who text;
BEGIN
    SELECT x.name INTO g FROM approval.approver_groups x WHERE x.id = OLD.group_id;
    SELECT a.login INTO who FROM approval.approvers a WHERE a.id = OLD.approver_id;
    PERFORM approval.policy_quorums_check('removing ' || who || ' from group ' || g);
    RETURN NULL;
END $$;
CREATE TRIGGER group_member_quorum AFTER DELETE ON approval.group_members
    FOR EACH ROW EXECUTE FUNCTION approval.group_member_quorum();

CREATE FUNCTION approval.approver_quorum() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    PERFORM approval.policy_quorums_check('disabling approver ' || NEW.login);
    RETURN NULL;
EXCEPTION WHEN SQLSTATE 'P0009' THEN
    RAISE WARNING 'approver % can no longer decide, and a rule can no longer be met: %; '
        'requests under it wait until they expire (fail closed)', NEW.login, SQLERRM;
    RETURN NULL;
END $$;
CREATE TRIGGER approver_quorum AFTER UPDATE ON approval.approvers
    FOR EACH ROW
    WHEN (OLD.enabled AND OLD.revoked_at IS NULL
          AND OLD.roles && ARRAY['approver', 'admin']::text[]
          AND NOT (NEW.enabled AND NEW.revoked_at IS NULL
                   AND NEW.roles && ARRAY['approver', 'admin']::text[]))
    EXECUTE FUNCTION approval.approver_quorum();
