-- Revert P7-007: drop the tasks table and its indexes.

DROP INDEX IF EXISTS idx_tasks_workspace;
DROP INDEX IF EXISTS idx_tasks_created;
DROP INDEX IF EXISTS idx_tasks_type;
DROP INDEX IF EXISTS idx_tasks_status;
DROP TABLE IF EXISTS tasks;
