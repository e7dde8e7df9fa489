DROP TRIGGER posts_fts_au;
DROP TRIGGER posts_fts_ad;
DROP TRIGGER posts_fts_ai;
DROP TABLE posts_fts;
