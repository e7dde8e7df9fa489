-- no-transaction
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE posts_old (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO posts_old (id, title, body, updated_at) SELECT id, title, body, updated_at FROM posts;
DROP TABLE posts;
ALTER TABLE posts_old RENAME TO posts;
CREATE INDEX idx_posts_title ON posts(title);
CREATE TRIGGER posts_touch AFTER UPDATE OF title, body ON posts FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
  UPDATE posts SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
