DROP TRIGGER trg_customers_updated_at;
DROP TABLE customers;
