-- Fail-closed telemetry (issue 14, T067): where telemetry is required (staging/prod), a running
-- run pauses while the planner's trace export is down past its bound, and resumes when it
-- recovers. Such a pause is recorded like a window pause, with reason 'telemetry'. The new check
-- is added NOT VALID (no scan under lock); 0161 validates it.
ALTER TABLE seed.run_pauses DROP CONSTRAINT run_pauses_reason_check;
ALTER TABLE seed.run_pauses ADD CONSTRAINT run_pauses_reason_check
  CHECK (reason IN ('window', 'telemetry')) NOT VALID;
