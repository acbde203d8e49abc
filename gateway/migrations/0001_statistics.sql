-- The gateway's statistics store: each region's latest snapshot per quarter, as counts only. Portable SQL for
-- SQLite and PostgreSQL; enum columns hold the contract's enum numbers (expertnet/v1/signals.proto).
CREATE TABLE snapshots (
    region TEXT NOT NULL,
    period TEXT NOT NULL,
    computed_at_ms BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    submitted BIGINT NOT NULL,
    returned BIGINT NOT NULL,
    discussed BIGINT NOT NULL,
    escalated BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    sessions_held BIGINT NOT NULL,
    PRIMARY KEY (region, period)
);

CREATE TABLE snapshot_cells (
    region TEXT NOT NULL,
    period TEXT NOT NULL,
    category BIGINT NOT NULL,
    age_band BIGINT NOT NULL,
    outcome BIGINT NOT NULL,
    lead_time BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (region, period, category, age_band, outcome, lead_time)
);

CREATE TABLE snapshot_signals (
    region TEXT NOT NULL,
    period TEXT NOT NULL,
    category BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (region, period, category)
);
