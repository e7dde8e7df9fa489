CREATE TABLE legacy_exports (id INTEGER PRIMARY KEY, path TEXT NOT NULL);
CREATE TABLE legacy_export_files (id INTEGER PRIMARY KEY,
  export_id INTEGER NOT NULL REFERENCES legacy_exports(id) ON DELETE CASCADE, name TEXT NOT NULL);
CREATE INDEX idx_legacy_export_files_export ON legacy_export_files(export_id);
