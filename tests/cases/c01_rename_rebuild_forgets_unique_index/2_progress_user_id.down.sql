ALTER TABLE progress RENAME TO new_progress;
CREATE TABLE progress (
  id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
  delta INTEGER NOT NULL
);
INSERT INTO progress (id, user_id, media_id, delta)
  SELECT np.id, u.name, np.media_id, np.delta FROM new_progress np JOIN users u ON u.id = np.user_id;
DROP TABLE new_progress;
CREATE UNIQUE INDEX progress_idx ON progress(user_id, media_id);
CREATE INDEX idx_progress_media ON progress(media_id);
