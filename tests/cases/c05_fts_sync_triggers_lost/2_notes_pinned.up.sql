-- no-transaction
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE notes_new (
  id INTEGER PRIMARY KEY,
  notebook_id INTEGER NOT NULL REFERENCES notebooks(id) ON DELETE CASCADE,
  body TEXT NOT NULL,
  pinned INTEGER NOT NULL DEFAULT 0
);
INSERT INTO notes_new (id, notebook_id, body) SELECT id, notebook_id, body FROM notes;
DROP TABLE notes;
ALTER TABLE notes_new RENAME TO notes;
CREATE INDEX idx_notes_notebook ON notes(notebook_id);
-- only the insert trigger comes back: deletes no longer reach the full-text index
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
  INSERT INTO notes_fts(rowid, body) VALUES (new.id, new.body);
END;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
