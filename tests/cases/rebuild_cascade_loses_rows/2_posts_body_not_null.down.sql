-- no-transaction
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE posts_old (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT);
INSERT INTO posts_old (id, title, body) SELECT id, title, body FROM posts;
DROP TABLE posts;
ALTER TABLE posts_old RENAME TO posts;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
