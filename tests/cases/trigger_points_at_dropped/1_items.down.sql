DROP TRIGGER items_price_logged;
DROP TABLE items_log;
DROP TABLE items;
