-- Deletes on purpose: every account (their sessions go by ON DELETE CASCADE), and the legacy
-- export tables, child first.
DELETE FROM accounts;
DROP TABLE legacy_export_files;
DROP TABLE legacy_exports;
