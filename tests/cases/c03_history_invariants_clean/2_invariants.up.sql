-- proofs always held keysets of the mint: the key is declared now
CREATE TABLE proofs_new (
  y BLOB PRIMARY KEY,
  keyset_id TEXT NOT NULL REFERENCES keysets(id),
  amount INTEGER NOT NULL CHECK (amount > 0)
);
INSERT INTO proofs_new SELECT * FROM proofs;
DROP TABLE proofs;
ALTER TABLE proofs_new RENAME TO proofs;
-- the application writes JSON into payload: index a field of it
CREATE INDEX idx_events_kind ON events (json_extract(payload, '$.kind'));
-- one instance per profile, made by this data migration
CREATE TABLE instances (id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL UNIQUE REFERENCES profiles(id));
INSERT INTO instances (profile_id) SELECT id FROM profiles;
