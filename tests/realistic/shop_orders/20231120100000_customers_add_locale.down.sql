ALTER TABLE customers DROP COLUMN locale;
