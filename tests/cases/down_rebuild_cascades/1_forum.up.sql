CREATE TABLE threads (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE replies (
  id INTEGER PRIMARY KEY,
  thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
  body TEXT NOT NULL
);
CREATE INDEX idx_replies_thread ON replies(thread_id);
