-- What crosses regions. Portable SQL as in 0001.

-- Envelopes waiting to leave through the gateway, written in the same transaction as the change they report.
-- `envelope` is the protobuf Envelope in canonical JSON, so an operator can read a dead letter.
CREATE TABLE outbox (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    destination TEXT NOT NULL,
    envelope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    delivered_at BIGINT,
    dead_at BIGINT,
    -- W3C trace context of the request that wrote the envelope, so its delivery continues that trace.
    traceparent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (delivered_at, dead_at, next_attempt_at);

-- Keys of envelopes taken in, per sending region, so a redelivery changes nothing.
CREATE TABLE inbox (
    from_region TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (from_region, key)
);

-- Consent or legal ground for handing a case to another region.
CREATE TABLE consents (
    case_id TEXT NOT NULL REFERENCES cases (id),
    sequence BIGINT NOT NULL,
    basis TEXT NOT NULL,
    given_by TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, sequence)
);

-- Escalations both ways. Outgoing: case_id is the escalated case, partner_ref the linked case over there.
-- Incoming: case_id is the linked case opened here, partner_ref the sender's escalation id.
CREATE TABLE escalations (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    partner_region TEXT NOT NULL,
    partner_ref TEXT NOT NULL DEFAULT '',
    legal_basis TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    status_reason TEXT NOT NULL DEFAULT '',
    last_key TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX escalations_by_case ON escalations (case_id);

-- Consultations across regions: a question from elsewhere keeps where it came from; one asked to the network
-- keeps where it was sent and delivered.
ALTER TABLE consultations ADD COLUMN origin_region TEXT;
ALTER TABLE consultations ADD COLUMN origin_id TEXT;
ALTER TABLE consultations ADD COLUMN target_region TEXT;
ALTER TABLE consultations ADD COLUMN to_network BIGINT NOT NULL DEFAULT 0;
ALTER TABLE consultations ADD COLUMN routed_to TEXT NOT NULL DEFAULT '';
ALTER TABLE consultations ADD COLUMN outbox_key TEXT;
ALTER TABLE consultation_answers ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE consultation_answers ADD COLUMN outbox_key TEXT;
