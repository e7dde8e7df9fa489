CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
  nickname TEXT NOT NULL DEFAULT '' CHECK (length(nickname) <= 32),
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
INSERT INTO users_new (id, email, nickname) SELECT id, email, coalesce(nickname, '') FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX idx_users_email ON users(email);
CREATE TRIGGER users_touch AFTER UPDATE OF email, nickname, role ON users FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE users SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = NEW.id; END;
