-- Validates the operation CHECK of 0130 (added NOT VALID so existing rows were not scanned under its lock).
ALTER TABLE seed.runs VALIDATE CONSTRAINT runs_operation_check;
