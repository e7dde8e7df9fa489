ALTER TABLE runs DROP COLUMN exit_code;
