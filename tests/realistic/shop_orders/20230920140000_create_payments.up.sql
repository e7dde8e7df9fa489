CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    provider TEXT NOT NULL CHECK (provider IN ('stripe', 'paypal', 'invoice')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    status TEXT NOT NULL CHECK (status IN ('authorized', 'captured', 'failed', 'refunded')),
    raw_response TEXT CHECK (raw_response IS NULL OR json_valid(raw_response)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_payments_order ON payments(order_id);
