-- 007_command_length.sql: what a request's command text stands for. The
-- module shows approvers at most 8 KiB of the command line (and of
-- SUDO_COMMAND), but the digest binds the whole command through its
-- sha256 and length; these columns keep that, and how many bytes the text
-- shows, so approvers are told plainly when a command was cut. All four of
-- a group are NULL for a request from a module that did not report them
-- (truncated then false: not known to be cut). Like the rest of a
-- request's context they never change once written.
ALTER TABLE approval.requests
    ADD COLUMN command_length         bigint,
    ADD COLUMN command_shown          bigint,
    ADD COLUMN command_truncated      boolean NOT NULL DEFAULT false,
    ADD COLUMN command_sha256         text,
    ADD COLUMN sudo_command_length    bigint,
    ADD COLUMN sudo_command_shown     bigint,
    ADD COLUMN sudo_command_truncated boolean NOT NULL DEFAULT false,
    ADD COLUMN sudo_command_sha256    text,
    ADD CONSTRAINT requests_command_full CHECK (
        (command_sha256 IS NULL) = (command_length IS NULL)
        AND (command_length IS NULL) = (command_shown IS NULL)
        AND (command_sha256 IS NULL OR command_sha256 ~ '^[0-9a-f]{64}$')
        AND (command_length IS NULL
             OR (command_shown >= 0 AND command_shown <= command_length))
        AND command_truncated = coalesce(command_shown < command_length, false)),
    ADD CONSTRAINT requests_sudo_command_full CHECK (
        (sudo_command_sha256 IS NULL) = (sudo_command_length IS NULL)
        AND (sudo_command_length IS NULL) = (sudo_command_shown IS NULL)
        AND (sudo_command_sha256 IS NULL OR sudo_command_sha256 ~ '^[0-9a-f]{64}$')
        AND (sudo_command_length IS NULL OR sudo_command IS NOT NULL)
        AND (sudo_command_length IS NULL
             OR (sudo_command_shown >= 0 AND sudo_command_shown <= sudo_command_length))
        AND sudo_command_truncated = coalesce(sudo_command_shown < sudo_command_length, false));

COMMENT ON COLUMN approval.requests.command_length IS
    'Bytes of the whole command line (arguments with their NULs); NULL: not reported';
COMMENT ON COLUMN approval.requests.command_shown IS
    'How many of those bytes the command text shows';
COMMENT ON COLUMN approval.requests.command_truncated IS
    'The command text was cut: command_shown < command_length';
COMMENT ON COLUMN approval.requests.command_sha256 IS
    'sha256 of the whole command line, bound by the digest';
COMMENT ON COLUMN approval.requests.sudo_command_length IS
    'Bytes of the whole SUDO_COMMAND; NULL: not reported';
COMMENT ON COLUMN approval.requests.sudo_command_shown IS
    'How many of those bytes sudo_command shows';
COMMENT ON COLUMN approval.requests.sudo_command_truncated IS
    'sudo_command was cut: sudo_command_shown < sudo_command_length';
COMMENT ON COLUMN approval.requests.sudo_command_sha256 IS
    'sha256 of the whole SUDO_COMMAND, bound by the digest';

-- The context guard of requests_guard (006) does not know these columns.
CREATE FUNCTION approval.requests_command_full_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF (NEW.command_length, NEW.command_shown, NEW.command_truncated,
        NEW.command_sha256, NEW.sudo_command_length, NEW.sudo_command_shown,
        NEW.sudo_command_truncated, NEW.sudo_command_sha256)
       IS DISTINCT FROM
       (OLD.command_length, OLD.command_shown, OLD.command_truncated,
        OLD.command_sha256, OLD.sudo_command_length, OLD.sudo_command_shown,
        OLD.sudo_command_truncated, OLD.sudo_command_sha256) THEN
        RAISE EXCEPTION 'request % context is immutable', OLD.id
            USING ERRCODE = 'P0003';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER requests_command_full_guard BEFORE UPDATE ON approval.requests
    FOR EACH ROW EXECUTE FUNCTION approval.requests_command_full_guard();
