-- A consent says what it allows (scope, and the region or provider it names), until when, and whether it was
-- withdrawn. Records from before this migration allowed escalation to any region; they keep an empty target,
-- which allows nothing new: record the consent again with its region.
ALTER TABLE consents ADD COLUMN scope TEXT NOT NULL DEFAULT 'escalate';
ALTER TABLE consents ADD COLUMN scope_target TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN valid_until TEXT;
ALTER TABLE consents ADD COLUMN withdrawn_at BIGINT;
ALTER TABLE consents ADD COLUMN withdrawn_by TEXT;
ALTER TABLE consents ADD COLUMN withdrawal_reason TEXT;

-- An envelope stopped before it left (its consent withdrawn) is never sent.
ALTER TABLE outbox ADD COLUMN cancelled_at BIGINT;
