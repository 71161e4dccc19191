-- 005_decider_roles.sql: who may decide (issue 4: "a read-only auditor role
-- ... can read reports but not decide"). The daemon refuses first (403
-- forbidden); this makes a direct SQL UPDATE refuse too. Only an enabled,
-- unrevoked approver holding the role approver or admin may approve or
-- deny. Fires after requests_guard (trigger names run in order), so a
-- final request still answers "final" and a self-approval "self_approval".
CREATE FUNCTION approval.requests_decider_role() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    a approval.approvers;
BEGIN
    IF NEW.status NOT IN ('approved', 'denied')
       OR (TG_OP = 'UPDATE' AND NEW.status = OLD.status) THEN
        RETURN NEW;
    END IF;
    SELECT * INTO a FROM approval.approvers x WHERE x.id = NEW.decided_by;
    IF NOT FOUND OR NOT a.enabled OR a.revoked_at IS NOT NULL
       OR NOT (a.roles && ARRAY['approver', 'admin']::text[]) THEN
        RAISE EXCEPTION 'approver % may not decide requests', COALESCE(a.login, NEW.decided_by::text)
            USING ERRCODE = '42501', HINT = 'forbidden';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_role_check BEFORE INSERT OR UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_decider_role();
