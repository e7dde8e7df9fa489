-- Nothing references notifications, so this rebuild can run in sqlx's transaction.
CREATE TABLE notifications_new (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('comment', 'reaction', 'follow', 'mention')),
    payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    read_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO notifications_new (id, user_id, kind, payload, read_at, created_at)
    SELECT id, user_id, kind, payload, read_at, created_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX idx_notifications_user_unread ON notifications(user_id, read_at);
