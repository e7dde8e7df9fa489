DROP TABLE instances;
DROP INDEX idx_events_kind;
CREATE TABLE proofs_old (y BLOB PRIMARY KEY, keyset_id TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0));
INSERT INTO proofs_old SELECT * FROM proofs;
DROP TABLE proofs;
ALTER TABLE proofs_old RENAME TO proofs;
