-- A no-op inside sqlx's transaction; harmless when the application opens its pool in WAL.
PRAGMA journal_mode = WAL;
INSERT INTO kv (k, v) VALUES ('schema', '2');
