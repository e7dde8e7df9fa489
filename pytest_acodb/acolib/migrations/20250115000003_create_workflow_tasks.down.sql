-- Revert P7-009: drop the workflow_tasks table and its indexes.

DROP INDEX IF EXISTS idx_workflow_tasks_sequence;
DROP INDEX IF EXISTS idx_workflow_tasks_task;
DROP INDEX IF EXISTS idx_workflow_tasks_workflow;
DROP TABLE IF EXISTS workflow_tasks;
