-- NOT NULL without a default: fails on every database that holds a token
ALTER TABLE tokens ADD COLUMN owner TEXT NOT NULL;
