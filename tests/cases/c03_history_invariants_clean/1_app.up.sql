CREATE TABLE settings (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  theme TEXT NOT NULL DEFAULT 'dark' CHECK (theme IN ('dark', 'light'))
);
INSERT INTO settings (id) VALUES (0);
CREATE TABLE keysets (id TEXT PRIMARY KEY NOT NULL, unit TEXT NOT NULL);
CREATE TABLE proofs (
  y BLOB PRIMARY KEY,
  keyset_id TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0)
);
CREATE TABLE users (uuid TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
CREATE TABLE skins (
  user_uuid TEXT NOT NULL,
  texture TEXT NOT NULL,
  PRIMARY KEY (user_uuid, texture)
);
-- a reference kept by a trigger instead of a foreign key
CREATE TRIGGER skins_user_check BEFORE INSERT ON skins FOR EACH ROW BEGIN
  SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM users WHERE uuid = NEW.user_uuid)
    THEN RAISE(ABORT, 'unknown user') END;
END;
CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL DEFAULT '');
CREATE TABLE profiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
