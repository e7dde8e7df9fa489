DROP TRIGGER users_touch;
CREATE TABLE users_old (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nickname TEXT);
INSERT INTO users_old (id, email, nickname) SELECT id, email, nickname FROM users;
DROP TABLE users;
ALTER TABLE users_old RENAME TO users;
CREATE INDEX idx_users_email ON users(email);
