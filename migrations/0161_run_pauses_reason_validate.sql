-- Validates 0160's check (SHARE UPDATE EXCLUSIVE: writes go on while existing rows are checked).
ALTER TABLE seed.run_pauses VALIDATE CONSTRAINT run_pauses_reason_check;
