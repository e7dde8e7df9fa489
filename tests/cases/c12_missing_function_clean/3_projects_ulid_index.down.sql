DROP INDEX idx_projects_ulid;
