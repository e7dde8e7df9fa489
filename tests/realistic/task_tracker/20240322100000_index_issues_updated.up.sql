CREATE INDEX idx_issues_project_updated ON issues(project_id, updated_at);
