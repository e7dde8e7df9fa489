CREATE TABLE posts_old (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, views INTEGER NOT NULL DEFAULT 0, slug TEXT);
INSERT INTO posts_old (id, title, body, views, slug) SELECT id, title, body, views, slug FROM posts;
DROP TABLE posts;
ALTER TABLE posts_old RENAME TO posts;
