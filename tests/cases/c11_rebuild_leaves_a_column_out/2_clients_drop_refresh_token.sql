CREATE TABLE clients_new (id TEXT PRIMARY KEY, name TEXT NOT NULL, client_uri TEXT);
INSERT INTO clients_new (id, name) SELECT id, name FROM clients;
DROP TABLE clients;
ALTER TABLE clients_new RENAME TO clients;
