ALTER TABLE settings DROP COLUMN language;
