-- no-transaction
-- Rebuild users (SQLite's 12-step procedure): foreign keys off outside the
-- transaction so DROP TABLE users does not cascade; checked before COMMIT.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE users_new (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    bio TEXT
);

INSERT INTO users_new (id, email, display_name, password_hash, bio, created_at, updated_at)
    SELECT id, email, display_name, password_hash, bio, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TRIGGER trg_users_updated_at
AFTER UPDATE OF email, display_name, password_hash, created_at ON users
FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE users SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;

PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
