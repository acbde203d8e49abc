-- A youth's identifiers are encrypted at rest: name, bsn and date_of_birth now hold sealed values
-- (v1:<key id>:<ciphertext>, see node/src/vault). key_id names the key that sealed the row, so a rotation can
-- re-encrypt row by row; rows from before this migration have none and are sealed when the node starts.
-- bsn_pseudonym is the keyed HMAC of the BSN: equal BSNs match without anything being decrypted.
ALTER TABLE youth_identities ADD COLUMN key_id TEXT;
ALTER TABLE youth_identities ADD COLUMN bsn_pseudonym TEXT;
CREATE INDEX youth_identities_pseudonym ON youth_identities (bsn_pseudonym);
