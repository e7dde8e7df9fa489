CREATE TABLE watchers (
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    PRIMARY KEY (issue_id, member_id)
);

CREATE INDEX idx_watchers_member ON watchers(member_id);

INSERT INTO watchers (issue_id, member_id) SELECT issue_id, member_id FROM subscriptions;
DROP TABLE subscriptions;
