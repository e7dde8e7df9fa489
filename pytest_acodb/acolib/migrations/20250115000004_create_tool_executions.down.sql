-- Revert P7-010: drop the tool_executions table and its indexes.

DROP INDEX IF EXISTS idx_tool_executions_task_fk;
DROP INDEX IF EXISTS idx_tool_executions_created;
DROP INDEX IF EXISTS idx_tool_executions_status;
DROP INDEX IF EXISTS idx_tool_executions_tool;
DROP INDEX IF EXISTS idx_tool_executions_task;
DROP TABLE IF EXISTS tool_executions;
