-- a rebuild that copies every column, in its own order
CREATE TABLE posts_new (
  id INTEGER PRIMARY KEY,
  slug TEXT,
  title TEXT NOT NULL CHECK (length(title) > 0),
  body TEXT NOT NULL,
  views INTEGER NOT NULL DEFAULT 0
);
INSERT INTO posts_new (id, slug, title, body, views) SELECT id, slug, title, body, views FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
-- values written on purpose, by name
UPDATE posts SET views = 0;
ALTER TABLE posts DROP COLUMN slug;
ALTER TABLE posts ADD COLUMN slug TEXT DEFAULT '';
