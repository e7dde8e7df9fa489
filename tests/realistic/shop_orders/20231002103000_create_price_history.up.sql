CREATE TABLE price_history (
    id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    old_cents INTEGER NOT NULL,
    new_cents INTEGER NOT NULL,
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_price_history_product ON price_history(product_id, changed_at);

CREATE TRIGGER trg_products_price_history AFTER UPDATE OF price_cents ON products
FOR EACH ROW
WHEN OLD.price_cents IS NOT NEW.price_cents
BEGIN
    INSERT INTO price_history (product_id, old_cents, new_cents) VALUES (OLD.id, OLD.price_cents, NEW.price_cents);
END;
