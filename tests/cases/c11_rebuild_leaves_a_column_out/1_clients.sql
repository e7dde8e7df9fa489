CREATE TABLE clients (id TEXT PRIMARY KEY, name TEXT NOT NULL, client_uri TEXT, refresh_token INTEGER);
