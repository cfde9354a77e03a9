-- semente:no-transaction
-- The JWKS lists every key that signed a still-retained report (issue 9): looked up by key id and
-- retention. CONCURRENTLY because seed.evidence_index holds rows; IF NOT EXISTS so a re-run after a
-- crash is safe (drop an INVALID leftover index first).
CREATE INDEX CONCURRENTLY IF NOT EXISTS evidence_index_key_idx ON seed.evidence_index (signature_key_id, retain_until);
