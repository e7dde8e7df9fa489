-- Revert P7-008: drop the workflows table and its indexes.

DROP INDEX IF EXISTS idx_workflows_name;
DROP INDEX IF EXISTS idx_workflows_created;
DROP INDEX IF EXISTS idx_workflows_status;
DROP TABLE IF EXISTS workflows;
