CREATE VIRTUAL TABLE products_fts USING fts5(name, description, content='products', content_rowid='id', tokenize='unicode61 remove_diacritics 2');

CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN
    INSERT INTO products_fts(rowid, name, description) VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
END;
CREATE TRIGGER products_fts_au AFTER UPDATE OF name, description ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
    INSERT INTO products_fts(rowid, name, description) VALUES (new.id, new.name, new.description);
END;

INSERT INTO products_fts(products_fts) VALUES ('rebuild');
