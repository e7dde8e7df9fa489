-- The transaction sqlx opened is committed first, so the PRAGMA takes effect before BEGIN.
COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN TRANSACTION;
CREATE TABLE projects_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0);
INSERT INTO projects_new (id, name) SELECT id, name FROM projects;
DROP TABLE projects;
ALTER TABLE projects_new RENAME TO projects;
COMMIT;
PRAGMA foreign_keys = ON;
BEGIN TRANSACTION;
