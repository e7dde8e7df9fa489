DROP INDEX idx_notes_title;
ALTER TABLE notes DROP COLUMN title;
