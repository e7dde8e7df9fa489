CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE media (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE progress (
  id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
  delta INTEGER NOT NULL
);
CREATE UNIQUE INDEX progress_idx ON progress(user_id, media_id);
CREATE INDEX idx_progress_media ON progress(media_id);
