DROP TRIGGER trg_orders_updated_at;
DROP TABLE orders;
