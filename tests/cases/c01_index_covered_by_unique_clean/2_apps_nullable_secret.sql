-- The rebuild keeps client_id UNIQUE, whose own index serves what idx_apps_client_id did.
CREATE TABLE apps_new (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL UNIQUE, secret TEXT);
INSERT INTO apps_new (id, client_id, secret) SELECT id, client_id, secret FROM apps;
DROP TABLE apps;
ALTER TABLE apps_new RENAME TO apps;
