-- Add a CHECK to payload: rebuild the table (no table points at events, so no cascade).
CREATE TABLE events_new (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL CHECK (json_valid(payload)),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO events_new SELECT id, kind, json_quote(payload), updated_at FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
