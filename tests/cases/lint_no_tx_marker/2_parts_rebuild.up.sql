-- Rebuild parts with a name column.
-- no-transaction
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE parts_new (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '');
INSERT INTO parts_new (id, sku) SELECT id, sku FROM parts;
DROP TABLE parts;
ALTER TABLE parts_new RENAME TO parts;
COMMIT;
PRAGMA foreign_keys = ON;
