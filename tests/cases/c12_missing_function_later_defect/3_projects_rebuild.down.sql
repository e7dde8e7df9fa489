ALTER TABLE projects DROP COLUMN archived;
