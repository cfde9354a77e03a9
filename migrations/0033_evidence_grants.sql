-- The evidence index is append-only, like the audit log: an indexed report is never rewritten
-- nor removed (its WORM object outlives any change anyway). The control-plane role keeps
-- SELECT and INSERT; the trigger also stops the owner.
REVOKE UPDATE, DELETE, TRUNCATE ON seed.evidence_index FROM semente_app;

CREATE FUNCTION seed.evidence_index_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'seed.evidence_index is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER evidence_index_no_update_delete BEFORE UPDATE OR DELETE ON seed.evidence_index
  FOR EACH ROW EXECUTE FUNCTION seed.evidence_index_append_only();
CREATE TRIGGER evidence_index_no_truncate BEFORE TRUNCATE ON seed.evidence_index
  FOR EACH STATEMENT EXECUTE FUNCTION seed.evidence_index_append_only();
