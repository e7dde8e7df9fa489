DROP TABLE rewards;
ALTER TABLE rewards_v1 RENAME TO rewards;
