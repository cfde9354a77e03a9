-- (Numbered after 0050, whose table-level REVOKE UPDATE would otherwise take the column grant back.)
-- The seeder records a batch's duration on its checkpoint in the batch's own transaction, after the
-- rows are written (issue 9: the evidence SLO item reads it). The checkpoint row is inserted first,
-- as the claim that makes a redelivered batch a duplicate, so the duration is set by an UPDATE.
-- The seeder may update that one column only (no other UPDATE anywhere, docs/db-roles.md), under
-- its bound-run policy, and only once: a trigger refuses the seeder a change to a duration already
-- recorded or to any other column.
GRANT UPDATE (duration_ms) ON seed.checkpoints TO semente_seeder;

CREATE FUNCTION seed.checkpoint_duration_once() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, seed
AS $$
BEGIN
  -- The rule binds the data plane; the owner and a superuser can alter the table anyway.
  IF current_user <> 'semente_seeder' THEN
    RETURN NEW;
  END IF;
  IF OLD.duration_ms IS NOT NULL THEN
    RAISE EXCEPTION 'checkpoint duration is recorded once' USING ERRCODE = '42501';
  END IF;
  IF (to_jsonb(NEW) - 'duration_ms') IS DISTINCT FROM (to_jsonb(OLD) - 'duration_ms') THEN
    RAISE EXCEPTION 'a checkpoint changes only its duration' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER checkpoint_duration_once BEFORE UPDATE ON seed.checkpoints
  FOR EACH ROW EXECUTE FUNCTION seed.checkpoint_duration_once();
-- A trigger function cannot be called outside a trigger; still, PUBLIC gets nothing on it.
REVOKE ALL ON FUNCTION seed.checkpoint_duration_once() FROM PUBLIC;
