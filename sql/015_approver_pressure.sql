-- 015_approver_pressure.sql: what an approver under pressure must be able
-- to trust.
--
-- 1. The real deadline. The module waits at most its own timeout= and
--    reports it with the create (requester_timeout, seconds);
--    requests.requester_gives_up_at is created_at plus that, and
--    expires_at is the earlier of it and request_ttl (approvald computes
--    both in the INSERT). Both are context and never change.
-- 2. Why a request ended without a decision: requests.cancel_reason is
--    'interrupted' (Ctrl-C or another signal at the module), 'timeout'
--    (the module's own deadline passed), 'unspecified' (a cancel that gave
--    no reason: an older module) on cancelled, and 'expired' on expired
--    (the server's expiry). Set by the transition only (a trigger fills
--    the default), NULL for every other state.
-- 3. Events name the actor's kind: request_events.actor_kind is 'host'
--    (created, cancelled), 'approver' (a decision, a refused
--    self-approval) or 'system' (expiry, a policy decision, anything
--    else), and request_events.cancel_reason repeats the request's on the
--    cancelled/expired event. Filled by the database, whoever inserts.
-- 4. Self-approval compares names as a person reads them (below).

ALTER TABLE approval.requests
    ADD COLUMN requester_gives_up_at timestamptz,
    ADD COLUMN cancel_reason text
        CHECK (cancel_reason IN ('interrupted', 'timeout', 'unspecified', 'expired')),
    ADD CONSTRAINT requests_gives_up_after_created
        CHECK (requester_gives_up_at IS NULL OR requester_gives_up_at > created_at),
    ADD CONSTRAINT requests_cancel_reason_state CHECK (
        (status = 'cancelled' AND cancel_reason IN ('interrupted', 'timeout', 'unspecified'))
        OR (status = 'expired' AND cancel_reason = 'expired')
        OR (status NOT IN ('cancelled', 'expired') AND cancel_reason IS NULL))
        NOT VALID;
-- rows from before this migration have no reason; new ones always do
COMMENT ON COLUMN approval.requests.cancel_reason IS
    'why a request ended undecided: interrupted, timeout, unspecified (cancelled), expired';

-- The reason of a transition to cancelled or expired; immutable context
-- otherwise. Runs before requests_guard (names in order), which refuses
-- any change of a final request anyway.
CREATE FUNCTION approval.requests_end_reason() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NEW.requester_gives_up_at IS DISTINCT FROM OLD.requester_gives_up_at THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id
            USING ERRCODE = 'P0003';
    END IF;
    IF OLD.status = 'pending' AND NEW.status = 'cancelled' THEN
        NEW.cancel_reason := COALESCE(NEW.cancel_reason, 'unspecified');
    ELSIF OLD.status = 'pending' AND NEW.status = 'expired' THEN
        NEW.cancel_reason := 'expired';
    ELSIF NEW.cancel_reason IS DISTINCT FROM OLD.cancel_reason THEN
        RAISE EXCEPTION 'cancel_reason is set by a cancel or an expiry only'
            USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_end_reason BEFORE UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_end_reason();

CREATE FUNCTION approval.requests_end_reason_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NEW.cancel_reason IS NOT NULL THEN
        RAISE EXCEPTION 'a new request has no cancel_reason' USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_end_reason_insert BEFORE INSERT ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_end_reason_insert();

ALTER TABLE approval.request_events
    ADD COLUMN actor_kind text CHECK (actor_kind IN ('host', 'approver', 'system')),
    ADD COLUMN cancel_reason text;

-- Who acted, by kind, from the request as the event's transaction sees it.
-- Runs before request_events_order (names in order); reads, locks nothing.
CREATE FUNCTION approval.request_events_actor() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    r record;
BEGIN
    SELECT q.decided_by, q.cancel_reason INTO r
      FROM approval.requests q WHERE q.id = NEW.request_id;
    NEW.actor_kind := CASE
        WHEN NEW.kind IN ('created', 'cancelled') THEN 'host'
        WHEN NEW.kind = 'self_approval_refused' THEN 'approver'
        WHEN NEW.kind IN ('approved', 'denied') AND r.decided_by IS NOT NULL THEN 'approver'
        ELSE 'system' END;
    NEW.cancel_reason := CASE WHEN NEW.kind IN ('cancelled', 'expired')
                              THEN r.cancel_reason END;
    RETURN NEW;
END $$;
CREATE TRIGGER request_events_actor BEFORE INSERT ON approval.request_events
    FOR EACH ROW EXECUTE FUNCTION approval.request_events_actor();

-- Events recorded before this migration get their kind the same way.
UPDATE approval.request_events e SET actor_kind = CASE
        WHEN e.kind IN ('created', 'cancelled') THEN 'host'
        WHEN e.kind = 'self_approval_refused' THEN 'approver'
        WHEN e.kind IN ('approved', 'denied') AND q.decided_by IS NOT NULL THEN 'approver'
        ELSE 'system' END
  FROM approval.requests q
 WHERE q.id = e.request_id AND e.actor_kind IS NULL;

-- 4. Self-approval compares names as a person reads them. "carol " (a
--    trailing blank), "ｃａｒｏｌ" (full-width letters), "Carol" and
--    "car\u200bol" (a zero-width space) all read as carol: the rule of
--    requests_guard (001, 006: exact but for case) let such a requester be
--    approved by carol. Now both sides are keyed by approval.name_key():
--    hostile code points removed (the list of common/text.c
--    approve_cp_hostile), Unicode NFKC (PostgreSQL's normalize(), which
--    needs a UTF8 database), blanks trimmed, lower case. And names holding
--    invisible or control characters, or blanks at either end, are refused
--    where they enter: a request's requester and target_user, an
--    approver's unix_logins (approvald and approvalctl refuse them first).
--    Rows from before are not rewritten; the key makes them compare safely.

-- The characters of common/text.c's approve_cp_hostile (NUL cannot be in
-- text), as a regular expression class.
CREATE FUNCTION approval.name_hostile_class() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT '[\x01-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f'
        || '\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb'
        || '\U000e0000-\U000e007f]'
$$;

-- Blanks a name may not start or end with (before normalisation).
CREATE FUNCTION approval.name_blank_class() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT '[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]'
$$;

-- What a name is compared by.
CREATE FUNCTION approval.name_key(t text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT pg_catalog.lower(pg_catalog.btrim(pg_catalog.normalize(
        pg_catalog.regexp_replace(t, approval.name_hostile_class(), '', 'g'), 'NFKC'), ' '))
$$;

-- A name fit to enter: not empty, no hostile code point, no blank at
-- either end.
CREATE FUNCTION approval.name_is_clean(t text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT t IS NOT NULL AND t <> ''
       AND t !~ approval.name_hostile_class()
       AND t !~ ('^' || approval.name_blank_class())
       AND t !~ (approval.name_blank_class() || '$')
$$;

-- 1 when the approver is the requester, by login or unix login, by key.
CREATE FUNCTION approval.is_self(approver_id bigint, requester text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = '' AS $$
    SELECT EXISTS (
        SELECT 1 FROM approval.approvers a
         WHERE a.id = approver_id
           AND (approval.name_key(a.login) = approval.name_key(requester)
                OR approval.name_key(requester) = ANY (
                    SELECT approval.name_key(u) FROM pg_catalog.unnest(a.unix_logins) u)))
$$;
GRANT EXECUTE ON FUNCTION approval.is_self(bigint, text), approval.name_key(text),
    approval.name_is_clean(text) TO approval_app, approval_auditor;

-- Beside requests_guard (which keeps its exact-but-case rule): a decision
-- by an approver whose login or unix login reads as the requester is
-- refused with the same error, so approvald records the attempt.
CREATE FUNCTION approval.requests_self_key() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF OLD.status = 'pending' AND NEW.status IN ('approved', 'denied')
       AND NEW.decided_by IS NOT NULL
       AND approval.is_self(NEW.decided_by, NEW.requester) THEN
        RAISE EXCEPTION 'approver % may not decide a request by %',
            NEW.decided_by, NEW.requester
            USING ERRCODE = 'P0001', HINT = 'self_approval';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_self_key BEFORE UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_self_key();

CREATE FUNCTION approval.requests_names_clean() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NOT approval.name_is_clean(NEW.requester) OR NOT approval.name_is_clean(NEW.target_user) THEN
        RAISE EXCEPTION 'requester and target_user may not hold invisible or control characters or blanks at their ends'
            USING ERRCODE = '22023', HINT = 'name';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_names_clean BEFORE INSERT ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_names_clean();

CREATE FUNCTION approval.approvers_names_clean() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NOT approval.name_is_clean(NEW.login)
       OR EXISTS (SELECT 1 FROM pg_catalog.unnest(NEW.unix_logins) u
                   WHERE NOT approval.name_is_clean(u)) THEN
        RAISE EXCEPTION 'approver names may not hold invisible or control characters or blanks at their ends'
            USING ERRCODE = '22023', HINT = 'name';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER approvers_names_clean BEFORE INSERT OR UPDATE OF login, unix_logins
    ON approval.approvers
    FOR EACH ROW EXECUTE FUNCTION approval.approvers_names_clean();

-- 5. Sign-in throttling that cannot lock approvers out. approval.login_wait
--    (004) slowed a login after 3 failures from anywhere and an address
--    after 10 failures for any login: a stranger could keep carol out from
--    her own desk by failing her login three times, and ten typos behind
--    one proxy address locked every approver behind it out. Now failures
--    count per (login, client address) pair only: from the 3rd failure of
--    a pair in 15 minutes the next attempt of that pair waits 1, 2, 4 ...
--    seconds after the latest failure, at most 60 (the cap). Another
--    address, or another login behind the same address, is not slowed. A
--    good sign-in clears its own pair only (approvald).
CREATE FUNCTION approval.login_wait_pair(p_login text, p_addr text)
RETURNS integer LANGUAGE sql STABLE SET search_path = '' AS $$
    WITH f AS (
        SELECT pg_catalog.count(*) AS n, pg_catalog.max(at) AS last
          FROM approval.login_failures
         WHERE login = p_login AND remote_addr = p_addr
           AND at > pg_catalog.now() - interval '15 minutes'
    )
    SELECT CASE WHEN n >= 3 THEN GREATEST(0, pg_catalog.ceil(pg_catalog.date_part('epoch',
               last + pg_catalog.make_interval(secs => LEAST(60, 2 ^ LEAST(n - 3, 20)))
               - pg_catalog.now())))::integer
           ELSE 0 END
      FROM f
$$;
CREATE INDEX login_failures_pair ON approval.login_failures (login, remote_addr, at);
GRANT EXECUTE ON FUNCTION approval.login_wait_pair(text, text) TO approval_app;
