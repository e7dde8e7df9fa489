DROP TRIGGER trg_order_items_release;
DROP TRIGGER trg_order_items_reserve;
