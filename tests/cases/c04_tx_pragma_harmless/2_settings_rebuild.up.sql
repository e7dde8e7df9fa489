-- A no-op inside sqlx's transaction, but nothing references settings: no harm done.
PRAGMA foreign_keys = OFF;
CREATE TABLE settings_new (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, secret INTEGER NOT NULL DEFAULT 0);
INSERT INTO settings_new (key, value) SELECT key, value FROM settings;
DROP TABLE settings;
ALTER TABLE settings_new RENAME TO settings;
PRAGMA foreign_keys = ON;
