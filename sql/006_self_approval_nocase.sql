-- 006_self_approval_nocase.sql: the self-approval rule of requests_guard
-- (001_core.sql) ignores letter case. A requester's unix login can reach
-- the module in another case than the admin typed it for the approver
-- (SSSD/AD with case_sensitive = false lower-cases names; an approver login
-- "Alice" for unix "alice"), and an exact comparison then let that person
-- approve their own elevation. Refusing two accounts that differ only in
-- case is the safe side. Same function otherwise; never edited after
-- release.
CREATE OR REPLACE FUNCTION approval.requests_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    self_match boolean;
BEGIN
    IF OLD.status <> 'pending' THEN
        RAISE EXCEPTION 'request % is already %', OLD.id, OLD.status
            USING ERRCODE = 'P0002', HINT = 'final';
    END IF;
    IF NEW.id <> OLD.id OR NEW.code <> OLD.code OR NEW.host_id <> OLD.host_id
       OR NEW.hostname <> OLD.hostname OR NEW.service <> OLD.service
       OR NEW.requester <> OLD.requester OR NEW.requester_uid <> OLD.requester_uid
       OR NEW.target_user <> OLD.target_user OR NEW.command <> OLD.command
       OR NEW.sudo_command IS DISTINCT FROM OLD.sudo_command
       OR NEW.tty IS DISTINCT FROM OLD.tty OR NEW.rhost IS DISTINCT FROM OLD.rhost
       OR NEW.cwd IS DISTINCT FROM OLD.cwd OR NEW.reason IS DISTINCT FROM OLD.reason
       OR NEW.ticket IS DISTINCT FROM OLD.ticket OR NEW.digest <> OLD.digest
       OR NEW.created_at <> OLD.created_at OR NEW.expires_at <> OLD.expires_at THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id
            USING ERRCODE = 'P0003';
    END IF;
    IF NEW.status IN ('approved', 'denied') THEN
        SELECT pg_catalog.lower(a.login) = pg_catalog.lower(NEW.requester)
               OR pg_catalog.lower(NEW.requester) = ANY (SELECT pg_catalog.lower(u)
                                                         FROM pg_catalog.unnest(a.unix_logins) u)
          INTO self_match
          FROM approval.approvers a WHERE a.id = NEW.decided_by;
        IF self_match IS NULL THEN
            RAISE EXCEPTION 'unknown approver %', NEW.decided_by USING ERRCODE = 'P0004';
        END IF;
        IF self_match THEN
            RAISE EXCEPTION 'approver % may not decide a request by %',
                NEW.decided_by, NEW.requester
                USING ERRCODE = 'P0001', HINT = 'self_approval';
        END IF;
    ELSIF NEW.status <> 'pending' AND NEW.decided_by IS NOT NULL THEN
        RAISE EXCEPTION 'only approved/denied carry an approver' USING ERRCODE = 'P0003';
    END IF;
    IF NEW.status <> 'pending' AND NEW.decided_at IS NULL THEN
        NEW.decided_at := clock_timestamp();
    END IF;
    RETURN NEW;
END $$;
