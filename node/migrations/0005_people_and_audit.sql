-- People of the node, their API tokens, and the hash-chained audit trail.

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    -- Comma list of role words (administrator, intake, table_member, chair, procesregisseur, auditor).
    roles TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);

-- Only the SHA-256 of a token is kept; the token itself is shown once, by `user add` or `user token`.
CREATE TABLE api_tokens (
    digest TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_name);

-- Append-only; every row's hash covers its fields and the previous row's hash (see node/src/audit/chain.rs).
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    roles TEXT NOT NULL,
    on_behalf_of TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id TEXT,
    access_point TEXT NOT NULL,
    outcome TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_by_case ON audit_events (case_id, seq);

-- The chain's last event (seq, hash), and where it starts after retention removed its oldest part
-- (floor_seq, floor_hash). Appending locks this row, so events are numbered without gaps on both backends.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    floor_seq BIGINT NOT NULL,
    floor_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash, floor_seq, floor_hash) VALUES (
    1, 0, '0000000000000000000000000000000000000000000000000000000000000000',
    0, '0000000000000000000000000000000000000000000000000000000000000000'
);
