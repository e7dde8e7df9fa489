CREATE TABLE issue_events (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_issue_events_issue ON issue_events(issue_id, at);

CREATE TRIGGER trg_issues_status_event AFTER UPDATE OF status ON issues
FOR EACH ROW
WHEN OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO issue_events (issue_id, from_status, to_status) VALUES (NEW.id, OLD.status, NEW.status);
END;
