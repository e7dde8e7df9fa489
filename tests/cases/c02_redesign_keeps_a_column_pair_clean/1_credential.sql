CREATE TABLE credential (issuer TEXT NOT NULL, subject TEXT NOT NULL, body BLOB NOT NULL);
CREATE UNIQUE INDEX credential_issuer_subject ON credential (issuer, subject);
