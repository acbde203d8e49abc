-- When the receiving region accepted an escalation (as this node heard it): the network's time from sending to
-- acceptance, counted into the signals. Escalations from before this column stay without it.
ALTER TABLE escalations ADD COLUMN accepted_at BIGINT;
