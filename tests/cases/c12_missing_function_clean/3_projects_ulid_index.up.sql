CREATE UNIQUE INDEX idx_projects_ulid ON projects(ulid);
