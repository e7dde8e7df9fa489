-- Variables of deleted datasets were never deleted: copying them under a foreign key fails.
CREATE TABLE env_vars_new (
  id INTEGER PRIMARY KEY,
  dataset_id TEXT NOT NULL REFERENCES datasets(dataset_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  UNIQUE (dataset_id, key)
);
INSERT INTO env_vars_new (id, dataset_id, key) SELECT id, dataset_id, key FROM env_vars;
DROP TABLE env_vars;
ALTER TABLE env_vars_new RENAME TO env_vars;
