CREATE TABLE post_revisions (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_post_revisions_post ON post_revisions(post_id, created_at);

CREATE TRIGGER trg_posts_revision AFTER UPDATE OF title, body ON posts
FOR EACH ROW
WHEN OLD.title IS NOT NEW.title OR OLD.body IS NOT NEW.body
BEGIN
    INSERT INTO post_revisions (post_id, title, body) VALUES (OLD.id, OLD.title, OLD.body);
END;
