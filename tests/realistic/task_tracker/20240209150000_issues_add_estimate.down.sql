ALTER TABLE issues DROP COLUMN estimate_points;
