DROP TRIGGER products_fts_au;
DROP TRIGGER products_fts_ad;
DROP TRIGGER products_fts_ai;
DROP TABLE products_fts;
