-- 010_initiator.sql: who or what initiated a request (docs/agents.md).
-- Reported context (requester-chosen text from APPROVAL_AGENT, _RUN_URL,
-- _COMMIT, _PROMPT: shown as "reported by the requester"), observed context
-- (the module's reading of /proc: ancestry by executable, audit login uid
-- and session, controlling terminal, and a note of what it could not
-- read), and the initiator kind derived from both and from the host's
-- setting. Like the rest of a request's context none of it changes once
-- written. Requests filed before this migration have initiator NULL.
ALTER TABLE approval.hosts
    ADD COLUMN initiator text CHECK (initiator IN ('human', 'agent', 'ci'));
COMMENT ON COLUMN approval.hosts.initiator IS
    'Initiator kind of every request from this host (e.g. a CI runner); NULL: derived per request';

ALTER TABLE approval.requests
    ADD COLUMN agent          text,
    ADD COLUMN run_url        text,
    ADD COLUMN commit_ref     text,
    ADD COLUMN prompt         text,
    ADD COLUMN ancestry       jsonb CHECK (ancestry IS NULL OR jsonb_typeof(ancestry) = 'array'),
    ADD COLUMN loginuid       bigint CHECK (loginuid >= 0),
    ADD COLUMN audit_session  bigint CHECK (audit_session >= 0),
    ADD COLUMN tty_attached   boolean,
    ADD COLUMN observed_note  text,
    ADD COLUMN initiator      text CHECK (initiator IN ('human', 'agent', 'ci'));
COMMENT ON COLUMN approval.requests.agent IS 'Reported by the requester: agent or pipeline name and version (untrusted)';
COMMENT ON COLUMN approval.requests.run_url IS 'Reported by the requester: CI run or agent session link (untrusted)';
COMMENT ON COLUMN approval.requests.commit_ref IS 'Reported by the requester: commit (untrusted)';
COMMENT ON COLUMN approval.requests.prompt IS 'Reported by the requester: the instruction that led to the command (untrusted, <= 2 KiB)';
COMMENT ON COLUMN approval.requests.ancestry IS 'Observed: [{pid, exe, argv}], the elevating process first, up to its session leader';
COMMENT ON COLUMN approval.requests.loginuid IS 'Observed: /proc/self/loginuid (4294967295: unset)';
COMMENT ON COLUMN approval.requests.audit_session IS 'Observed: /proc/self/sessionid (4294967295: unset)';
COMMENT ON COLUMN approval.requests.tty_attached IS 'Observed: a controlling terminal was attached';
COMMENT ON COLUMN approval.requests.observed_note IS 'Observed: what could not be read, and why';
COMMENT ON COLUMN approval.requests.initiator IS 'human, agent or ci (approval.classify_initiator); NULL: filed before 010';
-- No index on initiator: the list walks requests_created newest first and
-- filters; another index would be one more write for every row the expiry
-- sweep updates.

-- The kind of a request: the host's setting when it has one; else 'ci'
-- when an observed ancestor's executable is a known CI runner; else
-- 'agent' when the requester reported an agent; else 'ci' when it
-- reported only a run link; else 'human'. Reported context can make a
-- request look like automation (or not): the kind labels, it is not
-- evidence, and it decides nothing here.
CREATE FUNCTION approval.classify_initiator(host_kind text, agent text,
                                            run_url text, ancestry jsonb)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = '' AS $$
    SELECT CASE
        WHEN host_kind IS NOT NULL THEN host_kind
        WHEN EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(
                         coalesce(ancestry, '[]'::jsonb)) p
                      WHERE pg_catalog.regexp_replace(p->>'exe', '^.*/', '') IN
                            ('gitlab-runner', 'Runner.Worker', 'Runner.Listener',
                             'buildkite-agent', 'act_runner', 'forgejo-runner',
                             'woodpecker-agent', 'drone-runner-exec')) THEN 'ci'
        WHEN agent IS NOT NULL THEN 'agent'
        WHEN run_url IS NOT NULL THEN 'ci'
        ELSE 'human'
    END
$$;

-- The ancestry as one line, eldest first: "pid exe → pid exe → ...".
CREATE FUNCTION approval.ancestry_chain(ancestry jsonb)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = '' AS $$
    SELECT pg_catalog.string_agg(
               (p.e->>'pid') || ' ' || coalesce(p.e->>'exe', '(unreadable)'),
               ' → ' ORDER BY p.n DESC)
      FROM pg_catalog.jsonb_array_elements(ancestry) WITH ORDINALITY AS p(e, n)
$$;

CREATE FUNCTION approval.requests_initiator_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF (NEW.agent, NEW.run_url, NEW.commit_ref, NEW.prompt, NEW.ancestry,
        NEW.loginuid, NEW.audit_session, NEW.tty_attached, NEW.observed_note,
        NEW.initiator)
       IS DISTINCT FROM
       (OLD.agent, OLD.run_url, OLD.commit_ref, OLD.prompt, OLD.ancestry,
        OLD.loginuid, OLD.audit_session, OLD.tty_attached, OLD.observed_note,
        OLD.initiator) THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id
            USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END
$$;
-- Only an UPDATE that names one of these columns can change them (no other
-- trigger writes them), so the guard fires only for those: the expiry
-- sweep's mass UPDATE of status pays nothing for it.
CREATE TRIGGER requests_initiator_guard
    BEFORE UPDATE OF agent, run_url, commit_ref, prompt, ancestry, loginuid,
        audit_session, tty_attached, observed_note, initiator
    ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_initiator_guard();

-- report_elevations: the same columns as before, then the new context.
CREATE OR REPLACE VIEW approval.report_elevations AS
SELECT (r.created_at AT TIME ZONE s.time_zone)::date AS day,
       r.created_at,
       r.decided_at,
       r.expires_at,
       r.id AS request_id,
       r.code,
       h.name AS host,
       r.hostname,
       r.requester,
       r.requester_uid,
       r.target_user,
       r.service,
       r.command,
       r.sudo_command,
       r.tty,
       r.rhost,
       r.cwd,
       r.reason,
       r.ticket,
       r.status AS outcome,
       a.login AS decided_by,
       r.decision_comment,
       CASE WHEN r.status IN ('approved', 'denied')
            THEN round(EXTRACT(epoch FROM r.decided_at - r.created_at), 3) END
           AS decision_latency_seconds,
       r.initiator,
       r.agent AS reported_agent,
       r.run_url AS reported_run_url,
       r.commit_ref AS reported_commit,
       r.prompt AS reported_prompt,
       approval.ancestry_chain(r.ancestry) AS observed_ancestry,
       r.loginuid AS observed_loginuid,
       r.audit_session AS observed_audit_session,
       r.tty_attached AS observed_tty_attached,
       r.observed_note
  FROM approval.requests r
  JOIN approval.hosts h ON h.id = r.host_id
  LEFT JOIN approval.approvers a ON a.id = r.decided_by
 CROSS JOIN approval.report_settings s;
COMMENT ON COLUMN approval.report_elevations.initiator IS 'human, agent or ci (NULL: filed before the kind was recorded)';
COMMENT ON COLUMN approval.report_elevations.reported_agent IS 'Reported by the requester (APPROVAL_AGENT), untrusted';
COMMENT ON COLUMN approval.report_elevations.reported_run_url IS 'Reported by the requester (APPROVAL_RUN_URL), untrusted';
COMMENT ON COLUMN approval.report_elevations.reported_commit IS 'Reported by the requester (APPROVAL_COMMIT), untrusted';
COMMENT ON COLUMN approval.report_elevations.reported_prompt IS 'Reported by the requester (APPROVAL_PROMPT), untrusted';
COMMENT ON COLUMN approval.report_elevations.observed_ancestry IS 'Observed process chain by executable, eldest first';
COMMENT ON COLUMN approval.report_elevations.observed_loginuid IS 'Observed audit login uid';
COMMENT ON COLUMN approval.report_elevations.observed_audit_session IS 'Observed audit session id';
COMMENT ON COLUMN approval.report_elevations.observed_tty_attached IS 'Observed: a controlling terminal was attached';
COMMENT ON COLUMN approval.report_elevations.observed_note IS 'Observed: what could not be read';

-- report_initiators: requests per day, host, service and initiator kind.
CREATE VIEW approval.report_initiators AS
SELECT e.day,
       e.host,
       e.service,
       coalesce(e.initiator, 'unknown') AS initiator,
       count(*) AS requests,
       count(*) FILTER (WHERE e.outcome = 'approved') AS approved,
       count(*) FILTER (WHERE e.outcome = 'denied') AS denied,
       count(*) FILTER (WHERE e.outcome = 'expired') AS expired,
       count(*) FILTER (WHERE e.outcome = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE e.outcome = 'pending') AS pending
  FROM approval.report_elevations e
 GROUP BY e.day, e.host, e.service, coalesce(e.initiator, 'unknown');
COMMENT ON VIEW approval.report_initiators IS
    'Requests per day, host and service, broken down by initiator kind (human, agent, ci; unknown before 010)';
COMMENT ON COLUMN approval.report_initiators.day IS 'Date, in report_settings.time_zone';
COMMENT ON COLUMN approval.report_initiators.host IS 'Enrolled host name';
COMMENT ON COLUMN approval.report_initiators.service IS 'PAM service, or the service an action approval named';
COMMENT ON COLUMN approval.report_initiators.initiator IS 'human, agent, ci, or unknown';
COMMENT ON COLUMN approval.report_initiators.requests IS 'Requests filed';
COMMENT ON COLUMN approval.report_initiators.approved IS 'Of those, approved';
COMMENT ON COLUMN approval.report_initiators.denied IS 'Of those, denied';
COMMENT ON COLUMN approval.report_initiators.expired IS 'Of those, expired';
COMMENT ON COLUMN approval.report_initiators.cancelled IS 'Of those, cancelled';
COMMENT ON COLUMN approval.report_initiators.pending IS 'Of those, still pending';
GRANT SELECT ON approval.report_initiators TO approval_auditor, approval_app;
