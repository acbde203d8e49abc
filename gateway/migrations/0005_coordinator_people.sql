-- Coordinators sign in to the dashboard as people: a password (an argon2id PHC string) and a second factor
-- (TOTP), each person mapped to the coordinator identity whose rights they have (the name in a coordinator's
-- certificate, which the registry's areas name).
CREATE TABLE coordinator_people (
    name TEXT PRIMARY KEY,
    coordinator TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    -- The last time step a code was taken for: a code is good only once.
    totp_last_step BIGINT,
    failed_sign_ins BIGINT NOT NULL DEFAULT 0,
    locked_until_ms BIGINT,
    created_at_ms BIGINT NOT NULL
);

-- Dashboard sessions, by the SHA-256 of the cookie's token; ended sessions are deleted.
-- stage: 'second_factor', 'enrol' or 'signed_in'.
CREATE TABLE dashboard_sessions (
    token_digest TEXT PRIMARY KEY,
    person TEXT NOT NULL REFERENCES coordinator_people (name) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    csrf TEXT NOT NULL,
    pending_secret TEXT,
    created_at_ms BIGINT NOT NULL,
    last_seen_at_ms BIGINT NOT NULL
);
CREATE INDEX dashboard_sessions_by_person ON dashboard_sessions (person);
