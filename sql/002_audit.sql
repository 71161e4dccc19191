-- 002_audit.sql: the tamper-evident audit trail (issue 4).
-- Owns approval.audit_log, its hash chain and the triggers that write one
-- row for every event the database sees: requests (created, approved,
-- denied, expired, cancelled, self_approval_refused), hosts, approvers,
-- API tokens. approval.audit_event() adds the events only the application
-- knows (sign-in, notifications, policy outcomes).
--
-- Guarantees, whoever the client is:
--   * append-only: UPDATE, DELETE and TRUNCATE are refused by triggers (for a
--     superuser too, unless they disable the triggers, which the chain
--     then exposes); approval_app holds INSERT and SELECT only;
--   * every row links to the one before: hash = sha256(prev_hash ||
--     canonical row), the first row's prev_hash is 64 zeros; writers are
--     serialised by a transaction-scoped advisory lock plus a row lock on
--     the one-row approval.audit_chain, so ids are dense (1, 2, 3, ...),
--     `at` never goes backwards, and a transaction that cannot see the
--     current head (REPEATABLE READ / SERIALIZABLE started earlier) fails
--     with a serialization error (40001, retry it) instead of forking the
--     chain;
--   * the kinds written by these triggers cannot be forged through a
--     direct INSERT by the application role: only the kinds listed in
--     approval.audit_app_kind() may come from outside.
--
-- CANONICAL ROW (approvalctl audit verify recomputes it in C; keep in step):
--   hash      = lower-case hex of SHA-256 over the UTF-8 bytes of
--               prev_hash || canonical
--   canonical = F(id) F(at) F(kind) F(actor) F(subject) F(request_id) F(detail)
--               concatenated with nothing between them, where
--   F(NULL)   = "-,"                        (dash, comma)
--   F(v)      = N ":" v ","                 N = decimal length of v in UTF-8
--                                            bytes, no sign, no leading zeros
--   id        : decimal, e.g. "42"
--   at        : UTC, "YYYY-MM-DDTHH:MI:SS.ffffffZ" (always 6 fraction
--               digits), e.g. "2026-03-04T22:30:00.000001Z"
--   kind, actor, subject : the text as stored
--   request_id: the uuid in lower-case 8-4-4-4-12 form
--   detail    : PostgreSQL's text output of the jsonb value (detail::text;
--               keys sorted by jsonb's own order, ", " and ": " separators);
--               a verifier takes it verbatim from the server
--   Example: id 1, at 2026-01-02 03:04:05.06+00, kind "host.added", actor
--   "postgres", subject "web1", request_id NULL, detail {"id": 1} gives
--   1:1,27:2026-01-02T03:04:05.060000Z,10:host.added,8:postgres,4:web1,-,9:{"id": 1},
-- Nothing in it depends on session settings (TimeZone, DateStyle, locale,
-- client_encoding).

CREATE TABLE approval.audit_log (
    id          bigint PRIMARY KEY,                 -- set by the chain trigger
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$'),
    actor       text,
    subject     text,
    request_id  uuid,
    detail      jsonb,
    prev_hash   text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_log_at ON approval.audit_log (at);
CREATE INDEX audit_log_request ON approval.audit_log (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX audit_log_kind_at ON approval.audit_log (kind, at);
COMMENT ON TABLE approval.audit_log IS
    'Append-only, hash-chained record of every event; see sql/002_audit.sql for the canonical row';

-- The head of the chain, one row. Written only by the chain trigger; the
-- row lock on it is what makes a concurrent writer with an old snapshot
-- fail instead of forking.
CREATE TABLE approval.audit_chain (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_id    bigint NOT NULL,
    last_at    timestamptz,
    last_hash  text NOT NULL CHECK (last_hash ~ '^[0-9a-f]{64}$')
);
INSERT INTO approval.audit_chain (singleton, last_id, last_at, last_hash)
    VALUES (true, 0, NULL, repeat('0', 64));

-- Timestamps inside the canonical row and inside detail: UTC, microseconds.
CREATE FUNCTION approval.audit_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE FUNCTION approval.audit_field(v text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT CASE WHEN v IS NULL THEN '-,'
           ELSE pg_catalog.length(pg_catalog.convert_to(v, 'UTF8'))::text || ':' || v || ','
           END
$$;

CREATE FUNCTION approval.audit_canonical(id bigint, at timestamptz, kind text,
    actor text, subject text, request_id uuid, detail jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT approval.audit_field(id::text) || approval.audit_field(approval.audit_ts(at))
        || approval.audit_field(kind) || approval.audit_field(actor)
        || approval.audit_field(subject) || approval.audit_field(request_id::text)
        || approval.audit_field(detail::text)
$$;

CREATE FUNCTION approval.audit_hash(prev_hash text, canonical text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(prev_hash || canonical, 'UTF8')), 'hex')
$$;

-- Kinds the application may write itself (direct INSERT or audit_event()).
-- Everything else is written by the triggers below and cannot be forged
-- by approval_app.
CREATE FUNCTION approval.audit_app_kind(kind text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT kind ~ '^(auth\.(sign_in|sign_in_failed|sign_out)|notification\.(sent|failed)|policy\.outcome|report\.exported|daemon\.[a-z_]+)$'
$$;

-- Runs as the inserting role (not SECURITY DEFINER, fires first by name):
-- a role that does not have the table owner's rights may only write
-- application kinds. The recording functions below run as the owner.
CREATE FUNCTION approval.audit_log_origin() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    owner_oid oid;
BEGIN
    IF approval.audit_app_kind(NEW.kind) THEN
        RETURN NEW;
    END IF;
    SELECT c.relowner INTO owner_oid FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID;
    IF NOT pg_catalog.pg_has_role(current_user, owner_oid, 'USAGE') THEN
        RAISE EXCEPTION 'audit kind % is recorded by the database itself', NEW.kind
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;

-- Links the new row to the head under the lock. Whatever the client put in
-- id, at, prev_hash and hash is replaced.
CREATE FUNCTION approval.audit_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    head approval.audit_chain;
BEGIN
    -- 0x61707072 = 'appr'; 1 = the audit chain. Held until commit.
    PERFORM pg_catalog.pg_advisory_xact_lock(1634758770, 1);
    SELECT * INTO head FROM approval.audit_chain c WHERE c.singleton FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'approval.audit_chain has no head row' USING ERRCODE = 'P0006';
    END IF;
    NEW.id := head.last_id + 1;
    NEW.at := pg_catalog.clock_timestamp();
    IF head.last_at IS NOT NULL AND NEW.at < head.last_at THEN
        NEW.at := head.last_at;     -- the clock stepped back: keep order
    END IF;
    NEW.prev_hash := head.last_hash;
    NEW.hash := approval.audit_hash(NEW.prev_hash, approval.audit_canonical(NEW.id,
        NEW.at, NEW.kind, NEW.actor, NEW.subject, NEW.request_id, NEW.detail));
    UPDATE approval.audit_chain c SET last_id = NEW.id, last_at = NEW.at, last_hash = NEW.hash
        WHERE c.singleton;
    RETURN NEW;
END $$;

CREATE FUNCTION approval.audit_log_forbid() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'P0007';
END $$;

CREATE TRIGGER audit_log_a_origin BEFORE INSERT ON approval.audit_log
    FOR EACH ROW EXECUTE FUNCTION approval.audit_log_origin();
CREATE TRIGGER audit_log_b_chain BEFORE INSERT ON approval.audit_log
    FOR EACH ROW EXECUTE FUNCTION approval.audit_log_chain();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON approval.audit_log
    FOR EACH ROW EXECUTE FUNCTION approval.audit_log_forbid();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON approval.audit_log
    FOR EACH ROW EXECUTE FUNCTION approval.audit_log_forbid();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON approval.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION approval.audit_log_forbid();
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON approval.audit_chain
    FOR EACH ROW EXECUTE FUNCTION approval.audit_log_forbid();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON approval.audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION approval.audit_log_forbid();

-- Who did it, for events the database records: a client may name the
-- person with SET LOCAL approval.actor = 'login' (approvalctl, approvald);
-- that claim is kept as actor, and the database role always goes into
-- detail.db_user.
CREATE FUNCTION approval.audit_actor() RETURNS text
LANGUAGE sql STABLE SET search_path = '' AS $$
    SELECT COALESCE(NULLIF(pg_catalog.current_setting('approval.actor', true), ''),
                    session_user::text)
$$;

-- Internal writer for the triggers (runs as the owner; not granted).
CREATE FUNCTION approval.audit_record(kind text, actor text, subject text,
    request_id uuid, detail jsonb) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
    INSERT INTO approval.audit_log (kind, actor, subject, request_id, detail)
    VALUES (kind, actor, subject, request_id,
            COALESCE(detail, '{}'::jsonb) || pg_catalog.jsonb_build_object('db_user', session_user::text));
$$;

-- Events only the application knows. Returns the new row's id.
CREATE FUNCTION approval.audit_event(kind text, actor text, subject text,
    detail jsonb, request_id uuid DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    new_id bigint;
BEGIN
    IF kind IS NULL OR NOT approval.audit_app_kind(kind) THEN
        RAISE EXCEPTION 'audit kind % may not be written by the application', kind
            USING ERRCODE = '42501';
    END IF;
    INSERT INTO approval.audit_log (kind, actor, subject, request_id, detail)
    VALUES (kind, actor, subject, request_id,
            COALESCE(detail, '{}'::jsonb) || pg_catalog.jsonb_build_object('db_user', session_user::text))
    RETURNING approval.audit_log.id INTO new_id;
    RETURN new_id;
END $$;

-- The context of a request as the audit log keeps it (request.created
-- detail); approval.audit_crosscheck compares requests with it.
CREATE FUNCTION approval.audit_request_context(r approval.requests) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = '' AS $$
    SELECT pg_catalog.jsonb_build_object(
        'code', r.code, 'host_id', r.host_id,
        'hostname', r.hostname, 'service', r.service, 'requester', r.requester,
        'requester_uid', r.requester_uid, 'target_user', r.target_user,
        'command', r.command, 'sudo_command', r.sudo_command, 'tty', r.tty,
        'rhost', r.rhost, 'cwd', r.cwd, 'reason', r.reason, 'ticket', r.ticket,
        'digest', r.digest,
        'created_at', approval.audit_ts(r.created_at),
        'expires_at', approval.audit_ts(r.expires_at))
$$;

-- Requests: request_events is the single source (one audit row per
-- request event, no duplicates); "created" carries the full context.
CREATE FUNCTION approval.audit_request_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    r approval.requests;
    host_name text;
    approver_login text;
    d jsonb;
BEGIN
    SELECT * INTO r FROM approval.requests q WHERE q.id = NEW.request_id;
    SELECT h.name INTO host_name FROM approval.hosts h WHERE h.id = r.host_id;
    IF NEW.kind = 'created' THEN
        d := approval.audit_request_context(r) || pg_catalog.jsonb_build_object(
            'event_id', NEW.id, 'host', host_name, 'status', r.status);
    ELSIF NEW.kind = 'self_approval_refused' THEN
        d := pg_catalog.jsonb_build_object(
            'event_id', NEW.id, 'code', r.code, 'host', host_name,
            'requester', r.requester, 'target_user', r.target_user,
            'attempt', NEW.detail, 'event_at', approval.audit_ts(NEW.at));
    ELSE
        SELECT a.login INTO approver_login FROM approval.approvers a WHERE a.id = r.decided_by;
        d := pg_catalog.jsonb_build_object(
            'event_id', NEW.id, 'code', r.code, 'host', host_name,
            'requester', r.requester, 'target_user', r.target_user, 'status', r.status,
            'decided_by', approver_login, 'decided_by_id', r.decided_by,
            'decided_at', approval.audit_ts(r.decided_at),
            'comment', NEW.detail);
    END IF;
    PERFORM approval.audit_record('request.' || NEW.kind, NEW.actor, r.code, NEW.request_id, d);
    RETURN NULL;
END $$;
CREATE TRIGGER request_events_audit AFTER INSERT ON approval.request_events
    FOR EACH ROW EXECUTE FUNCTION approval.audit_request_event();

-- {"field": {"old": .., "new": ..}} for the fields of a that differ in b.
CREATE FUNCTION approval.audit_changes(a jsonb, b jsonb, fields text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$
    SELECT COALESCE(pg_catalog.jsonb_object_agg(f, pg_catalog.jsonb_build_object('old', a -> f, 'new', b -> f)), '{}'::jsonb)
      FROM pg_catalog.unnest(fields) AS f
     WHERE (a -> f) IS DISTINCT FROM (b -> f)
$$;

-- The update events hosts and approvers share: ENTITY.revoked and
-- ENTITY.reinstated (revoked_at set or cleared), ENTITY.changed (any of
-- fields, with old and new values). ids names the row in detail.
CREATE FUNCTION approval.audit_lifecycle(entity text, subject text, ids jsonb,
    o jsonb, n jsonb, fields text[]) RETURNS void
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    who text := approval.audit_actor();
    ch jsonb;
BEGIN
    IF o->'revoked_at' = 'null'::jsonb AND n->'revoked_at' <> 'null'::jsonb THEN
        PERFORM approval.audit_record(entity || '.revoked', who, subject, NULL,
            ids || pg_catalog.jsonb_build_object('revoked_at',
                approval.audit_ts((n->>'revoked_at')::timestamptz)));
    ELSIF o->'revoked_at' <> 'null'::jsonb AND n->'revoked_at' = 'null'::jsonb THEN
        PERFORM approval.audit_record(entity || '.reinstated', who, subject, NULL, ids);
    END IF;
    ch := approval.audit_changes(o, n, fields);
    IF ch <> '{}'::jsonb THEN
        PERFORM approval.audit_record(entity || '.changed', who, subject, NULL,
            ids || pg_catalog.jsonb_build_object('changes', ch));
    END IF;
END $$;

-- Hosts: the token hash never enters the log, only the fact it changed.
CREATE FUNCTION approval.audit_hosts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    who text := approval.audit_actor();
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM approval.audit_record('host.added', who, NEW.name, NULL,
            pg_catalog.jsonb_build_object('host_id', NEW.id, 'name', NEW.name,
                'enabled', NEW.enabled, 'created_at', approval.audit_ts(NEW.created_at)));
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM approval.audit_record('host.deleted', who, OLD.name, NULL,
            pg_catalog.jsonb_build_object('host_id', OLD.id, 'name', OLD.name));
        RETURN NULL;
    END IF;
    PERFORM approval.audit_lifecycle('host', NEW.name, pg_catalog.jsonb_build_object('host_id', NEW.id),
        pg_catalog.to_jsonb(OLD), pg_catalog.to_jsonb(NEW), ARRAY['name', 'enabled']);
    IF NEW.token_hash <> OLD.token_hash THEN
        PERFORM approval.audit_record('host.token_rotated', who, NEW.name, NULL,
            pg_catalog.jsonb_build_object('host_id', NEW.id));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER hosts_audit AFTER INSERT OR UPDATE OR DELETE ON approval.hosts
    FOR EACH ROW EXECUTE FUNCTION approval.audit_hosts();

-- Approvers: roles, unix logins, enabled, revocation, and "a password was
-- set" (never the hash).
CREATE FUNCTION approval.audit_approvers() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    who text := approval.audit_actor();
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM approval.audit_record('approver.added', who, NEW.login, NULL,
            pg_catalog.jsonb_build_object('approver_id', NEW.id, 'login', NEW.login,
                'display_name', NEW.display_name, 'roles', pg_catalog.to_jsonb(NEW.roles),
                'unix_logins', pg_catalog.to_jsonb(NEW.unix_logins), 'enabled', NEW.enabled,
                'password_set', NEW.password_hash IS NOT NULL,
                'created_at', approval.audit_ts(NEW.created_at)));
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM approval.audit_record('approver.deleted', who, OLD.login, NULL,
            pg_catalog.jsonb_build_object('approver_id', OLD.id, 'login', OLD.login));
        RETURN NULL;
    END IF;
    PERFORM approval.audit_lifecycle('approver', NEW.login, pg_catalog.jsonb_build_object('approver_id', NEW.id),
        pg_catalog.to_jsonb(OLD), pg_catalog.to_jsonb(NEW),
        ARRAY['login', 'display_name', 'roles', 'unix_logins', 'enabled']);
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
        PERFORM approval.audit_record('approver.password_set', who, NEW.login, NULL,
            pg_catalog.jsonb_build_object('approver_id', NEW.id,
                'password_set', NEW.password_hash IS NOT NULL));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER approvers_audit AFTER INSERT OR UPDATE OR DELETE ON approval.approvers
    FOR EACH ROW EXECUTE FUNCTION approval.audit_approvers();

-- API tokens: issued and revoked, by token id (never the hash).
CREATE FUNCTION approval.audit_api_tokens() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    who text := approval.audit_actor();
    t approval.api_tokens;
    login text;
BEGIN
    IF TG_OP = 'DELETE' THEN t := OLD; ELSE t := NEW; END IF;
    SELECT a.login INTO login FROM approval.approvers a WHERE a.id = t.approver_id;
    IF TG_OP = 'INSERT' THEN
        PERFORM approval.audit_record('api_token.issued', who, login, NULL,
            pg_catalog.jsonb_build_object('token_id', t.id, 'approver_id', t.approver_id,
                'created_at', approval.audit_ts(t.created_at)));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM approval.audit_record('api_token.deleted', who, login, NULL,
            pg_catalog.jsonb_build_object('token_id', t.id, 'approver_id', t.approver_id));
    ELSIF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
        PERFORM approval.audit_record('api_token.revoked', who, login, NULL,
            pg_catalog.jsonb_build_object('token_id', t.id, 'approver_id', t.approver_id,
                'revoked_at', approval.audit_ts(t.revoked_at)));
    ELSIF (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS NULL)
          OR NEW.token_hash <> OLD.token_hash OR NEW.approver_id <> OLD.approver_id THEN
        PERFORM approval.audit_record('api_token.changed', who, login, NULL,
            pg_catalog.jsonb_build_object('token_id', t.id, 'approver_id', t.approver_id,
                'old_approver_id', OLD.approver_id, 'revoked', NEW.revoked_at IS NOT NULL,
                'token_replaced', NEW.token_hash <> OLD.token_hash));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER api_tokens_audit AFTER INSERT OR UPDATE OR DELETE ON approval.api_tokens
    FOR EACH ROW EXECUTE FUNCTION approval.audit_api_tokens();

-- The head, to record elsewhere (approvalctl audit head, approvald syslog).
CREATE VIEW approval.audit_head AS
    SELECT l.id, l.at, l.hash FROM approval.audit_log l ORDER BY l.id DESC LIMIT 1;
COMMENT ON VIEW approval.audit_head IS 'Newest audit_log row: id, at, hash (the chain head)';

-- Recompute the chain inside the database: one row per problem, in id
-- order, nothing when the chain from from_id on is intact. Problems:
--   'hash mismatch'  the row's content does not give its hash (edited row);
--   'broken link'    prev_hash is not the hash of the row before (a row
--                    before it was deleted, inserted or edited with its hash);
--   'missing rows'   ids are dense, so a gap is a deletion;
--   'head mismatch'  approval.audit_chain says the newest row is another one
--                    (rows deleted at the end).
-- An auditor who does not trust functions in the database runs the same
-- query inline (docs/compliance.md) or approvalctl audit verify.
CREATE FUNCTION approval.audit_verify(from_id bigint DEFAULT 1)
RETURNS TABLE (id bigint, problem text)
LANGUAGE sql STABLE SET search_path = '' AS $$
    WITH r AS (
        SELECT l.id, l.prev_hash, l.hash,
               approval.audit_hash(l.prev_hash, approval.audit_canonical(l.id, l.at,
                   l.kind, l.actor, l.subject, l.request_id, l.detail)) AS recomputed,
               pg_catalog.lag(l.hash) OVER w AS before_hash,
               pg_catalog.lag(l.id) OVER w AS before_id
          FROM approval.audit_log l
         WHERE l.id >= GREATEST(from_id, 1) - 1
        WINDOW w AS (ORDER BY l.id)
    ), problems AS (
        SELECT r.id,
               CASE WHEN r.recomputed <> r.hash THEN 'hash mismatch'
                    WHEN r.id = 1 AND r.prev_hash <> repeat('0', 64) THEN 'broken link'
                    WHEN r.id > 1 AND r.before_id IS NULL THEN 'missing rows'
                    WHEN r.before_id IS NOT NULL AND r.prev_hash <> r.before_hash THEN 'broken link'
                    WHEN r.before_id IS NOT NULL AND r.id <> r.before_id + 1 THEN 'missing rows'
               END AS problem
          FROM r
         WHERE r.id >= GREATEST(from_id, 1)
        UNION ALL
        SELECT c.last_id, 'head mismatch'
          FROM approval.audit_chain c
         WHERE c.last_id >= GREATEST(from_id, 1)
           AND (NOT EXISTS (SELECT 1 FROM approval.audit_log l
                             WHERE l.id = c.last_id AND l.hash = c.last_hash)
                OR EXISTS (SELECT 1 FROM approval.audit_log l WHERE l.id > c.last_id))
    )
    SELECT p.id, p.problem FROM problems p WHERE p.problem IS NOT NULL ORDER BY p.id, p.problem
$$;

-- Privileges: the application appends and reads; the auditor reads.
REVOKE ALL ON approval.audit_log, approval.audit_chain FROM PUBLIC;
GRANT SELECT, INSERT ON approval.audit_log TO approval_app;
GRANT SELECT ON approval.audit_log, approval.audit_chain, approval.audit_head TO approval_app, approval_auditor;
REVOKE ALL ON FUNCTION approval.audit_record(text, text, text, uuid, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.audit_event(text, text, text, jsonb, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.audit_log_chain() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.audit_request_event() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.audit_hosts() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.audit_approvers() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.audit_api_tokens() FROM PUBLIC;
REVOKE ALL ON FUNCTION approval.audit_lifecycle(text, text, jsonb, jsonb, jsonb, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approval.audit_event(text, text, text, jsonb, uuid) TO approval_app;
