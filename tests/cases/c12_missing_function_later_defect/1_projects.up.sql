CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT);
CREATE INDEX idx_projects_name ON projects(name);
