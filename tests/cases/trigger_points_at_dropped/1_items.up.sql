CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL);
CREATE TABLE items_log (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, note TEXT NOT NULL);
CREATE TRIGGER items_price_logged AFTER UPDATE OF price_cents ON items FOR EACH ROW
BEGIN
  INSERT INTO items_log (item_id, note) VALUES (NEW.id, 'price ' || OLD.price_cents || ' -> ' || NEW.price_cents);
END;
