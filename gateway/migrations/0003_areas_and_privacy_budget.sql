-- Releases now cover areas as well as regions and the nation, and the category tables are released as one
-- family (they share their totals). Releases made before are withdrawn and made again, once, from the kept
-- snapshots on the next read. That is only sound because no gateway had published to anyone yet (statistics came
-- a week before this, unreleased); a later change of layout must keep what was published.
DELETE FROM releases;
ALTER TABLE releases ADD COLUMN areas TEXT NOT NULL DEFAULT '[]';

-- The differential-privacy odometer: per consumer (a coordinator's certificate name) and quarter, the ε spent
-- so far, in millionths; a noisy table is only answered while the spent ε stays within the budget.
CREATE TABLE privacy_spent (
    consumer TEXT NOT NULL,
    period TEXT NOT NULL,
    spent_micro BIGINT NOT NULL,
    PRIMARY KEY (consumer, period)
);

-- Every noisy table answered: who asked which table of which scope, for how much ε.
CREATE TABLE privacy_queries (
    consumer TEXT NOT NULL,
    period TEXT NOT NULL,
    query TEXT NOT NULL,
    epsilon_micro BIGINT NOT NULL,
    asked_at_ms BIGINT NOT NULL
);
