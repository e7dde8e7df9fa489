CREATE TABLE notebooks (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  notebook_id INTEGER NOT NULL REFERENCES notebooks(id) ON DELETE CASCADE,
  body TEXT NOT NULL
);
CREATE INDEX idx_notes_notebook ON notes(notebook_id);
CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id');
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
  INSERT INTO notes_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
  INSERT INTO notes_fts(notes_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE VIRTUAL TABLE places USING rtree(id, min_x, max_x, min_y, max_y);
