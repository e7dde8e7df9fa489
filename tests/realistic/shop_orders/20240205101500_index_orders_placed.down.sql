DROP INDEX idx_orders_placed;
