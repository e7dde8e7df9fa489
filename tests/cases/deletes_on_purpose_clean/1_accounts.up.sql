CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)));
CREATE TABLE sessions (id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE, token TEXT NOT NULL);
CREATE INDEX idx_sessions_account ON sessions(account_id);
CREATE TABLE legacy_exports (id INTEGER PRIMARY KEY, path TEXT NOT NULL);
CREATE TABLE legacy_export_files (id INTEGER PRIMARY KEY,
  export_id INTEGER NOT NULL REFERENCES legacy_exports(id) ON DELETE CASCADE, name TEXT NOT NULL);
CREATE INDEX idx_legacy_export_files_export ON legacy_export_files(export_id);
