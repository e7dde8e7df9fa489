DROP TABLE legacy_export_files;
DROP TABLE legacy_exports;
DROP TABLE sessions;
DROP TABLE accounts;
