DROP TABLE providers;
CREATE TABLE providers (
  id INTEGER PRIMARY KEY,
  display_name TEXT NOT NULL,
  access_token TEXT
);
CREATE INDEX idx_providers_display_name ON providers(display_name);
