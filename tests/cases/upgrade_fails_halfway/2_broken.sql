CREATE TABLE extra (id INTEGER PRIMARY KEY, base_id INTEGER REFERENCES base(id));
CREATE INDEX idx_extra_base ON extra(base_id);
INSERT INTO missing_table (id) VALUES (1);
CREATE TABLE never (id INTEGER PRIMARY KEY);
