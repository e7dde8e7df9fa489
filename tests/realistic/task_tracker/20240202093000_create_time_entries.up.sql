CREATE TABLE time_entries (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    minutes INTEGER NOT NULL CHECK (minutes > 0),
    spent_on DATE NOT NULL,
    note TEXT
);

CREATE INDEX idx_time_entries_issue ON time_entries(issue_id);
CREATE INDEX idx_time_entries_member ON time_entries(member_id, spent_on);
