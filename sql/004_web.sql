-- 004_web.sql: browser sign-in for approvers (issue 3).
--   * web_sessions: server-side sessions. The cookie carries a random id
--     (256 bits); only sha256(id) is stored, so a read of this table does
--     not yield a usable cookie. A session ends at the first of: idle
--     expiry (slides on use), absolute expiry (fixed at sign-in), revocation
--     (logout, password change), the approver being disabled or revoked.
--   * login_failures: failed password sign-ins, by login as typed (existing
--     or not, so the throttle does not reveal which logins exist) and by
--     client address; approval.login_wait() turns them into a growing delay.
-- Never edited after release: later changes go into new numbered files.

CREATE TABLE approval.web_sessions (
    id              bigserial PRIMARY KEY,
    id_hash         text NOT NULL UNIQUE CHECK (id_hash ~ '^[0-9a-f]{64}$'),
    approver_id     bigint NOT NULL REFERENCES approval.approvers(id),
    csrf_token      text NOT NULL CHECK (csrf_token ~ '^[A-Za-z0-9_-]{43}$'),
    via             text NOT NULL CHECK (via IN ('password', 'sso')),
    remote_addr     text CHECK (length(remote_addr) <= 64),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen       timestamptz NOT NULL DEFAULT now(),
    idle_timeout    interval NOT NULL CHECK (idle_timeout > '0'::interval),
    idle_expires_at timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX web_sessions_approver ON approval.web_sessions (approver_id)
    WHERE revoked_at IS NULL;

CREATE TABLE approval.login_failures (
    id          bigserial PRIMARY KEY,
    login       text NOT NULL CHECK (length(login) <= 256),
    remote_addr text NOT NULL CHECK (length(remote_addr) <= 64),
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_login ON approval.login_failures (login, at);
CREATE INDEX login_failures_addr ON approval.login_failures (remote_addr, at);

-- Seconds the caller must wait before the next password attempt for this
-- login from this address; 0 means go ahead. Failures of the last 15
-- minutes count. Per login: from the 3rd failure on, the wait doubles
-- (1, 2, 4 ... s) up to 15 minutes. Per address (guessing many logins):
-- the same from the 10th failure on. The wait runs from the latest
-- failure, so a client that keeps trying while refused gains nothing.
CREATE FUNCTION approval.login_wait(p_login text, p_addr text)
RETURNS integer LANGUAGE sql STABLE SET search_path = '' AS $$
    WITH f AS (
        SELECT count(*) FILTER (WHERE login = p_login) AS n_login,
               max(at) FILTER (WHERE login = p_login) AS last_login,
               count(*) FILTER (WHERE remote_addr = p_addr) AS n_addr,
               max(at) FILTER (WHERE remote_addr = p_addr) AS last_addr
          FROM approval.login_failures
         WHERE (login = p_login OR remote_addr = p_addr)
           AND at > now() - interval '15 minutes'
    ), w AS (
        SELECT CASE WHEN n_login >= 3
                    THEN ceil(extract(epoch FROM last_login
                         + make_interval(secs => least(900, 2 ^ least(n_login - 3, 20)))
                         - now()))
                    ELSE 0 END AS w_login,
               CASE WHEN n_addr >= 10
                    THEN ceil(extract(epoch FROM last_addr
                         + make_interval(secs => least(900, 2 ^ least(n_addr - 10, 20)))
                         - now()))
                    ELSE 0 END AS w_addr
          FROM f
    )
    SELECT greatest(0, w_login, w_addr)::integer FROM w;
$$;

-- approvald (approval_app) creates, reads and ends sessions but never
-- deletes them (they are evidence of who was signed in when); it records
-- failures, clears a login's failures after a good sign-in, and prunes old
-- rows. The auditor sees sessions without their secrets.
GRANT SELECT, INSERT ON approval.web_sessions TO approval_app;
GRANT UPDATE (last_seen, idle_expires_at, revoked_at) ON approval.web_sessions TO approval_app;
GRANT USAGE ON SEQUENCE approval.web_sessions_id_seq TO approval_app;
GRANT SELECT, INSERT, DELETE ON approval.login_failures TO approval_app;
GRANT USAGE ON SEQUENCE approval.login_failures_id_seq TO approval_app;
GRANT EXECUTE ON FUNCTION approval.login_wait(text, text) TO approval_app;
GRANT SELECT (id, approver_id, via, remote_addr, created_at, last_seen,
              idle_expires_at, expires_at, revoked_at)
    ON approval.web_sessions TO approval_auditor;
GRANT SELECT ON approval.login_failures TO approval_auditor;
