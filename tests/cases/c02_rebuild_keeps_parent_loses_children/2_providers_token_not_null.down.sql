CREATE TABLE providers_old (id INTEGER PRIMARY KEY, display_name TEXT NOT NULL, access_token TEXT);
INSERT INTO providers_old SELECT id, display_name, access_token FROM providers;
DROP TABLE providers;
ALTER TABLE providers_old RENAME TO providers;
CREATE INDEX idx_providers_display_name ON providers(display_name);
