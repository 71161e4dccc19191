-- 001_core.sql: hosts, approvers, tokens, requests and their events.
-- Rules that must hold even for a buggy or hostile client live here:
--   * a final request never changes again (status, decision, context);
--   * nobody decides a request whose requester is one of their unix logins;
--   * every change of a request is recorded in request_events and announced
--     on the channel "approval_events" (payload "<uuid> <status>"), so every
--     approvald instance wakes its waiters, whoever wrote the change.
-- Applied once by `approvalctl migrate` (schema_migrations records it);
-- never edited after release: later changes go into new numbered files.

CREATE SCHEMA IF NOT EXISTS approval;

CREATE TABLE approval.hosts (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE
                CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$'),
    token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE approval.approvers (
    id            bigserial PRIMARY KEY,
    login         text NOT NULL UNIQUE
                  CHECK (login ~ '^[A-Za-z0-9_][A-Za-z0-9._@-]{0,127}$'),
    display_name  text NOT NULL DEFAULT '',
    password_hash text,
    unix_logins   text[] NOT NULL DEFAULT '{}',
    roles         text[] NOT NULL DEFAULT '{approver}'
                  CHECK (roles <@ ARRAY['approver', 'auditor', 'admin']::text[]),
    enabled       boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);

CREATE TABLE approval.api_tokens (
    id           bigserial PRIMARY KEY,
    approver_id  bigint NOT NULL REFERENCES approval.approvers(id),
    token_hash   text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE TABLE approval.requests (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code             text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}$'),
    host_id          bigint NOT NULL REFERENCES approval.hosts(id),
    hostname         text NOT NULL,           -- as the module reported it
    service          text NOT NULL,
    requester        text NOT NULL,           -- invoking unix login
    requester_uid    bigint NOT NULL CHECK (requester_uid >= 0),
    target_user      text NOT NULL,
    command          text NOT NULL,           -- /proc/self/cmdline of sudo/su
    sudo_command     text,                    -- SUDO_COMMAND under sudo
    tty              text,
    rhost            text,
    cwd              text,
    reason           text,                    -- requester-supplied
    ticket           text,                    -- requester-supplied
    digest           text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    decided_at       timestamptz,
    decided_by       bigint REFERENCES approval.approvers(id),
    decision_comment text,
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK (status NOT IN ('approved', 'denied') OR decided_by IS NOT NULL),
    CHECK (expires_at > created_at)
);
CREATE INDEX requests_status_created ON approval.requests (status, created_at);
CREATE INDEX requests_created ON approval.requests (created_at);
CREATE INDEX requests_host ON approval.requests (host_id, created_at);
CREATE INDEX requests_pending_expiry ON approval.requests (expires_at) WHERE status = 'pending';

-- One row per thing that happened to a request, in order (id is the
-- sequence clients follow with GET /v1/events?after=ID).
CREATE TABLE approval.request_events (
    id          bigserial PRIMARY KEY,
    request_id  uuid NOT NULL REFERENCES approval.requests(id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind        text NOT NULL CHECK (kind IN ('created', 'approved', 'denied', 'expired', 'cancelled', 'self_approval_refused')),
    actor       text,                         -- approver login, host name or 'system'
    detail      text
);
CREATE INDEX request_events_request ON approval.request_events (request_id, id);

-- Final states never change; context never changes; decisions carry who and
-- are never made by the requester themself.
CREATE FUNCTION approval.requests_guard() RETURNS trigger
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
        SELECT a.login = NEW.requester OR NEW.requester = ANY (a.unix_logins)
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
CREATE TRIGGER requests_guard BEFORE UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_guard();

CREATE FUNCTION approval.requests_forbid_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    RAISE EXCEPTION 'requests are history and are never deleted' USING ERRCODE = 'P0005';
END $$;
CREATE TRIGGER requests_no_delete BEFORE DELETE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_forbid_delete();
CREATE TRIGGER requests_no_truncate BEFORE TRUNCATE ON approval.requests
    FOR EACH STATEMENT EXECUTE FUNCTION approval.requests_forbid_delete();

-- Record and announce every change, whoever made it.
CREATE FUNCTION approval.requests_events() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    who text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT h.name INTO who FROM approval.hosts h WHERE h.id = NEW.host_id;
        INSERT INTO approval.request_events (request_id, kind, actor, detail)
            VALUES (NEW.id, 'created', who, NULL);
    ELSIF NEW.status <> OLD.status THEN
        IF NEW.decided_by IS NOT NULL THEN
            SELECT a.login INTO who FROM approval.approvers a WHERE a.id = NEW.decided_by;
        ELSIF NEW.status = 'cancelled' THEN
            SELECT h.name INTO who FROM approval.hosts h WHERE h.id = NEW.host_id;
        ELSE
            who := 'system';
        END IF;
        INSERT INTO approval.request_events (request_id, kind, actor, detail)
            VALUES (NEW.id, NEW.status, who, NEW.decision_comment);
    ELSE
        RETURN NULL;
    END IF;
    PERFORM pg_notify('approval_events', NEW.id::text || ' ' || NEW.status);
    RETURN NULL;
END $$;
CREATE TRIGGER requests_events AFTER INSERT OR UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_events();

-- A refused self-approval attempt is evidence too (report_self_approval_attempts):
-- the daemon calls this in its own transaction after the guard refused.
CREATE FUNCTION approval.record_self_approval_attempt(req uuid, approver_login text, what text)
RETURNS void LANGUAGE sql SET search_path = '' AS $$
    INSERT INTO approval.request_events (request_id, kind, actor, detail)
    VALUES (req, 'self_approval_refused', approver_login, what);
$$;

-- Roles. approval_app is what approvald logs in as: it reads and writes
-- requests but never deletes, and cannot alter the schema. approval_auditor
-- reads everything (reports, history) and writes nothing. Migrations run as
-- the schema owner (a superuser or the database owner), never as these.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'approval_app') THEN
        CREATE ROLE approval_app LOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'approval_auditor') THEN
        CREATE ROLE approval_auditor LOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA approval TO approval_app, approval_auditor;
GRANT SELECT ON approval.hosts, approval.approvers, approval.api_tokens TO approval_app;
GRANT UPDATE (password_hash) ON approval.approvers TO approval_app;
GRANT SELECT, INSERT, UPDATE ON approval.requests TO approval_app;
GRANT SELECT, INSERT ON approval.request_events TO approval_app;
GRANT USAGE ON SEQUENCE approval.request_events_id_seq TO approval_app;
GRANT SELECT ON ALL TABLES IN SCHEMA approval TO approval_auditor;
GRANT EXECUTE ON FUNCTION approval.record_self_approval_attempt(uuid, text, text) TO approval_app;
