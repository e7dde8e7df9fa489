CREATE TABLE sprints (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    CHECK (ends_on > starts_on)
);

CREATE INDEX idx_sprints_project ON sprints(project_id, starts_on);

CREATE TABLE sprint_issues (
    sprint_id INTEGER NOT NULL REFERENCES sprints(id) ON DELETE CASCADE,
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    PRIMARY KEY (sprint_id, issue_id)
);

CREATE INDEX idx_sprint_issues_issue ON sprint_issues(issue_id);
