-- Adding a line to an order reserves stock; deleting it releases the reservation.
CREATE TRIGGER trg_order_items_reserve AFTER INSERT ON order_items
BEGIN
    UPDATE inventory SET reserved = reserved + NEW.quantity WHERE product_id = NEW.product_id;
END;

CREATE TRIGGER trg_order_items_release AFTER DELETE ON order_items
BEGIN
    UPDATE inventory SET reserved = max(reserved - OLD.quantity, 0) WHERE product_id = OLD.product_id;
END;
