CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE RESTRICT,
    shipping_address_id INTEGER REFERENCES addresses(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled')),
    currency TEXT NOT NULL DEFAULT 'EUR' CHECK (length(currency) = 3),
    total_cents INTEGER NOT NULL DEFAULT 0 CHECK (total_cents >= 0),
    placed_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_orders_customer ON orders(customer_id, created_at);
CREATE INDEX idx_orders_address ON orders(shipping_address_id);
CREATE INDEX idx_orders_status ON orders(status);
CREATE TRIGGER trg_orders_updated_at
AFTER UPDATE OF customer_id, shipping_address_id, status, currency, total_cents, placed_at, created_at ON orders
FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE orders SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
