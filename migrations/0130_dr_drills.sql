-- DR drill (issue 11, R6.8): a run whose operation is `dr_drill` records the loss instant, purges
-- the tenant (the simulated loss), regenerates it, verifies the rows value by value as the
-- read-only verification role, and reports RTO and RPO in its signed evidence.
--
-- seed.dr_drills holds the facts the evidence derives RTO/RPO from, written by the planner (control
-- plane) phase by phase. The loss is captured once: what the tenant held at the loss instant (the
-- acknowledged batches of the drill's environment, with their digests and commit times, and the
-- rows no checkpoint explains), then the end of the regeneration and of the verification by the
-- database clock (the purge phase's end is seed.runs.purged_at, migration 0120). A planner that
-- restarts mid-drill keeps the recorded loss instant, so a crash lengthens the RTO, never hides it.

ALTER TABLE seed.runs DROP CONSTRAINT runs_operation_check;
ALTER TABLE seed.runs ADD CONSTRAINT runs_operation_check
  CHECK (operation IN ('seed', 'purge', 'reseed', 'dr_drill')) NOT VALID;

CREATE TABLE seed.dr_drills (
  run_id            uuid PRIMARY KEY REFERENCES seed.runs (id) ON DELETE CASCADE,
  tenant_id         text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  environment       text NOT NULL,
  mode              text NOT NULL CHECK (mode IN ('baseline', 'load', 'dr')),
  -- The database clock when the tenant's state was captured, right before the purge's first delete.
  loss_at           timestamptz NOT NULL,
  -- The latest checkpoint per batch of tenant × environment × mode at the loss:
  -- [[entity, batch_index, digest hex, row_count, committed_at epoch ms], …] in plan order.
  acknowledged      jsonb NOT NULL CHECK (jsonb_typeof(acknowledged) = 'array'),
  -- Rows of the tenant at the loss, and those no acknowledged checkpoint explains (not re-derivable).
  rows_at_loss      bigint NOT NULL CHECK (rows_at_loss >= 0),
  unexplained_rows  bigint NOT NULL CHECK (unexplained_rows >= 0),
  rto_target_s      integer NOT NULL CHECK (rto_target_s > 0),
  rpo_target_s      integer NOT NULL CHECK (rpo_target_s >= 0),
  regenerated_at    timestamptz,
  verified_at       timestamptz,
  -- verifyRows' outcome and the regenerated batch digests compared with the drill's checkpoints:
  -- {ok, role, rows_compared, differences, checkpoint_mismatches, first: ["entity ordinal N: column C differs", …]}.
  verification      jsonb CHECK (verification IS NULL OR jsonb_typeof(verification) = 'object'),
  CHECK (regenerated_at IS NULL OR regenerated_at >= loss_at),
  CHECK (verified_at IS NULL OR (regenerated_at IS NOT NULL AND verified_at >= regenerated_at AND verification IS NOT NULL))
);
GRANT SELECT, INSERT, UPDATE ON seed.dr_drills TO semente_app;

-- A drill purges like a reseed: the bodies of migration 0120, with `dr_drill` among the operations
-- whose purge phase binds and reports.
CREATE OR REPLACE FUNCTION seed.bind_purge_tenant(p_run_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant text;
  v_purged timestamptz;
BEGIN
  SELECT r.tenant_id, r.purged_at INTO v_tenant, v_purged FROM seed.runs r
   WHERE r.id = p_run_id AND r.state = 'running' AND r.operation IN ('purge', 'reseed', 'dr_drill') AND NOT r.dry_run;
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION 'run % is not a running purge: no purge context', p_run_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF v_purged IS NOT NULL THEN
    RAISE EXCEPTION 'the purge phase of run % is complete: no purge context', p_run_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM seed.bind_run_tenant(p_run_id);
  PERFORM set_config('app.purge_binding',
    v_tenant || ':' || p_run_id::text || ':' || seed.binding_mac('purge/' || v_tenant || '/' || p_run_id::text), true);
  RETURN v_tenant;
END
$$;

CREATE OR REPLACE FUNCTION seed.purge_completed_at(p_run_id uuid)
RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT r.purged_at FROM seed.runs r WHERE r.id = p_run_id AND r.operation IN ('purge', 'reseed', 'dr_drill')
$$;
