CREATE TABLE items_log (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, note TEXT NOT NULL);
INSERT INTO items_log (item_id, note) SELECT entity_id, note FROM audit_events WHERE entity = 'item';
DROP TABLE audit_events;
