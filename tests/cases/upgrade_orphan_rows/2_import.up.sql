-- no-transaction
PRAGMA foreign_keys = OFF;
INSERT INTO kids (id, parent_id) VALUES (1, 42);
PRAGMA foreign_keys = ON;
