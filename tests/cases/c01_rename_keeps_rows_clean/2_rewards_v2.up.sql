-- The old rewards stay, under the _v1 name, with their index; the new design starts empty.
ALTER TABLE rewards RENAME TO rewards_v1;
CREATE TABLE rewards (
  id INTEGER PRIMARY KEY,
  epoch INTEGER NOT NULL,
  address TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount >= 0),
  UNIQUE (epoch, address)
);
