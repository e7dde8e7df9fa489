DROP TRIGGER trg_products_price_history;
DROP TABLE price_history;
