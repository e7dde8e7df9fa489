CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    actor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_audit_log_actor ON audit_log(actor_id);
CREATE INDEX idx_audit_log_entity ON audit_log(entity, entity_id);

CREATE TRIGGER trg_posts_audit_delete AFTER DELETE ON posts
BEGIN
    INSERT INTO audit_log (actor_id, action, entity, entity_id) VALUES (NULL, 'delete', 'post', OLD.id);
END;
