CREATE TABLE providers (
  id INTEGER PRIMARY KEY,
  display_name TEXT NOT NULL,
  access_token TEXT
);
CREATE INDEX idx_providers_display_name ON providers(display_name);
CREATE TABLE provided_repos (
  id INTEGER PRIMARY KEY,
  provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
  name TEXT NOT NULL
);
CREATE INDEX idx_provided_repos_provider ON provided_repos(provider_id);
