-- The same providers, rebuilt with their rows: but DROP TABLE providers cascades into
-- provided_repos first (foreign keys are on in sqlx's transaction), and the index on
-- display_name, whose column is still there, is not created again.
CREATE TABLE providers_new (
  id INTEGER PRIMARY KEY,
  display_name TEXT NOT NULL,
  access_token TEXT NOT NULL DEFAULT ''
);
INSERT INTO providers_new (id, display_name, access_token)
  SELECT id, display_name, coalesce(access_token, '') FROM providers;
DROP TABLE providers;
ALTER TABLE providers_new RENAME TO providers;
