-- A new design on purpose: the old providers (and, through the cascade, their repositories)
-- go; the new table has other columns and its own index.
DROP TABLE providers;
CREATE TABLE providers (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('github', 'gitlab')),
  api_base TEXT NOT NULL CHECK (api_base LIKE 'https://%'),
  UNIQUE (kind, api_base)
);
