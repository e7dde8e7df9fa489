-- Watchers become subscriptions, which also record why and since when.
CREATE TABLE subscriptions (
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    reason TEXT NOT NULL DEFAULT 'manual' CHECK (reason IN ('manual', 'assigned', 'mentioned')),
    since TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (issue_id, member_id)
);

CREATE INDEX idx_subscriptions_member ON subscriptions(member_id);

INSERT INTO subscriptions (issue_id, member_id) SELECT issue_id, member_id FROM watchers;
DROP TABLE watchers;
