CREATE TABLE status (id INTEGER PRIMARY KEY, details_id INTEGER NOT NULL, timestamp INTEGER NOT NULL);
CREATE INDEX status_index ON status (details_id, timestamp DESC);
