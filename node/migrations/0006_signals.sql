-- Signals per quarter (node/src/storage/signals.rs) count cases by when they were submitted, returned and closed.
CREATE INDEX cases_by_closing ON cases (state, closed_at);
CREATE INDEX cases_by_submission ON cases (submitted_at);
CREATE INDEX discussions_by_time ON discussions (recorded_at);
