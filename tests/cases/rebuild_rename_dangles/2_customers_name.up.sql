-- Rebuild customers with a name column, old-style: rename the old table away first.
ALTER TABLE customers RENAME TO customers_old;
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '');
INSERT INTO customers (id, email) SELECT id, email FROM customers_old;
DROP TABLE customers_old;
