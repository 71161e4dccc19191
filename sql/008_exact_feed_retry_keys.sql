-- 008_exact_feed_retry_keys.sql: an exact event feed, and creates that are
-- safe to retry.
--
-- 1. Event ids are taken in commit order. GET /v1/events serves
--    approval.request_events in id order, and a watcher moves past every id
--    it has been given; so an id must never become visible after a higher
--    one did. With ids from the column default, a transaction took its id
--    and then waited for the audit chain lock (approval.audit_log_chain(),
--    held until commit) while a later id committed: the feed had to guess
--    whether the hole was a rollback, and guessed on a timer. Now the id
--    is taken under that same lock, before the audit row: the
--    lock is held until commit, so whoever takes id N has seen every
--    holder of a lower id finish. A hole below a visible id is a rollback,
--    final, whatever the isolation level and however long anything took.
--    It costs no extra waiting: every event already writes an audit row
--    under this lock in the same transaction. Whoever moves the chain off
--    the request path (sealer) must keep this order for the feed.
--    Lock order: the event insert takes this lock before its foreign-key
--    check (KEY SHARE on the request row); so lock requests FOR NO KEY
--    UPDATE (what UPDATE takes), never FOR UPDATE, in a transaction that
--    then writes events (the expiry sweep does so).
-- 2. requests.idempotency_key: the module sends a random key per elevation
--    with its create; a retried create (a lost answer, a stale database
--    connection) finds the request made the first time instead of filing
--    a second one. Unique per host; never changes.

CREATE FUNCTION approval.request_events_order() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    -- the audit chain's lock (sql/002_audit.sql), taken first there too
    PERFORM pg_catalog.pg_advisory_xact_lock(1634758770, 1);
    NEW.id := pg_catalog.nextval('approval.request_events_id_seq');
    RETURN NEW;
END $$;
-- no default: a value taken before the lock would only leave a hole
ALTER TABLE approval.request_events ALTER COLUMN id DROP DEFAULT;
CREATE TRIGGER request_events_order BEFORE INSERT ON approval.request_events
    FOR EACH ROW EXECUTE FUNCTION approval.request_events_order();

ALTER TABLE approval.requests ADD COLUMN idempotency_key text
    CHECK (idempotency_key ~ '^[A-Za-z0-9_-]{16,64}$');
CREATE UNIQUE INDEX requests_host_idempotency
    ON approval.requests (host_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE FUNCTION approval.requests_key_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NEW.idempotency_key IS DISTINCT FROM OLD.idempotency_key THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id
            USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END $$;
-- after requests_guard (names run in order): a final request answers "final"
CREATE TRIGGER requests_key_guard BEFORE UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_key_guard();
