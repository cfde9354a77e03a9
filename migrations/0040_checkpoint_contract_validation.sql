-- Entity contract validation, counted per checkpoint (issue 9): the seeder validates every
-- generated row of a batch against its /api/v1 entity contract before writing it and records how
-- many rows it validated. The evidence `contracts` item passes only when every checkpoint of the
-- run carries a count equal to its row_count. Nullable: checkpoints written before this column
-- existed have no count, and the report says they were not validated.
ALTER TABLE seed.checkpoints ADD COLUMN IF NOT EXISTS rows_validated integer CHECK (rows_validated >= 0);
