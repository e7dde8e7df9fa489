ALTER TABLE workspaces ADD COLUMN plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'team', 'enterprise'));

-- The trigger lists the columns it watches: the new one too.
DROP TRIGGER trg_workspaces_updated_at;
CREATE TRIGGER trg_workspaces_updated_at
AFTER UPDATE OF slug, name, plan, created_at ON workspaces
FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE workspaces SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
