DROP TRIGGER comments_fts_au;
DROP TRIGGER comments_fts_ad;
DROP TRIGGER comments_fts_ai;
DROP TABLE comments_fts;
