-- no-transaction
-- Rebuild issues (SQLite's 12-step procedure): foreign keys off outside the
-- transaction so DROP TABLE issues does not cascade; checked before COMMIT.
PRAGMA foreign_keys = OFF;
PRAGMA legacy_alter_table = ON;
BEGIN;

CREATE TABLE issues_new (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number > 0),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'closed')),
    priority INTEGER NOT NULL DEFAULT 2 CHECK (priority BETWEEN 0 AND 4),
    reporter_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    assignee_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    parent_id INTEGER REFERENCES issues(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    estimate_points INTEGER CHECK (estimate_points IN (1, 2, 3, 5, 8, 13)),
    UNIQUE (project_id, number)
);

INSERT INTO issues_new (id, project_id, number, title, description, status, priority, reporter_id, assignee_id, parent_id, created_at, updated_at, estimate_points)
    SELECT id, project_id, number, title, description, CASE status WHEN 'backlog' THEN 'open' WHEN 'in_review' THEN 'in_progress' WHEN 'wont_fix' THEN 'closed' ELSE status END, priority, reporter_id, assignee_id, parent_id, created_at, updated_at, estimate_points FROM issues;
DROP TABLE issues;
ALTER TABLE issues_new RENAME TO issues;

CREATE INDEX idx_issues_reporter ON issues(reporter_id);
CREATE INDEX idx_issues_assignee ON issues(assignee_id, status);
CREATE INDEX idx_issues_parent ON issues(parent_id);
CREATE INDEX idx_issues_status ON issues(status);

CREATE TRIGGER trg_issues_updated_at
AFTER UPDATE OF project_id, number, title, description, status, priority, reporter_id, assignee_id, parent_id, created_at ON issues
FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE issues SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
CREATE TRIGGER issues_fts_ai AFTER INSERT ON issues BEGIN
    INSERT INTO issues_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER issues_fts_ad AFTER DELETE ON issues BEGIN
    INSERT INTO issues_fts(issues_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
END;
CREATE TRIGGER issues_fts_au AFTER UPDATE OF title, description ON issues BEGIN
    INSERT INTO issues_fts(issues_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO issues_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
INSERT INTO issues_fts(issues_fts) VALUES ('rebuild');

PRAGMA foreign_key_check;
COMMIT;
PRAGMA legacy_alter_table = OFF;
PRAGMA foreign_keys = ON;
