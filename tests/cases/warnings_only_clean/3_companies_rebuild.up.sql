-- no-transaction
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE companies_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT INTO companies_new (id, name) SELECT id, name FROM companies;
DROP TABLE companies;
ALTER TABLE companies_new RENAME TO companies;
PRAGMA foreign_key_check;
COMMIT;
