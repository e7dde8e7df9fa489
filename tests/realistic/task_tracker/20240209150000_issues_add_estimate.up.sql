ALTER TABLE issues ADD COLUMN estimate_points INTEGER CHECK (estimate_points IN (1, 2, 3, 5, 8, 13));
