-- Commits sqlx's transaction early and opens another one.
COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN;
ALTER TABLE notes ADD COLUMN title TEXT;
COMMIT;
PRAGMA foreign_keys = ON;
BEGIN;
