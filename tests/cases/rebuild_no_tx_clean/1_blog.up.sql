CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_posts_title ON posts(title);
CREATE TRIGGER posts_touch AFTER UPDATE OF title, body ON posts FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
  UPDATE posts SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  body TEXT NOT NULL
);
CREATE INDEX idx_comments_post ON comments(post_id);
CREATE TABLE likes (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  comment_id INTEGER REFERENCES comments(id) ON DELETE SET NULL,
  who TEXT NOT NULL,
  PRIMARY KEY (post_id, who)
);
CREATE INDEX idx_likes_comment ON likes(comment_id);
