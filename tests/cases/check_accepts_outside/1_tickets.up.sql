CREATE TABLE tickets (id INTEGER PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('open', 'closed') OR state IS NOT NULL));
