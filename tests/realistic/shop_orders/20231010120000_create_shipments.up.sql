CREATE TABLE shipments (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    carrier TEXT NOT NULL,
    tracking_code TEXT UNIQUE,
    shipped_at TEXT,
    delivered_at TEXT,
    CHECK (delivered_at IS NULL OR shipped_at IS NOT NULL)
);

CREATE INDEX idx_shipments_order ON shipments(order_id);
