CREATE TABLE rewards (
  id INTEGER PRIMARY KEY,
  address TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount >= 0)
);
CREATE INDEX idx_rewards_address ON rewards(address);
