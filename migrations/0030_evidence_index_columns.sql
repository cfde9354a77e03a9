-- Evidence index, expand step: the DSSE payload hash (the stored envelope's hash is `sha256`), the
-- envelope itself (so `GET /api/v1/seed-runs/{id}/evidence` answers without reading the WORM
-- store), and the dataset digest the report vouches for. Nullable: rows written before this
-- release stay valid.
ALTER TABLE seed.evidence_index
  ADD COLUMN payload_sha256  text CHECK (payload_sha256 ~ '^[0-9a-f]{64}$'),
  ADD COLUMN payload_type    text,
  ADD COLUMN envelope        jsonb,
  ADD COLUMN dataset_digest  text CHECK (dataset_digest ~ '^[0-9a-f]{64}$');
