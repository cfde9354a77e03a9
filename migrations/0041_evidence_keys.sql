-- Evidence signing public keys (issue 9): the evidence service records the public key of every
-- key id that signs a report, so the gateway can publish them as a JWKS
-- (GET /api/v1/evidence/keys) for as long as a report they signed is retained. Insert-only: a key
-- id's material never changes; rotated keys stay as long as reports reference them.
CREATE TABLE seed.evidence_keys (
  key_id          text PRIMARY KEY CHECK (length(key_id) BETWEEN 1 AND 512),
  algorithm       text NOT NULL DEFAULT 'ed25519' CHECK (algorithm = 'ed25519'),
  public_key_pem  text NOT NULL CHECK (public_key_pem LIKE '-----BEGIN PUBLIC KEY-----%'),
  first_used_at   timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT ON seed.evidence_keys TO semente_app;
