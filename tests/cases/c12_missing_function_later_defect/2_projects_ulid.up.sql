-- acodb_demo_ulid() comes from an extension the application loads on every connection
ALTER TABLE projects ADD COLUMN ulid TEXT;
UPDATE projects SET ulid = acodb_demo_ulid(created_at);
