-- 021: NOTIFY after COMMIT for approvald's own writes (issue 16).
--
-- PostgreSQL's NOTIFY takes one lock per database at commit
-- (PreCommit_Notify) and holds it until the transaction has ended, that
-- is through the commit's WAL flush. Every transaction that notifies
-- therefore commits alone: creates, decisions and the sealer's 'sealed N'
-- queue behind one another, one flush each, and group commit never gets
-- two of them into one flush.
--
-- From here on every trigger and function of the schema announces through
-- approval.notify_event(channel, payload), which
--   * sends pg_notify() in the writing transaction, as before, unless
--   * the session set approval.defer_notify = 'on' (approvald's pool
--     connections do, approvald/db.c): then it raises a NOTICE with
--     SQLSTATE AP001 (message: the payload, detail: the channel). The
--     client collects these while its statement runs and, once the
--     statement committed, sends the same payloads with a bare
--     SELECT pg_notify(...) of its own: that transaction writes no WAL,
--     so its commit does not wait for a flush and the lock is held for
--     microseconds. A statement that failed (rolled back) has its
--     collected payloads dropped.
-- Writes by direct SQL (approvalctl, psql, the LISTEN connection's
-- expiry sweep) leave the setting off and notify in their transaction.
--
-- A client that dies between its COMMIT and its NOTIFY loses that
-- announcement: a long-poll on another instance then learns of the
-- decision when its own timeout makes it read again (at most
-- APPROVE_POLL_MAX_S = 60 s; the module asks for 25 s), an event-feed
-- long-poll at the next 'sealed N' any instance's sealer sends. Setting
-- approval.defer_notify needs no privilege, and it only ever delays an
-- announcement in the same way (anyone may NOTIFY anyway).
--
-- The trigger functions are not copied here: each function of the
-- schema whose body calls pg_notify is re-created from its own current
-- definition (pg_get_functiondef) with that call replaced, so a function
-- an earlier migration changed keeps that change. A function added later
-- must call approval.notify_event() itself (tests/sql/notify_deferred.sh
-- checks that no other function of the schema calls pg_notify).

CREATE FUNCTION approval.notify_event(channel text, payload text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_catalog.current_setting('approval.defer_notify', true) = 'on' THEN
        RAISE NOTICE USING MESSAGE = payload, DETAIL = channel, ERRCODE = 'AP001';
    ELSE
        PERFORM pg_catalog.pg_notify(channel, payload);
    END IF;
END $$;
COMMENT ON FUNCTION approval.notify_event(text, text) IS
    'pg_notify(channel, payload), or with approval.defer_notify = on a NOTICE '
    '(SQLSTATE AP001) asking the client to send it after COMMIT (sql/021)';

DO $$
DECLARE
    f record;
    def text;
    changed text;
    n integer := 0;
BEGIN
    FOR f IN SELECT p.oid, p.proname FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'approval'::regnamespace
                AND p.proname <> 'notify_event'
                AND p.prosrc ~ 'pg_notify\s*\('
              ORDER BY p.proname LOOP
        def := pg_catalog.pg_get_functiondef(f.oid);
        changed := pg_catalog.regexp_replace(def, '(pg_catalog\.)?pg_notify\s*\(',
                                             'approval.notify_event(', 'g');
        EXECUTE changed;
        n := n + 1;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                WHERE p.pronamespace = 'approval'::regnamespace
                  AND p.proname <> 'notify_event'
                  AND p.prosrc ~ 'pg_notify\s*\(') THEN
        RAISE EXCEPTION 'a function of schema approval still calls pg_notify';
    END IF;
    -- requests_events, requests_policy_event, requests_grace_event,
    -- requests_tally, audit_seal at least
    IF n < 5 THEN
        RAISE EXCEPTION 'expected at least 5 functions calling pg_notify, found %', n;
    END IF;
END $$;
