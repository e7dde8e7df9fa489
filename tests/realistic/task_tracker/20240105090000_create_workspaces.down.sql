DROP TRIGGER trg_workspaces_updated_at;
DROP TABLE workspaces;
