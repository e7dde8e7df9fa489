-- A new design, rows not kept on purpose: one credential per issuer, subject and scope now.
DROP TABLE credential;
CREATE TABLE credential (issuer TEXT NOT NULL, subject TEXT NOT NULL, scope TEXT NOT NULL, body BLOB NOT NULL);
CREATE UNIQUE INDEX credential_issuer_subject_scope ON credential (issuer, subject, scope);
