-- Indexing moves to the application: the insert trigger goes (rows inserted from now on are
-- indexed in the background), the delete trigger stays.
DROP TRIGGER notes_ai;
INSERT INTO notes_fts(notes_fts) VALUES ('rebuild');
