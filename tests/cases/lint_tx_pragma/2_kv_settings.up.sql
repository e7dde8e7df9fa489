-- All three are wrong here: this file runs inside sqlx's transaction.
PRAGMA journal_mode = WAL;
PRAGMA foreign_keys = OFF;
INSERT INTO kv (k, v) VALUES ('schema', '2');
VACUUM;
