-- Runtime governance (issue 12 item 2): a run pauses while its off-peak window is closed and
-- resumes by itself when it opens again. `paused` is a new, non-terminal run state; every pause
-- is recorded for the evidence.
ALTER TABLE seed.runs DROP CONSTRAINT runs_state_check;
ALTER TABLE seed.runs ADD CONSTRAINT runs_state_check CHECK (state IN ('queued', 'admitted', 'planning', 'running',
  'paused', 'completed', 'failed', 'cancelled', 'expired', 'aborted')) NOT VALID;

CREATE TABLE seed.run_pauses (
  id          bigserial PRIMARY KEY,
  run_id      uuid NOT NULL REFERENCES seed.runs (id) ON DELETE CASCADE,
  -- What held the run: its window closed.
  reason      text NOT NULL CHECK (reason IN ('window')),
  -- The planner's clock (the same one the window is checked against).
  paused_at   timestamptz NOT NULL,
  resumed_at  timestamptz,
  details     jsonb,
  CHECK (resumed_at IS NULL OR resumed_at >= paused_at)
);
-- At most one open pause per run.
CREATE UNIQUE INDEX run_pauses_open_idx ON seed.run_pauses (run_id) WHERE resumed_at IS NULL;
GRANT SELECT, INSERT, UPDATE ON seed.run_pauses TO semente_app;
GRANT USAGE ON SEQUENCE seed.run_pauses_id_seq TO semente_app;
