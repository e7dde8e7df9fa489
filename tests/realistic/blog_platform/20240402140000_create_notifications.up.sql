CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('comment', 'reaction', 'follow', 'mention')),
    payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    read_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    legacy_channel TEXT
);

CREATE INDEX idx_notifications_user_unread ON notifications(user_id, read_at);
