-- no-transaction
-- DROP COLUMN refuses a column with a CHECK: rebuild payments without fee_cents. refunds points
-- at payments, so foreign keys go off outside the transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE payments_new (
    id TEXT PRIMARY KEY NOT NULL,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    provider TEXT NOT NULL CHECK (provider IN ('stripe', 'paypal', 'invoice')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    status TEXT NOT NULL CHECK (status IN ('authorized', 'captured', 'failed', 'refunded')),
    raw_response TEXT CHECK (raw_response IS NULL OR json_valid(raw_response)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO payments_new (id, order_id, provider, amount_cents, status, raw_response, created_at)
    SELECT id, order_id, provider, amount_cents, status, raw_response, created_at FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX idx_payments_order ON payments(order_id);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
