CREATE TABLE projects_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT, ulid TEXT, archived INTEGER NOT NULL DEFAULT 0);
INSERT INTO projects_new (id, name, created_at, ulid) SELECT id, name, created_at, ulid FROM projects;
DROP TABLE projects;
ALTER TABLE projects_new RENAME TO projects;
