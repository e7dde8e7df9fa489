CREATE TABLE links (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL CHECK (url LIKE 'https://%' OR url LIKE 'ftp://%'),
  -- 'gopher' is listed, then excluded by the same CHECK: no row can ever hold it
  protocol TEXT NOT NULL CHECK (protocol IN ('web', 'ftp', 'gopher') AND protocol NOT IN ('gopher'))
);
