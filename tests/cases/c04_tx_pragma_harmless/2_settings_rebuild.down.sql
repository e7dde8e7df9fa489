ALTER TABLE settings DROP COLUMN secret;
