-- What the gateway has published, per quarter and table family: the first release of a period is the only one
-- (a later one, after a late case, could be subtracted from it). `shown` is JSON: every value, null when hidden.
CREATE TABLE releases (
    period TEXT NOT NULL,
    family TEXT NOT NULL,
    regions TEXT NOT NULL,
    k BIGINT NOT NULL,
    shown TEXT NOT NULL,
    released_at_ms BIGINT NOT NULL,
    PRIMARY KEY (period, family)
);
