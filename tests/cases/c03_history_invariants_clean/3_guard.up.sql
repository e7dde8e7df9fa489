-- a guard: every profile has its instance (the previous migration made them)
CREATE TEMP TABLE guard (missing INTEGER NOT NULL CHECK (missing = 0));
INSERT INTO guard SELECT count(*) FROM profiles p WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.profile_id = p.id);
DROP TABLE guard;
ALTER TABLE settings ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr'));
