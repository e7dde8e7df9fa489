ALTER TABLE workspaces DROP COLUMN plan;
