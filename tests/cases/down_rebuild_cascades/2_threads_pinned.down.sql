-- DROP COLUMN refuses a column with a CHECK, so rebuild threads without it.
CREATE TABLE threads_old (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
INSERT INTO threads_old (id, title) SELECT id, title FROM threads;
DROP TABLE threads;
ALTER TABLE threads_old RENAME TO threads;
