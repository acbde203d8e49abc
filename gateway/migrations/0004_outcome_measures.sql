-- The network's outcome measures in each region's totals: escalations accepted (and within 14 days), questions
-- asked of other regions, answered, and answered within 7 days. Snapshots kept from before count none.
ALTER TABLE snapshots ADD COLUMN escalations_accepted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN escalations_accepted_within_14_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN consultations_asked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN consultations_answered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN consultations_answered_within_7_days BIGINT NOT NULL DEFAULT 0;
