CREATE TABLE apps (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL UNIQUE, secret TEXT NOT NULL);
CREATE INDEX idx_apps_client_id ON apps (client_id);
