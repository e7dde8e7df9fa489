DROP TABLE note_links;
DROP TRIGGER notes_fts_au;
DROP TRIGGER notes_fts_ad;
DROP TRIGGER notes_fts_ai;
DROP TABLE notes_fts;
DROP TABLE notes;
DROP TABLE notebooks;
