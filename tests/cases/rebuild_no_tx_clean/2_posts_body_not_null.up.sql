-- no-transaction
-- SQLite's 12-step table rebuild: foreign keys off outside the transaction, so DROP TABLE posts
-- does not cascade into comments and likes; foreign_key_check before COMMIT.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE posts_new (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO posts_new (id, title, body, updated_at)
  SELECT id, title, coalesce(body, ''), updated_at FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
CREATE INDEX idx_posts_title ON posts(title);
CREATE TRIGGER posts_touch AFTER UPDATE OF title, body ON posts FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
  UPDATE posts SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
