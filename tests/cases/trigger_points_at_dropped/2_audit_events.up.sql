-- Replace items_log by a general audit table; the trigger on items still writes to items_log.
CREATE TABLE audit_events (id INTEGER PRIMARY KEY, entity TEXT NOT NULL, entity_id INTEGER NOT NULL,
  note TEXT NOT NULL);
INSERT INTO audit_events (entity, entity_id, note) SELECT 'item', item_id, note FROM items_log;
DROP TABLE items_log;
