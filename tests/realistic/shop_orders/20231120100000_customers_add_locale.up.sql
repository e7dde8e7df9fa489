ALTER TABLE customers ADD COLUMN locale TEXT NOT NULL DEFAULT 'en-GB';

-- The trigger lists the columns it watches: the new one too.
DROP TRIGGER trg_customers_updated_at;
CREATE TRIGGER trg_customers_updated_at
AFTER UPDATE OF email, full_name, phone, marketing_opt_in, locale, created_at ON customers
FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE customers SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
