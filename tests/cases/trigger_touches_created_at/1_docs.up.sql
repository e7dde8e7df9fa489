CREATE TABLE docs (id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
CREATE TRIGGER docs_touch AFTER UPDATE OF title ON docs FOR EACH ROW
BEGIN
  UPDATE docs SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
                  created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = NEW.id;
END;
