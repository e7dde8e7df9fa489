DROP TRIGGER trg_products_updated_at;
DROP TABLE products;
