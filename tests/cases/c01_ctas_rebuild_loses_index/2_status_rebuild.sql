-- CREATE TABLE ... AS SELECT copies the rows but none of the indexes.
CREATE TABLE status_new AS SELECT * FROM status;
DROP TABLE status;
ALTER TABLE status_new RENAME TO status;
