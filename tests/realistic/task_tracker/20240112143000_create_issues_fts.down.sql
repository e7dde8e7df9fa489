DROP TRIGGER issues_fts_au;
DROP TRIGGER issues_fts_ad;
DROP TRIGGER issues_fts_ai;
DROP TABLE issues_fts;
