CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  body TEXT NOT NULL
);
CREATE INDEX idx_comments_post ON comments(post_id);
