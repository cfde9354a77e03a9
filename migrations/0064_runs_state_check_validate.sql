-- Validates the run-state constraint 0061 added NOT VALID (adding `paused`): a separate step so the
-- ALTER that adds it does not scan seed.runs under an exclusive lock.
ALTER TABLE seed.runs VALIDATE CONSTRAINT runs_state_check;
