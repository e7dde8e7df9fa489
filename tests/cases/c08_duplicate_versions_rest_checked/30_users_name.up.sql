CREATE INDEX idx_users_name ON users(name);
