-- token must equal a computed value: nothing in the expression says what it is
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('api', 'web')),
  token TEXT NOT NULL CHECK (token = lower(hex(zeroblob(8))))
);
CREATE TABLE grants (
  id INTEGER PRIMARY KEY,
  token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  scope TEXT NOT NULL
);
CREATE INDEX idx_grants_token ON grants(token_id);
