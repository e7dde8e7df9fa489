ALTER TABLE members DROP COLUMN display_name;
