-- 014_audit_sealer.sql: the audit chain leaves the request path.
--
-- Before: every audited write (and every request event, sql/008) took a
-- global advisory lock and the chain head row FOR UPDATE and held both
-- until COMMIT, so all writers queued behind one another through their
-- triggers and the WAL flush. Now:
--
-- 1. An audit row gets its id from approval.audit_log_id_seq when it is
--    inserted (no lock) and is written unsealed: prev_hash and hash NULL.
--    The transaction's id is assigned before the sequence value is taken
--    (pg_current_xact_id()), so "whoever holds id N" is a transaction that
--    was already running when N was handed out (the proof in 3 needs it).
-- 2. approval.audit_seal() links the unsealed rows into the hash chain in
--    id order: prev_hash = the head's hash, hash = sha256(prev_hash ||
--    canonical row), exactly as before (the canonical row of sql/002 is
--    unchanged, and so is every verifier). One sealer at a time: it takes
--    pg_try_advisory_xact_lock(appr, 2), never waits for it (a busy lock
--    means someone is sealing already), and only sealers take it. Who seals:
--    every committing transaction that wrote audit rows tries once, at
--    commit (a deferred trigger, READ COMMITTED only, a small batch); and
--    approvald's sealer thread every audit_seal_interval_ms, on any
--    instance, for the rest (rows that committed while another transaction
--    was sealing, rows behind a gap).
-- 3. Gaps: an id whose transaction rolled back has no row. The sealer
--    records it as a row of its own, kind 'audit.gap', chained like any
--    other, but only once the id provably cannot commit any more. A bound
--    proves it: a sealer call that meets a hole and has no xid yet reads
--    how far the sequence has gone (bound_id), then takes an xid of its
--    own (bound_xid): whoever holds an id up to bound_id got its xid
--    before that id, so before bound_xid (1). A later call that finds
--    every transaction up to bound_xid ended (the oldest running xid is
--    above it) and a hole at or below bound_id still invisible to a newer
--    snapshot records the gap: a committed row would be visible by then.
--    The bound stays true for good and covers every hole up to bound_id,
--    so one later call seals all of them; only a call without an xid yet
--    can take a new bound (a standalone call: approvald's thread, or a
--    manual `SELECT approval.audit_seal()`; not the writer at commit).
--    Until then nothing after the hole is sealed. So ids stay dense in the
--    sealed chain and a deletion of a sealed row is still a broken link or
--    a missing id. A row deleted by a superuser BEFORE it was sealed (with
--    the triggers off, within the seal delay) becomes a gap: the chain
--    cannot tell it from a rollback, but the gap is in the chain for good,
--    `approvalctl audit verify` lists every gap, and a request event so
--    removed still fails the crosscheck (approval.audit_crosscheck).
-- 4. The head (approval.audit_chain) is the newest sealed row; rows after
--    it are unsealed, in id order, and the only rows whose hash is NULL.
--    approval.audit_head is the newest sealed row (what approvald logs and
--    signs as a checkpoint, sql/009). `approvalctl audit verify` checks the
--    sealed chain and reports unsealed rows older than a bound.
-- 5. The event feed (sql/008) no longer takes the chain lock either: a
--    request event takes its id from the same sequence and its audit row
--    carries the same id, and GET /v1/events serves only events up to the
--    sealed head. Every id at or below the head is final (committed and
--    sealed, or a gap), so the feed stays exact: once an id is served, no
--    lower one can appear.
-- 6. The chain's times: `at` is the insert time (clock_timestamp()); ids
--    are handed out in insert order, not commit order, so two concurrent
--    writers' times may be out of id order by the length of their
--    transactions. The chain's order is the id order.
-- 7. A REPEATABLE READ or SERIALIZABLE writer no longer fails on a stale
--    head (it never reads it): it cannot fork the chain.
-- Conversion: rows written before this migration are sealed already; the
-- sequence starts after the newest row (and after the newest request
-- event: ids between are recorded as gaps), so the existing chain keeps
-- verifying and goes on.

-- 1. Unsealed rows, and the bound the gap proof keeps with the head.
ALTER TABLE approval.audit_log ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL,
    ADD CONSTRAINT audit_log_sealed_whole CHECK ((prev_hash IS NULL) = (hash IS NULL));
-- Sealing updates each row once: with room left on its page and no index
-- on the hashes the update is HOT (no index entry is written). The chain
-- itself makes hashes unique (each covers its prev_hash and its id);
-- audit verify checks every link, so the unique index only cost writes.
ALTER TABLE approval.audit_log DROP CONSTRAINT audit_log_hash_key;
ALTER TABLE approval.audit_log SET (fillfactor = 60);
COMMENT ON COLUMN approval.audit_log.hash IS
    'sha256(prev_hash || canonical row); NULL until approval.audit_seal() chained the row';
ALTER TABLE approval.audit_chain ADD COLUMN bound_id bigint,
    ADD COLUMN bound_xid pg_catalog.xid8;
COMMENT ON COLUMN approval.audit_chain.bound_id IS
    'Every id up to this one was handed out to a transaction whose xid is below bound_xid (the gap proof)';
COMMENT ON COLUMN approval.audit_chain.bound_xid IS
    'An xid assigned after bound_id was read: once every transaction up to it has ended, an invisible id up to bound_id is a gap';

-- CACHE 1: the sequence's last_value is exactly the highest id handed out
-- (the gap proof reads it). Not granted to anyone: only our triggers draw.
CREATE SEQUENCE approval.audit_log_id_seq AS bigint CACHE 1 OWNED BY approval.audit_log.id;
DO $$
DECLARE
    head approval.audit_chain;
    top bigint;
BEGIN
    SELECT * INTO head FROM approval.audit_chain c WHERE c.singleton FOR UPDATE;
    SELECT GREATEST(head.last_id, COALESCE(pg_catalog.max(e.id), 0)) INTO top
      FROM approval.request_events e;
    -- request events will share the sequence: ids up to the newest event
    -- are taken; those the chain has no row for are recorded as gaps below
    PERFORM pg_catalog.setval('approval.audit_log_id_seq', GREATEST(top, 1), top > 0);
END $$;
REVOKE ALL ON SEQUENCE approval.audit_log_id_seq FROM PUBLIC;

-- 2. The insert trigger: an id, a time, no hash, no lock. The id comes
-- from the sequence, except for two kinds only the database writes (the
-- origin trigger refuses them to anyone without the owner's rights): a
-- request event's row takes the event's id (its detail's event_id, which
-- sql/002's audit_request_event() puts there; 5), and a gap row keeps the
-- missing id the sealer gives it.
CREATE OR REPLACE FUNCTION approval.audit_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    IF NEW.kind = 'audit.gap' AND NEW.id IS NOT NULL THEN
        NULL;
    ELSIF NEW.kind LIKE 'request.%' AND NEW.detail ? 'event_id'
          AND NOT approval.audit_app_kind(NEW.kind) THEN
        NEW.id := (NEW.detail ->> 'event_id')::bigint;
    ELSE
        PERFORM pg_catalog.pg_current_xact_id();    -- the xid first (header, 1)
        NEW.id := pg_catalog.nextval('approval.audit_log_id_seq');
    END IF;
    NEW.at := pg_catalog.clock_timestamp();
    NEW.prev_hash := NULL;
    NEW.hash := NULL;
    RETURN NEW;
END $$;

-- The event's id from the same sequence, the transaction's xid first (1).
-- SECURITY DEFINER: the sequence is granted to no one.
CREATE OR REPLACE FUNCTION approval.request_events_order() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    PERFORM pg_catalog.pg_current_xact_id();
    NEW.id := pg_catalog.nextval('approval.audit_log_id_seq');
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION approval.request_events_order() FROM PUBLIC;

-- 3. Rows stay append-only; the one UPDATE allowed is the sealer's: an
-- unsealed row gets prev_hash and hash, nothing else changes.
CREATE FUNCTION approval.audit_log_update_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF pg_catalog.current_setting('approval.sealing', true) = 'on'
       AND OLD.hash IS NULL AND NEW.hash IS NOT NULL
       AND (NEW.id, NEW.at, NEW.kind, NEW.actor, NEW.subject, NEW.request_id, NEW.detail)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.kind, OLD.actor, OLD.subject, OLD.request_id, OLD.detail) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'P0007';
END $$;
DROP TRIGGER audit_log_no_update ON approval.audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON approval.audit_log
    FOR EACH ROW EXECUTE FUNCTION approval.audit_log_update_guard();

-- The row's hash as sql/002's audit_hash(prev, audit_canonical(...)), in
-- one expression: those functions carry SET search_path, which makes every
-- call a full function call with a settings change (about 1.7 ms a row).
-- These two carry none, so the planner inlines them into audit_seal(),
-- which sets search_path = '' itself; every name in them is qualified.
-- Every verifier recomputes with its own code (approvalctl in C, the inline
-- query of docs/compliance.md, audit_verify()), so a difference shows at once.
CREATE FUNCTION approval.audit_field_inline(v text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v IS NULL THEN '-,'
           ELSE pg_catalog.length(pg_catalog.convert_to(v, 'UTF8'))::text || ':' || v || ','
           END
$$;
CREATE FUNCTION approval.audit_hash_inline(prev_hash text, id bigint, at timestamptz,
    kind text, actor text, subject text, request_id uuid, detail jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(prev_hash
        || approval.audit_field_inline(id::text)
        || approval.audit_field_inline(pg_catalog.to_char(at AT TIME ZONE 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || approval.audit_field_inline(kind) || approval.audit_field_inline(actor)
        || approval.audit_field_inline(subject)
        || approval.audit_field_inline(request_id::text)
        || approval.audit_field_inline(detail::text), 'UTF8')), 'hex')
$$;

-- 4. The sealer. Returns how many rows it sealed (gap rows included); 0
-- when there was nothing to seal, another sealer holds the lock, or the
-- next id is a hole that may still commit. At most max_rows per call (one
-- transaction). Needs READ COMMITTED: it must see every commit so far.
CREATE FUNCTION approval.audit_seal(max_rows integer DEFAULT 10000) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    head approval.audit_chain;
    r approval.audit_log;
    n bigint := 0;
    handed_out bigint;
    bound_changed boolean := false;
    h text;
    ids bigint[];
    prevs text[];
    hashes text[];
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'approval.audit_seal() runs in READ COMMITTED only (a snapshot must not hide commits)'
            USING ERRCODE = '25000';
    END IF;
    -- 0x61707072 = 'appr'; 2 = the sealer (1 was the old writers' lock)
    IF NOT pg_catalog.pg_try_advisory_xact_lock(1634758770, 2) THEN
        RETURN 0;
    END IF;
    -- no FOR UPDATE: only lock holders write the head, the lock is given
    -- up after the commit is visible, and a row lock would take an xid
    -- now (a gap's bound below must be taken later)
    SELECT * INTO head FROM approval.audit_chain c WHERE c.singleton;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'approval.audit_chain has no head row' USING ERRCODE = 'P0006';
    END IF;
    PERFORM pg_catalog.set_config('approval.sealing', 'on', true);
    <<batches>>
    WHILE n < max_rows LOOP
        -- the visible rows after the head, in order, up to the first hole
        ids := '{}';
        prevs := '{}';
        hashes := '{}';
        FOR r IN SELECT * FROM approval.audit_log l
                  WHERE l.id > head.last_id AND l.id <= head.last_id + LEAST(max_rows - n, 1000)
                  ORDER BY l.id LOOP
            EXIT WHEN r.id <> head.last_id + 1;
            IF r.hash IS NOT NULL THEN
                RAISE EXCEPTION 'audit row % is sealed but the chain head is row %: the log was altered',
                    r.id, head.last_id USING ERRCODE = 'P0008';
            END IF;
            h := approval.audit_hash_inline(head.last_hash, r.id, r.at, r.kind, r.actor,
                r.subject, r.request_id, r.detail);
            ids := ids || r.id;
            prevs := prevs || head.last_hash;
            hashes := hashes || h;
            head.last_id := r.id;
            head.last_at := r.at;
            head.last_hash := h;
        END LOOP;
        IF pg_catalog.cardinality(ids) > 0 THEN
            UPDATE approval.audit_log l SET prev_hash = u.p, hash = u.h
              FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(prevs),
                              pg_catalog.unnest(hashes)) AS u(id, p, h)
             WHERE l.id = u.id;
            n := n + pg_catalog.cardinality(ids);
            CONTINUE batches;
        END IF;
        -- the next id has no visible row: a hole
        -- read before the xid below: an id handed out by now belongs
        -- to a transaction whose xid was assigned before it (1)
        SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END
          INTO handed_out FROM approval.audit_log_id_seq s;
        EXIT WHEN handed_out <= head.last_id;   -- nothing beyond the head yet
        IF head.bound_id IS NULL OR head.bound_id <= head.last_id THEN
            -- a new bound: only a transaction without an xid yet gets one
            -- newer than the holders' (the next call uses it)
            EXIT WHEN pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL;
            head.bound_id := handed_out;
            head.bound_xid := pg_catalog.pg_current_xact_id();
            bound_changed := true;
            EXIT;   -- our own xid is below the bound: not in this call
        END IF;
        -- someone up to the bound is still running: may be the holder
        EXIT WHEN pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
                  <= head.bound_xid;
        -- all of them have ended: a committed row is visible now, or never
        PERFORM 1 FROM approval.audit_log l WHERE l.id = head.last_id + 1;
        IF NOT FOUND THEN
            INSERT INTO approval.audit_log (id, kind, detail)
            VALUES (head.last_id + 1, 'audit.gap', pg_catalog.jsonb_build_object(
                'reason', 'no row committed with this id (a rolled-back transaction)'));
        END IF;
    END LOOP;
    IF n > 0 OR bound_changed THEN
        UPDATE approval.audit_chain c SET last_id = head.last_id, last_at = head.last_at,
            last_hash = head.last_hash, bound_id = head.bound_id, bound_xid = head.bound_xid
         WHERE c.singleton;
    END IF;
    IF n > 0 THEN
        -- the feed serves events up to the head: wake its long-polls
        PERFORM pg_catalog.pg_notify('approval_events', 'sealed ' || head.last_id::text);
    END IF;
    PERFORM pg_catalog.set_config('approval.sealing', '', true);
    RETURN n;
END $$;
REVOKE ALL ON FUNCTION approval.audit_seal(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approval.audit_seal(integer) TO approval_app;

-- At commit: a transaction that wrote audit rows seals what it can, once,
-- if no one else is sealing (a try, never a wait), in READ COMMITTED only.
-- A failure here is logged and never fails the writer: the sealer thread
-- retries, and audit verify reports what stays unsealed.
CREATE FUNCTION approval.audit_log_seal_at_commit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    IF pg_catalog.current_setting('approval.seal_tried', true) = 'on'
       OR pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_catalog.set_config('approval.seal_tried', 'on', true);
    BEGIN
        PERFORM approval.audit_seal(256);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'audit rows not sealed at commit: %', SQLERRM;
    END;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION approval.audit_log_seal_at_commit() FROM PUBLIC;
CREATE CONSTRAINT TRIGGER audit_log_seal_at_commit AFTER INSERT ON approval.audit_log
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION approval.audit_log_seal_at_commit();

-- Ids the chain has no row for below the sequence's start (request event
-- ids beyond the newest audit row): gaps, sealed now, in this transaction.
DO $$
DECLARE
    top bigint;
BEGIN
    SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO top
      FROM approval.audit_log_id_seq s;
    INSERT INTO approval.audit_log (id, kind, detail)
    SELECT g, 'audit.gap', pg_catalog.jsonb_build_object('reason',
               'id taken by a request event before the chain and the events shared ids')
      FROM pg_catalog.generate_series((SELECT c.last_id + 1 FROM approval.audit_chain c), top) g;
    PERFORM approval.audit_seal(2147483647);
END $$;

-- 5. Views and checks over the sealed chain.
CREATE OR REPLACE VIEW approval.audit_head AS
    SELECT l.id, l.at, l.hash FROM approval.audit_log l
     WHERE l.hash IS NOT NULL ORDER BY l.id DESC LIMIT 1;
COMMENT ON VIEW approval.audit_head IS
    'Newest sealed audit_log row: id, at, hash (the chain head)';

-- Rows not sealed yet: how many, the oldest, and its age.
CREATE VIEW approval.audit_unsealed AS
    SELECT pg_catalog.count(*) AS rows, pg_catalog.min(l.id) AS oldest_id,
           pg_catalog.min(l.at) AS oldest_at,
           pg_catalog.clock_timestamp() - pg_catalog.min(l.at) AS oldest_age
      FROM approval.audit_log l
     WHERE l.id > (SELECT c.last_id FROM approval.audit_chain c);
COMMENT ON VIEW approval.audit_unsealed IS
    'Audit rows after the chain head (not sealed yet): count, oldest id, time and age';

-- As in sql/002, over the sealed rows (id up to the head); problems:
--   'hash mismatch', 'broken link', 'missing rows' as before (a row at or
--   below the head without a hash is a hash mismatch: it was unsealed);
--   'head mismatch': approval.audit_chain names a row that is not there or
--   has another hash, or a sealed row lies beyond it.
-- Unsealed rows after the head are no problem here (approval.audit_unsealed).
CREATE OR REPLACE FUNCTION approval.audit_verify(from_id bigint DEFAULT 1)
RETURNS TABLE (id bigint, problem text)
LANGUAGE sql STABLE SET search_path = '' AS $$
    WITH head AS (
        SELECT c.last_id, c.last_hash FROM approval.audit_chain c
    ), r AS (
        SELECT l.id, l.prev_hash, l.hash,
               approval.audit_hash(l.prev_hash, approval.audit_canonical(l.id, l.at,
                   l.kind, l.actor, l.subject, l.request_id, l.detail)) AS recomputed,
               pg_catalog.lag(l.hash) OVER w AS before_hash,
               pg_catalog.lag(l.id) OVER w AS before_id
          FROM approval.audit_log l
         WHERE l.id >= GREATEST(from_id, 1) - 1
           AND l.id <= (SELECT head.last_id FROM head)
        WINDOW w AS (ORDER BY l.id)
    ), problems AS (
        SELECT r.id,
               CASE WHEN r.hash IS NULL OR r.recomputed IS DISTINCT FROM r.hash THEN 'hash mismatch'
                    WHEN r.id = 1 AND r.prev_hash <> repeat('0', 64) THEN 'broken link'
                    WHEN r.id > 1 AND r.before_id IS NULL THEN 'missing rows'
                    WHEN r.before_id IS NOT NULL AND r.prev_hash IS DISTINCT FROM r.before_hash THEN 'broken link'
                    WHEN r.before_id IS NOT NULL AND r.id <> r.before_id + 1 THEN 'missing rows'
               END AS problem
          FROM r
         WHERE r.id >= GREATEST(from_id, 1)
        UNION ALL
        SELECT c.last_id, 'head mismatch'
          FROM head c
         WHERE c.last_id >= GREATEST(from_id, 1)
           AND (NOT EXISTS (SELECT 1 FROM approval.audit_log l
                             WHERE l.id = c.last_id AND l.hash = c.last_hash)
                OR EXISTS (SELECT 1 FROM approval.audit_log l
                            WHERE l.id > c.last_id AND l.hash IS NOT NULL))
    )
    SELECT p.id, p.problem FROM problems p WHERE p.problem IS NOT NULL ORDER BY p.id, p.problem
$$;

GRANT SELECT ON approval.audit_unsealed TO approval_app, approval_auditor;
