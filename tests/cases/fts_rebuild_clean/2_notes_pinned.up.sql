-- no-transaction
-- Rebuild notes (a CHECK on the new pinned column), keeping note_links rows, the index, the FTS
-- triggers and the search index.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE notes_new (
  id INTEGER PRIMARY KEY,
  notebook_id INTEGER NOT NULL REFERENCES notebooks(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))
);
INSERT INTO notes_new (id, notebook_id, title, body) SELECT id, notebook_id, title, body FROM notes;
DROP TABLE notes;
ALTER TABLE notes_new RENAME TO notes;
CREATE INDEX idx_notes_notebook ON notes(notebook_id);
CREATE TRIGGER notes_fts_ai AFTER INSERT ON notes BEGIN
  INSERT INTO notes_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER notes_fts_ad AFTER DELETE ON notes BEGIN
  INSERT INTO notes_fts(notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER notes_fts_au AFTER UPDATE ON notes BEGIN
  INSERT INTO notes_fts(notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO notes_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
INSERT INTO notes_fts(notes_fts) VALUES ('rebuild');
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
