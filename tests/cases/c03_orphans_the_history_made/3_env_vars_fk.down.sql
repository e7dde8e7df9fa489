CREATE TABLE env_vars_old (id INTEGER PRIMARY KEY, dataset_id TEXT NOT NULL, key TEXT NOT NULL, UNIQUE (dataset_id, key));
INSERT INTO env_vars_old SELECT id, dataset_id, key FROM env_vars;
DROP TABLE env_vars;
ALTER TABLE env_vars_old RENAME TO env_vars;
