CREATE INDEX idx_orders_placed ON orders(placed_at) WHERE placed_at IS NOT NULL;
