-- People sign in to the web board as people: a password (kept as an argon2id PHC string) and a second factor
-- (TOTP, RFC 6238). Failed sign-ins are counted per person; past a limit the account locks for a while.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN totp_secret TEXT;
-- The last TOTP time step accepted: a code is good once, so one seen over a shoulder cannot be replayed.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE users ADD COLUMN failed_sign_ins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;

-- Sessions of the web board, kept server-side. The cookie carries a random token; only its SHA-256 is kept.
-- stage: 'second_factor' (password checked, code awaited), 'enrol' (a second factor being set up), 'signed_in'.
CREATE TABLE web_sessions (
    digest TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    stage TEXT NOT NULL,
    csrf TEXT NOT NULL,
    -- The secret shown at enrolment, until the person confirms it with a code.
    pending_secret TEXT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_name);
