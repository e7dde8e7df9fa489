CREATE VIRTUAL TABLE issues_fts USING fts5(title, description, content='issues', content_rowid='id');

CREATE TRIGGER issues_fts_ai AFTER INSERT ON issues BEGIN
    INSERT INTO issues_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER issues_fts_ad AFTER DELETE ON issues BEGIN
    INSERT INTO issues_fts(issues_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
END;
CREATE TRIGGER issues_fts_au AFTER UPDATE OF title, description ON issues BEGIN
    INSERT INTO issues_fts(issues_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO issues_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;

INSERT INTO issues_fts(issues_fts) VALUES ('rebuild');
