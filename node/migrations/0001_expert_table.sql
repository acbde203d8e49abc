-- The expert-table workflow. Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Times are Unix milliseconds (BIGINT), calendar dates are 'YYYY-MM-DD' text, flags are BIGINT 0/1.
-- The youth's direct identifiers live in youth_identities and nowhere else.

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    request_id TEXT UNIQUE,
    request_fingerprint TEXT,
    state TEXT NOT NULL,
    referrer_organisation TEXT NOT NULL,
    referrer_kind TEXT NOT NULL,
    age BIGINT NOT NULL,
    municipality TEXT NOT NULL,
    question TEXT NOT NULL,
    tried_so_far TEXT NOT NULL,
    categories TEXT NOT NULL,
    intake_accepted BIGINT NOT NULL DEFAULT 0,
    return_reason TEXT,
    outcome TEXT,
    closing_note TEXT,
    submitted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    -- Earliest due date of the case's open tasks and commitments, kept up to date by storage, so that the
    -- "overdue" filter is a test on the case row instead of a search through all open work.
    earliest_open_due TEXT,
    version BIGINT NOT NULL
);
CREATE INDEX cases_by_state ON cases (state, id);
CREATE INDEX cases_by_municipality ON cases (municipality, id);

CREATE TABLE case_categories (
    category TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (category, case_id)
);

CREATE TABLE youth_identities (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    name TEXT NOT NULL,
    bsn TEXT,
    date_of_birth TEXT
);

CREATE TABLE case_events (
    case_id TEXT NOT NULL REFERENCES cases (id),
    sequence BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (case_id, sequence)
);

CREATE TABLE table_sessions (
    id TEXT PRIMARY KEY,
    session_date TEXT NOT NULL,
    start_time TEXT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    location TEXT NOT NULL,
    chair TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX table_sessions_by_date ON table_sessions (session_date, id);

CREATE TABLE agenda_items (
    session_id TEXT NOT NULL REFERENCES table_sessions (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    position BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    youth_present BIGINT NOT NULL DEFAULT 0,
    parents_present BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, case_id)
);
CREATE INDEX agenda_items_by_case ON agenda_items (case_id);

CREATE TABLE attendees (
    session_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    role TEXT NOT NULL,
    organisation TEXT NOT NULL,
    PRIMARY KEY (session_id, case_id, position),
    FOREIGN KEY (session_id, case_id) REFERENCES agenda_items (session_id, case_id)
);

CREATE TABLE discussions (
    session_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    next_step TEXT NOT NULL,
    regie_holder TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (session_id, case_id),
    FOREIGN KEY (session_id, case_id) REFERENCES agenda_items (session_id, case_id)
);

CREATE TABLE commitments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    provider TEXT NOT NULL,
    description TEXT NOT NULL,
    due_date TEXT NOT NULL,
    authority_confirmed BIGINT NOT NULL,
    status TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX commitments_by_case ON commitments (case_id, status, due_date);
CREATE INDEX commitments_open_by_due ON commitments (status, due_date);

CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    description TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_date TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tasks_by_case ON tasks (case_id, status, due_date);
CREATE INDEX tasks_open_by_due ON tasks (status, due_date);

CREATE TABLE progress_notes (
    case_id TEXT NOT NULL REFERENCES cases (id),
    sequence BIGINT NOT NULL,
    at BIGINT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (case_id, sequence)
);

CREATE TABLE care_arrangements (
    case_id TEXT NOT NULL REFERENCES cases (id),
    arrangement TEXT NOT NULL,
    case_manager TEXT NOT NULL,
    organisation TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, arrangement)
);

CREATE TABLE procesregisseurs (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    appointed_at BIGINT NOT NULL
);

CREATE TABLE consultations (
    id TEXT PRIMARY KEY,
    request_id TEXT UNIQUE,
    asker_kind TEXT NOT NULL,
    asker_organisation TEXT NOT NULL,
    question TEXT NOT NULL,
    expertise_tags TEXT NOT NULL,
    case_id TEXT REFERENCES cases (id),
    status TEXT NOT NULL,
    asked_at BIGINT NOT NULL
);
CREATE INDEX consultations_by_status ON consultations (status, id);

CREATE TABLE consultation_answers (
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    sequence BIGINT NOT NULL,
    expert TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    PRIMARY KEY (consultation_id, sequence)
);
