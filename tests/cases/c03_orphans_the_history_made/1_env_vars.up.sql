-- Environment variables come first, keyed by a dataset id that nothing checks yet.
CREATE TABLE env_vars (
  id INTEGER PRIMARY KEY,
  dataset_id TEXT NOT NULL,
  key TEXT NOT NULL,
  UNIQUE (dataset_id, key)
);
