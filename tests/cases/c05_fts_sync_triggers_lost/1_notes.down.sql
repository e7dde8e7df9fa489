DROP TABLE places; DROP TRIGGER notes_ad; DROP TRIGGER notes_ai; DROP TABLE notes_fts; DROP TABLE notes; DROP TABLE notebooks;
