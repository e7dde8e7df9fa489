-- no-transaction
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE companies_old (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO companies_old (id, name) SELECT id, name FROM companies;
DROP TABLE companies;
ALTER TABLE companies_old RENAME TO companies;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
