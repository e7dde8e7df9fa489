-- No column list: the select list fills the new table's columns in order, and swaps two.
CREATE TABLE notes_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, pinned INTEGER NOT NULL DEFAULT 0);
INSERT INTO notes_new SELECT id, body, title, 0 FROM notes;
DROP TABLE notes;
ALTER TABLE notes_new RENAME TO notes;
