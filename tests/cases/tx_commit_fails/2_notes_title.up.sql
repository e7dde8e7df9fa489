ALTER TABLE notes ADD COLUMN title TEXT;
COMMIT;
CREATE INDEX idx_notes_title ON notes(title);
